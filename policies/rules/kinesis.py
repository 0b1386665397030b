"""Kinesis Data Streams: KMS encryption and a retention window long enough to replay a week."""
from __future__ import annotations

from ._base import ADVISORY, HIGH, LOW, MANDATORY, get, number, resource_policy

STREAM = "aws:kinesis/stream:Stream"
RETENTION_CONFIG = {"minimumRetentionHours": {"type": "integer", "minimum": 24, "maximum": 8760, "default": 168,
                                              "description": "Smallest retentionPeriod (hours) accepted."}}


def _encrypted(props, cfg, args):
    if get(props, "encryptionType", default="NONE") != "KMS":
        yield "Stream must set encryptionType to KMS."
    elif not get(props, "kmsKeyId"):
        yield "Stream must set kmsKeyId to a customer managed key."


def _retention(props, cfg, args):
    hours = number(get(props, "retentionPeriod")) or 24
    if hours < cfg["minimumRetentionHours"]:
        yield f"retentionPeriod is {int(hours)} hours; keep at least {cfg['minimumRetentionHours']}."


POLICIES = [
    resource_policy(
        name="kinesis-stream-encrypted-with-kms", service="kinesis", control="Kinesis.1",
        description="Kinesis streams are encrypted at rest with a customer managed KMS key.",
        types=[STREAM], check=_encrypted, level=MANDATORY, severity=HIGH,
        remediation="Set encryption_type='KMS' and kms_key_id=<CMK arn>."),
    resource_policy(
        name="kinesis-stream-retention-7-days", service="kinesis",
        description="Kinesis streams retain records for at least 7 days (168 hours) so consumers can replay.",
        types=[STREAM], check=_retention, level=ADVISORY, severity=LOW, config=RETENTION_CONFIG,
        remediation="Set retention_period=168 (or more)."),
]
