"""Every policy: a compliant fixture passes, a violating one (one property changed) fails with its
message. All runs go through the analyzer interface (policies.offline.analyze)."""
import pytest

from policies.pack import ALL_POLICIES
from policy_cases import CASES
from policy_fixtures import messages, run

NAMES = [p.name for p in ALL_POLICIES]


@pytest.mark.parametrize("name", NAMES)
def test_every_policy_has_a_compliant_and_a_violating_case(name):
    assert name in CASES, f"add a Case for {name} in tests/policies/policy_cases.py"


def test_no_case_for_an_unknown_policy():
    assert sorted(set(CASES) - set(NAMES)) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_compliant(name):
    case = CASES[name]
    report = run(*case.compliant, config=case.config, with_provider=case.with_provider)
    assert messages(report, name) == []
    if case.applicable:
        assert name in report.applicable, f"{name} did not evaluate its compliant fixture"


@pytest.mark.parametrize("name", sorted(CASES))
def test_violating(name):
    case = CASES[name]
    report = run(*case.violating, config=case.config, with_provider=case.with_provider)
    found = messages(report, name)
    assert any(case.message in m for m in found), f"expected {case.message!r} in {found}"


@pytest.mark.parametrize("name,key,message", [
    ("elb-listener-tls-only", "weak_policy", "Listener sslPolicy 'ELBSecurityPolicy-2016-08' is not TLS 1.2+"),
    ("ec2-no-public-ingress-except-https", "inline", "Ingress from 0.0.0.0/0 or ::/0 on protocol -1 ports 0-0"),
])
def test_extra_violations(name, key, message):
    found = messages(run(*CASES[name].extra[key]), name)
    assert any(message in m for m in found), found
