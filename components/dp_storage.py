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

from components import blueprint, iam
from components.dp_common import ProductScope, tls_only
from components.naming import ZONES

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


def _bucket(scope: ProductScope, zone: str) -> aws.s3.Bucket:
    return aws.s3.Bucket(
        f"{scope.name}-{zone}",
        bucket=scope.bucket_name(zone),
        force_destroy=False,
        tags={**scope.tags, "data-zone": zone},
        opts=scope.stateful,
    )


def _locked_down(scope: ProductScope, zone: str, bucket: aws.s3.Bucket) -> list[pulumi.Resource]:
    """Settings every bucket of the product carries, log bucket included."""
    return [
        aws.s3.BucketPublicAccessBlock(
            f"{scope.name}-{zone}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=scope.child,
        ),
        aws.s3.BucketOwnershipControls(
            f"{scope.name}-{zone}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=scope.child,
        ),
        aws.s3.BucketVersioning(
            f"{scope.name}-{zone}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=scope.child,
        ),
    ]


def log_bucket(scope: ProductScope) -> ZoneBucket:
    """The target of the zones' server access logs.

    S3 server access logging cannot write to SSE-KMS buckets, so this one bucket uses SSE-S3
    (AES256); it holds request metadata only, never product data."""
    bucket = _bucket(scope, "logs")
    ready = _locked_down(scope, "logs", bucket)
    ready.append(aws.s3.BucketServerSideEncryptionConfiguration(
        f"{scope.name}-logs-encryption",
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256",
            ),
        )],
        opts=scope.child,
    ))
    source_buckets = [f"arn:{scope.stack.partition}:s3:::{scope.bucket_name(z)}" for z in ZONES]
    ready.append(aws.s3.BucketPolicy(
        f"{scope.name}-logs-policy",
        bucket=bucket.id,
        policy=iam.document(
            iam.statement(
                ["s3:PutObject"], [pulumi.Output.concat(bucket.arn, "/*")], sid="S3ServerAccessLogs",
                principal={"Service": "logging.s3.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": scope.stack.account_id},
                           "ArnLike": {"aws:SourceArn": source_buckets}},
            ),
            tls_only([bucket.arn, pulumi.Output.concat(bucket.arn, "/*")]),
        ),
        opts=pulumi.ResourceOptions(parent=scope.parent, depends_on=ready[:1]),
    ))
    ready.append(aws.s3.BucketLifecycleConfiguration(
        f"{scope.name}-logs-lifecycle",
        bucket=bucket.id,
        rules=[
            _abort_uploads_rule(),
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
        opts=scope.after(ready[2]),
    ))
    return ZoneBucket("logs", bucket, ready)


def _abort_uploads_rule() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS,
        ),
    )


def lifecycle_rules(scope: ProductScope, zone: str) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Incomplete uploads aborted; old versions tiered then expired; raw objects tiered.

    A noncurrent transition is only kept when it happens before the versions expire (S3 rejects
    a transition on or after the expiration)."""
    lc = scope.product.lifecycle
    expire = lc.noncurrent_version_expiration_days
    noncurrent = [
        aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(noncurrent_days=days, storage_class=cls)
        for days, cls in ((lc.transition_to_ia_days, "STANDARD_IA"), (lc.transition_to_glacier_days, "GLACIER"))
        if days < expire
    ]
    rules = [
        _abort_uploads_rule(),
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
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=lc.transition_to_ia_days, storage_class="STANDARD_IA"),
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=lc.transition_to_glacier_days, storage_class="GLACIER"),
            ],
        ))
    return rules


def zone_bucket(scope: ProductScope, zone: str, logs: ZoneBucket) -> ZoneBucket:
    bucket = _bucket(scope, zone)
    ready = _locked_down(scope, zone, bucket)
    ready.append(aws.s3.BucketServerSideEncryptionConfiguration(
        f"{scope.name}-{zone}-encryption",
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms",
                kms_master_key_id=scope.key.arn,
            ),
            # Bucket keys cut KMS requests (and cost) by orders of magnitude for busy zones.
            bucket_key_enabled=True,
        )],
        opts=scope.child,
    ))
    objects = pulumi.Output.concat(bucket.arn, "/*")
    ready.append(aws.s3.BucketPolicy(
        f"{scope.name}-{zone}-policy",
        bucket=bucket.id,
        policy=iam.document(
            tls_only([bucket.arn, objects]),
            # Uploads may omit the encryption headers (the default applies) but never choose
            # SSE-S3 or another key: everything in the zone stays readable only via the product key.
            iam.statement(
                ["s3:PutObject"], [objects], effect="Deny", sid="DenyOtherEncryption", principal="*",
                condition={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            ),
            iam.statement(
                ["s3:PutObject"], [objects], effect="Deny", sid="DenyOtherKey", principal="*",
                condition={"StringNotEqualsIfExists": {
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": scope.key.arn}},
            ),
        ),
        opts=pulumi.ResourceOptions(parent=scope.parent, depends_on=ready[:1]),
    ))
    ready.append(aws.s3.BucketLifecycleConfiguration(
        f"{scope.name}-{zone}-lifecycle",
        bucket=bucket.id,
        rules=lifecycle_rules(scope, zone),
        opts=scope.after(ready[2]),
    ))
    ready.append(aws.s3.BucketLogging(
        f"{scope.name}-{zone}-access-logs",
        bucket=bucket.id,
        target_bucket=logs.bucket.id,
        target_prefix=f"{zone}/",
        opts=scope.after(*logs.ready),
    ))
    return ZoneBucket(zone, bucket, ready)


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
