"""What a check found: violations by policy and level, and a per-policy compliance summary."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from pulumi.runtime.proto import analyzer_pb2 as pb

from ..pack import PACK_NAME

LEVELS = {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.REMEDIATE: "remediate", pb.DISABLED: "disabled"}
LEVEL_CODES = {v: k for k, v in LEVELS.items()}
LEVEL_ORDER = ("mandatory", "remediate", "advisory")
PACK_VERSION = "0.0.1"  # what PolicyPack reports; the CLI takes the real version from PulumiPolicy.yaml


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



_METAS: dict[int, tuple[pb.AnalyzerInfo, dict[str, PolicyMeta]]] = {}


def _default_metas(info: pb.AnalyzerInfo) -> dict[str, PolicyMeta]:
    """Every policy's meta at its default level, once per info message (metas are immutable)."""
    cached = _METAS.get(id(info))
    if cached is None or cached[0] is not info:  # the entry keeps its info alive: ids stay unique
        if len(_METAS) > 16:
            _METAS.clear()
        severities = {pb.POLICY_SEVERITY_LOW: "low", pb.POLICY_SEVERITY_MEDIUM: "medium",
                      pb.POLICY_SEVERITY_HIGH: "high", pb.POLICY_SEVERITY_CRITICAL: "critical"}
        cached = _METAS[id(info)] = (info, {p.name: PolicyMeta(
            name=p.name, description=p.description, level=LEVELS[p.enforcementLevel],
            default_level=LEVELS[p.enforcementLevel],
            kind="stack" if p.policy_type == pb.POLICY_TYPE_STACK else "resource",
            control=p.framework.reference, severity=severities.get(p.severity, ""),
            remediation=p.remediation_steps, service=p.tags[0] if p.tags else "") for p in info.policies})
    return cached[1]


def policy_metas(info: pb.AnalyzerInfo, levels: Mapping[str, str]) -> dict[str, PolicyMeta]:
    """Each policy's meta at its effective level."""
    return {name: meta if meta.level == levels[name] else replace(meta, level=levels[name])
            for name, meta in _default_metas(info).items()}
