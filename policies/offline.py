"""Run the policy pack offline, the way the Pulumi engine drives it, without the CLI or a gRPC server.

``analyze(resources, config=...)`` talks to pulumi-policy's analyzer servicer (the object
``PolicyPack`` would serve over gRPC) with the engine's protobuf messages:

1. ``GetAnalyzerInfo`` - the policies, their default levels, config schemas and FSBP controls;
2. ``Configure`` - the config the CLI would send: every policy's default level and schema defaults,
   overlaid with the given config (same file format as ``--policy-pack-config``: an ``"all"``
   level, per-policy levels, per-policy properties), validated against the schemas;
3. ``Analyze`` once per registered resource, in registration order, with its *inputs*: like the
   engine's step generator this includes component resources and providers, not only custom
   resources (pulumi/pulumi pkg/resource/deploy/step_generator.go analyses every RegisterResource);
4. ``AnalyzeStack`` once with every resource's *outputs*, parent, dependencies and provider.

Input: one plain dict per resource, as the project's recording mocks produce::

    {"urn": str, "type": str, "name": str, "custom": bool, "parent": urn | None,
     "provider": "<provider urn>::<provider id>" | "", "inputs": {...camelCase...},
     "outputs": {...}, "protect": bool, "retain_on_delete": bool, "dependencies": [urn, ...],
     "property_dependencies": {prop: [urn, ...]}   # optional}

``outputs`` defaults to ``inputs`` when absent; providers' outputs are their inputs (as in engine state).

Three ways to drive it, same report: ``dispatch=False`` - pulumi-policy's stock servicer, as
``PolicyPack`` would serve it; ``served=True`` - the servicer ``policies/__main__.py`` serves to the
CLI (``engine.served``, same responses as stock); default - routed: each resource only to its
type's policies and one Configure shared by all servicers (``engine.dispatch``), the fastest.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping, Optional

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb

from .engine.config import PolicyConfigError, reconcile_config
from .engine.dispatch import PACK_VERSION, TypeDispatch, new_servicer, pack_servicer, shared_servicer
from .engine.report import LEVEL_CODES, LEVELS, PolicyMeta, Report, Violation, policy_metas
from .engine.requests import Stack, struct, urn_name, urn_type
from .pack import ALL_POLICIES

__all__ = ["LEVELS", "PACK_VERSION", "PolicyConfigError", "PolicyMeta", "Report", "Violation", "analyze",
           "configure_request", "load_resources", "new_servicer", "pack_servicer", "reconcile_config"]


_INFO: dict[tuple[int, ...], pb.AnalyzerInfo] = {}


def _pack_info(servicer) -> pb.AnalyzerInfo:
    """GetAnalyzerInfo, once per process for a given set of policy objects (the answer depends on
    nothing else: names, levels, schemas and controls are fixed when the pack is built)."""
    key = tuple(id(p) for p in servicer._PolicyAnalyzerServicer__policies)
    if key not in _INFO:
        _INFO[key] = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    return _INFO[key]


def configure_request(info: pb.AnalyzerInfo, config: Optional[Mapping[str, Any]]
                      ) -> tuple[pb.ConfigureAnalyzerRequest, dict[str, str]]:
    """The Configure request the CLI would send for `config` (reconciled with the pack's defaults and
    validated), and each policy's effective level."""
    reconciled = reconcile_config(info, config)
    configure = pb.ConfigureAnalyzerRequest()
    for name, (level, props) in reconciled.items():
        entry = configure.policyConfig[name]  # filled in place: one message per policy, not two
        entry.enforcementLevel = LEVEL_CODES[level]
        if props:
            entry.properties.CopyFrom(struct(props))
        else:
            entry.properties.SetInParent()  # present but empty, as PolicyConfig(properties=Struct()) sets it
    return configure, {k: level for k, (level, _) in reconciled.items()}


def _configure(servicer, config: Optional[Mapping[str, Any]]) -> tuple[pb.ConfigureAnalyzerRequest, dict]:
    """GetAnalyzerInfo then Configure, as the CLI does: (the request sent, {policy: meta})."""
    info = _pack_info(servicer)
    configure, levels = configure_request(info, config)
    servicer.Configure(configure, None)
    return configure, policy_metas(info, levels)


class _Collector:
    """Turns analyzer responses into violations and records which policies were applicable."""

    def __init__(self, stack: Stack, metas: Mapping[str, PolicyMeta]):
        self.stack, self.metas = stack, metas
        self.violations: list[Violation] = []
        self.applicable: set[str] = set()
        self.enabled: dict[str, set[str]] = defaultdict(set)
        for name, meta in metas.items():
            if meta.level != "disabled":
                self.enabled[meta.kind].add(name)

    def collect(self, response: pb.AnalyzeResponse, default_urn: Optional[str], kind: str,
                covered: Optional[set[str]] = None) -> None:
        """covered: the policies this response speaks for (default: every enabled one of `kind`)."""
        not_applicable = {n.policy_name for n in response.not_applicable}
        self.applicable.update((self.enabled[kind] if covered is None else covered) - not_applicable)
        for d in response.diagnostics:
            urn = default_urn if default_urn is not None else d.urn
            r = self.stack.by_urn.get(urn, {})
            meta = self.metas.get(d.policyName)
            prefix = d.description + "\n"
            message = d.message[len(prefix):] if d.message.startswith(prefix) else d.message
            self.violations.append(Violation(
                policy=d.policyName, level=LEVELS[d.enforcementLevel], urn=urn,
                name=urn_name(urn) if urn else "", type=r.get("type", urn_type(urn) if urn else ""),
                message=message, control=meta.control if meta else "", severity=meta.severity if meta else ""))


def _routed_stack_policies(stack: Stack, configured, out: _Collector) -> None:
    """Every enabled stack policy over one conversion of the stack (see engine.shared_stack), with
    the configuration `configured` received: the stock servicer would convert every resource once
    per stack policy."""
    policies = [p for p in ALL_POLICIES if p.name in out.enabled["stack"]]
    shared = shared_servicer(policies, configured)
    out.collect(shared.AnalyzeStack(stack.stack_request(), None), None, "stack", {p.name for p in policies})


def analyze(resources: Iterable[Mapping[str, Any]], *, config: Optional[Mapping[str, Any]] = None,
            stack_tags: Optional[Mapping[str, str]] = None, dispatch: bool = True, served: bool = False,
            timings: Optional[dict[str, float]] = None) -> Report:
    """Drive the pack over a recorded stack; see the module docstring for the input format.
    dispatch: route each resource to the policies of its type (same results, faster; see
    `engine.dispatch.TypeDispatch`); False drives the single stock servicer exactly as the engine does.
    served: drive the servicer policies/__main__.py serves to the CLI (engine.served), exactly as the
    engine does (implies no offline routing)."""
    stack = Stack(list(resources))
    servicer = pack_servicer() if served else new_servicer()
    _, metas = _configure(servicer, config)
    if stack_tags:
        servicer.ConfigureStack(pb.AnalyzerStackConfigureRequest(tags=dict(stack_tags)), None)
    out = _Collector(stack, metas)
    routed = dispatch and not served and not stack_tags
    analyze_one: Callable[[pb.AnalyzeRequest], tuple[pb.AnalyzeResponse, Optional[set[str]]]]
    if routed:
        resource_policies = [p for p in ALL_POLICIES if p.name in out.enabled["resource"]]
        analyze_one = TypeDispatch(servicer, resource_policies).analyze_covered
    else:
        analyze_one = lambda request: (servicer.Analyze(request, None), None)  # noqa: E731
    started = time.perf_counter()
    for r in stack.resources:
        # The engine reports every Analyze diagnostic against the analysed resource's URN.
        response, covered = analyze_one(stack.analyze_request(r))
        out.collect(response, r["urn"], "resource", covered)
    middle = time.perf_counter()
    if routed:
        _routed_stack_policies(stack, servicer, out)
    else:
        out.collect(servicer.AnalyzeStack(stack.stack_request(), None), None, "stack")
    if timings is not None:
        timings["resource_policies_s"] = middle - started
        timings["stack_policies_s"] = time.perf_counter() - middle
    return Report(violations=out.violations, policies=dict(metas), applicable=out.applicable)


def load_resources(path: str) -> list[dict]:
    """A JSON file holding the resource list, or an object with a "resources" list."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["resources"] if isinstance(data, dict) else data
