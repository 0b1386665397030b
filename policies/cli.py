"""``python -m policies.cli resources.json [--config policy-config.json] [--summary]``

Runs the pack over a recorded resource list (see policies/offline.py), prints the violations grouped
by enforcement level and exits 1 if any is mandatory (2 on a bad config)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from .offline import PolicyConfigError, analyze, load_resources


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policies.cli", description=__doc__.splitlines()[0])
    parser.add_argument("resources", help="JSON file: list of recorded resources")
    parser.add_argument("--config", help="policy pack config (same format as --policy-pack-config)")
    parser.add_argument("--summary", action="store_true", help="also print pass/fail per policy")
    args = parser.parse_args(argv)

    config = None
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            config = json.load(f)
    try:
        report = analyze(load_resources(args.resources), config=config)
    except PolicyConfigError as e:
        print(f"invalid policy config: {e}", file=sys.stderr)
        return 2
    print(report.format())
    if args.summary:
        print()
        print(report.format_summary())
    return 1 if report.mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
