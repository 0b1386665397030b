"""The shipped stacks (dev, dr, marketing) through the pack's deployability rules: what a real
`pulumi up` would refuse, or deploy broken, must not be in any of them.

Each stack is checked with the config the offline preview uses; the primary and its DR stack are
also checked together, because the DR stack encrypts with a key the primary creates in the DR
region (a key used by a service in a region must grant that service in that region)."""
from __future__ import annotations

import pytest

from offline.preview import policy_report, stack_policy_config
from offline.runner import shipped_run
from policies.offline import analyze
from policies.rules import deployability

RULES = sorted(p.name for p in deployability.POLICIES)
KEY_RULES = ["kms-key-grants-service-users-in-region", "kms-key-service-statements-use-documented-conditions"]


def _deployability(report) -> list[str]:
    return [f"[{v.policy}] {v.message}" for v in report.violations if v.policy in RULES]


@pytest.mark.parametrize("stack", ["dev", "dr", "marketing"])
def test_shipped_stack_has_no_deployability_violation(stack):
    found = _deployability(policy_report(shipped_run(stack)))
    assert found == [], "\n".join(found)


def test_every_deployability_rule_runs_on_the_showcase_stack():
    # dev turns every capability on: each rule must have something to judge there, or reverting the
    # fix it guards would go unnoticed by the test above.
    report = policy_report(shipped_run("dev"))
    assert sorted(set(RULES) - report.applicable) == []


def test_primary_and_dr_stacks_together_grant_every_service_its_keys():
    dev, dr = shipped_run("dev"), shipped_run("dr")
    config = {"all": "disabled", **{name: "mandatory" for name in KEY_RULES}}
    report = analyze(dev.resources() + dr.resources(), config=config)
    found = _deployability(report)
    assert found == [], "\n".join(found)
    assert set(KEY_RULES) <= report.applicable


def test_the_stack_check_sees_a_reverted_guard():
    """The stacks test can fail: drop the grant option from dev's consumer grants and it reports."""
    run = shipped_run("dev")
    resources = run.resources()
    for r in resources:
        if r["type"] == "aws:lakeformation/permissions:Permissions":
            for props in (r["inputs"], r["outputs"]):
                props.pop("permissionsWithGrantOptions", None)
    found = _deployability(analyze(resources, config=stack_policy_config(run)))
    assert any(f.startswith("[lakeformation-cross-account-grant-option]") for f in found), found


def test_the_cross_stack_check_sees_a_dr_key_without_its_regions_logs_grant():
    """Reverting the DR key's CloudWatch Logs statement breaks DR crawlers, which live in the dr stack."""
    import json

    dev, dr = shipped_run("dev"), shipped_run("dr")
    resources = dev.resources() + dr.resources()
    for r in resources:
        arn = (r["outputs"] or {}).get("arn") or ""
        if r["type"] == "aws:kms/key:Key" and r["urn"].startswith("urn:pulumi:dev:") and ":us-west-2:" in arn:
            for props in (r["inputs"], r["outputs"]):
                document = json.loads(props["policy"])
                document["Statement"] = [s for s in document["Statement"]
                                         if "logs." not in json.dumps(s.get("Principal"))]
                props["policy"] = json.dumps(document)
    config = {"all": "disabled", **{name: "mandatory" for name in KEY_RULES}}
    found = _deployability(analyze(resources, config=config))
    assert any("Glue security configuration (CloudWatch logs)" in f and "logs.us-west-2.amazonaws.com" in f
               for f in found), found
