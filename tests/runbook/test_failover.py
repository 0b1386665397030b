"""The failover runbook against the platform the program declares, materialised in moto from the
recorded dr and dev graphs (graph_platform.py). Every name, tag and ARN comes from those graphs.

The expected states are worked out from the graphs too: `declared` is what the stacks deploy,
`light_on` what DR runs after a failover (each pilot-light resource as its primary counterpart is
declared). A failover must reach `light_on`, a failback must return to `declared` exactly (so a
`pulumi up` after a failback changes nothing), and a second run of either must write nothing.

See conftest.py for the moto gaps (Glue schedule state, global tables, previously tagged
resources) and how they are bridged.
"""

from __future__ import annotations

import inspect
import io
import re

import boto3
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from graph_platform import Deployment, Placed, Platform, capacity_key, count_key, reservation_key, rule_key, schedule_key
from runbook.actions import apply, render
from runbook.context import (TAG_BUSINESS_UNIT, TAG_ENVIRONMENT, TAG_PILOT_LIGHT, TAG_PRIMARY_DESIRED_COUNT,
                             TAG_PRIMARY_MIN_COUNT, TAG_PRIMARY_RESERVED_CONCURRENCY, TAG_REGION_ROLE, RunContext)
from runbook.failover import main, make_session, parse_args, plan, plan_failback, plan_failover
from sessions import deny, new_session, recording_session, region_down

ECS_SERVICE = "aws:ecs/service:Service"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
CRAWLER = "aws:glue/crawler:Crawler"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"


def run(d: Deployment, mode: str = "failover", session=None, *, dns: bool = True, **extra):
    session = session or new_session(d.scope["dr_region"])
    plan_fn = plan_failover if mode == "failover" else plan_failback
    actions = plan_fn(session, **d.scope, **(d.dns if dns else {}), **extra)
    out = io.StringIO()
    result = apply(actions, out=out)
    return actions, result, out.getvalue().splitlines()


def cli(d: Deployment, *extra: str) -> list[str]:
    return [*d.cli_scope(), "--hosted-zone-id", d.dns["hosted_zone_id"], "--record-name", d.dns["record_name"], *extra]


def one(items: list[Placed]) -> Placed:
    assert len(items) == 1, [p.name for p in items]
    return items[0]


def light_service(d: Deployment) -> Placed:
    return one(d.light(ECS_SERVICE))


def light_function(d: Deployment) -> Placed:
    return one(d.light(LAMBDA_FUNCTION))


def cluster_of(service: Placed) -> str:
    return service.inputs["cluster"]


def without_dns(state: dict) -> dict:
    return {k: v for k, v in state.items() if k[0] != "failover role"}


def only_dns(state: dict) -> dict:
    return {k: v for k, v in state.items() if k[0] == "failover role"}


def dns_lines(d: Deployment, mode: str) -> str:
    """The runbook's [dns] line for a swap, the targets read from the graphs' alias records."""
    target = {p.stack: p.inputs["aliases"][0]["name"] for p in d.failover_records}
    before, after = (d.primary.stack, d.dr.stack) if mode == "failover" else (d.dr.stack, d.primary.stack)
    return f"[dns] route53 record {d.dns['record_name']}: PRIMARY={target[before]} -> PRIMARY={target[after]}"


# ---- the contract between program and runbook ----------------------------------------------------

def test_materialised_platform_is_what_the_program_declared(platform):
    assert platform.observe() == platform.declared()
    assert platform.shared == []


def test_the_dr_graph_carries_the_tags_the_runbook_discovers_by(deployment):
    ctx = RunContext(boto3.Session(), **deployment.scope)
    assert set(ctx.scope_tags("dr")) == {TAG_BUSINESS_UNIT, TAG_ENVIRONMENT, TAG_REGION_ROLE}
    for type_ in (ECS_SERVICE, LAMBDA_FUNCTION, CRAWLER, EVENT_RULE):
        for p in deployment.dr.placed(type_):
            assert ctx.in_scope(p.tags, "dr"), (p.name, p.tags)
    for type_ in (ECS_SERVICE, LAMBDA_FUNCTION):
        for p in deployment.primary.placed(type_):
            assert not ctx.in_scope(p.tags, "dr") and ctx.in_scope(p.tags, "primary"), p.name
    service, fn = light_service(deployment), light_function(deployment)   # by the program's marker
    assert service.tags[TAG_PILOT_LIGHT] == fn.tags[TAG_PILOT_LIGHT] == "true"
    assert {TAG_PRIMARY_DESIRED_COUNT, TAG_PRIMARY_MIN_COUNT} <= set(service.tags)
    assert TAG_PRIMARY_RESERVED_CONCURRENCY in fn.tags


def test_the_runbooks_default_dr_set_identifier_is_the_dr_stacks(deployment):
    default = inspect.signature(plan).parameters["dr_set_identifier"].default
    assert parse_args(deployment.cli_scope()).dr_set_identifier == default
    assert deployment.dr_record.inputs["setIdentifier"] == default
    assert {p.inputs["setIdentifier"] for p in deployment.failover_records} - {default}, "the primary's must differ"


def test_pilot_light_tags_agree_with_the_primarys_settings(deployment):
    """The runbook scales from the DR tags; they must say what the primary deploys."""
    for service in deployment.light(ECS_SERVICE):
        primary = deployment.counterpart(service)
        assert service.tags[TAG_PRIMARY_DESIRED_COUNT] == str(int(primary.inputs["desiredCount"]))
        assert service.tags[TAG_PRIMARY_MIN_COUNT] == str(int(deployment.target_of(primary).inputs["minCapacity"]))
    for fn in deployment.light(LAMBDA_FUNCTION):
        reserved = deployment.counterpart(fn).inputs.get("reservedConcurrentExecutions")
        assert fn.tags[TAG_PRIMARY_RESERVED_CONCURRENCY] == ("unreserved" if reserved is None else str(int(reserved)))


# ---- failover, failback, and again ---------------------------------------------------------------

def test_failover_runs_dr_as_the_primary_is_declared(platform, deployment):
    actions, result, lines = run(deployment)

    assert result.exit_code == 0, lines
    assert platform.observe() == platform.light_on()
    service = light_service(deployment)
    desired = platform.light_on()[count_key(service)]
    low, _ = platform.light_on()[capacity_key(deployment.target_of(service))]
    assert f"[scale] ecs service {service.name}: 0 -> {desired}" in lines
    assert f"[capacity] scalable target {deployment.target_of(service).inputs['resourceId']}: min 0 -> min {low}" in lines
    assert dns_lines(deployment, "failover") in lines
    # MinCapacity is raised before the service is scaled, so autoscaling cannot undo the scale-up.
    steps = [a.step for a in actions if a.changes]
    assert steps.index("capacity") < steps.index("scale") < steps.index("dns")


def test_failback_returns_dr_to_the_declared_state(platform, deployment):
    run(deployment)
    actions, result, lines = run(deployment, "failback")

    assert result.exit_code == 0, lines
    assert platform.observe() == platform.declared()
    steps = [a.step for a in actions if a.changes]
    assert steps.index("capacity") < steps.index("scale"), "MinCapacity must drop before the count"
    assert dns_lines(deployment, "failback") in lines
    assert any("WARNING reverse direction: S3 replication is one-way" in line for line in lines)


@pytest.mark.parametrize("mode", ["failover", "failback"])
def test_a_second_run_changes_nothing(platform, deployment, mode):
    if mode == "failback":
        run(deployment)
    run(deployment, mode)
    after_first = platform.observe()

    session, log = recording_session(deployment.scope["dr_region"])
    actions, result, lines = run(deployment, mode, session)

    assert result.exit_code == 0, lines
    assert [a for a in actions if a.changes] == []
    assert log.writes == [] and log.calls, "the recorder must see the reads, or this proves nothing"
    assert platform.observe() == after_first == (platform.light_on() if mode == "failover" else platform.declared())
    service = light_service(deployment)
    assert f"[scale] ecs service {service.name}: {after_first[count_key(service)]} (no change)" in lines


def test_failback_of_a_dark_platform_changes_nothing(platform, deployment):
    session, log = recording_session(deployment.scope["dr_region"])
    actions, result, _ = run(deployment, "failback", session)
    assert result.exit_code == 0 and [a for a in actions if a.changes] == [] and log.writes == []
    assert platform.observe() == platform.declared()


def test_dry_run_prints_the_plan_and_writes_nothing(platform, deployment, capsys):
    session, log = recording_session(deployment.scope["dr_region"])
    rc = main(cli(deployment, "--dry-run"), session=session)

    out = capsys.readouterr().out.splitlines()
    service = light_service(deployment)
    assert rc == 0
    assert any(line.startswith(f"[scale] ecs service {service.name}: 0 -> ") and line.endswith("(dry-run)") for line in out)
    assert log.writes == []
    assert platform.observe() == platform.declared()


def test_cli_failover_then_failback(platform, deployment, capsys):
    assert main(cli(deployment), session=new_session(deployment.scope["dr_region"])) == 0
    assert platform.observe() == platform.light_on()
    assert main(cli(deployment, "--failback"), session=new_session(deployment.scope["dr_region"])) == 0
    assert platform.observe() == platform.declared()
    out = capsys.readouterr().out.splitlines()
    summaries = [line for line in out if line.startswith("== ") and "change(s) applied" in line]
    assert len(summaries) == 2 and all(", 0 failed, " in line for line in summaries)


# ---- what the runbook must leave alone ----------------------------------------------------------

def test_resources_outside_the_light_keep_their_declared_state(platform, deployment):
    """The DR stack also deploys what runs while dark: crawlers on the product's schedule and the
    crawler-failed alarm rule. Neither is tagged part of the light, so neither direction may
    pause or disable them."""
    outside = [p for type_ in (CRAWLER, EVENT_RULE) for p in deployment.dr.placed(type_) if not p.is_light]
    assert {p.record.type for p in outside} == {CRAWLER, EVENT_RULE}, "the DR graph deploys crawlers and an alarm rule"
    identifiers = {p.name for p in outside} | {p.arn for p in outside}
    declared = {k: v for k, v in platform.declared().items() if k[2] in identifiers}
    for mode in ("failover", "failback"):
        run(deployment, mode)
        assert {k: v for k, v in platform.observe().items() if k[2] in identifiers} == declared, mode


def test_the_primary_region_is_read_never_written(platform, deployment):
    session, log = recording_session(deployment.scope["dr_region"])
    run(deployment, "failover", session)
    run(deployment, "failback", session)
    primary = deployment.scope["primary_region"]
    # Route 53 is global: boto3 signs its calls for us-east-1 whatever the client's region.
    regional = {(region, service) for region, service, _ in log.written() if service != "route53"}
    dr_services = ("ecs", "application-autoscaling", "lambda", "glue", "events")
    assert regional <= {(deployment.scope["dr_region"], s) for s in dr_services}
    assert any(region == primary for region, service, _, _ in log.calls if service != "route53")


def test_other_business_unit_in_the_same_account_is_untouched(two_platforms, deployment, other_deployment):
    # Only what the offline mocks auto-name alike in every stack is one physical resource here.
    assert all(re.search(r"-[0-9a-f]{7}$", key) or key.startswith("hostedzone/") for key in two_platforms.shared)
    _, result, _ = run(deployment)
    assert result.exit_code == 0
    assert two_platforms.observe() == two_platforms.light_on(deployment)

    run(deployment, "failback")
    _, result, lines = run(other_deployment, dns=False)
    assert result.exit_code == 0, lines
    assert two_platforms.observe() == {**two_platforms.light_on(other_deployment), **only_dns(two_platforms.declared())}
    assert not any(deployment.scope["business_unit"] in line for line in lines if "->" in line)


def test_another_environment_of_the_business_unit_is_untouched(platform, deployment):
    """Run for an environment the BU did not deploy here: nothing of this one is in its scope."""
    scope = {**deployment.scope, "environment": f"{deployment.scope['environment']}-other"}
    session, log = recording_session(deployment.scope["dr_region"])
    actions = plan_failover(session, **scope)
    apply(actions, out=io.StringIO())
    assert log.writes == [] and [a for a in actions if a.changes] == []
    assert platform.observe() == platform.declared()


# ---- adversarial cases ---------------------------------------------------------------------------

def test_deleted_service_still_tagged_is_reported_and_not_scaled(platform, deployment):
    """ECS keeps a deleted service INACTIVE for a while and the Tagging API keeps listing it."""
    service = light_service(deployment)
    ecs = platform.client("ecs", service.region)
    ecs.delete_service(cluster=cluster_of(service), service=service.name)
    session, log = recording_session(deployment.scope["dr_region"])

    actions, result, lines = run(deployment, "failover", session)

    assert result.exit_code == 0, lines
    assert any(line.startswith(f"[scale] WARNING ecs service {service.name}: ") and "gone" in line for line in lines), lines
    assert not [c for c in log.written() if c[1] in ("ecs", "application-autoscaling")]
    assert ecs.describe_services(cluster=cluster_of(service), services=[service.name])["services"][0]["desiredCount"] == 0


def test_deleted_function_still_tagged_is_reported_and_not_touched(platform, deployment, previously_tagged):
    fn = light_function(deployment)
    previously_tagged(deployment.account_id, fn.region, fn.arn)
    platform.client("lambda", fn.region).delete_function(FunctionName=fn.arn)
    session, log = recording_session(deployment.scope["dr_region"])

    for mode in ("failover", "failback"):
        _, result, lines = run(deployment, mode, session)
        assert result.exit_code == 0, lines
        assert any(line.startswith(f"[concurrency] WARNING lambda function {fn.name}: ") and "gone" in line
                   for line in lines), lines
    assert not [c for c in log.written() if c[1] == "lambda"]


def test_deleted_crawler_still_tagged_is_reported_and_not_touched(platform, deployment, previously_tagged):
    """A crawler an operator made part of the light, then deleted."""
    crawler = deployment.dr.placed(CRAWLER)[0]
    glue = platform.client("glue", crawler.region)
    glue.tag_resource(ResourceArn=crawler.arn, TagsToAdd={TAG_PILOT_LIGHT: "true"})
    previously_tagged(deployment.account_id, crawler.region, crawler.arn)
    glue.delete_crawler(Name=crawler.name)
    session, log = recording_session(deployment.scope["dr_region"])

    _, result, lines = run(deployment, "failback", session)

    assert result.exit_code == 0, lines
    assert any(line.startswith(f"[crawler] WARNING glue crawler {crawler.name}: ") and "gone" in line
               for line in lines), lines
    assert not [c for c in log.written() if c[1] == "glue"]


def test_a_rerun_keeps_what_autoscaling_raised(platform, deployment):
    """After the failover, load makes autoscaling raise the service to its maximum. Running the
    failover again (step 4 of the drill) must not scale it back down to the primary's count."""
    service = light_service(deployment)
    run(deployment)
    _, high = platform.light_on()[capacity_key(deployment.target_of(service))]
    ecs = platform.client("ecs", service.region)
    ecs.update_service(cluster=cluster_of(service), service=service.name, desiredCount=high)  # what autoscaling calls
    session, log = recording_session(deployment.scope["dr_region"])

    actions, result, lines = run(deployment, "failover", session)

    assert result.exit_code == 0, lines
    assert log.writes == [] and [a for a in actions if a.changes] == []
    assert platform.observe() == {**platform.light_on(), count_key(service): high}
    assert any(line.startswith(f"[scale] ecs service {service.name}: {high} (no change)") for line in lines), lines

    run(deployment, "failback")
    assert platform.observe() == platform.declared()


def test_failover_never_lowers_a_count_above_the_primarys(platform, deployment):
    """Hypothesis' example: the service already runs above the primary's count when the failover
    starts (autoscaling, or an operator who scaled by hand)."""
    service = light_service(deployment)
    above = platform.light_on()[count_key(service)] + 1
    platform.client("ecs", service.region).update_service(cluster=cluster_of(service), service=service.name,
                                                          desiredCount=above)
    _, result, _ = run(deployment)
    assert result.exit_code == 0
    assert platform.observe() == {**platform.light_on(), count_key(service): above}


def test_failover_restores_a_throttled_function_to_its_declared_reservation(platform, deployment):
    """Reserved concurrency 0 on a function the program declares with a reservation (the runbook's
    old failback did this; so can an operator's kill switch): failover gives it back, and so does
    failback, because the DR stack declares the function unthrottled while dark."""
    fn = light_function(deployment)
    lam = platform.client("lambda", fn.region)
    declared = platform.declared()[reservation_key(fn)]
    assert declared, "the program deploys the DR function with its reservation"
    for mode in ("failover", "failback"):
        lam.put_function_concurrency(FunctionName=fn.arn, ReservedConcurrentExecutions=0)
        _, result, lines = run(deployment, mode)
        assert result.exit_code == 0, lines
        assert f"[concurrency] lambda function {fn.name}: reserved 0 -> reserved {declared}" in lines
        assert lam.get_function_concurrency(FunctionName=fn.arn).get("ReservedConcurrentExecutions") == declared


def test_a_function_the_program_throttles_on_purpose_stays_throttled(two_platforms, other_deployment):
    """The second BU's primary declares its Lambda service with reserved concurrency 0 (allowed by
    the settings): DR mirrors that in both directions and the run does not fail on it."""
    fn = light_function(other_deployment)
    assert fn.tags[TAG_PRIMARY_RESERVED_CONCURRENCY] == "0"
    session, log = recording_session(other_deployment.scope["dr_region"])
    for mode in ("failover", "failback"):
        _, result, lines = run(other_deployment, mode, session, dns=False)
        assert result.exit_code == 0, lines
        assert any(line.startswith(f"[concurrency] lambda function {fn.name}: reserved 0 (no change)")
                   for line in lines), lines
    assert not [c for c in log.written() if c[1] == "lambda"]
    assert two_platforms.observe() == two_platforms.declared()


def test_the_event_trigger_rule_is_enabled_on_failover_and_disabled_on_failback(two_platforms, other_deployment):
    rule = one(other_deployment.light(EVENT_RULE))
    key = rule_key(rule)
    assert two_platforms.declared()[key] == "DISABLED"
    run(other_deployment, dns=False)
    assert two_platforms.observe()[key] == "ENABLED" == two_platforms.light_on(other_deployment)[key]
    run(other_deployment, "failback", dns=False)
    assert two_platforms.observe()[key] == "DISABLED"


def _strip_health(platform: Platform, d: Deployment, set_identifier: str, *, evaluate_target_health: bool) -> None:
    route53 = platform.client("route53", d.scope["dr_region"])
    zone = d.dns["hosted_zone_id"]
    sets = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    [live] = [r for r in sets if r.get("SetIdentifier") == set_identifier]
    record = {k: v for k, v in live.items() if k != "HealthCheckId"}
    record["AliasTarget"] = {**record["AliasTarget"], "EvaluateTargetHealth": evaluate_target_health}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": live}, {"Action": "CREATE", "ResourceRecordSet": record}]})


@pytest.mark.parametrize("whose", ["primary", "dr"])
def test_failover_records_without_health_checks_are_refused(platform, deployment, whose):
    record = one([p for p in deployment.failover_records if p.stack == getattr(deployment, whose).stack])
    _strip_health(platform, deployment, record.inputs["setIdentifier"], evaluate_target_health=False)
    session, log = recording_session(deployment.scope["dr_region"])

    _, result, lines = run(deployment, "failover", session)

    assert result.exit_code == 1
    assert (f"[dns] ERROR route53 record {deployment.dns['record_name']}: records without a health check: "
            f"['{record.inputs['setIdentifier']}']; refusing to route to an unchecked endpoint") in lines
    assert not [c for c in log.written() if c[1] == "route53"]
    observed, on = platform.observe(), platform.light_on()
    assert only_dns(observed) == only_dns(platform.declared())
    assert without_dns(observed) == without_dns(on)


def test_an_alias_that_evaluates_target_health_counts_as_checked(platform, deployment):
    """Route 53 health-checks an alias with EvaluateTargetHealth through its target (the ALB)."""
    _strip_health(platform, deployment, deployment.dr_record.inputs["setIdentifier"], evaluate_target_health=True)
    _, result, lines = run(deployment)
    assert result.exit_code == 0, lines
    assert platform.observe() == platform.light_on()


def test_a_wrong_dr_set_identifier_fails_the_run_but_dr_scales(platform, deployment, capsys):
    wrong = f"{deployment.dr_record.inputs['setIdentifier']}-elsewhere"
    rc = main(cli(deployment, "--dr-set-identifier", wrong), session=new_session(deployment.scope["dr_region"]))
    assert rc == 1
    out = capsys.readouterr().out
    assert f"[dns] ERROR route53 record {deployment.dns['record_name']}: expected two failover records" in out
    observed, on = platform.observe(), platform.light_on()
    assert without_dns(observed) == without_dns(on)


# ---- property: interrupted runs converge ---------------------------------------------------------

def _drill(platform: Platform, d: Deployment):
    session, log = recording_session(d.scope["dr_region"])   # one session: its clients are reused
    service = light_service(d)
    target = d.target_of(service)
    count = count_key(service)

    class Drill(RuleBasedStateMachine):
        """Any mix of interrupted runs (a prefix of a plan's actions applied, as when the operator's
        session dies), autoscaling moving the service within its bounds, and complete runs: every
        complete run reaches its mode's state, and running it again writes nothing."""

        @initialize()
        def from_the_declared_state(self):
            platform.restore()
            assert platform.observe() == platform.declared()

        @rule(mode=st.sampled_from(["failover", "failback"]), steps=st.integers(min_value=0, max_value=12))
        def interrupted(self, mode, steps):
            plan_fn = plan_failover if mode == "failover" else plan_failback
            apply(plan_fn(session, **d.scope, **d.dns)[:steps], out=io.StringIO())

        @rule(data=st.data())
        def autoscaling(self, data):
            [live] = platform.client("application-autoscaling", target.region).describe_scalable_targets(
                ServiceNamespace=target.inputs["serviceNamespace"], ResourceIds=[target.inputs["resourceId"]],
                ScalableDimension=target.inputs["scalableDimension"])["ScalableTargets"]
            raised = data.draw(st.integers(min_value=live["MinCapacity"], max_value=live["MaxCapacity"]))
            platform.client("ecs", service.region).update_service(
                cluster=cluster_of(service), service=service.name, desiredCount=raised)

        @rule(mode=st.sampled_from(["failover", "failback"]))
        def complete(self, mode):
            before = platform.observe()
            _, result, lines = run(d, mode, session)
            assert result.exit_code == 0, lines
            expected = platform.declared() if mode == "failback" else {
                **platform.light_on(), count: max(platform.light_on()[count], before[count])}
            assert platform.observe() == expected
            mark = len(log.calls)
            again, _, _ = run(d, mode, session)
            assert log.writes_after(mark) == [] and [a for a in again if a.changes] == []

    return Drill


def test_interrupted_runs_converge(platform, deployment):
    """Examples it found against the runbook as it was, kept as explicit cases:
    - [interrupted(failover, steps=0), complete(failback)]: the failback paused the crawlers and
      disabled the alarm rule the DR stack runs while dark
      (test_failback_of_a_dark_platform_changes_nothing);
    - [autoscaling(4), complete(failover)]: the failover lowered a count autoscaling had set above
      the primary's (test_failover_never_lowers_a_count_above_the_primarys)."""
    run_state_machine_as_test(_drill(platform, deployment), settings=settings(
        max_examples=10, stateful_step_count=6, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


# ---- primary region, replication report, failures ------------------------------------------------

def test_replication_report_reads_the_primarys_replication(platform, deployment):
    _, result, lines = run(deployment)
    assert result.exit_code == 0
    replication = deployment.primary.placed("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert replication
    for p in replication:
        for r in p.inputs["rules"]:
            dest = r["destination"]["bucket"].split(":::")[-1]
            assert f"[replication] s3 bucket {p.inputs['bucket']}: rule {r['id']} {r['status']} -> {dest}" in lines
            # The DR replica carries the primary stack's tags but replicates nothing itself.
            assert not any(f"s3 bucket {dest}" in line.split(":")[0] for line in lines)
    for table in deployment.primary.placed("aws:dynamodb/table:Table"):
        assert f"[replication] dynamodb table {table.name}: replica {deployment.scope['dr_region']} ACTIVE" in lines


def test_missing_dr_replica_is_a_warning_not_a_failure(platform, deployment):
    replica = one(deployment.primary.placed("aws:dynamodb/tableReplica:TableReplica"))
    table_name = replica.arn.rsplit("/", 1)[-1]
    ddb = platform.client("dynamodb", replica.region)
    ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=table_name)

    _, result, lines = run(deployment)

    assert f"[replication] WARNING dynamodb table {table_name}: no replica in {deployment.scope['dr_region']}" in lines
    assert result.exit_code == 0
    assert platform.observe() == platform.light_on()


def test_primary_region_unreachable_still_fails_over(platform, deployment):
    session, log = recording_session(deployment.scope["dr_region"])
    region_down(session, deployment.scope["primary_region"])

    actions, result, lines = run(deployment, "failover", session)

    assert result.exit_code == 0, lines
    assert platform.observe() == platform.light_on()
    warnings = [a for a in actions if a.severity == "warning"]
    assert len(warnings) == 1 and f"primary region {deployment.scope['primary_region']}" in warnings[0].resource
    assert "unreachable" in warnings[0].note
    assert {region for region, service, _ in log.written() if service != "route53"} == {deployment.scope["dr_region"]}


def test_data_in_the_replica_is_readable_in_dr_after_failover(platform, deployment):
    """moto does not replicate global-table items, so the item is written to the DR replica table
    directly, standing in for replication. What this checks is the runbook's side: the failover
    leaves the replica's data alone and a DR reader (the scaled-up service, which uses its own
    region's table, TABLE_NAME in its task definition) gets it."""
    table = one(deployment.primary.placed("aws:dynamodb/table:Table"))
    types = {a["name"]: a["type"] for a in table.inputs["attributes"]}
    values = {"S": "1001", "N": "1001", "B": b"1001"}
    keys = {k: {types[k]: values[types[k]]} for k in (table.inputs["hashKey"], table.inputs["rangeKey"])}
    item = {**keys, "total": {"N": "42"}}
    for region in (table.region, deployment.scope["dr_region"]):   # the second put stands in for replication
        platform.client("dynamodb", region).put_item(TableName=table.name, Item=item)

    _, result, _ = run(deployment)

    assert result.exit_code == 0
    dr_table = platform.client("dynamodb", deployment.scope["dr_region"])
    assert dr_table.get_item(TableName=table.name, Key=keys)["Item"] == item


def test_a_failing_step_fails_the_run_but_others_continue(platform, deployment):
    session, _ = recording_session(deployment.scope["dr_region"])
    deny(session, "UpdateService")
    service = light_service(deployment)

    _, result, lines = run(deployment, "failover", session)

    assert result.exit_code == 1
    assert any(line.startswith(f"[scale] ERROR ecs service {service.name}: 0 -> ") and
               line.endswith("failed: AccessDeniedException: denied") for line in lines), lines
    assert platform.observe() == {**platform.light_on(), count_key(service): 0}


@pytest.mark.parametrize("tag, kind", [(TAG_PRIMARY_DESIRED_COUNT, "scale"),
                                       (TAG_PRIMARY_RESERVED_CONCURRENCY, "concurrency")])
def test_a_tag_that_is_not_a_number_is_an_error(platform, deployment, tag, kind):
    p = light_service(deployment) if kind == "scale" else light_function(deployment)
    if kind == "scale":
        platform.client("ecs", p.region).tag_resource(resourceArn=p.arn, tags=[{"key": tag, "value": "three"}])
    else:
        platform.client("lambda", p.region).tag_resource(Resource=p.arn, Tags={tag: "three"})

    _, result, lines = run(deployment)

    assert result.exit_code == 1
    assert any(line.startswith(f"[{kind}] ERROR ") and p.name in line and f"tag {tag}" in line for line in lines), lines
    key = count_key(p) if kind == "scale" else reservation_key(p)
    assert platform.observe()[key] == platform.declared()[key]


def test_service_without_the_pilot_light_tag_is_not_scaled(platform, deployment):
    service = light_service(deployment)
    platform.client("ecs", service.region).untag_resource(resourceArn=service.arn, tagKeys=[TAG_PILOT_LIGHT])
    _, result, _ = run(deployment)
    assert result.exit_code == 0
    assert platform.observe()[count_key(service)] == 0


def test_a_crawler_made_part_of_the_light_is_paused_on_failback_and_resumed(platform, deployment):
    crawler = deployment.dr.placed(CRAWLER)[0]
    platform.client("glue", crawler.region).tag_resource(ResourceArn=crawler.arn, TagsToAdd={TAG_PILOT_LIGHT: "true"})
    key = schedule_key(crawler)
    run(deployment, "failback")
    assert platform.observe()[key] == "NOT_SCHEDULED"
    _, _, lines = run(deployment)
    assert platform.observe()[key] == "SCHEDULED"
    assert f"[crawler] glue crawler {crawler.name}: NOT_SCHEDULED -> SCHEDULED" in lines


def test_a_light_crawler_without_a_schedule_is_reported_and_left_alone(platform, deployment):
    crawler = deployment.dr.placed(CRAWLER)[0]
    glue = platform.client("glue", crawler.region)
    adhoc = f"{crawler.name}-adhoc"
    glue.create_crawler(Name=adhoc, Role=crawler.inputs["role"], DatabaseName=crawler.inputs["databaseName"],
                        Targets={"S3Targets": [{"Path": t["path"]} for t in crawler.inputs["s3Targets"]]},
                        Tags={**crawler.tags, TAG_PILOT_LIGHT: "true"})
    _, result, lines = run(deployment)
    assert f"[crawler] glue crawler {adhoc}: no schedule (no change)" in lines
    assert result.exit_code == 0


# ---- CLI -------------------------------------------------------------------------------------

def test_bad_arguments_exit_2(deployment):
    d, scope = deployment, deployment.cli_scope()
    for argv in [
        [],
        scope[:-2],                                             # no --dr-region
        scope[:-1] + [d.scope["primary_region"]],               # DR region == primary region
        scope[:-1] + ["west"],                                  # not a region
        scope + ["--hosted-zone-id", d.dns["hosted_zone_id"]],  # zone without record name
        scope + ["--record-name", d.dns["record_name"]],        # record name without zone
        scope + ["--role-arn", d.deploy_role_arn.rsplit("/", 1)[-1]],   # a role name, not an ARN
        scope + ["--bogus"],
    ]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv


def test_no_credentials_exit_1_before_planning(monkeypatch, capsys, deployment):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert main(deployment.cli_scope() + ["--dry-run"]) == 1
    assert "[auth] ERROR no AWS credentials found" in capsys.readouterr().err


def test_the_deploy_role_is_assumed_in_the_dr_region(aws, deployment):
    session = make_session(None, deployment.deploy_role_arn, deployment.scope["dr_region"], "drill")
    creds = session.get_credentials().get_frozen_credentials()
    assert creds.access_key != "testing" and creds.token
    assert session.region_name == deployment.scope["dr_region"]


def test_render_fails_on_planning_errors():
    from runbook.actions import Action, error
    out = io.StringIO()
    result = render([Action("scale", "x", "0", "3", write=lambda: None), error("rule", "y", "boom")],
                    dry_run=True, out=out)
    assert result.exit_code == 1
    assert out.getvalue().splitlines() == ["[scale] x: 0 -> 3 (dry-run)", "[rule] ERROR y: boom"]
