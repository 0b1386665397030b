"""A bucket with the org's S3 baseline, as one call: the only place buckets are built.

Every bucket: the full public-access block, BucketOwnerEnforced (ACLs disabled), versioning,
default encryption, a TLS-only bucket policy, a lifecycle configuration and, when a log bucket
is given, server access logs. Data buckets use SSE-KMS with a CMK and bucket keys; log-delivery
targets (S3 server access logs, load balancer logs) use SSE-S3 because AWS log delivery cannot
write to SSE-KMS buckets, and are tagged `ddp:log-target` so the policy pack can tell them apart.
Children are named `<name>-public-access`, `-ownership`, `-versioning`, `-encryption`,
`-policy`, `-lifecycle`, `-access-logs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam

LOG_TARGET_TAG = "ddp:log-target"


@dataclass(frozen=True, kw_only=True)
class BucketLifecycle:
    """The default lifecycle: abort incomplete uploads after 7 days; noncurrent versions to
    STANDARD_IA after 30 days and expired after 90; current objects expire after
    `expiration_days` (default None: kept; set it for log buckets)."""
    noncurrent_ia_days: int = 30
    noncurrent_expiration_days: int = 90
    abort_incomplete_upload_days: int = 7
    expiration_days: Optional[int] = None

    def __post_init__(self) -> None:
        if self.noncurrent_expiration_days <= self.noncurrent_ia_days:
            raise ValueError("noncurrent versions must expire after they move to STANDARD_IA")
        if self.expiration_days is not None and self.expiration_days < 1:
            raise ValueError("expiration_days must be at least 1")

    def rules(self) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
        rules = [
            abort_incomplete_uploads_rule(self.abort_incomplete_upload_days),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="tier-and-expire-noncurrent-versions", status="Enabled", filter=everything,
                noncurrent_version_transitions=[aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                    noncurrent_days=self.noncurrent_ia_days, storage_class="STANDARD_IA")],
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=self.noncurrent_expiration_days)),
        ]
        if self.expiration_days is not None:
            rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-objects", status="Enabled", filter=everything,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self.expiration_days)))
        return rules


def abort_incomplete_uploads_rule(days: int = 7) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads", status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=days))


@dataclass
class SecureBucket:
    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    # ELB and log delivery check they may write before they turn logging on.
    policy: aws.s3.BucketPolicy
    # Settings that must exist before anything writes to the bucket, in creation order.
    children: list[pulumi.Resource]


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict:
    return iam.deny_insecure_transport("s3", [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")])


def secure_bucket(
    name: str,
    *,
    bucket_name: pulumi.Input[str],
    kms_key_arn: Optional[pulumi.Input[str]],
    allow_data_destroy: bool,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    lifecycle: BucketLifecycle = BucketLifecycle(),
    lifecycle_rules: Optional[Sequence[aws.s3.BucketLifecycleConfigurationRuleArgs]] = None,
    policy_statements: Callable[[pulumi.Output[str]], Sequence[dict]] = lambda arn: (),
    log_bucket: Optional[SecureBucket] = None,
    log_prefix: str = "",
    log_target: Optional[str] = None,
    force_destroy: bool = False,
) -> SecureBucket:
    """Build a bucket and its baseline.

    kms_key_arn: the CMK for SSE-KMS; None means SSE-S3 and is only allowed for log targets
        (give `log_target`, e.g. "s3-access-logs" or "alb-access-logs").
    lifecycle / lifecycle_rules: the default rules from `lifecycle`, or explicit rules.
    policy_statements: extra bucket-policy statements, given the bucket ARN (TLS-only is always in).
    log_bucket: where server access logs go (prefix `log_prefix`, default `<bucket name>/`).
    force_destroy: default False; only for buckets of stacks that allow destroying data.
    """
    if kms_key_arn is None and log_target is None:
        raise ValueError(f"{name}: SSE-S3 is only for log-delivery targets; give kms_key_arn or log_target")
    if kms_key_arn is None:
        tags = {**tags, LOG_TARGET_TAG: log_target}  # type: ignore[dict-item]
    bucket = aws.s3.Bucket(name, bucket=bucket_name, force_destroy=force_destroy, tags=tags,
                           opts=blueprint.stateful(allow_data_destroy, opts))
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=_after(opts, bucket))
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=_after(opts, bucket))
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=_after(opts, bucket))
    encryption = _default_encryption(name, bucket, kms_key_arn, _after(opts, bucket))
    policy = aws.s3.BucketPolicy(
        f"{name}-policy", bucket=bucket.id,
        policy=iam.document(tls_only_statement(bucket.arn), *policy_statements(bucket.arn)),
        opts=_after(opts, bucket, public_access))
    rules = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id,
        rules=list(lifecycle_rules) if lifecycle_rules is not None else lifecycle.rules(),
        opts=_after(opts, bucket, versioning))
    children: list[pulumi.Resource] = [public_access, ownership, versioning, encryption, policy, rules]
    if log_bucket is not None:
        children.append(aws.s3.BucketLogging(
            f"{name}-access-logs", bucket=bucket.id, target_bucket=log_bucket.name,
            target_prefix=log_prefix or pulumi.Output.concat(bucket.id, "/"),
            opts=_after(opts, bucket, *log_bucket.children)))
    return SecureBucket(bucket=bucket, name=bucket.id, arn=bucket.arn, versioning=versioning, policy=policy,
                        children=children)


def _after(opts: pulumi.ResourceOptions, bucket: aws.s3.Bucket, *deps: pulumi.Resource) -> pulumi.ResourceOptions:
    """`opts` for a child of the bucket: created after the bucket and `deps`."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[bucket, *deps]))


def _default_encryption(name: str, bucket: aws.s3.Bucket, kms_key_arn: Optional[pulumi.Input[str]],
                        opts: pulumi.ResourceOptions) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """SSE-KMS with the CMK and bucket keys; SSE-S3 (AES256) for log-delivery targets (no key)."""
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256")
        if kms_key_arn is None else
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn))
    return aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            # Bucket keys cut KMS requests (and cost) by orders of magnitude for busy buckets.
            apply_server_side_encryption_by_default=by_default,
            bucket_key_enabled=True if kms_key_arn is not None else None)],
        opts=opts)
