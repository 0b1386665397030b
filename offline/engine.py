"""The one place offline/ reaches into the Pulumi SDK's internals (pinned: pulumi 3.272.0).

Running a program without the CLI needs a few SDK pieces that are not public API: waiting on the
SDK's event loop from synchronous code (`sync_await._sync_await`), the function the language host
wraps a program in (`stack.run_pulumi_func`), the root-stack context variable and the queues of
in-flight registrations (`settings.ROOT`, `settings.SETTINGS`, `settings._get_rpc_manager`), the
stack resource's `outputs`, the mock monitor's URN rule, registry and property decoding
(`mocks.MockMonitor.make_urn` / `.resources`, `rpc.deserialize_properties`), and the wire marks of a
secret value in decoded properties (`rpc._special_sig_key`, `rpc._special_secret_sig`).

Everything else in offline/ goes through the functions and the monitor base class below;
tests/test_offline_engine.py holds each internal to the name, signature and behaviour used here,
so an SDK upgrade that moves one fails there, in one place, instead of somewhere in a stack run.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional, TypeVar

import pulumi
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc as sdk_rpc
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

T = TypeVar("T")

# A failed program can leave registrations that keep queuing more; this bounds the draining.
MAX_SETTLE_ROUNDS = 10_000


def wait_for(awaitable: Awaitable[T]) -> T:
    """The result of `awaitable`, waited for on the SDK's own event loop from synchronous code."""
    return _sync_await(awaitable)


def resolve(value: Any) -> Any:
    """The plain value of an Input (an Output, a future or a plain value) after the run."""
    return wait_for(pulumi.Output.from_input(value).future())


def run_program(program: Callable[[], Any], *, mocks: pulumi.runtime.Mocks, monitor: Any, project: str, stack: str,
                config: Optional[dict[str, str]] = None) -> None:
    """Run `program` the way the language host runs `__main__.py`, against `monitor` answering with
    `mocks`, with `preview=False` so apply callbacks run; `config` (when given) replaces the flat
    config map the program reads. Raises what the program raised."""
    sdk_settings.ROOT.set(None)  # forget the previous run's stack resource: this run makes its own
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    if config is not None:
        pulumi.runtime.set_all_config(dict(config))
    wait_for(run_pulumi_func(program))


def stack_exports() -> dict[str, Any]:
    """What the last program exported (`pulumi.export`), as plain values."""
    root = pulumi.runtime.get_root_resource()
    exported = getattr(root, "outputs", None) or {}
    return {key: resolve(value) for key, value in exported.items()}


def settle_pending() -> None:
    """Let every registration and output still in flight finish (their results and errors dropped).

    A failed program leaves its pending registrations on the shared event loop; left alone they
    would run during the next offline run and land in that run's monitor."""
    wait_for(_drain_pending())


async def _drain_pending() -> None:
    manager = sdk_settings._get_rpc_manager()
    for _ in range(MAX_SETTLE_ROUNDS):
        pending = list(manager.rpcs)
        manager.rpcs.clear()
        with sdk_settings.SETTINGS.lock:
            pending += list(sdk_settings.SETTINGS.outputs)
            sdk_settings.SETTINGS.outputs.clear()
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


def decode_properties(struct: Any) -> dict[str, Any]:
    """A registration's protobuf property struct as Python values (resources, assets, secrets kept)."""
    return sdk_rpc.deserialize_properties(struct)


def is_secret(value: Any) -> bool:
    """Whether a decoded property value is a secret, kept as the SDK's `{sig: secret, "value": v}` map."""
    return (isinstance(value, dict) and set(value) == {sdk_rpc._special_sig_key, "value"}
            and value[sdk_rpc._special_sig_key] == sdk_rpc._special_secret_sig)


def secret_value(value: Any) -> Any:
    """The value inside a decoded secret (for reading references out of it); anything else as it is."""
    return value["value"] if is_secret(value) else value


class MonitorBase(sdk_mocks.MockMonitor):
    """The SDK's mock resource monitor, with its internals behind two named methods."""

    def urn_for(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives a resource of `type_` named `name` under `parent`."""
        return self.make_urn(parent, type_, name)

    def registration(self, urn: str) -> tuple[str, dict[str, Any]]:
        """(id, state) the mocks answered for the resource registered as `urn`."""
        registered = self.resources[urn]
        return registered.id, dict(registered.state)
