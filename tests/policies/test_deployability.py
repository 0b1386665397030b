"""The deployability rules (policies/rules/deployability.py), each from a small graph: a compliant
fixture, and violating ones that change one thing, with the message asserted. Everything runs
through the analyzer interface (policies.offline.analyze), as the engine drives the pack.

``DEPLOYABILITY_CASES`` holds one compliant/violating pair per rule in the shape of
policy_cases.Case, for the pack-wide case table."""
from __future__ import annotations

import copy
import json

import pytest

from policies.offline import analyze
from policies.rules import deployability
from policy_fixtures import ACCOUNT, ACCOUNT_ROOT, CONSUMER, KEY_ARN, changed, doc, messages, provider, res, run, urn

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel (preview)
ARCHIVE_SIG, ASSET_SIG = "0def7320c3a5731c473e5ecbe6d01bc7", "c44067f5952c0a294b673a41bacd8c17"
SIG = "4dabf18193072939515e22adb298388d"

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUS = "aws:cloudwatch/eventBus:EventBus"
GLUE_SECURITY = "aws:glue/securityConfiguration:SecurityConfiguration"
LF = "aws:lakeformation/permissions:Permissions"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
VERSIONING_V2 = "aws:s3/bucketVersioningV2:BucketVersioningV2"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
TABLE = "aws:dynamodb/table:Table"
REPLICA = "aws:dynamodb/tableReplica:TableReplica"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
REPO = "aws:ecr/repository:Repository"
FUNCTION = "aws:lambda/function:Function"
LAYER = "aws:lambda/layerVersion:LayerVersion"

GRANTS = "kms-key-grants-service-users-in-region"
CONDITIONS = "kms-key-service-statements-use-documented-conditions"
LF_OPTION = "lakeformation-cross-account-grant-option"
REPLICATION_RULE = "s3-replication-depends-on-versioning"
REPLICAS = "dynamodb-table-ignores-managed-replicas"
ACTIONS = "resource-policy-actions-valid-for-service"
PARLIAMENT = "iam-policy-documents-pass-parliament"
IMAGES = "container-images-built-by-deployment"
ARTIFACTS = "lambda-artifacts-exist"
ESM_RULE = "lambda-sqs-event-source-accepted"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

KMS_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ddp/app"


def service_statement(principal: str, sid: str, condition=None) -> dict:
    s = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": principal}, "Action": KMS_USE, "Resource": "*"}
    if condition:
        s["Condition"] = condition
    return s


def logs_statement(region: str = "us-east-1", **extra_conditions) -> dict:
    condition = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*"}}
    condition.update(extra_conditions)
    return service_statement(f"logs.{region}.amazonaws.com", "CloudWatchLogs", condition)


SOURCE_ACCOUNT = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def key(*statements, name: str = "app-key") -> dict:
    return res(KEY, name, {"policy": doc(ACCOUNT_ROOT, *statements), "enableKeyRotation": True},
               outputs={"policy": doc(ACCOUNT_ROOT, *statements), "arn": KEY_ARN, "keyId": KEY_ARN.rsplit("/", 1)[1]})


def log_group(**change) -> dict:
    inputs = {"name": "/ddp/app", "kmsKeyId": KEY_ARN, "retentionInDays": 365}
    return res(LOG_GROUP, "app-logs", changed(inputs, **change), outputs={**changed(inputs, **change),
                                                                          "arn": LOG_GROUP_ARN})


def found(report, policy: str) -> list[str]:
    return messages(report, policy)


# --- a. keys grant the services that use them --------------------------------------------------

def test_log_group_key_grants_logs_in_its_region():
    assert found(run(key(logs_statement()), log_group()), GRANTS) == []


def test_log_group_key_without_the_regional_logs_principal_is_reported():
    report = run(key(logs_statement("us-west-2")), log_group())
    assert found(report, GRANTS) == [
        "KMS key 'app-key' encrypts log group 'app-logs' in us-east-1, but its key policy has no Allow statement "
        "for logs.us-east-1.amazonaws.com with kms:GenerateDataKey and kms:Decrypt."]


def test_log_group_in_another_region_needs_that_regions_principal():
    dr = provider("dr", region="us-west-2")
    dr_ref = f"{dr['urn']}::dr-provider-id"
    lg = res(LOG_GROUP, "dr-logs", {"name": "/ddp/dr", "kmsKeyId": KEY_ARN}, provider_ref=dr_ref)
    report = run(dr, key(logs_statement("us-east-1")), lg)
    assert any("log group 'dr-logs' in us-west-2" in m and "logs.us-west-2.amazonaws.com" in m
               for m in found(report, GRANTS))
    assert found(run(dr, key(logs_statement("us-west-2")), lg), GRANTS) == []


def test_logs_statement_conditioned_on_source_account_does_not_count():
    report = run(key(logs_statement(**SOURCE_ACCOUNT)), log_group())
    assert found(report, GRANTS) == [
        "KMS key 'app-key' grants logs.us-east-1.amazonaws.com for log group 'app-logs' only under condition keys "
        "the service does not send for log encryption (aws:SourceAccount); allowed: "
        "kms:EncryptionContext:aws:logs:arn."]


def test_key_found_through_alias_and_through_property_dependencies():
    k = key()
    alias = res(ALIAS, "app-key-alias", {"name": "alias/app", "targetKeyId": KEY_ARN.rsplit("/", 1)[1]},
                outputs={"name": "alias/app", "targetKeyId": KEY_ARN.rsplit("/", 1)[1],
                         "arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"})
    by_alias = log_group(kmsKeyId="alias/app")
    assert "no Allow statement for logs.us-east-1" in found(run(k, alias, by_alias), GRANTS)[0]
    # first preview: the key id is unknown, the engine still records the dependency
    by_dependency = res(LOG_GROUP, "app-logs", {"name": "/ddp/app"},
                        property_dependencies={"kmsKeyId": [k["urn"]]})
    assert "no Allow statement for logs.us-east-1" in found(run(k, by_dependency), GRANTS)[0]


def test_key_outside_the_stack_is_not_judged():
    assert found(run(log_group(kmsKeyId="arn:aws:kms:us-east-1:999999999999:key/other")), GRANTS) == []


def test_key_policy_resource_replaces_the_keys_own_policy():
    k = key(logs_statement())
    kp = res(KEY_POLICY, "app-key-policy", {"keyId": KEY_ARN, "policy": doc(ACCOUNT_ROOT)})
    assert "no Allow statement for logs.us-east-1" in found(run(k, kp, log_group()), GRANTS)[0]


def test_glue_cloudwatch_encryption_needs_logs_principal():
    sc = res(GLUE_SECURITY, "glue-security", {"encryptionConfiguration": {
        "cloudwatchEncryption": {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": KEY_ARN},
        "s3Encryption": {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": KEY_ARN}}})
    assert found(run(key(), sc), GRANTS) == [
        "KMS key 'app-key' encrypts Glue security configuration (CloudWatch logs) 'glue-security' in us-east-1, "
        "but its key policy has no Allow statement for logs.us-east-1.amazonaws.com with kms:GenerateDataKey and "
        "kms:Decrypt."]
    assert found(run(key(logs_statement()), sc), GRANTS) == []


TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:notify-dlq"


def topic() -> dict:
    return res(TOPIC, "alarms", {"name": "alarms", "kmsMasterKeyId": KEY_ARN},
               outputs={"name": "alarms", "kmsMasterKeyId": KEY_ARN, "arn": TOPIC_ARN})


def test_alarm_publishing_to_encrypted_topic_needs_cloudwatch_principal():
    alarm = res(ALARM, "errors", {"alarmActions": [TOPIC_ARN]})
    assert found(run(key(), topic(), alarm), GRANTS) == [
        "KMS key 'app-key' encrypts SNS topic 'alarms' in us-east-1, but its key policy has no Allow statement "
        "for cloudwatch.amazonaws.com with kms:GenerateDataKey and kms:Decrypt."]
    granted = key(service_statement("cloudwatch.amazonaws.com", "Alarms", SOURCE_ACCOUNT))
    assert found(run(granted, topic(), alarm), GRANTS) == []


def test_eventbridge_dlq_key_statement_takes_no_source_conditions():
    dlq = res(QUEUE, "notify-dlq", {"name": "notify-dlq", "kmsMasterKeyId": KEY_ARN},
              outputs={"name": "notify-dlq", "kmsMasterKeyId": KEY_ARN, "arn": QUEUE_ARN})
    target = res(TARGET, "failed-target", {"arn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                                           "deadLetterConfig": {"arn": QUEUE_ARN}})
    conditioned = key(service_statement("events.amazonaws.com", "EventBridge", SOURCE_ACCOUNT))
    assert found(run(conditioned, dlq, target), GRANTS) == [
        "KMS key 'app-key' grants events.amazonaws.com for SQS queue 'notify-dlq' only under condition keys the "
        "service does not send for EventBridge delivery (aws:SourceAccount); allowed: no condition."]
    assert found(run(key(service_statement("events.amazonaws.com", "EventBridge")), dlq, target), GRANTS) == []


def test_encrypted_event_bus_needs_events_principal_and_accepts_source_account():
    bus = res(BUS, "bus", {"name": "bus", "kmsKeyIdentifier": KEY_ARN})
    assert "for events.amazonaws.com" in found(run(key(), bus), GRANTS)[0]
    granted = key(service_statement("events.amazonaws.com", "EventBridge", SOURCE_ACCOUNT))
    assert found(run(granted, bus), GRANTS) == []


# --- a2. condition keys a service documents ----------------------------------------------------

def test_logs_statement_with_encryption_context_only_is_documented():
    assert found(run(key(logs_statement())), CONDITIONS) == []


def test_logs_statement_with_source_account_is_reported():
    assert found(run(key(logs_statement(**SOURCE_ACCOUNT))), CONDITIONS) == [
        "KMS key policy of 'app-key' statement 'CloudWatchLogs' for logs.us-east-1.amazonaws.com uses condition "
        "key aws:SourceAccount, which CloudWatch Logs does not document for key policies; allowed: "
        "kms:EncryptionContext:aws:logs:arn."]


def test_principals_without_a_documented_table_are_not_judged():
    s3 = service_statement("s3.amazonaws.com", "S3", SOURCE_ACCOUNT)
    events = service_statement("events.amazonaws.com", "Events", {"ArnEquals": {"aws:SourceArn": "arn:aws:events:x"}})
    assert found(run(key(s3, events)), CONDITIONS) == []


# --- b. Lake Formation grant option --------------------------------------------------------------

TABLE_GRANT = {"principal": CONSUMER, "permissions": ["SELECT", "DESCRIBE"],
               "permissionsWithGrantOptions": ["SELECT", "DESCRIBE"],
               "table": {"databaseName": "retail_dev_orders", "wildcard": True}}
DB_GRANT = {"principal": CONSUMER, "permissions": ["DESCRIBE"], "permissionsWithGrantOptions": ["DESCRIBE"],
            "database": {"name": "retail_dev_orders"}}


def test_cross_account_grants_with_grant_option_pass():
    assert found(run(res(LF, "tables", TABLE_GRANT), res(LF, "db", DB_GRANT)), LF_OPTION) == []


def test_cross_account_table_grant_without_grant_option_is_reported():
    bad = res(LF, "tables", changed(TABLE_GRANT, permissionsWithGrantOptions=["SELECT"]))
    assert found(run(bad), LF_OPTION) == [
        f"Lake Formation grant 'tables' to account {CONSUMER} on a table lacks permissionsWithGrantOptions "
        "DESCRIBE: the consumer cannot pass it on to its own principals."]


def test_cross_account_database_grant_without_grant_option_is_reported():
    bad = res(LF, "db", changed(DB_GRANT, permissionsWithGrantOptions=[]))
    assert "on a database lacks permissionsWithGrantOptions DESCRIBE" in found(run(bad), LF_OPTION)[0]


TAG_GRANT = {"principal": CONSUMER, "permissions": ["SELECT", "DESCRIBE"],
             "permissionsWithGrantOptions": ["SELECT", "DESCRIBE"],
             "lfTagPolicy": {"resourceType": "TABLE", "expressions": [{"key": "ddp:product", "values": ["orders"]}]}}


def test_cross_account_lf_tag_grants_carry_the_grant_option():
    db_grant = changed(TAG_GRANT, permissions=["DESCRIBE"], permissionsWithGrantOptions=["DESCRIBE"],
                       lfTagPolicy={**TAG_GRANT["lfTagPolicy"], "resourceType": "DATABASE"})
    assert found(run(res(LF, "tables", TAG_GRANT), res(LF, "db", db_grant)), LF_OPTION) == []
    bad_tables = res(LF, "tables", changed(TAG_GRANT, permissionsWithGrantOptions=["DESCRIBE"]))
    bad_db = res(LF, "db", changed(db_grant, permissionsWithGrantOptions=[]))
    assert found(run(bad_tables, bad_db), LF_OPTION) == [
        f"Lake Formation grant 'tables' to account {CONSUMER} on an LF-tag expression on TABLE resources lacks "
        "permissionsWithGrantOptions SELECT: the consumer cannot pass it on to its own principals.",
        f"Lake Formation grant 'db' to account {CONSUMER} on an LF-tag expression on DATABASE resources lacks "
        "permissionsWithGrantOptions DESCRIBE: the consumer cannot pass it on to its own principals."]


def test_grants_in_the_stacks_own_account_need_no_grant_option():
    own = res(LF, "own", changed(TABLE_GRANT, principal=ACCOUNT, permissionsWithGrantOptions=[]))
    role = res(LF, "role", changed(TABLE_GRANT, principal=f"arn:aws:iam::{ACCOUNT}:role/crawler",
                                   permissionsWithGrantOptions=[]))
    assert found(run(own, role), LF_OPTION) == []


# --- c. replication waits for versioning ---------------------------------------------------------

def replication_stack(*, depends=("src-versioning", "dst-versioning"), versioning_type=VERSIONING,
                      with_dst_versioning=True) -> list:
    src = res(BUCKET, "src", {"bucket": "src-bucket"}, outputs={"bucket": "src-bucket", "arn": "arn:aws:s3:::src-bucket"})
    dst = res(BUCKET, "dst", {"bucket": "dst-bucket"}, outputs={"bucket": "dst-bucket", "arn": "arn:aws:s3:::dst-bucket"})
    versionings = [res(versioning_type, "src-versioning", {"bucket": "src-bucket",
                                                           "versioningConfiguration": {"status": "Enabled"}})]
    if with_dst_versioning:
        versionings.append(res(versioning_type, "dst-versioning", {"bucket": "dst-bucket",
                                                                   "versioningConfiguration": {"status": "Enabled"}}))
    rc = res(REPLICATION, "replication", {"bucket": "src-bucket", "role": "arn:aws:iam::111111111111:role/r",
                                          "rules": [{"id": "all", "status": "Enabled",
                                                     "destination": {"bucket": "arn:aws:s3:::dst-bucket"}}]},
             dependencies=[src["urn"], dst["urn"]] + [urn(versioning_type, n) for n in depends])
    return [src, dst, *versionings, rc]


def test_replication_depending_on_both_versionings_passes():
    assert found(run(*replication_stack()), REPLICATION_RULE) == []
    assert found(run(*replication_stack(versioning_type=VERSIONING_V2)), REPLICATION_RULE) == []


def test_replication_not_waiting_for_source_versioning_is_reported():
    assert found(run(*replication_stack(depends=("dst-versioning",))), REPLICATION_RULE) == [
        "Replication 'replication' does not depend on 'src-versioning', the versioning of its source bucket 'src'; "
        "add it to depends_on (S3 rejects replication configured before versioning is enabled)."]


def test_replication_not_waiting_for_destination_versioning_is_reported():
    report = run(*replication_stack(depends=("src-versioning",)))
    assert ["versioning of its destination bucket 'dst'" in m for m in found(report, REPLICATION_RULE)] == [True]


def test_replication_to_an_unversioned_bucket_is_reported():
    report = run(*replication_stack(depends=("src-versioning",), with_dst_versioning=False))
    assert found(report, REPLICATION_RULE) == [
        "Replication 'replication' uses destination bucket 'dst', which has no versioning resource in the stack; "
        "S3 rejects replication without versioning."]


# --- d. tables with managed replicas ignore them -------------------------------------------------

TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/ods"


def table_stack(ignore_changes=("replicas",)) -> list:
    table = res(TABLE, "ods", {"name": "ods"}, outputs={"name": "ods", "arn": TABLE_ARN})
    table["ignore_changes"] = list(ignore_changes)
    replica = res(REPLICA, "ods-replica", {"globalTableArn": TABLE_ARN})
    return [table, replica]


@pytest.mark.parametrize("dispatch", [True, False])
def test_table_ignoring_replicas_passes(dispatch):
    # dispatch=False: the stock servicer, exactly as the engine drives it, sees opts.ignore_changes
    report = analyze([provider(), *table_stack()], dispatch=dispatch)
    assert found(report, REPLICAS) == [] and REPLICAS in report.applicable


@pytest.mark.parametrize("ignored", [(), ("tags",), ("replicas[0]",)])
def test_table_not_ignoring_replicas_is_reported(ignored):
    assert found(run(*table_stack(ignored)), REPLICAS) == [
        "DynamoDB table 'ods' has its replica managed by TableReplica 'ods-replica' but does not ignore changes to "
        "'replicas'; the next update of the table would remove the replica. Add ignore_changes=['replicas']."]


# --- e. resource-policy actions ------------------------------------------------------------------

TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Resource": TOPIC_ARN,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
SNS_LISTED = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
              "sns:AddPermission", "sns:RemovePermission", "sns:DeleteTopic", "sns:ListSubscriptionsByTopic"]


def topic_policy(actions) -> dict:
    return res(TOPIC_POLICY, "alarms-policy", {"arn": TOPIC_ARN, "policy": doc({**TLS_DENY, "Action": actions})})


def test_topic_policy_with_listed_actions_passes():
    assert found(run(topic_policy(SNS_LISTED)), ACTIONS) == []


@pytest.mark.parametrize("action", ["sns:*", "sns:CreateTopic", "sns:Get*"])
def test_topic_policy_with_actions_outside_the_list_is_reported(action):
    msgs = found(run(topic_policy([action])), ACTIONS)
    assert len(msgs) == 1 and msgs[0].startswith(
        f"Policy of 'alarms-policy' (sns/topicPolicy) statement 'DenyInsecureTransport' names action '{action}' "
        "(a topic policy accepts only sns:AddPermission, ")


@pytest.mark.parametrize("type_,action,problem", [
    (QUEUE_POLICY, "sns:Publish", "'sns:Publish' (not a sqs action)"),
    (KEY_POLICY, "kms:Encrpyt", "'kms:Encrpyt' (no such kms action)"),
])
def test_other_resource_policies_name_existing_actions_of_their_service(type_, action, problem):
    statement = {"Sid": "S", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": [action], "Resource": "*"}
    assert found(run(res(type_, "p", {"policy": doc(statement)})), ACTIONS) == [
        f"Policy of 'p' ({type_.split(':')[1]}) statement 'S' names action {problem}; AWS rejects the policy."]
    fine = {**statement, "Action": ["sqs:*"] if type_ == QUEUE_POLICY else ["kms:Encrypt"]}
    assert found(run(res(type_, "p", {"policy": doc(fine)})), ACTIONS) == []


# --- f. Parliament -------------------------------------------------------------------------------

GOOD_IDENTITY = {"Sid": "ReadTable", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                 "Resource": [TABLE_ARN]}
TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def role_policy(*statements) -> dict:
    return res(ROLE_POLICY, "app-policy", {"role": "app-role", "policy": doc(*statements)})


def test_valid_documents_pass_parliament():
    role = res(ROLE, "app-role", {"assumeRolePolicy": doc(TRUST)})  # trust policies have no Resource
    logs_key = key(logs_statement())  # AWS's own shape: kms:Describe* beside the encryption-context key
    bucket_policy = res(BUCKET_POLICY, "bp", {"bucket": "b", "policy": doc({
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})})
    report = run(role, role_policy(GOOD_IDENTITY), logs_key, bucket_policy)
    assert found(report, PARLIAMENT) == [] and PARLIAMENT in report.applicable


@pytest.mark.parametrize("statement,expected", [
    ({**GOOD_IDENTITY, "Action": ["dynamodb:GetItems"]}, "statement 'ReadTable': UNKNOWN_ACTION"),
    ({**GOOD_IDENTITY, "Action": ["dynamo:GetItem"]}, "statement 'ReadTable': UNKNOWN_PREFIX"),
    ({"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b"]},
     "statement 'Objects': RESOURCE_MISMATCH"),
    ({**GOOD_IDENTITY, "Condition": {"StringEquals": {"s3:prefix": "x/"}}},
     "statement 'ReadTable': UNKNOWN_CONDITION_FOR_ACTION: condition key s3:prefix applies to none of the "
     "statement's actions, so it never matches"),
    ({**GOOD_IDENTITY, "Resource": ["dynamodb:table/ods"]}, "statement 'ReadTable': INVALID_ARN"),
])
def test_parliament_errors_are_reported(statement, expected):
    msgs = found(run(role_policy(statement)), PARLIAMENT)
    assert any(m.startswith(f"Policy document 'policy' of 'app-policy' (iam/rolePolicy) {expected}") for m in msgs), msgs


def test_duplicate_sids_are_reported():
    msgs = found(run(role_policy(GOOD_IDENTITY, GOOD_IDENTITY)), PARLIAMENT)
    assert msgs == ["Policy document 'policy' of 'app-policy' repeats Sid ReadTable."]


def test_unknown_values_neither_fail_nor_crash():
    unknown_doc = res(ROLE_POLICY, "later", {"role": "r", "policy": UNKNOWN})
    # an object-form document whose resource list holds an unknown: what is known is judged
    partly = res(ROLE_POLICY, "partly", {"role": "r", "policy": {"Version": "2012-10-17", "Statement": [
        {**GOOD_IDENTITY, "Resource": [TABLE_ARN, UNKNOWN]}]}})
    partly_bad = res(ROLE_POLICY, "partly-bad", {"role": "r", "policy": {"Version": "2012-10-17", "Statement": [
        {**GOOD_IDENTITY, "Action": ["dynamodb:GetItems", UNKNOWN]}]}})
    report = run(unknown_doc, partly, partly_bad)
    msgs = found(report, PARLIAMENT)
    assert [m.split(" (")[0] for m in msgs] == ["Policy document 'policy' of 'partly-bad'"]
    assert "UNKNOWN_ACTION" in msgs[0]


def test_parliament_runs_once_per_statement_text():
    deployability._lint.cache_clear()
    run(role_policy(GOOD_IDENTITY), res(ROLE_POLICY, "copy", {"role": "r", "policy": doc(GOOD_IDENTITY)}))
    info = deployability._lint.cache_info()
    assert info.misses == 1 and info.hits >= 1


# --- g. images and artifacts ---------------------------------------------------------------------

REPO_URL = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/retail-dev/orders-api"
DIGEST = "sha256:" + "a" * 64


def task(image: str, deps=()) -> dict:
    containers = json.dumps([{"name": "app", "image": image, "essential": True}])
    return res(TASK, "api-task", {"family": "api", "containerDefinitions": containers},
               property_dependencies={"containerDefinitions": list(deps)} if deps else None)


def repo() -> dict:
    return res(REPO, "api-repo", {"name": "retail-dev/orders-api"},
               outputs={"name": "retail-dev/orders-api", "repositoryUrl": REPO_URL})


def test_image_built_by_the_deployment_passes():
    image = res("awsx:ecr:Image", "api-image", {"repositoryUrl": REPO_URL},
                outputs={"imageUri": f"{REPO_URL}@{DIGEST}"}, custom=False)
    assert found(run(repo(), image, task(f"{REPO_URL}@{DIGEST}", deps=[image["urn"]])), IMAGES) == []


def test_public_image_pinned_by_digest_passes():
    assert found(run(task(f"public.ecr.aws/nginx/nginx@{DIGEST}")), IMAGES) == []


def test_tag_in_the_stacks_own_repository_is_reported():
    assert found(run(repo(), task(f"{REPO_URL}:v1")), IMAGES) == [
        f"Task definition 'api-task' container 'app': image '{REPO_URL}:v1' is in repository 'api-repo' that this "
        "stack creates, but no image build in the deployment pushes it; build it with awsx.ecr.Image and use its "
        "output."]


def test_unpinned_public_tag_is_reported():
    assert found(run(task("public.ecr.aws/nginx/nginx:latest")), IMAGES) == [
        "Task definition 'api-task' container 'app': image 'public.ecr.aws/nginx/nginx:latest' is not built by the "
        "deployment nor pinned by digest (@sha256:...)."]


def archive(path: str) -> dict:
    """An archive as the engine serializes it (pulumi-policy turns it into pulumi.FileArchive)."""
    return {SIG: ARCHIVE_SIG, "path": path}


def test_existing_archives_pass(tmp_path):
    (tmp_path / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    fn = res(FUNCTION, "fn", {"code": archive(str(tmp_path)), "handler": "handler.handler"})
    recorded = res(LAYER, "layer", {"code": f"<FileArchive {tmp_path}>"})  # the offline graph's form
    asset_archive = res(FUNCTION, "fn2", {"code": {SIG: ARCHIVE_SIG, "assets": {
        "handler.py": {SIG: ASSET_SIG, "path": str(tmp_path / "handler.py")}}}})
    assert found(run(fn, recorded, asset_archive), ARTIFACTS) == []


def test_missing_or_empty_archives_are_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    fn = res(FUNCTION, "fn", {"code": archive(str(tmp_path / "missing"))})
    layer = res(LAYER, "layer", {"code": f"<FileArchive {empty}>"})
    assert found(run(fn, layer), ARTIFACTS) == [
        f"'fn' (lambda/function) packages code from '{tmp_path / 'missing'}', which does not exist or is empty; "
        "the deployment must produce it.",
        f"'layer' (lambda/layerVersion) packages code from '{empty}', which does not exist or is empty; the "
        "deployment must produce it."]


# --- h. Lambda event source mappings on SQS -----------------------------------------------------------

QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:retail-dev-orders-ods-writer-queue"
POLL = {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": [QUEUE_ARN]}


def esm_stack(*, visibility=180, timeout=30, statements=(POLL,), attachments=(), unknown_arn=False) -> list:
    """Queue -> mapping -> function -> role with one inline policy, referenced by value, or (unknown_arn)
    through property dependencies only, as in a first preview."""
    settings = {"visibilityTimeoutSeconds": visibility} if visibility is not None else {}
    queue = res(QUEUE, "writer-queue", settings,
                outputs={**settings, "arn": QUEUE_ARN, "url": "https://sqs.us-east-1.amazonaws.com/q"})
    role = res(ROLE, "writer-role", {"name": "writer-role"},
               outputs={"name": "writer-role", "arn": f"arn:aws:iam::{ACCOUNT}:role/writer-role"})
    policy = res(ROLE_POLICY, "writer-policy", {"role": "writer-role", "policy": doc(*statements)})
    fn_inputs = {"role": role["outputs"]["arn"], **({"timeout": timeout} if timeout else {})}
    fn = res(FUNCTION, "writer", fn_inputs,
             outputs={**fn_inputs, "arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:writer", "name": "writer"})
    source = UNKNOWN if unknown_arn else QUEUE_ARN
    mapping = res(ESM, "writer-source", {"eventSourceArn": source, "functionName": fn["outputs"]["arn"]},
                  property_dependencies={"eventSourceArn": [queue["urn"]]})
    return [queue, role, policy, *attachments, fn, mapping]


def test_mapping_with_enough_visibility_and_poller_permissions_passes():
    assert found(run(*esm_stack()), ESM_RULE) == []
    assert found(run(*esm_stack(visibility=30, timeout=30)), ESM_RULE) == []  # equal is enough
    assert found(run(*esm_stack(visibility=None, timeout=None)), ESM_RULE) == []  # AWS defaults: 30 s vs 3 s


def test_visibility_timeout_below_the_function_timeout_is_reported():
    assert found(run(*esm_stack(visibility=20, timeout=30)), ESM_RULE) == [
        "Event source mapping 'writer-source': queue 'writer-queue' has a visibility timeout of 20 s, below "
        "function 'writer''s timeout of 30 s; Lambda refuses the mapping."]
    # Unset visibility is SQS's default of 30 s: a 60 s function does not fit.
    assert "visibility timeout of 30 s" in found(run(*esm_stack(visibility=None, timeout=60)), ESM_RULE)[0]
    # The queue found through the engine's property dependencies (unknown ARN in a first preview).
    assert found(run(*esm_stack(visibility=20, unknown_arn=True)), ESM_RULE)


@pytest.mark.parametrize("statements, missing", [
    ((), "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes"),
    (({**POLL, "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"]},), "sqs:GetQueueAttributes"),
    (({**POLL, "Resource": [QUEUE_ARN + "-other"]},), "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes"),
    (({**POLL, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},),
     "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes"),
])
def test_role_without_the_poller_permissions_is_reported(statements, missing):
    assert found(run(*esm_stack(statements=statements)), ESM_RULE) == [
        f"Event source mapping 'writer-source': the role 'writer-role' of function 'writer' may not call {missing} "
        "on queue 'writer-queue'; Lambda refuses the mapping."]


def test_other_ways_of_granting_the_poller_permissions_pass():
    wildcard = {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:*:*"}
    assert found(run(*esm_stack(statements=(wildcard,))), ESM_RULE) == []
    managed = res(ATTACHMENT, "sqs-exec", {"role": "writer-role", "policyArn":
                                           "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"})
    assert found(run(*esm_stack(statements=({"Effect": "Allow", "Action": "logs:*", "Resource": "*"},),
                                attachments=(managed,))), ESM_RULE) == []
    # A managed policy from outside the stack cannot be read: not judged.
    foreign = res(ATTACHMENT, "foreign", {"role": "writer-role", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/x"})
    assert found(run(*esm_stack(statements=(), attachments=(foreign,))), ESM_RULE) == []


def test_the_shipped_writer_mapping_is_accepted():
    """The dev graph's ODS writer mapping, through the same rule (the component's own values)."""
    from offline.runner import shipped_run
    resources = shipped_run("dev").resources()
    assert [r for r in resources if r["type"] == ESM]
    assert found(analyze(resources), ESM_RULE) == []


# --- i. LF-tag values exist ------------------------------------------------------------------------

LF_TAG = "aws:lakeformation/lfTag:LfTag"
LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
LF_VALUES = "lakeformation-lf-tag-values-exist"
CLASSIFICATION = ("public", "internal", "confidential", "restricted")
OTHER_CATALOG = "333333333333"


def lf_tag(values=CLASSIFICATION, *, key="ddp:classification", name="classification", **extra) -> dict:
    return res(LF_TAG, name, {"key": key, "values": values if values == UNKNOWN else list(values), **extra})


def pair(value, key="ddp:classification", **extra) -> dict:
    return {"key": key, "value": value, **extra}


def tagging(*pairs, name="orders-tags", **extra) -> dict:
    return res(LF_TAGS, name, {"lfTags": list(pairs), "table": {"databaseName": "retail_dev_orders", "name": "orders"},
                               **extra})


def expression(*values, key="ddp:classification") -> dict:
    return {"key": key, "values": list(values)}


def tag_grant(*expressions, name="datasets", **policy_extra) -> dict:
    return res(LF, name, {"principal": CONSUMER, "permissions": ["SELECT", "DESCRIBE"],
                          "permissionsWithGrantOptions": ["SELECT", "DESCRIBE"],
                          "lfTagPolicy": {"resourceType": "TABLE", "expressions": list(expressions), **policy_extra}})


def assigned(value, *, tagging_name="orders-tags", key="ddp:classification", catalog=ACCOUNT, tag="classification",
             allowed=", ".join(CLASSIFICATION)) -> str:
    return (f"ResourceLfTags '{tagging_name}' assigns LF-tag '{key}' (catalog {catalog} in us-east-1) the value "
            f"'{value}', which LfTag '{tag}' does not define (allowed: {allowed}); Lake Formation refuses "
            "AddLFTagsToResource.")


def granted(value, *, grant="datasets", key="ddp:classification", catalog=ACCOUNT, tag="classification",
            allowed=", ".join(CLASSIFICATION)) -> str:
    return (f"Lake Formation grant '{grant}' has an LF-tag expression on '{key}' (catalog {catalog} in us-east-1) "
            f"with the value '{value}', which LfTag '{tag}' does not define (allowed: {allowed}); Lake Formation "
            "refuses GrantPermissions.")


def test_assignments_and_expressions_with_defined_values_pass():
    product = lf_tag(["orders"], key="ddp:product", name="product")
    report = run(lf_tag(), product, tagging(pair("internal"), pair("orders", key="ddp:product")),
                 tag_grant(expression("orders", key="ddp:product"), expression("public", "internal")))
    assert found(report, LF_VALUES) == [] and LF_VALUES in report.applicable
    # Lake Formation stores keys and values in lower case: case alone is no violation.
    assert found(run(lf_tag(), tagging(pair("Internal", key="DDP:Classification")),
                     tag_grant(expression("PUBLIC"))), LF_VALUES) == []


def test_an_assigned_value_the_tag_does_not_define_is_reported():
    assert found(run(lf_tag(), tagging(pair("internal"), pair("secret"))), LF_VALUES) == [assigned("secret")]


def test_an_expression_value_the_tag_does_not_define_is_reported():
    product = lf_tag(["orders"], key="ddp:product", name="product")
    grant = tag_grant(expression("orders", "returns", key="ddp:product"), expression("public", "secret"))
    assert found(run(lf_tag(), product, grant), LF_VALUES) == [
        granted("returns", key="ddp:product", tag="product", allowed="orders"), granted("secret")]


def test_a_key_without_an_lf_tag_in_the_stack_is_not_judged():
    """The key may already exist in the account (created outside this stack): not decidable here."""
    foreign = dict(key="finance:owner")
    assert found(run(lf_tag(), tagging(pair("anyone", **foreign)), tag_grant(expression("anyone", **foreign))),
                 LF_VALUES) == []
    assert found(run(tagging(pair("secret")), tag_grant(expression("secret"))), LF_VALUES) == []


def test_unknown_values_are_left_out_and_never_fail():
    # unknown keys, values, lists and policies (first preview): nothing to judge, no crash
    unknowns = [tagging(pair(UNKNOWN), pair("secret", key=UNKNOWN), name="a"),
                res(LF_TAGS, "b", {"lfTags": UNKNOWN, "database": {"name": "db"}}),
                res(LF_TAGS, "c", {"lfTags": [UNKNOWN, pair("internal")], "database": {"name": "db"}}),
                tag_grant(expression(UNKNOWN), expression("public", key=UNKNOWN), name="d"),
                res(LF, "e", {"principal": CONSUMER, "permissions": ["DESCRIBE"], "lfTagPolicy": UNKNOWN}),
                tag_grant(UNKNOWN, name="f"),
                res(LF, "g", {"principal": CONSUMER, "permissions": ["DESCRIBE"],
                              "lfTagPolicy": {"resourceType": "TABLE", "expressions": UNKNOWN}})]
    assert found(run(lf_tag(), *unknowns), LF_VALUES) == []
    # values of a list are judged one by one: the known bad one is reported beside an unknown one
    assert found(run(lf_tag(), tag_grant(expression(UNKNOWN, "secret"))), LF_VALUES) == [granted("secret")]
    # an LfTag whose values or catalog are not all known yet decides nothing for its key
    for undecided in (lf_tag(["public", UNKNOWN]), lf_tag(["public"], catalogId=UNKNOWN), lf_tag(UNKNOWN),
                      res(LF_TAG, "classification", {"key": "ddp:classification"})):
        assert found(run(undecided, tagging(pair("secret")), tag_grant(expression("secret"))), LF_VALUES) == []
    # an assignment whose catalog is not known yet is not matched to any catalog's tag
    assert found(run(lf_tag(), tagging(pair("secret", catalogId=UNKNOWN))), LF_VALUES) == []


def test_catalog_qualified_tags_are_matched_by_catalog():
    other = lf_tag(["public"], catalogId=OTHER_CATALOG)
    # the same key in the provider's account has no LfTag in the stack: not judged
    assert found(run(other, tagging(pair("secret")), tag_grant(expression("secret"))), LF_VALUES) == []
    in_other = [tagging(pair("secret", catalogId=OTHER_CATALOG)), tagging(pair("secret"), catalogId=OTHER_CATALOG,
                                                                          name="whole-request"),
                tag_grant(expression("public", "secret"), catalogId=OTHER_CATALOG)]
    assert found(run(other, *in_other), LF_VALUES) == [
        assigned("secret", catalog=OTHER_CATALOG, allowed="public"),
        assigned("secret", tagging_name="whole-request", catalog=OTHER_CATALOG, allowed="public"),
        granted("secret", catalog=OTHER_CATALOG, allowed="public")]
    # an LfTag without catalogId lives in the provider's account: an explicit catalogId of it matches
    assert found(run(lf_tag(), tagging(pair("secret", catalogId=ACCOUNT))), LF_VALUES) == [assigned("secret")]


def test_tags_are_matched_in_their_region():
    """The Data Catalog, and its LF-tags, are regional: a tag made in us-east-1 does not judge us-west-2."""
    dr = provider("dr", region="us-west-2")
    dr_ref = f"{dr['urn']}::dr-provider-id"
    in_dr = res(LF_TAGS, "dr-tags", {"lfTags": [pair("secret")], "database": {"name": "db"}}, provider_ref=dr_ref)
    assert found(run(dr, lf_tag(), in_dr), LF_VALUES) == []
    dr_tag = res(LF_TAG, "dr-classification", {"key": "ddp:classification", "values": ["public"]}, provider_ref=dr_ref)
    assert found(run(dr, dr_tag, in_dr), LF_VALUES) == [
        f"ResourceLfTags 'dr-tags' assigns LF-tag 'ddp:classification' (catalog {ACCOUNT} in us-west-2) the value "
        "'secret', which LfTag 'dr-classification' does not define (allowed: public); Lake Formation refuses "
        "AddLFTagsToResource."]


def test_a_wildcard_expression_value_is_not_judged():
    assert found(run(lf_tag(), tag_grant(expression("*"))), LF_VALUES) == []


def test_the_shipped_lf_tags_and_grants_are_accepted():
    """The dev graph's LF-tags, their assignments and the consumer's LF-tag grants, through the rule."""
    from offline.runner import shipped_run
    resources = shipped_run("dev").resources()
    assert [r for r in resources if r["type"] == LF_TAG] and [r for r in resources if r["type"] == LF_TAGS]
    assert [r for r in resources if r["type"] == LF and "lfTagPolicy" in r["inputs"]]
    report = analyze(resources)
    assert found(report, LF_VALUES) == [] and LF_VALUES in report.applicable
    # Not vacuous: without 'internal' on the classification tag, its assignments and the grant are reported.
    narrowed = copy.deepcopy(resources)
    tag = next(r for r in narrowed if r["type"] == LF_TAG and r["inputs"]["key"] == "ddp:classification")
    for props in (tag["inputs"], tag["outputs"]):
        props["values"] = [v for v in props["values"] if v != "internal"]
    msgs = found(analyze(narrowed), LF_VALUES)
    assert msgs and all("the value 'internal'" in m for m in msgs)
    assert {m.split("'")[1] for m in msgs} >= {"orders-orders-tags", "orders-consumer-222222222222-datasets"}


# --- the pack-wide case table --------------------------------------------------------------------

DEPLOYABILITY_CASES = {
    GRANTS: dict(compliant=[key(logs_statement()), log_group()],
                 violating=[key(logs_statement("us-west-2")), log_group()],
                 message="has no Allow statement for logs.us-east-1.amazonaws.com"),
    CONDITIONS: dict(compliant=[key(logs_statement())], violating=[key(logs_statement(**SOURCE_ACCOUNT))],
                     message="uses condition key aws:SourceAccount, which CloudWatch Logs does not document"),
    LF_OPTION: dict(compliant=[res(LF, "tables", TABLE_GRANT)],
                    violating=[res(LF, "tables", changed(TABLE_GRANT, permissionsWithGrantOptions=[]))],
                    message="lacks permissionsWithGrantOptions DESCRIBE, SELECT"),
    REPLICATION_RULE: dict(compliant=replication_stack(), violating=replication_stack(depends=("dst-versioning",)),
                           message="does not depend on 'src-versioning'"),
    REPLICAS: dict(compliant=table_stack(), violating=table_stack(()), message="does not ignore changes to 'replicas'"),
    ACTIONS: dict(compliant=[topic_policy(SNS_LISTED)], violating=[topic_policy(["sns:*"])],
                  message="names action 'sns:*' (a topic policy accepts only"),
    PARLIAMENT: dict(compliant=[role_policy(GOOD_IDENTITY)],
                     violating=[role_policy({**GOOD_IDENTITY, "Action": ["dynamodb:GetItems"]})],
                     message="UNKNOWN_ACTION"),
    IMAGES: dict(compliant=[task(f"public.ecr.aws/nginx/nginx@{DIGEST}")],
                 violating=[repo(), task(f"{REPO_URL}:v1")], message="in repository 'api-repo' that this stack creates"),
    ARTIFACTS: dict(compliant=[res(LAYER, "layer", {"code": f"<FileArchive {deployability.__file__}>"})],
                    violating=[res(LAYER, "layer", {"code": "<FileArchive /nonexistent/ddp-artifact>"})],
                    message="packages code from '/nonexistent/ddp-artifact', which does not exist"),
    ESM_RULE: dict(compliant=esm_stack(), violating=esm_stack(visibility=20),
                   message="has a visibility timeout of 20 s, below function 'writer''s timeout of 30 s"),
    LF_VALUES: dict(compliant=[lf_tag(), tagging(pair("internal")), tag_grant(expression("public"))],
                    violating=[lf_tag(), tagging(pair("secret")), tag_grant(expression("public", "secret"))],
                    message="with the value 'secret', which LfTag 'classification' does not define"),
}


def test_every_deployability_rule_has_a_case_and_is_mandatory():
    names = {p.name for p in deployability.POLICIES}
    assert set(DEPLOYABILITY_CASES) == names
    assert {p.enforcement_level.value for p in deployability.POLICIES} == {"mandatory"}
    assert {p.tags[0] for p in deployability.POLICIES} == {"deployability"}


@pytest.mark.parametrize("name", sorted(DEPLOYABILITY_CASES))
def test_case_table_compliant_and_violating(name):
    case = DEPLOYABILITY_CASES[name]
    good = run(*case["compliant"])
    assert found(good, name) == [] and name in good.applicable
    assert any(case["message"] in m for m in found(run(*case["violating"]), name))


@pytest.mark.parametrize("name", sorted(DEPLOYABILITY_CASES))
def test_routed_check_equals_the_stock_servicer(name):
    """Each rule declares the types it reads; routed and stock runs must agree on its fixtures."""
    for resources in (DEPLOYABILITY_CASES[name]["compliant"], DEPLOYABILITY_CASES[name]["violating"]):
        stack = [provider(), *resources]
        key_ = lambda r: sorted((v.policy, v.urn, v.message) for v in r.violations)  # noqa: E731
        assert key_(analyze(stack)) == key_(analyze(stack, dispatch=False))
