"""Storage zones of a data product: raw, curated and reportable S3 buckets plus their access-log bucket.

Every zone bucket: SSE-KMS with the product key and S3 bucket keys, versioning, the full
public-access block, BucketOwnerEnforced (no ACLs), a policy that denies plain HTTP and puts
encrypted with anything but the product key, a lifecycle (incomplete uploads, old versions,
tiering of raw objects) and server access logs to the product's log bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam
from components.data_product.scope import ProductScope
from components.foundation.naming import ZONES
from components.foundation.bucket import SecureBucket, abort_incomplete_uploads_rule, secure_bucket

ABORT_INCOMPLETE_UPLOAD_DAYS = 7
# Access logs are audit records: kept as long as the org's log retention.
ACCESS_LOG_EXPIRATION_DAYS = blueprint.LOG_RETENTION_DAYS
ACCESS_LOG_NONCURRENT_DAYS = 30


@dataclass(frozen=True)
class ZoneBucket:
    zone: str
    bucket: aws.s3.Bucket
    # Resources that must exist before others write to the bucket (encryption, policy, ...).
    ready: list[pulumi.Resource]
    secure: SecureBucket


def log_bucket(scope: ProductScope) -> ZoneBucket:
    """The target of the zones' server access logs.

    S3 server access logging cannot write to SSE-KMS buckets, so this one bucket uses SSE-S3
    (AES256); it holds request metadata only, never product data."""
    source_buckets = [f"arn:{scope.stack.partition}:s3:::{scope.bucket_name(z)}" for z in ZONES]
    logs = secure_bucket(
        f"{scope.name}-logs",
        bucket_name=scope.bucket_name("logs"),
        kms_key_arn=None,
        log_target="s3-access-logs",
        allow_data_destroy=scope.stack.allow_data_destroy,
        tags={**scope.tags, "data-zone": "logs"},
        lifecycle_rules=[
            abort_incomplete_uploads_rule(ABORT_INCOMPLETE_UPLOAD_DAYS),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=ACCESS_LOG_EXPIRATION_DAYS),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=ACCESS_LOG_NONCURRENT_DAYS,
                ),
            ),
        ],
        policy_statements=lambda arn: [iam.statement(
            ["s3:PutObject"], [pulumi.Output.concat(arn, "/*")], sid="S3ServerAccessLogs",
            principal={"Service": "logging.s3.amazonaws.com"},
            condition={"StringEquals": {"aws:SourceAccount": scope.stack.account_id},
                       "ArnLike": {"aws:SourceArn": source_buckets}},
        )],
        opts=scope.child,
    )
    return ZoneBucket("logs", logs.bucket, logs.children, logs)


def lifecycle_rules(scope: ProductScope, zone: str) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Incomplete uploads aborted; old versions tiered then expired; raw objects tiered.

    A noncurrent transition is only kept when it happens before the versions expire (S3 rejects
    a transition on or after the expiration)."""
    lifecycle = scope.product.lifecycle
    expire = lifecycle.noncurrent_version_expiration_days
    noncurrent = [
        aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(noncurrent_days=days, storage_class=cls)
        for days, cls in ((lifecycle.transition_to_ia_days, "STANDARD_IA"), (lifecycle.transition_to_glacier_days, "GLACIER"))
        if days < expire
    ]
    rules = [
        abort_incomplete_uploads_rule(ABORT_INCOMPLETE_UPLOAD_DAYS),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="noncurrent-versions",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            noncurrent_version_transitions=noncurrent or None,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=expire,
            ),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
        ),
    ]
    if zone == "raw":
        # Raw files are read once by the ETL and then only for reprocessing: tier them down.
        rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="tier-raw-objects",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=lifecycle.transition_to_ia_days, storage_class="STANDARD_IA"),
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=lifecycle.transition_to_glacier_days, storage_class="GLACIER"),
            ],
        ))
    return rules


def zone_bucket(scope: ProductScope, zone: str, logs: ZoneBucket) -> ZoneBucket:
    def no_other_encryption(arn: pulumi.Output[str]) -> list[dict]:
        # Uploads may omit the encryption headers (the default applies) but never choose
        # SSE-S3 or another key: everything in the zone stays readable only via the product key.
        objects = pulumi.Output.concat(arn, "/*")
        return [
            iam.statement(
                ["s3:PutObject"], [objects], effect="Deny", sid="DenyOtherEncryption", principal="*",
                condition={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            ),
            iam.statement(
                ["s3:PutObject"], [objects], effect="Deny", sid="DenyOtherKey", principal="*",
                condition={"StringNotEqualsIfExists": {
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": scope.key.arn}},
            ),
        ]

    secure = secure_bucket(
        f"{scope.name}-{zone}",
        bucket_name=scope.bucket_name(zone),
        kms_key_arn=scope.key.arn,
        allow_data_destroy=scope.stack.allow_data_destroy,
        tags={**scope.tags, "data-zone": zone},
        lifecycle_rules=lifecycle_rules(scope, zone),
        policy_statements=no_other_encryption,
        log_bucket=logs.secure,
        log_prefix=f"{zone}/",
        opts=scope.child,
    )
    return ZoneBucket(zone, secure.bucket, secure.children, secure)


def storage_zones(scope: ProductScope) -> tuple[dict[str, ZoneBucket], ZoneBucket]:
    logs = log_bucket(scope)
    zones = {zone: zone_bucket(scope, zone, logs) for zone in ZONES}
    # The raw zone's Object Created events drive validation (SFTP and batch arrivals).
    aws.s3.BucketNotification(
        f"{scope.name}-raw-events",
        bucket=zones["raw"].bucket.id,
        eventbridge=True,
        opts=scope.child,
    )
    return zones, logs
