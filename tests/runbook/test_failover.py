"""Failover runbook against moto, with both regions deployed as the Pulumi program would.

See conftest.py for the two moto gaps (Glue schedule state, DynamoDB global tables) and how
they are bridged.
"""

from __future__ import annotations

import io

import boto3
import pytest

from runbook.actions import apply, render
from runbook.failover import main, make_session, plan_failback, plan_failover
from runbook_platform import (
    DR, LIGHT_OFF, PRIMARY, deploy_dr, deploy_primary, dr_state, primary_down, recording_session,
)

SCOPE = {"business_unit": "retail", "environment": "dev", "primary_region": PRIMARY, "dr_region": DR}
CLI = ["--business-unit", "retail", "--environment", "dev", "--primary-region", PRIMARY, "--dr-region", DR]
LIGHT_ON = {"desired": 3, "min": 3, "max": 6, "reserved": 20, "plain_reserved": None,
            "crawler": "SCHEDULED", "rule": "ENABLED"}


@pytest.fixture
def platform(aws):
    deploy_primary("retail")
    return deploy_dr("retail")


def run(plan_fn, session=None, **extra):
    out = io.StringIO()
    actions = plan_fn(session or boto3.Session(region_name=DR), **SCOPE, **extra)
    result = apply(actions, out=out)
    return actions, result, out.getvalue().splitlines()


def test_fixture_starts_with_the_light_off(platform):
    assert dr_state(platform) == LIGHT_OFF


def test_failover_turns_the_light_on(platform):
    actions, result, lines = run(plan_failover)

    assert result.exit_code == 0, lines
    assert dr_state(platform) == LIGHT_ON
    assert "[capacity] scalable target service/retail-dev/retail-dev-orders-api: min 0 -> min 3" in lines
    assert "[scale] ecs service retail-dev-orders-api: 0 -> 3" in lines
    assert "[concurrency] lambda function retail-dev-order-events: reserved 0 -> reserved 20" in lines
    assert "[concurrency] lambda function retail-dev-order-audit: reserved 0 -> unreserved" in lines
    assert "[crawler] glue crawler retail-dev-orders-raw: NOT_SCHEDULED -> SCHEDULED" in lines
    assert "[rule] eventbridge rule retail-dev-events/retail-dev-orders-nightly: DISABLED -> ENABLED" in lines
    assert sum(a.changes for a in actions) == 6
    # MinCapacity is raised before the service is scaled, so autoscaling cannot undo the scale-up.
    steps = [a.step for a in actions if a.changes]
    assert steps.index("capacity") < steps.index("scale")


def test_failover_raises_max_capacity_when_below_primary_count(aws):
    names = deploy_dr("retail", desired=8)
    run(plan_failover)
    state = dr_state(names)
    assert (state["desired"], state["min"], state["max"]) == (8, 8, 8)


def test_primary_min_count_tag_sets_the_autoscaling_minimum(aws):
    names = deploy_dr("retail", desired=3, min_count=2)
    _, _, lines = run(plan_failover)
    state = dr_state(names)
    assert (state["desired"], state["min"], state["max"]) == (3, 2, 6)
    assert "[capacity] scalable target service/retail-dev/retail-dev-orders-api: min 0 -> min 2" in lines


def test_unreserved_tag_removes_the_reservation(aws):
    names = deploy_dr("retail", reserved="unreserved")
    _, _, lines = run(plan_failover)
    assert dr_state(names)["reserved"] is None
    assert "[concurrency] lambda function retail-dev-order-events: reserved 0 -> unreserved" in lines


def test_lambda_deployed_unthrottled_is_left_alone(aws):
    """OperationalService may deploy a pilot-light Lambda with its configured reservation (not
    0), relying on routing to keep it idle: failover then has nothing to do for it."""
    names = deploy_dr("retail", reserved="20")
    boto3.client("lambda", region_name=DR).put_function_concurrency(
        FunctionName=names.function, ReservedConcurrentExecutions=20)
    actions, _, lines = run(plan_failover)
    assert "[concurrency] lambda function retail-dev-order-events: reserved 20 (no change)" in lines
    assert dr_state(names)["reserved"] == 20


def test_bad_reserved_concurrency_tag_is_an_error(aws):
    names = deploy_dr("retail", reserved="lots")
    _, result, lines = run(plan_failover)
    assert result.exit_code == 1
    assert any(l.startswith("[concurrency] ERROR lambda function retail-dev-order-events: tag") for l in lines)
    assert dr_state(names)["reserved"] == 0 and dr_state(names)["desired"] == 3


def test_replication_report_reads_primary(platform):
    _, result, lines = run(plan_failover)
    assert "[replication] s3 bucket retail-dev-orders-raw-us-east-1: rule to-dr Enabled -> retail-dev-orders-raw-us-west-2" in lines
    assert "[replication] dynamodb table retail-dev-orders-ods: replica us-west-2 ACTIVE" in lines
    # The DR replica bucket carries the primary stack's tags but has no replication of its own.
    assert not any("s3 bucket retail-dev-orders-raw-us-west-2" in line for line in lines)
    assert result.exit_code == 0


def test_missing_dr_replica_is_a_warning_not_a_failure(aws):
    deploy_primary("retail")
    boto3.client("dynamodb", region_name=DR).delete_table(TableName="retail-dev-orders-ods")
    names = deploy_dr("retail")
    _, result, lines = run(plan_failover)
    assert "[replication] WARNING dynamodb table retail-dev-orders-ods: no replica in us-west-2" in lines
    assert result.exit_code == 0
    assert dr_state(names) == LIGHT_ON


def test_second_run_plans_no_change_and_writes_nothing(platform):
    run(plan_failover)
    after_first = dr_state(platform)

    session, log = recording_session()
    actions, result, lines = run(plan_failover, session)

    assert [a for a in actions if a.changes] == []
    assert log.writes == []
    assert log.calls, "the recorder must see the reads, or this test proves nothing"
    assert "[scale] ecs service retail-dev-orders-api: 3 (no change)" in lines
    assert "[rule] eventbridge rule retail-dev-events/retail-dev-orders-nightly: ENABLED (no change)" in lines
    assert result.exit_code == 0
    assert dr_state(platform) == after_first == LIGHT_ON


def test_dry_run_prints_the_plan_and_writes_nothing(platform, capsys):
    session, log = recording_session()
    rc = main(CLI + ["--dry-run"], session=session)

    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert "[scale] ecs service retail-dev-orders-api: 0 -> 3 (dry-run)" in out
    assert out[-1].startswith("== 6 change(s) planned, 0 failed")
    assert log.writes == []
    assert dr_state(platform) == LIGHT_OFF


def test_cli_failover_then_failback(platform, capsys):
    assert main(CLI, session=boto3.Session(region_name=DR)) == 0
    assert dr_state(platform) == LIGHT_ON
    assert main(CLI + ["--failback"], session=boto3.Session(region_name=DR)) == 0
    assert dr_state(platform) == {**LIGHT_OFF, "plain_reserved": 0}
    out = capsys.readouterr().out
    assert "[scale] ecs service retail-dev-orders-api: 3 -> 0" in out
    assert "WARNING reverse direction: S3 replication is one-way" in out


def test_failback_returns_to_zero_and_is_idempotent(platform):
    run(plan_failover)
    actions, result, lines = run(plan_failback)

    assert result.exit_code == 0
    assert dr_state(platform) == LIGHT_OFF
    steps = [a.step for a in actions if a.changes]
    assert steps.index("capacity") < steps.index("scale"), "MinCapacity must drop before the count"
    assert "[crawler] glue crawler retail-dev-orders-raw: SCHEDULED -> NOT_SCHEDULED" in lines

    session, log = recording_session()
    again, _, _ = run(plan_failback, session)
    assert [a for a in again if a.changes] == [] and log.writes == []


def test_other_business_unit_is_untouched(platform):
    marketing = deploy_dr("marketing", desired=2)
    before = dr_state(marketing)

    actions, result, _ = run(plan_failover)

    assert result.exit_code == 0
    assert dr_state(platform) == LIGHT_ON
    assert dr_state(marketing) == before == LIGHT_OFF
    assert not any("marketing" in a.resource for a in actions)


def test_other_environment_and_primary_resources_are_untouched(platform):
    prod = deploy_dr("retail", env="prod")
    run(plan_failover)
    assert dr_state(prod) == LIGHT_OFF


def test_primary_region_unreachable_still_fails_over(platform):
    session, log = recording_session()
    primary_down(session)

    actions, result, lines = run(plan_failover, session)

    assert result.exit_code == 0, lines
    assert dr_state(platform) == LIGHT_ON
    warnings = [a for a in actions if a.severity == "warning"]
    assert len(warnings) == 1 and "primary region us-east-1" in warnings[0].resource
    assert "unreachable" in warnings[0].note
    assert any(line.startswith("[replication] WARNING primary region us-east-1: unreachable") for line in lines)
    assert {region for region, service, _ in log.writes} == {DR}


def test_data_in_the_replica_is_readable_in_dr_after_failover(platform):
    """moto does not replicate DynamoDB global-table items (it has no global tables at all), so
    the item is written to the DR replica table directly, standing in for replication. What this
    checks is the runbook's side: the failover leaves the replica's data alone and a DR reader
    (the scaled-up service, which uses its own region's table) gets it."""
    table = "retail-dev-orders-ods"
    item = {"orderId": {"S": "o-1001"}, "total": {"N": "42"}}
    boto3.client("dynamodb", region_name=PRIMARY).put_item(TableName=table, Item=item)
    boto3.client("dynamodb", region_name=DR).put_item(TableName=table, Item=item)  # "replication"

    _, result, _ = run(plan_failover)

    assert result.exit_code == 0
    got = boto3.client("dynamodb", region_name=DR).get_item(TableName=table, Key={"orderId": {"S": "o-1001"}})
    assert got["Item"] == item


def test_a_failing_step_fails_the_run_but_others_continue(platform):
    session, _ = recording_session()

    def deny_update_service(model, **_):
        if model.name == "UpdateService":
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "nope"}}, "UpdateService")

    session.events.register("before-call", deny_update_service)
    actions, result, lines = run(plan_failover, session)

    assert result.exit_code == 1
    assert "[scale] ERROR ecs service retail-dev-orders-api: 0 -> 3 failed: AccessDeniedException: nope" in lines
    state = dr_state(platform)
    assert state["desired"] == 0
    assert {k: state[k] for k in ("min", "reserved", "crawler", "rule")} == {
        "min": 3, "reserved": 20, "crawler": "SCHEDULED", "rule": "ENABLED"}


def test_bad_desired_count_tag_is_an_error(aws):
    names = deploy_dr("retail")
    ecs = boto3.client("ecs", region_name=DR)
    arn = ecs.describe_services(cluster=names.cluster, services=[names.service])["services"][0]["serviceArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "ddp:primary-desired-count", "value": "three"}])

    actions, result, lines = run(plan_failover)

    assert result.exit_code == 1
    assert any(line.startswith("[scale] ERROR ecs service retail-dev-orders-api: tag ddp:primary-desired-count") for line in lines)
    assert dr_state(names)["desired"] == 0 and dr_state(names)["rule"] == "ENABLED"


def test_service_without_pilot_light_tag_is_not_scaled(aws):
    names = deploy_dr("retail")
    ecs = boto3.client("ecs", region_name=DR)
    arn = ecs.describe_services(cluster=names.cluster, services=[names.service])["services"][0]["serviceArn"]
    ecs.untag_resource(resourceArn=arn, tagKeys=["ddp:pilot-light"])
    run(plan_failover)
    assert dr_state(names)["desired"] == 0


def test_crawler_without_schedule_is_reported_and_left_alone(aws):
    names = deploy_dr("retail")
    glue = boto3.client("glue", region_name=DR)
    glue.create_crawler(Name="retail-dev-adhoc", Role="arn:aws:iam::123456789012:role/x", DatabaseName="retail_dev_orders",
                        Targets={"S3Targets": [{"Path": "s3://x/"}]},
                        Tags={"business-unit": "retail", "environment": "dev", "region-role": "dr"})
    _, result, lines = run(plan_failover)
    assert "[crawler] glue crawler retail-dev-adhoc: no schedule (no change)" in lines
    assert result.exit_code == 0 and dr_state(names)["crawler"] == "SCHEDULED"


# ---- Route 53 --------------------------------------------------------------------------------

def _records(zone: str) -> dict[str, str]:
    sets = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {r["SetIdentifier"]: r["Failover"] for r in sets if r.get("Failover")}


@pytest.fixture
def zone(platform):
    r53 = boto3.client("route53")
    zone_id = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    changes = []
    for ident, role, host in (("primary", "PRIMARY", "retail-alb.us-east-1.elb.amazonaws.com"),
                              ("dr", "SECONDARY", "retail-alb.us-west-2.elb.amazonaws.com")):
        hc = r53.create_health_check(CallerReference=ident, HealthCheckConfig={
            "Type": "HTTPS", "FullyQualifiedDomainName": host, "ResourcePath": "/health", "Port": 443})
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": "api.example.com", "Type": "CNAME", "SetIdentifier": ident, "Failover": role, "TTL": 60,
            "ResourceRecords": [{"Value": host}], "HealthCheckId": hc["HealthCheck"]["Id"]}})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


def test_dns_failover_makes_dr_primary_and_back(zone):
    dns = {"hosted_zone_id": zone, "record_name": "api.example.com"}
    _, result, lines = run(plan_failover, **dns)
    assert result.exit_code == 0
    assert _records(zone) == {"dr": "PRIMARY", "primary": "SECONDARY"}
    assert ("[dns] route53 record api.example.com: PRIMARY=retail-alb.us-east-1.elb.amazonaws.com"
            " -> PRIMARY=retail-alb.us-west-2.elb.amazonaws.com") in lines
    sets = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert all(r.get("HealthCheckId") for r in sets if r.get("Failover")), "health checks must survive the swap"

    session, log = recording_session()
    again, _, _ = run(plan_failover, session, **dns)
    assert [a for a in again if a.changes] == [] and log.writes == []

    run(plan_failback, **dns)
    assert _records(zone) == {"primary": "PRIMARY", "dr": "SECONDARY"}


def test_dns_failover_with_alias_records_as_components_dns_deploys(platform):
    """components/dns.py deploys aliases of each region's ALB with evaluate_target_health and a
    health check, SetIdentifiers `primary` / `dr`."""
    r53 = boto3.client("route53")
    zone_id = r53.create_hosted_zone(Name="example.com", CallerReference="alias")["HostedZone"]["Id"]
    changes = []
    for ident, role, host, lb_zone in (("primary", "PRIMARY", "retail-alb-1.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
                                       ("dr", "SECONDARY", "retail-alb-2.us-west-2.elb.amazonaws.com", "Z1H1FL5HABSF5")):
        hc = r53.create_health_check(CallerReference=f"a-{ident}", HealthCheckConfig={
            "Type": "HTTPS", "FullyQualifiedDomainName": host, "ResourcePath": "/health", "Port": 443})
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": "api.example.com", "Type": "A", "SetIdentifier": ident, "Failover": role,
            "AliasTarget": {"HostedZoneId": lb_zone, "DNSName": host, "EvaluateTargetHealth": True},
            "HealthCheckId": hc["HealthCheck"]["Id"]}})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    _, result, lines = run(plan_failover, hosted_zone_id=zone_id, record_name="api.example.com")

    assert result.exit_code == 0, lines
    assert _records(zone_id) == {"dr": "PRIMARY", "primary": "SECONDARY"}
    assert ("[dns] route53 record api.example.com: PRIMARY=retail-alb-1.us-east-1.elb.amazonaws.com"
            " -> PRIMARY=retail-alb-2.us-west-2.elb.amazonaws.com") in lines
    sets = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert {r["SetIdentifier"]: r["AliasTarget"]["DNSName"].rstrip(".") for r in sets if r.get("Failover")} == {
        "primary": "retail-alb-1.us-east-1.elb.amazonaws.com", "dr": "retail-alb-2.us-west-2.elb.amazonaws.com"}


def test_dns_without_a_dr_record_fails_the_run_but_scales(zone, capsys):
    rc = main(CLI + ["--hosted-zone-id", zone, "--record-name", "api.example.com", "--dr-set-identifier", "west"],
              session=boto3.Session(region_name=DR))
    assert rc == 1
    assert "[dns] ERROR route53 record api.example.com: expected two failover records" in capsys.readouterr().out
    assert _records(zone) == {"primary": "PRIMARY", "dr": "SECONDARY"}
    assert dr_state_of_platform_is_on()


def dr_state_of_platform_is_on() -> bool:
    ecs = boto3.client("ecs", region_name=DR)
    return ecs.describe_services(cluster="retail-dev", services=["retail-dev-orders-api"])["services"][0]["desiredCount"] == 3


# ---- CLI -------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    [],
    ["--business-unit", "retail", "--environment", "dev", "--primary-region", PRIMARY],
    CLI[:-1] + [PRIMARY],
    CLI[:-1] + ["west"],
    CLI + ["--hosted-zone-id", "Z123"],
    CLI + ["--record-name", "api.example.com"],
    CLI + ["--role-arn", "PlatformDeployer"],
    CLI + ["--bogus"],
])
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_no_credentials_exit_1_before_planning(monkeypatch, capsys):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert main(CLI + ["--dry-run"]) == 1
    assert "[auth] ERROR no AWS credentials found" in capsys.readouterr().err


def test_role_arn_is_assumed(aws):
    session = make_session(None, "arn:aws:iam::123456789012:role/PlatformDeployer", DR, "drill")
    creds = session.get_credentials().get_frozen_credentials()
    assert creds.access_key != "testing" and creds.token
    assert session.region_name == DR


def test_render_fails_on_planning_errors():
    from runbook.actions import Action, error
    out = io.StringIO()
    result = render([Action("scale", "x", "0", "3", write=lambda: None), error("rule", "y", "boom")],
                    dry_run=True, out=out)
    assert result.exit_code == 1
    assert out.getvalue().splitlines() == ["[scale] x: 0 -> 3 (dry-run)", "[rule] ERROR y: boom"]
