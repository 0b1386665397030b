"""DynamoDB tables and their replicas (inline ``replicas`` or TableReplica resources): PITR, CMK
encryption, deletion protection; provisioned tables scale with demand."""
from __future__ import annotations

from ._base import (HIGH, MANDATORY, MEDIUM, UNKNOWN, cmk_problem, known_items, of_type, peek, resource_keys,
                    resource_policy, safe_get, shown, stack_policy)

TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
SCALING_TARGET = "aws:appautoscaling/target:Target"


def _replicas(props, resource_type):
    """(label, replica props, pitr key): the inline replicas of a table, or a TableReplica itself."""
    if resource_type == TABLE_REPLICA:
        return [(f"TableReplica of {shown(props, 'globalTableArn')}", props)]
    return [(f"Replica in {shown(r, 'regionName')}", r) for r in known_items(peek(props, "replicas"))]


def _pitr(props, cfg, args):
    if args.resource_type == TABLE and peek(props, "pointInTimeRecovery", "enabled") not in (True, UNKNOWN):
        yield "Table must set pointInTimeRecovery.enabled to true (omitted = off)."
    for label, replica in _replicas(props, args.resource_type):
        if peek(replica, "pointInTimeRecovery") not in (True, UNKNOWN):
            yield f"{label} must set pointInTimeRecovery to true."


def _cmk(props, cfg, args):
    if args.resource_type == TABLE:
        enabled = peek(props, "serverSideEncryption", "enabled")
        if enabled not in (True, UNKNOWN):
            yield "Table must set serverSideEncryption.enabled to true (otherwise it uses an AWS owned key)."
        elif enabled is True:
            problem = cmk_problem(peek(props, "serverSideEncryption", "kmsKeyArn"), "serverSideEncryption.kmsKeyArn")
            if problem:
                yield f"Table {problem}."
    for label, replica in _replicas(props, args.resource_type):
        problem = cmk_problem(peek(replica, "kmsKeyArn"), "kmsKeyArn")
        if problem:
            yield f"{label}: {problem} in that region."


def _deletion_protection(props, cfg, args):
    if args.resource_type == TABLE and peek(props, "deletionProtectionEnabled") not in (True, UNKNOWN):
        yield "Table must set deletionProtectionEnabled to true (omitted = off)."
    for label, replica in _replicas(props, args.resource_type):
        if peek(replica, "deletionProtectionEnabled") not in (True, UNKNOWN):
            yield f"{label} must set deletionProtectionEnabled to true."


def _autoscaled(resources, cfg):
    scaled: dict[str, set[str]] = {}
    for t in of_type(resources, SCALING_TARGET):
        resource_id = safe_get(t.props, "resourceId")
        if isinstance(resource_id, str) and resource_id.startswith("table/"):
            scaled.setdefault(resource_id[len("table/"):], set()).add(str(safe_get(t.props, "scalableDimension")))
    for table in of_type(resources, TABLE):
        if safe_get(table.props, "billingMode", default="PROVISIONED") != "PROVISIONED":
            continue
        dimensions = set().union(*[scaled.get(k, set()) for k in resource_keys(table, "name", "id")])
        missing = [d for d in ("dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits")
                   if d not in dimensions]
        if missing:
            yield (f"Provisioned table '{table.name}' has no Application Auto Scaling target for "
                   f"{', '.join(missing)}; use PAY_PER_REQUEST or scale it."), table.urn


POLICIES = [
    resource_policy(
        name="dynamodb-table-pitr-enabled", service="dynamodb", control="DynamoDB.2",
        description="DynamoDB tables and their replicas (inline or TableReplica) have point-in-time recovery enabled.",
        types=[TABLE, TABLE_REPLICA], check=_pitr, level=MANDATORY, severity=MEDIUM,
        remediation="Set point_in_time_recovery=TablePointInTimeRecoveryArgs(enabled=True) and "
                    "point_in_time_recovery=True on every replica."),
    resource_policy(
        name="dynamodb-table-encrypted-with-cmk", service="dynamodb",
        description="DynamoDB tables and their replicas are encrypted with customer managed keys (not the AWS owned "
                    "key, not alias/aws/dynamodb).",
        types=[TABLE, TABLE_REPLICA], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set server_side_encryption=TableServerSideEncryptionArgs(enabled=True, kms_key_arn=<CMK arn>) "
                    "and kms_key_arn=<CMK in that region> on every replica."),
    resource_policy(
        name="dynamodb-table-deletion-protection-enabled", service="dynamodb", securityhub="DynamoDB.6",
        description="DynamoDB tables and their replicas have deletion protection enabled.",
        types=[TABLE, TABLE_REPLICA], check=_deletion_protection, level=MANDATORY, severity=MEDIUM,
        remediation="Set deletion_protection_enabled=True on the table and every replica."),
    stack_policy(
        name="dynamodb-table-scales-with-demand", service="dynamodb", control="DynamoDB.1",
        description="DynamoDB tables are on-demand, or provisioned with Application Auto Scaling targets for "
                    "read and write capacity (billingMode omitted = PROVISIONED).",
        applies_to=[TABLE], check=_autoscaled, level=MANDATORY, severity=MEDIUM, reads=(SCALING_TARGET,),
        remediation="Use billing_mode='PAY_PER_REQUEST', or add aws.appautoscaling.Target/Policy for both dimensions."),
]
