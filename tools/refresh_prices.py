"""Refresh the committed price tables (offline/pricing/<region>.json) from the AWS Price List API.

    python tools/refresh_prices.py                       # every committed region
    python tools/refresh_prices.py --region us-west-2    # one region
    python tools/refresh_prices.py --dry-run             # print the changes, write nothing

Needs AWS credentials allowed `pricing:GetProducts` (any account; the API is global, served from
us-east-1). Each price in a table names its Price List query: the service code, attribute filters
and the usage-type suffix of the SKU (usage types carry a region prefix such as `USW2-`, which is
why the suffix is matched). The first on-demand price dimension with a non-zero USD price is
taken, scaled by `per` (the table stores prices per 1k / 1 M units where AWS bills per unit).
A price the API does not return keeps its committed value and is listed as "kept".

After a refresh, re-run `.venv/bin/python -m offline.cost --write-expected` so the tests' expected
totals follow the new prices, and review both diffs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

ROOT = Path(__file__).resolve().parent.parent
PRICING_DIR = ROOT / "offline" / "pricing"
SOURCE = ("AWS Price List API (boto3 pricing.get_products, endpoint us-east-1), on-demand USD, "
          "refreshed {date} by tools/refresh_prices.py")


class NoCredentials(Exception):
    """No AWS credentials to call the Price List API with."""


def pricing_client():
    import boto3

    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise NoCredentials("no AWS credentials found (profile, environment or role): the committed tables stay as they are")
    return session.client("pricing", region_name="us-east-1")


def _products(client, service_code: str, filters: dict[str, str], region: str) -> Iterable[dict[str, Any]]:
    terms = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    terms += [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in sorted(filters.items())]
    token: Optional[str] = None
    while True:
        request: dict[str, Any] = {"ServiceCode": service_code, "Filters": terms, "FormatVersion": "aws_v1",
                                   "MaxResults": 100}
        if token:
            request["NextToken"] = token
        page = client.get_products(**request)
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item
        token = page.get("NextToken")
        if not token:
            return


def on_demand_usd(product: dict[str, Any]) -> Optional[float]:
    """The first non-zero on-demand USD price of a Price List product (lowest tier first)."""
    dimensions = []
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        dimensions += list((term.get("priceDimensions") or {}).values())
    dimensions.sort(key=lambda dimension: float(dimension.get("beginRange") or 0))
    for dimension in dimensions:
        usd = float((dimension.get("pricePerUnit") or {}).get("USD") or 0)
        if usd > 0:
            return usd
    return None


def lookup(client, query: dict[str, Any], region: str) -> Optional[float]:
    suffix = query.get("usagetypeSuffix") or ""
    for product in _products(client, query["serviceCode"], query.get("filters") or {}, region):
        usage_type = (product.get("product", {}).get("attributes", {}) or {}).get("usagetype", "")
        if suffix and not usage_type.endswith(suffix):
            continue
        usd = on_demand_usd(product)
        if usd is not None:
            return usd * float(query.get("per", 1))
    return None


def refresh_table(client, doc: dict[str, Any], *, today: str) -> tuple[dict[str, Any], list[str], list[str]]:
    """A new table document, the price ids that changed (with old -> new) and those kept."""
    region = doc["region"]
    new = json.loads(json.dumps(doc))
    changed, kept = [], []
    for price_id, entry in sorted(new["prices"].items()):
        usd = lookup(client, entry["query"], region)
        if usd is None:
            kept.append(price_id)
            continue
        usd = round(usd, 10)
        if usd != entry["usd"]:
            changed.append(f"{price_id}: {entry['usd']} -> {usd}")
        entry["usd"] = usd
    new["asOf"] = today
    new["source"] = SOURCE.format(date=today)
    return new, changed, kept


def main(argv: Optional[list[str]] = None, *, client=None, directory: Path = PRICING_DIR,
         today: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/refresh_prices.py", description=__doc__.splitlines()[0])
    parser.add_argument("--region", action="append",
                        help="region to refresh (repeatable); default: every committed table")
    parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    args = parser.parse_args(argv)
    today = today or dt.date.today().isoformat()
    # Region tables are named like us-east-1.json (two dashes); expected-totals.json is not one.
    paths = ([directory / f"{region}.json" for region in args.region] if args.region
             else sorted(path for path in directory.glob("*.json") if path.stem.count("-") == 2))
    missing = [path.name for path in paths if not path.exists()]
    if missing:
        print(f"no committed price table: {', '.join(missing)} (copy one and edit its region)", file=sys.stderr)
        return 2
    try:
        client = client or pricing_client()
    except NoCredentials as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for path in paths:
        doc = json.loads(path.read_text())
        new, changed, kept = refresh_table(client, doc, today=today)
        print(f"{path.name}: {len(changed)} changed, {len(doc['prices']) - len(changed) - len(kept)} unchanged, "
              f"{len(kept)} kept (not returned by the API)")
        for line in changed:
            print(f"  {line}")
        for price_id in kept:
            print(f"  kept {price_id}")
        if not args.dry_run:
            path.write_text(json.dumps(new, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
