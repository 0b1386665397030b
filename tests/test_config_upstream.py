"""Cross-stack sense: a dr stack against its primary's outputs, a consumer against its producer's.

The outputs have the shape `__main__.py` exports (`account: {id, region, role}`, `dataProducts`,
`services`); each check is also broken once on purpose to show it fires on the key to change.
"""

from __future__ import annotations

import json

import pytest

from offline.runner import load_stack_config
from stackconfig import SettingsError, parse_settings
from stackconfig.upstream import check_primary, check_producer, reference_keys

DR = parse_settings(load_stack_config("dr"), source="Pulumi.dr.yaml")
MARKETING = parse_settings(load_stack_config("marketing"), source="Pulumi.marketing.yaml")
PRIMARY = {"account": {"id": "111111111111", "region": "us-east-1", "role": "primary"},
           "dataProducts": {"orders": {"name": "orders", "accountId": "111111111111"}},
           "services": {"orders-api": {"endpoint": "x"}}}


def _with(base: dict, **changes) -> dict:
    out = json.loads(json.dumps(base))
    for key, value in changes.items():
        if key in ("id", "region", "role", "environment", "businessUnit"):
            out["account"][key] = value
        else:
            out[key] = value
    return out


def error(fn, *args, **kwargs) -> str:
    with pytest.raises(SettingsError) as exc:
        fn(*args, **kwargs)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_the_shipped_pair_fits():
    check_primary(DR, PRIMARY, source="Pulumi.dr.yaml")
    check_primary(DR, _with(PRIMARY, environment="dev", businessUnit="retail"), source="Pulumi.dr.yaml")


@pytest.mark.parametrize("outputs, key, says", [
    (_with(PRIMARY, id="999999999999"), "account.id", "differs from the primary's account 999999999999"),
    (_with(PRIMARY, environment="prod"), "environment", "differs from the primary's environment 'prod'"),
    (_with(PRIMARY, businessUnit="marketing"), "businessUnit", "differs from the primary's businessUnit"),
    (_with(PRIMARY, role="dr"), "primaryStack", "is a dr stack; reference the primary"),
    (_with(PRIMARY, region="us-west-2"), "primaryStack", "runs in us-west-2 too"),
    (_with(PRIMARY, dataProducts={}, services={}), "primaryStack", "nothing to protect"),
    ({}, "primaryStack", "has no outputs"),
    (None, "primaryStack", "has no outputs"),
])
def test_dr_stack_against_its_primary(outputs, key, says):
    msg = error(check_primary, DR, outputs, source="Pulumi.dr.yaml")
    assert msg.startswith(f"Pulumi.dr.yaml: data-delivery-platform:{key}: ") and says in msg, msg


def test_dr_without_nat_refused_only_when_the_primary_has_services():
    cfg = load_stack_config("dr")
    cfg["data-delivery-platform:network"] = json.dumps({"cidr": "10.20.0.0/16", "natGateways": "none"})
    dark = parse_settings(cfg, source="Pulumi.dr.yaml")
    msg = error(check_primary, dark, PRIMARY, source="Pulumi.dr.yaml")
    assert "data-delivery-platform:network.natGateways: none" in msg and "orders-api" in msg
    check_primary(dark, _with(PRIMARY, services={}), source="Pulumi.dr.yaml")


PRODUCER = {"account": {"id": "111111111111", "region": "us-east-1", "role": "primary"},
            "dataProducts": {"orders": {"name": "orders", "consumers": ["222222222222"]}}}


def test_consumer_against_its_producer():
    check_producer(MARKETING, 0, PRODUCER, source="Pulumi.marketing.yaml")
    for outputs, key, says in [
        (_with(PRODUCER, id="222222222222"), "consumes[0].stack", "this stack's own account"),
        (_with(PRODUCER, role="dr"), "consumes[0].stack", "is a dr stack"),
        (_with(PRODUCER, dataProducts={"customers": {}}), "consumes[0].dataProduct",
         "exports no data product 'orders'; it exports: customers"),
        ({}, "consumes[0].stack", "has no outputs"),
    ]:
        msg = error(check_producer, MARKETING, 0, outputs, source="Pulumi.marketing.yaml")
        assert msg.startswith(f"Pulumi.marketing.yaml: data-delivery-platform:{key}: ") and says in msg, msg


def test_reference_keys_name_every_reference():
    assert reference_keys(DR) == [("primaryStack", "organization/data-delivery-platform/dev")]
    assert reference_keys(MARKETING) == [("consumes[0].stack", "organization/data-delivery-platform/dev")]
