"""SNS: topics encrypted with a CMK and never open to everyone."""
from __future__ import annotations

from ._base import CRITICAL, HIGH, MANDATORY, get, public_allow_statements, resource_policy

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


def _cmk(props, cfg, args):
    if not get(props, "kmsMasterKeyId"):
        yield "Topic must set kmsMasterKeyId to a customer managed key."


def _public(props, cfg, args):
    for s in public_allow_statements(get(props, "policy")):
        yield f"Topic policy statement '{s.get('Sid', '')}' allows Principal '*' without a Condition."


POLICIES = [
    resource_policy(
        name="sns-topic-encrypted-with-cmk", service="sns", control="SNS.1",
        description="SNS topics are encrypted at rest with a customer managed KMS key.",
        types=[TOPIC], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_master_key_id=<CMK arn>."),
    resource_policy(
        name="sns-topic-policy-not-public", service="sns",
        description="SNS topic policies do not allow Principal '*' without a condition.",
        types=[TOPIC, TOPIC_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to named principals or add aws:SourceOwner/aws:SourceArn conditions."),
]
