"""Policy documents AWS accepts: resource policies name actions their service takes there, and
every IAM document passes Parliament."""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Optional

from .._base import HIGH, MANDATORY, as_json, as_list, is_map, safe_get, stack_policy
from ._graph import KEY, KEY_POLICY, QUEUE, SERVICE, TOPIC, _action_matches, _known, _statements

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


@functools.lru_cache(maxsize=4096)
def _invalid_action(action: str, prefix: str) -> Optional[str]:
    """Why AWS would refuse `action` in a `prefix` resource policy, or None. Pure in its arguments,
    so each distinct action is judged once (a stack names the same few actions many times)."""
    action = action.strip()
    if action == "*":
        return f"'*' (name {prefix} actions)" if prefix == "sns" else None
    service, _, _name = action.partition(":")
    if service.lower() != prefix:
        return f"'{action}' (not a {prefix} action)"
    known = _service_actions(prefix)
    if not any(ch in action for ch in "*?["):
        matched = {action.lower()} & known
    else:
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



POLICIES = [
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
]
