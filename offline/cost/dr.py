"""The pilot light against its primary: what DR costs per month, as a share of the primary.

DR's fixed cost is what the primary stack runs in the DR region (replica buckets' keys, table
replicas, ...) plus the whole DR stack. The pair is found from the stack files: a dr stack names
its primary (`primaryStack`), a primary is named by a dr stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

from offline.cost.estimator import Estimate
from offline.cost.prices import round_usd
from offline.cost.switches import config_key


@dataclass
class DrComparison:
    """Fixed monthly USD of a primary in its region, of its DR-region resources and of its DR stack."""
    primary_stack: str
    primary_region_fixed_usd: float       # what the primary runs in its own region
    primary_dr_resources_usd: float       # DR-region resources the primary owns (replicas, keys)
    dr_stack: Optional[str]
    dr_stack_fixed_usd: Optional[float]

    @property
    def dr_fixed_usd(self) -> float:
        return round_usd(self.primary_dr_resources_usd + (self.dr_stack_fixed_usd or 0.0))

    @property
    def share(self) -> Optional[float]:
        if not self.primary_region_fixed_usd:
            return None
        return self.dr_fixed_usd / self.primary_region_fixed_usd

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "drFixedUsd": self.dr_fixed_usd,
                "shareOfPrimary": None if self.share is None else round(self.share, 4)}


def dr_comparison(primary: Estimate, dr: Optional[Estimate]) -> DrComparison:
    home = primary.fixed_by(lambda line: line.region).get(primary.region, 0.0)
    return DrComparison(primary_stack=primary.stack, primary_region_fixed_usd=home,
                        primary_dr_resources_usd=primary.fixed_outside_home_region(),
                        dr_stack=dr.stack if dr else None, dr_stack_fixed_usd=dr.fixed_usd if dr else None)


def dr_pair(run) -> tuple[Optional[str], Optional[str]]:
    """(primary stack name, dr stack name) for a run, from its config and the shipped stack files."""
    from offline.runner import ROOT, load_stack_config, stack_name

    config = run.config
    if config.get(config_key("regionRole")) == "dr":
        primary = (config.get(config_key("primaryStack")) or "").rsplit("/", 1)[-1] or None
        return primary, run.stack
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        other = load_stack_config(stack_name(path))
        names_this_primary = (other.get(config_key("primaryStack")) or "").endswith(f"/{run.stack}")
        if other.get(config_key("regionRole")) == "dr" and names_this_primary:
            return run.stack, stack_name(path)
    return (run.stack, None) if config.get(config_key("drRegion")) else (None, None)
