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
    """Producer side: forward every event on `bus_name` to each consumer account's default bus."""

    stack: StackContext
    product: str
    bus_name: pulumi.Input[str]
    consumers: Sequence[str]
    key_arn: pulumi.Input[str]

    def __post_init__(self) -> None:
        if not self.consumers:
            raise ValueError("EventSharing needs at least one consumer account")


class EventSharing(pulumi.ComponentResource):
    """Children: a role EventBridge assumes to put events on the consumers' default buses (only
    those ARNs), an encrypted dead-letter queue, and per consumer account a rule + target."""

    def __init__(self, name: str, args: EventSharingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:EventSharing", name, None, opts)
        s = args.stack
        child = pulumi.ResourceOptions(parent=self)
        targets = {acct: f"arn:{s.partition}:events:{s.region}:{acct}:event-bus/default" for acct in args.consumers}
        role = iam.service_role(f"{name}-forwarder", service="events.amazonaws.com", account_id=s.account_id,
                                statements=[iam.statement(["events:PutEvents"], list(targets.values()))], opts=child)
        dlq = dead_letter_queue(f"{name}-dlq", key_arn=args.key_arn, opts=child)
        for acct, target in targets.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-to-{acct}", event_bus_name=args.bus_name,
                description=f"{args.product} events shared with account {acct}",
                event_pattern=json.dumps({"account": [s.account_id]}), opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-to-{acct}", rule=rule.name, event_bus_name=args.bus_name, arn=target, role_arn=role.arn,
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn), opts=child)
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy", queue_url=dlq.url,
            policy=iam.document(iam.statement(
                ["sqs:SendMessage"], [dlq.arn], principal={"Service": "events.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": s.account_id}})),
            opts=child)
        self.register_outputs({})
