"""Pilot-light data replication, owned by the primary stack: S3 zones and the ODS into the DR region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam, naming
from components.foundation.context import StackContext
from components.foundation.budget import budgets_key_statement
from components.foundation.kms import customer_key
from components.foundation.bucket import BucketLifecycle, SecureBucket, secure_bucket
from components.foundation.regions import short_code

REPLICATED_ZONES = naming.ZONES


@dataclass(frozen=True, kw_only=True)
class DrReplicationArgs:
    """Inputs of `DrReplication`.

    stack: the primary stack's context (its `dr_region` is the destination).
    dr_provider: the BU account's provider for the DR region.
    product / classification: the data product being replicated.
    source_buckets: zone -> source bucket name (the DataProduct's raw/curated/reportable).
    source_versioning: zone -> the source bucket's versioning resource: S3 refuses a replication
        configuration on a bucket whose versioning is not yet enabled, so replication waits for it.
    source_key_arn: the product CMK in the primary region (objects are SSE-KMS with it).
    table_arn: the ODS table; it must have streams NEW_AND_OLD_IMAGES (DataProduct does).
    replication_time_control: S3 RTC (15-minute SLA, extra cost). Default off.
    """

    stack: StackContext
    dr_provider: aws.Provider
    product: str
    classification: str
    source_buckets: Mapping[str, pulumi.Input[str]]
    source_versioning: Mapping[str, pulumi.Resource]
    source_key_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    replication_time_control: bool = False

    def __post_init__(self) -> None:
        if self.stack.dr_region is None:
            raise ValueError("DrReplication needs a stack with a dr_region")
        if set(self.source_buckets) != set(REPLICATED_ZONES):
            raise ValueError(f"source_buckets must name exactly the zones {REPLICATED_ZONES}")
        if set(self.source_versioning) != set(REPLICATED_ZONES):
            raise ValueError(f"source_versioning must name exactly the zones {REPLICATED_ZONES}")


class DrReplication(pulumi.ComponentResource):
    """Replicates one data product into the DR region.

    Children: a DR-region CMK (rotation, 30-day window); a replica bucket per zone in the DR
    region with the same baseline as the source (SSE-KMS with the DR key, versioning, public
    access block, BucketOwnerEnforced, TLS-only, lifecycle); a replication role allowed only the
    replication actions on these buckets and keys; a replication configuration per source bucket
    (all objects, SSE-KMS objects included, delete markers replicated, optional RTC with metrics);
    a DynamoDB global-table replica in the DR region with PITR, the DR key and deletion protection.
    Replica buckets, the replica table and the DR key are protected like all stateful resources.
    """

    def __init__(self, name: str, args: DrReplicationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:DrReplication", name, None, opts)
        dr_region = args.stack.dr_region
        assert dr_region is not None
        in_dr_region = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        tags = blueprint.data_tags(args.classification, args.product, {"ddp:replica-of": args.stack.region})

        dr_key = _dr_key(name, args, dr_region, tags, in_dr_region)
        log_bucket, replicas = _replica_buckets(name, args, dr_region, dr_key, tags, in_dr_region)
        role = _replication_role(name, args, dr_region, dr_key, replicas, pulumi.ResourceOptions(parent=self))
        replication_configs = {
            zone: _replication_config(name, args, zone, dr_region, replicas[zone], dr_key, role, parent=self)
            for zone in REPLICATED_ZONES
        }
        replica_table = aws.dynamodb.TableReplica(
            f"{name}-ods-replica",
            global_table_arn=args.table_arn,
            kms_key_arn=dr_key.arn,
            point_in_time_recovery=True,
            deletion_protection_enabled=not args.stack.allow_data_destroy,
            tags=tags,
            opts=blueprint.stateful(args.stack.allow_data_destroy, in_dr_region),
        )

        self.dr_key = dr_key
        self.log_bucket = log_bucket
        self.replicas = replicas
        self.replication_configs = replication_configs
        self.replica_table = replica_table
        # The replicas part of the product's contract (`sharing.contract.ReplicaContract`).
        self.replica_fields: dict[str, pulumi.Input] = {
            "region": dr_region, "key_arn": dr_key.arn, "ods_table_arn": replica_table.arn,
            "buckets": {zone: {"name": replica.name, "arn": replica.arn} for zone, replica in replicas.items()}}
        self.register_outputs({"dr_key_arn": dr_key.arn, "replica_table_arn": replica_table.arn})


def _dr_key(name: str, args: DrReplicationArgs, dr_region: str, tags: dict[str, str],
            opts: pulumi.ResourceOptions) -> aws.kms.Key:
    """The DR region's CMK: replicas, and what the DR stack encrypts with it (see the statements)."""
    stack = args.stack
    dr_log_groups = f"arn:{stack.partition}:logs:{dr_region}:{stack.account_id}:log-group:"
    return customer_key(
        f"{name}-dr-key",
        description=f"{stack.prefix} {args.product} replicas in {dr_region}",
        alias=f"alias/{stack.prefix}/{args.product}-dr",
        partition=stack.partition, account_id=stack.account_id,
        # The DR stack's product event bus and its archive encrypt with this key, and so do
        # the DR catalog's Glue logs (its security configuration uses this key, as the
        # primary's uses the product key) and the DR services' dead letters.
        service_statements=[
            iam.key_for_event_buses(stack.account_id),
            iam.key_for_delivery("events.amazonaws.com", sid="EventBridgeDelivers"),
            # The DR stack's alarm topic (this key) receives its budget's notifications.
            budgets_key_statement(),
            iam.key_for_logs(dr_region, [f"{dr_log_groups}/aws-glue/*",
                                         f"{dr_log_groups}/ddp/{stack.prefix}/{args.product}/*"]),
        ],
        allow_data_destroy=stack.allow_data_destroy, tags=tags, opts=opts,
    )


def _replica_bucket_name(args: DrReplicationArgs, dr_region: str, zone: str) -> str:
    stack = args.stack
    return naming.bucket_name(stack.business_unit, stack.environment, args.product, zone, stack.account_id,
                              short_code(dr_region))


def _replica_buckets(name: str, args: DrReplicationArgs, dr_region: str, dr_key: aws.kms.Key, tags: dict[str, str],
                     opts: pulumi.ResourceOptions) -> tuple[SecureBucket, dict[str, SecureBucket]]:
    """The DR region's access-log bucket (SSE-S3, a log-delivery target) and one replica per zone,
    encrypted with the DR key and logging into it."""
    stack = args.stack
    replica_arns = [f"arn:{stack.partition}:s3:::{_replica_bucket_name(args, dr_region, zone)}"
                    for zone in REPLICATED_ZONES]
    log_bucket = secure_bucket(
        f"{name}-logs-replica",
        bucket_name=_replica_bucket_name(args, dr_region, "logs"),
        kms_key_arn=None,
        log_target="s3-access-logs",
        allow_data_destroy=stack.allow_data_destroy,
        tags={**tags, "zone": "logs"},
        lifecycle=BucketLifecycle(expiration_days=365),
        policy_statements=lambda arn: [iam.statement(
            ["s3:PutObject"], [pulumi.Output.concat(arn, "/*")],
            sid="S3ServerAccessLogs", principal={"Service": "logging.s3.amazonaws.com"},
            condition={"StringEquals": {"aws:SourceAccount": stack.account_id},
                       "ArnLike": {"aws:SourceArn": replica_arns}})],
        opts=opts,
    )
    replicas = {
        zone: secure_bucket(
            f"{name}-{zone}-replica",
            bucket_name=_replica_bucket_name(args, dr_region, zone),
            kms_key_arn=dr_key.arn,
            allow_data_destroy=stack.allow_data_destroy,
            tags={**tags, "zone": zone},
            log_bucket=log_bucket,
            opts=opts,
        )
        for zone in REPLICATED_ZONES
    }
    return log_bucket, replicas


def _replication_role(name: str, args: DrReplicationArgs, dr_region: str, dr_key: aws.kms.Key,
                      replicas: Mapping[str, SecureBucket], opts: pulumi.ResourceOptions) -> iam.ServiceRole:
    """S3's replication role: read the sources' versions, write the replicas, decrypt with the
    source key and encrypt with the DR key, each only through S3 in its own region."""
    stack = args.stack
    source_arns = [pulumi.Output.concat(f"arn:{stack.partition}:s3:::", bucket)
                   for bucket in args.source_buckets.values()]
    return iam.service_role(
        f"{name}-replication", service="s3.amazonaws.com", account_id=stack.account_id, opts=opts,
        statements=[
            iam.statement(["s3:GetReplicationConfiguration", "s3:ListBucket"], source_arns, sid="ReadSourceConfig"),
            iam.statement(["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                           "s3:GetObjectVersionTagging"],
                          [pulumi.Output.concat(arn, "/*") for arn in source_arns], sid="ReadSourceObjects"),
            iam.statement(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                          [pulumi.Output.concat(replica.arn, "/*") for replica in replicas.values()],
                          sid="WriteReplicas"),
            iam.statement(["kms:Decrypt"], [args.source_key_arn], sid="DecryptSource",
                          condition={"StringLike": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}}),
            iam.statement(["kms:Encrypt", "kms:GenerateDataKey"], [dr_key.arn], sid="EncryptReplicas",
                          condition={"StringLike": {"kms:ViaService": f"s3.{dr_region}.amazonaws.com"}}),
        ],
    )


def _replica_destination(args: DrReplicationArgs, replica: SecureBucket,
                         dr_key: aws.kms.Key) -> aws.s3.BucketReplicationConfigRuleDestinationArgs:
    """The replica bucket, re-encrypted with the DR key; RTC and its metrics only when asked for."""
    return aws.s3.BucketReplicationConfigRuleDestinationArgs(
        bucket=replica.arn,
        storage_class="STANDARD",
        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
            replica_kms_key_id=dr_key.arn),
        replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
            status="Enabled",
            time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=15),
        ) if args.replication_time_control else None,
        metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
            status="Enabled",
            event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(minutes=15),
        ) if args.replication_time_control else None,
    )


def _replication_config(name: str, args: DrReplicationArgs, zone: str, dr_region: str, replica: SecureBucket,
                        dr_key: aws.kms.Key, role: iam.ServiceRole,
                        parent: pulumi.Resource) -> aws.s3.BucketReplicationConfig:
    """One rule on the zone's source bucket: every object (SSE-KMS ones included) and delete marker."""
    return aws.s3.BucketReplicationConfig(
        f"{name}-{zone}-replication",
        bucket=args.source_buckets[zone],
        role=role.arn,
        rules=[aws.s3.BucketReplicationConfigRuleArgs(
            id=f"{zone}-to-{dr_region}",
            status="Enabled",
            priority=1,
            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                status="Enabled"),
            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                    status="Enabled")),
            destination=_replica_destination(args, replica, dr_key),
        )],
        # Replication needs versioning on both sides first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[
            args.source_versioning[zone], replica.versioning, role.policy]),
    )


def ecr_replication(name: str, stack: StackContext, repository_prefix: str,
                    opts: pulumi.ResourceOptions) -> aws.ecr.ReplicationConfiguration:
    """Registry-level replication of this stack's repositories (by prefix) into the DR region,
    so the DR services pull the very images the primary runs. One per account and registry."""
    assert stack.dr_region is not None
    return aws.ecr.ReplicationConfiguration(
        name,
        replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(rules=[
            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                destinations=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                    region=stack.dr_region, registry_id=stack.account_id)],
                repository_filters=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                    filter=repository_prefix, filter_type="PREFIX_MATCH")],
            )]),
        opts=opts)
