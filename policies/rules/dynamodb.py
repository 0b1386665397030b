"""DynamoDB tables and their global-table replicas: PITR, CMK encryption, deletion protection."""
from __future__ import annotations

from ._base import ADVISORY, HIGH, MANDATORY, MEDIUM, get, resource_policy

TABLE = "aws:dynamodb/table:Table"


def _replicas(props):
    return list(get(props, "replicas", default=[]))


def _pitr(props, cfg, args):
    if get(props, "pointInTimeRecovery", "enabled") is not True:
        yield "Table must set pointInTimeRecovery.enabled to true."


def _cmk(props, cfg, args):
    if get(props, "serverSideEncryption", "enabled") is not True:
        yield "Table must set serverSideEncryption.enabled to true (otherwise it uses an AWS owned key)."
    elif not get(props, "serverSideEncryption", "kmsKeyArn"):
        yield "Table must set serverSideEncryption.kmsKeyArn to a customer managed key."


def _deletion_protection(props, cfg, args):
    if get(props, "deletionProtectionEnabled") is not True:
        yield "Table must set deletionProtectionEnabled to true."


def _replica_pitr(props, cfg, args):
    for replica in _replicas(props):
        if get(replica, "pointInTimeRecovery") is not True:
            yield f"Replica in {get(replica, 'regionName')} must set pointInTimeRecovery to true."


def _replica_cmk(props, cfg, args):
    for replica in _replicas(props):
        if not get(replica, "kmsKeyArn"):
            yield f"Replica in {get(replica, 'regionName')} must set kmsKeyArn to a customer managed key in that region."


def _replica_deletion_protection(props, cfg, args):
    for replica in _replicas(props):
        if get(replica, "deletionProtectionEnabled") is not True:
            yield f"Replica in {get(replica, 'regionName')} should set deletionProtectionEnabled to true."


POLICIES = [
    resource_policy(
        name="dynamodb-table-pitr-enabled", service="dynamodb", control="DynamoDB.2",
        description="DynamoDB tables have point-in-time recovery enabled.",
        types=[TABLE], check=_pitr, level=MANDATORY, severity=MEDIUM,
        remediation="Set point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True)."),
    resource_policy(
        name="dynamodb-table-encrypted-with-cmk", service="dynamodb",
        description="DynamoDB tables are encrypted with a customer managed KMS key.",
        types=[TABLE], check=_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set server_side_encryption=TableServerSideEncryptionArgs(enabled=True, kms_key_arn=<CMK arn>)."),
    resource_policy(
        name="dynamodb-table-deletion-protection-enabled", service="dynamodb", control="DynamoDB.6",
        description="DynamoDB tables have deletion protection enabled.",
        types=[TABLE], check=_deletion_protection, level=MANDATORY, severity=MEDIUM,
        remediation="Set deletion_protection_enabled=True."),
    resource_policy(
        name="dynamodb-replica-pitr-enabled", service="dynamodb", control="DynamoDB.2",
        description="DynamoDB global-table replicas have point-in-time recovery enabled.",
        types=[TABLE], check=_replica_pitr, level=MANDATORY, severity=MEDIUM,
        remediation="Set point_in_time_recovery=True on every TableReplicaArgs."),
    resource_policy(
        name="dynamodb-replica-encrypted-with-cmk", service="dynamodb",
        description="DynamoDB global-table replicas are encrypted with a customer managed key of their region.",
        types=[TABLE], check=_replica_cmk, level=MANDATORY, severity=HIGH,
        remediation="Set kms_key_arn on every TableReplicaArgs to a CMK (or multi-Region replica key) in that region."),
    resource_policy(
        name="dynamodb-replica-deletion-protection-enabled", service="dynamodb", control="DynamoDB.6",
        description="DynamoDB global-table replicas have deletion protection enabled.",
        types=[TABLE], check=_replica_deletion_protection, level=ADVISORY, severity=MEDIUM,
        remediation="Set deletion_protection_enabled=True on every TableReplicaArgs."),
]
