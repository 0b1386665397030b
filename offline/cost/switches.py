"""Cost switches: the stack re-run offline with one setting flipped, and priced again.

Each switch is an edit of the flat stack config (DAX off, a NAT strategy, on-demand Kinesis, SFTP
off). An edit returns None when it does not apply (already so, or the feature is not used). The
saving is measured, not assumed: the flipped config goes through the real program and the mocks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Optional

from offline.cost.estimator import Estimate, estimate
from offline.cost.prices import round_usd
from stackconfig.loader import PROJECT

ConfigEdit = Callable[[dict[str, str]], Optional[dict[str, str]]]


def config_key(name: str) -> str:
    """The flat config key of a project setting (`dataProducts` -> `data-delivery-platform:dataProducts`)."""
    return f"{PROJECT}:{name}"


def _edit_products(config: dict[str, str], change: Callable[[dict], bool]) -> Optional[dict[str, str]]:
    """The config with `change` applied to every data product; None when it changed none."""
    raw = config.get(config_key("dataProducts"))
    if not raw:
        return None
    products = json.loads(raw)
    changed = [change(product) for product in products]
    if not any(changed):
        return None
    edited = dict(config)
    edited[config_key("dataProducts")] = json.dumps(products)
    return edited


def dax_off(config: dict[str, str]) -> Optional[dict[str, str]]:
    def change(product: dict) -> bool:
        dax = (product.get("operationalStore") or {}).get("dax") or {}
        if dax.get("enabled", True) is False:
            return False
        product.setdefault("operationalStore", {})["dax"] = {**dax, "enabled": False}
        return True
    edited = _edit_products(config, change)
    dr = json.loads(config.get(config_key("dr")) or "{}")
    if dr.get("daxEnabled"):
        edited = dict(edited or config)
        edited[config_key("dr")] = json.dumps({**dr, "daxEnabled": False})
    return edited


def kinesis_on_demand(config: dict[str, str]) -> Optional[dict[str, str]]:
    def change(product: dict) -> bool:
        streaming = (product.get("ingestion") or {}).get("streaming")
        if not streaming or streaming.get("shards") is None:
            return False
        streaming.pop("shards")
        return True
    return _edit_products(config, change)


def sftp_off(config: dict[str, str]) -> Optional[dict[str, str]]:
    def change(product: dict) -> bool:
        return (product.get("ingestion") or {}).pop("sftp", None) is not None
    return _edit_products(config, change)


def nat_gateways(strategy: str) -> ConfigEdit:
    """The edit that sets network.natGateways to `strategy`."""
    def edit(config: dict[str, str]) -> Optional[dict[str, str]]:
        network = json.loads(config.get(config_key("network")) or "{}")
        if network.get("natGateways") == strategy:
            return None
        edited = dict(config)
        edited[config_key("network")] = json.dumps({**network, "natGateways": strategy})
        return edited
    return edit


SWITCHES: dict[str, tuple[str, ConfigEdit]] = {
    "dax-off": ("DAX off (operationalStore.dax.enabled: false; dr.daxEnabled: false)", dax_off),
    "nat-one-per-az": ("NAT gateway per AZ (network.natGateways: one-per-az, the prod default)",
                       nat_gateways("one-per-az")),
    "nat-single": ("one NAT gateway (network.natGateways: single)", nat_gateways("single")),
    "nat-none": ("no NAT gateway (network.natGateways: none)", nat_gateways("none")),
    "kinesis-on-demand": ("on-demand Kinesis (ingestion.streaming.shards omitted)", kinesis_on_demand),
    "sftp-off": ("SFTP off (ingestion.sftp omitted)", sftp_off),
}


@dataclass
class SwitchResult:
    """What one switch does to the fixed monthly estimate (or why it does not apply)."""
    id: str
    label: str
    applicable: bool
    fixed_usd: Optional[float] = None
    saving_usd: Optional[float] = None
    error: Optional[str] = None
    removed: list[str] = field(default_factory=list)   # fixed lines gone or cheaper, for the report

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _referenced_outputs(config: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Outputs of the shipped stacks this config references (so a switch run does not redo them)."""
    from offline.runner import ROOT, referenced_stacks, shipped_run, stack_file

    known = {}
    for reference in referenced_stacks(config):
        name = reference.rsplit("/", 1)[-1]
        if stack_file(name, ROOT).exists():
            known[reference] = shipped_run(name).outputs
    return known


def _fixed_by_resource(priced: Estimate) -> dict[str, float]:
    return priced.fixed_by(lambda line: f"{line.type.split(':')[-1]} {line.resource}")


def _flip(stack: str, switch_id: str, config: dict[str, str], base: Estimate,
          known: dict[str, dict[str, Any]]) -> SwitchResult:
    from offline.runner import run_stack

    label, edit = SWITCHES[switch_id]
    flipped_config = edit(copy.deepcopy(config))
    if flipped_config is None:
        return SwitchResult(switch_id, label, applicable=False)
    run = run_stack(stack, config=flipped_config, stack_outputs=known)
    if not run.ok:
        return SwitchResult(switch_id, label, applicable=False, error=run.error)
    flipped = estimate(run.records, stack=stack, region=base.region)
    before, after = _fixed_by_resource(base), _fixed_by_resource(flipped)
    removed = [f"{key} ({before[key] - after.get(key, 0.0):.2f})" for key in sorted(before)
               if before[key] - after.get(key, 0.0) > 0.005]
    return SwitchResult(switch_id, label, applicable=True, fixed_usd=flipped.fixed_usd,
                        saving_usd=round_usd(base.fixed_usd - flipped.fixed_usd), removed=removed)


def switch_savings(stack: str, config: dict[str, str], base: Estimate, *,
                   stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
                   only: Optional[Iterable[str]] = None) -> list[SwitchResult]:
    """Each cost switch's saving: the stack re-run offline with the switch flipped, priced again."""
    known = stack_outputs if stack_outputs is not None else _referenced_outputs(config)
    return [_flip(stack, switch_id, config, base, known) for switch_id in SWITCHES
            if only is None or switch_id in only]
