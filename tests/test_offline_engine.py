"""The Pulumi SDK internals offline/engine.py relies on are still there and still behave so.

offline/engine.py is the only module of offline/ that touches non-public SDK names. These tests
pin each one (pulumi 3.272.0) by name and signature, and check the behaviour the offline runner
depends on through the engine's own functions: when an SDK upgrade moves or changes one, this
file fails with the name, not a stack run with a confusing error.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import re
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc as sdk_rpc
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime import stack as sdk_stack
from pulumi.runtime import sync_await as sdk_sync_await

from offline import engine


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_internal_names_and_signatures_are_the_ones_the_engine_calls():
    assert parameters(sdk_sync_await._sync_await) == ["awaitable"]
    assert parameters(sdk_stack.run_pulumi_func) == ["func"]
    assert inspect.iscoroutinefunction(sdk_stack.run_pulumi_func)
    assert isinstance(sdk_settings.ROOT, contextvars.ContextVar)
    assert parameters(sdk_settings._get_rpc_manager) == []
    assert isinstance(sdk_settings._get_rpc_manager().rpcs, list)
    assert isinstance(sdk_settings.SETTINGS.outputs, set)
    assert hasattr(sdk_settings.SETTINGS.lock, "__enter__")
    assert parameters(sdk_mocks.MockMonitor.make_urn) == ["self", "parent", "type_", "name"]
    assert "resources" in sdk_mocks.MockMonitor.__annotations__
    assert sdk_mocks.MockMonitor.ResourceRegistration._fields == ("urn", "id", "state")
    assert parameters(sdk_rpc.deserialize_properties)[:3] == ["props_struct", "keep_unknowns", "keep_internal"]
    assert {"mocks", "project", "stack", "preview", "monitor"} <= set(parameters(pulumi.runtime.set_mocks))
    assert isinstance(sdk_rpc._special_sig_key, str) and isinstance(sdk_rpc._special_secret_sig, str)


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return f"{args.name}-id", {**args.inputs, "arn": f"arn:test:{args.name}"}

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class CapturingMonitor(engine.MonitorBase):
    """Keeps, per registration, the URN it predicted, the decoded inputs and what the mocks answered."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.seen: list[tuple[str, str, dict, tuple[str, dict]]] = []

    def RegisterResource(self, request):
        predicted = self.urn_for(request.parent, request.type, request.name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.seen.append((predicted, response.urn, engine.decode_properties(request.object),
                              self.registration(response.urn)))
        return response


def test_a_program_runs_and_its_registrations_and_exports_come_back():
    monitor = CapturingMonitor(EchoMocks())

    def program():
        parent = pulumi.ComponentResource("test:index:Box", "box")
        pulumi.CustomResource("test:index:Thing", "thing", {"size": 3}, opts=pulumi.ResourceOptions(parent=parent))
        pulumi.export("answer", pulumi.Output.from_input(41).apply(lambda value: value + 1))

    engine.run_program(program, mocks=EchoMocks(), monitor=monitor, project="proj", stack="one",
                       config={"proj:key": "value"})
    thing = [entry for entry in monitor.seen if entry[1].endswith("::thing")]
    [(predicted, urn, inputs, (resource_id, state))] = thing
    assert predicted == urn == "urn:pulumi:one::proj::test:index:Box$test:index:Thing::thing"
    assert inputs == {"size": 3}
    assert (resource_id, state) == ("thing-id", {"size": 3, "arn": "arn:test:thing"})
    assert engine.stack_exports() == {"answer": 42}
    assert pulumi.Config("proj").get("key") == "value"
    assert engine.resolve(pulumi.Output.from_input("x").apply(str.upper)) == "X"
    assert engine.wait_for(asyncio.sleep(0, result="done")) == "done"

    # A second run starts from a fresh stack resource: the first run's exports are gone.
    engine.run_program(lambda: None, mocks=EchoMocks(), monitor=CapturingMonitor(EchoMocks()),
                       project="proj", stack="two")
    assert engine.stack_exports() == {}


def test_a_secret_input_is_decoded_as_a_secret_and_its_value_can_be_read():
    monitor = CapturingMonitor(EchoMocks())

    def program():
        pulumi.CustomResource("test:index:Thing", "guarded", {"plain": "a", "token": pulumi.Output.secret(["b"])})

    engine.run_program(program, mocks=EchoMocks(), monitor=monitor, project="proj", stack="secret")
    [(_, _, inputs, _)] = [entry for entry in monitor.seen if entry[1].endswith("::guarded")]
    assert engine.is_secret(inputs["token"]) and not engine.is_secret(inputs["plain"])
    assert engine.secret_value(inputs["token"]) == ["b"]
    assert engine.secret_value(inputs["plain"]) == "a"


class RefusingMonitor(CapturingMonitor):
    """Refuses the registration named "refused", as the recording monitor refuses a duplicate URN."""

    def RegisterResource(self, request):
        if request.name == "refused":
            raise RuntimeError("refused by the monitor")
        return super().RegisterResource(request)


def pending_work() -> int:
    return len(sdk_settings._get_rpc_manager().rpcs) + len(sdk_settings.SETTINGS.outputs)


def test_a_failed_program_raises_and_its_pending_work_is_settled():
    def program():
        pulumi.CustomResource("test:index:Thing", "refused", {})
        for index in range(20):
            pulumi.CustomResource("test:index:Thing", f"after-{index}", {"index": index})

    with pytest.raises(RuntimeError, match="refused by the monitor"):
        engine.run_program(program, mocks=EchoMocks(), monitor=RefusingMonitor(EchoMocks()),
                           project="proj", stack="failing")
    assert pending_work() > 0, "the SDK no longer leaves a failed program's registrations in flight"
    engine.settle_pending()
    assert pending_work() == 0


# The internals pinned above, as code outside the engine would name them.
SDK_INTERNALS = re.compile(r"\b(_sync_await|run_pulumi_func|_get_rpc_manager)\b|\bsettings\.(ROOT|SETTINGS)\b"
                           r"|pulumi\.runtime\.(sync_await|stack)\b")
# Who may name them: the engine, this file (it pins them), and the program's one read that cannot go
# through offline/ (arrows run away from it): components/sharing/stack_outputs.py reads a stack
# reference's outputs synchronously, pinned by tests/test_stack_outputs.py.
# tests/components/test_operational_service.py is being rewritten onto the engine's helpers by its owner.
SDK_INTERNALS_ALLOWED = frozenset({
    "offline/engine.py",
    "tests/test_offline_engine.py",
    "components/sharing/stack_outputs.py",
    "tests/test_stack_outputs.py",
})


def test_no_module_outside_the_engine_names_sdk_internals():
    root = Path(__file__).resolve().parent.parent
    offenders = sorted(
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if not any(part.startswith(".") or part in {"node_modules", "__pycache__"}
                   for part in path.relative_to(root).parts)
        and path.relative_to(root).as_posix() not in SDK_INTERNALS_ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SDK_INTERNALS.search(line)
    )
    assert not offenders, f"SDK internals outside offline/engine.py (use run_program, resolve, wait_for): {offenders}"
