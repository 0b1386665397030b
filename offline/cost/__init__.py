"""Offline cost estimate of a recorded stack graph: what `pulumi up` would cost per month.

Commands: `python -m offline.cost` (offline/cost/__main__.py) and `python -m offline.preview dev --cost`.

Prices come from the committed, dated tables `offline/pricing/<region>.json` (refresh them with
`python tools/refresh_prices.py`, which reads the AWS Price List API). Every resource of the graph
is one of:
- **fixed**: billed while it exists (hours x hourly rate, or a monthly rate): DAX nodes, NAT
  gateways and their public IPv4, ALBs, Transfer endpoints, Kinesis shards, Fargate tasks at their
  desired count, interface endpoints, KMS keys, Route 53 health checks, alarms;
- **usage**: billed per GB / request / event; shown with its unit price, and priced when a usage
  profile gives a monthly quantity;
- **free**: no charge of its own (IAM, security groups, policies, ...);
- **not priced**: a type this module does not know, or a fixed-cost resource whose price is
  missing from the region's table. Never counted as zero: the estimate says it is incomplete.

A month is 730 hours (AWS's convention). Prices are on-demand list prices in USD, before the
free tier, taxes, credits and savings plans.

Where things live: `prices` (tables), `meters` (what each type costs), `estimator` (pricing a
graph, usage profiles), `switches` (re-runs with a setting flipped), `dr` (pilot light against
primary), `report` (the report and its text), `expected` (the committed totals), `__main__` (CLI).
"""

from offline.cost.dr import DrComparison, dr_comparison, dr_pair
from offline.cost.estimator import Estimate, Line, NotPriced, UsageProfile, estimate, load_usage
from offline.cost.expected import (EXPECTED_FILE, SHIPPED_STACKS, committed_fixed_estimate, committed_totals,
                                   write_expected)
from offline.cost.meters import FIXED_COST_TYPES, FREE, METERS, NOT_RESOURCES, Graph, Meter, Unpriceable
from offline.cost.prices import HOURS_PER_MONTH, PRICING_DIR, Price, PriceTable, load_table
from offline.cost.report import CostReport, build_report, render, shipped_estimate
from offline.cost.switches import (SWITCHES, ConfigEdit, SwitchResult, dax_off, kinesis_on_demand, nat_gateways,
                                   sftp_off, switch_savings)

__all__ = [
    "CostReport", "ConfigEdit", "DrComparison", "EXPECTED_FILE", "Estimate", "FIXED_COST_TYPES", "FREE", "Graph",
    "HOURS_PER_MONTH", "Line", "METERS", "Meter", "NOT_RESOURCES", "NotPriced", "PRICING_DIR", "Price", "PriceTable",
    "SHIPPED_STACKS", "SWITCHES", "SwitchResult", "Unpriceable", "UsageProfile", "build_report",
    "committed_fixed_estimate", "committed_totals", "dax_off", "dr_comparison", "dr_pair", "estimate",
    "kinesis_on_demand", "load_table", "load_usage", "nat_gateways", "render", "sftp_off", "shipped_estimate",
    "switch_savings", "write_expected",
]
