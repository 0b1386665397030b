"""What every part of a DataProduct shares: its scope (names, key, options) and small builders.

`DataProduct` creates one `ProductScope` and hands it to the storage, ingestion, ODS and catalog
builders (`dp_storage`, `dp_ingestion`, `dp_ods`, `dp_catalog`), so each part names its
children the same way and binds them to the same parent and provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam, naming
from components.foundation.iam import ServiceRole
from components.foundation.context import KeyRef, NetworkRefs, StackContext
from components.data_product.spec import DataProductSpec

ROOT = Path(__file__).resolve().parents[2]  # the project: components/data_product/scope.py
FUNCTIONS_DIR = ROOT / "functions"

LAMBDA_ARCHITECTURE = "arm64"
# Dead letters wait two weeks (the SQS maximum), so an outage over a long weekend loses nothing.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# EventBridge keeps retrying a failing target for a day before it gives up to the DLQ.
EVENT_RETRY_MAX_AGE_SECONDS = 24 * 3600
EVENT_RETRY_ATTEMPTS = 185

KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey")


@dataclass(frozen=True)
class ProductScope:
    """One data product's naming and wiring context (plain values plus the product key)."""

    name: str  # the component's resource name: children are f"{name}-<part>"
    product: DataProductSpec
    stack: StackContext
    network: NetworkRefs
    parent: pulumi.Resource
    key: "aws.kms.Key | KeyRef"

    # --- options ------------------------------------------------------------------------------
    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    @property
    def stateful(self) -> pulumi.ResourceOptions:
        return blueprint.stateful(self.stack.allow_data_destroy, self.child)

    def after(self, *deps: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, depends_on=list(deps))

    # --- names --------------------------------------------------------------------------------
    @property
    def bu(self) -> str:
        return self.stack.business_unit

    @property
    def env(self) -> str:
        return self.stack.environment

    @property
    def pname(self) -> str:
        return self.product.name

    def physical(self, kind: str, *parts: str) -> str:
        return naming.prefixed(kind, self.bu, self.env, self.pname, *parts)

    def role_name(self, *purpose: str) -> str:
        # IAM is global and a DR stack shares its primary's account: its roles carry "dr".
        dr = ("dr",) if self.stack.region_role == "dr" else ()
        return naming.role_name(self.bu, self.env, self.pname, *purpose, *dr)

    def bucket_name(self, zone: str) -> str:
        return naming.bucket_name(self.bu, self.env, self.pname, zone, self.stack.account_id, self.stack.region_code)

    @property
    def log_group_prefix(self) -> str:
        """Every log group of the product lives under this path: the key policy trusts only it."""
        return f"/ddp/{self.stack.prefix}/{self.pname}"

    @property
    def tags(self) -> dict[str, str]:
        return blueprint.data_tags(self.product.classification, self.pname)

    # --- policy fragments ---------------------------------------------------------------------
    def key_use(self, *actions: str) -> dict:
        return iam.statement(actions or KEY_USE_ACTIONS, [self.key.arn], sid="ProductKey")

    def trust(self, service: str, *, source_arn: Optional[str] = None) -> pulumi.Output[str]:
        return iam.trust_policy(service, self.stack.account_id, source_arn=source_arn)

    def role(self, part: str, service: str, statements: Sequence[dict], *, purpose: Sequence[str] = (),
             source_arn: Optional[str] = None) -> "ServiceRole":
        """A role trusted by one service for this account, with one inline least-privilege policy."""
        return iam.service_role(f"{self.name}-{part}", service=service, account_id=self.stack.account_id,
                                statements=statements, role_name=self.role_name(*(purpose or (part,))),
                                source_arn=source_arn, opts=self.child)

    def log_group(self, part: str, suffix: str) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self.name}-{part}-logs",
            name=f"{self.log_group_prefix}/{suffix}",
            retention_in_days=blueprint.LOG_RETENTION_DAYS,
            kms_key_id=self.key.arn,
            opts=self.child,
        )

    def queue(self, part: str) -> aws.sqs.Queue:
        """An SQS queue encrypted with the product key (dead letters hold product data)."""
        return aws.sqs.Queue(
            f"{self.name}-{part}",
            name=self.physical("sqs", part),
            kms_master_key_id=self.key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=self.tags,
            opts=self.child,
        )


def tls_only(resource_arns: Sequence[Any], *, service: str = "s3") -> dict:
    return iam.deny_insecure_transport(service, resource_arns)


def queue_policy_for_events(scope: ProductScope, part: str, queue: aws.sqs.Queue,
                            rule_arns: Sequence[pulumi.Input[str]]) -> aws.sqs.QueuePolicy:
    """Let EventBridge put dead letters into `queue`, only from the given rules."""
    return aws.sqs.QueuePolicy(
        f"{scope.name}-{part}-policy",
        queue_url=queue.url,
        policy=iam.document(
            iam.statement(
                ["sqs:SendMessage"], [queue.arn], sid="EventBridgeDeadLetters",
                principal={"Service": "events.amazonaws.com"},
                condition={"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            ),
            tls_only([queue.arn], service="sqs"),
        ),
        opts=scope.child,
    )


@dataclass(frozen=True)
class Function:
    function: aws.lambda_.Function
    role: ServiceRole
    log_group: aws.cloudwatch.LogGroup


def lambda_function(scope: ProductScope, code: str, *, environment: Mapping[str, pulumi.Input[str]],
                    statements: Sequence[dict], timeout: int = 60, memory: int = 256,
                    dead_letter_arn: Optional[pulumi.Input[str]] = None, description: str = "") -> Function:
    """A Lambda from `functions/<code>` with its own role, KMS-encrypted log group and X-Ray.

    `dead_letter_arn` is for asynchronously invoked functions (EventBridge targets): events that
    still fail after Lambda's own retries are kept there instead of being dropped."""
    part = code.replace("_", "-")
    log_group = scope.log_group(part, f"lambda/{part}")
    base = [
        iam.statement(["logs:CreateLogStream", "logs:PutLogEvents"],
                      [pulumi.Output.concat(log_group.arn, ":*")], sid="OwnLogs"),
        # X-Ray trace APIs have no resource-level permissions.
        iam.statement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"], sid="Tracing"),
    ]
    if dead_letter_arn is not None:
        base.append(iam.statement(["sqs:SendMessage"], [dead_letter_arn], sid="DeadLetters"))
    role = scope.role(part, "lambda.amazonaws.com", [*base, *statements])
    fn = aws.lambda_.Function(
        f"{scope.name}-{part}",
        name=scope.physical("lambda", part),
        description=description,
        code=pulumi.FileArchive(str(FUNCTIONS_DIR / code)),
        handler="handler.handler",
        runtime=blueprint.LAMBDA_RUNTIME,
        architectures=[LAMBDA_ARCHITECTURE],
        role=role.arn,
        timeout=timeout,
        memory_size=memory,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(environment)),
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON", log_group=log_group.name, application_log_level="INFO", system_log_level="WARN",
        ),
        dead_letter_config=(aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=dead_letter_arn)
                            if dead_letter_arn is not None else None),
        opts=scope.after(log_group, role.policy),
    )
    return Function(fn, role, log_group)


def alarm(scope: ProductScope, part: str, *, description: str, namespace: str, metric: str,
          dimensions: Mapping[str, pulumi.Input[str]], topic_arn: pulumi.Input[str], statistic: str = "Sum",
          threshold: float = 0, period: int = 300, comparison: str = "GreaterThanThreshold") -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        f"{scope.name}-{part}-alarm",
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
        period=period,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator=comparison,
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=scope.child,
    )


def event_target_to_lambda(scope: ProductScope, part: str, rule: aws.cloudwatch.EventRule, fn: Function,
                           dlq: aws.sqs.Queue, *, event_bus_name: Optional[pulumi.Input[str]] = None) -> None:
    """Route `rule` to `fn`, with retries and a dead-letter queue, and let EventBridge invoke it."""
    aws.cloudwatch.EventTarget(
        f"{scope.name}-{part}-target",
        rule=rule.name,
        event_bus_name=event_bus_name,
        arn=fn.function.arn,
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=EVENT_RETRY_MAX_AGE_SECONDS, maximum_retry_attempts=EVENT_RETRY_ATTEMPTS,
        ),
        opts=scope.child,
    )
    aws.lambda_.Permission(
        f"{scope.name}-{part}-invoke",
        action="lambda:InvokeFunction",
        function=fn.function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=scope.child,
    )
