"""A data bucket with the org's S3 baseline, as one call.

SSE-KMS with the given CMK and bucket keys, versioning, the full public-access block, ACLs
disabled (BucketOwnerEnforced), a TLS-only bucket policy, lifecycle (abort incomplete uploads,
tier and expire old versions) and, when a log bucket is given, server access logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components import blueprint, iam


@dataclass(frozen=True, kw_only=True)
class BucketLifecycle:
    """noncurrent_ia_days: 30; noncurrent_expiration_days: 90; abort_incomplete_upload_days: 7;
    expiration_days: None (current objects kept; set it for log buckets)."""
    noncurrent_ia_days: int = 30
    noncurrent_expiration_days: int = 90
    abort_incomplete_upload_days: int = 7
    expiration_days: Optional[int] = None

    def __post_init__(self) -> None:
        if self.noncurrent_expiration_days <= self.noncurrent_ia_days:
            raise ValueError("noncurrent versions must expire after they move to STANDARD_IA")
        if self.expiration_days is not None and self.expiration_days < 1:
            raise ValueError("expiration_days must be at least 1")


@dataclass
class SecureBucket:
    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    children: list[pulumi.Resource]


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict:
    return iam.statement(
        ["s3:*"], [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")], effect="Deny", sid="DenyInsecureTransport",
        principal={"AWS": "*"}, condition={"Bool": {"aws:SecureTransport": "false"}},
    )


def secure_bucket(
    name: str,
    *,
    bucket_name: str,
    kms_key_arn: Optional[pulumi.Input[str]],
    allow_data_destroy: bool,
    tags: dict[str, str],
    lifecycle: BucketLifecycle = BucketLifecycle(),
    log_bucket: Optional[pulumi.Input[str]] = None,
    log_prefix: str = "",
    extra_statements: Sequence[dict] = (),
    opts: pulumi.ResourceOptions,
) -> SecureBucket:
    """kms_key_arn None means SSE-S3, for log-delivery targets only (AWS log delivery cannot write
    to SSE-KMS buckets); such buckets are tagged `ddp:log-target` so the policy pack knows."""
    if kms_key_arn is None:
        tags = {**tags, "ddp:log-target": "s3-access-logs"}
    bucket = aws.s3.Bucket(name, bucket=bucket_name, force_destroy=False, tags=tags,
                           opts=blueprint.stateful(allow_data_destroy, opts))
    child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[bucket]))
    pab = aws.s3.BucketPublicAccessBlock(
        f"{name}-pab", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=child)
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256")
        if kms_key_arn is None else
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn))
    sse = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=by_default, bucket_key_enabled=kms_key_arn is not None)],
        opts=child)
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=child)
    policy = aws.s3.BucketPolicy(
        f"{name}-policy", bucket=bucket.id,
        policy=iam.document(tls_only_statement(bucket.arn), *extra_statements),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[bucket, pab])))
    rules = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-uploads", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=lifecycle.abort_incomplete_upload_days)),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="tier-and-expire-noncurrent-versions", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_transitions=[aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                    noncurrent_days=lifecycle.noncurrent_ia_days, storage_class="STANDARD_IA")],
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=lifecycle.noncurrent_expiration_days)),
        ] + ([aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-objects", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=lifecycle.expiration_days))]
             if lifecycle.expiration_days is not None else []),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[bucket, versioning])))
    children: list[pulumi.Resource] = [pab, ownership, sse, versioning, policy, rules]
    if log_bucket is not None:
        children.append(aws.s3.BucketLogging(
            f"{name}-logging", bucket=bucket.id, target_bucket=log_bucket,
            target_prefix=log_prefix or f"{bucket_name}/", opts=child))
    return SecureBucket(bucket=bucket, name=bucket.id, arn=bucket.arn, versioning=versioning, children=children)
