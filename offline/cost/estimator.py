"""The estimate of one recorded graph: a priced line per meter, and what could not be priced.

`estimate(records, ...)` walks the graph; each AWS resource is free, metered (offline/cost/meters.py)
or not priced. Fixed meters are priced from the committed table of the resource's own region
(the region of its provider); usage meters only when a usage profile gives their monthly quantity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from offline.cost.meters import FREE, METERS, NOT_RESOURCES, Graph, Meter, Unpriceable
from offline.cost.prices import HOURS_PER_MONTH, PriceTable, load_table, round_usd
from offline.mocks import Record, decoded_provider_inputs

# {resource name or "*": {price id: monthly quantity}}
UsageProfile = Mapping[str, Mapping[str, float]]


@dataclass
class Line:
    """One priced meter of one resource."""
    resource: str
    type: str
    group: str
    region: str
    kind: str                       # fixed | usage
    price_id: str
    unit: str
    unit_usd: float
    quantity: Optional[float]       # per month; None = usage not given
    monthly_usd: Optional[float]
    note: str = ""


@dataclass
class NotPriced:
    """A resource the estimate could not price, and why."""
    resource: str
    type: str
    group: str
    region: str
    reason: str


@dataclass
class Estimate:
    """The priced lines of a stack, what was not priced, the free resources and the tables used."""
    stack: str
    region: str
    lines: list[Line] = field(default_factory=list)
    not_priced: list[NotPriced] = field(default_factory=list)
    free: dict[str, int] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    usage_profile: Optional[str] = None

    @property
    def complete(self) -> bool:
        return not self.not_priced

    @property
    def fixed_usd(self) -> float:
        return round_usd(sum(line.monthly_usd or 0.0 for line in self.lines if line.kind == "fixed"))

    @property
    def usage_usd(self) -> float:
        return round_usd(sum(line.monthly_usd or 0.0 for line in self.lines if line.kind == "usage"))

    def fixed_by(self, key: Callable[[Line], str]) -> dict[str, float]:
        """Fixed monthly USD summed per `key(line)`, sorted by key."""
        totals: dict[str, float] = {}
        for line in self.lines:
            if line.kind == "fixed":
                totals[key(line)] = totals.get(key(line), 0.0) + (line.monthly_usd or 0.0)
        return {name: round_usd(total) for name, total in sorted(totals.items())}

    def fixed_outside_home_region(self) -> float:
        by_region = self.fixed_by(lambda line: line.region)
        return round_usd(sum(total for region, total in by_region.items() if region != self.region))

    def summary(self) -> dict[str, Any]:
        """The committed, deterministic figures (expected-totals.json)."""
        return {"fixedMonthlyUsd": self.fixed_usd, "fixedByRegion": self.fixed_by(lambda line: line.region),
                "fixedByGroup": self.fixed_by(lambda line: line.group),
                "fixedByType": self.fixed_by(lambda line: line.type),
                "notPriced": sorted(f"{item.type} {item.resource}" for item in self.not_priced)}

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "region": self.region, "currency": "USD", "hoursPerMonth": HOURS_PER_MONTH,
            "complete": self.complete, "fixedMonthlyUsd": self.fixed_usd,
            "usageMonthlyUsd": self.usage_usd, "usageProfile": self.usage_profile,
            "fixedByRegion": self.fixed_by(lambda line: line.region),
            "fixedByGroup": self.fixed_by(lambda line: line.group),
            "priceTables": self.tables,
            "lines": [asdict(line) for line in self.lines],
            "notPriced": [asdict(item) for item in self.not_priced],
            "free": self.free,
        }


def load_usage(path: str) -> UsageProfile:
    """A usage profile: {resource name or "*": {price id: monthly quantity}} (YAML or JSON)."""
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict) or not all(isinstance(items, dict) for items in doc.values()):
        raise ValueError(f"{path}: must map resource names (or '*') to {{price id: monthly quantity}}")
    for resource, items in doc.items():
        for price_id, quantity in items.items():
            if not isinstance(quantity, (int, float)) or quantity < 0:
                raise ValueError(f"{path}: {resource}.{price_id}: quantity must be a number >= 0, got {quantity!r}")
    return doc


def _usage_quantity(profile: Optional[UsageProfile], resource: str, price_id: str) -> Optional[float]:
    if not profile:
        return None
    for key in (resource, "*"):
        value = (profile.get(key) or {}).get(price_id)
        if value is not None:
            return float(value)
    return None


def _group_label(record: Record, by_urn: Mapping[str, Record]) -> str:
    """The top-level component a resource belongs to ("DataProduct orders"), or "stack"."""
    top, current = None, record
    while current is not None and current.parent:
        parent = by_urn.get(current.parent)
        if parent is None or parent.type == "pulumi:pulumi:Stack":
            top = current
            break
        current = parent
    if top is None or top is record and record.custom:
        return "stack"
    return f"{top.type.rsplit(':', 1)[-1]} {top.name}"


def _region_resolver(records: Sequence[Record], default: str) -> Callable[[Record], str]:
    regions = {record.urn: decoded_provider_inputs(record.inputs).get("region") or default
               for record in records if record.type == "pulumi:providers:aws"}

    def region(record: Record) -> str:
        reference = record.provider or (record.providers or {}).get("aws", "")
        return regions.get(reference.rsplit("::", 1)[0], default) if reference else default
    return region


class _Pricer:
    """Prices resources one by one into an Estimate, loading each region's table once."""

    def __init__(self, records: Sequence[Record], estimate: Estimate, usage: Optional[UsageProfile],
                 tables: Optional[Mapping[str, PriceTable]]):
        self.by_urn = {record.urn: record for record in records}
        self.region_of = _region_resolver(records, estimate.region)
        self.graph = Graph(records)
        self.loaded: dict[str, Optional[PriceTable]] = dict(tables or {})
        self.estimate = estimate
        self.usage = usage

    def table(self, region: str) -> Optional[PriceTable]:
        if region not in self.loaded:
            self.loaded[region] = load_table(region)
        return self.loaded[region]

    def price(self, record: Record) -> None:
        result = self.estimate
        if record.type in FREE:
            result.free[record.type] = result.free.get(record.type, 0) + 1
            return
        group, region = _group_label(record, self.by_urn), self.region_of(record)
        meter_fn = METERS.get(record.type)
        if meter_fn is None:
            result.not_priced.append(NotPriced(record.name, record.type, group, region,
                                            "no price rule for this resource type"))
            return
        try:
            meters = meter_fn(record, self.graph)
        except Unpriceable as exc:
            result.not_priced.append(NotPriced(record.name, record.type, group, region, f"cannot price {exc}"))
            return
        table = self.table(region)
        missing = [meter for meter in meters if table is None or table.get(meter.price_id) is None]
        if missing:
            where = f"offline/pricing/{region}.json" if table is not None else f"no price table for {region}"
            result.not_priced.append(NotPriced(record.name, record.type, group, region,
                                            f"{', '.join(meter.price_id for meter in missing)} missing ({where})"))
            meters = [meter for meter in meters if meter not in missing and meter.kind == "usage"]
            if any(meter.kind == "fixed" for meter in missing):
                return
        for meter in meters:
            self.add_line(record, group, region, meter, table)

    def add_line(self, record: Record, group: str, region: str, meter: Meter, table: Optional[PriceTable]) -> None:
        price = table.get(meter.price_id)  # type: ignore[union-attr]
        quantity = meter.quantity if meter.kind == "fixed" else _usage_quantity(self.usage, record.name, meter.price_id)
        monthly = None if quantity is None else quantity * price.usd
        self.estimate.lines.append(Line(record.name, record.type, group, region, meter.kind, meter.price_id,
                                        price.unit, price.usd, quantity, monthly, meter.note))


def estimate(records: Sequence[Record], *, stack: str, region: str, usage: Optional[UsageProfile] = None,
             usage_name: Optional[str] = None,
             tables: Optional[Mapping[str, PriceTable]] = None) -> Estimate:
    """Price a recorded graph. `tables` maps region -> PriceTable (default: the committed tables)."""
    result = Estimate(stack=stack, region=region, usage_profile=usage_name)
    pricer = _Pricer(records, result, usage, tables)
    for record in records:
        if record.type.startswith(NOT_RESOURCES) or (not record.custom and not record.type.startswith("awsx:")):
            continue
        pricer.price(record)
    result.tables = {table_region: {"asOf": table.as_of, "source": table.source}
                     for table_region, table in sorted(pricer.loaded.items()) if table is not None}
    return result
