"""Shared fixtures: offline runs of the shipped stacks under the platform mocks.

Runs are cached per process (offline.runner.shipped_run): each stack executes once and tests
assert on its recorded graph.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner import StackRun, shipped_run  # noqa: E402

DAX_LAYER = ROOT / "build" / "layers" / "dax" / "python" / "amazondax"


def pytest_sessionstart(session):
    """The Lambda services of DAX products attach the DAX client layer; `make test` builds it
    first (make layers). Build it here too, so a bare `pytest` works the same way."""
    import subprocess

    if not DAX_LAYER.is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                        str(ROOT / "build" / "layers" / "dax" / "python"), "-r",
                        str(ROOT / "functions" / "layers" / "dax-requirements.txt")], check=True)


@pytest.fixture(scope="session")
def dev_run() -> StackRun:
    return shipped_run("dev")
