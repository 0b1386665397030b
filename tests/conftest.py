"""Shared fixtures: offline runs of the shipped stacks under the platform mocks.

Runs are cached per session: each stack is executed once, tests assert on its recorded graph.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner import StackRun, run_stack  # noqa: E402

_RUNS: dict[str, StackRun] = {}


def stack_run(name: str) -> StackRun:
    if name not in _RUNS:
        run = run_stack(name)
        assert run.ok, run.error
        _RUNS[name] = run
    return _RUNS[name]


@pytest.fixture(scope="session")
def dev_run() -> StackRun:
    return stack_run("dev")
