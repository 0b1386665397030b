"""CloudWatch Logs: retention set (and long enough), encrypted with a CMK."""
from __future__ import annotations

from ._base import ADVISORY, LOW, MANDATORY, MEDIUM, UNKNOWN, cmk_problem, number, peek, resource_policy

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RETENTION_CONFIG = {"minimumLogRetentionDays": {"type": "integer", "minimum": 1, "default": 365,
                                                "description": "Smallest retentionInDays the platform recommends."}}


def _retention_set(props, cfg, args):
    days = peek(props, "retentionInDays")
    if days is not UNKNOWN and not number(days):
        yield "Log group must set retentionInDays (0/unset keeps logs forever at growing cost)."


def _retention_minimum(props, cfg, args):
    days = peek(props, "retentionInDays")
    days = None if days is UNKNOWN else number(days)
    if days and days < cfg["minimumLogRetentionDays"]:
        yield f"retentionInDays is {int(days)}; keep logs at least {cfg['minimumLogRetentionDays']} days."


def _cmk(props, cfg, args):
    problem = cmk_problem(peek(props, "kmsKeyId"), "kmsKeyId")
    if problem:
        yield f"Log group {problem}."


POLICIES = [
    resource_policy(
        name="cloudwatch-log-group-retention-set", service="logs",
        description="CloudWatch log groups set an explicit retention.",
        types=[LOG_GROUP], check=_retention_set, level=MANDATORY, severity=MEDIUM,
        remediation="Set retention_in_days (the blueprint uses 365)."),
    resource_policy(
        name="cloudwatch-log-group-retention-minimum", service="logs",
        description="CloudWatch log groups keep logs at least the configured minimum (default 365 days).",
        types=[LOG_GROUP], check=_retention_minimum, level=ADVISORY, severity=LOW, config=RETENTION_CONFIG,
        remediation="Raise retention_in_days to the configured minimum."),
    resource_policy(
        name="cloudwatch-log-group-encrypted-with-cmk", service="logs",
        description="CloudWatch log groups are encrypted with a customer managed KMS key.",
        types=[LOG_GROUP], check=_cmk, level=MANDATORY, severity=MEDIUM,
        remediation="Set kms_key_id=<CMK arn>; the key policy must allow logs.<region>.amazonaws.com."),
]
