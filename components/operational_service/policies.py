"""IAM statements of an operational service: least privilege, as data (pure builders).

Every statement names its resources. Three documented exceptions use Resource "*", each because
the action has no resource-level permission in IAM:
- `ecr:GetAuthorizationToken` (execution role, only when the image is in a private ECR repo);
- `xray:PutTraceSegments` / `xray:PutTelemetryRecords` (Lambda with active tracing);
- the EC2 network-interface actions Lambda needs to attach to the VPC (the same set as the AWS
  managed AWSLambdaVPCAccessExecutionRole, without its `logs:*` on "*").
"""

from __future__ import annotations

import re
from typing import Optional

import pulumi

from components.foundation import iam
from components.foundation.context import ServedStore

ODS_ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                    "dynamodb:ConditionCheckItem")
ODS_INDEX_ACTIONS = ("dynamodb:Query",)
DAX_ACTIONS = ("dax:GetItem", "dax:PutItem", "dax:UpdateItem", "dax:Query")
STORE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
VPC_ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                   "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
QUEUE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?::[\w.-]+|@sha256:[0-9a-f]{64})?$"
)


def ecr_repository_arn(image: str, partition: str) -> Optional[str]:
    """The ECR repository ARN of a private-ECR image URI, None for any other registry
    (public.ecr.aws, Docker Hub, ...), which needs no pull permissions."""
    m = _ECR_IMAGE.match(image)
    if m is None:
        return None
    return f"arn:{partition}:ecr:{m['region']}:{m['account']}:repository/{m['repo']}"


def data_access_statements(store: ServedStore) -> list[dict]:
    """What the service's code does: items of ITS data product's table (queries on its indexes),
    DAX in front of it when configured, publishing to its bus, and the store's key."""
    statements = [
        iam.statement(ODS_ITEM_ACTIONS, [store.table_arn], sid="OdsItems"),
        iam.statement(ODS_INDEX_ACTIONS, [pulumi.Output.concat(store.table_arn, "/index/*")], sid="OdsIndexes"),
    ]
    if store.dax_cluster_arn is not None:
        statements.append(iam.statement(DAX_ACTIONS, [store.dax_cluster_arn], sid="DaxItems"))
    statements += [
        iam.statement(["events:PutEvents"], [store.event_bus_arn], sid="PublishEvents"),
        iam.statement(STORE_KEY_ACTIONS, [store.key_arn], sid="StoreKey"),
    ]
    return statements


def log_statement(log_group_arn: pulumi.Input[str], sid: str = "Logs") -> dict:
    """Write to one log group: CreateLogStream acts on the group, PutLogEvents on its streams."""
    return iam.statement(LOG_ACTIONS, [log_group_arn, pulumi.Output.concat(log_group_arn, ":log-stream:*")], sid=sid)


def execution_statements(log_group_arn: pulumi.Input[str], repository_arn: Optional[pulumi.Input[str]]) -> list[dict]:
    """The ECS execution role: pull the image (private ECR only) and ship the container's logs."""
    statements: list[dict] = []
    if repository_arn is not None:
        statements += [
            # GetAuthorizationToken has no resource-level permission: "*" is the only valid resource.
            iam.statement(["ecr:GetAuthorizationToken"], ["*"], sid="EcrAuth"),
            iam.statement(ECR_PULL_ACTIONS, [repository_arn], sid="EcrPull"),
        ]
    statements.append(log_statement(log_group_arn, sid="ContainerLogs"))
    return statements


def function_runtime_statements(log_group_arn: pulumi.Input[str], dlq_arn: pulumi.Input[str],
                                service_key_arn: pulumi.Input[str]) -> list[dict]:
    """What the Lambda runtime does on the function's behalf: logs, the async DLQ (encrypted with
    the service key), X-Ray segments and the VPC network interfaces."""
    return [
        log_statement(log_group_arn, sid="FunctionLogs"),
        iam.statement(["sqs:SendMessage"], [dlq_arn], sid="DeadLetterQueue"),
        iam.statement(QUEUE_KEY_ACTIONS, [service_key_arn], sid="DeadLetterQueueKey"),
        iam.statement(XRAY_ACTIONS, ["*"], sid="XRayTraces"),
        iam.statement(VPC_ENI_ACTIONS, ["*"], sid="VpcNetworkInterfaces"),
    ]


def alb_log_delivery_statement(bucket_arn: pulumi.Input[str], prefix: str, account_id: str) -> dict:
    """ELB writes access logs under <prefix>/AWSLogs/<account>/ with its log-delivery principal."""
    return iam.statement(
        ["s3:PutObject"], [pulumi.Output.concat(bucket_arn, f"/{prefix}/AWSLogs/{account_id}/*")],
        sid="ElbLogDelivery", principal={"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
    )
