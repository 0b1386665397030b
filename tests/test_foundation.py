"""Account provider pinning and the three-AZ network, on a stack with no products or services."""

from __future__ import annotations

import json

import pytest

from offline.mocks import decoded_provider_inputs
from offline.runner import load_stack_config, run_stack
from stackconfig.loader import PROJECT

_CACHE: dict[str, object] = {}


def bare(**changes):
    """The dev stack without data products or services (so only foundation resources exist)."""
    key = json.dumps(changes, sort_keys=True)
    if key not in _CACHE:
        cfg = load_stack_config("dev")
        cfg[f"{PROJECT}:dataProducts"] = "[]"
        cfg[f"{PROJECT}:services"] = "[]"
        # With nothing to protect or alarm on, these keys would do nothing: the loader refuses them.
        for unused in ("drRegion", "dr", "alarms"):
            cfg.pop(f"{PROJECT}:{unused}", None)
        for k, v in changes.items():
            cfg[f"{PROJECT}:{k}"] = v if isinstance(v, str) else json.dumps(v)
        run = run_stack("dev", config=cfg)
        assert run.ok, run.error
        _CACHE[key] = run
    return _CACHE[key]


def provider_inputs(rec) -> dict:
    return decoded_provider_inputs(rec.inputs)


def test_one_explicit_provider_pinned_to_the_bu_account():
    run = bare()
    providers = run.by_type("pulumi:providers:aws")
    assert len(providers) == 1
    p = provider_inputs(providers[0])
    assert p["region"] == "us-east-1"
    assert p["allowedAccountIds"] == ["111111111111"]
    assert p["assumeRoles"] == [{"roleArn": "arn:aws:iam::111111111111:role/PlatformDeployer",
                                 "sessionName": "ddp-retail-dev"}]
    tags = p["defaultTags"]["tags"]
    assert {k: tags[k] for k in ("business-unit", "environment", "owner", "cost-center", "managed-by")} == {
        "business-unit": "retail", "environment": "dev", "owner": "retail-data-platform@example.com",
        "cost-center": "CC-1001", "managed-by": "pulumi/data-delivery-platform"}


def test_every_aws_resource_is_bound_to_the_stack_provider():
    run = bare()
    prov = run.by_type("pulumi:providers:aws")[0]
    ref = f"{prov.urn}::{prov.id}"
    aws_resources = [r for r in run.records if r.custom and r.type.startswith("aws:")]
    assert aws_resources
    assert {r.provider for r in aws_resources} == {ref}
    vpc = run.by_type("awsx:ec2:Vpc")[0]
    assert vpc.providers == {"aws": prov.urn + "::" + prov.id}


def test_user_tags_cannot_override_mandatory_tags():
    # A reserved key in user tags is refused with one line (it never silently loses or wins).
    cfg = load_stack_config("dev")
    cfg[f"{PROJECT}:tags"] = json.dumps({"owner": "someone-else", "project": "x"})
    refused = run_stack("dev", config=cfg)
    assert refused.error.startswith("Pulumi.dev.yaml: data-delivery-platform:tags.owner: tag key 'owner' is set by "
                                    "the platform")
    run = bare(tags={"project": "x"})
    tags = provider_inputs(run.by_type("pulumi:providers:aws")[0])["defaultTags"]["tags"]
    assert tags["owner"] == "retail-data-platform@example.com" and tags["project"] == "x"


def test_vpc_spans_exactly_three_azs_with_public_and_private_subnets():
    run = bare()
    vpc = run.by_type("awsx:ec2:Vpc")[0]
    assert vpc.inputs["numberOfAvailabilityZones"] == 3
    assert vpc.inputs["cidrBlock"] == "10.10.0.0/16"
    assert [s["type"] for s in vpc.inputs["subnetSpecs"]] == ["Public", "Private"]
    assert vpc.inputs["natGateways"] == {"strategy": "Single"}
    assert vpc.inputs["enableDnsHostnames"] is True
    net = run.outputs["network"]
    assert len(net["privateSubnetIds"]) == 3 and len(net["publicSubnetIds"]) == 3


@pytest.mark.parametrize("env, nat, expected", [("prod", None, "OnePerAz"), ("dev", "none", "None"),
                                                ("staging", "single", "Single")])
def test_nat_strategy_by_environment(env, nat, expected):
    network = {"cidr": "10.10.0.0/16"} | ({"natGateways": nat} if nat else {})
    run = bare(environment=env, network=network)
    vpc = run.by_type("awsx:ec2:Vpc")[0]
    assert vpc.inputs["natGateways"] == {"strategy": expected}
    compute = [s["type"] for s in vpc.inputs["subnetSpecs"]][1]
    assert compute == ("Isolated" if expected == "None" else "Private")
    assert len(run.outputs["network"]["privateSubnetIds"]) == 3


def test_gateway_endpoints_for_s3_and_dynamodb_on_the_compute_route_tables():
    run = bare()
    eps = {r.inputs["serviceName"]: r.inputs for r in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(eps) == {"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"}
    for ep in eps.values():
        assert ep["vpcEndpointType"] == "Gateway"
        assert len(ep["routeTableIds"]) == 3


def test_flow_logs_to_encrypted_log_group_with_retention():
    run = bare()
    fl = run.by_type("aws:ec2/flowLog:FlowLog")[0].inputs
    lg = run.by_type("aws:cloudwatch/logGroup:LogGroup")[0]
    key = run.by_type("aws:kms/key:Key")[0]
    assert fl["trafficType"] == "ALL" and fl["logDestinationType"] == "cloud-watch-logs"
    assert fl["logDestination"] == lg.outputs["arn"]
    assert fl["vpcId"] == run.outputs["network"]["vpcId"]
    assert lg.inputs["retentionInDays"] == 365 and lg.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    policy = json.loads(key.inputs["policy"])
    logs = [s for s in policy["Statement"] if s.get("Principal", {}).get("Service") == "logs.us-east-1.amazonaws.com"]
    # Logs documents (and sends) only the encryption context for this use.
    assert logs and logs[0]["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [
        "arn:aws:logs:us-east-1:111111111111:log-group:/ddp/retail-dev/vpc-flow-logs"]}}
    role = run.by_type("aws:iam/role:Role")[0]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_default_security_group_has_no_rules():
    sg = bare().by_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0].inputs
    assert sg.get("ingress") == [] and sg.get("egress") == []


def test_keys_are_protected_unless_data_destroy_is_allowed():
    assert bare().by_type("aws:kms/key:Key")[0].protect is True
    run = bare(allowDataDestroy=True)
    key = run.by_type("aws:kms/key:Key")[0]
    assert key.protect is False and key.retain_on_delete is False


def test_bad_config_stops_before_any_resource():
    cfg = load_stack_config("dev")
    cfg[f"{PROJECT}:account"] = json.dumps({"id": "abc", "deployRole": "PlatformDeployer"})
    run = run_stack("dev", config=cfg)
    assert not run.ok and run.records == []
    assert run.error.startswith("Pulumi.dev.yaml: data-delivery-platform:account.id: must be a 12-digit")
