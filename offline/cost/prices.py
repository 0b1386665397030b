"""The committed price tables (offline/pricing/<region>.json) and the month they price.

Prices are on-demand list prices in USD, refreshed with `python tools/refresh_prices.py`. A month is
730 hours (AWS's convention).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

PRICING_DIR = Path(__file__).resolve().parent.parent / "pricing"
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class Price:
    """One unit price of a table: its id (`dax.node-hour.dax.r5.large`), USD per `unit`."""
    id: str
    usd: float
    unit: str
    description: str


@dataclass(frozen=True)
class PriceTable:
    """A region's prices, with the date and source they were read from."""
    region: str
    as_of: str
    source: str
    prices: Mapping[str, Price]

    def get(self, price_id: str) -> Optional[Price]:
        return self.prices.get(price_id)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "PriceTable":
        prices = {price_id: Price(price_id, float(entry["usd"]), entry["unit"], entry.get("description", ""))
                  for price_id, entry in doc["prices"].items()}
        return cls(region=doc["region"], as_of=doc["asOf"], source=doc["source"], prices=prices)


def load_table(region: str, directory: Path = PRICING_DIR) -> Optional[PriceTable]:
    """The committed table of `region`, or None when there is none."""
    path = directory / f"{region}.json"
    if not path.exists():
        return None
    return PriceTable.from_doc(json.loads(path.read_text()))


def round_usd(amount: float) -> float:
    """Cents, without a negative zero."""
    return round(amount + 0.0, 2)
