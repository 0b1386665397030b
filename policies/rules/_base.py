"""Shared building blocks for the rules: policy constructors, property and IAM-document helpers.

Properties reach a policy as the engine sends them: camelCase keys, nested objects as read-only
Mappings/Sequences (pulumi-policy's unknown-checking proxies), numbers as floats, JSON documents
(IAM policies, container definitions, provider settings) as strings.
"""
from __future__ import annotations

import functools

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterable, Optional, Tuple

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

FSBP_NAME = "aws-foundational-security-best-practices"
FSBP_VERSION = "1.0.0"
SECURITY_HUB_NAME = "aws-security-hub"  # a Security Hub control outside FSBP (CIS / NIST 800-53 only)
ORG_NAME = "ddp-org-blueprint"  # the org's own requirement, no AWS control

ResourceCheck = Callable[[Mapping, Mapping, ResourceValidationArgs], Iterable[str]]
StackCheck = Callable[[list, Mapping], Iterable[Tuple[str, Optional[str]]]]


def framework(control: Optional[str], securityhub: Optional[str] = None) -> PolicyComplianceFramework:
    """FSBP with its control id; else the Security Hub control (CIS/NIST only, never labelled FSBP);
    else the org blueprint itself."""
    if control:
        return PolicyComplianceFramework(
            name=FSBP_NAME, version=FSBP_VERSION, reference=control,
            specification=f"https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html ({control})")
    if securityhub:
        service = securityhub.split(".")[0].lower()
        return PolicyComplianceFramework(
            name=SECURITY_HUB_NAME, reference=securityhub,
            specification=f"https://docs.aws.amazon.com/securityhub/latest/userguide/{service}-controls.html")
    return PolicyComplianceFramework(name=ORG_NAME, version="1", reference=None,
                                     specification="policies/README.md")


def _schema(config: Optional[Mapping[str, dict]]) -> Optional[PolicyConfigSchema]:
    return PolicyConfigSchema(properties=dict(config)) if config else None


def config_value(cfg: Mapping, config: Optional[Mapping[str, dict]], key: str) -> Any:
    """A parameter from the reconciled config, falling back to the schema default.

    The CLI fills schema defaults in before Configure; a bare analyzer (no Configure) sends nothing,
    so the same default applies either way."""
    value = cfg[key] if key in cfg else (config or {})[key].get("default")
    return whole(value)


def resource_policy(*, name: str, description: str, types: Sequence[str], check: ResourceCheck,
                    level: EnforcementLevel, severity: Severity, remediation: str,
                    control: Optional[str] = None, securityhub: Optional[str] = None, service: str,
                    config: Optional[Mapping[str, dict]] = None) -> ResourceValidationPolicy:
    """A resource policy for the given type tokens; other types are reported not-applicable.

    ``check(props, cfg, args)`` yields one message per violation; cfg has schema defaults filled in."""
    type_set = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation) -> None:
        if args.resource_type not in type_set:
            args.not_applicable(f"applies to {', '.join(sorted(type_set))}")
            return
        cfg = {k: config_value(args.get_config(), config, k) for k in (config or {})}
        for message in check(args.props, cfg, args):
            report_violation(message)

    policy = ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        config_schema=_schema(config), severity=severity, framework=framework(control, securityhub),
        tags=[service], remediation_steps=remediation)
    policy.applies_to = tuple(sorted(type_set))  # type: ignore[attr-defined]  # docs only
    return policy


def type_matches(resource_type: str, patterns: Sequence[str]) -> bool:
    """Exact type tokens, or prefixes ending in ':' or '/' (e.g. 'aws:', 'aws:s3/')."""
    return _type_matches(resource_type, tuple(patterns))


@functools.lru_cache(maxsize=8192)
def _type_matches(resource_type: str, patterns: tuple[str, ...]) -> bool:
    # Every stack policy asks this of every resource on every run: a few hundred distinct answers.
    return any(resource_type == t or (t[-1:] in (":", "/") and resource_type.startswith(t)) for t in patterns)


def stack_policy(*, name: str, description: str, applies_to: Sequence[str], check: StackCheck,
                 level: EnforcementLevel, severity: Severity, remediation: str,
                 control: Optional[str] = None, securityhub: Optional[str] = None, service: str,
                 config: Optional[Mapping[str, dict]] = None, reads: Sequence[str] = ()) -> StackValidationPolicy:
    """A stack policy; not-applicable when the stack holds no resource of ``applies_to``
    (a type token, or a prefix ending in ':' such as 'aws:').

    ``reads``: the other types ``check`` looks at (besides ``applies_to`` and providers): the
    rule's declared inputs. tests/policies/test_policy_pack.py hands each stack rule only those
    types on every fixture and holds its results equal to the whole stack's.
    ``check(resources, cfg)`` yields (message, urn-or-None)."""
    applies = tuple(applies_to)

    def matches(resource_type: str) -> bool:
        return _type_matches(resource_type, applies)

    def validate(args: StackValidationArgs, report_violation) -> None:
        if not any(matches(r.resource_type) for r in args.resources):
            args.not_applicable(f"no {', '.join(applies_to)} in the stack")
            return
        cfg = {k: config_value(args.get_config(), config, k) for k in (config or {})}
        for message, urn in check(args.resources, cfg):
            report_violation(message, urn)

    policy = StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        config_schema=_schema(config), severity=severity, framework=framework(control, securityhub),
        tags=[service], remediation_steps=remediation)
    policy.applies_to = tuple(applies_to)  # type: ignore[attr-defined]
    policy.reads = tuple(applies_to) + tuple(reads) + ("pulumi:providers:",)  # type: ignore[attr-defined]
    return policy


# --- property helpers -------------------------------------------------------------------------

def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(props: Any, *path: Any, default: Any = None) -> Any:
    """props[a][b]... or default when any step is missing/None (unknowns still raise)."""
    cur = props
    for key in path:
        if isinstance(key, int):
            if not is_list(cur) or key >= len(cur):
                return default
        elif not is_map(cur) or key not in cur:
            return default
        cur = cur[key]
        if cur is None:
            return default
    return cur


def safe_get(props: Any, *path: Any, default: Any = None) -> Any:
    """Like get, but an unknown (preview) value reads as default: for stack-wide correlation."""
    try:
        return get(props, *path, default=default)
    except UnknownValueError:
        return default


class _Unknown:
    """A value the engine does not know yet (first preview): wired from another resource's output."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def peek(props: Any, *path: Any, default: Any = None) -> Any:
    """Like get, but an unknown (preview) value reads as UNKNOWN instead of raising: for checks that
    can decide without it (a wired key ARN is "set"; an unknown flag is judged at update)."""
    try:
        return get(props, *path, default=default)
    except UnknownValueError:
        return UNKNOWN


def shown(props: Any, *path: Any, default: str = "?") -> str:
    """A value for a message only: never lets an unknown value turn a violation into a preview advisory."""
    value = peek(props, *path)
    if value is UNKNOWN:
        return "(known after apply)"
    return default if value is None else str(whole(value))


def known_items(value: Any) -> list:
    """The known elements of a list property (an unknown element or list yields nothing to judge)."""
    if value is UNKNOWN or value is None:
        return []
    items = []
    try:
        for i in range(len(value) if is_list(value) else 0):
            try:
                items.append(value[i])
            except UnknownValueError:
                continue
    except UnknownValueError:
        return []
    return items if is_list(value) else [value]


AWS_MANAGED_KEY = re.compile(r"(^|:)alias/aws/")


def is_aws_managed_key(value: Any) -> bool:
    """'alias/aws/<service>' or its ARN: the AWS managed key, which key policies cannot restrict."""
    return isinstance(value, str) and bool(AWS_MANAGED_KEY.search(value.strip()))


def cmk_problem(value: Any, prop: str) -> Optional[str]:
    """Why ``value`` (the key property ``prop``) is not a customer managed key, or None.

    An unknown value is wired from another resource's output (a key the program creates): it
    counts as set. AWS managed keys can only be named literally, so they are always known."""
    if value is UNKNOWN:
        return None
    if value is None or value == "":
        return f"{prop} is not set (AWS owned or AWS managed key); set a customer managed key"
    if is_aws_managed_key(value):
        return f"{prop} is the AWS managed key '{value}'; use a customer managed key"
    return None


def known_copy(value: Any) -> Any:
    """A plain copy of a property with its unknown (preview) parts left out: judge what is known."""
    try:
        if is_map(value):
            out = {}
            for k in list(value.keys()):
                try:
                    out[k] = known_copy(value[k])
                except UnknownValueError:
                    continue
            return out
        if is_list(value):
            out_list = []
            for i in range(len(value)):
                try:
                    out_list.append(known_copy(value[i]))
                except UnknownValueError:
                    continue
            return out_list
    except UnknownValueError:
        return None
    return value


def as_list(value: Any) -> list:
    if value is None:
        return []
    if is_list(value):
        return list(value)
    return [value]


def as_json(value: Any) -> Any:
    """A JSON document given either as a string (how pulumi-aws sends policies and provider
    settings) or already as an object."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def truthy(value: Any) -> bool:
    """Booleans arrive as bools, but provider settings arrive JSON-encoded ("true")."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def whole(value: Any) -> Any:
    """Numbers cross the analyzer protocol as floats; show 443.0 as 443."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def number(value: Any) -> Optional[float]:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


# --- stack helpers ----------------------------------------------------------------------------

def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def of_type(resources: Iterable, *types: str) -> list:
    return [r for r in resources if r.resource_type in types]


def resource_keys(resource: Any, *props: str) -> set[str]:
    """Strings another resource may use to reference this one: its urn, its name and the given
    output properties (id, name, arn, ...) when known."""
    keys = {resource.urn, resource.name}
    for prop in props:
        value = safe_get(resource.props, prop)
        if isinstance(value, str) and value:
            keys.add(value)
    return keys


def references(resource: Any, prop: str) -> set[str]:
    """What ``resource.prop`` points at: its known value plus the urns the engine recorded as that
    property's dependencies (the value itself is unknown during a first preview)."""
    refs: set[str] = set()
    for value in as_list(safe_get(resource.props, prop)):
        if isinstance(value, str) and value:
            refs.add(value)
    for dep in (resource.property_dependencies or {}).get(prop, []):
        refs.add(dep.urn)
    return refs


def provider_props(resource: Any) -> Mapping:
    provider = getattr(resource, "provider", None)
    return provider.props if provider is not None and provider.props is not None else {}
