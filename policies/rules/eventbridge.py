"""EventBridge: bus policies and permissions shared only with named accounts and, for other accounts,
only for the event sources granted to them; targets with DLQs; buses encrypted and archived."""
from __future__ import annotations

from ._base import (ADVISORY, CRITICAL, HIGH, LOW, MANDATORY, MEDIUM, UNKNOWN, as_json, as_list, cmk_problem,
                    known_copy, of_type, peek, provider_props, references, resource_keys, resource_policy, safe_get,
                    shown, stack_policy)
from ._documents import (allows, grants_everyone, principal_accounts, public_allow_statements,
                         public_reason, restricting_condition_keys, statements)

BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
PERMISSION = "aws:cloudwatch/eventPermission:EventPermission"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ARCHIVE = "aws:cloudwatch/eventArchive:EventArchive"


def _document(props):
    document = peek(props, "policy")
    return None if document is UNKNOWN else as_json(known_copy(document))


def _permission_public(props) -> bool:
    return peek(props, "principal") == "*" and peek(props, "condition") is None


def _public(props, cfg, args):
    if args.resource_type == PERMISSION:
        if _permission_public(props):
            yield "Event permission allows principal '*' without an aws:PrincipalOrgID condition."
        return
    for s in public_allow_statements(_document(props)):
        yield f"Event bus policy statement '{s.get('Sid', '')}' {public_reason(s)}."


def _own_accounts(args) -> set[str]:
    return {str(a) for a in as_list(as_json(safe_get(provider_props(args), "allowedAccountIds")))}


def _sources_restricted(props, cfg, args):
    own = _own_accounts(args)
    if args.resource_type == PERMISSION:
        principal = peek(props, "principal")
        if isinstance(principal, str) and (principal == "*" or (own and principal not in own)):
            yield (f"Event permission lets '{principal}' put any event on the bus; an EventPermission cannot "
                   "restrict events:source: use an EventBusPolicy statement with a Condition on events:source.")
        return
    for s in statements(_document(props)):
        if not allows(s, "events:PutEvents"):
            continue
        others = sorted(principal_accounts(s) - own) if own else []
        if (others or grants_everyone(s)) and not _restricts_source(s):
            who = ", ".join(others) or "every principal"
            yield (f"Event bus policy statement '{s.get('Sid', '')}' lets {who} put events of any source; add a "
                   "Condition StringEquals events:source with the sources granted to them.")


def _restricts_source(statement) -> bool:
    return any(k.lower() == "events:source" for k in restricting_condition_keys(statement))


def _dlq(props, cfg, args):
    if peek(props, "deadLetterConfig", "arn") is None:
        yield f"Event target '{shown(props, 'targetId', default=args.name)}' should set deadLetterConfig.arn to an SQS queue."


def _bus_cmk(props, cfg, args):
    problem = cmk_problem(peek(props, "kmsKeyIdentifier"), "kmsKeyIdentifier")
    if problem:
        yield f"Event bus {problem}."


def _archived(resources, cfg):
    archives = of_type(resources, ARCHIVE)
    for bus in of_type(resources, BUS):
        keys = resource_keys(bus, "arn", "name")
        if not any(references(a, "eventSourceArn") & keys for a in archives):
            yield f"Event bus '{safe_get(bus.props, 'name', default=bus.name)}' has no event archive.", bus.urn


POLICIES = [
    resource_policy(
        name="eventbridge-bus-policy-not-public", service="eventbridge",
        description="EventBridge bus policies and permissions never allow everyone (Principal '*', NotPrincipal, "
                    "an EventPermission to '*') unless a condition narrows it to an org or account.",
        types=[BUS_POLICY, PERMISSION], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Allow events:PutEvents only to the consumer/producer account ids."),
    resource_policy(
        name="eventbridge-bus-policy-restricts-sources-for-other-accounts", service="eventbridge",
        description="EventBridge bus policies that let other accounts (or everyone in an org) put events "
                    "restrict them to granted sources with a Condition on events:source; EventPermission resources, "
                    "which cannot, never grant other accounts. The stack's own account comes from its provider.",
        types=[BUS_POLICY, PERMISSION], check=_sources_restricted, level=MANDATORY, severity=HIGH,
        remediation="Use an aws.cloudwatch.EventBusPolicy statement per consumer account with "
                    "Condition StringEquals events:source=[the sources it may publish]."),
    resource_policy(
        name="eventbridge-target-has-dead-letter-queue", service="eventbridge",
        description="EventBridge targets send undeliverable events to a dead-letter queue. Advisory: the "
                    "target service's own retries may suffice.",
        types=[TARGET], check=_dlq, level=ADVISORY, severity=MEDIUM,
        remediation="Set dead_letter_config=EventTargetDeadLetterConfigArgs(arn=<SQS queue arn>)."),
    resource_policy(
        name="eventbridge-bus-encrypted-with-cmk", service="eventbridge",
        description="Custom EventBridge buses encrypt events with a customer managed key (unset = AWS owned key).",
        types=[BUS], check=_bus_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_key_identifier=<CMK arn> (the key policy must allow events.amazonaws.com)."),
    stack_policy(
        name="eventbridge-bus-has-archive", service="eventbridge",
        description="Every custom EventBridge bus has an archive so events can be replayed. Advisory: replay "
                    "is an operational choice.",
        applies_to=[BUS], check=_archived, level=ADVISORY, severity=LOW,
        remediation="Create an aws.cloudwatch.EventArchive with event_source_arn=<bus arn> and a retention.",
        reads=(ARCHIVE,)),
]
