"""Shared fixtures for the code that runs in AWS (functions/*).

Each function folder is zipped on its own, so inside it ``handler.py`` imports its
siblings as top-level modules (``import app``). ``load_function`` reproduces that:
it puts the folder first on ``sys.path``, loads the module under a unique name so
the several ``handler.py`` files never clash, and afterwards removes the folder
and its sibling modules from ``sys.path``/``sys.modules`` again.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from moto import mock_aws

from smoke.functions import load_module

# DDP_FUNCTIONS_DIR points the loader at another copy of functions/ (e.g. `git archive HEAD
# functions`), to replay the outcome ledgers against older code and see what they catch.
FUNCTIONS_DIR = Path(os.environ.get("DDP_FUNCTIONS_DIR") or Path(__file__).resolve().parents[2] / "functions")
REGION = "us-east-1"


def load_function(folder: str, module: str = "handler") -> ModuleType:
    """Load ``functions/<folder>/<module>.py`` as a fresh, uniquely named module (the loader the
    smoke flows use too: ``smoke.functions.load_module``)."""
    return load_module(FUNCTIONS_DIR / folder, module)


@pytest.fixture
def aws_credentials(monkeypatch):
    """Fake credentials so nothing can ever reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws(aws_credentials):
    """An isolated moto account for one test."""
    with mock_aws():
        yield


@pytest.fixture
def fresh_env(monkeypatch):
    """Clear every configuration variable the functions read, so tests set them explicitly."""
    for name in (
        "REQUIRED_FIELDS", "TIMESTAMP_FIELD", "TABLE_NAME", "PARTITION_KEY", "SORT_KEY",
        "PARTITION_KEY_TYPE", "SORT_KEY_TYPE", "DLQ_URL", "ALLOWED_SUFFIXES", "MAX_OBJECT_BYTES",
        "QUARANTINE_PREFIX", "ON_VALID", "CRAWLER_NAME", "ETL_JOB_NAME", "DAX_ENDPOINT",
        "EVENT_BUS_NAME", "EVENT_SOURCE", "PORT", "ALB_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def pytest_terminal_summary(terminalreporter):
    """Print each outcome ledger's "inputs tried vs outcomes counted" (tests/functions/outcome_ledger.py)."""
    import outcome_ledger  # noqa: PLC0415 - only when the ledgers ran

    lines = outcome_ledger.summary_lines()
    if lines:
        terminalreporter.section("outcome ledgers")
        for line in lines:
            terminalreporter.write_line(line)
