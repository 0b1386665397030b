"""The stack's budget limit, resolved before any resource is declared.

An explicit `budget.monthlyUsd` wins. Otherwise the limit is `budget.marginPercent` over the
stack's committed offline estimate (`offline/pricing/expected-totals.json`, written by
`python -m offline.cost --write-expected` and held to today's graph by the test suite). A stack
with neither stops with one line saying how to get the number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from components.foundation.budget import default_limit_usd
from stackconfig.loader import PROJECT, SettingsError
from stackconfig.model import StackSettings

EXPECTED_TOTALS = Path(__file__).resolve().parent.parent / "offline" / "pricing" / "expected-totals.json"


def committed_estimate(stack: str, path: Path = EXPECTED_TOTALS) -> Optional[float]:
    """The committed fixed monthly estimate of `stack` in USD, or None."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    entry = (doc.get("stacks") or {}).get(stack)
    return None if entry is None else float(entry["fixedMonthlyUsd"])


def budget_limit(settings: StackSettings, stack: str, *, source: str, path: Path = EXPECTED_TOTALS) -> float:
    b = settings.budget
    if b.monthly_usd is not None:
        return float(b.monthly_usd)
    estimate = committed_estimate(stack, path)
    if estimate is None:
        raise SettingsError(
            f"{source}: {PROJECT}:budget.monthlyUsd: required: stack '{stack}' has no committed cost estimate; run "
            f"`make cost STACK={stack}` and set budget: {{monthlyUsd: <limit>}} (or budget: {{enabled: false}})")
    return float(default_limit_usd(estimate, b.margin_percent))
