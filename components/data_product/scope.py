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
from components.foundation.function import Function, FunctionArgs, runtime_statements
from components.foundation.function import lambda_function as foundation_function
from components.foundation.iam import ServiceRole
from components.foundation.queue import dead_letter_queue, events_send_statement, work_queue
from components.foundation.context import KeyRef, NetworkRefs, StackContext
from components.data_product.spec import DataProductSpec

ROOT = Path(__file__).resolve().parents[2]  # the project: components/data_product/scope.py
FUNCTIONS_DIR = ROOT / "functions"

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
    def product_name(self) -> str:
        return self.product.name

    def physical(self, kind: str, *parts: str) -> str:
        return naming.prefixed(kind, self.stack.business_unit, self.stack.environment, self.product_name, *parts)

    def role_name(self, *purpose: str) -> str:
        return self.stack.role_name(self.product_name, *purpose)

    def bucket_name(self, zone: str) -> str:
        return naming.bucket_name(self.stack.business_unit, self.stack.environment, self.product_name, zone, self.stack.account_id, self.stack.region_code)

    @property
    def log_group_prefix(self) -> str:
        """Every log group of the product lives under this path: the key policy trusts only it."""
        return f"/ddp/{self.stack.prefix}/{self.product_name}"

    @property
    def tags(self) -> dict[str, str]:
        return blueprint.data_tags(self.product.classification, self.product_name)

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
        """A dead-letter queue of the product, encrypted with the product key."""
        return dead_letter_queue(f"{self.name}-{part}", key_arn=self.key.arn, queue_name=self.physical("sqs", part),
                                 tags=self.tags, opts=self.child)

    def work_queue(self, part: str, dead_letter: aws.sqs.Queue, visibility_timeout_seconds: int) -> aws.sqs.Queue:
        """A queue a function of the product polls, encrypted with the product key, redriving to `dead_letter`."""
        return work_queue(f"{self.name}-{part}", key_arn=self.key.arn, dead_letter_arn=dead_letter.arn,
                          visibility_timeout_seconds=visibility_timeout_seconds,
                          queue_name=self.physical("sqs", part), tags=self.tags, opts=self.child)


def tls_only(resource_arns: Sequence[Any], *, service: str = "s3") -> dict:
    return iam.deny_insecure_transport(service, resource_arns)


def queue_policy_for_events(scope: ProductScope, part: str, queue: aws.sqs.Queue,
                            rule_arns: Sequence[pulumi.Input[str]], *,
                            sid: str = "EventBridgeDeadLetters") -> aws.sqs.QueuePolicy:
    """Let EventBridge send to `queue` (dead letters, or the events a target queue receives), only
    from the given rules."""
    return aws.sqs.QueuePolicy(
        f"{scope.name}-{part}-policy",
        queue_url=queue.url,
        policy=iam.document(events_send_statement(queue.arn, list(rule_arns), sid=sid),
                            tls_only([queue.arn], service="sqs")),
        opts=scope.child,
    )


def lambda_function(scope: ProductScope, code: str, *, environment: Mapping[str, pulumi.Input[str]],
                    statements: Sequence[dict], timeout: int = 60, memory: int = 256,
                    dead_letter_arn: Optional[pulumi.Input[str]] = None, description: str = "") -> Function:
    """A Lambda of the product from `functions/<code>`, with its own role and log group.

    `dead_letter_arn` is for asynchronously invoked functions (EventBridge targets): events that
    still fail after Lambda's own retries are kept there instead of being dropped."""
    part = code.replace("_", "-")
    log_group = scope.log_group(part, f"lambda/{part}")
    role = scope.role(part, "lambda.amazonaws.com", [*runtime_statements(log_group.arn, dead_letter_arn), *statements])
    fn = foundation_function(f"{scope.name}-{part}", FunctionArgs(
        function_name=scope.physical("lambda", part), description=description,
        code=pulumi.FileArchive(str(FUNCTIONS_DIR / code)), role_arn=role.arn, log_group_name=log_group.name,
        environment=environment, timeout=timeout, memory=memory, dead_letter_arn=dead_letter_arn),
        scope.after(log_group, role.policy))
    return Function(fn, role, log_group)


def alarm(scope: ProductScope, part: str, *, description: str, namespace: str, metric: str,
          dimensions: Mapping[str, pulumi.Input[str]], topic_arn: pulumi.Input[str], statistic: str = "Sum",
          threshold: float = 0, period: int = 300, comparison: str = "GreaterThanThreshold",
          missing: str = "notBreaching") -> aws.cloudwatch.MetricAlarm:
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
        treat_missing_data=missing,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=scope.child,
    )


def event_target(scope: ProductScope, part: str, rule: aws.cloudwatch.EventRule, arn: pulumi.Input[str],
                 dlq: aws.sqs.Queue, *, event_bus_name: Optional[pulumi.Input[str]] = None) -> aws.cloudwatch.EventTarget:
    """Route `rule` to `arn` (a function or a queue), with retries and a dead-letter queue."""
    return aws.cloudwatch.EventTarget(
        f"{scope.name}-{part}-target",
        rule=rule.name,
        event_bus_name=event_bus_name,
        arn=arn,
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=EVENT_RETRY_MAX_AGE_SECONDS, maximum_retry_attempts=EVENT_RETRY_ATTEMPTS,
        ),
        opts=scope.child,
    )


def event_target_to_lambda(scope: ProductScope, part: str, rule: aws.cloudwatch.EventRule, fn: Function,
                           dlq: aws.sqs.Queue, *, event_bus_name: Optional[pulumi.Input[str]] = None) -> None:
    """Route `rule` to `fn`, with retries and a dead-letter queue, and let EventBridge invoke it."""
    event_target(scope, part, rule, fn.function.arn, dlq, event_bus_name=event_bus_name)
    aws.lambda_.Permission(
        f"{scope.name}-{part}-invoke",
        action="lambda:InvokeFunction",
        function=fn.function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=scope.child,
    )
