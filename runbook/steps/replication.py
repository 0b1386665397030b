"""Replication status report (read-only), read from the primary region.

The primary may be down during a failover: every failure here is a warning and the run goes on.
Nothing in the failover depends on these answers; they tell the operator how much data may be
missing in DR (the RPO actually achieved).
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, describe_error, warning
from runbook.context import RunContext
from runbook.discovery import tagged_resources
from runbook.steps import Mode

STEP = "replication"


def plan(ctx: RunContext, mode: Mode) -> list[Action]:
    try:
        resources = tagged_resources(ctx, "primary", ["s3", "dynamodb:table"])
    except (ClientError, BotoCoreError) as exc:
        return [warning(STEP, f"primary region {ctx.primary_region}",
                        f"unreachable ({describe_error(exc)}); replication status unknown, continuing")]
    actions: list[Action] = []
    for res in resources:
        if ":s3:::" in res.arn:
            actions.extend(_bucket(ctx, res.name))
        else:
            actions.append(_table(ctx, res.name))
    if not actions:
        actions.append(Action(STEP, f"primary region {ctx.primary_region}", note="no replicated buckets or tables found"))
    if mode == "failback":
        actions.append(warning(STEP, "reverse direction",
                               "S3 replication is one-way (primary -> DR): objects written in DR during the "
                               "failover are NOT copied back; DynamoDB global tables replicate both ways "
                               "(last writer wins). See docs/dr.md before failing back."))
    return actions


def _bucket(ctx: RunContext, bucket: str) -> list[Action]:
    s3 = ctx.client("s3", "primary")
    label = f"s3 bucket {bucket}"
    try:
        config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ReplicationConfigurationNotFoundError":
            return []  # not a replicated zone (e.g. the DR-side replica bucket itself)
        return [warning(STEP, label, f"cannot read replication ({describe_error(exc)}), continuing")]
    except BotoCoreError as exc:
        return [warning(STEP, label, f"cannot read replication ({describe_error(exc)}), continuing")]
    actions = []
    for rule in config.get("Rules", []):
        dest = rule.get("Destination", {})
        target = dest.get("Bucket", "?").split(":::")[-1]
        rtc = dest.get("ReplicationTime", {}).get("Status") == "Enabled"
        status = rule.get("Status", "?")
        text = f"rule {rule.get('ID', '?')} {status} -> {target}" + (" (RTC 15 min)" if rtc else "")
        if status == "Enabled":
            actions.append(Action(STEP, label, note=text))
        else:
            actions.append(warning(STEP, label, text))
    return actions


def _table(ctx: RunContext, table: str) -> Action:
    label = f"dynamodb table {table}"
    try:
        described = ctx.client("dynamodb", "primary").describe_table(TableName=table)["Table"]
    except (ClientError, BotoCoreError) as exc:
        return warning(STEP, label, f"cannot read replicas ({describe_error(exc)}), continuing")
    replica = next((r for r in described.get("Replicas", []) if r.get("RegionName") == ctx.dr_region), None)
    if replica is None:
        return warning(STEP, label, f"no replica in {ctx.dr_region}")
    status = replica.get("ReplicaStatus", "?")
    text = f"replica {ctx.dr_region} {status}"
    return Action(STEP, label, note=text) if status == "ACTIVE" else warning(STEP, label, text)
