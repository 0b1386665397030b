"""The same requirement written the ways real programs write it: each form as a violating program
and, where the form can comply, its compliant twin. Beyond the per-rule cases in policy_cases.

``FORMS`` is a list of ``Form(id, policy, resources, message, config)``; ``message`` None means
compliant (the policy must report nothing), otherwise a substring of the expected violation;
``config`` is the pack config the form runs with (e.g. a pinned "today").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from policy_cases import (ACL_ARN, ALB_ARN, BUCKET, BUCKET_GOOD, BUCKET_POLICY, CATALOG_DB, CATALOG_TABLE, DATASET_DB,
                          DQ_RULESET, EXPIRY, FORWARD, GRANT, GRANT_GOOD, GRANT_REGISTER, HTTPS_LISTENER, ICEBERG_TABLE,
                          KEY, KEY_GOOD, LB, LB_GOOD, LF_TAGS, LISTENER, LOG_GROUP, LOG_GOOD, MANAGED, OIDC,
                          OWNERSHIP_GOOD, PAB_GOOD, QUEUE, QUEUE_GOOD, RATE, REGISTER_GOOD, REPLICA, ROLE, ROLE_GOOD,
                          RULESET_GOOD, SCOPED, SSE_GOOD, STREAM, STREAM_GOOD, TABLE, TABLE_GOOD, TABLE_TAGS, TLS_ONLY,
                          TODAY_CONFIG, TOPIC, bucket_stack, classify, register_entry)
from policy_fixtures import ACCOUNT, CONSUMER, DELETE, KEY_ARN, changed, doc, res, urn

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel (first preview)
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"


@dataclass(frozen=True)
class Form:
    id: str
    policy: str
    resources: list
    message: Optional[str]
    config: Optional[Mapping[str, Any]] = None


FORMS: list[Form] = []


def violating(id_: str, policy: str, resources: list, message: str, config=None) -> None:
    FORMS.append(Form(id_, policy, resources, message, config))


def compliant(id_: str, policy: str, resources: list, config=None) -> None:
    FORMS.append(Form(id_, policy, resources, None, config))


def twin(id_: str, policy: str, good: list, bad: list, message: str, config=None) -> None:
    compliant(f"{id_}-ok", policy, good, config)
    violating(id_, policy, bad, message, config)


# --- S3: inline on Bucket (v1 block) and BucketV2 (lists), companion V2 tokens, AWS defaults -------
V2 = "aws:s3/bucketV2:BucketV2"
KMS_DEFAULT = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}


def lone_bucket(props: dict, type_: str = BUCKET, name: str = "raw") -> dict:
    return res(type_, name, {**BUCKET_GOOD, **props}, outputs={**BUCKET_GOOD, **props, "arn": "arn:aws:s3:::raw-bucket"})


twin("s3-sse-inline-v1", "s3-bucket-encrypted-with-cmk",
     [lone_bucket({"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": KMS_DEFAULT}}})],
     [lone_bucket({"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {
         "sseAlgorithm": "AES256"}}}})], "uses sseAlgorithm 'AES256'")
twin("s3-sse-inline-v2", "s3-bucket-encrypted-with-cmk",
     [lone_bucket({"serverSideEncryptionConfigurations": [{"rules": [{"applyServerSideEncryptionByDefault":
                                                                      KMS_DEFAULT}]}]}, V2)],
     [lone_bucket({"serverSideEncryptionConfigurations": [{"rules": [{"applyServerSideEncryptionByDefault": {
         "sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}}]}]}, V2)],
     "kmsMasterKeyId is the AWS managed key 'alias/aws/s3'")
violating("s3-sse-omitted-is-sse-s3", "s3-bucket-encrypted-with-cmk", [lone_bucket({})],
          "has no SSE-KMS encryption configuration with a customer managed key (AWS applies SSE-S3)")
violating("s3-sse-kms-without-key", "s3-bucket-encrypted-with-cmk",
          bucket_stack(sse=changed(SSE_GOOD, rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}])),
          "kmsMasterKeyId is not set")
violating("s3-sse-companion-v2-token", "s3-bucket-encrypted-with-cmk",
          [lone_bucket({}), res("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
                                "raw-sse", changed(SSE_GOOD, rules=[{"applyServerSideEncryptionByDefault": {
                                    "sseAlgorithm": "AES256"}}]))], "uses sseAlgorithm 'AES256'")
compliant("s3-sse-companion-wins-over-echoed-default", "s3-bucket-encrypted-with-cmk",
          [lone_bucket({"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {
              "sseAlgorithm": "AES256"}}}}), res("aws:s3/bucketServerSideEncryptionConfiguration:"
                                                 "BucketServerSideEncryptionConfiguration", "raw-sse", SSE_GOOD)])
violating("s3-sse-companion-for-outside-bucket", "s3-bucket-encrypted-with-cmk",
          [res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "ext-sse",
               changed(SSE_GOOD, bucket="bucket-of-another-stack", rules=[{"applyServerSideEncryptionByDefault": {
                   "sseAlgorithm": "AES256"}}]))], "Bucket 'bucket-of-another-stack' (ext-sse)")
twin("s3-versioning-inline-v1", "s3-bucket-versioning-enabled",
     [lone_bucket({"versioning": {"enabled": True}})], [lone_bucket({"versioning": {"enabled": False}})],
     "inline versioning.enabled is not true")
twin("s3-versioning-inline-v2", "s3-bucket-versioning-enabled",
     [lone_bucket({"versionings": [{"enabled": True}]}, V2)], [lone_bucket({"versionings": [{"enabled": False}]}, V2)],
     "inline versioning.enabled is not true")
violating("s3-versioning-omitted", "s3-bucket-versioning-enabled", [lone_bucket({})],
          "has no versioning enabled (AWS default: unversioned)")
twin("s3-versioning-companion-v2-token", "s3-bucket-versioning-enabled",
     [lone_bucket({}), res("aws:s3/bucketVersioningV2:BucketVersioningV2", "raw-v",
                           {"bucket": "raw-bucket", "versioningConfiguration": {"status": "Enabled"}})],
     [lone_bucket({}), res("aws:s3/bucketVersioningV2:BucketVersioningV2", "raw-v",
                           {"bucket": "raw-bucket", "versioningConfiguration": {"status": "Suspended"}})],
     "versioning status is 'Suspended'")
violating("s3-pab-omitted-flag-is-false", "s3-bucket-public-access-block-all-enabled",
          bucket_stack(pab=changed(PAB_GOOD, ignorePublicAcls=DELETE)), "must set ignorePublicAcls to true")
violating("s3-pab-missing", "s3-bucket-public-access-block-all-enabled", bucket_stack(pab=None),
          "has no public access block")
twin("s3-policy-inline-tls", "s3-bucket-policy-denies-insecure-transport",
     [lone_bucket({"policy": doc(TLS_ONLY)})], [lone_bucket({"policy": doc({**TLS_ONLY, "Effect": "Allow",
                                                                             "Sid": "NotADeny"})})],
     "must deny s3:* to Principal '*'")
violating("s3-policy-missing", "s3-bucket-policy-denies-insecure-transport", [lone_bucket({})],
          "has no bucket policy denying aws:SecureTransport=false")
twin("s3-policy-inline-public", "s3-bucket-policy-not-public",
     [lone_bucket({"policy": doc(TLS_ONLY)})],
     [lone_bucket({"policy": doc(TLS_ONLY, {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"},
                                            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::raw-bucket/*"})})],
     "'Open' allows Principal '*' without a Condition")
READ_ALL = {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::raw-bucket/*"}
twin("s3-policy-condition-org-vs-tls-only", "s3-bucket-policy-not-public",
     [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
         "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})})],
     [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
         "Bool": {"aws:SecureTransport": "true"}}})})],
     "under conditions that do not restrict who")
violating("s3-policy-condition-ifexists", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
              "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}})})], "do not restrict who")
violating("s3-policy-condition-negated", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
              "StringNotEquals": {"aws:SourceAccount": "999999999999"}}})})], "do not restrict who")
violating("s3-policy-condition-wildcard-value", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
              "StringLike": {"aws:PrincipalOrgID": "*"}}})})], "do not restrict who")
violating("s3-policy-condition-open-ip", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
              "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}})})], "do not restrict who")
compliant("s3-policy-condition-vpce", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({**READ_ALL, "Condition": {
              "StringEquals": {"aws:SourceVpce": "vpce-0abc"}}})})])
violating("s3-policy-notprincipal", "s3-bucket-policy-not-public",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({
              "Sid": "AllButMe", "Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
              "Action": "s3:GetObject", "Resource": "arn:aws:s3:::raw-bucket/*"})})], "NotPrincipal")
violating("s3-policy-cross-account-wildcard-admin", "s3-bucket-policy-no-admin-grants-to-other-accounts",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({
              "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": CONSUMER}, "Action": "s3:Put*",
              "Resource": "arn:aws:s3:::raw-bucket"})})], "s3:PutBucketAcl")
compliant("s3-policy-own-account-admin", "s3-bucket-policy-no-admin-grants-to-other-accounts",
          [res(BUCKET_POLICY, "p", {"bucket": "raw-bucket", "policy": doc({
              "Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
              "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::raw-bucket"})})])
twin("s3-acl-inline", "s3-bucket-acls-disabled",
     bucket_stack(), [*bucket_stack()[1:], lone_bucket({"acl": "public-read"})], "sets an inline acl/grants")
twin("s3-acl-v2-resource", "s3-bucket-acls-disabled",
     [*bucket_stack(), res("aws:s3/bucketAclV2:BucketAclV2", "raw-acl", {"bucket": "raw-bucket", "acl": "private"})],
     [*bucket_stack(), res("aws:s3/bucketAclV2:BucketAclV2", "raw-acl", {"bucket": "raw-bucket",
                                                                          "acl": "public-read"})],
     "'raw-acl' grants access through an ACL")
violating("s3-ownership-missing", "s3-bucket-acls-disabled", bucket_stack(ownership=None),
          "has no ownership controls with BucketOwnerEnforced")
twin("s3-lifecycle-inline", "s3-bucket-lifecycle-configured",
     [lone_bucket({"lifecycleRules": [{"enabled": True, "id": "expire"}]})],
     [lone_bucket({"lifecycleRules": [{"enabled": False, "id": "expire"}]})], "no inline lifecycle rule is enabled")
twin("s3-logging-inline", "s3-bucket-access-logging-enabled",
     [lone_bucket({"logging": {"targetBucket": "logs-bucket"}})], [lone_bucket({})], "has no server access logging")
REPLICATION_INLINE = {"role": "arn:role", "rules": [{"id": "dr", "status": "Enabled", "destination": {
    "bucket": "arn:aws:s3:::dr", "replicaKmsKeyId": KEY_ARN},
    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"enabled": True}}}]}
twin("s3-replication-inline", "s3-bucket-replication-encrypted",
     [lone_bucket({"replicationConfiguration": REPLICATION_INLINE})],
     [lone_bucket({"replicationConfiguration": {**REPLICATION_INLINE, "rules": [{
         **REPLICATION_INLINE["rules"][0], "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"enabled": False}}}]}})],
     "must replicate SSE-KMS encrypted objects")

# --- KMS keys, key policies, queues, topics, streams, logs: AWS managed aliases, separate policies --
twin("kms-keypolicy-resource-public", "kms-key-policy-not-public",
     [res("aws:kms/keyPolicy:KeyPolicy", "kp", {"keyId": KEY_ARN, "policy": doc({
         "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}})})],
     [res("aws:kms/keyPolicy:KeyPolicy", "kp", {"keyId": KEY_ARN, "policy": doc({
         "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})})],
     "'Everyone' allows Principal '*' without a Condition")
violating("kms-rotation-omitted", "kms-key-rotation-enabled", [res(KEY, "k", changed(KEY_GOOD, enableKeyRotation=DELETE))],
          "must set enableKeyRotation")
twin("sqs-aws-managed-alias", "sqs-queue-encrypted-with-cmk",
     [res(QUEUE, "q", QUEUE_GOOD)], [res(QUEUE, "q", changed(QUEUE_GOOD, kmsMasterKeyId="alias/aws/sqs"))],
     "is the AWS managed key 'alias/aws/sqs'")
compliant("sqs-omitted-is-sse-sqs", "sqs-queue-encrypted", [res(QUEUE, "q", {})])
violating("sqs-omitted-is-not-a-cmk", "sqs-queue-encrypted-with-cmk", [res(QUEUE, "q", {})], "kmsMasterKeyId is not set")
twin("sqs-queue-policy-resource", "sqs-queue-policy-not-public",
     [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": "https://q", "policy": doc({
         "Sid": "Bus", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"}}})})],
     [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": "https://q", "policy": doc({
         "Sid": "Bus", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"ArnEqualsIfExists": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"}}})})],
     "do not restrict who")
violating("sns-aws-managed-alias-arn", "sns-topic-encrypted-with-cmk",
          [res(TOPIC, "t", {"kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sns"})], "AWS managed key")
violating("sns-topic-inline-policy-public", "sns-topic-policy-not-public",
          [res(TOPIC, "t", {"kmsMasterKeyId": KEY_ARN, "policy": doc({
              "Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish", "Resource": "*"})})],
          "'Open' allows Principal '*'")
twin("kinesis-aws-managed-alias", "kinesis-stream-encrypted-with-kms",
     [res(STREAM, "s", STREAM_GOOD)], [res(STREAM, "s", changed(STREAM_GOOD, kmsKeyId="alias/aws/kinesis"))],
     "AWS managed key 'alias/aws/kinesis'")
violating("kinesis-omitted-is-none", "kinesis-stream-encrypted-with-kms",
          [res(STREAM, "s", changed(STREAM_GOOD, encryptionType=DELETE, kmsKeyId=DELETE))], "encryptionType is 'NONE'")
violating("logs-aws-managed-alias", "cloudwatch-log-group-encrypted-with-cmk",
          [res(LOG_GROUP, "lg", changed(LOG_GOOD, kmsKeyId="alias/aws/logs"))], "AWS managed key")
violating("bus-aws-managed-alias", "eventbridge-bus-encrypted-with-cmk",
          [res("aws:cloudwatch/eventBus:EventBus", "b", {"name": "b", "kmsKeyIdentifier": "alias/aws/events"})],
          "AWS managed key")
violating("dynamodb-aws-managed-alias", "dynamodb-table-encrypted-with-cmk",
          [res(TABLE, "t", changed(TABLE_GOOD, serverSideEncryption={
              "enabled": True, "kmsKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/dynamodb"}))], "AWS managed key")

# --- DynamoDB replicas: inline and TableReplica ------------------------------------------------------
REPLICA_RES = "aws:dynamodb/tableReplica:TableReplica"
REPLICA_GOOD = {"globalTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
                "kmsKeyArn": REPLICA["kmsKeyArn"], "pointInTimeRecovery": True, "deletionProtectionEnabled": True}
for policy, prop, message in [("dynamodb-table-pitr-enabled", "pointInTimeRecovery", "must set pointInTimeRecovery"),
                              ("dynamodb-table-deletion-protection-enabled", "deletionProtectionEnabled",
                               "must set deletionProtectionEnabled"),
                              ("dynamodb-table-encrypted-with-cmk", "kmsKeyArn", "kmsKeyArn is not set")]:
    twin(f"{policy}-table-replica-resource", policy, [res(REPLICA_RES, "r", REPLICA_GOOD)],
         [res(REPLICA_RES, "r", changed(REPLICA_GOOD, **{prop: DELETE}))], message)
    violating(f"{policy}-inline-replica", policy,
              [res(TABLE, "t", changed(TABLE_GOOD, replicas=[changed(REPLICA, **{prop: DELETE})]))], message)

# --- Lambda: function URLs, permissions ------------------------------------------------------------
URL = "aws:lambda/functionUrl:FunctionUrl"
twin("lambda-function-url", "lambda-permission-not-public",
     [res(URL, "u", {"functionName": "f", "authorizationType": "AWS_IAM"})],
     [res(URL, "u", {"functionName": "f", "authorizationType": "NONE"})], "authorizationType NONE")
violating("lambda-url-permission", "lambda-permission-not-public",
          [res("aws:lambda/permission:Permission", "p", {"action": "lambda:InvokeFunctionUrl", "function": "f",
                                                         "principal": "*", "functionUrlAuthType": "NONE"})],
          "functionUrlAuthType NONE")
compliant("lambda-star-with-org", "lambda-permission-not-public",
          [res("aws:lambda/permission:Permission", "p", {"action": "lambda:InvokeFunction", "function": "f",
                                                         "principal": "*", "principalOrgId": "o-abc123"})])

# --- IAM: NotAction, NotResource, wildcards, managed attachments, KMS.1/KMS.2 -----------------------
POLICY = "aws:iam/policy:Policy"
twin("iam-notaction-admin", "iam-policy-no-admin-wildcard",
     [res(POLICY, "p", {"policy": doc({"Sid": "NoIam", "Effect": "Allow", "NotAction": "iam:*",
                                       "Resource": "arn:aws:s3:::raw-bucket/*"})})],
     [res(POLICY, "p", {"policy": doc({"Sid": "NoIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})],
     "allows every action except iam:* on every resource")
violating("iam-notresource-admin", "iam-policy-no-admin-wildcard",
          [res(POLICY, "p", {"policy": doc({"Sid": "All", "Effect": "Allow", "Action": "*",
                                            "NotResource": "arn:aws:s3:::audit/*"})})], "NotResource")
compliant("iam-deny-star", "iam-policy-no-admin-wildcard",
          [res(POLICY, "p", {"policy": doc(SCOPED, {"Sid": "Guard", "Effect": "Deny", "Action": "*", "Resource": "*",
                                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}})})])
twin("iam-service-wildcard-scoped-resource", "iam-policy-no-service-wildcard-actions",
     [res(ROLE, "r", ROLE_GOOD)],
     [res(ROLE, "r", changed(ROLE_GOOD, inlinePolicies=[{"name": "ods", "policy": doc({
         "Sid": "Ddb", "Effect": "Allow", "Action": "dynamodb:*",
         "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"})}]))], "allows dynamodb:*")
twin("iam-kms1-wildcard-action", "iam-managed-policy-no-decrypt-on-all-keys",
     [res(POLICY, "p", {"policy": doc({"Sid": "Keys", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN})})],
     [res(POLICY, "p", {"policy": doc({"Sid": "Keys", "Effect": "Allow", "Action": "kms:*", "Resource": "*"})})],
     "allows kms:Decrypt, kms:ReEncryptFrom on every KMS key")
violating("iam-kms1-key-pattern", "iam-managed-policy-no-decrypt-on-all-keys",
          [res(POLICY, "p", {"policy": doc({"Sid": "Keys", "Effect": "Allow", "Action": "kms:ReEncrypt*",
                                            "Resource": "arn:aws:kms:*:111111111111:key/*"})})],
          "allows kms:ReEncryptFrom on every KMS key")
violating("iam-kms2-role-inline", "iam-inline-policy-no-decrypt-on-all-keys",
          [res(ROLE, "r", changed(ROLE_GOOD, inlinePolicies=[{"name": "kms", "policy": doc({
              "Sid": "Dec", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["*"]})}]))],
          "inline policy 'kms' statement 'Dec' allows kms:Decrypt")
compliant("iam-kms2-managed-is-kms1", "iam-inline-policy-no-decrypt-on-all-keys",
          [res(POLICY, "p", {"policy": doc({"Sid": "Keys", "Effect": "Allow", "Action": "kms:Decrypt",
                                            "Resource": "*"})})])
violating("iam-role-managed-policy-arns", "iam-no-broad-aws-managed-policy-attachments",
          [res(ROLE, "r", changed(ROLE_GOOD, managedPolicyArns=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]))],
          "'AmazonS3FullAccess'")
twin("iam-policy-attachment-power-user", "iam-no-broad-aws-managed-policy-attachments",
     [res("aws:iam/policyAttachment:PolicyAttachment", "a", {"roles": ["app"], "policyArn":
                                                             "arn:aws:iam::aws:policy/ReadOnlyAccess"})],
     [res("aws:iam/policyAttachment:PolicyAttachment", "a", {"roles": ["app"], "policyArn":
                                                             "arn:aws:iam::aws:policy/PowerUserAccess"})],
     "'PowerUserAccess'")
twin("iam-policy-attachment-users", "iam-users-have-no-policies",
     [res("aws:iam/policyAttachment:PolicyAttachment", "a", {"roles": ["app"], "policyArn": "arn:p"})],
     [res("aws:iam/policyAttachment:PolicyAttachment", "a", {"users": ["alice"], "policyArn": "arn:p"})],
     "Grants permissions directly to IAM users")
violating("iam-trust-notprincipal", "iam-role-trust-not-public",
          [res(ROLE, "r", changed(ROLE_GOOD, assumeRolePolicy=doc({
              "Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})))],
          "lets any principal assume the role")

# --- EventBridge: bus policies and permissions -------------------------------------------------------
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
PERMISSION = "aws:cloudwatch/eventPermission:EventPermission"
PUT = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": CONSUMER}, "Action": "events:*",
       "Resource": "arn:aws:events:us-east-1:111111111111:event-bus/orders"}
twin("bus-policy-events-star-needs-source", "eventbridge-bus-policy-restricts-sources-for-other-accounts",
     [res(BUS_POLICY, "bp", {"eventBusName": "orders", "policy": doc({**PUT, "Condition": {
         "StringEquals": {"events:source": "retail.pos"}}})})],
     [res(BUS_POLICY, "bp", {"eventBusName": "orders", "policy": doc({**PUT, "Condition": {
         "StringEquals": {"events:detail-type": "Order"}}})})], "lets 222222222222 put events of any source")
violating("bus-org-wide-without-source", "eventbridge-bus-policy-restricts-sources-for-other-accounts",
          [res(BUS_POLICY, "bp", {"eventBusName": "orders", "policy": doc({
              **PUT, "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})})],
          "lets every principal put events of any source")
compliant("bus-own-account", "eventbridge-bus-policy-restricts-sources-for-other-accounts",
          [res(BUS_POLICY, "bp", {"eventBusName": "orders", "policy": doc({**PUT, "Principal": {"AWS": ACCOUNT}})})])
twin("bus-event-permission-other-account", "eventbridge-bus-policy-restricts-sources-for-other-accounts",
     [res(PERMISSION, "ep", {"principal": ACCOUNT, "statementId": "self"})],
     [res(PERMISSION, "ep", {"principal": CONSUMER, "statementId": "partner"})], "cannot restrict events:source")
twin("bus-event-permission-public", "eventbridge-bus-policy-not-public",
     [res(PERMISSION, "ep", {"principal": "*", "statementId": "org", "condition": {
         "key": "aws:PrincipalOrgID", "type": "StringEquals", "value": "o-abc123"}})],
     [res(PERMISSION, "ep", {"principal": "*", "statementId": "all"})], "principal '*' without an aws:PrincipalOrgID")

# --- ECR repository policies ---------------------------------------------------------------------------
violating("ecr-policy-notprincipal", "ecr-repository-policy-not-public",
          [res("aws:ecr/repositoryPolicy:RepositoryPolicy", "rp", {"repository": "app", "policy": doc({
              "Sid": "Pull", "Effect": "Allow", "NotPrincipal": {"AWS": CONSUMER}, "Action": "ecr:BatchGetImage"})})],
          "NotPrincipal")

# --- Security groups: inline, SecurityGroupRule, vpc rule ---------------------------------------------
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
twin("sg-inline-ssh", "ec2-no-public-ingress-except-https",
     [res(SG, "web", {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]})],
     [res(SG, "web", {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                                  {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]})],
     "ports 22-22")
twin("sg-rule-resource", "ec2-no-public-ingress-except-https",
     [res(SG_RULE, "r", {"type": "ingress", "protocol": "TCP", "fromPort": 443, "toPort": 443,
                         "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg-1"})],
     [res(SG_RULE, "r", {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0,
                         "ipv6CidrBlocks": ["::/0"], "securityGroupId": "sg-1"})], "protocol -1")
violating("vpc-ingress-rule-all-protocols", "ec2-no-public-ingress-except-https",
          [res(INGRESS, "r", {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "ipProtocol": "-1"})], "protocol -1")

# --- Load balancers: aws:lb and aws:alb tokens, internal default, listener rules, WAF ----------------
ALB_LB, ALB_LISTENER, ALB_RULE = ("aws:alb/loadBalancer:LoadBalancer", "aws:alb/listener:Listener",
                                  "aws:alb/listenerRule:ListenerRule")
LB_RULE = "aws:lb/listenerRule:ListenerRule"


def edge(lb_type=LB, listener_type=LISTENER, lb_props=None, actions=None) -> list:
    props = changed(LB_GOOD, **(lb_props or {}))
    return [res(lb_type, "alb", props, outputs={**props, "arn": ALB_ARN}),
            res(listener_type, "https", changed(HTTPS_LISTENER, loadBalancerArn=ALB_ARN,
                                                 defaultActions=actions or [OIDC, FORWARD]),
                outputs={**changed(HTTPS_LISTENER, loadBalancerArn=ALB_ARN, defaultActions=actions or [OIDC, FORWARD]),
                         "arn": f"{ALB_ARN}/listener"})]


AUTH = "elb-internet-facing-alb-authenticates-before-forward"
twin("alb-token-forward", AUTH, edge(ALB_LB, ALB_LISTENER), edge(ALB_LB, ALB_LISTENER, actions=[FORWARD]),
     "forwards without authenticating first")
violating("alb-internal-omitted", AUTH, edge(lb_props={"internal": DELETE}, actions=[FORWARD]),
          "forwards without authenticating first")
compliant("alb-internal", AUTH, edge(lb_props={"internal": True}, actions=[FORWARD]))
violating("alb-auth-after-forward", AUTH, edge(actions=[{**FORWARD, "order": 1}, {**OIDC, "order": 2}]),
          "forwards without authenticating first")
compliant("alb-cognito", AUTH, edge(actions=[{"type": "authenticate-cognito", "order": 1, "authenticateCognito": {
    "userPoolArn": "arn:pool", "userPoolClientId": "c", "userPoolDomain": "d"}}, FORWARD]))
twin("alb-listener-rule", AUTH,
     [*edge(), res(LB_RULE, "api", {"listenerArn": f"{ALB_ARN}/listener", "priority": 10, "actions": [OIDC, FORWARD],
                                    "conditions": [{"pathPattern": {"values": ["/api/*"]}}]})],
     [*edge(), res(LB_RULE, "api", {"listenerArn": f"{ALB_ARN}/listener", "priority": 10, "actions": [FORWARD],
                                    "conditions": [{"pathPattern": {"values": ["/api/*"]}}]})],
     "Listener rule 'api' on 'https'")
violating("alb-token-listener-rule", AUTH,
          [*edge(ALB_LB, ALB_LISTENER), res(ALB_RULE, "api", {"listenerArn": f"{ALB_ARN}/listener", "priority": 10,
                                                                "actions": [FORWARD]})], "Listener rule 'api'")
WAF = "elb-internet-facing-alb-has-waf"
_acl_props = {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "rules": MANAGED + [RATE], "visibilityConfig": {}}


def waf(rules) -> list:
    acl = {**_acl_props, "rules": rules}
    return [res("aws:wafv2/webAcl:WebAcl", "api", acl, outputs={**acl, "arn": ACL_ARN}),
            res("aws:wafv2/webAclAssociation:WebAclAssociation", "api", {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN})]


twin("alb-waf-alb-token", WAF, [*edge(ALB_LB, ALB_LISTENER)[:1], *waf(MANAGED + [RATE])],
     edge(ALB_LB, ALB_LISTENER)[:1], "has no WAFv2 web ACL association")
violating("alb-waf-missing-known-bad-inputs", WAF, [*edge()[:1], *waf([MANAGED[0], MANAGED[2], RATE])],
          "lacks AWSManagedRulesKnownBadInputsRuleSet")
compliant("alb-waf-internal-needs-none", WAF, edge(lb_props={"internal": True})[:1])
_json_acl = {**_acl_props, "rules": [], "ruleJson": json.dumps([
    {"Name": g, "Priority": i, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": g}}}
    for i, g in enumerate(("AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"))]
    + [{"Name": "rate", "Priority": 9, "Statement": {"RateBasedStatement": {"Limit": 2000}}}])}
violating("alb-waf-rule-json", WAF, [*edge()[:1], res("aws:wafv2/webAcl:WebAcl", "api", _json_acl,
                                                      outputs={**_json_acl, "arn": ACL_ARN}), waf([])[1]],
          "lacks AWSManagedRulesCommonRuleSet")
twin("alb-token-drop-headers", "elb-alb-drops-invalid-headers", edge(ALB_LB)[:1],
     edge(ALB_LB, lb_props={"dropInvalidHeaderFields": DELETE})[:1], "dropInvalidHeaderFields to true")
violating("listener-https-default-ssl-policy", "elb-listener-tls-only",
          [res(ALB_LISTENER, "https", changed(HTTPS_LISTENER, sslPolicy=DELETE))], "ELBSecurityPolicy-2016-08")

# --- DAX: omitted endpoint encryption is NONE -----------------------------------------------------------
violating("dax-endpoint-omitted", "dax-cluster-endpoint-tls",
          [res("aws:dax/cluster:Cluster", "d", {"nodeType": "dax.r5.large", "replicationFactor": 3,
                                                 "serverSideEncryption": {"enabled": True}})], "encryption is 'NONE'")

# --- Lake Formation sharing: every form of a table wildcard; LF-tag expressions share instead ----------
WILDCARD = "lakeformation-permissions-no-table-wildcard"
LF_TAG_POLICY = {"resourceType": "TABLE", "expressions": [{"key": "ddp:product", "values": ["orders"]},
                                                          {"key": "ddp:classification", "values": ["internal"]}]}


def grant(**resource) -> list:
    """A consumer grant on one Lake Formation resource (table=..., tableWithColumns=..., lfTagPolicy=...)."""
    return [res(GRANT, "consumer", {**{k: v for k, v in GRANT_GOOD.items() if k != "table"}, **resource})]


twin("lf-grant-table-wildcard-vs-lf-tag-policy", WILDCARD, grant(lfTagPolicy=LF_TAG_POLICY),
     grant(table={"databaseName": DATASET_DB, "wildcard": True}), "Grant uses a table wildcard (table.wildcard)")
# pulumi-aws: tableWithColumns.wildcard is a column wildcard on the named table; ALL_TABLES is every table
twin("lf-grant-columns-on-all-tables", WILDCARD,
     grant(tableWithColumns={"databaseName": DATASET_DB, "name": "orders", "wildcard": True}),
     grant(tableWithColumns={"databaseName": DATASET_DB, "name": "ALL_TABLES", "wildcard": True}),
     "table wildcard (tableWithColumns.wildcard on ALL_TABLES)")
violating("lf-grant-column-wildcard-api-shape-on-all-tables", WILDCARD,
          grant(tableWithColumns={"databaseName": DATASET_DB, "name": "ALL_TABLES",
                                  "columnWildcard": {"excludedColumnNames": ["email"]}}),
          "table wildcard (tableWithColumns.columnWildcard on ALL_TABLES)")
violating("lf-grant-table-named-all-tables", WILDCARD, grant(table={"databaseName": DATASET_DB, "name": "ALL_TABLES"}),
          "table wildcard (table.name 'ALL_TABLES')")
# an unknown database name (wired from the catalog database) does not hide the wildcard
twin("lf-grant-wildcard-unknown-database", WILDCARD,
     grant(table={"databaseName": UNKNOWN, "name": UNKNOWN}), grant(table={"databaseName": UNKNOWN, "wildcard": True}),
     "Grant uses a table wildcard (table.wildcard)")

# --- Grant register: expiry against a pinned "today" (2025-06-01) -----------------------------------------


def entry(name: str = "orders-grant", **tags) -> list:
    return [res(GRANT_REGISTER, name, register_entry(**tags))]


twin("grant-register-last-valid-day", EXPIRY, entry(), entry(**{"ddp:grant-expires": "2025-05-31"}),
     "expired on 2025-05-31 (its last valid day; today is 2025-06-01 UTC)", TODAY_CONFIG)
twin("grant-register-malformed-expiry", EXPIRY, entry(**{"ddp:grant-expires": "2030-12-31"}),
     entry(**{"ddp:grant-expires": "31/12/2030"}), "ddp:grant-expires '31/12/2030' is not a day YYYY-MM-DD",
     TODAY_CONFIG)
violating("grant-register-impossible-day", EXPIRY, entry(**{"ddp:grant-expires": "2025-02-30"}),
          "'2025-02-30' is not a day YYYY-MM-DD", TODAY_CONFIG)
# unknown values: an unknown expiry is judged at update; an unknown account still names the expired grant
twin("grant-register-unknown-account", EXPIRY, entry(**{"ddp:grant-expires": UNKNOWN}),
     entry(**{"ddp:grant-account": UNKNOWN, "ddp:grant-expires": "2024-12-31"}),
     "Grant to account (known after apply) on data product orders expired on 2024-12-31", TODAY_CONFIG)
compliant("ssm-parameter-outside-the-register", EXPIRY,
          [res(GRANT_REGISTER, "setting", changed(REGISTER_GOOD, tags={"ddp:data-product": "orders"}))], TODAY_CONFIG)

# --- Sensitive Iceberg datasets: classification by table, columns or database; the highest wins ------------
QUALITY = "glue-sensitive-dataset-has-quality-ruleset"
DB_URN, TABLE_URN = urn(CATALOG_DB, "orders-db"), urn(CATALOG_TABLE, "orders")


def dataset(*tags: dict, table: Optional[dict] = None, ruleset: Optional[dict] = RULESET_GOOD) -> list:
    out = [res(CATALOG_DB, "orders-db", {"name": DATASET_DB}), res(CATALOG_TABLE, "orders", table or ICEBERG_TABLE),
           *tags]
    return out + ([res(DQ_RULESET, "orders-quality", ruleset)] if ruleset is not None else [])


ON_DATABASE = {"database": {"name": DATASET_DB}}
twin("iceberg-restricted-by-database-tag", QUALITY, dataset(classify("db-tags", "restricted", **ON_DATABASE)),
     dataset(classify("db-tags", "restricted", **ON_DATABASE), ruleset=None),
     "is classified 'restricted' (ddp:classification from ResourceLfTags 'db-tags')")
twin("iceberg-confidential-columns", QUALITY,
     dataset(classify("pii-columns", "confidential", tableWithColumns={
         "databaseName": DATASET_DB, "name": "orders", "columnNames": ["email"]})),
     dataset(classify("pii-columns", "confidential", tableWithColumns={
         "databaseName": DATASET_DB, "name": "orders", "columnNames": ["email"]}), ruleset=None),
     "is classified 'confidential'")
violating("iceberg-highest-classification-wins", QUALITY,
          dataset(classify("db-tags", "internal", **ON_DATABASE), classify("orders-tags", "restricted", **TABLE_TAGS),
                  ruleset=None), "is classified 'restricted' (ddp:classification from ResourceLfTags 'orders-tags')")
violating("iceberg-every-table-tag", QUALITY,
          dataset(classify("all-tables", "confidential", table={"databaseName": DATASET_DB, "wildcard": True}),
                  ruleset=None), "ResourceLfTags 'all-tables'")
twin("iceberg-ruleset-on-another-table", QUALITY, dataset(classify("orders-tags", "restricted", **TABLE_TAGS)),
     dataset(classify("orders-tags", "restricted", **TABLE_TAGS),
             ruleset=changed(RULESET_GOOD, targetTable={"databaseName": DATASET_DB, "tableName": "customers"})),
     "no Glue Data Quality ruleset targets it")
violating("iceberg-tag-on-another-database", QUALITY,
          dataset(classify("orders-tags", "restricted", **TABLE_TAGS),
                  ruleset=changed(RULESET_GOOD, targetTable={"databaseName": "retail_dev_customers",
                                                             "tableName": "orders"})),
          "no Glue Data Quality ruleset targets it")
compliant("iceberg-internal-needs-no-ruleset", QUALITY,
          dataset(classify("orders-tags", "internal", **TABLE_TAGS), ruleset=None))
compliant("iceberg-unclassified-needs-no-ruleset", QUALITY, dataset(ruleset=None))
compliant("hive-table-is-not-a-declared-dataset", QUALITY,
          dataset(classify("orders-tags", "restricted", **TABLE_TAGS), ruleset=None,
                  table=changed(ICEBERG_TABLE, openTableFormatInput=DELETE, tableType="EXTERNAL_TABLE")))
violating("iceberg-by-table-type-parameter", QUALITY,
          dataset(classify("orders-tags", "restricted", **TABLE_TAGS), ruleset=None,
                  table=changed(ICEBERG_TABLE, openTableFormatInput=DELETE, tableType="EXTERNAL_TABLE",
                                parameters={"table_type": "ICEBERG"})), "is classified 'restricted'")
# unknown names (first preview): matched through the catalog resources they are wired from
_wired_db = res(CATALOG_DB, "orders-db", {"name": UNKNOWN})
_wired_table = res(CATALOG_TABLE, "orders", changed(ICEBERG_TABLE, databaseName=UNKNOWN),
                   property_dependencies={"databaseName": [DB_URN]})
_wired_tags = res(LF_TAGS, "db-tags", {
    "lfTags": [{"key": "ddp:classification", "value": "restricted"}], "database": {"name": UNKNOWN}},
    property_dependencies={"database": [DB_URN]})
_wired_ruleset = res(DQ_RULESET, "orders-quality", changed(RULESET_GOOD, targetTable={
    "databaseName": UNKNOWN, "tableName": UNKNOWN}), property_dependencies={"targetTable": [DB_URN, TABLE_URN]})
twin("iceberg-unknown-names-wired", QUALITY, [_wired_db, _wired_table, _wired_tags, _wired_ruleset],
     [_wired_db, _wired_table, _wired_tags], "Iceberg table '(known after apply).orders' ('orders') is classified "
                                             "'restricted'")
# nothing ties an unknown tag target to the table: judged at update, never a preview advisory
compliant("iceberg-undecidable-tag-target", QUALITY,
          [_wired_db, _wired_table, res(LF_TAGS, "db-tags", {
              "lfTags": [{"key": "ddp:classification", "value": "restricted"}], "database": {"name": UNKNOWN}})])
# a ruleset whose target is unknown and wired from nothing in the stack may target the table: judged at update
compliant("iceberg-ruleset-target-undecidable", QUALITY,
          dataset(classify("orders-tags", "restricted", **TABLE_TAGS),
                  ruleset=changed(RULESET_GOOD, targetTable={"databaseName": UNKNOWN, "tableName": UNKNOWN})))
compliant("iceberg-unknown-format", QUALITY,
          dataset(classify("orders-tags", "restricted", **TABLE_TAGS), ruleset=None,
                  table=changed(ICEBERG_TABLE, openTableFormatInput=UNKNOWN)))
