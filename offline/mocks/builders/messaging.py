"""SQS queues, SNS topics and their policies; EventBridge buses, rules, archives and targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import hex_id, last_segment, physical_name
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input, named_resource

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/sqs/queue.go: id = url (GetQueueUrl:
# https://sqs.<region>.<dns suffix>/<acct>/<name>); arn = arn:<p>:sqs:<region>:<acct>:<name>
def sqs_queue(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    if inputs.get("fifoQueue") and not physical.endswith(".fifo"):
        physical += ".fifo"
    url = f"https://sqs.{region}.{mocks.dns_suffix}/{mocks.account_id}/{physical}"
    return url, {"name": physical, "arn": mocks.arn("sqs", physical, region=region), "url": url}


# terraform-provider-aws internal/service/events/rule.go: id = ruleCreateResourceID(bus, rule): the rule
# name on the default bus, "<bus>/<rule>" otherwise; arn (PutRule's RuleArn) =
# arn:...:rule/<rule> on the default bus, arn:...:rule/<bus name>/<rule> on a custom bus
def event_rule(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    bus = str(inputs.get("eventBusName") or "default")
    if bus == "default":
        return physical, {"name": physical, "arn": mocks.arn("events", f"rule/{physical}", region=region)}
    arn = mocks.arn("events", f"rule/{last_segment(bus)}/{physical}", region=region)
    return f"{bus}/{physical}", {"name": physical, "arn": arn}


# terraform-provider-aws internal/service/events/target.go: id = "<bus>-<rule>-<target id>" on custom
# buses, "<rule>-<target id>" on the default bus (targetCreateResourceID)
def event_target(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    target_id = inputs.get("targetId") or f"{name}-{hex_id(seed, 7)}"
    bus = str(inputs.get("eventBusName") or "default")
    rule = inputs.get("rule")
    resource_id = f"{rule}-{target_id}" if bus == "default" else f"{bus}-{rule}-{target_id}"
    return resource_id, {"targetId": target_id}


BUILDERS: dict[str, Builder] = {
    "aws:sqs/queue:Queue": sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": id_from_input("queueUrl"),
    # sns/topic.go: id = arn = arn:<p>:sns:<region>:<acct>:<name>
    "aws:sns/topic:Topic": named_resource("sns", "{name}", id_is_arn=True),
    "aws:sns/topicPolicy:TopicPolicy": id_from_input("arn"),
    # events/bus.go: id = name; arn = arn:...:event-bus/<name>
    "aws:cloudwatch/eventBus:EventBus": named_resource("events", "event-bus/{name}"),
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    # events/archive.go: id = name; arn = arn:...:archive/<name>
    "aws:cloudwatch/eventArchive:EventArchive": named_resource("events", "archive/{name}"),
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": id_from_input("eventBusName"),
}
