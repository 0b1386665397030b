"""Nag test: every shipped stack through the whole policy pack, via the analyzer interface."""

from __future__ import annotations

import json

import pytest

from offline.runner import shipped_run as stack_run
from offline.preview import policy_report
from policies.offline import analyze
from offline.runner import load_stack_config, run_stack
from stackconfig.loader import PROJECT


@pytest.mark.parametrize("name", ["dev", "dr", "marketing"])
def test_shipped_stack_has_no_mandatory_violation(name):
    report = policy_report(stack_run(name))
    mandatory = [v for v in report.violations if v.level == "mandatory"]
    assert mandatory == [], report.format()


def test_switching_off_a_secure_default_is_reported():
    # allowDataDestroy lifts protection and deletion protection: the pack must say so when its
    # config does not allow destroying data.
    cfg = load_stack_config("dev")
    cfg[f"{PROJECT}:allowDataDestroy"] = "true"
    run = run_stack("dev", config=cfg)
    assert run.ok, run.error
    report = analyze(run.resources(), config={"stateful-resources-protected": {"allowDataDestroy": False},
                                              "lakeformation-permissions-to-consumers-only": {"consumerAccounts": ["222222222222"]}})
    names = {v.policy for v in report.violations if v.level == "mandatory"}
    assert "stateful-resources-protected" in names
    assert "dynamodb-table-deletion-protection-enabled" in names
