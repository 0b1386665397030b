"""The servicer the CLI runs (policies/__main__.py -> engine.served) answers exactly as pulumi-policy's
stock servicer: every gRPC response compared as protobuf messages, on every shipped stack graph,
every policy fixture and every policy form; and it is served the way PolicyPack serves."""
import inspect
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import PolicyPack

from policies.engine import served
from policies.engine.convert import struct_to_dict
from policies.engine.requests import Stack, outputs_of, struct
from policies.offline import configure_request, new_servicer, pack_servicer
from policy_cases import CASES
from policy_fixtures import provider

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
STACKS = ("dev", "dr", "marketing")  # in this order: dr and marketing read dev's outputs


@pytest.fixture(scope="module")
def graphs():
    from offline.preview import stack_policy_config
    from offline.runner import shipped_run

    runs = {name: shipped_run(name) for name in STACKS}
    return {name: (run.resources(), stack_policy_config(run)) for name, run in runs.items()}


def conversation(resources, config=None, stack_tags=None):
    """What the engine sends in one `pulumi preview --policy-pack` run, as (method, request) pairs;
    every resource is analysed twice (pass 1, then pass 2), so that each one also reaches the
    served servicer after its type has been seen (the replayed path, see engine.served) - the
    stock servicer answers a request the same whenever it comes."""
    info = new_servicer().GetAnalyzerInfo(empty_pb2.Empty(), None)
    stack = Stack(list(resources))
    calls = [("GetAnalyzerInfo", empty_pb2.Empty()), ("GetPluginInfo", empty_pb2.Empty()),
             ("Configure", configure_request(info, config)[0])]
    if stack_tags:
        calls.append(("ConfigureStack", pb.AnalyzerStackConfigureRequest(tags=dict(stack_tags))))
    calls += [("Analyze", stack.analyze_request(r)) for r in stack.resources] * 2
    return calls + [("AnalyzeStack", stack.stack_request())]


def replies(servicer, calls):
    return [getattr(servicer, method)(request, None) for method, request in calls]


def assert_same_replies(calls, stock, ours, label=""):
    assert len(stock) == len(ours)
    for (method, request), want, got in zip(calls, stock, ours):
        where = f"{label} {method} {getattr(request, 'urn', '')}"
        assert type(want) is type(got), where
        assert want == got, where  # protobuf equality: every field, repeated fields in order
        assert want.SerializeToString(deterministic=True) == got.SerializeToString(deterministic=True), where


def check(resources, config=None, stack_tags=None, label=""):
    calls = conversation(resources, config, stack_tags)
    stock = replies(new_servicer(), calls)
    assert_same_replies(calls, stock, replies(pack_servicer(), calls), label)
    return calls, stock


def test_served_equals_stock_on_every_shipped_stack(graphs):
    for name, (resources, config) in graphs.items():
        calls, stock = check(resources, config, label=name)
        # The shipped stacks comply: here the comparison is about the not-applicable answers (every
        # Analyze has some); violations are compared on the fixtures below.
        assert all(r.not_applicable for r in stock[3:-1]), name


def test_served_equals_stock_on_every_policy_fixture():
    diagnostics = {"Analyze": 0, "AnalyzeStack": 0}
    for name, case in sorted(CASES.items()):
        for resources in (case.compliant, case.violating):
            calls, stock = check(([provider()] if case.with_provider else []) + list(resources), case.config,
                                 label=name)
            for (method, _), response in zip(calls, stock):
                if method in diagnostics:
                    diagnostics[method] += len(response.diagnostics)
    # Violations of resource and stack policies are compared, not only their absence.
    assert diagnostics["Analyze"] > 50 and diagnostics["AnalyzeStack"] > 20, diagnostics


def test_served_equals_stock_on_every_policy_form():
    from policy_forms import FORMS

    for form in FORMS:
        check([provider(), *form.resources], form.config, label=form.id)


def _edge_pack():
    """Policies the shipped pack does not have, for the servicer's own paths: a policy whose
    "not applicable" depends on properties (so it must be run again for every request of its
    type), remediation only (stock: "Policy does not implement validate"), asynchronous
    validation, unknown values, a policy for every type, and one for another type."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
    from policies.rules._base import resource_policy
    from pulumi_policy import Severity

    def by_props(args, report):
        if args.props.get("skip"):
            args.not_applicable("skip is set")
        report(f"{args.name} is not skipped")

    async def later(args, report):
        if args.props.get("late"):
            report("late")

    def reads_unknown(args, report):
        if args.props.get("size") == 0:
            report("empty")

    def everything(args, report):
        if args.props.get("bad"):
            report("bad everywhere")

    policies = [ResourceValidationPolicy("by-props", "d1", by_props),
                ResourceValidationPolicy("remediate-only", "d2", remediate=lambda args: None),
                ResourceValidationPolicy("async", "d3", later),
                ResourceValidationPolicy("unknown", "d4", reads_unknown),
                ResourceValidationPolicy("everything", "d5", everything, EnforcementLevel.ADVISORY),
                resource_policy(name="other-type", description="d6", types=["test:b:B"],
                                check=lambda props, cfg, args: ["b" for _ in [1] if props.get("bad")],
                                level=EnforcementLevel.MANDATORY, severity=Severity.LOW, remediation="r", service="s")]
    for policy in policies[:4]:
        policy.applies_to = ("test:a:A",)
    return policies


def test_served_equals_stock_on_its_own_edge_cases():
    """Mixed types; a type seen again after its not-applicable answer was recorded must still run
    a policy whose answer depends on properties; levels including remediate and disabled."""
    from policy_fixtures import res

    unknown = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"  # pulumi_policy/proxy.py UNKNOWN_NUMBER_VALUE
    resources = [res("test:a:A", "one", {"skip": True}), res("test:b:B", "b1", {"bad": True}),
                 res("test:a:A", "two", {"late": True, "size": unknown}), res("test:a:A", "three", {"size": 0}),
                 res("test:c:C", "c", {"bad": True}), res("test:b:B", "b2", {}), res("test:a:A", "four", {"skip": True})]
    stack = Stack(resources)
    requests = [stack.analyze_request(r) for r in resources] * 2
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    ours = served.ServedServicer("edge", "0.0.1", _edge_pack(), served.EnforcementLevel.ADVISORY)
    for levels in ({}, {"by-props": pb.REMEDIATE, "async": pb.DISABLED, "everything": pb.MANDATORY,
                        "other-type": pb.DISABLED}):
        stock = _PolicyAnalyzerServicer("edge", "0.0.1", _edge_pack(), served.EnforcementLevel.ADVISORY)
        configure = pb.ConfigureAnalyzerRequest()
        for name, level in levels.items():
            configure.policyConfig[name].enforcementLevel = level
        stock.Configure(configure, None)
        ours.Configure(configure, None)  # the same servicer, configured again: its record starts afresh
        answers = [(stock.Analyze(r, None), ours.Analyze(r, None)) for r in requests]
        for request, (want, got) in zip(requests, answers):
            assert want == got, (levels, request.urn)
        assert any(w.diagnostics for w, _ in answers) and any(w.not_applicable for w, _ in answers)
        assert {d.policyName for w, _ in answers for d in w.diagnostics} >= {"by-props", "unknown", "everything"}


def test_served_equals_stock_with_stack_tags_and_levels(graphs):
    resources, config = graphs["marketing"]
    levels = {**config, "all": "advisory", "aws-provider-region-allowed": "disabled",
              "kms-key-rotation-enabled": "mandatory"}
    check(resources, levels, stack_tags={"owner": "marketing"}, label="levels")


def test_a_new_configure_starts_the_routing_afresh(graphs):
    """Analyze under one config, then Configure another (a policy disabled, levels changed): the
    answers must be the stock servicer's under the new config."""
    resources, config = graphs["marketing"]
    ours = pack_servicer()
    replies(ours, conversation(resources, config))
    calls = conversation(resources, {**config, "all": "advisory", "eventbridge-bus-has-archive": "disabled",
                                     "kms-key-rotation-enabled": "disabled", "s3-bucket-encrypted-with-cmk": "disabled"})
    assert_same_replies(calls, replies(new_servicer(), calls), replies(ours, calls), "reconfigured")


def test_concurrent_analyze_calls_give_the_stock_answers(graphs):
    """The gRPC server runs 4 worker threads; answers must not depend on interleaving."""
    resources, config = graphs["dev"]
    calls = conversation(resources, config)
    stock = replies(new_servicer(), calls)
    ours = pack_servicer()
    for method, request in calls[:3]:
        getattr(ours, method)(request, None)
    analyze = [(i, request) for i, (method, request) in enumerate(calls) if method == "Analyze"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda item: (item[0], ours.Analyze(item[1], None)), analyze))
    for i, response in got:
        assert response == stock[i], calls[i][1].urn


_REPLAYABLE = served._replayable


def _own_policies_only(self, request, _context):
    """Routing that forgets the other types' "not applicable" answers (what the offline check
    may do, the CLI's servicer may not)."""
    from policies.engine.dispatch import TypeDispatch
    enabled = [p for p in self._PolicyAnalyzerServicer__policies if self._analyze_level(p) is not None]
    return TypeDispatch(self, enabled).analyze_covered(request)[0]


@pytest.mark.parametrize("break_routing", [
    lambda mp: mp.setattr(served.ServedServicer, "Analyze", _own_policies_only),
    lambda mp: mp.setattr(served, "_replayable", lambda steps: list(reversed(_REPLAYABLE(steps)))),
], ids=["own-policies-only", "not-applicable-out-of-order"])
def test_the_comparison_notices_broken_routing(graphs, monkeypatch, break_routing):
    """Break the routing and the equality check must fail: it tells a wrong servicer from a right one."""
    resources, config = graphs["dev"]
    break_routing(monkeypatch)
    with pytest.raises(AssertionError):
        check(resources, config, label="broken")


def test_main_serves_answers_equal_to_stock_over_grpc(graphs):
    """Run policies/__main__.py as the CLI does (cwd=policies/), read the port it prints, hold the
    engine's conversation with it over gRPC and compare every answer with the stock servicer's."""
    resources, config = graphs["marketing"]
    calls = conversation(resources, config, stack_tags={"owner": "marketing"})
    stock = replies(new_servicer(), calls)
    proc = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=POLICIES_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    try:
        port = int(proc.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            ours = [getattr(stub, method)(request, timeout=60) for method, request in calls]
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert_same_replies(calls, stock, ours, "grpc")


def test_serving_mirrors_policy_pack():
    """engine.served.serve does what the pinned PolicyPack.__init__ does after building its servicer."""
    stock, ours = inspect.getsource(PolicyPack.__init__), inspect.getsource(served.serve)
    steps = ["futures.ThreadPoolExecutor(max_workers=4)", "options=_GRPC_CHANNEL_OPTIONS",
             "analyzer_pb2_grpc.add_AnalyzerServicer_to_server(", 'server.add_insecure_port(address="127.0.0.1:0")',
             "server.start()", 'sys.stdout.buffer.write(f"{port}\\n".encode())', "time.sleep(_ONE_DAY_IN_SECONDS)",
             "except KeyboardInterrupt:", "server.stop(0)"]
    for step in steps:
        assert step in stock, step
        assert step in ours, step
    assert [stock.index(s) for s in steps] == sorted(stock.index(s) for s in steps)
    assert [ours.index(s) for s in steps] == sorted(ours.index(s) for s in steps)
    assert 'version = "0.0.1"' in stock and "enforcement_level if enforcement_level is not None else EnforcementLevel.ADVISORY" in stock
    with pytest.raises(TypeError, match="Invalid policy pack name"):
        served.served_servicer("bad name!", [p for p in pack_servicer()._PolicyAnalyzerServicer__policies])
    with pytest.raises(TypeError, match="Missing policies"):
        served.served_servicer("ok", [])


def test_struct_to_dict_is_message_to_dict(graphs):
    values = [{}, {"a": None, "b": [1, 2.5, "x", [], {}], "c": {"d": {"e": [True, False, None]}}, "n": -0.0},
              {"big": 2 ** 53 + 1, "tiny": 1e-300, "s": "ü\u0000"}]
    structs = [struct(v) for v in values]
    for resources, _ in graphs.values():
        structs += [struct(r.get("inputs")) for r in resources] + [struct(outputs_of(r)) for r in resources]
    for s in structs:
        want, got = json_format.MessageToDict(s), struct_to_dict(s)
        assert got == want and list(got) == list(want) and repr(got) == repr(want)
    for bad in (float("inf"), float("-inf"), float("nan")):
        s = struct_pb2.Struct()
        s.update({"x": [{"y": bad}]})
        with pytest.raises(ValueError) as want:
            json_format.MessageToDict(s)
        with pytest.raises(ValueError) as got:
            struct_to_dict(s)
        assert str(got.value) == str(want.value)
