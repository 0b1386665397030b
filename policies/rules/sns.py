"""SNS: topics encrypted with a customer managed key and never open to everyone."""
from __future__ import annotations

from ._base import CRITICAL, HIGH, MANDATORY, UNKNOWN, as_json, cmk_problem, known_copy, peek, resource_policy
from ._documents import public_allow_statements, public_reason

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


def _cmk(props, cfg, args):
    problem = cmk_problem(peek(props, "kmsMasterKeyId"), "kmsMasterKeyId")
    if problem:
        yield f"Topic {problem}."


def _public(props, cfg, args):
    document = peek(props, "policy")
    for s in public_allow_statements(None if document is UNKNOWN else as_json(known_copy(document))):
        yield f"Topic policy statement '{s.get('Sid', '')}' {public_reason(s)}."


POLICIES = [
    resource_policy(
        name="sns-topic-encrypted-with-cmk", service="sns", control="SNS.1",
        description="SNS topics are encrypted at rest with a customer managed KMS key (unset = plaintext; "
                    "alias/aws/sns is AWS managed).",
        types=[TOPIC], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_master_key_id=<CMK arn>."),
    resource_policy(
        name="sns-topic-policy-not-public", service="sns",
        description="SNS topic policies (on the topic or a TopicPolicy resource) never allow Principal '*' or "
                    "NotPrincipal unless a condition narrows it (aws:SourceOwner, aws:SourceArn, org, ...).",
        types=[TOPIC, TOPIC_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to named principals or add aws:SourceOwner/aws:SourceArn conditions."),
]
