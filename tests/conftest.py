"""Shared fixtures: offline runs of the shipped stacks under the platform mocks.

Runs are cached per process (offline.runner.shipped_run): each stack executes once and tests
assert on its recorded graph.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# No wall clock in tests: consumer grants expire against this date (stackconfig.args.today), so
# the shipped stacks' graphs do not change the day a shipped grant lapses. Tests that are about
# expiry set DDP_TODAY themselves.
TEST_TODAY = "2026-12-01"
os.environ["DDP_TODAY"] = TEST_TODAY

from offline.runner import StackRun, shipped_run  # noqa: E402

@pytest.fixture(scope="session")
def dev_run() -> StackRun:
    return shipped_run("dev")
