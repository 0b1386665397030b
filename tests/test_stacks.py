"""Whole stacks offline: dev, the dr pilot light and the marketing consumer, chained by their outputs."""

from __future__ import annotations

import json

import pytest

from offline.runner import shipped_run as stack_run
from offline import preview
from offline.preview import policy_report
from offline.runner import load_stack_config, run_stack
from stackconfig.loader import PROJECT

DEV_REF = "organization/data-delivery-platform/dev"
STACKS = ("dev", "dr", "marketing")


def nothing_created(run) -> bool:
    """A refused stack stops before declaring anything `pulumi up` would create."""
    declared = {r.type for r in run.declared_before_error}
    return bool(declared) and declared <= {"pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"}


def providers(run):
    return {f"{p.urn}::{p.id}": p for p in run.by_type("pulumi:providers:aws")}


@pytest.mark.parametrize("name", STACKS)
def test_every_aws_resource_uses_an_explicit_provider_pinned_to_the_bu_account(name):
    run = stack_run(name)
    provs = providers(run)
    account = json.loads(load_stack_config(name)[f"{PROJECT}:account"])["id"]
    for p in provs.values():
        assert json.loads(p.inputs["allowedAccountIds"]) == [account]
    aws = [r for r in run.records if r.custom and r.type.startswith("aws:")]
    assert aws, "stack declares no AWS resources"
    unbound = [r.name for r in aws if r.provider not in provs]
    assert unbound == []


def test_dev_uses_a_second_provider_for_the_dr_region_only_for_replicas():
    run = stack_run("dev")
    provs = providers(run)
    regions = {ref: p.inputs["region"] for ref, p in provs.items()}
    assert sorted(regions.values()) == ["us-east-1", "us-west-2"]
    in_dr = {r.type for r in run.records if r.custom and regions.get(r.provider) == "us-west-2"}
    assert "aws:dynamodb/tableReplica:TableReplica" in in_dr and "aws:s3/bucket:Bucket" in in_dr
    assert "aws:ecs/service:Service" not in in_dr


def test_dev_replicates_every_zone_to_encrypted_dr_buckets():
    run = stack_run("dev")
    configs = run.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert len(configs) == 3
    dr_key = run.one("aws:kms/key:Key", "orders-dr-dr-key").outputs["arn"]
    assert ":us-west-2:" in dr_key
    for cfg in configs:
        rule = cfg.inputs["rules"][0]
        assert rule["status"] == "Enabled"
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
        assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": dr_key}
        assert rule["destination"]["bucket"].endswith("-usw2")
        assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"] == {"status": "Enabled"}
    replica = run.by_type("aws:dynamodb/tableReplica:TableReplica")[0]
    assert replica.inputs["pointInTimeRecovery"] is True and replica.inputs["kmsKeyArn"] == dr_key
    assert replica.protect is True
    contract = run.outputs["dataProducts"]["orders"]["dr"]
    assert contract["region"] == "us-west-2" and set(contract["buckets"]) == {"raw", "curated", "reportable"}


def test_replication_role_is_least_privilege():
    run = stack_run("dev")
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "orders-dr-replication-policy").inputs["policy"])
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert "s3:*" not in actions and "*" not in actions
    resources = {r for st in policy["Statement"] for r in st["Resource"]}
    assert "*" not in resources


def test_dr_stack_is_a_pilot_light_built_from_the_primary_contract():
    run = stack_run("dr")
    ref = run.by_type("pulumi:pulumi:StackReference")
    assert [r.outputs["name"] for r in ref] == [DEV_REF]
    for svc in run.by_type("aws:ecs/service:Service"):
        assert svc.inputs["desiredCount"] == 0
    assert run.by_type("aws:ecs/service:Service"), "the Fargate service should exist at zero"
    # The DR catalog is the primary's by construction (same builder): the same databases, the
    # same crawlers into the same databases on the same schedule, over the replica buckets.
    dev = stack_run("dev")
    dbs = sorted(d.inputs["name"] for d in run.by_type("aws:glue/catalogDatabase:CatalogDatabase"))
    assert dbs == sorted(d.inputs["name"] for d in dev.by_type("aws:glue/catalogDatabase:CatalogDatabase"))
    primary_buckets = {b["name"]: z for z, b in dev.outputs["dataProducts"]["orders"]["buckets"].items()}
    replica_buckets = dev.outputs["dataProducts"]["orders"]["dr"]["buckets"]

    def crawls(stack_run_, bucket_zone):
        out = {}
        for c in stack_run_.by_type("aws:glue/crawler:Crawler"):
            paths = [t["path"].split("/", 3) for t in c.inputs["s3Targets"]]
            out[c.inputs["name"]] = (c.inputs["databaseName"], c.inputs["schedule"],
                                     sorted((bucket_zone(p[2]), p[3]) for p in paths))
        return out

    replica_zone = {b["name"]: z for z, b in replica_buckets.items()}
    assert crawls(run, replica_zone.__getitem__) == crawls(dev, primary_buckets.__getitem__)
    lf = run.by_type("aws:lakeformation/resource:Resource")
    assert sorted(r.inputs["arn"] for r in lf) == sorted(replica_buckets[z]["arn"] for z in ("curated", "reportable"))
    assert all(r.inputs["useServiceLinkedRole"] is False for r in lf)
    # Crawler roles are granted in DR as in the primary, and consumers get the same grants.
    # (The reportable job, like the ETL it follows, runs only in the primary: its grants stay there.)
    grants = {p.name: p.inputs for p in run.by_type("aws:lakeformation/permissions:Permissions")}
    primary = {p.name: p.inputs for p in dev.by_type("aws:lakeformation/permissions:Permissions")
               if not p.name.startswith("orders-reportable-lf-")}
    assert sorted(grants) == sorted(primary)
    consumer = "orders-consumer-222222222222-datasets"
    assert grants[consumer]["permissionsWithGrantOptions"] == ["SELECT", "DESCRIBE"]
    assert grants[consumer]["lfTagPolicy"] == primary[consumer]["lfTagPolicy"]
    # The same Iceberg tables, over the replica reportable zone, with the same rulesets.
    tables = {t.inputs["name"]: t.inputs for t in run.by_type("aws:glue/catalogTable:CatalogTable")}
    primary_tables = {t.inputs["name"]: t.inputs for t in dev.by_type("aws:glue/catalogTable:CatalogTable")}
    assert sorted(tables) == sorted(primary_tables) == sorted(
        d["name"] for d in dev.outputs["dataProducts"]["orders"]["spec"]["datasets"])
    for name, table in tables.items():
        iceberg = table["openTableFormatInput"]["icebergInput"]["icebergTableInput"]
        assert iceberg["location"] == f"s3://{replica_buckets['reportable']['name']}/{name}/"
        assert iceberg["schema"] == primary_tables[name]["openTableFormatInput"]["icebergInput"]["icebergTableInput"]["schema"]
    assert sorted(r.inputs["ruleset"] for r in run.by_type("aws:glue/dataQualityRuleset:DataQualityRuleset")) == sorted(
        r.inputs["ruleset"] for r in dev.by_type("aws:glue/dataQualityRuleset:DataQualityRuleset"))
    # Monitoring mirrors the primary: failed DR crawlers reach the same endpoints.
    [topic] = run.by_type("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == dev.outputs["dataProducts"]["orders"]["dr"]["keyArn"]
    subs = sorted((x.inputs["protocol"], x.inputs["endpoint"]) for x in run.by_type("aws:sns/topicSubscription:TopicSubscription"))
    assert subs == sorted((x.inputs["protocol"], x.inputs["endpoint"]) for x in dev.by_type("aws:sns/topicSubscription:TopicSubscription"))
    failed = json.loads(run.one("aws:cloudwatch/eventRule:EventRule", "orders-crawler-failed-rule").inputs["eventPattern"])
    assert sorted(failed["detail"]["crawlerName"]) == sorted(c.inputs["name"] for c in run.by_type("aws:glue/crawler:Crawler"))
    vpc = run.by_type("awsx:ec2:Vpc")[0]
    assert vpc.inputs["natGateways"] == {"strategy": "Single"}
    assert not run.by_type("aws:dax/cluster:Cluster")


def test_marketing_consumes_only_what_retail_granted():
    run = stack_run("marketing")
    link = run.by_type("aws:glue/catalogDatabase:CatalogDatabase")[0].inputs
    dev_orders = stack_run("dev").outputs["dataProducts"]["orders"]
    assert link["targetDatabase"] == {"catalogId": "111111111111", "databaseName": dev_orders["catalogDatabase"],
                                      "region": "us-east-1"}
    perms = run.by_type("aws:lakeformation/permissions:Permissions")
    select = [p.inputs for p in perms if "SELECT" in p.inputs["permissions"]]
    # The pinned dataset only, by name, and only the columns retail's grant lets this account see:
    # its clearance (internal) hides the confidential column.
    [pin] = json.loads(run.config["data-delivery-platform:consumes"])[0]["datasets"]
    dataset = next(d for d in dev_orders["spec"]["datasets"] if d["name"] == pin.split("@")[0])
    hidden = [c["name"] for c in dataset["columns"] if c["classification"] == "confidential"]
    assert len(select) == 1 and select[0]["tableWithColumns"]["catalogId"] == "111111111111"
    assert select[0]["tableWithColumns"]["name"] == dataset["name"] and hidden
    assert select[0]["tableWithColumns"]["columnNames"] == [c["name"] for c in dataset["columns"] if c["name"] not in hidden]
    # Nothing is opened on the consumer's default bus: the producer puts straight on the inbox, whose
    # policy admits only the producer account and only the product's own source.
    assert not run.by_type("aws:cloudwatch/eventPermission:EventPermission")
    [inbox] = run.by_type("aws:cloudwatch/eventBus:EventBus")
    assert inbox.inputs["name"] == dev_orders["shareBusName"]
    [policy] = run.by_type("aws:cloudwatch/eventBusPolicy:EventBusPolicy")
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statement["Resource"] == [inbox.outputs["arn"]]
    assert statement["Condition"] == {"StringEquals": {"events:source": [dev_orders["eventSource"]]}}
    assert set(run.outputs["consumes"]) == {f"{DEV_REF}:orders"}


def test_producer_forwards_events_to_granted_consumers_only():
    run = stack_run("dev")
    # Wired from both graphs: the producer's cross-account target is the consumer's inbox bus.
    [inbox] = stack_run("marketing").by_type("aws:cloudwatch/eventBus:EventBus")
    targets = [t for t in run.by_type("aws:cloudwatch/eventTarget:EventTarget") if ":222222222222:" in t.inputs["arn"]]
    assert [t.inputs["arn"] for t in targets] == [inbox.outputs["arn"]]
    [rule] = [r for r in run.by_type("aws:cloudwatch/eventRule:EventRule") if r.outputs["name"] == targets[0].inputs["rule"]]
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": [run.outputs["dataProducts"]["orders"]["eventSource"]], "account": ["111111111111"]}


def test_an_ungranted_consumer_is_refused_with_the_producer_and_the_missing_grant():
    cfg = load_stack_config("marketing")
    cfg[f"{PROJECT}:account"] = json.dumps({"id": "333333333333", "deployRole": "PlatformDeployer"})
    run = run_stack("marketing", config=cfg, stack_outputs={DEV_REF: stack_run("dev").outputs})
    assert not run.ok and nothing_created(run)
    assert run.error.startswith("Pulumi.marketing.yaml: data-delivery-platform:consumes[0]: producer stack "
                                f"{DEV_REF} has not granted account 333333333333 access to data product 'orders'")


def test_preview_cli_prints_tree_and_writes_json(tmp_path, capsys):
    out = tmp_path / "dev.json"
    assert preview.main(["dev", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Provider retail-dev-us-east-1: region us-east-1, allowedAccountIds" in text
    assert "ddp:index:DataProduct orders" in text and "Counts by type:" in text
    graph = json.loads(out.read_text())
    assert {"type", "name", "parent", "provider", "inputs", "outputs"} <= set(graph["resources"][0])
    assert graph["outputs"]["dataProducts"]["orders"]["name"] == "orders"


def test_preview_cli_bad_stack_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "Pulumi.broken.yaml"
    bad.write_text((tmp_path / "x").as_posix() and
                   "config:\n  aws:region: us-east-1\n  data-delivery-platform:businessUnit: Retail!\n")
    assert preview.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("error: Pulumi.broken.yaml: data-delivery-platform:businessUnit: String should match pattern")


def test_failover_records_primary_in_dev_secondary_in_dr_each_health_checked():
    for name, role, ident in (("dev", "PRIMARY", "primary"), ("dr", "SECONDARY", "dr")):
        run = stack_run(name)
        [record] = run.by_type("aws:route53/record:Record")
        [check] = run.by_type("aws:route53/healthCheck:HealthCheck")
        lb = run.by_type("aws:lb/loadBalancer:LoadBalancer")[0]
        assert record.inputs["name"] == "orders-api.retail.example.com"
        assert record.inputs["setIdentifier"] == ident
        assert record.inputs["failoverRoutingPolicies"] == [{"type": role}]
        assert record.inputs["healthCheckId"] == check.id
        assert record.inputs["aliases"] == [{"name": lb.outputs["dnsName"], "zoneId": lb.outputs["zoneId"],
                                             "evaluateTargetHealth": True}]
        assert (check.inputs["type"], check.inputs["resourcePath"], check.inputs["fqdn"]) == (
            "HTTPS", "/health", lb.outputs["dnsName"])


def test_built_images_are_replicated_and_the_dr_service_runs_the_replica():
    dev = stack_run("dev")
    [repl] = dev.by_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    rule = repl.inputs["replicationConfiguration"]["rules"][0]
    assert rule["destinations"] == [{"region": "us-west-2", "registryId": "111111111111"}]
    assert rule["repositoryFilters"] == [{"filter": "retail-dev/", "filterType": "PREFIX_MATCH"}]
    image = dev.outputs["services"]["orders-api"]["image"]
    dr = stack_run("dr")
    assert not dr.by_type("aws:ecr/repository:Repository"), "DR must not create the repository replication fills"
    [task] = dr.by_type("aws:ecs/taskDefinition:TaskDefinition")
    container = json.loads(task.inputs["containerDefinitions"])[0]
    # DR runs exactly the primary's image: the replicated repository at the pushed digest.
    digest = image["uri"].rsplit("@", 1)[1]
    assert digest.startswith("sha256:")
    assert container["image"] == f"111111111111.dkr.ecr.us-west-2.amazonaws.com/{image['repository']}@{digest}"


def test_replicas_log_to_an_sse_s3_log_bucket_in_the_dr_region():
    run = stack_run("dev")
    logs = run.one("aws:s3/bucket:Bucket", "orders-dr-logs-replica")
    assert logs.inputs["bucket"] == "retail-dev-orders-logs-111111111111-usw2"
    assert logs.inputs["tags"]["ddp:log-target"] == "s3-access-logs"
    sse = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  "orders-dr-logs-replica-encryption").inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    targets = {r.inputs["bucket"]: r.inputs["targetBucket"] for r in run.by_type("aws:s3/bucketLogging:BucketLogging")
               if r.inputs["targetBucket"] == logs.inputs["bucket"]}
    assert sorted(targets) == sorted(f"retail-dev-orders-{z}-111111111111-usw2" for z in ("raw", "curated", "reportable"))
    policy = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy", "orders-dr-logs-replica-policy").inputs["policy"])
    writer = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}][0]
    assert writer["Resource"] == ["arn:aws:s3:::retail-dev-orders-logs-111111111111-usw2/*"]


def test_dr_and_consumer_buses_are_encrypted_and_archived():
    dr = stack_run("dr")
    dr_key = stack_run("dev").outputs["dataProducts"]["orders"]["dr"]["keyArn"]
    [bus] = dr.by_type("aws:cloudwatch/eventBus:EventBus")
    [archive] = dr.by_type("aws:cloudwatch/eventArchive:EventArchive")
    assert bus.inputs["kmsKeyIdentifier"] == dr_key and archive.inputs["kmsKeyIdentifier"] == dr_key
    mk = stack_run("marketing")
    [inbox] = mk.by_type("aws:cloudwatch/eventBus:EventBus")
    key = mk.by_type("aws:kms/key:Key")
    assert inbox.inputs["kmsKeyIdentifier"] in {k.outputs["arn"] for k in key}
    # Undeliverable shared events wait in the producer's encrypted DLQ (the consumer runs no rule).
    assert not mk.by_type("aws:cloudwatch/eventTarget:EventTarget")
    dev = stack_run("dev")
    [share] = [t for t in dev.by_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["arn"] == inbox.outputs["arn"]]
    dlq = dev.one("aws:sqs/queue:Queue", "orders-sharing-dlq")
    assert share.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}


def test_preview_policy_check_prints_report_and_summary(capsys):
    assert preview.main(["dev", "--policy", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "0 mandatory" in out and "Compliance summary" in out
    assert "dynamodb-table-pitr-enabled" in out and "DynamoDB.2" in out


def test_preview_policy_check_exits_1_on_a_mandatory_violation(tmp_path, capsys):
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "Pulumi.dev.yaml").read_text() + ("  data-delivery-platform:allowDataDestroy: true\n"
        # a stack file of its own has no committed estimate: it names its budget
        "  data-delivery-platform:budget: {monthlyUsd: 1200}\n")
    stack_file = tmp_path / "Pulumi.devdestroy.yaml"
    stack_file.write_text(text)
    strict = tmp_path / "policy.json"
    strict.write_text(json.dumps({"stateful-resources-protected": {"allowDataDestroy": False},
                                  "lakeformation-permissions-to-consumers-only": {"consumerAccounts": ["222222222222"]}}))
    assert preview.main([str(stack_file), "--policy", "--quiet", "--policy-config", str(strict)]) == 1
    out = capsys.readouterr().out
    assert "MANDATORY" in out and "stateful-resources-protected" in out


def test_lambda_service_reads_through_dax_with_the_client_layer():
    run = stack_run("dev")
    [layer] = run.by_type("aws:lambda/layerVersion:LayerVersion")
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert layer.inputs["compatibleRuntimes"] == ["python3.12"]
    # The program packages the layer itself from the installed requirements (no `make`).
    assets = layer.inputs["code"].assets
    assert "python/amazondax/__init__.py" in assets and "python/antlr4/__init__.py" in assets
    assert not [k for k in assets if "__pycache__" in k or k.endswith(".pyc")]
    import amazondax
    assert assets["python/amazondax/__init__.py"].path == amazondax.__file__
    fn = run.one("aws:lambda/function:Function", "order-events-function").inputs
    assert fn["layers"] == [layer.outputs["arn"]]
    [cluster] = run.by_type("aws:dax/cluster:Cluster")
    assert fn["environment"]["variables"]["DAX_ENDPOINT"] == \
        f"daxs://{cluster.outputs['clusterAddress']}:{int(cluster.outputs['port'])}"
    # The DR stack runs without DAX: no layer, no endpoint.
    dr = stack_run("dr")
    assert not dr.by_type("aws:lambda/layerVersion:LayerVersion")
    assert "DAX_ENDPOINT" not in dr.one("aws:lambda/function:Function", "order-events-function").inputs[
        "environment"]["variables"]


def test_dr_dax_is_off_by_default_and_warm_on_request():
    assert not stack_run("dr").by_type("aws:dax/cluster:Cluster")
    cfg = load_stack_config("dr")
    dr = json.loads(cfg[f"{PROJECT}:dr"])
    cfg[f"{PROJECT}:dr"] = json.dumps({**dr, "daxEnabled": True})
    run = run_stack("dr", config=cfg, stack_outputs={DEV_REF: stack_run("dev").outputs})
    assert run.ok, run.error
    [cluster] = run.by_type("aws:dax/cluster:Cluster")
    assert (cluster.inputs["clusterEndpointEncryptionType"], cluster.inputs["serverSideEncryption"]) == (
        "TLS", {"enabled": True})
    role = next(r for r in run.by_type("aws:iam/role:Role") if r.outputs["arn"] == cluster.inputs["iamRoleArn"])
    assert role.inputs["name"].endswith("-dr"), "IAM is global: DR roles must not collide with the primary's"
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "orders-dax-policy").inputs["policy"])
    replica_arn = stack_run("dev").outputs["dataProducts"]["orders"]["dr"]["odsTableArn"]
    assert replica_arn in policy["Statement"][0]["Resource"]
    env = json.loads(run.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task").inputs["containerDefinitions"])[0]
    assert {e["name"]: e["value"] for e in env["environment"]}["DAX_ENDPOINT"] == \
        f"daxs://{cluster.outputs['clusterAddress']}:{int(cluster.outputs['port'])}"
    assert policy_report(run).mandatory == 0


def test_dr_stack_refuses_a_primary_that_does_not_replicate_or_a_missing_certificate():
    dev_outputs = stack_run("dev").outputs
    unreplicated = json.loads(json.dumps(dev_outputs))
    unreplicated["dataProducts"]["orders"]["dr"] = None
    run = run_stack("dr", stack_outputs={DEV_REF: unreplicated})
    assert not run.ok and nothing_created(run)
    assert run.error == (f"Pulumi.dr.yaml: {PROJECT}:primaryStack: primary stack {DEV_REF} does not replicate data "
                         "product 'orders'; set drRegion: us-west-2 in its stack file and run `pulumi up` there first")
    cfg = load_stack_config("dr")
    cfg[f"{PROJECT}:dr"] = json.dumps({k: v for k, v in json.loads(cfg[f"{PROJECT}:dr"]).items() if k != "certificateArn"})
    run = run_stack("dr", config=cfg, stack_outputs={DEV_REF: dev_outputs})
    assert nothing_created(run)
    assert run.error.startswith(f"Pulumi.dr.yaml: {PROJECT}:dr.certificateArn: required: the primary runs Fargate "
                                "service 'orders-api'")
