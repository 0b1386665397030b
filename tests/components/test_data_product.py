"""DataProduct under the platform mocks: exact security inputs, child counts, both branches of every
optional child (each ingestion mode, DAX, consumers, allowDataDestroy), providers, the contract.

Most tests read whole-stack runs (the shipped dev stack and variants of its config, each run once
per module); a few build the component alone to reach what the stack file cannot set
(`sftp_allowed_cidrs`, `served_store()` without DAX, `lake_formation_settings`).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import pulumi
import pulumi_aws as aws
import pytest

from components.foundation import blueprint, naming
from components.foundation.context import NetworkRefs, StackContext
from components.data_product.monitoring import AlarmEndpoint
from components.data_product import DataProduct, DataProductArgs
from components.data_product.lake_formation import lake_formation_settings
from components.sharing.contract import CONTRACT_VERSION, ContractError, DataProductContract
from stackconfig.args import data_product_spec
from offline.engine import resolve, run_program
from offline.mocks import PlatformMocks, Record, RecordingMonitor
from offline.runner import ROOT, StackRun, load_stack_config, run_stack
from stackconfig.loader import PROJECT
from components.data_product.spec import DataProductSpec
from stackconfig.model import DataProductSettings

ACCOUNT = "111111111111"
REGION = "us-east-1"
CONSUMER = "222222222222"
PROVIDER_URN_SUFFIX = "pulumi:providers:aws::retail-dev-us-east-1"

T_BUCKET = "aws:s3/bucket:Bucket"
T_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
T_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
T_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
T_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
T_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
T_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
T_LOGGING = "aws:s3/bucketLogging:BucketLogging"
T_KEY = "aws:kms/key:Key"
T_TABLE = "aws:dynamodb/table:Table"
T_DAX = "aws:dax/cluster:Cluster"
T_DAX_SUBNETS = "aws:dax/subnetGroup:SubnetGroup"
T_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_STREAM = "aws:kinesis/stream:Stream"
T_FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
T_FN = "aws:lambda/function:Function"
T_LOG = "aws:cloudwatch/logGroup:LogGroup"
T_JOB = "aws:glue/job:Job"
T_TRIGGER = "aws:glue/trigger:Trigger"
T_CRAWLER = "aws:glue/crawler:Crawler"
T_GLUE_SEC = "aws:glue/securityConfiguration:SecurityConfiguration"
T_SERVER = "aws:transfer/server:Server"
T_USER = "aws:transfer/user:User"
T_SSH = "aws:transfer/sshKey:SshKey"
T_BUS = "aws:cloudwatch/eventBus:EventBus"
T_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
T_ARCHIVE = "aws:cloudwatch/eventArchive:EventArchive"
T_RULE = "aws:cloudwatch/eventRule:EventRule"
T_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
T_PERMISSION = "aws:lambda/permission:Permission"
T_QUEUE = "aws:sqs/queue:Queue"
T_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
T_ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
T_TOPIC = "aws:sns/topic:Topic"
T_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
T_LF_RESOURCE = "aws:lakeformation/resource:Resource"
T_LF_PERMS = "aws:lakeformation/permissions:Permissions"
T_LF_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
T_ROLE = "aws:iam/role:Role"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
T_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"

ZONES = ("raw", "curated", "reportable")


def bucket_name(zone: str) -> str:
    return naming.bucket_name("retail", "dev", "orders", zone, ACCOUNT, "use1")


# --- stack runs, each executed once per module --------------------------------------------------

def _dev_products(cfg: dict[str, str]) -> list[dict]:
    return json.loads(cfg[f"{PROJECT}:dataProducts"])


def _variant(change: Callable[[dict], None], *, destroy: bool = False) -> dict[str, str]:
    cfg = load_stack_config("dev")
    products = _dev_products(cfg)
    change(products[0])
    cfg[f"{PROJECT}:dataProducts"] = json.dumps(products)
    if destroy:
        cfg[f"{PROJECT}:allowDataDestroy"] = "true"
    return cfg


def _lean(p: dict) -> None:
    """Events only, no DAX, no consumers."""
    p["ingestion"] = {"events": {"sources": ["retail.orders"], "archiveRetentionDays": 7}}
    p["operationalStore"]["dax"] = {"enabled": False}
    p["consumers"] = []
    p.pop("datasets")  # datasets are built from batch output


def _sftp_stream(p: dict) -> None:
    """SFTP (two users) + on-demand streaming, no batch: arrivals start the raw crawler."""
    p["ingestion"] = {
        "sftp": {"users": [
            {"name": "partner-acme", "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf8+vi4hNqRvLV/7GTG/XyrSOfPlNCj0Oo18PvRGzED acme"},
            {"name": "partner-zeta", "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPnz5NLS5+X+BffQSsVQdLSz17yC2DriWGHrTZExhX3h zeta"},
        ]},
        "streaming": {"retentionHours": 720},
    }
    p.pop("datasets")  # no batch: nothing builds datasets, so nothing to grant
    p["consumers"] = []


def _batch_on_arrival(p: dict) -> None:
    """Batch without a schedule (on arrival only), nothing else."""
    p["ingestion"] = {"batch": {"onArrival": True, "glueVersion": "4.0", "workerType": "G.2X", "workers": 5,
                                "timeoutMinutes": 30}}
    p["operationalStore"] = {"partitionKey": "orderId", "partitionKeyType": "N"}


VARIANTS: dict[str, Callable[[], Optional[dict[str, str]]]] = {
    "dev": lambda: None,
    "lean": lambda: _variant(_lean),
    "sftp_stream": lambda: _variant(_sftp_stream, destroy=True),
    "batch": lambda: _variant(_batch_on_arrival),
}
_RUNS: dict[str, StackRun] = {}


def run(name: str) -> StackRun:
    if name not in _RUNS:
        cfg = VARIANTS[name]()
        result = run_stack("dev", config=cfg) if cfg is not None else run_stack("dev")
        assert result.ok, result.error
        _RUNS[name] = result
    return _RUNS[name]


@pytest.fixture(scope="module")
def dev() -> StackRun:
    return run("dev")


# --- helpers -------------------------------------------------------------------------------------

def product_urn(r: StackRun, name: str = "orders") -> str:
    return r.one("ddp:index:DataProduct", name).urn


def children(r: StackRun, type_: Optional[str] = None, product: str = "orders") -> list[Record]:
    """Custom resources whose parent chain leads to the DataProduct."""
    root = product_urn(r, product)
    by_urn = {x.urn: x for x in r.records}

    def under(rec: Record) -> bool:
        parent = rec.parent
        while parent:
            if parent == root:
                return True
            parent = by_urn[parent].parent if parent in by_urn else ""
        return False

    return [x for x in r.records if x.custom and under(x) and (type_ is None or x.type == type_)]


def one(r: StackRun, type_: str, name: str) -> Record:
    found = [x for x in children(r, type_) if x.name == name]
    assert len(found) == 1, f"expected one {type_} {name}, have {sorted(x.name for x in children(r, type_))}"
    return found[0]


def names(r: StackRun, type_: str) -> set[str]:
    return {x.name for x in children(r, type_)}


def doc(rec: Record, key: str = "policy") -> dict:
    value = rec.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def statement(document: dict, sid: str) -> dict:
    found = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"no single statement {sid} in {document}"
    return found[0]


def role_policy(r: StackRun, part: str) -> dict:
    return doc(one(r, T_ROLE_POLICY, f"orders-{part}-policy"))


def key_arn(r: StackRun) -> str:
    return one(r, T_KEY, "orders-key").outputs["arn"]


def private_subnets(r: StackRun) -> list[str]:
    return r.one("awsx:ec2:Vpc", "retail-dev-vpc").outputs["privateSubnetIds"]


# --- whole product -------------------------------------------------------------------------------

def test_every_child_is_bound_to_the_stack_provider(dev):
    kids = children(dev)
    assert len(kids) > 100
    unbound = [x.name for x in kids if not x.provider.split("::", 1)[-1].startswith(
        "data-delivery-platform::pulumi:pulumi:Stack$" + PROVIDER_URN_SUFFIX)]
    assert unbound == []


def test_contract_is_exported_with_every_key(dev):
    c = dev.outputs["dataProducts"]["orders"]
    # The export reads back through the one contract type, spec included.
    contract = DataProductContract.from_export(c, producer_stack="dev")
    assert json.loads(json.dumps(contract.to_export())) == c and c["version"] == CONTRACT_VERSION
    settings = json.loads(dev.config[f"{PROJECT}:dataProducts"])[0]
    assert contract.spec == data_product_spec(DataProductSettings.model_validate(settings))
    assert c["buckets"] == {z: {"name": bucket_name(z), "arn": f"arn:aws:s3:::{bucket_name(z)}"} for z in ZONES}
    assert c["keyArn"] == key_arn(dev)
    assert c["catalogDatabase"] == "retail_dev_orders"
    assert c["eventBusName"] == "retail-dev-orders"
    assert c["odsTableName"] == "retail-dev-orders-ods"
    assert c["odsStreamArn"].startswith(c["odsTableArn"] + "/stream/")
    assert c["streamArn"] == one(dev, T_STREAM, "orders-stream").outputs["arn"]
    assert c["daxEndpoint"].startswith("daxs://")
    assert c["sftpEndpoint"].endswith(".server.transfer.us-east-1.amazonaws.com")
    assert c["alarmTopicArn"] == one(dev, T_TOPIC, "orders-alarms").outputs["arn"]
    assert c["consumers"] == [CONSUMER]
    assert (c["classification"], c["owner"], c["region"]) == ("confidential", "orders-domain@example.com", REGION)


def test_contract_optional_entries_are_none_when_absent():
    c = run("lean").outputs["dataProducts"]["orders"]
    assert DataProductContract.from_export(c, producer_stack="dev").stream_arn is None
    assert (c["streamArn"], c["daxEndpoint"], c["sftpEndpoint"]) == (None, None, None)
    assert c["consumers"] == []


# --- key -----------------------------------------------------------------------------------------

def test_product_key_rotates_and_trusts_only_the_account_and_its_services(dev):
    key = one(dev, T_KEY, "orders-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == blueprint.KMS_DELETION_WINDOW_DAYS == 30
    policy = doc(key)
    principals = [s["Principal"] for s in policy["Statement"]]
    assert principals == [{"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                          {"Service": "logs.us-east-1.amazonaws.com"},
                          {"Service": "events.amazonaws.com"},
                          {"Service": "events.amazonaws.com"},
                          {"Service": "cloudwatch.amazonaws.com"},
                          {"Service": "budgets.amazonaws.com"}]
    for s in policy["Statement"][1:]:
        assert "kms:*" not in s["Action"]
    # Each service statement carries only the condition keys that service documents for the use:
    # Logs sends the encryption context and no aws:SourceAccount; EventBridge documents
    # aws:SourceAccount for buses; deliveries to encrypted topics/queues carry no source keys.
    conditions = {s["Sid"]: s.get("Condition") for s in policy["Statement"][1:]}
    assert set(conditions["CloudWatchLogs"]) == {"ArnLike"}
    assert conditions["EventBridgeBuses"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert conditions["EventBridgeDelivers"] is None and conditions["CloudWatchAlarms"] is None
    assert conditions["AWSBudgetsEncryptedTopic"] is None
    assert statement(policy, "EventBridgeDelivers")["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    logs = statement(policy, "CloudWatchLogs")["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert logs == [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ddp/retail-dev/orders/*",
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/*"]
    assert dev.one("aws:kms/alias:Alias", "orders-key-alias").inputs["name"] == "alias/retail-dev/orders"


# --- storage -------------------------------------------------------------------------------------

def test_three_zone_buckets_and_one_log_bucket(dev):
    buckets = {x.name: x for x in children(dev, T_BUCKET)}
    assert set(buckets) == {"orders-raw", "orders-curated", "orders-reportable", "orders-logs"}
    for zone in (*ZONES, "logs"):
        b = buckets[f"orders-{zone}"]
        assert b.inputs["bucket"] == bucket_name(zone)
        assert b.inputs["forceDestroy"] is False
        assert b.inputs["tags"]["data-classification"] == "confidential"


@pytest.mark.parametrize("zone", ZONES)
def test_zone_bucket_is_kms_encrypted_with_the_product_key(dev, zone):
    sse = one(dev, T_SSE, f"orders-{zone}-encryption").inputs
    assert sse["bucket"] == bucket_name(zone)
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                                                    "kmsMasterKeyId": key_arn(dev)},
                             "bucketKeyEnabled": True}]


def test_log_bucket_uses_sse_s3_as_access_logging_requires(dev):
    sse = one(dev, T_SSE, "orders-logs-encryption").inputs
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    policy = doc(one(dev, T_POLICY, "orders-logs-policy"))
    logging = statement(policy, "S3ServerAccessLogs")
    assert logging["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert logging["Action"] == ["s3:PutObject"]
    assert logging["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert logging["Condition"]["ArnLike"]["aws:SourceArn"] == [f"arn:aws:s3:::{bucket_name(z)}" for z in ZONES]
    assert statement(policy, "DenyInsecureTransport")["Effect"] == "Deny"
    rules = {r["id"]: r for r in one(dev, T_LIFECYCLE, "orders-logs-lifecycle").inputs["rules"]}
    assert rules["expire-access-logs"]["expiration"] == {"days": blueprint.LOG_RETENTION_DAYS}


@pytest.mark.parametrize("zone", (*ZONES, "logs"))
def test_every_bucket_blocks_public_access_enforces_ownership_and_versions(dev, zone):
    pab = one(dev, T_PAB, f"orders-{zone}-public-access").inputs
    assert (pab["blockPublicAcls"], pab["blockPublicPolicy"], pab["ignorePublicAcls"],
            pab["restrictPublicBuckets"]) == (True, True, True, True)
    assert one(dev, T_OWNERSHIP, f"orders-{zone}-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert one(dev, T_VERSIONING, f"orders-{zone}-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"


@pytest.mark.parametrize("zone", ZONES)
def test_zone_policy_denies_plain_http_and_other_encryption(dev, zone):
    policy = doc(one(dev, T_POLICY, f"orders-{zone}-policy"))
    arn = f"arn:aws:s3:::{bucket_name(zone)}"
    tls = statement(policy, "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == [arn, f"{arn}/*"]
    assert statement(policy, "DenyOtherEncryption")["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    assert statement(policy, "DenyOtherKey")["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(dev)}}
    assert all(s["Effect"] == "Deny" for s in policy["Statement"])


def test_lifecycle_follows_product_settings(dev):
    raw = {r["id"]: r for r in one(dev, T_LIFECYCLE, "orders-raw-lifecycle").inputs["rules"]}
    curated = {r["id"]: r for r in one(dev, T_LIFECYCLE, "orders-curated-lifecycle").inputs["rules"]}
    assert raw["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    noncurrent = raw["noncurrent-versions"]
    # defaults: IA after 30 days, expire after 90; the glacier step (180) would come after expiry
    assert noncurrent["noncurrentVersionTransitions"] == [{"noncurrentDays": 30, "storageClass": "STANDARD_IA"}]
    assert noncurrent["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert raw["tier-raw-objects"]["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"},
                                                     {"days": 180, "storageClass": "GLACIER"}]
    assert "tier-raw-objects" not in curated and "noncurrent-versions" in curated


@pytest.mark.parametrize("zone", ZONES)
def test_zone_access_logs_go_to_the_log_bucket(dev, zone):
    logging = one(dev, T_LOGGING, f"orders-{zone}-access-logs").inputs
    assert (logging["bucket"], logging["targetBucket"], logging["targetPrefix"]) == (
        bucket_name(zone), bucket_name("logs"), f"{zone}/")


def test_raw_bucket_sends_events_to_eventbridge(dev):
    notification = one(dev, T_NOTIFICATION, "orders-raw-events").inputs
    assert notification == {"bucket": bucket_name("raw"), "eventbridge": True}


# --- stateful protection -------------------------------------------------------------------------

def _stateful(r: StackRun) -> list[Record]:
    return [*children(r, T_BUCKET), one(r, T_TABLE, "orders-ods"), one(r, T_KEY, "orders-key")]


def test_buckets_table_and_key_are_protected_and_retained(dev):
    assert [(x.name, x.protect, x.retain_on_delete) for x in _stateful(dev)] == \
           [(x.name, True, True) for x in _stateful(dev)]
    assert one(dev, T_TABLE, "orders-ods").inputs["deletionProtectionEnabled"] is True
    # only the stateful ones
    assert not one(dev, T_FN, "orders-ods-writer").protect


def test_allow_data_destroy_lifts_protection():
    r = run("sftp_stream")
    assert [(x.name, x.protect, x.retain_on_delete) for x in _stateful(r)] == \
           [(x.name, False, False) for x in _stateful(r)]
    assert one(r, T_TABLE, "orders-ods").inputs["deletionProtectionEnabled"] is False


# --- ODS -----------------------------------------------------------------------------------------

def test_ods_table_secure_settings(dev):
    t = one(dev, T_TABLE, "orders-ods").inputs
    assert t["name"] == "retail-dev-orders-ods"
    assert t["billingMode"] == "PAY_PER_REQUEST"
    assert (t["hashKey"], t["rangeKey"]) == ("orderId", "lineId")
    assert t["attributes"] == [{"name": "orderId", "type": "S"}, {"name": "lineId", "type": "S"}]
    assert t["pointInTimeRecovery"] == {"enabled": True}
    assert t["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn(dev)}
    assert (t["streamEnabled"], t["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")


def test_ods_table_without_sort_key():
    t = one(run("batch"), T_TABLE, "orders-ods").inputs
    assert t["hashKey"] == "orderId" and "rangeKey" not in t
    assert t["attributes"] == [{"name": "orderId", "type": "N"}]


def test_dax_is_tls_encrypted_and_spread_over_three_private_subnets(dev):
    c = one(dev, T_DAX, "orders-dax").inputs
    assert c["clusterEndpointEncryptionType"] == "TLS"
    assert c["serverSideEncryption"] == {"enabled": True}
    assert (c["replicationFactor"], c["nodeType"]) == (3, "dax.r5.large")
    assert c["clusterName"] == naming.dax_cluster_name("retail", "dev", "orders")
    subnets = one(dev, T_DAX_SUBNETS, "orders-dax-subnets").inputs
    assert subnets["subnetIds"] == private_subnets(dev) and len(subnets["subnetIds"]) == 3
    assert c["subnetGroupName"] == subnets["name"]
    nodes = one(dev, T_DAX, "orders-dax").outputs["nodes"]
    assert sorted({n["availabilityZone"] for n in nodes}) == [f"{REGION}{z}" for z in "abc"]


def test_dax_accepts_only_tls_from_its_clients_group(dev):
    dax_sg = one(dev, "aws:ec2/securityGroup:SecurityGroup", "orders-dax-sg")
    clients = one(dev, "aws:ec2/securityGroup:SecurityGroup", "orders-dax-clients-sg")
    ingress = [x.inputs for x in children(dev, T_IN) if x.inputs["securityGroupId"] == dax_sg.id]
    assert ingress == [{"securityGroupId": dax_sg.id, "referencedSecurityGroupId": clients.id, "ipProtocol": "tcp",
                        "fromPort": 9111, "toPort": 9111,
                        "description": "DAX over TLS from the clients security group"}]
    assert one(dev, T_DAX, "orders-dax").inputs["securityGroupIds"] == [dax_sg.id]
    dax_role = role_policy(dev, "dax")
    table_arn = one(dev, T_TABLE, "orders-ods").outputs["arn"]
    assert statement(dax_role, "OdsTable")["Resource"] == [table_arn, f"{table_arn}/index/*"]
    assert not any(a.endswith(":*") for a in statement(dax_role, "OdsTable")["Action"])


def test_dax_off_creates_no_dax_children():
    r = run("lean")
    assert [x for x in children(r) if x.type.startswith("aws:dax/")] == []
    assert "orders-dax-sg" not in names(r, "aws:ec2/securityGroup:SecurityGroup")


# --- batch ---------------------------------------------------------------------------------------

def test_glue_security_configuration_uses_the_product_key(dev):
    enc = one(dev, T_GLUE_SEC, "orders-glue-security").inputs["encryptionConfiguration"]
    arn = key_arn(dev)
    assert enc["s3Encryption"] == {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": arn}
    assert enc["cloudwatchEncryption"] == {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": arn}
    assert enc["jobBookmarksEncryption"] == {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": arn}


def test_glue_job_settings_and_uploaded_script(dev):
    job = one(dev, T_JOB, "orders-etl").inputs
    args = job["defaultArguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--enable-metrics"] == "true" and args["--enable-continuous-cloudwatch-log"] == "true"
    assert args["--source_path"] == f"s3://{bucket_name('raw')}/batch/"
    assert args["--target_path"] == f"s3://{bucket_name('curated')}/batch/"
    assert args["--required_fields"] == "order_id,order_ts"
    assert (job["glueVersion"], job["workerType"], job["numberOfWorkers"], job["timeout"]) == ("5.0", "G.1X", 2, 60)
    assert job["securityConfiguration"] == "retail-dev-orders"
    assert job["command"]["scriptLocation"] == f"s3://{bucket_name('curated')}/_artifacts/glue/job.py"
    script = one(dev, T_OBJECT, "orders-etl-job-py").inputs
    assert (script["bucket"], script["key"]) == (bucket_name("curated"), "_artifacts/glue/job.py")
    assert script["kmsKeyId"] == key_arn(dev)
    assert isinstance(script["source"], pulumi.FileAsset)
    assert script["source"].path == str(ROOT / "functions" / "batch_etl" / "job.py")
    assert (ROOT / "functions" / "batch_etl" / "job.py").exists()
    role = role_policy(dev, "etl")
    assert statement(role, "ReadRaw")["Resource"] == [f"arn:aws:s3:::{bucket_name('raw')}/batch/*",
                                                      f"arn:aws:s3:::{bucket_name('raw')}/sftp/*"]
    assert statement(role, "WriteCurated")["Resource"] == [f"arn:aws:s3:::{bucket_name('curated')}/batch/*"]
    # Spark's committer and the job's exactly-once publish (staging -> copy -> delete) need to read,
    # delete and abort uploads under both output prefixes, not only put objects.
    for sid, resource in (("WriteCurated", f"arn:aws:s3:::{bucket_name('curated')}/batch/*"),
                          ("WriteRejected", f"arn:aws:s3:::{bucket_name('raw')}/rejected/*")):
        assert set(statement(role, sid)["Action"]) == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject",
                                                      "s3:AbortMultipartUpload"}
        assert statement(role, sid)["Resource"] == [resource]


def test_curated_crawler_skips_artifacts_and_staged_output(dev):
    crawler = one(dev, T_CRAWLER, "orders-curated-crawler").inputs
    assert crawler["s3Targets"][0]["exclusions"] == ["_artifacts/**", "batch/_staging/**", "_quarantine/reportable/**"]


def test_arrival_403s_are_counted_and_alarmed(dev):
    alarm = one(dev, "aws:cloudwatch/metricAlarm:MetricAlarm", "orders-arrival-head-forbidden-alarm").inputs
    from functions.arrival_handler import handler as arrival_handler
    assert (alarm["namespace"], alarm["metricName"]) == (arrival_handler.METRIC_NAMESPACE, "HeadObjectForbidden")
    assert alarm["dimensions"] == {"Bucket": bucket_name("raw")}
    assert alarm["alarmActions"] == [one(dev, T_TOPIC, "orders-alarms").outputs["arn"]]


def test_alarm_topic_has_one_subscription_per_configured_endpoint(dev):
    topic = one(dev, T_TOPIC, "orders-alarms")
    subs = children(dev, "aws:sns/topicSubscription:TopicSubscription")
    configured = json.loads(dev.config[f"{PROJECT}:alarms"])
    assert sorted((x.inputs["protocol"], x.inputs["endpoint"]) for x in subs) == sorted(
        [("email", e) for e in configured.get("email", [])] + [("https", u) for u in configured.get("https", [])])
    assert subs and all(x.inputs["topic"] == topic.outputs["arn"] for x in subs)


def test_glue_trigger_only_with_a_schedule(dev):
    trigger = one(dev, T_TRIGGER, "orders-etl-schedule").inputs
    assert (trigger["type"], trigger["schedule"]) == ("SCHEDULED", "cron(0 3 * * ? *)")
    assert trigger["actions"] == [{"jobName": "retail-dev-orders-etl"}]
    b = run("batch")
    # Only the reportable stage's trigger, which follows the ETL, not a schedule.
    assert names(b, T_TRIGGER) == {"orders-reportable-after-etl"}
    job = one(b, T_JOB, "orders-etl").inputs
    assert (job["glueVersion"], job["workerType"], job["numberOfWorkers"], job["timeout"]) == ("4.0", "G.2X", 5, 30)
    assert "--required_fields" not in job["defaultArguments"]


def test_etl_failures_notify_the_encrypted_alarm_topic(dev):
    pattern = json.loads(one(dev, T_RULE, "orders-etl-failed-rule").inputs["eventPattern"])
    assert pattern == {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
                       "detail": {"jobName": ["retail-dev-orders-etl"], "state": ["FAILED", "TIMEOUT"]}}
    topic = one(dev, T_TOPIC, "orders-alarms")
    assert topic.inputs["kmsMasterKeyId"] == key_arn(dev)
    target = one(dev, T_TARGET, "orders-etl-failed-target").inputs
    assert target["arn"] == topic.outputs["arn"]
    policy = doc(one(dev, T_TOPIC_POLICY, "orders-alarms-policy"))
    events = statement(policy, "FailureEvents")
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    rule_arns = {one(dev, T_RULE, f"orders-{p}-rule").outputs["arn"]
                 for p in ("etl-failed", "crawler-failed", "reportable-failed")}
    assert set(events["Condition"]["ArnEquals"]["aws:SourceArn"]) == rule_arns


def test_no_batch_means_no_glue_job():
    for variant in ("lean", "sftp_stream"):
        r = run(variant)
        assert names(r, T_JOB) == set() and names(r, T_TRIGGER) == set() and names(r, T_OBJECT) == set()


# --- arrival check -------------------------------------------------------------------------------

def _env(r: StackRun, fn: str) -> dict:
    return one(r, T_FN, fn).inputs["environment"]["variables"]


def _arrival_prefixes(r: StackRun) -> list[str]:
    pattern = json.loads(one(r, T_RULE, "orders-arrival-rule").inputs["eventPattern"])
    assert pattern["detail"]["bucket"]["name"] == [bucket_name("raw")]
    return [k["prefix"] for k in pattern["detail"]["object"]["key"]]


def test_arrivals_start_the_etl_when_batch_is_configured(dev):
    env = _env(dev, "orders-arrival-handler")
    assert (env["ON_VALID"], env["ETL_JOB_NAME"]) == ("etl", "retail-dev-orders-etl")
    assert "CRAWLER_NAME" not in env
    assert _arrival_prefixes(dev) == ["batch/", "sftp/"]
    assert _arrival_prefixes(run("batch")) == ["batch/"]


def test_arrivals_start_the_raw_crawler_without_batch():
    r = run("sftp_stream")
    env = _env(r, "orders-arrival-handler")
    assert (env["ON_VALID"], env["CRAWLER_NAME"]) == ("crawler", "retail-dev-orders-raw-crawler")
    assert _arrival_prefixes(r) == ["sftp/"]
    start = statement(role_policy(r, "arrival-handler"), "StartCrawler")
    assert start["Resource"] == [f"arn:aws:glue:{REGION}:{ACCOUNT}:crawler/retail-dev-orders-raw-crawler"]


def test_no_file_ingestion_means_no_arrival_handler():
    r = run("lean")
    assert "orders-arrival-handler" not in names(r, T_FN)
    assert "orders-arrival-rule" not in names(r, T_RULE)


# --- lambdas -------------------------------------------------------------------------------------

PRODUCT_FUNCTIONS = {"orders-arrival-handler": "arrival_handler", "orders-record-processor": "record_processor",
                     "orders-ods-writer": "ods_writer"}


@pytest.mark.parametrize("fn,code", PRODUCT_FUNCTIONS.items())
def test_lambda_blueprint(dev, fn, code):
    f = one(dev, T_FN, fn).inputs
    assert (f["runtime"], f["architectures"], f["handler"]) == (blueprint.LAMBDA_RUNTIME, ["arm64"], "handler.handler")
    assert f["tracingConfig"] == {"mode": "Active"}
    assert isinstance(f["code"], pulumi.FileArchive) and f["code"].path == str(ROOT / "functions" / code)
    assert (ROOT / "functions" / code / "handler.py").exists()
    log = one(dev, T_LOG, f"{fn}-logs").inputs
    assert f["loggingConfig"]["logGroup"] == log["name"]
    assert log["name"].startswith("/ddp/retail-dev/orders/lambda/")
    assert (log["kmsKeyId"], log["retentionInDays"]) == (key_arn(dev), blueprint.LOG_RETENTION_DAYS)
    asynchronous = fn != "orders-record-processor"  # Firehose calls the processor synchronously
    assert ("deadLetterConfig" in f) == asynchronous


# --- streaming -----------------------------------------------------------------------------------

def test_kinesis_stream_is_encrypted_and_provisioned(dev):
    s = one(dev, T_STREAM, "orders-stream").inputs
    assert (s["encryptionType"], s["kmsKeyId"]) == ("KMS", key_arn(dev))
    assert s["retentionPeriod"] == 168
    assert (s["streamModeDetails"], s["shardCount"]) == ({"streamMode": "PROVISIONED"}, 2)


def test_kinesis_on_demand_without_shards():
    s = one(run("sftp_stream"), T_STREAM, "orders-stream").inputs
    assert s["streamModeDetails"] == {"streamMode": "ON_DEMAND"} and "shardCount" not in s
    assert s["retentionPeriod"] == 720


def test_firehose_delivers_partitioned_encrypted_records_to_raw(dev):
    f = one(dev, T_FIREHOSE, "orders-firehose").inputs
    assert f["destination"] == "extended_s3"
    assert f["kinesisSourceConfiguration"]["kinesisStreamArn"] == one(dev, T_STREAM, "orders-stream").outputs["arn"]
    s3 = f["extendedS3Configuration"]
    assert s3["bucketArn"] == f"arn:aws:s3:::{bucket_name('raw')}"
    assert s3["kmsKeyArn"] == key_arn(dev)
    assert s3["prefix"] == ("streaming/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/"
                            "day=!{partitionKeyFromLambda:day}/")
    assert s3["errorOutputPrefix"].startswith("streaming-errors/!{firehose:error-output-type}/")
    assert s3["dynamicPartitioningConfiguration"]["enabled"] is True
    assert (s3["bufferingInterval"], s3["bufferingSize"]) == (300, 64)
    processor = s3["processingConfiguration"]
    assert processor["enabled"] is True
    assert processor["processors"] == [{"type": "Lambda", "parameters": [
        {"parameterName": "LambdaArn", "parameterValue": one(dev, T_FN, "orders-record-processor").outputs["arn"]}]}]
    assert s3["cloudwatchLoggingOptions"]["enabled"] is True
    env = _env(dev, "orders-record-processor")
    assert env == {"REQUIRED_FIELDS": "order_id,order_ts", "TIMESTAMP_FIELD": "order_ts"}
    trust = doc(one(dev, T_ROLE, "orders-firehose-role"), "assumeRolePolicy")
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_no_streaming_means_no_stream():
    for variant in ("lean", "batch"):
        r = run(variant)
        assert names(r, T_STREAM) == set() and names(r, T_FIREHOSE) == set()
        assert "orders-record-processor" not in names(r, T_FN)


# --- sftp ----------------------------------------------------------------------------------------

def test_transfer_server_is_sftp_only_inside_the_vpc(dev):
    s = one(dev, T_SERVER, "orders-sftp").inputs
    assert s["protocols"] == ["SFTP"]
    assert (s["endpointType"], s["identityProviderType"]) == ("VPC", "SERVICE_MANAGED")
    assert s["securityPolicyName"] == blueprint.TRANSFER_SECURITY_POLICY
    details = s["endpointDetails"]
    assert details["subnetIds"] == private_subnets(dev) and len(details["subnetIds"]) == 3
    assert "addressAllocationIds" not in details  # no Elastic IPs: not reachable from the internet
    sg = one(dev, "aws:ec2/securityGroup:SecurityGroup", "orders-sftp-sg")
    assert details["securityGroupIds"] == [sg.id]
    ingress = [x.inputs for x in children(dev, T_IN) if x.inputs["securityGroupId"] == sg.id]
    assert [(i["ipProtocol"], i["fromPort"], i["toPort"]) for i in ingress] == [("tcp", 22, 22)]
    assert all(i.get("cidrIpv4") != "0.0.0.0/0" for i in ingress)
    log = one(dev, T_LOG, "orders-sftp-logs").outputs["arn"]
    assert s["structuredLogDestinations"] == [f"{log}:*"]
    assert s["loggingRole"] == one(dev, T_ROLE, "orders-sftp-logging-role").outputs["arn"]


def test_one_transfer_user_per_configured_user_confined_to_its_home(dev):
    assert names(dev, T_USER) == {"orders-sftp-partner-acme"}
    r = run("sftp_stream")
    assert names(r, T_USER) == {"orders-sftp-partner-acme", "orders-sftp-partner-zeta"}
    assert names(r, T_SSH) == {"orders-sftp-partner-acme-key", "orders-sftp-partner-zeta-key"}
    for user in ("partner-acme", "partner-zeta"):
        u = one(r, T_USER, f"orders-sftp-{user}").inputs
        assert u["userName"] == user and u["homeDirectoryType"] == "LOGICAL"
        assert u["homeDirectoryMappings"] == [{"entry": "/", "target": f"/{bucket_name('raw')}/sftp/{user}"}]
        policy = role_policy(r, f"sftp-{user}")
        assert statement(policy, "HomeObjects")["Resource"] == [f"arn:aws:s3:::{bucket_name('raw')}/sftp/{user}/*"]
        assert statement(policy, "HomeObjects")["Action"] == ["s3:PutObject", "s3:GetObject"]
        assert statement(policy, "ListHome")["Condition"] == {"StringLike": {"s3:prefix": [f"sftp/{user}/", f"sftp/{user}/*"]}}
        assert u["role"] == one(r, T_ROLE, f"orders-sftp-{user}-role").outputs["arn"]


def test_no_sftp_means_no_transfer_server():
    for variant in ("lean", "batch"):
        r = run(variant)
        assert names(r, T_SERVER) == set() and names(r, T_USER) == set()


# --- events --------------------------------------------------------------------------------------

def test_event_bus_is_encrypted_and_writable_only_by_its_own_account(dev):
    bus = one(dev, T_BUS, "orders-bus").inputs
    assert (bus["name"], bus["kmsKeyIdentifier"]) == ("retail-dev-orders", key_arn(dev))
    policy = doc(one(dev, T_BUS_POLICY, "orders-bus-policy"))
    # dev has a consumer account: it receives the product's events on its own inbox, it puts
    # nothing on this bus (no rule would store what it put).
    assert [x for x in children(dev, T_LF_PERMS) if x.inputs.get("principal") == CONSUMER]
    assert [(s["Sid"], s["Principal"]["AWS"]) for s in policy["Statement"]] == [
        ("AccountPublishes", f"arn:aws:iam::{ACCOUNT}:root")]
    assert CONSUMER not in json.dumps(policy)


def test_each_source_is_routed_through_the_writer_queue_with_retries_and_dlq(dev):
    rules = {x.name: x for x in children(dev, T_RULE) if x.name.startswith("orders-events-")}
    assert set(rules) == {"orders-events-retail.orders", "orders-events-retail.pos"}
    writer = one(dev, T_FN, "orders-ods-writer")
    dlq = one(dev, T_QUEUE, "orders-ods-writer-dlq")
    queue = one(dev, T_QUEUE, "orders-ods-writer-queue")
    assert dlq.inputs["kmsMasterKeyId"] == queue.inputs["kmsMasterKeyId"] == key_arn(dev)
    # Redrive after five receives; a message lives shorter in the queue than in its DLQ.
    assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
    assert queue.inputs["messageRetentionSeconds"] < dlq.inputs["messageRetentionSeconds"]
    # Lambda refuses an SQS mapping whose visibility timeout is below the function's timeout.
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * writer.inputs["timeout"]
    for source in ("retail.orders", "retail.pos"):
        rule = rules[f"orders-events-{source}"]
        assert rule.inputs["eventBusName"] == "retail-dev-orders"
        # Only this account's events feed the store.
        assert json.loads(rule.inputs["eventPattern"]) == {"source": [source], "account": [ACCOUNT]}
        target = one(dev, T_TARGET, f"orders-events-{source}-target").inputs
        assert target["arn"] == queue.outputs["arn"]
        assert target["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
        assert target["retryPolicy"]["maximumRetryAttempts"] > 0
    # EventBridge never invokes the writer directly (its runtime would parse numbers into floats).
    assert not [x for x in children(dev, T_PERMISSION) if x.inputs.get("function") == writer.outputs["name"]]
    rule_arns = {r.outputs["arn"] for r in rules.values()}
    for part, sid in (("ods-writer-dlq", "EventBridgeDeadLetters"), ("ods-writer-queue", "EventBridgeSends")):
        grant = statement(doc(one(dev, T_QUEUE_POLICY, f"orders-{part}-policy")), sid)
        assert grant["Principal"] == {"Service": "events.amazonaws.com"}
        assert set(grant["Condition"]["ArnEquals"]["aws:SourceArn"]) == rule_arns
    [mapping] = [x for x in children(dev, T_ESM) if x.inputs["eventSourceArn"] == queue.outputs["arn"]]
    assert mapping.inputs["functionName"] == writer.outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["batchSize"] == 10
    # The poller's calls, granted before the mapping is created (AWS checks them then).
    poll = statement(role_policy(dev, "ods-writer"), "PollQueue")
    assert set(poll["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert poll["Resource"] == [queue.outputs["arn"]]
    assert one(dev, "aws:iam/rolePolicy:RolePolicy", "orders-ods-writer-policy").urn in mapping.dependencies
    env = _env(dev, "orders-ods-writer")
    assert env == {"TABLE_NAME": "retail-dev-orders-ods", "PARTITION_KEY": "orderId", "SORT_KEY": "lineId",
                   "DLQ_URL": dlq.outputs["url"]}
    archive = one(dev, T_ARCHIVE, "orders-events-archive").inputs
    assert archive["retentionDays"] == 30 and archive["kmsKeyIdentifier"] == key_arn(dev)
    assert json.loads(archive["eventPattern"]) == {"source": ["retail.orders", "retail.pos"], "account": [ACCOUNT]}


def test_bus_without_events_ingestion_has_no_routing():
    r = run("sftp_stream")
    assert names(r, T_BUS) == {"orders-bus"}
    assert names(r, T_ARCHIVE) == set()
    assert not [n for n in names(r, T_RULE) if n.startswith("orders-events-")]
    assert "orders-ods-writer" not in names(r, T_FN)
    policy = doc(one(r, T_BUS_POLICY, "orders-bus-policy"))
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountPublishes"]


def test_events_only_product():
    r = run("lean")
    assert names(r, T_ARCHIVE) == {"orders-events-archive"}
    assert one(r, T_ARCHIVE, "orders-events-archive").inputs["retentionDays"] == 7
    assert {n for n in names(r, T_RULE) if n.startswith("orders-events-")} == {"orders-events-retail.orders"}
    assert "SORT_KEY" in _env(r, "orders-ods-writer")


# --- catalog and Lake Formation --------------------------------------------------------------

def test_crawlers_use_the_security_configuration(dev):
    crawlers = {x.name: x.inputs for x in children(dev, T_CRAWLER)}
    # Datasets are declared tables: nothing crawls the reportable zone.
    assert set(crawlers) == {"orders-curated-crawler", "orders-raw-crawler"}
    for c in crawlers.values():
        assert c["securityConfiguration"] == "retail-dev-orders"
        assert c["schedule"] == "cron(0 2 * * ? *)"
        assert json.loads(c["configuration"])["Grouping"]["TableGroupingPolicy"] == "CombineCompatibleSchemas"
    assert crawlers["orders-curated-crawler"]["databaseName"] == "retail_dev_orders_internal"
    assert crawlers["orders-curated-crawler"]["s3Targets"] == [
        {"path": f"s3://{bucket_name('curated')}/",
         "exclusions": ["_artifacts/**", "batch/_staging/**", "_quarantine/reportable/**"]}]
    assert crawlers["orders-raw-crawler"]["recrawlPolicy"] == {"recrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert crawlers["orders-raw-crawler"]["schemaChangePolicy"] == {"updateBehavior": "LOG", "deleteBehavior": "LOG"}
    assert crawlers["orders-curated-crawler"]["recrawlPolicy"] == {"recrawlBehavior": "CRAWL_EVERYTHING"}
    reads = statement(role_policy(dev, "curated-crawler"), "ReadTargets")
    assert reads["Resource"] == [f"arn:aws:s3:::{bucket_name('curated')}/*"]


def test_raw_crawler_only_when_raw_data_is_not_etl_input():
    assert "orders-raw-crawler" not in names(run("batch"), T_CRAWLER)
    assert "orders-raw-crawler" not in names(run("lean"), T_CRAWLER)
    r = run("sftp_stream")
    paths = [t["path"] for t in one(r, T_CRAWLER, "orders-raw-crawler").inputs["s3Targets"]]
    assert paths == [f"s3://{bucket_name('raw')}/streaming/", f"s3://{bucket_name('raw')}/sftp/"]


def test_lake_formation_registration_uses_a_dedicated_role(dev):
    role = one(dev, T_ROLE, "orders-lakeformation-role")
    trust = doc(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "lakeformation.amazonaws.com"}
    resources = {x.name: x.inputs for x in children(dev, T_LF_RESOURCE)}
    assert set(resources) == {"orders-curated-lf", "orders-reportable-lf"}
    for zone in ("curated", "reportable"):
        res = resources[f"orders-{zone}-lf"]
        assert res["arn"] == f"arn:aws:s3:::{bucket_name(zone)}"
        assert (res["roleArn"], res["useServiceLinkedRole"]) == (role.outputs["arn"], False)


def test_consumers_get_describe_and_select_on_the_reportable_database_only(dev):
    grants = [x for x in children(dev, T_LF_PERMS) if x.name.startswith("orders-consumer-")]
    assert {x.name for x in grants} == {f"orders-consumer-{CONSUMER}-db", f"orders-consumer-{CONSUMER}-datasets"}
    assert {x.inputs["principal"] for x in grants} == {CONSUMER}
    grant = _dev_products(dev.config)[0]["consumers"][0]
    db = one(dev, T_LF_PERMS, f"orders-consumer-{CONSUMER}-db").inputs
    assert db["permissions"] == ["DESCRIBE"] and "database" not in db
    assert db["lfTagPolicy"] == {"resourceType": "DATABASE", "expressions": [{"key": "ddp:product", "values": ["orders"]}]}
    tables = one(dev, T_LF_PERMS, f"orders-consumer-{CONSUMER}-datasets").inputs
    assert tables["permissions"] == ["SELECT", "DESCRIBE"] and "table" not in tables
    # By LF-tag: the granted datasets, the classifications up to the consumer's clearance.
    assert tables["lfTagPolicy"] == {"resourceType": "TABLE", "expressions": [
        {"key": "ddp:product", "values": ["orders"]}, {"key": "ddp:dataset", "values": grant["datasets"]},
        {"key": "ddp:classification", "values": ["public", "internal"]}]}
    assert grant["clearance"] == "internal"
    # The consumer's data lake admin passes the grant on to its own principals: that needs the
    # grant option for exactly what was granted (Lake Formation refuses it otherwise).
    assert db["permissionsWithGrantOptions"] == ["DESCRIBE"]
    assert tables["permissionsWithGrantOptions"] == ["SELECT", "DESCRIBE"]
    database = one(dev, "aws:glue/catalogDatabase:CatalogDatabase", "orders-catalog").inputs
    assert database["locationUri"] == f"s3://{bucket_name('reportable')}/"


def test_no_consumers_means_no_grants():
    assert not [x for x in children(run("lean"), T_LF_PERMS) if x.name.startswith("orders-consumer-")]


# --- the component alone ---------------------------------------------------------------------

STACK = StackContext(business_unit="retail", environment="dev", account_id=ACCOUNT, region=REGION, partition="aws")
ONCALL = (AlarmEndpoint(protocol="email", endpoint="oncall@example.com"),
          AlarmEndpoint(protocol="https", endpoint="https://events.example.com/sns?token=a:b"))
NET = NetworkRefs(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
                  public_subnet_ids=["subnet-d", "subnet-e", "subnet-f"])


def _settings(**overrides: Any) -> DataProductSpec:
    base = {"name": "orders", "owner": "o@example.com", "classification": "internal",
            "ingestion": {"sftp": {"users": [{"name": "partner-acme",
                                              "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDmHzZpDiRnFH3BiCDHiLvZY2t/hNNtEIVuu8oEzPzF7 acme"}]}},
            "operationalStore": {"partitionKey": "id", "dax": {"enabled": False}}}
    base.update(overrides)
    return data_product_spec(DataProductSettings.model_validate(base))


def build(program: Callable[[aws.Provider], Any]) -> tuple[Any, list[Record]]:
    mocks = PlatformMocks(account_id=ACCOUNT, region=REGION)
    monitor = RecordingMonitor(mocks)
    holder: dict[str, Any] = {}

    def main() -> None:
        provider = aws.Provider("test-provider", region=REGION, allowed_account_ids=[ACCOUNT])
        holder["value"] = program(provider)

    run_program(main, mocks=mocks, monitor=monitor, project="ddp-test", stack="dev")
    return holder["value"], list(monitor.records)


def test_sftp_allowed_cidrs_are_the_only_sources():
    def program(provider):
        return DataProduct("orders", DataProductArgs(product=_settings(), stack=STACK, network=NET,
                                                     alarm_endpoints=ONCALL,
                                                     sftp_allowed_cidrs=("10.20.0.0/16", "192.0.2.0/24")),
                           pulumi.ResourceOptions(providers=[provider]))

    _, records = build(program)
    ingress = sorted(r.inputs["cidrIpv4"] for r in records if r.type == T_IN)
    assert ingress == ["10.20.0.0/16", "192.0.2.0/24"]


def test_sftp_open_to_the_world_is_rejected():
    with pytest.raises(ValueError, match="every address"):
        DataProductArgs(product=_settings(), stack=STACK, network=NET, alarm_endpoints=ONCALL,
                        sftp_allowed_cidrs=("0.0.0.0/0",))


def test_served_store_without_dax():
    def program(provider):
        p = DataProduct("orders", DataProductArgs(product=_settings(), stack=STACK, network=NET,
                                                  alarm_endpoints=ONCALL),
                        pulumi.ResourceOptions(providers=[provider]))
        return p.served_store()

    store, records = build(program)
    assert (store.dax_endpoint, store.dax_cluster_arn, store.client_security_group_id) == (None, None, None)
    assert (store.event_source, store.partition_key, store.sort_key) == ("retail.orders.ods", "id", None)
    assert resolve(store.table_name) == "retail-dev-orders-ods"
    assert not [r for r in records if r.type.startswith("aws:dax/")]


def test_served_store_with_dax(dev):
    def program(provider):
        p = DataProduct("orders", DataProductArgs(
            product=_settings(operationalStore={"partitionKey": "id", "sortKey": "ts"}), stack=STACK, network=NET,
            alarm_endpoints=ONCALL),
            pulumi.ResourceOptions(providers=[provider]))
        return p.served_store()

    store, records = build(program)
    clients = [r for r in records if r.name == "orders-dax-clients-sg"][0]
    assert resolve(store.client_security_group_id) == clients.id
    # Clients take a daxs:// URL built from the cluster's address and port; the provider's
    # configurationEndpoint is a bare host:port, which a client would speak plaintext to.
    cluster = [r for r in records if r.type == "aws:dax/cluster:Cluster"][0].outputs
    assert resolve(store.dax_endpoint) == f"daxs://{cluster['clusterAddress']}:{int(cluster['port'])}"
    assert resolve(store.dax_endpoint) != cluster["configurationEndpoint"]
    assert store.sort_key == "ts"


def test_lake_formation_settings_have_no_iam_allowed_principals_defaults():
    deploy_role = f"arn:aws:iam::{ACCOUNT}:role/PlatformDeployer"

    def program(provider):
        return lake_formation_settings("lf", STACK, [deploy_role], pulumi.ResourceOptions(provider=provider))

    _, records = build(program)
    settings = [r for r in records if r.type == T_LF_SETTINGS]
    assert len(settings) == 1
    s = settings[0].inputs
    assert s["admins"] == [deploy_role]
    assert s["createDatabaseDefaultPermissions"] == [] and s["createTableDefaultPermissions"] == []
    assert s["parameters"] == {"CROSS_ACCOUNT_VERSION": "4"}
    with pytest.raises(ValueError):
        lake_formation_settings("lf", STACK, [])


def test_dev_stack_creates_lake_formation_settings_once(dev):
    assert len(dev.by_type(T_LF_SETTINGS)) == 1


def test_alarm_endpoints_are_required_and_each_gets_a_subscription():
    def program(provider):
        return DataProduct("orders", DataProductArgs(product=_settings(), stack=STACK, network=NET,
                                                     alarm_endpoints=ONCALL),
                           pulumi.ResourceOptions(providers=[provider]))

    _, records = build(program)
    subs = [r for r in records if r.type == "aws:sns/topicSubscription:TopicSubscription"]
    assert sorted((r.inputs["protocol"], r.inputs["endpoint"], r.inputs.get("endpointAutoConfirms")) for r in subs) == [
        ("email", "oncall@example.com", False), ("https", "https://events.example.com/sns?token=a:b", True)]
    # URL endpoints are named by digest: the name stays stable and free of URL characters.
    assert {r.name for r in subs} >= {"orders-alarms-to-email-oncall@example.com"}
    assert not [r.name for r in subs if "://" in r.name]
    with pytest.raises(ValueError, match="at least one endpoint"):
        build(lambda provider: DataProduct("orders", DataProductArgs(
            product=_settings(), stack=STACK, network=NET, alarm_endpoints=()),
            pulumi.ResourceOptions(providers=[provider])))


def test_a_contract_from_another_release_is_refused_with_both_versions(dev):
    c = dict(dev.outputs["dataProducts"]["orders"])
    with pytest.raises(ContractError, match=rf"version 1, this program reads version {CONTRACT_VERSION}"):
        DataProductContract.from_export({**c, "version": 1}, producer_stack="org/p/dev")
    with pytest.raises(ContractError, match="malformed contract"):
        DataProductContract.from_export({k: v for k, v in c.items() if k != "catalogDatabase"}, producer_stack="x")
    with pytest.raises(ContractError, match="exports no data product contract"):
        DataProductContract.from_export(None, producer_stack="x")


def test_lake_formation_admins_merge_the_accounts_existing_ones_and_the_preview_says_so(monkeypatch):
    deploy_role = f"arn:aws:iam::{ACCOUNT}:role/PlatformDeployer"
    existing = f"arn:aws:iam::{ACCOUNT}:role/DataLakeAdmin"
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))

    def program(provider):
        return lake_formation_settings("lf", STACK, [deploy_role, existing, deploy_role],
                                       pulumi.ResourceOptions(provider=provider))

    _, records = build(program)
    [settings] = [r for r in records if r.type == T_LF_SETTINGS]
    assert settings.inputs["admins"] == [deploy_role, existing]  # kept, once each, the deploy role first
    assert len(warnings) == 1 and f"set to exactly: {deploy_role}, {existing}" in warnings[0]
    assert "lakeFormationAdmins" in warnings[0]


def test_the_stack_files_lake_formation_admins_reach_the_settings():
    cfg = load_stack_config("dev")
    existing = f"arn:aws:iam::{ACCOUNT}:role/DataLakeAdmin"
    cfg[f"{PROJECT}:lakeFormationAdmins"] = json.dumps([existing])
    result = run_stack("dev", config=cfg)
    assert result.ok, result.error
    [settings] = result.by_type(T_LF_SETTINGS)
    assert settings.inputs["admins"] == [f"arn:aws:iam::{ACCOUNT}:role/PlatformDeployer", existing]
