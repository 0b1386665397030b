"""SQS: encrypted with a CMK and never open to everyone."""
from __future__ import annotations

from ._base import CRITICAL, HIGH, MANDATORY, MEDIUM, get, public_allow_statements, resource_policy

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


def _encrypted(props, cfg, args):
    if not get(props, "kmsMasterKeyId") and get(props, "sqsManagedSseEnabled") is not True:
        yield "Queue must set kmsMasterKeyId (or at least sqsManagedSseEnabled)."


def _cmk(props, cfg, args):
    if not get(props, "kmsMasterKeyId"):
        yield "Queue must set kmsMasterKeyId to a customer managed key (SQS-managed SSE is not enough)."


def _public(props, cfg, args):
    for s in public_allow_statements(get(props, "policy")):
        yield f"Queue policy statement '{s.get('Sid', '')}' allows Principal '*' without a Condition."


POLICIES = [
    resource_policy(
        name="sqs-queue-encrypted", service="sqs", control="SQS.1",
        description="SQS queues are encrypted at rest.",
        types=[QUEUE], check=_encrypted, level=MANDATORY, severity=MEDIUM,
        remediation="Set kms_master_key_id=<CMK arn>."),
    resource_policy(
        name="sqs-queue-encrypted-with-cmk", service="sqs",
        description="SQS queues are encrypted with a customer managed KMS key.",
        types=[QUEUE], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_master_key_id=<CMK arn> instead of sqs_managed_sse_enabled."),
    resource_policy(
        name="sqs-queue-policy-not-public", service="sqs",
        description="SQS queue policies do not allow Principal '*' without a condition.",
        types=[QUEUE, QUEUE_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to service principals with aws:SourceArn/aws:SourceAccount conditions, or named roles."),
]
