"""The committed fixed monthly totals of the shipped stacks (offline/pricing/expected-totals.json).

The test suite holds today's graph to them, and the stack budget takes its default limit from them
(stackconfig/budget.py). Regenerate with `python -m offline.cost --write-expected` after a price
refresh or a deliberate change to a shipped stack's graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

from offline.cost.estimator import estimate
from offline.cost.prices import PRICING_DIR

EXPECTED_FILE = PRICING_DIR / "expected-totals.json"
SHIPPED_STACKS = ("dev", "dr", "marketing")


def committed_totals(path: Path = EXPECTED_FILE) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def committed_fixed_estimate(stack: str, path: Path = EXPECTED_FILE) -> Optional[float]:
    """The committed fixed monthly estimate of a shipped stack (the budget's default base)."""
    from stackconfig.budget import committed_estimate

    return committed_estimate(stack, path)


def write_expected(path: Path = EXPECTED_FILE, stacks: Sequence[str] = SHIPPED_STACKS) -> dict[str, Any]:
    """Price each shipped stack's offline run and write the totals file."""
    from offline.runner import shipped_run

    doc = {"note": "Regenerate with: .venv/bin/python -m offline.cost --write-expected "
                   "(after a price refresh or a change to the shipped stacks' graph).",
           "stacks": {}}
    for stack in stacks:
        run = shipped_run(stack)
        priced = estimate(run.records, stack=stack, region=run.config.get("aws:region") or "us-east-1")
        doc["stacks"][stack] = priced.summary()
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc
