"""Kinesis Data Streams: KMS encryption and a retention window long enough to replay a week."""
from __future__ import annotations

from ._base import ADVISORY, HIGH, LOW, MANDATORY, UNKNOWN, cmk_problem, number, peek, resource_policy

STREAM = "aws:kinesis/stream:Stream"
RETENTION_CONFIG = {"minimumRetentionHours": {"type": "integer", "minimum": 24, "maximum": 8760, "default": 168,
                                              "description": "Smallest retentionPeriod (hours) accepted."}}


def _encrypted(props, cfg, args):
    kind = peek(props, "encryptionType", default="NONE")
    if kind not in ("KMS", UNKNOWN):
        yield f"Stream encryptionType is '{kind}'; set encryptionType to KMS."
    elif kind == "KMS":
        problem = cmk_problem(peek(props, "kmsKeyId"), "kmsKeyId")
        if problem:
            yield f"Stream {problem} (alias/aws/kinesis is the AWS managed key)."


def _retention(props, cfg, args):
    hours = peek(props, "retentionPeriod")
    if hours is UNKNOWN:
        return
    hours = number(hours) or 24
    if hours < cfg["minimumRetentionHours"]:
        yield f"retentionPeriod is {int(hours)} hours; keep at least {cfg['minimumRetentionHours']}."


POLICIES = [
    resource_policy(
        name="kinesis-stream-encrypted-with-kms", service="kinesis", control="Kinesis.1",
        description="Kinesis streams are encrypted at rest with a customer managed KMS key (omitted = NONE; "
                    "alias/aws/kinesis is AWS managed). Stricter than Kinesis.1.",
        types=[STREAM], check=_encrypted, level=MANDATORY, severity=HIGH,
        remediation="Set encryption_type='KMS' and kms_key_id=<CMK arn>."),
    resource_policy(
        name="kinesis-stream-retention-7-days", service="kinesis",
        description="Kinesis streams retain records for at least 7 days (168 hours) so consumers can replay.",
        types=[STREAM], check=_retention, level=ADVISORY, severity=LOW, config=RETENTION_CONFIG,
        remediation="Set retention_period=168 (or more)."),
]
