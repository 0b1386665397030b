"""`python -m offline.cost`: the cost report of a shipped stack, or the committed totals regenerated.

    python -m offline.cost dev                      # report: fixed monthly, usage unit prices, DR, switches
    python -m offline.cost dev --usage usage.yaml   # turn usage-based lines into numbers
    python -m offline.cost dev --json out/cost.json
    python -m offline.cost --write-expected         # regenerate offline/pricing/expected-totals.json
    python -m offline.preview dev --cost            # the same report after the preview (and in --json)

Exit codes: 0 a complete estimate, 1 an incomplete one (something not priced), 2 a bad usage file or
stack file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

import offline.cost
from offline.cost.estimator import load_usage
from offline.cost.expected import EXPECTED_FILE, write_expected
from offline.cost.prices import PRICING_DIR
from offline.cost.report import build_report, render, usd


def _arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline.cost", description=offline.cost.__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", default="dev", help="shipped stack name (Pulumi.<stack>.yaml), default dev")
    parser.add_argument("--usage", metavar="FILE", help="usage profile: {resource|'*': {price id: monthly quantity}}")
    parser.add_argument("--json", metavar="FILE", help="write the estimate as JSON")
    parser.add_argument("--no-switches", action="store_true", help="skip the switch re-runs")
    parser.add_argument("--write-expected", action="store_true",
                        help=f"regenerate {EXPECTED_FILE.relative_to(PRICING_DIR.parent.parent)} "
                             "for the shipped stacks")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = _arguments(argv)
    if args.write_expected:
        doc = write_expected()
        for stack, totals in doc["stacks"].items():
            print(f"{stack}: fixed {usd(totals['fixedMonthlyUsd'])}/month, not priced {len(totals['notPriced'])}")
        return 0
    from offline.runner import run_stack

    try:
        usage = load_usage(args.usage) if args.usage else None
    except (OSError, ValueError) as exc:
        print(f"--usage: {exc}", file=sys.stderr)
        return 2
    run = run_stack(args.stack)
    if not run.ok:
        print(f"error: {run.error}", file=sys.stderr)
        return 2
    report = build_report(run, usage=usage, usage_name=args.usage, switches=not args.no_switches)
    print(render(report))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2, sort_keys=True))
    return 0 if report.estimate.complete else 1


if __name__ == "__main__":
    sys.exit(main())
