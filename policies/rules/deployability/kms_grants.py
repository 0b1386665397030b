"""KMS keys grant the services that use them, with condition keys those services send."""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any, Iterable, Optional

from .._base import HIGH, MANDATORY, as_list, is_map, of_type, resource_keys, safe_get, stack_policy
from .._documents import principal_values
from ._graph import ALIAS, EVENT_BUS, EVENT_TARGET, GLUE_SECURITY, KEY, KEY_POLICY, LOG_GROUP, METRIC_ALARM, QUEUE, SERVICE, TOPIC, _action_matches, _by_keys, _condition_keys, _refs, _region, _statements

# --- a. KMS keys grant the services that use them -------------------------------------------------

# Condition keys each service principal sends when it calls KMS for a given use; a statement that
# conditions on anything else never matches that service's requests (the key is then unusable).
# Sources (AWS documentation):
# - logs: CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS" (step 2,
#   key policy): the statement for logs.<region>.amazonaws.com conditions only on
#   kms:EncryptionContext:aws:logs:arn. Glue security configurations encrypting CloudWatch logs use the
#   same principal (Glue Developer Guide, "Setting up encryption": "logs.region.amazonaws.com").
# - events (bus): EventBridge User Guide, "Authorizing EventBridge to use a customer managed key"
#   (eb-encryption-key-policy): aws:SourceArn, aws:SourceAccount or
#   kms:EncryptionContext:aws:events:event-bus:arn.
# - events / cloudwatch delivering to an encrypted SNS topic or SQS queue: SNS Developer Guide,
#   "Enable compatibility between event sources from AWS services and encrypted topics"
#   (sns-key-management): the key statements carry no condition. For EventBridge the SNS guide notes
#   the aws:SourceAccount / aws:SourceArn keys are not supported in that KMS statement; CloudWatch
#   alarms do send them (confused-deputy guidance for alarm actions).
LOGS_KEYS = frozenset({"kms:EncryptionContext:aws:logs:arn"})
EVENTS_BUS_KEYS = frozenset({"aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:aws:events:event-bus:arn"})
EVENTS_DELIVERY_KEYS: frozenset = frozenset()
ALARMS_KEYS = frozenset({"aws:SourceArn", "aws:SourceAccount"})
# principal pattern -> (service name, union of the keys documented for any of its uses)
DOCUMENTED_CONDITION_KEYS = {
    "logs.*.amazonaws.com": ("CloudWatch Logs", LOGS_KEYS),
    "events.amazonaws.com": ("EventBridge", EVENTS_BUS_KEYS | EVENTS_DELIVERY_KEYS),
    "cloudwatch.amazonaws.com": ("CloudWatch alarms", ALARMS_KEYS),
}
NEEDED_KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class _Keys:
    """The stack's KMS keys, reachable by any string a user may name them with (ARN, id, alias)."""

    def __init__(self, resources: list):
        self.by_ref: dict[str, Any] = {}
        for key in of_type(resources, KEY):
            for ref in resource_keys(key, "arn", "keyId", "id"):
                self.by_ref[ref] = key
        for alias in of_type(resources, ALIAS):
            targets = [self.by_ref[t] for t in _refs(alias, "targetKeyId") if t in self.by_ref]
            if targets:
                for ref in resource_keys(alias, "arn", "name", "id"):
                    self.by_ref[ref] = targets[0]
        self.policies: dict[str, list] = {}
        for kp in of_type(resources, KEY_POLICY):
            for key in {self.by_ref[t].urn: self.by_ref[t] for t in _refs(kp, "keyId") if t in self.by_ref}.values():
                self.policies.setdefault(key.urn, []).append(kp)

    def resolve(self, refs: Iterable[str]):
        found = {self.by_ref[r].urn: self.by_ref[r] for r in refs if r in self.by_ref}
        return next(iter(found.values()), None)

    def statements(self, key) -> list[Mapping]:
        """A KeyPolicy resource replaces the key's policy when it is applied; else the key's own."""
        managed = self.policies.get(key.urn)
        if managed:
            return [s for kp in managed for s in _statements(safe_get(kp.props, "policy"))]
        return _statements(safe_get(key.props, "policy"))


def _key_uses(resources: list, keys: _Keys):
    """(key, user resource, what, principal, allowed condition keys, use) for every service use."""
    by_ref = _by_keys(of_type(resources, TOPIC, QUEUE), "arn", "id", "name", "url")

    for lg in of_type(resources, LOG_GROUP):
        key = keys.resolve(_refs(lg, "kmsKeyId"))
        region = _region(lg)
        if key is not None and region:
            yield key, lg, "log group", f"logs.{region}.amazonaws.com", LOGS_KEYS, "log encryption"
    for sc in of_type(resources, GLUE_SECURITY):
        block = safe_get(sc.props, "encryptionConfiguration", "cloudwatchEncryption") or {}
        if str(safe_get(block, "cloudwatchEncryptionMode") or "").upper() != "SSE-KMS":
            continue
        key = keys.resolve({v for v in [safe_get(block, "kmsKeyArn")] if isinstance(v, str)}
                           | _refs(sc, "encryptionConfiguration"))
        region = _region(sc)
        if key is not None and region:
            yield (key, sc, "Glue security configuration (CloudWatch logs)", f"logs.{region}.amazonaws.com",
                   LOGS_KEYS, "log encryption")
    for bus in of_type(resources, EVENT_BUS):
        key = keys.resolve(_refs(bus, "kmsKeyIdentifier"))
        if key is not None:
            yield key, bus, "event bus", "events.amazonaws.com", EVENTS_BUS_KEYS, "event bus encryption"

    delivered: dict[tuple[str, str], tuple[Any, str, frozenset, str]] = {}
    for alarm in of_type(resources, METRIC_ALARM):
        for prop in ("alarmActions", "okActions", "insufficientDataActions"):
            for ref in _refs(alarm, prop):
                target = by_ref.get(ref)
                if target is not None and target.resource_type == TOPIC:
                    delivered[(target.urn, "cloudwatch.amazonaws.com")] = (
                        target, "cloudwatch.amazonaws.com", ALARMS_KEYS, "alarm notifications")
    for et in of_type(resources, EVENT_TARGET):
        for ref in _refs(et, "arn") | _refs(et, "deadLetterConfig", "arn"):
            target = by_ref.get(ref)
            if target is not None:
                delivered[(target.urn, "events.amazonaws.com")] = (
                    target, "events.amazonaws.com", EVENTS_DELIVERY_KEYS, "EventBridge delivery")
    for target, principal, allowed, use in delivered.values():
        key = keys.resolve(_refs(target, "kmsMasterKeyId"))
        if key is not None:
            what = "SNS topic" if target.resource_type == TOPIC else "SQS queue"
            yield key, target, what, principal, allowed, use


def _allowed(condition_key: str, allowed: frozenset) -> bool:
    """Condition key names are case-insensitive in IAM."""
    return condition_key.lower() in {a.lower() for a in allowed}


def _grants(statement: Mapping, principal: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if principal.lower() not in {p.lower() for p in principal_values(statement.get("Principal"))}:
        return False
    actions = [str(a) for a in as_list(statement.get("Action"))]
    return all(any(_action_matches(a, needed) for a in actions) for needed in NEEDED_KMS_ACTIONS)


def _key_grants_service_users(resources, cfg):
    keys = _Keys(resources)
    for key, user, what, principal, allowed, use in _key_uses(resources, keys):
        granting = [s for s in keys.statements(key) if _grants(s, principal)]
        if not granting:
            region = _region(user) or "its region"
            yield (f"KMS key '{key.name}' encrypts {what} '{user.name}' in {region}, but its key policy has no "
                   f"Allow statement for {principal} with {' and '.join(NEEDED_KMS_ACTIONS)}."), key.urn
            continue
        usable = [s for s in granting if all(_allowed(k, allowed) for k in _condition_keys(s))]
        if not usable:
            used = sorted({k for s in granting for k in _condition_keys(s) if not _allowed(k, allowed)})
            yield (f"KMS key '{key.name}' grants {principal} for {what} '{user.name}' only under condition keys "
                   f"the service does not send for {use} ({', '.join(used)}); allowed: "
                   f"{', '.join(sorted(allowed)) or 'no condition'}."), key.urn


def _documented_for(principal: str) -> Optional[tuple[str, frozenset]]:
    for pattern, entry in DOCUMENTED_CONDITION_KEYS.items():
        if fnmatch.fnmatchcase(principal.lower(), pattern):
            return entry
    return None


def _key_conditions_documented(resources, cfg):
    seen: set[str] = set()
    for owner in of_type(resources, KEY) + of_type(resources, KEY_POLICY):
        if owner.urn in seen:
            continue
        seen.add(owner.urn)
        for index, s in enumerate(_statements(safe_get(owner.props, "policy"))):
            service = safe_get(s, "Principal", "Service") if is_map(safe_get(s, "Principal")) else None
            for principal in [str(p) for p in as_list(service)]:
                entry = _documented_for(principal)
                if entry is None:
                    continue
                name, allowed = entry
                for key in _condition_keys(s):
                    if not _allowed(key, allowed):
                        sid = s.get("Sid") or f"#{index}"
                        yield (f"KMS key policy of '{owner.name}' statement '{sid}' for {principal} uses condition "
                               f"key {key}, which {name} does not document for key policies; allowed: "
                               f"{', '.join(sorted(allowed))}."), owner.urn



POLICIES = [
    stack_policy(
        name="kms-key-grants-service-users-in-region", service=SERVICE,
        description="A CMK used by a service (log groups, Glue CloudWatch encryption, event buses, SNS topics "
                    "alarms or rules publish to, EventBridge target queues/DLQs) grants that service principal, "
                    "in the user's region, with conditions the service sends.",
        applies_to=[LOG_GROUP, GLUE_SECURITY, EVENT_BUS, TOPIC, QUEUE], check=_key_grants_service_users,
        level=MANDATORY, severity=HIGH, reads=(KEY, KEY_POLICY, ALIAS, METRIC_ALARM, EVENT_TARGET),
        remediation="Add a key policy statement for the service principal (logs.<region>.amazonaws.com, "
                    "events.amazonaws.com, cloudwatch.amazonaws.com) with kms:GenerateDataKey* and kms:Decrypt, "
                    "conditioned only on keys the service documents for that use."),
    stack_policy(
        name="kms-key-service-statements-use-documented-conditions", service=SERVICE,
        description="Every condition key in a key policy statement for a service principal is one that "
                    "service documents for key policies (e.g. CloudWatch Logs: kms:EncryptionContext:aws:logs:arn).",
        applies_to=[KEY, KEY_POLICY], check=_key_conditions_documented, level=MANDATORY, severity=HIGH,
        remediation="Condition the statement on the keys the service documents; drop aws:SourceAccount / "
                    "aws:SourceArn where the service does not send them."),
]
