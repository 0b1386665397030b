"""Every rule's enforcement level and control id, pinned here by hand: regenerating the README
cannot hide a downgrade (mandatory -> advisory) or a relabelled control. A change to a level is a
change to this table, reviewed as such.

FSBP ids are only the controls in AWS's published FSBP list; other Security Hub ids (CIS/NIST
controls, or controls that list does not show) are labelled "Security Hub", never FSBP."""
import re
from pathlib import Path

import pytest

from policies.gen_docs import control_label
from policies.pack import ALL_POLICIES

README = Path(__file__).resolve().parents[2] / "policies" / "README.md"

EXPECTED = {
    "s3-bucket-public-access-block-all-enabled": ("mandatory", "FSBP S3.8"),
    "s3-bucket-encrypted-with-cmk": ("mandatory", "Security Hub S3.17"),
    "s3-bucket-versioning-enabled": ("mandatory", "Security Hub S3.14"),
    "s3-bucket-acls-disabled": ("mandatory", "FSBP S3.12"),
    "s3-bucket-lifecycle-configured": ("advisory", "FSBP S3.13"),
    "s3-bucket-access-logging-enabled": ("advisory", "FSBP S3.9"),
    "s3-bucket-policy-denies-insecure-transport": ("mandatory", "FSBP S3.5"),
    "s3-bucket-policy-not-public": ("mandatory", "FSBP S3.2"),
    "s3-bucket-policy-no-admin-grants-to-other-accounts": ("mandatory", "FSBP S3.6"),
    "s3-bucket-replication-encrypted": ("mandatory", "-"),
    "kms-key-rotation-enabled": ("mandatory", "Security Hub KMS.4"),
    "kms-key-deletion-window-minimum": ("mandatory", "-"),
    "kms-key-deletion-window-recommended": ("advisory", "-"),
    "kms-key-policy-not-public": ("mandatory", "-"),
    "dynamodb-table-pitr-enabled": ("mandatory", "FSBP DynamoDB.2"),
    "dynamodb-table-encrypted-with-cmk": ("mandatory", "-"),
    "dynamodb-table-deletion-protection-enabled": ("mandatory", "Security Hub DynamoDB.6"),
    "dynamodb-table-scales-with-demand": ("mandatory", "FSBP DynamoDB.1"),
    "dax-cluster-encrypted-at-rest": ("mandatory", "FSBP DynamoDB.3"),
    "dax-cluster-endpoint-tls": ("mandatory", "Security Hub DynamoDB.7"),
    "dax-cluster-three-nodes": ("mandatory", "-"),
    "kinesis-stream-encrypted-with-kms": ("mandatory", "FSBP Kinesis.1"),
    "kinesis-stream-retention-7-days": ("advisory", "-"),
    "firehose-delivery-stream-encrypted": ("mandatory", "-"),
    "sqs-queue-encrypted": ("mandatory", "FSBP SQS.1"),
    "sqs-queue-encrypted-with-cmk": ("mandatory", "-"),
    "sqs-queue-policy-not-public": ("mandatory", "-"),
    "sns-topic-encrypted-with-cmk": ("mandatory", "FSBP SNS.1"),
    "sns-topic-policy-not-public": ("mandatory", "-"),
    "eventbridge-bus-policy-not-public": ("mandatory", "-"),
    "eventbridge-bus-policy-restricts-sources-for-other-accounts": ("mandatory", "-"),
    "eventbridge-target-has-dead-letter-queue": ("advisory", "-"),
    "eventbridge-bus-encrypted-with-cmk": ("mandatory", "-"),
    "eventbridge-bus-has-archive": ("advisory", "-"),
    "transfer-server-sftp-only": ("mandatory", "Security Hub Transfer.2"),
    "transfer-server-vpc-endpoint": ("mandatory", "-"),
    "transfer-server-current-security-policy": ("mandatory", "-"),
    "transfer-server-logging-enabled": ("advisory", "-"),
    "glue-crawler-has-security-configuration": ("mandatory", "-"),
    "glue-job-has-security-configuration": ("mandatory", "-"),
    "glue-security-configuration-encrypts-all": ("mandatory", "-"),
    "glue-sensitive-dataset-has-quality-ruleset": ("mandatory", "-"),
    "lakeformation-no-iam-allowed-principals-defaults": ("mandatory", "-"),
    "lakeformation-resource-uses-custom-role": ("mandatory", "-"),
    "lakeformation-permissions-least-privilege": ("mandatory", "-"),
    "lakeformation-permissions-no-table-wildcard": ("mandatory", "-"),
    "lakeformation-grant-not-expired": ("mandatory", "-"),
    "lakeformation-permissions-to-consumers-only": ("mandatory", "-"),
    "lambda-function-supported-runtime": ("mandatory", "FSBP Lambda.2"),
    "lambda-function-tracing-active": ("advisory", "-"),
    "lambda-function-has-dead-letter-queue": ("advisory", "-"),
    "lambda-permission-not-public": ("mandatory", "FSBP Lambda.1"),
    "ecs-task-no-privileged-containers": ("mandatory", "FSBP ECS.4"),
    "ecs-task-readonly-root-filesystem": ("mandatory", "FSBP ECS.5"),
    "ecs-task-logging-configured": ("mandatory", "Security Hub ECS.9"),
    "ecs-task-non-root-user": ("mandatory", "-"),
    "ecs-task-no-plaintext-secrets": ("mandatory", "FSBP ECS.8"),
    "ecs-task-no-host-pid-namespace": ("mandatory", "FSBP ECS.3"),
    "ecs-fargate-service-latest-platform": ("mandatory", "FSBP ECS.10"),
    "ecs-service-no-public-ip": ("mandatory", "FSBP ECS.2"),
    "ecs-service-circuit-breaker-rollback": ("advisory", "-"),
    "ecs-cluster-container-insights": ("advisory", "FSBP ECS.12"),
    "elb-alb-drops-invalid-headers": ("mandatory", "FSBP ELB.4"),
    "elb-alb-desync-mitigation-defensive": ("mandatory", "FSBP ELB.12"),
    "elb-load-balancer-spans-multiple-azs": ("mandatory", "FSBP ELB.13"),
    "elb-access-logs-enabled": ("advisory", "FSBP ELB.5"),
    "elb-deletion-protection-enabled": ("advisory", "FSBP ELB.6"),
    "elb-listener-tls-only": ("mandatory", "FSBP ELB.1"),
    "elb-internet-facing-alb-authenticates-before-forward": ("mandatory", "-"),
    "elb-internet-facing-alb-has-waf": ("mandatory", "Security Hub ELB.16"),
    "apigatewayv2-stage-access-logging": ("advisory", "FSBP APIGateway.9"),
    "apigatewayv2-route-authorized": ("mandatory", "FSBP APIGateway.8"),
    "ec2-no-public-ingress-except-https": ("mandatory", "FSBP EC2.18"),
    "ec2-public-ingress-only-on-load-balancers": ("mandatory", "-"),
    "vpc-flow-logs-enabled": ("mandatory", "FSBP EC2.6"),
    "ec2-default-security-group-closed": ("mandatory", "FSBP EC2.2"),
    "cloudwatch-log-group-retention-set": ("mandatory", "-"),
    "cloudwatch-log-group-retention-minimum": ("advisory", "-"),
    "cloudwatch-log-group-encrypted-with-cmk": ("mandatory", "-"),
    "iam-policy-no-admin-wildcard": ("mandatory", "FSBP IAM.1"),
    "iam-policy-no-service-wildcard-actions": ("mandatory", "FSBP IAM.21"),
    "iam-managed-policy-no-decrypt-on-all-keys": ("mandatory", "FSBP KMS.1"),
    "iam-inline-policy-no-decrypt-on-all-keys": ("mandatory", "FSBP KMS.2"),
    "iam-no-broad-aws-managed-policy-attachments": ("mandatory", "-"),
    "iam-users-have-no-policies": ("mandatory", "FSBP IAM.2"),
    "iam-role-trust-not-public": ("mandatory", "-"),
    "ecr-repository-scan-on-push": ("mandatory", "FSBP ECR.1"),
    "ecr-repository-tags-immutable": ("mandatory", "FSBP ECR.2"),
    "ecr-repository-has-lifecycle-policy": ("advisory", "FSBP ECR.3"),
    "ecr-repository-policy-not-public": ("mandatory", "-"),
    "aws-resource-mandatory-tags": ("mandatory", "-"),
    "data-store-classification-tag": ("mandatory", "-"),
    "aws-resource-explicit-provider": ("mandatory", "-"),
    "aws-provider-pinned-to-one-account": ("mandatory", "-"),
    "aws-provider-region-allowed": ("mandatory", "-"),
    "stateful-resources-protected": ("mandatory", "-"),
    "ecs-service-spans-three-azs": ("mandatory", "-"),
    "dax-subnet-group-spans-three-azs": ("mandatory", "-"),
    "lambda-vpc-function-spans-three-azs": ("mandatory", "FSBP Lambda.5"),
    "kms-key-grants-service-users-in-region": ("mandatory", "-"),
    "kms-key-service-statements-use-documented-conditions": ("mandatory", "-"),
    "lakeformation-cross-account-grant-option": ("mandatory", "-"),
    "s3-replication-depends-on-versioning": ("mandatory", "-"),
    "dynamodb-table-ignores-managed-replicas": ("mandatory", "-"),
    "resource-policy-actions-valid-for-service": ("mandatory", "-"),
    "iam-policy-documents-pass-parliament": ("mandatory", "-"),
    "container-images-built-by-deployment": ("mandatory", "-"),
    "lambda-artifacts-exist": ("mandatory", "-"),
    "lambda-sqs-event-source-accepted": ("mandatory", "-"),
    "lakeformation-lf-tag-values-exist": ("mandatory", "-"),
}
# Controls AWS's FSBP list (Security Hub User Guide, "Controls that apply to FSBP") does not contain:
NOT_FSBP = {"S3.14", "S3.17", "KMS.4", "DynamoDB.6", "ELB.16", "ECS.9", "DynamoDB.7", "Transfer.2"}


def test_every_policy_is_pinned():
    assert sorted(p.name for p in ALL_POLICIES) == sorted(EXPECTED)


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_level_and_control_are_the_pinned_ones(policy):
    assert (policy.enforcement_level.value, control_label(policy)) == EXPECTED[policy.name]


def test_no_non_fsbp_control_is_labelled_fsbp():
    for policy in ALL_POLICIES:
        label = control_label(policy)
        if label.startswith("FSBP "):
            assert label.split(" ", 1)[1] not in NOT_FSBP, policy.name


def _readme_advisory_names() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Levels (why)", 1)[1].split("\n## ", 1)[0]
    advisory = section.split("Advisory", 1)[1]
    return set(re.findall(r"`([a-z0-9-]+)`", advisory))


def test_the_readme_levels_section_matches_the_pack():
    """The README's "Levels" section names every advisory rule and says why; everything else it
    calls mandatory. Each advisory rule it names is advisory, and no other rule is."""
    advisory = {name for name, (level, _) in EXPECTED.items() if level == "advisory"}
    assert _readme_advisory_names() == advisory
