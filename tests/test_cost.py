"""Offline cost estimate (offline/cost/), price refresh (tools/refresh_prices.py) and the stack budget
(components/budget.py).

- A small synthetic graph priced with a round-number price table: every figure below is worked by hand.
- Unknown types and fixed-cost resources without a price are "not priced", never zero.
- The shipped stacks match the committed totals (offline/pricing/expected-totals.json); regenerate
  them with `.venv/bin/python -m offline.cost --write-expected` when the graph or prices change.
- Switch savings come from re-running the stack with the switch flipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import boto3
import pulumi
import pulumi_aws as aws
import pytest
from botocore.stub import Stubber

from sdk_names import assert_absent
from components.foundation.budget import (StackBudget, StackBudgetArgs, budgets_key_statement, budgets_publish_statement,
                               default_limit_usd)
from offline import cost, engine
from offline.cost import FIXED_COST_TYPES, FREE, METERS, Price, PriceTable, estimate
from offline.mocks import PlatformMocks, Record, RecordingMonitor
from offline.runner import shipped_run
from tools import refresh_prices

ROOT = Path(__file__).resolve().parent.parent
STACK = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"
P1 = "urn:pulumi:t::p::pulumi:providers:aws::east"
P2 = "urn:pulumi:t::p::pulumi:providers:aws::west"


# --- a synthetic graph, priced by hand ------------------------------------------------------------------

ROUND_PRICES = {
    "dax.node-hour.dax.r5.large": 0.25, "ec2.nat-gateway-hour": 0.05, "ec2.public-ipv4-hour": 0.005,
    "ec2.nat-data-gb": 0.05, "ec2.interface-endpoint-hour": 0.01, "ec2.interface-endpoint-data-gb": 0.01,
    "elb.alb-hour": 0.02, "elb.alb-lcu-hour": 0.01, "transfer.protocol-hour": 0.3, "transfer.data-gb": 0.04,
    "kinesis.shard-hour": 0.015, "kinesis.extended-retention-shard-hour": 0.02, "kinesis.put-unit-million": 0.014,
    "fargate.vcpu-hour.x86": 0.04, "fargate.gb-hour.x86": 0.004, "kms.key-month": 1.0, "kms.request-10k": 0.03,
    "route53.health-check-aws-month": 0.5, "route53.health-check-feature-aws-month": 1.0,
    "cloudwatch.alarm-standard-month": 0.1, "cloudwatch.alarm-high-resolution-month": 0.3,
    "lambda.request-million": 0.2, "lambda.gb-second.arm": 0.00001,
}


def table(region: str, prices: dict[str, float] = ROUND_PRICES) -> PriceTable:
    return PriceTable(region=region, as_of="2026-01-01", source="test",
                      prices={k: Price(k, v, "unit", k) for k, v in prices.items()})


TABLES = {"us-east-1": table("us-east-1"), "us-west-2": table("us-west-2")}


def rec(type_: str, name: str, inputs: dict[str, Any], *, parent: str = STACK, provider: str = P1,
        custom: bool = True, providers: Optional[dict[str, str]] = None) -> Record:
    return Record(urn=f"urn:pulumi:t::p::{type_}::{name}", type=type_, name=name, custom=custom, parent=parent,
                  provider=f"{provider}::id" if custom and provider else "", providers=providers or {},
                  protect=False, retain_on_delete=False, dependencies=[], inputs=inputs)


def component(type_: str, name: str) -> Record:
    return rec(type_, name, {}, custom=False, provider="")


NET, ORDERS, API, DR = (component("ddp:index:Network", "net"), component("ddp:index:DataProduct", "orders"),
                        component("ddp:index:OperationalService", "api"), component("ddp:index:DrReplication", "orders-dr"))


def synthetic() -> list[Record]:
    return [
        rec("pulumi:pulumi:Stack", "p-t", {}, parent="", custom=False, provider=""),
        rec("pulumi:providers:aws", "east", {"region": "us-east-1"}, provider=""),
        rec("pulumi:providers:aws", "west", {"region": "us-west-2"}, provider=""),
        NET, ORDERS, API, DR,
        rec("awsx:ec2:Vpc", "vpc", {"natGateways": {"strategy": "OnePerAz"}, "numberOfAvailabilityZones": 3.0},
            parent=NET.urn, custom=False, providers={"aws": f"{P1}::id"}),
        rec("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr-api", {"vpcEndpointType": "Interface",
                                                           "subnetIds": ["s-a", "s-b", "s-c"]}, parent=NET.urn),
        rec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}, parent=NET.urn),
        rec("aws:dax/cluster:Cluster", "dax", {"nodeType": "dax.r5.large", "replicationFactor": 3.0}, parent=ORDERS.urn),
        rec("aws:transfer/server:Server", "sftp", {"protocols": ["SFTP"], "endpointType": "VPC"}, parent=ORDERS.urn),
        rec("aws:kinesis/stream:Stream", "stream", {"shardCount": 2.0, "retentionPeriod": 24.0,
                                                    "streamModeDetails": {"streamMode": "PROVISIONED"}}, parent=ORDERS.urn),
        rec("aws:kms/key:Key", "key", {"enableKeyRotation": True}, parent=ORDERS.urn),
        rec("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", {"period": 300.0}, parent=ORDERS.urn),
        rec("aws:cloudwatch/metricAlarm:MetricAlarm", "fast-alarm", {"period": 10.0}, parent=ORDERS.urn),
        rec("aws:iam/role:Role", "role", {}, parent=ORDERS.urn),
        rec("aws:ecs/taskDefinition:TaskDefinition", "task", {"family": "api", "cpu": "1024", "memory": "2048",
                                                              "runtimePlatform": {"cpuArchitecture": "X86_64"}},
            parent=API.urn),
        rec("aws:ecs/service:Service", "svc", {"launchType": "FARGATE", "desiredCount": 2.0,
                                               "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/api:1"},
            parent=API.urn),
        rec("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application", "internal": False,
                                                        "subnets": ["p-a", "p-b", "p-c"]}, parent=API.urn),
        rec("aws:route53/healthCheck:HealthCheck", "hc", {"type": "HTTPS", "requestInterval": 30.0,
                                                          "fqdn": "x.us-east-1.elb.amazonaws.com"}, parent=API.urn),
        rec("aws:lambda/function:Function", "fn", {"architectures": ["arm64"], "memorySize": 512.0}, parent=API.urn),
        rec("aws:kms/key:Key", "replica-key", {}, parent=DR.urn, provider=P2),
    ]


USAGE = {"fn": {"lambda.request-million": 3, "lambda.gb-second.arm": 1_000_000}}


def fixed_line(est, resource: str, price_id: str):
    [line] = [l for l in est.lines if l.resource == resource and l.price_id == price_id]
    return line


def test_synthetic_graph_fixed_costs_by_hand():
    est = estimate(synthetic(), stack="t", region="us-east-1", usage=USAGE, tables=TABLES)
    expect = {  # (resource, price id): monthly USD, worked by hand with 730 h
        ("vpc", "ec2.nat-gateway-hour"): 3 * 730 * 0.05,              # 109.50: one NAT per AZ
        ("vpc", "ec2.public-ipv4-hour"): 3 * 730 * 0.005,             # 10.95: their Elastic IPs
        ("ecr-api", "ec2.interface-endpoint-hour"): 3 * 730 * 0.01,   # 21.90: one ENI per AZ
        ("dax", "dax.node-hour.dax.r5.large"): 3 * 730 * 0.25,        # 547.50
        ("sftp", "transfer.protocol-hour"): 730 * 0.3,                # 219.00
        ("stream", "kinesis.shard-hour"): 2 * 730 * 0.015,            # 21.90 (24 h retention: no extended)
        ("key", "kms.key-month"): 1.0,
        ("alarm", "cloudwatch.alarm-standard-month"): 0.1,
        ("fast-alarm", "cloudwatch.alarm-high-resolution-month"): 0.3,
        ("svc", "fargate.vcpu-hour.x86"): 2 * 1 * 730 * 0.04,        # 58.40: 2 tasks x 1 vCPU
        ("svc", "fargate.gb-hour.x86"): 2 * 2 * 730 * 0.004,         # 11.68: 2 tasks x 2 GB
        ("alb", "elb.alb-hour"): 730 * 0.02,                          # 14.60
        ("alb", "ec2.public-ipv4-hour"): 3 * 730 * 0.005,             # 10.95: internet-facing in 3 AZs
        ("hc", "route53.health-check-aws-month"): 0.5,
        ("hc", "route53.health-check-feature-aws-month"): 1.0,        # HTTPS is an optional feature
        ("replica-key", "kms.key-month"): 1.0,
    }
    fixed = {(l.resource, l.price_id): l.monthly_usd for l in est.lines if l.kind == "fixed"}
    assert fixed == pytest.approx(expect)
    assert est.fixed_usd == 1030.28
    assert est.fixed_by(lambda l: l.region) == {"us-east-1": 1029.28, "us-west-2": 1.0}
    assert est.fixed_by(lambda l: l.group) == {"DataProduct orders": 789.8, "DrReplication orders-dr": 1.0,
                                               "Network net": 142.35, "OperationalService api": 97.13}
    assert fixed_line(est, "replica-key", "kms.key-month").region == "us-west-2"
    assert est.complete and est.free == {"aws:iam/role:Role": 1, "aws:ecs/taskDefinition:TaskDefinition": 1}


def test_synthetic_usage_lines_show_unit_price_and_price_only_given_quantities():
    est = estimate(synthetic(), stack="t", region="us-east-1", usage=USAGE, tables=TABLES)
    requests = fixed_line(est, "fn", "lambda.request-million")
    duration = fixed_line(est, "fn", "lambda.gb-second.arm")
    assert (requests.kind, requests.quantity, requests.monthly_usd) == ("usage", 3, pytest.approx(0.6))
    assert duration.monthly_usd == pytest.approx(10.0)
    nat_data = fixed_line(est, "vpc", "ec2.nat-data-gb")
    assert (nat_data.unit_usd, nat_data.quantity, nat_data.monthly_usd) == (0.05, None, None)
    assert est.usage_usd == 10.6
    wildcard = estimate(synthetic(), stack="t", region="us-east-1", tables=TABLES,
                        usage={"*": {"ec2.nat-data-gb": 100}})
    assert fixed_line(wildcard, "vpc", "ec2.nat-data-gb").monthly_usd == pytest.approx(5.0)


def test_unknown_type_is_not_priced_never_zero():
    graph = synthetic() + [rec("aws:rds/instance:Instance", "db", {"instanceClass": "db.r6g.large"}, parent=ORDERS.urn)]
    est = estimate(graph, stack="t", region="us-east-1", tables=TABLES)
    assert [(n.type, n.resource, n.reason) for n in est.not_priced] == [
        ("aws:rds/instance:Instance", "db", "no price rule for this resource type")]
    assert not est.complete
    assert est.fixed_usd == 1030.28  # the known resources still add up; the report says INCOMPLETE
    assert "INCOMPLETE" in cost.render(cost.CostReport(est))


def test_fixed_cost_resource_without_a_price_is_not_priced():
    graph = [r if r.name != "dax" else rec("aws:dax/cluster:Cluster", "dax", {"nodeType": "dax.r9.huge",
                                                                             "replicationFactor": 3.0}, parent=ORDERS.urn)
             for r in synthetic()]
    est = estimate(graph, stack="t", region="us-east-1", tables=TABLES)
    [missing] = est.not_priced
    assert (missing.resource, missing.type) == ("dax", "aws:dax/cluster:Cluster")
    assert "dax.node-hour.dax.r9.huge missing" in missing.reason
    assert not [l for l in est.lines if l.resource == "dax"]
    assert est.fixed_usd == pytest.approx(1030.28 - 547.5)
    # a region without any committed table: every fixed-cost resource there is not priced
    graph = [r if r.name != "west" else rec("pulumi:providers:aws", "west", {"region": "eu-central-1"}, provider="")
             for r in synthetic()]
    est = estimate(graph, stack="t", region="us-east-1", tables=TABLES)
    assert [(n.resource, n.reason) for n in est.not_priced] == [
        ("replica-key", "kms.key-month, kms.request-10k missing (no price table for eu-central-1)")]


def test_non_fargate_service_and_internal_alb():
    graph = synthetic()
    graph = [rec("aws:ecs/service:Service", "svc", {"launchType": "EC2", "taskDefinition": "x/api:1"}, parent=API.urn)
             if r.name == "svc" else
             rec("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": True, "subnets": ["a", "b"]}, parent=API.urn)
             if r.name == "alb" else r for r in graph]
    est = estimate(graph, stack="t", region="us-east-1", tables=TABLES)
    assert [(n.resource, n.reason) for n in est.not_priced] == [("svc", "cannot price launch type EC2")]
    assert [l.price_id for l in est.lines if l.resource == "alb" and l.kind == "fixed"] == ["elb.alb-hour"]


# --- committed price tables --------------------------------------------------------------------------------

@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_committed_price_table_is_dated_sourced_and_queryable(region):
    doc = json.loads((ROOT / "offline" / "pricing" / f"{region}.json").read_text())
    assert doc["region"] == region and doc["currency"] == "USD" and doc["hoursPerMonth"] == cost.HOURS_PER_MONTH
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["asOf"])
    assert "AWS" in doc["source"] and "refresh_prices" in doc["source"]
    for pid, entry in doc["prices"].items():
        assert entry["usd"] > 0 and entry["unit"], pid
        assert entry["query"]["serviceCode"] and entry["query"]["usagetypeSuffix"], pid


def test_regions_price_the_same_kinds():
    east, west = (set(json.loads((ROOT / "offline" / "pricing" / f"{r}.json").read_text())["prices"])
                  for r in ("us-east-1", "us-west-2"))
    assert east == west


# --- shipped stacks --------------------------------------------------------------------------------------

SHIPPED = ("dev", "dr", "marketing")


def shipped_estimate(stack: str):
    run = shipped_run(stack)
    return estimate(run.records, stack=stack, region=run.config["aws:region"])


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stack_has_no_unpriced_resource(stack):
    """Fails when a fixed-cost type (or any unknown type) enters a shipped stack without a price."""
    run, est = shipped_run(stack), shipped_estimate(stack)
    assert est.not_priced == [], "add a meter in offline/cost/meters.py or a price in offline/pricing/: " + "; ".join(
        f"{n.type} {n.resource}: {n.reason}" for n in est.not_priced)
    graph = cost.Graph(run.records)
    for r in run.records:
        if r.type in FIXED_COST_TYPES:
            fixed_meters = [m for m in METERS[r.type](r, graph) if m.kind == "fixed"]
            priced = [l for l in est.lines if (l.resource, l.type, l.kind) == (r.name, r.type, "fixed")]
            assert len(priced) == len(fixed_meters), f"{r.type} {r.name}"


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stack_matches_committed_totals(stack):
    """Regenerate with `.venv/bin/python -m offline.cost --write-expected` after a deliberate change."""
    expected = cost.committed_totals()["stacks"][stack]
    assert shipped_estimate(stack).summary() == expected
    assert cost.committed_fixed_estimate(stack) == expected["fixedMonthlyUsd"]


def test_dev_fixed_cost_is_led_by_dax_and_sftp():
    est = shipped_estimate("dev")
    by_type = est.fixed_by(lambda l: l.type)
    top = sorted(by_type, key=by_type.get, reverse=True)[:2]
    assert top == ["aws:dax/cluster:Cluster", "aws:transfer/server:Server"]
    dax = [l for l in est.lines if l.type == "aws:dax/cluster:Cluster"]
    assert [(l.quantity, l.price_id) for l in dax] == [(3 * 730, "dax.node-hour.dax.r5.large")]


def test_pilot_light_is_under_ten_percent_of_the_primary():
    dev, dr = shipped_estimate("dev"), shipped_estimate("dr")
    comparison = cost.dr_comparison(dev, dr)
    assert comparison.primary_dr_resources_usd == dev.fixed_by(lambda l: l.region)["us-west-2"] > 0
    assert comparison.dr_fixed_usd == pytest.approx(comparison.primary_dr_resources_usd + dr.fixed_usd)
    assert comparison.share < 0.10


def readme_cost_section() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return readme.split("## What a stack costs", 1)[1].split("\n## ", 1)[0]


def test_readme_cost_figures_are_the_committed_ones():
    """The README's totals table and DR share are today's committed estimate, not an older one."""
    section = readme_cost_section()
    totals = {stack: doc["fixedMonthlyUsd"] for stack, doc in cost.committed_totals()["stacks"].items()}
    table = {stack: float(usd.replace(",", "")) for stack, usd in re.findall(r"^\| `(\w+)` \| \$([\d,.]+) \|", section, re.M)}
    assert table == totals
    comparison = cost.dr_comparison(shipped_estimate("dev"), shipped_estimate("dr"))
    assert f"**{comparison.share * 100:.1f} %**" in section
    assert f"${comparison.dr_fixed_usd:,.2f}" in section


def test_switch_savings_rerun_the_stack_with_the_switch_flipped():
    run = shipped_run("dev")
    base = shipped_estimate("dev")
    results = {s.id: s for s in cost.switch_savings("dev", run.config, base,
                                                    only=("dax-off", "sftp-off", "kinesis-on-demand", "nat-single"))}

    def fixed(type_: str) -> float:
        return sum(l.monthly_usd for l in base.lines if l.kind == "fixed" and l.type == type_)

    assert results["dax-off"].saving_usd == pytest.approx(fixed("aws:dax/cluster:Cluster"), abs=0.01)
    assert results["sftp-off"].saving_usd == pytest.approx(fixed("aws:transfer/server:Server"), abs=0.01)
    on_demand = 730 * cost.load_table("us-east-1").get("kinesis.on-demand-stream-hour").usd
    assert results["kinesis-on-demand"].saving_usd == pytest.approx(fixed("aws:kinesis/stream:Stream") - on_demand,
                                                                    abs=0.01)
    assert results["nat-single"].applicable is False  # dev already runs one NAT gateway
    assert all(r.fixed_usd == pytest.approx(base.fixed_usd - r.saving_usd) for r in results.values() if r.applicable)


def test_switch_edits_only_their_setting():
    cfg = {"data-delivery-platform:dataProducts": json.dumps([
        {"name": "a", "ingestion": {"streaming": {"shards": 2}, "sftp": {"users": []}},
         "operationalStore": {"partitionKey": "k"}}]),
           "data-delivery-platform:network": json.dumps({"cidr": "10.0.0.0/16", "natGateways": "single"})}
    [p] = json.loads(cost.dax_off(cfg)["data-delivery-platform:dataProducts"])
    assert p["operationalStore"] == {"partitionKey": "k", "dax": {"enabled": False}}
    [p] = json.loads(cost.kinesis_on_demand(cfg)["data-delivery-platform:dataProducts"])
    assert p["ingestion"] == {"streaming": {}, "sftp": {"users": []}}
    [p] = json.loads(cost.sftp_off(cfg)["data-delivery-platform:dataProducts"])
    assert p["ingestion"] == {"streaming": {"shards": 2}}
    assert json.loads(cost.nat_gateways("none")(cfg)["data-delivery-platform:network"]) == {"cidr": "10.0.0.0/16",
                                                                                   "natGateways": "none"}
    assert cost.nat_gateways("single")(cfg) is None
    assert json.loads(cfg["data-delivery-platform:dataProducts"])[0]["ingestion"]["streaming"] == {"shards": 2}



def test_waf_web_acl_bills_the_acl_and_each_rule_its_association_and_logging_are_free():
    rules = [{"name": "common", "priority": 0.0}, {"name": "bad-inputs", "priority": 1.0},
             {"name": "rate-limit-per-ip", "priority": 2.0}]
    graph = [
        rec("pulumi:pulumi:Stack", "p-t", {}, parent="", custom=False, provider=""),
        rec("pulumi:providers:aws", "east", {"region": "us-east-1"}, provider=""), API,
        rec("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL", "rules": rules}, parent=API.urn),
        rec("aws:wafv2/webAclAssociation:WebAclAssociation", "waf-alb", {}, parent=API.urn),
        rec("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging", {}, parent=API.urn),
    ]
    prices = {"waf.web-acl-month": 5.0, "waf.rule-month": 1.0, "waf.request-million": 0.6}
    est = estimate(graph, stack="t", region="us-east-1", tables={"us-east-1": table("us-east-1", prices)},
                   usage={"waf": {"waf.request-million": 10}})
    assert est.complete
    assert fixed_line(est, "waf", "waf.web-acl-month").monthly_usd == 5.0
    assert fixed_line(est, "waf", "waf.rule-month").quantity == 3
    assert est.fixed_usd == 8.0 and est.usage_usd == 6.0
    assert est.free == {"aws:wafv2/webAclAssociation:WebAclAssociation": 1,
                        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": 1}
    committed = cost.load_table("us-east-1")
    assert [committed.get(price_id).usd for price_id in prices] == [5.0, 1.0, 0.6]

def test_usage_profile_file_is_validated(tmp_path):
    good = tmp_path / "usage.yaml"
    good.write_text("'*':\n  lambda.request-million: 2\norders-ods:\n  dynamodb.write-million: 5\n")
    assert cost.load_usage(str(good)) == {"*": {"lambda.request-million": 2}, "orders-ods": {"dynamodb.write-million": 5}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("orders-ods:\n  dynamodb.write-million: lots\n")
    with pytest.raises(ValueError, match="orders-ods.dynamodb.write-million: quantity must be a number"):
        cost.load_usage(str(bad))
    broken = tmp_path / "broken.yaml"
    broken.write_text("orders-ods: [\n")
    with pytest.raises(ValueError, match=r"broken.yaml: not valid YAML: while parsing"):
        cost.load_usage(str(broken))


def test_cost_cli_reports_a_broken_usage_file_in_one_line(tmp_path, capsys):
    from offline.cost.__main__ import main

    broken = tmp_path / "usage.yaml"
    broken.write_text("x: [\n")
    assert main(["marketing", "--usage", str(broken), "--no-switches"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"--usage: {broken}: not valid YAML: ")


# --- price refresh against recorded Price List responses ----------------------------------------------------

def test_refresh_reads_price_list_api_responses(tmp_path, monkeypatch):
    calls = json.loads((ROOT / "tests" / "data" / "pricing" / "get_products_us-west-2.json").read_text())["calls"]
    committed = json.loads((ROOT / "offline" / "pricing" / "us-west-2.json").read_text())
    doc = {**committed, "prices": {k: committed["prices"][k] for k in ("ec2.nat-gateway-hour", "kinesis.shard-hour",
                                                                        "s3.put-1k")}}
    (tmp_path / "us-west-2.json").write_text(json.dumps(doc))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("pricing", region_name="us-east-1")
    with Stubber(client) as stub:
        for call in calls:
            stub.add_response("get_products", call["response"], call["expected_params"])
        assert refresh_prices.main([], client=client, directory=tmp_path, today="2026-12-24") == 0
        stub.assert_no_pending_responses()
    new = json.loads((tmp_path / "us-west-2.json").read_text())
    assert new["prices"]["ec2.nat-gateway-hour"]["usd"] == 0.048    # the Hours SKU on page 2, not the Bytes one
    assert new["prices"]["s3.put-1k"]["usd"] == pytest.approx(0.005)  # $0.000005 per request x 1000
    assert new["prices"]["kinesis.shard-hour"]["usd"] == committed["prices"]["kinesis.shard-hour"]["usd"]  # kept
    assert new["asOf"] == "2026-12-24" and "Price List API" in new["source"]
    assert cost.PriceTable.from_doc(new).get("ec2.nat-gateway-hour").usd == 0.048


def test_refresh_without_credentials_keeps_the_tables(tmp_path, monkeypatch, capsys):
    (tmp_path / "us-east-1.json").write_text((ROOT / "offline" / "pricing" / "us-east-1.json").read_text())
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    before = (tmp_path / "us-east-1.json").read_text()
    assert refresh_prices.main([], directory=tmp_path) == 2
    assert "no AWS credentials" in capsys.readouterr().err
    assert (tmp_path / "us-east-1.json").read_text() == before


# --- the stack budget ---------------------------------------------------------------------------------------

TOPIC = "arn:aws:sns:us-east-1:111111111111:retail-dev-orders-alarms"


def build_budget(args: StackBudgetArgs) -> list[Record]:
    mocks = PlatformMocks(account_id="111111111111", region="us-east-1")
    monitor = RecordingMonitor(mocks)

    def program() -> None:
        provider = aws.Provider("test-provider", region="us-east-1", allowed_account_ids=["111111111111"])
        StackBudget("retail-dev", args, pulumi.ResourceOptions(providers=[provider]))

    engine.run_program(program, mocks=mocks, monitor=monitor, project="ddp-test", stack="dev")
    return monitor.records


def test_budget_notifies_the_topic_at_80_and_100_percent_forecast():
    records = build_budget(StackBudgetArgs(
        budget_name="retail-dev-primary", limit_usd=default_limit_usd(958.07), topic_arn=TOPIC,
        account_id="111111111111",
        cost_tags={"business-unit": "retail", "environment": "dev", "region-role": "primary"}))
    [budget] = [r for r in records if r.type == "aws:budgets/budget:Budget"]
    i = budget.inputs
    assert (i["budgetType"], i["timeUnit"], i["limitAmount"], i["limitUnit"]) == ("COST", "MONTHLY", "1198.00", "USD")
    assert (i["name"], i["accountId"], i["metrics"]) == ("retail-dev-primary", "111111111111", "UnblendedCost")
    assert [(n["notificationType"], n["comparisonOperator"], n["threshold"], n["thresholdType"],
             n["subscriberSnsTopicArns"]) for n in i["notifications"]] == [
        ("FORECASTED", "GREATER_THAN", 80.0, "PERCENTAGE", [TOPIC]),
        ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", [TOPIC])]
    assert [a["tags"] for a in i["filterExpression"]["ands"]] == [
        {"key": "business-unit", "values": ["retail"], "matchOptions": ["EQUALS"]},
        {"key": "environment", "values": ["dev"], "matchOptions": ["EQUALS"]},
        {"key": "region-role", "values": ["primary"], "matchOptions": ["EQUALS"]}]
    assert budget.parent.endswith("ddp:index:StackBudget::retail-dev")


def test_budget_without_tags_covers_the_account():
    records = build_budget(StackBudgetArgs(budget_name="b", limit_usd=10, topic_arn=TOPIC, account_id="111111111111"))
    [budget] = [r for r in records if r.type == "aws:budgets/budget:Budget"]
    assert_absent(budget, "filterExpression", "metrics")


def test_budget_args_and_default_limit():
    assert default_limit_usd(958.07) == 1198          # 958.07 x 1.25 = 1197.59, rounded up
    assert default_limit_usd(100, 0) == 100 and default_limit_usd(0) == 1
    with pytest.raises(ValueError, match="must be > 0"):
        StackBudgetArgs(budget_name="b", limit_usd=0, topic_arn=TOPIC, account_id="1")
    with pytest.raises(ValueError, match="thresholds_percent"):
        StackBudgetArgs(budget_name="b", limit_usd=1, topic_arn=TOPIC, account_id="1", thresholds_percent=(0,))


def test_budgets_topic_and_key_statements():
    st = budgets_publish_statement(TOPIC, "aws", "111111111111")
    assert st["Principal"] == {"Service": "budgets.amazonaws.com"} and st["Action"] == ["SNS:Publish"]
    assert st["Resource"] == [TOPIC]
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"},
                               "ArnLike": {"aws:SourceArn": "arn:aws:budgets::111111111111:*"}}
    key = budgets_key_statement()
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"] and key["Principal"] == st["Principal"]
    assert "Condition" not in key  # delivery to encrypted topics carries no source keys


def test_every_type_the_meters_know_is_either_metered_or_free():
    assert not set(METERS) & FREE
    assert FIXED_COST_TYPES <= set(METERS)


def test_preview_cost_flag_prints_the_report_and_puts_the_estimate_in_the_json(tmp_path, capsys):
    from offline import preview

    out = tmp_path / "marketing.json"
    assert preview.main(["marketing", "--cost", "--quiet", "--json", str(out)]) == 0
    estimate_doc = json.loads(out.read_text())["estimate"]
    assert estimate_doc["complete"] is True and estimate_doc["notPriced"] == []
    assert estimate_doc["fixedMonthlyUsd"] == cost.committed_fixed_estimate("marketing")
    assert {s["id"] for s in estimate_doc["switches"]} == set(cost.SWITCHES)
    assert "Cost estimate of stack 'marketing'" in capsys.readouterr().out
