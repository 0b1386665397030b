"""Producer side of event sharing: forward a product bus to each consumer account's default bus."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.context import StackContext
from components.foundation.queue import dead_letter_queue


@dataclass(frozen=True, kw_only=True)
class EventSharingArgs:
    """Producer side: forward the product's change events (`event_source`, published on `bus_name`
    by this account's services) to each consumer account's inbox bus (`inbox_bus_name`)."""

    stack: StackContext
    product: str
    bus_name: pulumi.Input[str]
    event_source: str
    inbox_bus_name: str
    consumers: Sequence[str]
    key_arn: pulumi.Input[str]

    def __post_init__(self) -> None:
        if not self.consumers:
            raise ValueError("EventSharing needs at least one consumer account")


class EventSharing(pulumi.ComponentResource):
    """Children: a role EventBridge assumes to put events on the consumers' inbox buses (only
    those ARNs), an encrypted dead-letter queue, and per consumer account a rule + target. Each
    consumer's inbox accepts only this account and this source (`ConsumedDataProduct`)."""

    def __init__(self, name: str, args: EventSharingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:EventSharing", name, None, opts)
        stack = args.stack
        child = pulumi.ResourceOptions(parent=self)
        targets = {account: f"arn:{stack.partition}:events:{stack.region}:{account}:event-bus/{args.inbox_bus_name}"
                   for account in args.consumers}
        role = iam.service_role(f"{name}-forwarder", service="events.amazonaws.com", account_id=stack.account_id,
                                statements=[iam.statement(["events:PutEvents"], list(targets.values()))], opts=child)
        dlq = dead_letter_queue(f"{name}-dlq", key_arn=args.key_arn, opts=child)
        for account, target in targets.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-to-{account}", event_bus_name=args.bus_name,
                description=f"{args.product} change events shared with account {account}",
                event_pattern=json.dumps({"source": [args.event_source], "account": [stack.account_id]}), opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-to-{account}", rule=rule.name, event_bus_name=args.bus_name, arn=target, role_arn=role.arn,
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn), opts=child)
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy", queue_url=dlq.url,
            policy=iam.document(iam.statement(
                ["sqs:SendMessage"], [dlq.arn], principal={"Service": "events.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": stack.account_id}})),
            opts=child)
        self.register_outputs({})
