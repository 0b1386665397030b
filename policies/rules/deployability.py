"""Deployability: what AWS enforces at apply time, or what the deployed system needs in order to
work, that no single resource shows. Generic over the graph: each rule follows references
(values, and the engine's property dependencies when values are unknown) between resources.

- a KMS key used by a service in a region grants that service principal in that region, with
  only condition keys the service documents for that use;
- cross-account Lake Formation grants carry the grant option consumers need to pass them on;
- S3 replication waits (depends) on versioning of its source and destination buckets;
- DynamoDB tables whose replicas a TableReplica manages ignore ``replicas``;
- resource policies only name actions their service accepts there;
- every IAM policy document passes Parliament (a real IAM linter);
- container images and Lambda artifacts are produced by the deployment, not assumed to exist.
"""
from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable, Optional

from pulumi_policy.proxy import UnknownValueError

from ._base import (HIGH, MANDATORY, MEDIUM, as_json, as_list, is_list, is_map, of_type, principal_values,
                    provider_props, resource_keys, safe_get, stack_policy)

SERVICE = "deployability"

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
GLUE_SECURITY = "aws:glue/securityConfiguration:SecurityConfiguration"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
REPOSITORY = "aws:ecr/repository:Repository"
FUNCTION = "aws:lambda/function:Function"
LAYER = "aws:lambda/layerVersion:LayerVersion"
# Resources that build and push an image during `pulumi up`, and the outputs naming what they pushed.
IMAGE_BUILDERS = {"awsx:ecr:Image": ("imageUri",), "docker-build:index:Image": ("ref", "digest"),
                  "docker:index/image:Image": ("repoDigest", "imageName")}


# --- shared graph helpers --------------------------------------------------------------------------

def _region(resource) -> Optional[str]:
    region = safe_get(provider_props(resource), "region")
    if isinstance(region, str) and region:
        return region
    arn = safe_get(resource.props, "arn")
    if isinstance(arn, str) and arn.count(":") >= 4 and arn.split(":")[3]:
        return arn.split(":")[3]
    return None


def _stack_accounts(resource) -> set[str]:
    return {str(a) for a in as_list(as_json(safe_get(provider_props(resource), "allowedAccountIds")))}


def _refs(resource, *path: str) -> set[str]:
    """Strings ``resource.<path>`` holds (value or list of values), plus the urns the engine recorded
    as dependencies of the path's top-level property (the value is unknown during a first preview)."""
    refs = {v for v in as_list(safe_get(resource.props, *path)) if isinstance(v, str) and v}
    refs |= {d.urn for d in (resource.property_dependencies or {}).get(path[0], [])}
    return refs


def _bucket_name(ref: str) -> str:
    return ref[len("arn:aws:s3:::"):] if ref.startswith("arn:aws:s3:::") else ref


def _action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), str(pattern).lower())


def _condition_keys(statement: Mapping) -> list[str]:
    condition = safe_get(statement, "Condition") or {}
    keys: list[str] = []
    if is_map(condition):
        for block in condition.values():
            if is_map(block):
                keys.extend(str(k) for k in block)
    return keys


def _statements(document: Any) -> list[Mapping]:
    doc = as_json(_known(document))
    if not is_map(doc):
        return []
    return [s for s in as_list(doc.get("Statement")) if is_map(s)]


def _known(value: Any) -> Any:
    """A plain copy of a property with unknown (preview) parts removed: judge what is known."""
    try:
        if is_map(value):
            out = {}
            for k in list(value.keys()):
                try:
                    out[k] = _known(value[k])
                except UnknownValueError:
                    continue
            return out
        if is_list(value):
            out_list = []
            for i in range(len(value)):
                try:
                    out_list.append(_known(value[i]))
                except UnknownValueError:
                    continue
            return out_list
    except UnknownValueError:
        return None
    return value


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
    by_ref: dict[str, Any] = {}
    for r in of_type(resources, TOPIC, QUEUE):
        for ref in resource_keys(r, "arn", "id", "name", "url"):
            by_ref[ref] = r

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


# --- b. cross-account Lake Formation grants carry the grant option ------------------------------

# What a consumer account's admin passes on to its own principals (Lake Formation Developer Guide,
# "Granting permissions on Data Catalog resources" / cross-account: the recipient account can grant
# only what it received with the grant option).
PASSED_ON = {"table": {"SELECT", "DESCRIBE"}, "tableWithColumns": {"SELECT", "DESCRIBE"}, "database": {"DESCRIBE"}}


def _lf_grant_option(resources, cfg):
    for p in of_type(resources, LF_PERMISSIONS):
        principal = safe_get(p.props, "principal")
        if not isinstance(principal, str) or not re.fullmatch(r"\d{12}", principal):
            continue
        if principal in _stack_accounts(p):
            continue
        granted = {str(x).upper() for x in as_list(safe_get(p.props, "permissions"))}
        with_option = {str(x).upper() for x in as_list(safe_get(p.props, "permissionsWithGrantOptions"))}
        kind = next((k for k in ("tableWithColumns", "table", "database") if safe_get(p.props, k)), None)
        if kind is None:
            continue
        needed = granted & PASSED_ON[kind]
        if kind != "database" and "SELECT" in granted:
            needed.add("DESCRIBE")
        missing = sorted(needed - with_option)
        if missing:
            yield (f"Lake Formation grant '{p.name}' to account {principal} on a {kind} lacks "
                   f"permissionsWithGrantOptions {', '.join(missing)}: the consumer cannot pass it on to its "
                   f"own principals."), p.urn


# --- c. replication waits for versioning on both sides --------------------------------------------

def _replication_waits_for_versioning(resources, cfg):
    buckets: dict[str, Any] = {}
    for b in of_type(resources, *BUCKETS):
        for ref in resource_keys(b, "bucket", "id", "arn"):
            buckets[_bucket_name(ref)] = b
    versioning: dict[str, list] = {}
    for v in of_type(resources, *VERSIONING):
        for ref in _refs(v, "bucket"):
            bucket = buckets.get(_bucket_name(ref))
            if bucket is not None:
                versioning.setdefault(bucket.urn, []).append(v)
                break
    for rc in of_type(resources, REPLICATION):
        depends = {d.urn for d in (rc.dependencies or [])}
        sides = [("source", _refs(rc, "bucket"))]
        rules = safe_get(rc.props, "rules") or []
        destinations = {safe_get(rule, "destination", "bucket") for rule in as_list(rules)}
        sides.append(("destination", {d for d in destinations if isinstance(d, str)} | _refs(rc, "rules")))
        for side, refs in sides:
            seen: set[str] = set()
            for ref in refs:
                bucket = buckets.get(_bucket_name(ref))
                if bucket is None or bucket.urn in seen:
                    continue
                seen.add(bucket.urn)
                settings = versioning.get(bucket.urn, [])
                if not settings:
                    yield (f"Replication '{rc.name}' uses {side} bucket '{bucket.name}', which has no "
                           f"versioning resource in the stack; S3 rejects replication without versioning."), rc.urn
                elif not any(v.urn in depends for v in settings):
                    yield (f"Replication '{rc.name}' does not depend on '{settings[0].name}', the versioning of "
                           f"its {side} bucket '{bucket.name}'; add it to depends_on (S3 rejects replication "
                           f"configured before versioning is enabled)."), rc.urn


# --- d. tables with managed replicas ignore them -------------------------------------------------

def _tables_ignore_managed_replicas(resources, cfg):
    tables: dict[str, Any] = {}
    for t in of_type(resources, TABLE):
        for ref in resource_keys(t, "arn", "name", "id"):
            tables[ref] = t
    flagged: set[str] = set()
    for replica in of_type(resources, TABLE_REPLICA):
        table = next((tables[r] for r in _refs(replica, "globalTableArn") if r in tables), None)
        if table is None or table.urn in flagged:
            continue
        ignored = [str(p) for p in (table.opts.ignore_changes or [])]
        if not any(p in ("replicas", "replicas[*]") for p in ignored):
            flagged.add(table.urn)
            yield (f"DynamoDB table '{table.name}' has its replica managed by TableReplica '{replica.name}' but "
                   f"does not ignore changes to 'replicas'; the next update of the table would remove the "
                   f"replica. Add ignore_changes=['replicas']."), table.urn


# --- e. resource-policy actions are valid for the service ----------------------------------------

# Actions a topic policy accepts: SNS Developer Guide, "Amazon SNS API permissions: Actions and
# resources reference" (sns-access-policy-language-api-permissions-reference), "Valid Amazon SNS
# policy actions". Anything else (sns:* included) is refused when the policy is set.
SNS_TOPIC_POLICY_ACTIONS = (
    "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
    "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe")
_SNS_TOPIC_POLICY_ACTIONS = frozenset(a.lower() for a in SNS_TOPIC_POLICY_ACTIONS)
# type -> (document property, service prefix the policy accepts)
RESOURCE_POLICIES = {
    "aws:sns/topicPolicy:TopicPolicy": ("policy", "sns"),
    TOPIC: ("policy", "sns"),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy", "sqs"),
    QUEUE: ("policy", "sqs"),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": ("policy", "events"),
    KEY: ("policy", "kms"),
    KEY_POLICY: ("policy", "kms"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "s3"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy", "ecr"),
}


@functools.lru_cache(maxsize=None)
def _service_actions(prefix: str) -> frozenset:
    """Every IAM action of a service, from Parliament's copy of the AWS Service Authorization Reference."""
    from parliament import iam_definition  # imported on first use: loading the database takes ~1 s

    for service in iam_definition:
        if service["prefix"] == prefix:
            return frozenset(f"{prefix}:{p['privilege']}".lower() for p in service["privileges"])
    return frozenset()


def _invalid_action(action: str, prefix: str) -> Optional[str]:
    action = action.strip()
    if action == "*":
        return f"'*' (name {prefix} actions)" if prefix == "sns" else None
    service, _, _name = action.partition(":")
    if service.lower() != prefix:
        return f"'{action}' (not a {prefix} action)"
    known = _service_actions(prefix)
    matched = {a for a in known if _action_matches(action, a)}
    if not matched:
        return f"'{action}' (no such {prefix} action)"
    if prefix == "sns" and not matched <= _SNS_TOPIC_POLICY_ACTIONS:
        return f"'{action}' (a topic policy accepts only {', '.join(SNS_TOPIC_POLICY_ACTIONS)})"
    return None


def _resource_policy_actions(resources, cfg):
    for r in resources:
        spec = RESOURCE_POLICIES.get(r.resource_type)
        if spec is None:
            continue
        prop, prefix = spec
        for index, s in enumerate(_statements(safe_get(r.props, prop))):
            for action in [str(a) for a in as_list(s.get("Action"))]:
                problem = _invalid_action(action, prefix)
                if problem:
                    sid = s.get("Sid") or f"#{index}"
                    yield (f"Policy of '{r.name}' ({r.resource_type.split(':')[1]}) statement '{sid}' names action "
                           f"{problem}; AWS rejects the policy."), r.urn


# --- f. every IAM policy document passes Parliament --------------------------------------------

IDENTITY, TRUST, RESOURCE = "identity", "trust", "resource"
POLICY_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": (("policy",), IDENTITY),
    "aws:iam/policy:Policy": (("policy",), IDENTITY),
    "aws:iam/userPolicy:UserPolicy": (("policy",), IDENTITY),
    "aws:iam/groupPolicy:GroupPolicy": (("policy",), IDENTITY),
    "aws:iam/role:Role": (("assumeRolePolicy",), TRUST),
    **{t: ((prop,), RESOURCE) for t, (prop, _) in RESOURCE_POLICIES.items()},
}
# Parliament findings that make a document fail (the policy is rejected, or silently never applies):
ERROR_FINDINGS = frozenset({
    "EXCEPTION", "MALFORMED_JSON", "MALFORMED", "UNKNOWN_ACTION", "UNKNOWN_PREFIX", "RESOURCE_MISMATCH",
    "UNKNOWN_CONDITION_FOR_ACTION", "MISMATCHED_TYPE", "MISMATCHED_TYPE_OPERATION_TO_NULL", "INVALID_ARN",
    "INVALID_VERSION", "UNKNOWN_FEDERATION_SOURCE"})
# Everything else is advice, not a deploy or runtime failure, and is not reported:
# - RESOURCE_STAR / RESOURCE_EFFECTIVELY_STAR: key policies must say "*" and some actions only take
#   "*"; least privilege is the iam rules' concern.
# - MISMATCHED_TYPE_BUT_USABLE: Parliament itself says the condition works.
# - NO_VERSION / OLD_VERSION / INVALID_SID: style; DUPLICATE_SID and RESOURCE_POLICY_PRIVILEGE_ESCALATION
#   are judged per statement here (documents are linted one statement at a time, see _lint).
# - UNKNOWN_PRINCIPAL: Parliament does not know every service principal (e.g. regional logs).
# Exceptions inside ERROR_FINDINGS, each one a form AWS documents or accepts:
# - MALFORMED "neither Resource nor NotResource" in a trust policy: trust policies have no Resource.
# - UNKNOWN_CONDITION_FOR_ACTION when another action of the same statement supports the key: AWS's
#   own examples combine them (CloudWatch Logs' key policy puts kms:Describe* next to the
#   encryption-context condition); it is an error only when no action of the statement has the key,
#   i.e. the statement can never match.
# - MISMATCHED_TYPE of an Arn operator on a String key: ARN operators compare strings, and AWS's own
#   examples use ArnLike with kms:EncryptionContext:aws:logs:arn (typed String by Parliament).
_UNKNOWN_CONDITION = re.compile(r"^Unknown condition (\S+) for action (\S+)$")
_ARN_ON_STRING = re.compile(r"Arn\w* requires a value of type Arn but given String")


@functools.lru_cache(maxsize=4096)
def _lint(statement_text: str, kind: str) -> tuple[str, ...]:
    """Parliament's error findings for one statement (cached by its text: shared statements and
    repeated stacks cost one analysis)."""
    import parliament  # imported on first use: loading its IAM database takes ~1 s

    doc = json.dumps({"Version": "2012-10-17", "Statement": [json.loads(statement_text)]})
    policy = parliament.analyze_policy_string(doc, ignore_private_auditors=True)
    findings = [f for f in policy.findings if f.issue in ERROR_FINDINGS]
    problems: list[str] = []
    unsupported: dict[str, set[str]] = {}
    for f in findings:
        detail = str(f.detail)
        if f.issue == "MALFORMED" and kind == TRUST and "Resource" in detail:
            continue
        if f.issue == "MISMATCHED_TYPE" and _ARN_ON_STRING.search(detail):
            continue
        if f.issue == "UNKNOWN_CONDITION_FOR_ACTION":
            match = _UNKNOWN_CONDITION.match(detail)
            if match:
                unsupported.setdefault(match.group(1), set()).add(match.group(2).lower())
                continue
        problems.append(f"{f.issue}: {_short(detail)}")
    if unsupported:
        actions = _expanded_actions(json.loads(statement_text))
        for key, flagged in sorted(unsupported.items()):
            if actions and flagged >= actions:
                problems.append(f"UNKNOWN_CONDITION_FOR_ACTION: condition key {key} applies to none of "
                                f"the statement's actions, so it never matches")
    return tuple(problems)


def _expanded_actions(statement: Mapping) -> set[str]:
    from parliament import UnknownActionException, UnknownPrefixException, expand_action

    out: set[str] = set()
    for action in as_list(statement.get("Action")):
        try:
            out |= {f"{a['service']}:{a['action']}".lower() for a in expand_action(str(action))}
        except (UnknownActionException, UnknownPrefixException):
            continue
    return out


def _short(detail: str, limit: int = 200) -> str:
    return detail if len(detail) <= limit else detail[:limit] + "..."


def _policy_documents_pass_parliament(resources, cfg):
    for r in resources:
        spec = POLICY_DOCUMENTS.get(r.resource_type)
        if spec is None:
            continue
        (prop,), kind = spec
        document = as_json(_known(safe_get(r.props, prop)))
        if document is None:
            continue
        if not is_map(document):
            yield f"Policy document '{prop}' of '{r.name}' is not valid JSON.", r.urn
            continue
        sids = [s.get("Sid") for s in _statements(document) if s.get("Sid")]
        duplicates = sorted({s for s in sids if sids.count(s) > 1})
        if duplicates:
            yield f"Policy document '{prop}' of '{r.name}' repeats Sid {', '.join(duplicates)}.", r.urn
        for index, s in enumerate(_statements(document)):
            for problem in _lint(json.dumps(s, sort_keys=True), kind):
                sid = s.get("Sid") or f"#{index}"
                yield (f"Policy document '{prop}' of '{r.name}' ({r.resource_type.split(':')[1]}) statement "
                       f"'{sid}': {problem}."), r.urn


# --- g. images and artifacts are produced by the deployment --------------------------------------

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _produced_images(resources) -> tuple[set[str], set[str]]:
    """(image references the stack's image builders output, urns of those builders)."""
    refs: set[str] = set()
    urns: set[str] = set()
    for r in resources:
        outputs = IMAGE_BUILDERS.get(r.resource_type)
        if outputs is None:
            continue
        urns.add(r.urn)
        for prop in outputs:
            value = safe_get(r.props, prop)
            if isinstance(value, str) and value:
                refs.add(value)
    return refs, urns


def _image_problem(image: str, repositories: Mapping[str, Any], produced: set[str],
                   builder_deps: bool) -> Optional[str]:
    if image in produced or (builder_deps and not produced):
        return None
    repo = next((r for url, r in repositories.items() if image.startswith(url + ":") or image.startswith(url + "@")
                 or image == url), None)
    if repo is not None:
        return (f"image '{image}' is in repository '{repo.name}' that this stack creates, but no image build in "
                f"the deployment pushes it; build it with awsx.ecr.Image and use its output")
    if not DIGEST.search(image):
        return f"image '{image}' is not built by the deployment nor pinned by digest (@sha256:...)"
    return None


def _images_built(resources, cfg):
    repositories = {}
    for repo in of_type(resources, REPOSITORY):
        url = safe_get(repo.props, "repositoryUrl")
        if isinstance(url, str) and url:
            repositories[url] = repo
    produced, builders = _produced_images(resources)
    for td in of_type(resources, TASK_DEFINITION):
        containers = as_json(_known(safe_get(td.props, "containerDefinitions")))
        deps = {d.urn for d in (td.property_dependencies or {}).get("containerDefinitions", [])}
        for c in as_list(containers):
            image = safe_get(c, "image") if is_map(c) else None
            if isinstance(image, str) and image:
                problem = _image_problem(image, repositories, produced, bool(deps & builders))
                if problem:
                    yield f"Task definition '{td.name}' container '{c.get('name')}': {problem}.", td.urn
    for fn in of_type(resources, FUNCTION):
        image = safe_get(fn.props, "imageUri")
        if isinstance(image, str) and image:
            deps = {d.urn for d in (fn.property_dependencies or {}).get("imageUri", [])}
            problem = _image_problem(image, repositories, produced, bool(deps & builders))
            if problem:
                yield f"Lambda function '{fn.name}': {problem}.", fn.urn


_RECORDED_ARCHIVE = re.compile(r"^<(FileArchive|FileAsset|AssetArchive|RemoteArchive|RemoteAsset|StringAsset)"
                               r"(?: (.*))?>$")


def _local_paths(value: Any) -> Iterable[str]:
    """Local file paths an archive/asset value points at. pulumi-policy hands archives over as
    pulumi.FileArchive / AssetArchive objects; the offline graph records them as '<FileArchive path>'."""
    import pulumi

    if isinstance(value, (pulumi.FileArchive, pulumi.FileAsset)):
        yield str(value.path)
    elif isinstance(value, pulumi.AssetArchive):
        for inner in (value.assets or {}).values():
            yield from _local_paths(inner)
    elif isinstance(value, str):
        match = _RECORDED_ARCHIVE.match(value)
        if match and match.group(1) in ("FileArchive", "FileAsset") and match.group(2):
            yield match.group(2)


def _exists(path: str) -> bool:
    """Relative paths are the program's (its directory is the project root, this pack's parent)."""
    candidates = [Path(path)] if os.path.isabs(path) else [Path.cwd() / path,
                                                             Path(__file__).resolve().parents[2] / path]
    for p in candidates:
        if p.is_file() or (p.is_dir() and any(p.iterdir())):
            return True
    return False


def _artifacts_exist(resources, cfg):
    for r in of_type(resources, FUNCTION, LAYER):
        for prop in ("code", "filename"):
            value = safe_get(r.props, prop)
            if prop == "filename" and isinstance(value, str) and value:
                paths = [value]
            else:
                paths = list(_local_paths(value))
            for path in paths:
                if not _exists(path):
                    yield (f"'{r.name}' ({r.resource_type.split(':')[1]}) packages {prop} from '{path}', which does "
                           f"not exist or is empty; the deployment must produce it."), r.urn


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
    stack_policy(
        name="lakeformation-cross-account-grant-option", service=SERVICE,
        description="Lake Formation grants to another account carry permissionsWithGrantOptions covering what "
                    "the consumer passes on (SELECT and DESCRIBE on tables, DESCRIBE on databases).",
        applies_to=[LF_PERMISSIONS], check=_lf_grant_option, level=MANDATORY, severity=HIGH,
        remediation="Set permissions_with_grant_options to the granted SELECT/DESCRIBE permissions."),
    stack_policy(
        name="s3-replication-depends-on-versioning", service=SERVICE,
        description="S3 replication configurations depend on the versioning resources of their source and "
                    "destination buckets.",
        applies_to=[REPLICATION], check=_replication_waits_for_versioning, level=MANDATORY, severity=HIGH,
        reads=BUCKETS + VERSIONING,
        remediation="Pass depends_on=[source_versioning, destination_versioning] to the BucketReplicationConfig."),
    stack_policy(
        name="dynamodb-table-ignores-managed-replicas", service=SERVICE,
        description="A DynamoDB table whose replica a TableReplica manages ignores changes to 'replicas'.",
        applies_to=[TABLE_REPLICA], check=_tables_ignore_managed_replicas, level=MANDATORY, severity=HIGH,
        reads=(TABLE,),
        remediation="Create the table with ResourceOptions(ignore_changes=['replicas'])."),
    stack_policy(
        name="resource-policy-actions-valid-for-service", service=SERVICE,
        description="Resource policies name only actions their service accepts there (SNS topic policies: "
                    "SNS's listed topic actions, no sns:*; queue, bus, key, bucket, repository policies: "
                    "existing actions of their service).",
        applies_to=list(RESOURCE_POLICIES), check=_resource_policy_actions, level=MANDATORY, severity=HIGH,
        remediation="List the service's valid actions explicitly (e.g. sns:Publish, sns:Subscribe)."),
    stack_policy(
        name="iam-policy-documents-pass-parliament", service=SERVICE,
        description="Every IAM policy document (role, inline and managed policies, trust policies, resource "
                    "policies) passes Parliament: actions exist, resources match the actions' resource types, "
                    "condition keys apply.",
        applies_to=list(POLICY_DOCUMENTS), check=_policy_documents_pass_parliament, level=MANDATORY,
        severity=HIGH,
        remediation="Fix the statement Parliament names (see policies/README.md for which findings count)."),
    stack_policy(
        name="container-images-built-by-deployment", service=SERVICE,
        description="ECS task definitions and image Lambdas run images the deployment builds (awsx.ecr.Image or "
                    "docker-build output) or images pinned by digest, never a tag in a repository the stack "
                    "itself creates.",
        applies_to=[TASK_DEFINITION, FUNCTION], check=_images_built, level=MANDATORY, severity=HIGH,
        reads=(REPOSITORY,) + tuple(IMAGE_BUILDERS),
        remediation="Build and push with awsx.ecr.Image and use its image_uri (digest-pinned) in the task "
                    "definition."),
    stack_policy(
        name="lambda-artifacts-exist", service=SERVICE,
        description="Lambda function and layer archives point at files or non-empty directories that exist "
                    "when the program runs.",
        applies_to=[FUNCTION, LAYER], check=_artifacts_exist, level=MANDATORY, severity=MEDIUM,
        remediation="Produce the artifact in the program (or ship it) before declaring the function or layer."),
]
