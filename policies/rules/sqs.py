"""SQS: encrypted (AWS applies SSE-SQS when nothing is set), with a customer managed key, never public."""
from __future__ import annotations

from ._base import CRITICAL, HIGH, MANDATORY, MEDIUM, UNKNOWN, as_json, cmk_problem, known_copy, peek, resource_policy
from ._documents import public_allow_statements, public_reason

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


def _encrypted(props, cfg, args):
    # CreateQueue enables SSE-SQS unless told otherwise: only an explicit false without a KMS key is plaintext.
    if peek(props, "kmsMasterKeyId") is None and peek(props, "sqsManagedSseEnabled") is False:
        yield "Queue sets sqsManagedSseEnabled to false without kmsMasterKeyId: messages are stored unencrypted."


def _cmk(props, cfg, args):
    problem = cmk_problem(peek(props, "kmsMasterKeyId"), "kmsMasterKeyId")
    if problem:
        yield f"Queue {problem} (SQS-managed SSE is not enough)."


def _public(props, cfg, args):
    document = peek(props, "policy")
    for s in public_allow_statements(None if document is UNKNOWN else as_json(known_copy(document))):
        yield f"Queue policy statement '{s.get('Sid', '')}' {public_reason(s)}."


POLICIES = [
    resource_policy(
        name="sqs-queue-encrypted", service="sqs", control="SQS.1",
        description="SQS queues are encrypted at rest (omitted settings mean SSE-SQS; only "
                    "sqsManagedSseEnabled=false without a KMS key is plaintext).",
        types=[QUEUE], check=_encrypted, level=MANDATORY, severity=MEDIUM,
        remediation="Set kms_master_key_id=<CMK arn>."),
    resource_policy(
        name="sqs-queue-encrypted-with-cmk", service="sqs",
        description="SQS queues are encrypted with a customer managed KMS key (not SSE-SQS, not alias/aws/sqs).",
        types=[QUEUE], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_master_key_id=<CMK arn> instead of sqs_managed_sse_enabled."),
    resource_policy(
        name="sqs-queue-policy-not-public", service="sqs",
        description="SQS queue policies (on the queue or a QueuePolicy resource) never allow Principal '*' or "
                    "NotPrincipal unless a condition narrows it to an org, account or source.",
        types=[QUEUE, QUEUE_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to service principals with aws:SourceArn/aws:SourceAccount conditions, or named roles."),
]
