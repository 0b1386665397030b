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
"""
from __future__ import annotations

import copy
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.policy import _PolicyAnalyzerServicer

from .pack import ALL_POLICIES, DEFAULT_ENFORCEMENT_LEVEL, PACK_DESCRIPTION, PACK_NAME
from .rules._base import type_matches

LEVELS = {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.REMEDIATE: "remediate", pb.DISABLED: "disabled"}
LEVEL_CODES = {v: k for k, v in LEVELS.items()}
LEVEL_ORDER = ("mandatory", "remediate", "advisory")
PACK_VERSION = "0.0.1"  # what PolicyPack reports; the CLI takes the real version from PulumiPolicy.yaml


class PolicyConfigError(ValueError):
    """The policy config is invalid (unknown level or a value the policy's schema rejects)."""


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    level: str  # effective level after config
    default_level: str
    kind: str  # "resource" | "stack"
    control: str
    severity: str
    remediation: str
    service: str


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    name: str
    type: str
    message: str
    control: str
    severity: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Report:
    violations: list[Violation]
    policies: dict[str, PolicyMeta]
    applicable: set[str] = field(default_factory=set)  # policies evaluated on at least one resource/stack

    def by_level(self) -> dict[str, list[Violation]]:
        grouped: dict[str, list[Violation]] = {level: [] for level in LEVEL_ORDER}
        for v in self.violations:
            grouped.setdefault(v.level, []).append(v)
        return grouped

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations if v.level in ("mandatory", "remediate"))

    @property
    def advisory(self) -> int:
        return sum(1 for v in self.violations if v.level == "advisory")

    def for_policy(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == name]

    def format(self) -> str:
        lines = []
        for level, items in self.by_level().items():
            if not items:
                continue
            lines.append(f"{level.upper()} ({len(items)})")
            for v in sorted(items, key=lambda v: (v.policy, v.urn)):
                control = f" [{v.control}]" if v.control else ""
                target = f"{v.type} {v.name}" if v.urn else "stack"
                lines.append(f"  {v.policy}{control} - {target}")
                lines.append(f"      {v.message}")
        lines.append(f"{self.mandatory} mandatory, {self.advisory} advisory violation(s) "
                     f"from {len(self.policies)} policies of {PACK_NAME}.")
        return "\n".join(lines)

    def compliance_summary(self) -> list[dict[str, str]]:
        """Per policy: enforced level, control id and pass / fail / not-applicable (no resource of
        its types) / disabled."""
        failed = {v.policy for v in self.violations}
        rows = []
        for name, meta in self.policies.items():
            if meta.level == "disabled":
                status = "disabled"
            elif name in failed:
                status = "fail"
            elif name in self.applicable:
                status = "pass"
            else:
                status = "not-applicable"
            rows.append({"policy": name, "level": meta.level, "control": meta.control, "status": status})
        return rows

    def format_summary(self) -> str:
        rows = self.compliance_summary()
        width = max(len(r["policy"]) for r in rows)
        return "\n".join(f"{r['policy']:<{width}}  {r['level']:<9}  {r['control'] or '-':<13}  {r['status']}"
                         for r in rows)


# --- config ---------------------------------------------------------------------------------------

def _parse_config(config: Optional[Mapping[str, Any]]) -> dict[str, tuple[Optional[str], dict]]:
    """The CLI's policy-pack-config format -> {policy: (level or None, properties)}."""
    parsed: dict[str, tuple[Optional[str], dict]] = {}
    for key, value in (config or {}).items():
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
        else:
            raise PolicyConfigError(f"{key}: {value!r} is not a valid value; must be a string or object")
        if level is not None and level not in LEVEL_CODES:
            raise PolicyConfigError(f"{key}: {level!r} is not a valid enforcement level")
        parsed[key] = (level, props)
    return parsed


def reconcile_config(info: pb.AnalyzerInfo, config: Optional[Mapping[str, Any]]) -> dict[str, tuple[str, dict]]:
    """Defaults from each policy's level and schema, then "all", then per-policy values; validated."""
    from google.protobuf import json_format

    result: dict[str, tuple[str, dict]] = {}
    schemas: dict[str, dict] = {}
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        schemas[p.name] = {"properties": schema, "required": list(p.configSchema.required)}
        defaults = {k: copy.deepcopy(v["default"]) for k, v in schema.items() if "default" in v}
        result[p.name] = (LEVELS[p.enforcementLevel], defaults)

    given = _parse_config(config)
    unknown = sorted(set(given) - set(result) - {"all"})
    if unknown:
        raise PolicyConfigError(f"unknown policies in config: {', '.join(unknown)}")
    all_level = given.get("all", (None, {}))[0]
    if all_level:
        result = {k: (all_level, v) for k, (_, v) in result.items()}
    for name, (level, props) in given.items():
        if name == "all":
            continue
        old_level, old_props = result[name]
        result[name] = (level or old_level, {**old_props, **props})

    errors = []
    for name, (_, props) in result.items():
        errors += [f"{name}: {e}" for e in _validate(schemas[name], props)]
    if errors:
        raise PolicyConfigError("; ".join(errors))
    return result


def _validate(schema: dict, props: dict) -> list[str]:
    if not schema["properties"]:
        return []
    json_schema = {"type": "object", "properties": schema["properties"]}
    if schema["required"]:
        json_schema["required"] = schema["required"]
    try:
        import jsonschema
    except ImportError:  # the CLI validates with gojsonschema; offline, best effort
        return []
    validator = jsonschema.Draft7Validator(json_schema)
    return [f"{'.'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in validator.iter_errors(props)]


# --- requests -------------------------------------------------------------------------------------

def _struct(value: Optional[Mapping[str, Any]]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(json.loads(json.dumps(value or {})))
    return s


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _urn_type(urn: str) -> str:
    return urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1] if urn.count("::") >= 3 else ""


def _provider_urn(ref: str) -> str:
    """'<urn>::<id>' -> '<urn>' (the engine's provider reference format)."""
    return ref.rsplit("::", 1)[0] if ref else ""


def _outputs(r: Mapping[str, Any]) -> Mapping[str, Any]:
    if r["type"].startswith("pulumi:providers:"):
        return {**(r.get("inputs") or {}), **(r.get("outputs") or {})}
    return r["outputs"] if r.get("outputs") is not None else (r.get("inputs") or {})


class _Stack:
    def __init__(self, resources: Sequence[Mapping[str, Any]]):
        self.resources = list(resources)
        self.by_urn = {r["urn"]: r for r in self.resources}
        # Messages are immutable once built: each provider and each stack item is built once.
        self._providers: dict[str, pb.AnalyzerProviderResource] = {}
        self._items: dict[str, pb.AnalyzerResource] = {}

    def provider(self, r: Mapping[str, Any]) -> Optional[pb.AnalyzerProviderResource]:
        urn = _provider_urn(r.get("provider") or "")
        if not urn:
            return None
        if urn not in self._providers:
            prov = self.by_urn.get(urn)
            self._providers[urn] = pb.AnalyzerProviderResource(
                type=prov["type"] if prov else _urn_type(urn), urn=urn, name=_urn_name(urn),
                properties=_struct(prov.get("inputs") if prov else {}))
        return self._providers[urn]

    def options(self, r: Mapping[str, Any], with_parent: bool) -> pb.AnalyzerResourceOptions:
        opts = pb.AnalyzerResourceOptions(protect=bool(r.get("protect")),
                                          ignoreChanges=list(r.get("ignore_changes") or []))
        if with_parent and r.get("parent"):
            opts.parent = r["parent"]
        return opts

    def analyze_request(self, r: Mapping[str, Any]) -> pb.AnalyzeRequest:
        req = pb.AnalyzeRequest(type=r["type"], urn=r["urn"], name=_urn_name(r["urn"]),
                                properties=_struct(r.get("inputs")), options=self.options(r, True))
        provider = self.provider(r)
        if provider is not None:
            req.provider.CopyFrom(provider)
        return req

    def stack_request(self, resources: Optional[Sequence[Mapping[str, Any]]] = None) -> pb.AnalyzeStackRequest:
        req = pb.AnalyzeStackRequest()
        req.resources.extend(self._stack_item(r) for r in (self.resources if resources is None else resources))
        return req

    def _stack_item(self, r: Mapping[str, Any]) -> pb.AnalyzerResource:
        """One resource as AnalyzeStack sees it; built once per resource and reused by every request."""
        cache = self._items
        if r["urn"] not in cache:
            item = pb.AnalyzerResource(type=r["type"], urn=r["urn"], name=_urn_name(r["urn"]),
                                       properties=_struct(_outputs(r)), options=self.options(r, False),
                                       parent=r.get("parent") or "", dependencies=list(r.get("dependencies") or []))
            for prop, urns in (r.get("property_dependencies") or r.get("propertyDependencies") or {}).items():
                item.propertyDependencies[prop].urns.extend(urns)
            provider = self.provider(r)
            if provider is not None:
                item.provider.CopyFrom(provider)
            cache[r["urn"]] = item
        return cache[r["urn"]]


# --- entry point ----------------------------------------------------------------------------------

def new_servicer(policies: Optional[Sequence[Any]] = None) -> _PolicyAnalyzerServicer:
    """The analyzer PolicyPack(...) serves, built with the same arguments as policies/__main__.py."""
    return _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, list(ALL_POLICIES if policies is None else policies),
                                   DEFAULT_ENFORCEMENT_LEVEL, None, PACK_DESCRIPTION, None, None, "aws", None, None)


def _applies(policy: Any, resource_type: str) -> bool:
    types = getattr(policy, "applies_to", None)
    return types is None or resource_type in types


class _TypeDispatch:
    """Per resource type, a servicer holding only the resource policies for that type.

    pulumi-policy's servicer converts a request's properties and provider anew for every policy
    it holds (~90 here), which dominates evaluation time. A policy of another type would only
    answer "not applicable", so the outcome is the same when each type's requests go to a
    servicer with just its policies and the rest are recorded as not applicable here. The
    engine's own run (`pulumi preview --policy-pack`) uses the stock servicer:
    `analyze(..., dispatch=False)` reproduces it exactly, and a test holds the two equal."""

    def __init__(self, configure: pb.ConfigureAnalyzerRequest, resource_policies: Sequence[Any]):
        self.configure = configure
        self.policies = resource_policies
        self.servicers: dict[str, tuple[Optional[_PolicyAnalyzerServicer], list[str]]] = {}

    def analyze(self, request: pb.AnalyzeRequest) -> pb.AnalyzeResponse:
        if request.type not in self.servicers:
            mine = [p for p in self.policies if _applies(p, request.type)]
            servicer = new_servicer(mine) if mine else None
            if servicer is not None:
                sub = pb.ConfigureAnalyzerRequest()
                for p in mine:
                    if p.name in self.configure.policyConfig:
                        sub.policyConfig[p.name].CopyFrom(self.configure.policyConfig[p.name])
                servicer.Configure(sub, None)
            others = [p.name for p in self.policies if not _applies(p, request.type)]
            self.servicers[request.type] = (servicer, others)
        servicer, others = self.servicers[request.type]
        response = servicer.Analyze(request, None) if servicer is not None else pb.AnalyzeResponse()
        for name in others:
            response.not_applicable.append(pb.PolicyNotApplicable(policy_name=name, reason="other resource type"))
        return response


def _policy_metas(info: pb.AnalyzerInfo, levels: Mapping[str, str]) -> dict[str, PolicyMeta]:
    severities = {pb.POLICY_SEVERITY_LOW: "low", pb.POLICY_SEVERITY_MEDIUM: "medium",
                  pb.POLICY_SEVERITY_HIGH: "high", pb.POLICY_SEVERITY_CRITICAL: "critical"}
    return {p.name: PolicyMeta(
        name=p.name, description=p.description, level=levels[p.name],
        default_level=LEVELS[p.enforcementLevel],
        kind="stack" if p.policy_type == pb.POLICY_TYPE_STACK else "resource",
        control=p.framework.reference, severity=severities.get(p.severity, ""),
        remediation=p.remediation_steps, service=p.tags[0] if p.tags else "") for p in info.policies}


def analyze(resources: Iterable[Mapping[str, Any]], *, config: Optional[Mapping[str, Any]] = None,
            stack_tags: Optional[Mapping[str, str]] = None, dispatch: bool = True,
            timings: Optional[dict[str, float]] = None) -> Report:
    """Drive the pack over a recorded stack; see the module docstring for the input format.
    dispatch: route each resource to the policies of its type (same results, faster; see
    `_TypeDispatch`); False drives the single stock servicer exactly as the engine does."""
    stack = _Stack(list(resources))
    servicer = new_servicer()
    info = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    reconciled = reconcile_config(info, config)
    configure = pb.ConfigureAnalyzerRequest()
    for name, (level, props) in reconciled.items():
        configure.policyConfig[name].CopyFrom(pb.PolicyConfig(enforcementLevel=LEVEL_CODES[level],
                                                              properties=_struct(props)))
    servicer.Configure(configure, None)
    if stack_tags:
        servicer.ConfigureStack(pb.AnalyzerStackConfigureRequest(tags=dict(stack_tags)), None)

    metas = _policy_metas(info, {k: level for k, (level, _) in reconciled.items()})
    violations: list[Violation] = []
    applicable: set[str] = set()
    by_kind = defaultdict(set)
    for name, meta in metas.items():
        if meta.level != "disabled":
            by_kind[meta.kind].add(name)

    def collect(response: pb.AnalyzeResponse, default_urn: Optional[str], kind: str,
                covered: Optional[set[str]] = None) -> None:
        """covered: the policies this response speaks for (default: every enabled one of `kind`)."""
        not_applicable = {n.policy_name for n in response.not_applicable}
        applicable.update((by_kind[kind] if covered is None else covered) - not_applicable)
        for d in response.diagnostics:
            urn = default_urn if default_urn is not None else d.urn
            r = stack.by_urn.get(urn, {})
            meta = metas.get(d.policyName)
            prefix = d.description + "\n"
            message = d.message[len(prefix):] if d.message.startswith(prefix) else d.message
            violations.append(Violation(
                policy=d.policyName, level=LEVELS[d.enforcementLevel], urn=urn,
                name=_urn_name(urn) if urn else "", type=r.get("type", _urn_type(urn) if urn else ""),
                message=message, control=meta.control if meta else "", severity=meta.severity if meta else ""))

    if dispatch and not stack_tags:
        enabled = {n for n in by_kind["resource"]}
        router = _TypeDispatch(configure, [p for p in ALL_POLICIES if p.name in enabled
                                           and metas[p.name].kind == "resource"])
        analyze_one = router.analyze
    else:
        analyze_one = lambda request: servicer.Analyze(request, None)  # noqa: E731
    started = time.perf_counter()
    for r in stack.resources:
        # The engine reports every Analyze diagnostic against the analysed resource's URN.
        collect(analyze_one(stack.analyze_request(r)), r["urn"], "resource")
    middle = time.perf_counter()
    if dispatch and not stack_tags:
        # pulumi-policy converts every resource of the request once per stack policy: hand each
        # stack policy only the types it declares it reads (see rules/_base.stack_policy).
        for policy in ALL_POLICIES:
            if policy.name not in by_kind["stack"]:
                continue
            reads = getattr(policy, "reads", None)
            subset = stack.resources if reads is None else [r for r in stack.resources
                                                             if type_matches(r["type"], reads)]
            one = new_servicer([policy])
            sub = pb.ConfigureAnalyzerRequest()
            sub.policyConfig[policy.name].CopyFrom(configure.policyConfig[policy.name])
            one.Configure(sub, None)
            collect(one.AnalyzeStack(stack.stack_request(subset), None), None, "stack", {policy.name})
    else:
        collect(servicer.AnalyzeStack(stack.stack_request(), None), None, "stack")
    if timings is not None:
        timings["resource_policies_s"] = middle - started
        timings["stack_policies_s"] = time.perf_counter() - middle
    return Report(violations=violations, policies=metas, applicable=applicable)


def load_resources(path: str) -> list[dict]:
    """A JSON file holding the resource list, or an object with a "resources" list."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["resources"] if isinstance(data, dict) else data
