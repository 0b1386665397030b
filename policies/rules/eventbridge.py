"""EventBridge: bus policies shared only with named accounts, targets with DLQs, buses encrypted and archived."""
from __future__ import annotations

from ._base import (ADVISORY, CRITICAL, LOW, MANDATORY, MEDIUM, get, of_type, public_allow_statements,
                    references, resource_keys, resource_policy, safe_get, stack_policy)

BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ARCHIVE = "aws:cloudwatch/eventArchive:EventArchive"


def _public(props, cfg, args):
    for s in public_allow_statements(get(props, "policy")):
        yield (f"Event bus policy statement '{s.get('Sid', '')}' allows Principal '*' without a Condition; "
               "name the consumer accounts or restrict with aws:PrincipalOrgID.")


def _dlq(props, cfg, args):
    if not get(props, "deadLetterConfig", "arn"):
        yield f"Event target '{get(props, 'targetId', default=args.name)}' should set deadLetterConfig.arn to an SQS queue."


def _bus_cmk(props, cfg, args):
    if not get(props, "kmsKeyIdentifier"):
        yield "Event bus should set kmsKeyIdentifier to a customer managed key."


def _archived(resources, cfg):
    archives = of_type(resources, ARCHIVE)
    for bus in of_type(resources, BUS):
        keys = resource_keys(bus, "arn", "name")
        if not any(references(a, "eventSourceArn") & keys for a in archives):
            yield f"Event bus '{safe_get(bus.props, 'name', default=bus.name)}' has no event archive.", bus.urn


POLICIES = [
    resource_policy(
        name="eventbridge-bus-policy-not-public", service="eventbridge",
        description="EventBridge bus policies do not allow Principal '*' without a condition.",
        types=[BUS_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Allow events:PutEvents only to the consumer/producer account ids."),
    resource_policy(
        name="eventbridge-target-has-dead-letter-queue", service="eventbridge",
        description="EventBridge targets send undeliverable events to a dead-letter queue.",
        types=[TARGET], check=_dlq, level=ADVISORY, severity=MEDIUM,
        remediation="Set dead_letter_config=EventTargetDeadLetterConfigArgs(arn=<SQS queue arn>)."),
    resource_policy(
        name="eventbridge-bus-encrypted-with-cmk", service="eventbridge",
        description="Custom EventBridge buses encrypt events with a customer managed key.",
        types=[BUS], check=_bus_cmk, level=ADVISORY, severity=LOW,
        remediation="Set kms_key_identifier=<CMK arn> (the key policy must allow events.amazonaws.com)."),
    stack_policy(
        name="eventbridge-bus-has-archive", service="eventbridge",
        description="Every custom EventBridge bus has an archive so events can be replayed.",
        applies_to=[BUS], check=_archived, level=ADVISORY, severity=LOW,
        remediation="Create an aws.cloudwatch.EventArchive with event_source_arn=<bus arn> and a retention.",
        reads=(ARCHIVE,)),
]
