"""Nag test: every shipped stack through the whole policy pack, via the analyzer interface.

No mandatory violation is allowed except the ones listed in PENDING_COMPONENT_FIXES (today none).
An entry names the rule, the resource and the change the component owes; the test fails as soon
as an entry no longer occurs, so the list cannot outlive the fix."""

from __future__ import annotations

import pytest

from offline.runner import shipped_run as stack_run
from offline.preview import policy_report
from policies.offline import analyze
from offline.runner import load_stack_config, run_stack
from stackconfig.loader import PROJECT

# (stack, policy, resource name) -> what the component must change. Empty: every shipped stack
# passes every mandatory rule.
PENDING_COMPONENT_FIXES: dict[tuple[str, str, str], str] = {}


def _mandatory(name):
    report = policy_report(stack_run(name))
    return report, {(name, v.policy, v.name): v for v in report.violations if v.level == "mandatory"}


@pytest.mark.parametrize("name", ["dev", "dr", "marketing"])
def test_shipped_stack_has_no_mandatory_violation(name):
    report, found = _mandatory(name)
    unexpected = sorted(set(found) - set(PENDING_COMPONENT_FIXES))
    assert unexpected == [], report.format()


@pytest.mark.parametrize("key", sorted(PENDING_COMPONENT_FIXES) or [pytest.param(None, marks=pytest.mark.skip(
    reason="no pending component fix"))], ids=lambda k: f"{k[0]}:{k[1]}:{k[2]}" if k else "none")
def test_pending_component_fix_still_occurs(key):
    """Remove the entry once the component change lands (this test then fails)."""
    _, found = _mandatory(key[0])
    assert key in found, f"fixed: remove {key} from PENDING_COMPONENT_FIXES"


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
