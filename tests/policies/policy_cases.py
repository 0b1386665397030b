"""One compliant and one violating fixture per policy, with the message the violation must carry.

``CASES[policy] = Case(compliant, violating, message)``: the violating fixture changes a single
property (or drops a single resource) from the compliant one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from policy_fixtures import (ACCOUNT, ACCOUNT_ROOT, CONSUMER, DELETE, KEY_ARN, PUBLIC_READ, TLS_ONLY, changed, doc,
                       provider, res, urn)


@dataclass(frozen=True)
class Case:
    compliant: list
    violating: list
    message: str
    config: Optional[Mapping[str, Any]] = None
    with_provider: bool = True
    applicable: bool = True  # False for rules that forbid a resource type: compliant = none of it
    extra: dict = field(default_factory=dict)


CASES: dict[str, Case] = {}


def single(policy_name: str, type_: str, good: Mapping[str, Any], message: str, /, *, config=None,
           **change: Any) -> None:
    """Register a one-resource case: violating = compliant with ``change`` applied."""
    CASES[policy_name] = Case([res(type_, "r", good)], [res(type_, "r", changed(good, **change))], message, config)


# --- S3 ---------------------------------------------------------------------------------------------
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

PAB_GOOD = {"bucket": "raw-bucket", "blockPublicAcls": True, "blockPublicPolicy": True,
            "ignorePublicAcls": True, "restrictPublicBuckets": True}
SSE_GOOD = {"bucket": "raw-bucket", "rules": [{"applyServerSideEncryptionByDefault": {
    "sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}, "bucketKeyEnabled": True}]}
VERSIONING_GOOD = {"bucket": "raw-bucket", "versioningConfiguration": {"status": "Enabled"}}
LIFECYCLE_GOOD = {"bucket": "raw-bucket", "rules": [{"id": "noncurrent", "status": "Enabled",
                                                      "noncurrentVersionExpiration": {"noncurrentDays": 90}}]}
OWNERSHIP_GOOD = {"bucket": "raw-bucket", "rule": {"objectOwnership": "BucketOwnerEnforced"}}
POLICY_GOOD = {"bucket": "raw-bucket", "policy": doc(TLS_ONLY)}
LOGGING_GOOD = {"bucket": "raw-bucket", "targetBucket": "logs-bucket", "targetPrefix": "raw/"}
BUCKET_GOOD = {"bucket": "raw-bucket", "tags": {"data-classification": "confidential"}}


def bucket_stack(**drop_or_change) -> list:
    """A fully compliant bucket with every setting resource; drop one with name=None."""
    settings = {"pab": (PAB, PAB_GOOD), "sse": (SSE, SSE_GOOD), "versioning": (VERSIONING, VERSIONING_GOOD),
                "lifecycle": (LIFECYCLE, LIFECYCLE_GOOD), "ownership": (OWNERSHIP, OWNERSHIP_GOOD),
                "policy": (BUCKET_POLICY, POLICY_GOOD), "logging": (LOGGING, LOGGING_GOOD)}
    out = [res(BUCKET, "raw", BUCKET_GOOD, outputs={**BUCKET_GOOD, "arn": "arn:aws:s3:::raw-bucket"})]
    for key, (type_, good) in settings.items():
        value = drop_or_change.get(key, good)
        if value is not None:
            out.append(res(type_, f"raw-{key}", value))
    return out


# Setting rules judge every bucket: compliant = the full bucket stack, violating = one setting changed.
for policy, key, value, message in [
        ("s3-bucket-public-access-block-all-enabled", "pab", changed(PAB_GOOD, restrictPublicBuckets=False),
         "public access block must set restrictPublicBuckets to true"),
        ("s3-bucket-encrypted-with-cmk", "sse", changed(SSE_GOOD, rules=[{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "AES256"}}]), "uses sseAlgorithm 'AES256'"),
        ("s3-bucket-policy-denies-insecure-transport", "policy", changed(POLICY_GOOD, policy=doc(ACCOUNT_ROOT)),
         "bucket policy must deny s3:* to Principal '*' when aws:SecureTransport is false"),
        ("s3-bucket-versioning-enabled", "versioning", changed(VERSIONING_GOOD,
                                                                versioningConfiguration={"status": "Suspended"}),
         "versioning status is 'Suspended'"),
        ("s3-bucket-acls-disabled", "ownership", changed(OWNERSHIP_GOOD, rule={"objectOwnership": "ObjectWriter"}),
         "object ownership is 'ObjectWriter'"),
        ("s3-bucket-lifecycle-configured", "lifecycle", changed(LIFECYCLE_GOOD, rules=[{"id": "noncurrent",
                                                                                        "status": "Disabled"}]),
         "lifecycle configuration has no rule with status Enabled"),
        ("s3-bucket-access-logging-enabled", "logging", None, "Bucket 'raw' has no server access logging")]:
    CASES[policy] = Case(bucket_stack(), bucket_stack(**{key: value}), message)
single("s3-bucket-policy-not-public", BUCKET_POLICY, POLICY_GOOD, "'PublicRead' allows Principal '*'",
       policy=doc(TLS_ONLY, PUBLIC_READ))
single("s3-bucket-policy-no-admin-grants-to-other-accounts", BUCKET_POLICY, POLICY_GOOD,
       "grants account(s) 222222222222 s3:PutBucketPolicy",
       policy=doc(TLS_ONLY, {"Sid": "Consumer", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                             "Action": ["s3:GetObject", "s3:PutBucketPolicy"], "Resource": "arn:aws:s3:::raw-bucket"}))
REPLICATION_GOOD = {"bucket": "raw-bucket", "role": f"arn:aws:iam::{ACCOUNT}:role/replication", "rules": [{
    "id": "dr", "status": "Enabled",
    "destination": {"bucket": "arn:aws:s3:::raw-bucket-dr", "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN}},
    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}}}]}
single("s3-bucket-replication-encrypted", "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
       REPLICATION_GOOD, "Replication rule 'dr': the destination's replica KMS key is not set",
       rules=[{**REPLICATION_GOOD["rules"][0], "destination": {"bucket": "arn:aws:s3:::raw-bucket-dr"}}])

# --- KMS --------------------------------------------------------------------------------------------
KEY = "aws:kms/key:Key"
KEY_GOOD = {"description": "orders", "enableKeyRotation": True, "deletionWindowInDays": 30,
            "policy": doc(ACCOUNT_ROOT)}
single("kms-key-rotation-enabled", KEY, KEY_GOOD, "must set enableKeyRotation to true", enableKeyRotation=False)
single("kms-key-deletion-window-minimum", KEY, KEY_GOOD, "deletionWindowInDays is 7; use at least 10 days",
       config={"kms-key-deletion-window-minimum": {"minimumDays": 10}}, deletionWindowInDays=7)
single("kms-key-deletion-window-recommended", KEY, KEY_GOOD, "deletionWindowInDays is 14; use at least 30 days",
       deletionWindowInDays=14)
single("kms-key-policy-not-public", KEY, KEY_GOOD, "allows Principal '*' without a Condition",
       policy=doc(ACCOUNT_ROOT, {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"},
                                 "Action": "kms:Decrypt", "Resource": "*"}))

# --- DynamoDB / DAX ---------------------------------------------------------------------------------
TABLE = "aws:dynamodb/table:Table"
REPLICA = {"regionName": "us-west-2", "kmsKeyArn": KEY_ARN.replace("us-east-1", "us-west-2"),
           "pointInTimeRecovery": True, "deletionProtectionEnabled": True}
TABLE_GOOD = {"hashKey": "orderId", "billingMode": "PAY_PER_REQUEST", "attributes": [{"name": "orderId", "type": "S"}],
              "pointInTimeRecovery": {"enabled": True}, "deletionProtectionEnabled": True,
              "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN}, "replicas": [REPLICA],
              "tags": {"data-classification": "confidential"}}
single("dynamodb-table-pitr-enabled", TABLE, TABLE_GOOD, "pointInTimeRecovery.enabled",
       pointInTimeRecovery={"enabled": False})
single("dynamodb-table-encrypted-with-cmk", TABLE, TABLE_GOOD, "serverSideEncryption.kmsKeyArn is not set",
       serverSideEncryption={"enabled": True})
single("dynamodb-table-deletion-protection-enabled", TABLE, TABLE_GOOD, "deletionProtectionEnabled",
       deletionProtectionEnabled=DELETE)
CASES["dynamodb-table-scales-with-demand"] = Case(
    [res(TABLE, "ods", TABLE_GOOD)], [res(TABLE, "ods", changed(TABLE_GOOD, billingMode="PROVISIONED"))],
    "Provisioned table 'ods' has no Application Auto Scaling target for dynamodb:table:ReadCapacityUnits")
DAX = "aws:dax/cluster:Cluster"
DAX_GOOD = {"nodeType": "dax.r5.large", "replicationFactor": 3, "serverSideEncryption": {"enabled": True},
            "clusterEndpointEncryptionType": "TLS", "subnetGroupName": "ods"}
single("dax-cluster-encrypted-at-rest", DAX, DAX_GOOD, "serverSideEncryption.enabled", serverSideEncryption=DELETE)
single("dax-cluster-endpoint-tls", DAX, DAX_GOOD, "encryption is 'NONE'", clusterEndpointEncryptionType="NONE")
single("dax-cluster-three-nodes", DAX, DAX_GOOD, "replicationFactor is 1", replicationFactor=1)

# --- streaming, messaging ------------------------------------------------------------------------------
STREAM = "aws:kinesis/stream:Stream"
STREAM_GOOD = {"encryptionType": "KMS", "kmsKeyId": KEY_ARN, "retentionPeriod": 168,
               "streamModeDetails": {"streamMode": "PROVISIONED"}, "shardCount": 2,
               "tags": {"data-classification": "confidential"}}
single("kinesis-stream-encrypted-with-kms", STREAM, STREAM_GOOD, "encryptionType to KMS", encryptionType="NONE")
single("kinesis-stream-retention-7-days", STREAM, STREAM_GOOD, "retentionPeriod is 24 hours", retentionPeriod=24)
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FIREHOSE_GOOD = {"destination": "extended_s3", "serverSideEncryption": {"enabled": True,
                 "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KEY_ARN},
                 "extendedS3Configuration": {"bucketArn": "arn:aws:s3:::raw-bucket", "roleArn": "arn:role"}}
single("firehose-delivery-stream-encrypted", FIREHOSE, FIREHOSE_GOOD, "must set serverSideEncryption.enabled",
       serverSideEncryption={"enabled": False})
QUEUE = "aws:sqs/queue:Queue"
QUEUE_GOOD = {"kmsMasterKeyId": KEY_ARN, "policy": doc({"Sid": "Events", "Effect": "Allow",
              "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "*",
              "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/x"}}})}
single("sqs-queue-encrypted", QUEUE, QUEUE_GOOD, "messages are stored unencrypted", kmsMasterKeyId=DELETE,
       sqsManagedSseEnabled=False)
single("sqs-queue-encrypted-with-cmk", QUEUE, QUEUE_GOOD, "SQS-managed SSE is not enough",
       kmsMasterKeyId=DELETE, sqsManagedSseEnabled=True)
single("sqs-queue-policy-not-public", QUEUE, QUEUE_GOOD, "'Open' allows Principal '*'",
       policy=doc({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}))
TOPIC = "aws:sns/topic:Topic"
TOPIC_GOOD = {"kmsMasterKeyId": KEY_ARN}
single("sns-topic-encrypted-with-cmk", TOPIC, TOPIC_GOOD, "kmsMasterKeyId is not set", kmsMasterKeyId=DELETE)
single("sns-topic-policy-not-public", "aws:sns/topicPolicy:TopicPolicy",
       {"arn": "arn:aws:sns:us-east-1:111111111111:t", "policy": doc(ACCOUNT_ROOT)}, "'Open' allows Principal '*'",
       policy=doc({"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish",
                   "Resource": "*"}))

# --- EventBridge --------------------------------------------------------------------------------------
BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_GOOD = {"name": "orders", "kmsKeyIdentifier": KEY_ARN}
BUS_ARN = "arn:aws:events:us-east-1:111111111111:event-bus/orders"
single("eventbridge-bus-policy-not-public", "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
       {"eventBusName": "orders", "policy": doc({"Sid": "Consumer", "Effect": "Allow",
                                                 "Principal": {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                                                 "Action": "events:PutEvents", "Resource": BUS_ARN})},
       "allows Principal '*' without a Condition",
       policy=doc({"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                   "Resource": BUS_ARN}))
_consumer_put = {"Sid": "Consumer", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                 "Action": "events:PutEvents", "Resource": BUS_ARN,
                 "Condition": {"StringEquals": {"events:source": ["retail.pos"]}}}
single("eventbridge-bus-policy-restricts-sources-for-other-accounts", "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
       {"eventBusName": "orders", "policy": doc(_consumer_put)},
       "lets 222222222222 put events of any source",
       policy=doc({k: v for k, v in _consumer_put.items() if k != "Condition"}))
single("eventbridge-target-has-dead-letter-queue", "aws:cloudwatch/eventTarget:EventTarget",
       {"rule": "orders", "arn": "arn:aws:sqs:us-east-1:111111111111:q", "targetId": "queue",
        "deadLetterConfig": {"arn": "arn:aws:sqs:us-east-1:111111111111:dlq"}},
       "Event target 'queue' should set deadLetterConfig.arn", deadLetterConfig=DELETE)
single("eventbridge-bus-encrypted-with-cmk", BUS, BUS_GOOD, "kmsKeyIdentifier is not set", kmsKeyIdentifier=DELETE)
_bus = res(BUS, "orders", BUS_GOOD, outputs={**BUS_GOOD, "arn": BUS_ARN})
CASES["eventbridge-bus-has-archive"] = Case(
    [_bus, res("aws:cloudwatch/eventArchive:EventArchive", "orders", {"eventSourceArn": BUS_ARN, "retentionDays": 30})],
    [_bus], "Event bus 'orders' has no event archive")

# --- Transfer, Glue, Lake Formation ------------------------------------------------------------------------
SERVER = "aws:transfer/server:Server"
SERVER_GOOD = {"protocols": ["SFTP"], "endpointType": "VPC", "identityProviderType": "SERVICE_MANAGED",
               "securityPolicyName": "TransferSecurityPolicy-2024-01",
               "structuredLogDestinations": ["arn:aws:logs:us-east-1:111111111111:log-group:sftp:*"]}
single("transfer-server-sftp-only", SERVER, SERVER_GOOD, "allow only SFTP", protocols=["SFTP", "FTPS"])
single("transfer-server-vpc-endpoint", SERVER, SERVER_GOOD, "endpointType is 'PUBLIC'", endpointType="PUBLIC")
single("transfer-server-current-security-policy", SERVER, SERVER_GOOD,
       "'TransferSecurityPolicy-2020-06' is not a current policy", securityPolicyName="TransferSecurityPolicy-2020-06")
single("transfer-server-logging-enabled", SERVER, SERVER_GOOD, "should set loggingRole or structuredLogDestinations",
       structuredLogDestinations=DELETE)
single("glue-crawler-has-security-configuration", "aws:glue/crawler:Crawler",
       {"databaseName": "orders", "role": "arn:role", "securityConfiguration": "ddp"},
       "Glue crawler must set securityConfiguration", securityConfiguration=DELETE)
single("glue-job-has-security-configuration", "aws:glue/job:Job",
       {"roleArn": "arn:role", "command": {"scriptLocation": "s3://x/y.py"}, "securityConfiguration": "ddp"},
       "Glue job must set securityConfiguration", securityConfiguration=DELETE)
GLUE_ENC = {"s3Encryption": {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": KEY_ARN},
            "cloudwatchEncryption": {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": KEY_ARN},
            "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": KEY_ARN}}
single("glue-security-configuration-encrypts-all", "aws:glue/securityConfiguration:SecurityConfiguration",
       {"name": "ddp", "encryptionConfiguration": GLUE_ENC}, "jobBookmarksEncryption is 'DISABLED'",
       encryptionConfiguration={**GLUE_ENC, "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "DISABLED"}})
single("lakeformation-no-iam-allowed-principals-defaults", "aws:lakeformation/dataLakeSettings:DataLakeSettings",
       {"admins": [f"arn:aws:iam::{ACCOUNT}:role/admin"], "createDatabaseDefaultPermissions": [],
        "createTableDefaultPermissions": []},
       "createTableDefaultPermissions must be an empty list (found grants to IAM_ALLOWED_PRINCIPALS)",
       createTableDefaultPermissions=[{"permissions": ["ALL"], "principal": "IAM_ALLOWED_PRINCIPALS"}])
single("lakeformation-resource-uses-custom-role", "aws:lakeformation/resource:Resource",
       {"arn": "arn:aws:s3:::raw-bucket", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/lf", "useServiceLinkedRole": False},
       "must set useServiceLinkedRole to false", useServiceLinkedRole=True)
GRANT = "aws:lakeformation/permissions:Permissions"
GRANT_GOOD = {"principal": CONSUMER, "permissions": ["SELECT", "DESCRIBE"],
              "table": {"databaseName": "orders", "name": "curated_orders"}}
single("lakeformation-permissions-least-privilege", GRANT, GRANT_GOOD, "permissions grants ALL", permissions=["ALL"])
single("lakeformation-permissions-no-table-wildcard", GRANT, GRANT_GOOD, "Grant uses a table wildcard",
       table={"databaseName": "orders", "wildcard": True})
single("lakeformation-permissions-to-consumers-only", GRANT, GRANT_GOOD,
       "goes to '333333333333', which is not the stack's account or a configured consumer",
       config={"lakeformation-permissions-to-consumers-only": {"consumerAccounts": [CONSUMER]}},
       principal="333333333333")
# The grant register: one SSM parameter per consumer grant that expires. "Today" is pinned by config.
GRANT_REGISTER = "aws:ssm/parameter:Parameter"
TODAY = "2025-06-01"
EXPIRY = "lakeformation-grant-not-expired"
TODAY_CONFIG = {EXPIRY: {"today": TODAY}}
REGISTER_GOOD = {"name": f"/ddp/grants/orders/{CONSUMER}", "type": "String", "value": "SELECT,DESCRIBE",
                 "tags": {"ddp:grant-account": CONSUMER, "ddp:grant-expires": TODAY, "ddp:data-product": "orders"}}


def register_entry(**tags: Any) -> dict:
    """REGISTER_GOOD with some tags changed (DELETE removes one); its last valid day is TODAY."""
    merged = {**REGISTER_GOOD["tags"], **tags}
    return changed(REGISTER_GOOD, tags={k: v for k, v in merged.items() if v is not DELETE})


CASES[EXPIRY] = Case([res(GRANT_REGISTER, "orders-grant", REGISTER_GOOD)],
                     [res(GRANT_REGISTER, "orders-grant", register_entry(**{"ddp:grant-expires": "2025-05-31"}))],
                     f"Grant to account {CONSUMER} on data product orders expired on 2025-05-31", config=TODAY_CONFIG)

# Declared datasets: an Iceberg table, the LF-tags classifying it, the Data Quality ruleset checking it.
CATALOG_DB = "aws:glue/catalogDatabase:CatalogDatabase"
CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable"
LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
DQ_RULESET = "aws:glue/dataQualityRuleset:DataQualityRuleset"
DATASET_DB = "retail_dev_orders"
ICEBERG_INPUT = {"icebergInput": {"metadataOperation": "CREATE", "version": "2", "icebergTableInput": {
    "location": "s3://retail-dev-orders-curated/orders/",
    "schema": {"fields": [{"id": 1, "name": "order_id", "type": "string", "required": True, "doc": "order key"},
                          {"id": 2, "name": "amount", "type": "decimal(12,2)", "required": False}]},
    "partitionSpec": {"fields": [{"sourceId": 1, "transform": "bucket[16]", "name": "order_bucket"}]}}}}
ICEBERG_TABLE = {"name": "orders", "databaseName": DATASET_DB, "openTableFormatInput": ICEBERG_INPUT}
RULESET_GOOD = {"name": "retail-dev-orders", "ruleset": 'Rules = [ IsComplete "order_id", RowCount > 0 ]',
                "targetTable": {"databaseName": DATASET_DB, "tableName": "orders"}}


def classify(name: str, value: str, **target: Any) -> dict:
    """A ResourceLfTags assigning ddp:classification=value (plus a domain tag) to one target
    (database=..., table=... or tableWithColumns=...)."""
    return res(LF_TAGS, name, {"lfTags": [{"key": "ddp:domain", "value": "retail"},
                                          {"key": "ddp:classification", "value": value}], **target})


TABLE_TAGS = {"table": {"databaseName": DATASET_DB, "name": "orders"}}
DATASET = [res(CATALOG_DB, "orders-db", {"name": DATASET_DB}), res(CATALOG_TABLE, "orders", ICEBERG_TABLE),
           classify("orders-tags", "restricted", **TABLE_TAGS)]
CASES["glue-sensitive-dataset-has-quality-ruleset"] = Case(
    DATASET + [res(DQ_RULESET, "orders-quality", RULESET_GOOD)], DATASET,
    f"Iceberg table '{DATASET_DB}.orders' ('orders') is classified 'restricted' (ddp:classification from "
    "ResourceLfTags 'orders-tags') but no Glue Data Quality ruleset targets it")

# --- Lambda -------------------------------------------------------------------------------------------
FUNCTION = "aws:lambda/function:Function"
SUBNET = "aws:ec2/subnet:Subnet"
SUBNETS = [res(SUBNET, f"private-{az}", {"vpcId": "vpc-1", "availabilityZone": f"us-east-1{az}"},
               outputs={"vpcId": "vpc-1", "availabilityZone": f"us-east-1{az}", "id": f"subnet-{az}",
                        "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-{az}"}) for az in "abc"]
FUNCTION_GOOD = {"runtime": "python3.12", "handler": "app.handler", "role": "arn:role",
                 "tracingConfig": {"mode": "Active"},
                 "deadLetterConfig": {"targetArn": "arn:aws:sqs:us-east-1:111111111111:dlq"},
                 "vpcConfig": {"subnetIds": ["subnet-a", "subnet-b", "subnet-c"], "securityGroupIds": ["sg-1"]}}
single("lambda-function-supported-runtime", FUNCTION, FUNCTION_GOOD, "Runtime 'python3.8' is not supported",
       runtime="python3.8")
single("lambda-function-tracing-active", FUNCTION, FUNCTION_GOOD, "tracingConfig.mode is 'PassThrough'",
       tracingConfig=DELETE)
single("lambda-function-has-dead-letter-queue", FUNCTION, FUNCTION_GOOD, "should set deadLetterConfig.targetArn",
       deadLetterConfig=DELETE)
single("lambda-permission-not-public", "aws:lambda/permission:Permission",
       {"action": "lambda:InvokeFunction", "function": "f", "principal": "events.amazonaws.com",
        "sourceArn": "arn:aws:events:us-east-1:111111111111:rule/x"},
       "principal must not be '*' without sourceAccount", principal="*", sourceArn=DELETE)
CASES["lambda-vpc-function-spans-three-azs"] = Case(
    SUBNETS + [res(FUNCTION, "fn", FUNCTION_GOOD)],
    SUBNETS + [res(FUNCTION, "fn", changed(FUNCTION_GOOD, vpcConfig={"subnetIds": ["subnet-a", "subnet-b"],
                                                                     "securityGroupIds": ["sg-1"]}))],
    "Lambda function 'fn' spans 2 AZ(s); place it in 3")

# --- ECS ----------------------------------------------------------------------------------------------
TASK = "aws:ecs/taskDefinition:TaskDefinition"
CONTAINER = {"name": "app", "image": "123.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc", "essential": True,
             "readonlyRootFilesystem": True, "user": "1000:1000", "privileged": False,
             "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "app"}},
             "environment": [{"name": "TABLE_NAME", "value": "orders"}],
             "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:x"}]}


def task(**container_changes) -> dict:
    return {"family": "app", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
            "memory": "512", "containerDefinitions": json.dumps([changed(CONTAINER, **container_changes)])}


def task_case(policy: str, message: str, **container_changes) -> None:
    CASES[policy] = Case([res(TASK, "app", task())], [res(TASK, "app", task(**container_changes))], message)


task_case("ecs-task-no-privileged-containers", "Container 'app' must not be privileged", privileged=True)
task_case("ecs-task-readonly-root-filesystem", "Container 'app' must set readonlyRootFilesystem",
          readonlyRootFilesystem=False)
task_case("ecs-task-logging-configured", "Container 'app' must set logConfiguration", logConfiguration=DELETE)
task_case("ecs-task-non-root-user", "must run as a non-root user (user is 'root')", user="root")
task_case("ecs-task-no-plaintext-secrets", "passes 'API_TOKEN' as a plaintext environment variable",
          environment=[{"name": "TABLE_NAME", "value": "orders"}, {"name": "API_TOKEN", "value": "s3cr3t"}])
SERVICE = "aws:ecs/service:Service"
SERVICE_GOOD = {"cluster": "arn:cluster", "taskDefinition": "arn:task", "desiredCount": 3, "launchType": "FARGATE",
                "networkConfiguration": {"subnets": ["subnet-a", "subnet-b", "subnet-c"],
                                         "securityGroups": ["sg-1"], "assignPublicIp": False},
                "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
CASES["ecs-task-no-host-pid-namespace"] = Case(
    [res(TASK, "app", task())], [res(TASK, "app", {**task(), "pidMode": "host"})],
    "shares the host's process namespace")
single("ecs-fargate-service-latest-platform", SERVICE, SERVICE_GOOD, "pins platformVersion '1.3.0'",
       platformVersion="1.3.0")
single("ecs-service-no-public-ip", SERVICE, SERVICE_GOOD, "assignPublicIp to false",
       networkConfiguration={**SERVICE_GOOD["networkConfiguration"], "assignPublicIp": True})
single("ecs-service-circuit-breaker-rollback", SERVICE, SERVICE_GOOD, "deploymentCircuitBreaker enable and rollback",
       deploymentCircuitBreaker={"enable": True, "rollback": False})
single("ecs-cluster-container-insights", "aws:ecs/cluster:Cluster",
       {"settings": [{"name": "containerInsights", "value": "enabled"}]}, "containerInsights setting to enabled",
       settings=[{"name": "containerInsights", "value": "disabled"}])
CASES["ecs-service-spans-three-azs"] = Case(
    SUBNETS + [res(SERVICE, "api", SERVICE_GOOD)],
    # three subnet ids, but two of them in the same AZ: the stack knows the subnets' zones
    SUBNETS[:2] + [res(SUBNET, "private-c", {"availabilityZone": "us-east-1a"},
                       outputs={"id": "subnet-c", "availabilityZone": "us-east-1a"}),
                   res(SERVICE, "api", SERVICE_GOOD)],
    "ECS service 'api' spans 2 AZ(s)")
CASES["dax-subnet-group-spans-three-azs"] = Case(
    [res("aws:dax/subnetGroup:SubnetGroup", "ods", {"subnetIds": ["subnet-a", "subnet-b", "subnet-c"]})],
    [res("aws:dax/subnetGroup:SubnetGroup", "ods", {"subnetIds": ["subnet-a"]})],
    "DAX subnet group 'ods' spans 1 AZ(s); place it in 3")

# --- ELB, API Gateway ------------------------------------------------------------------------------------
LB = "aws:lb/loadBalancer:LoadBalancer"
LB_GOOD = {"loadBalancerType": "application", "internal": False, "securityGroups": ["sg-alb"],
           "subnets": ["subnet-a", "subnet-b", "subnet-c"], "dropInvalidHeaderFields": True,
           "enableDeletionProtection": True, "accessLogs": {"bucket": "logs-bucket", "enabled": True}}
single("elb-alb-drops-invalid-headers", LB, LB_GOOD, "dropInvalidHeaderFields", dropInvalidHeaderFields=False)
single("elb-alb-desync-mitigation-defensive", LB, LB_GOOD, "desyncMitigationMode is 'monitor'",
       desyncMitigationMode="monitor")
single("elb-load-balancer-spans-multiple-azs", LB, LB_GOOD, "placed in 1 subnet(s)", subnets=["subnet-a"])
single("elb-access-logs-enabled", LB, LB_GOOD, "should set accessLogs", accessLogs={"bucket": "logs-bucket",
                                                                                     "enabled": False})
single("elb-deletion-protection-enabled", LB, LB_GOOD, "enableDeletionProtection", enableDeletionProtection=DELETE)
LISTENER = "aws:lb/listener:Listener"
HTTPS_LISTENER = {"loadBalancerArn": "arn:lb", "port": 443, "protocol": "HTTPS",
                  "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "certificateArn": "arn:cert",
                  "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
CASES["elb-listener-tls-only"] = Case(
    [res(LISTENER, "https", HTTPS_LISTENER),
     res(LISTENER, "http", {"loadBalancerArn": "arn:lb", "port": 80, "protocol": "HTTP", "defaultActions": REDIRECT})],
    [res(LISTENER, "https", HTTPS_LISTENER),
     res(LISTENER, "http", {"loadBalancerArn": "arn:lb", "port": 80, "protocol": "HTTP",
                            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]})],
    "HTTP listener must only redirect to HTTPS")
CASES["elb-listener-tls-only"].extra["weak_policy"] = [
    res(LISTENER, "https", changed(HTTPS_LISTENER, sslPolicy="ELBSecurityPolicy-2016-08"))]
# The service edge: an internet-facing ALB authenticates before forwarding and sits behind WAF.
ALB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/api/abc"
ACL_ARN = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/api/123"
OIDC = {"type": "authenticate-oidc", "order": 1, "authenticateOidc": {
    "issuer": "https://idp.example.com", "authorizationEndpoint": "https://idp.example.com/authorize",
    "tokenEndpoint": "https://idp.example.com/token", "userInfoEndpoint": "https://idp.example.com/userinfo",
    "clientId": "ddp", "clientSecret": "from-secrets"}}
FORWARD = {"type": "forward", "order": 2, "targetGroupArn": "arn:tg"}
_public_alb = res(LB, "alb", LB_GOOD, outputs={**LB_GOOD, "arn": ALB_ARN})
_auth_listener = changed(HTTPS_LISTENER, loadBalancerArn=ALB_ARN, defaultActions=[OIDC, FORWARD])
CASES["elb-internet-facing-alb-authenticates-before-forward"] = Case(
    [_public_alb, res(LISTENER, "https", _auth_listener)],
    [_public_alb, res(LISTENER, "https", changed(_auth_listener, defaultActions=[FORWARD]))],
    "Listener 'https' of internet-facing load balancer 'alb' forwards without authenticating first")
MANAGED = [{"name": g, "priority": i, "overrideAction": {"none": {}}, "visibilityConfig": {},
            "statement": {"managedRuleGroupStatement": {"name": g, "vendorName": "AWS"}}}
           for i, g in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                                  "AWSManagedRulesAmazonIpReputationList"))]
RATE = {"name": "rate", "priority": 9, "action": {"block": {}}, "visibilityConfig": {},
        "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}}
ACL_GOOD = {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "rules": MANAGED + [RATE], "visibilityConfig": {}}
_acl = res("aws:wafv2/webAcl:WebAcl", "api", ACL_GOOD, outputs={**ACL_GOOD, "arn": ACL_ARN})
_association = res("aws:wafv2/webAclAssociation:WebAclAssociation", "api",
                   {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN})
CASES["elb-internet-facing-alb-has-waf"] = Case(
    [_public_alb, _acl, _association], [_public_alb, _acl],
    "Internet-facing load balancer 'alb' has no WAFv2 web ACL association")
CASES["elb-internet-facing-alb-has-waf"].extra["no_rate_limit"] = [
    _public_alb, res("aws:wafv2/webAcl:WebAcl", "api", changed(ACL_GOOD, rules=MANAGED),
                     outputs={**changed(ACL_GOOD, rules=MANAGED), "arn": ACL_ARN}), _association]
single("apigatewayv2-stage-access-logging", "aws:apigatewayv2/stage:Stage",
       {"apiId": "api", "name": "$default", "autoDeploy": True,
        "accessLogSettings": {"destinationArn": "arn:aws:logs:us-east-1:1:log-group:api", "format": "$context.requestId"}},
       "should set accessLogSettings", accessLogSettings=DELETE)
single("apigatewayv2-route-authorized", "aws:apigatewayv2/route:Route",
       {"apiId": "api", "routeKey": "GET /orders", "authorizationType": "JWT", "authorizerId": "auth"},
       "Route 'GET /orders' has authorizationType NONE", authorizationType="NONE", authorizerId=DELETE)

# --- EC2 / VPC ------------------------------------------------------------------------------------------
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
HTTPS_IN = {"securityGroupId": "sg-alb", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
single("ec2-no-public-ingress-except-https", INGRESS, HTTPS_IN, "on protocol tcp ports 22-22", fromPort=22, toPort=22)
CASES["ec2-no-public-ingress-except-https"].extra["inline"] = [res(SG, "web", {"vpcId": "vpc-1", "ingress": [
    {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]})]
_alb_sg = res(SG, "alb", {"vpcId": "vpc-1"}, outputs={"vpcId": "vpc-1", "id": "sg-alb",
                                                      "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-alb"})
_app_sg = res(SG, "app", {"vpcId": "vpc-1"}, outputs={"vpcId": "vpc-1", "id": "sg-app",
                                                      "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-app"})
CASES["ec2-public-ingress-only-on-load-balancers"] = Case(
    [_alb_sg, _app_sg, res(LB, "alb", LB_GOOD), res(INGRESS, "https", HTTPS_IN)],
    [_alb_sg, _app_sg, res(LB, "alb", LB_GOOD), res(INGRESS, "https", changed(HTTPS_IN, securityGroupId="sg-app"))],
    "'https' opens ingress to the internet on a security group not attached to a load balancer")
_awsx = res("awsx:ec2:Vpc", "main", {"cidrBlock": "10.0.0.0/16"}, outputs={"vpcId": "vpc-1"}, custom=False)
_vpc = res("aws:ec2/vpc:Vpc", "main", {"cidrBlock": "10.0.0.0/16"},
           outputs={"cidrBlock": "10.0.0.0/16", "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-1"},
           parent=_awsx["urn"])
_vpc["urn"] = urn("aws:ec2/vpc:Vpc", "main", parent_type="awsx:ec2:Vpc")
_flow = res("aws:ec2/flowLog:FlowLog", "main", {"vpcId": "vpc-1", "trafficType": "ALL",
                                                "logDestination": "arn:aws:logs:us-east-1:1:log-group:flow"})
CASES["vpc-flow-logs-enabled"] = Case([_awsx, _vpc, _flow], [_awsx, _vpc], "VPC 'main' has no flow log")
single("ec2-default-security-group-closed", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"vpcId": "vpc-1"},
       "must have no ingress and no egress", egress=[{"protocol": "-1", "fromPort": 0, "toPort": 0,
                                                      "cidrBlocks": ["0.0.0.0/0"]}])

# --- Logs, IAM, ECR ---------------------------------------------------------------------------------------
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_GOOD = {"retentionInDays": 365, "kmsKeyId": KEY_ARN}
single("cloudwatch-log-group-retention-set", LOG_GROUP, LOG_GOOD, "must set retentionInDays", retentionInDays=DELETE)
single("cloudwatch-log-group-retention-minimum", LOG_GROUP, LOG_GOOD, "retentionInDays is 30; keep logs at least 365",
       retentionInDays=30)
single("cloudwatch-log-group-encrypted-with-cmk", LOG_GROUP, LOG_GOOD, "kmsKeyId is not set", kmsKeyId=DELETE)
ROLE = "aws:iam/role:Role"
TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})
SCOPED = {"Sid": "ReadOrders", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
          "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/orders"}
ROLE_GOOD = {"assumeRolePolicy": TRUST, "inlinePolicies": [{"name": "ods", "policy": doc(SCOPED)}]}
single("iam-policy-no-admin-wildcard", ROLE, ROLE_GOOD, "inline policy 'ods' statement 'Admin' allows Action '*'",
       inlinePolicies=[{"name": "ods", "policy": doc(SCOPED, {"Sid": "Admin", "Effect": "Allow", "Action": "*",
                                                                 "Resource": "*"})}])
single("iam-policy-no-service-wildcard-actions", "aws:iam/policy:Policy", {"policy": doc(SCOPED)},
       "allows s3:* (every action of the service)",
       policy=doc({"Sid": "S3", "Effect": "Allow", "Action": ["s3:*"],
                   "Resource": ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"]}))
DECRYPT_ALL = {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
single("iam-managed-policy-no-decrypt-on-all-keys", "aws:iam/policy:Policy", {"policy": doc(SCOPED)},
       "statement 'Decrypt' allows kms:Decrypt on every KMS key", policy=doc(SCOPED, DECRYPT_ALL))
single("iam-inline-policy-no-decrypt-on-all-keys", "aws:iam/rolePolicy:RolePolicy",
       {"role": "app", "policy": doc(SCOPED)}, "statement 'Decrypt' allows kms:Decrypt on every KMS key",
       policy=doc(SCOPED, DECRYPT_ALL))
single("iam-no-broad-aws-managed-policy-attachments", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
       {"role": "app", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/app-scoped"},
       "Attaches the AWS managed policy 'AdministratorAccess'",
       policyArn="arn:aws:iam::aws:policy/AdministratorAccess")
CASES["iam-users-have-no-policies"] = Case(
    [res("aws:iam/rolePolicy:RolePolicy", "app", {"role": "app", "policy": doc(SCOPED)})],
    [res("aws:iam/userPolicy:UserPolicy", "app", {"user": "alice", "policy": doc(SCOPED)})],
    "Grants permissions directly to IAM users", applicable=False)
single("iam-role-trust-not-public", ROLE, ROLE_GOOD, "lets any principal assume the role",
       assumeRolePolicy=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
REPO = "aws:ecr/repository:Repository"
REPO_GOOD = {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True},
             "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]}
single("ecr-repository-scan-on-push", REPO, REPO_GOOD, "scanOnPush to true",
       imageScanningConfiguration={"scanOnPush": False})
single("ecr-repository-tags-immutable", REPO, REPO_GOOD, "imageTagMutability is 'MUTABLE'", imageTagMutability=DELETE)
_repo = res(REPO, "app", REPO_GOOD, outputs={**REPO_GOOD, "name": "retail-dev/app"})
CASES["ecr-repository-has-lifecycle-policy"] = Case(
    [_repo, res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "app", {"repository": "retail-dev/app", "policy": "{}"})],
    [_repo], "Repository 'app' has no lifecycle policy")
single("ecr-repository-policy-not-public", "aws:ecr/repositoryPolicy:RepositoryPolicy",
       {"repository": "retail-dev/app", "policy": doc({"Sid": "Pull", "Effect": "Allow",
                                                       "Principal": {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                                                       "Action": "ecr:BatchGetImage"})},
       "'Pull' allows Principal '*' without a Condition",
       policy=doc({"Sid": "Pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}))

# --- stack-wide ---------------------------------------------------------------------------------------------
CASES["aws-resource-mandatory-tags"] = Case(
    [res(LOG_GROUP, "app", LOG_GOOD)],
    [provider(defaultTags=json.dumps({"tags": {k: v for k, v in
                                               json.loads(provider()["inputs"]["defaultTags"])["tags"].items()
                                               if k != "cost-center"}})),
     res(LOG_GROUP, "app", LOG_GOOD)],
    "'app' (aws:cloudwatch/logGroup:LogGroup) is missing tags: cost-center", with_provider=False)
CASES["aws-resource-mandatory-tags"].compliant.insert(0, provider())
CASES["data-store-classification-tag"] = Case(
    [res(STREAM, "events", STREAM_GOOD)], [res(STREAM, "events", changed(STREAM_GOOD, tags={}))],
    "'events' must carry tag data-classification")
_default_ref = f"{urn('pulumi:providers:aws', 'default_7_51_1')}::default-id"
CASES["aws-resource-explicit-provider"] = Case(
    [res(LOG_GROUP, "app", LOG_GOOD)], [res(LOG_GROUP, "app", LOG_GOOD, provider_ref=_default_ref)],
    "'app' uses the default AWS provider (default_7_51_1)")
CASES["aws-provider-pinned-to-one-account"] = Case(
    [provider()], [provider(allowedAccountIds=json.dumps([ACCOUNT, CONSUMER]))],
    "Provider 'retail' must pin exactly one account", with_provider=False)
CASES["aws-provider-region-allowed"] = Case(
    [provider()], [provider(region="ap-southeast-2")], "Provider 'retail' region 'ap-southeast-2' is not one of",
    with_provider=False)
CASES["stateful-resources-protected"] = Case(
    [res(KEY, "orders", KEY_GOOD)], [res(KEY, "orders", KEY_GOOD, protect=False)],
    "'orders' (aws:kms/key:Key) holds data but is not protected")

# The deployability group keeps its fixtures beside its own tests.
from test_deployability import DEPLOYABILITY_CASES  # noqa: E402

CASES.update({n: Case(**c) for n, c in DEPLOYABILITY_CASES.items()})
