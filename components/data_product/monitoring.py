"""A data product's monitoring: one encrypted alarm topic, its subscriptions and its policy.

The primary's DataProduct and the DR pilot light build it with the same code: failure events
(ETL, crawlers) and CloudWatch alarms publish to the topic, and every endpoint the stack file
names under `alarms` receives them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.budget import budgets_publish_statement
from components.data_product.scope import ProductScope, queue_policy_for_events, tls_only


@dataclass(frozen=True, kw_only=True)
class AlarmEndpoint:
    """One subscriber: an SNS protocol (`email` or `https`) and its endpoint."""

    protocol: str
    endpoint: str

    def __post_init__(self) -> None:
        if self.protocol not in ("email", "https"):
            raise ValueError(f"alarm endpoint protocol must be email or https, not {self.protocol!r}")
        if not self.endpoint:
            raise ValueError("alarm endpoint must not be empty")

    @property
    def key(self) -> str:
        """A stable resource-name part: the address for email, a digest for URLs (which may hold
        characters resource names should not)."""
        if self.protocol == "email":
            return f"email-{self.endpoint}"
        return f"https-{hashlib.sha256(self.endpoint.encode()).hexdigest()[:12]}"


def alarm_topic(scope: ProductScope, endpoints: Sequence[AlarmEndpoint]) -> aws.sns.Topic:
    """The product's alarm topic, encrypted with the product key, with one subscription per
    endpoint (named by endpoint, so reordering the list never replaces one). A topic without a
    subscriber drops every alarm, so at least one endpoint is required."""
    if not endpoints:
        raise ValueError(f"{scope.product_name}: the alarm topic needs at least one endpoint (stack setting `alarms`)")
    topic = aws.sns.Topic(
        f"{scope.name}-alarms",
        name=scope.physical("sns", "alarms"),
        kms_master_key_id=scope.key.arn,
        opts=scope.child,
    )
    for e in endpoints:
        aws.sns.TopicSubscription(
            f"{scope.name}-alarms-to-{e.key}",
            topic=topic.arn,
            protocol=e.protocol,
            endpoint=e.endpoint,
            # An https endpoint confirms itself from the URL SNS sends; email waits for a person.
            endpoint_auto_confirms=e.protocol == "https",
            opts=scope.child,
        )
    return topic


def alarm_topic_policy(scope: ProductScope, topic: aws.sns.Topic,
                       rule_arns: Sequence[pulumi.Input[str]]) -> aws.sns.TopicPolicy:
    """Only the product's failure rules (EventBridge), this account's alarms and its budgets may
    publish."""
    stack = scope.stack
    return aws.sns.TopicPolicy(
        f"{scope.name}-alarms-policy",
        arn=topic.arn,
        policy=iam.document(
            iam.statement(["sns:Publish"], [topic.arn], sid="FailureEvents",
                          principal={"Service": "events.amazonaws.com"},
                          condition={"ArnEquals": {"aws:SourceArn": list(rule_arns)}}),
            iam.statement(["sns:Publish"], [topic.arn], sid="Alarms", principal={"Service": "cloudwatch.amazonaws.com"},
                          condition={"StringEquals": {"aws:SourceAccount": stack.account_id},
                                     "ArnLike": {"aws:SourceArn": stack.arn("cloudwatch", "alarm:*")}}),
            # The stack's budget notifies this topic (AWS Budgets user guide, SNS topic policy).
            budgets_publish_statement(topic.arn, stack.partition, stack.account_id),
            tls_only([topic.arn], service="sns"),
        ),
        opts=scope.child,
    )


def notify_rule(scope: ProductScope, part: str, description: str, pattern: Mapping[str, Any],
                topic: aws.sns.Topic, dlq: aws.sqs.Queue) -> aws.cloudwatch.EventRule:
    """A default-bus rule whose matches are published to the product's alarm topic (undeliverable
    notifications are kept in `dlq`)."""
    rule = aws.cloudwatch.EventRule(
        f"{scope.name}-{part}-rule",
        description=description,
        event_pattern=pulumi.Output.json_dumps(pattern),
        opts=scope.child,
    )
    aws.cloudwatch.EventTarget(
        f"{scope.name}-{part}-target",
        rule=rule.name,
        arn=topic.arn,
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
        opts=scope.child,
    )
    return rule


def crawler_failed_rule(scope: ProductScope, crawler_parts: Sequence[str], topic: aws.sns.Topic,
                        dlq: aws.sqs.Queue) -> aws.cloudwatch.EventRule:
    """Failed runs of the product's crawlers (named by `scope.physical("glue", part)`) go to the
    alarm topic; notifications that cannot be delivered wait in `dlq`."""
    return notify_rule(
        scope, "crawler-failed", f"{scope.product_name} crawler failed",
        {"source": ["aws.glue"], "detail-type": ["Glue Crawler State Change"],
         "detail": {"crawlerName": [scope.physical("glue", p) for p in crawler_parts], "state": ["Failed"]}},
        topic, dlq)


def failure_notifications(scope: ProductScope, topic: aws.sns.Topic, dlq: aws.sqs.Queue,
                          rules: Sequence[aws.cloudwatch.EventRule]) -> None:
    """Let exactly these rules publish to the topic and dead-letter into the queue."""
    queue_policy_for_events(scope, "notify-dlq", dlq, [r.arn for r in rules])
    alarm_topic_policy(scope, topic, [r.arn for r in rules])
