"""Bucket settings judged per bucket, inline or companion (see ``_buckets``): public access block,
CMK encryption, versioning, ACLs disabled, lifecycle, access logging."""
from __future__ import annotations

from .._base import (ADVISORY, CRITICAL, HIGH, LOW, MANDATORY, MEDIUM, UNKNOWN, cmk_problem, known_items,
                     of_type, peek, stack_policy)
from ._buckets import (ACL, BUCKET_TYPES, LIFECYCLE, LOAD_BALANCERS, LOGGING, OWNERSHIP, PAB, SSE, VERSIONING,
                       Setting, inline_blocks, judge_buckets, log_targets)

PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PRIVATE_ACLS = (None, "private", UNKNOWN)


def _pab(props) -> list:
    off = [flag for flag in PAB_FLAGS if peek(props, flag) not in (True, UNKNOWN)]  # omitted = false
    return [f"public access block must set {', '.join(off)} to true"] if off else []


def _sse_rule(default) -> list:
    algorithm = peek(default, "sseAlgorithm")
    if algorithm is UNKNOWN:
        return []
    if algorithm not in KMS_ALGORITHMS:
        return [f"uses sseAlgorithm '{algorithm}'; use aws:kms with a customer managed key"]
    problem = cmk_problem(peek(default, "kmsMasterKeyId"), "kmsMasterKeyId")
    return [f"aws:kms {problem}"] if problem else []


def _sse_companion(props) -> list:
    rules = peek(props, "rules")
    if rules is UNKNOWN:
        return []
    rules = known_items(rules)
    if not rules:
        return ["encryption configuration has no rule; set applyServerSideEncryptionByDefault with aws:kms"]
    return [p for rule in rules for p in _sse_rule(peek(rule, "applyServerSideEncryptionByDefault"))]


def _sse_inline(props):
    blocks = inline_blocks(props, "serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations")
    if blocks is None:
        return None
    rules = []
    for block in blocks:
        rules += [peek(block, "rule")] if peek(block, "rule") is not None else known_items(peek(block, "rules"))
    return [p for rule in rules for p in _sse_rule(peek(rule, "applyServerSideEncryptionByDefault"))]


def _versioning_companion(props) -> list:
    status = peek(props, "versioningConfiguration", "status")
    return [] if status in ("Enabled", UNKNOWN) else [f"versioning status is '{status}'; set it to Enabled"]


def _versioning_inline(props):
    blocks = inline_blocks(props, "versioning", "versionings")
    if blocks is None:
        return None
    off = [b for b in blocks if peek(b, "enabled") not in (True, UNKNOWN)]
    return ["inline versioning.enabled is not true"] if off else []


def _ownership(props) -> list:
    ownership = peek(props, "rule", "objectOwnership")
    if ownership in ("BucketOwnerEnforced", UNKNOWN):
        return []
    return [f"object ownership is '{ownership}'; set BucketOwnerEnforced (ACLs disabled)"]


def _lifecycle_companion(props) -> list:
    rules = known_items(peek(props, "rules"))
    if peek(props, "rules") is UNKNOWN or any(peek(r, "status") in ("Enabled", UNKNOWN) for r in rules):
        return []
    return ["lifecycle configuration has no rule with status Enabled"]


def _lifecycle_inline(props):
    rules = known_items(peek(props, "lifecycleRules"))
    if not rules:
        return None
    return [] if any(peek(r, "enabled") in (True, UNKNOWN) for r in rules) else ["no inline lifecycle rule is enabled"]


def _logging_inline(props):
    return None if inline_blocks(props, "logging", "loggings") is None else []


def _acls(resources, cfg):
    """No ACL grants: ACL resources (v1/V2) or inline acl/grants other than the private canned ACL."""
    for r in of_type(resources, *ACL):
        grants = known_items(peek(r.props, "accessControlPolicy", "grants"))
        if peek(r.props, "acl") not in PRIVATE_ACLS or grants:
            yield (f"'{r.name}' grants access through an ACL; ACLs are disabled by the blueprint, "
                   "use bucket policies."), r.urn
    for bucket in of_type(resources, *BUCKET_TYPES):
        if peek(bucket.props, "acl") not in PRIVATE_ACLS or known_items(peek(bucket.props, "grants")):
            yield f"Bucket '{bucket.name}' sets an inline acl/grants; use bucket policies.", bucket.urn


def _acls_disabled(resources, cfg):
    yield from judge_buckets(resources, OWNERSHIP_SETTING)
    yield from _acls(resources, cfg)


PAB_SETTING = Setting("public access block with all four flags true", PAB, _pab)
SSE_SETTING = Setting("SSE-KMS encryption configuration with a customer managed key (AWS applies SSE-S3)",
                      SSE, _sse_companion, _sse_inline)
VERSIONING_SETTING = Setting("versioning enabled (AWS default: unversioned)", VERSIONING, _versioning_companion,
                             _versioning_inline)
OWNERSHIP_SETTING = Setting("ownership controls with BucketOwnerEnforced", OWNERSHIP, _ownership)
LIFECYCLE_SETTING = Setting("lifecycle configuration with an enabled rule", LIFECYCLE, _lifecycle_companion,
                            _lifecycle_inline)
LOGGING_SETTING = Setting("server access logging", LOGGING, lambda props: [], _logging_inline)


def _every(setting: Setting, exempt_log_targets: bool = False):
    def check(resources, cfg):
        exempt = log_targets(resources) if exempt_log_targets else (lambda bucket: False)
        yield from judge_buckets(resources, setting, exempt)
    return check


POLICIES = [
    stack_policy(
        name="s3-bucket-public-access-block-all-enabled", service="s3", control="S3.8",
        description="Every S3 bucket has a public access block with all four flags true (an omitted flag is false).",
        applies_to=BUCKET_TYPES + PAB, check=_every(PAB_SETTING), level=MANDATORY, severity=CRITICAL,
        remediation="Create an aws.s3.BucketPublicAccessBlock for the bucket with all four flags True."),
    stack_policy(
        name="s3-bucket-encrypted-with-cmk", service="s3", securityhub="S3.17",
        description="Every S3 bucket's default encryption is SSE-KMS with a customer managed key, inline or in a "
                    "companion encryption configuration (no configuration = SSE-S3; alias/aws/s3 is AWS managed). "
                    "Log-delivery target buckets, which AWS allows only SSE-S3, are exempt. Stricter than FSBP S3.4.",
        applies_to=BUCKET_TYPES + SSE, check=_every(SSE_SETTING, exempt_log_targets=True), level=MANDATORY,
        severity=HIGH, reads=(*LOGGING, *LOAD_BALANCERS),
        remediation="Create an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms', "
                    "kms_master_key_id=<CMK arn> and bucket_key_enabled=True."),
    stack_policy(
        name="s3-bucket-versioning-enabled", service="s3", securityhub="S3.14",
        description="Every S3 bucket has versioning enabled, inline or through a BucketVersioning resource.",
        applies_to=BUCKET_TYPES + VERSIONING, check=_every(VERSIONING_SETTING), level=MANDATORY, severity=MEDIUM,
        remediation="Create an aws.s3.BucketVersioning with versioning_configuration.status='Enabled'."),
    stack_policy(
        name="s3-bucket-acls-disabled", service="s3", control="S3.12",
        description="Every S3 bucket has ownership controls BucketOwnerEnforced, and no ACL resource or inline "
                    "acl/grants grants access.",
        applies_to=BUCKET_TYPES + OWNERSHIP + ACL, check=_acls_disabled, level=MANDATORY, severity=MEDIUM,
        remediation="Create an aws.s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced' and "
                    "express access in the bucket policy."),
    stack_policy(
        name="s3-bucket-lifecycle-configured", service="s3", control="S3.13",
        description="Every S3 bucket has a lifecycle configuration with an enabled rule (covers S3.10 for "
                    "versioned buckets). Advisory: retention is a product decision.",
        applies_to=BUCKET_TYPES + LIFECYCLE, check=_every(LIFECYCLE_SETTING), level=ADVISORY, severity=LOW,
        remediation="Create an aws.s3.BucketLifecycleConfiguration (noncurrent version expiry, transitions)."),
    stack_policy(
        name="s3-bucket-access-logging-enabled", service="s3", control="S3.9",
        description="Every S3 bucket except log-delivery targets logs server access, inline or through "
                    "BucketLogging. Advisory: CloudTrail data events may serve instead.",
        applies_to=BUCKET_TYPES + LOGGING, check=_every(LOGGING_SETTING, exempt_log_targets=True),
        level=ADVISORY, severity=MEDIUM, reads=LOAD_BALANCERS,
        remediation="Create an aws.s3.BucketLogging pointing at the stack's access-log bucket."),
]
