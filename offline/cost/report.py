"""The cost report of an offline run: the estimate, DR against primary and the switches' savings,
as text (`render`) or JSON (`CostReport.as_json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from offline.cost.dr import DrComparison, dr_comparison, dr_pair
from offline.cost.estimator import Estimate, Line, UsageProfile, estimate
from offline.cost.prices import HOURS_PER_MONTH
from offline.cost.switches import SwitchResult, switch_savings
from offline.mocks import Record, decoded_provider_inputs

# The pilot light's target: DR's fixed cost under this share of the primary's.
PILOT_LIGHT_SHARE = 0.10


@dataclass
class CostReport:
    """Everything `python -m offline.cost` prints for one stack."""
    estimate: Estimate
    switches: list[SwitchResult] = field(default_factory=list)
    dr: Optional[DrComparison] = None
    dr_error: Optional[str] = None

    def as_json(self) -> dict[str, Any]:
        return {**self.estimate.as_json(), "switches": [switch.as_json() for switch in self.switches],
                "dr": self.dr.as_json() if self.dr else None, "drError": self.dr_error}


def build_report(run, *, usage: Optional[UsageProfile] = None, usage_name: Optional[str] = None,
                 stack_outputs: Optional[dict[str, dict[str, Any]]] = None, switches: bool = True) -> CostReport:
    """The whole report for an offline run: estimate, DR against primary, and the switches' savings."""
    region = run.config.get("aws:region") or _first_provider_region(run.records) or "us-east-1"
    priced = estimate(run.records, stack=run.stack, region=region, usage=usage, usage_name=usage_name)
    report = CostReport(priced)
    primary, dr = dr_pair(run)
    try:
        if primary and dr:
            primary_estimate = priced if primary == run.stack else shipped_estimate(primary)
            dr_estimate = priced if dr == run.stack else shipped_estimate(dr)
            report.dr = dr_comparison(primary_estimate, dr_estimate)
        elif primary:
            report.dr = dr_comparison(priced, None)
    except Exception as exc:  # noqa: BLE001 - the other stack failing must not hide this stack's estimate
        report.dr_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if switches:
        report.switches = switch_savings(run.stack, run.config, priced, stack_outputs=stack_outputs)
    return report


def shipped_estimate(stack: str) -> Estimate:
    """The estimate of a shipped stack's (cached) offline run."""
    from offline.runner import shipped_run

    run = shipped_run(stack)
    return estimate(run.records, stack=stack, region=run.config.get("aws:region") or "us-east-1")


def _first_provider_region(records: Sequence[Record]) -> Optional[str]:
    for record in records:
        if record.type == "pulumi:providers:aws":
            return decoded_provider_inputs(record.inputs).get("region")
    return None


def usd(amount: Optional[float]) -> str:
    return "-" if amount is None else f"${amount:,.2f}"


def _fixed_section(priced: Estimate) -> list[str]:
    out = ["", "Fixed monthly (billed while deployed):"]
    groups: dict[str, list[Line]] = {}
    for line in priced.lines:
        if line.kind == "fixed":
            groups.setdefault(line.group, []).append(line)
    for group in sorted(groups):
        lines = groups[group]
        out.append(f"  {group}: {usd(sum(line.monthly_usd or 0 for line in lines))}")
        for line in lines:
            region = "" if line.region == priced.region else f" [{line.region}]"
            out.append(f"    {line.type.split(':')[-1]} {line.resource}{region}: {line.quantity:,.2f} {line.unit} x "
                       f"${line.unit_usd:g} = {usd(line.monthly_usd)}  {line.note}")
    out.append(f"  TOTAL fixed: {usd(priced.fixed_usd)}")
    by_region = priced.fixed_by(lambda line: line.region)
    if len(by_region) > 1:
        out.append("  by region: " + ", ".join(f"{region} {usd(total)}" for region, total in by_region.items()))
    return out


def _usage_section(priced: Estimate) -> list[str]:
    usage_lines = [line for line in priced.lines if line.kind == "usage"]
    out = ["", "Usage-based (unit prices; give monthly quantities with --usage FILE to price them):"]
    resources_by_price: dict[str, list[str]] = {}
    for line in usage_lines:
        resources_by_price.setdefault(line.price_id, []).append(line.resource)
    for price_id, resources in sorted(resources_by_price.items()):
        sample = next(line for line in usage_lines if line.price_id == price_id)
        names = ", ".join(sorted(set(resources))[:4]) + (", ..." if len(set(resources)) > 4 else "")
        out.append(f"  {price_id}: ${sample.unit_usd:g} per {sample.unit}  ({len(resources)} resource(s): {names})")
    priced_usage = [line for line in usage_lines if line.monthly_usd is not None]
    if priced_usage:
        out.append(f"  priced from {priced.usage_profile}:")
        out += [f"    {line.resource} {line.price_id}: {line.quantity:g} {line.unit} x ${line.unit_usd:g} = "
                f"{usd(line.monthly_usd)}" for line in priced_usage]
        out.append(f"  TOTAL usage: {usd(priced.usage_usd)}    TOTAL: {usd(priced.fixed_usd + priced.usage_usd)}")
    return out


def _coverage_section(priced: Estimate) -> list[str]:
    out = ["", f"Not priced: {len(priced.not_priced)}" + ("" if priced.complete else "  (the estimate is INCOMPLETE)")]
    out += [f"  {item.type} {item.resource} [{item.region}]: {item.reason}" for item in priced.not_priced]
    out.append(f"Free (no charge of their own): {sum(priced.free.values())} resources of {len(priced.free)} types")
    return out


def _dr_section(report: CostReport) -> list[str]:
    out: list[str] = []
    comparison = report.dr
    if comparison is not None:
        out += ["", "DR against primary (fixed monthly):",
                f"  primary '{comparison.primary_stack}' in its region: {usd(comparison.primary_region_fixed_usd)}",
                f"  DR-region resources the primary owns (replica keys, ...): "
                f"{usd(comparison.primary_dr_resources_usd)}"]
        if comparison.dr_stack:
            out.append(f"  pilot-light stack '{comparison.dr_stack}': {usd(comparison.dr_stack_fixed_usd)}")
        if comparison.share is not None:
            above = "" if comparison.share < PILOT_LIGHT_SHARE else "  (above the 10% pilot-light target)"
            out.append(f"  DR total {usd(comparison.dr_fixed_usd)} = {comparison.share:.1%} of the primary{above}")
    if report.dr_error:
        out += ["", f"DR against primary: not available ({report.dr_error})"]
    return out


def _switches_section(switches: Sequence[SwitchResult]) -> list[str]:
    if not switches:
        return []
    out = ["", "Cost switches (stack re-run offline with the switch flipped; fixed monthly):"]
    for switch in switches:
        if switch.applicable:
            verb = "saves" if (switch.saving_usd or 0) >= 0 else "costs more:"
            removed = f"  [{'; '.join(switch.removed)}]" if switch.removed else ""
            saving = usd(abs(switch.saving_usd or 0))
            out.append(f"  {switch.label}: {verb} {saving} -> {usd(switch.fixed_usd)}{removed}")
        else:
            why = f"not allowed here: {switch.error}" if switch.error else "not applicable (already so, or not used)"
            out.append(f"  {switch.label}: {why}")
    return out


def render(report: CostReport) -> str:
    """The report as text: fixed lines per group, usage unit prices, coverage, DR, switches."""
    priced = report.estimate
    out = [f"Cost estimate of stack '{priced.stack}' ({priced.region}), USD per month of {HOURS_PER_MONTH} h, "
           f"on-demand list prices"]
    for region, table in priced.tables.items():
        out.append(f"  prices {region}: offline/pricing/{region}.json, as of {table['asOf']}")
    out += _fixed_section(priced) + _usage_section(priced) + _coverage_section(priced)
    out += _dr_section(report) + _switches_section(report.switches)
    return "\n".join(out)
