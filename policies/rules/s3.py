"""S3: pulumi-aws 7 models each bucket setting as its own resource keyed by ``bucket`` (the bucket
name, which is also the bucket's id). Resource rules check each setting resource; stack rules
check that every bucket has each setting."""
from __future__ import annotations

from collections import defaultdict

from pulumi_policy.proxy import UnknownValueError

from ._base import (CRITICAL, HIGH, LOW, MANDATORY, ADVISORY, MEDIUM, denies_insecure_transport, get,
                    is_map, of_type, public_allow_statements, references, resource_keys, resource_policy,
                    stack_policy)

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
       "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
             "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


# --- resource rules on the setting resources ----------------------------------------------------

def _pab(props, cfg, args):
    off = [flag for flag in PAB_FLAGS if get(props, flag) is not True]
    if off:
        yield f"Public access block on bucket '{get(props, 'bucket')}' must set {', '.join(off)} to true."


def _sse(props, cfg, args):
    rules = list(get(props, "rules", default=[]))
    if not rules:
        yield "Encryption configuration has no rule; set applyServerSideEncryptionByDefault with aws:kms."
    for rule in rules:
        default = get(rule, "applyServerSideEncryptionByDefault", default={})
        algorithm = get(default, "sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            yield f"Bucket '{get(props, 'bucket')}' uses sseAlgorithm '{algorithm}'; use aws:kms with a customer managed key."
        elif not get(default, "kmsMasterKeyId"):
            yield f"Bucket '{get(props, 'bucket')}' uses aws:kms without kmsMasterKeyId (the AWS managed key); set a CMK."


def _policy_tls(props, cfg, args):
    if not denies_insecure_transport(get(props, "policy")):
        yield (f"Bucket policy on '{get(props, 'bucket')}' must deny s3:* to Principal '*' "
               "when aws:SecureTransport is false.")


def _policy_public(props, cfg, args):
    for s in public_allow_statements(get(props, "policy")):
        yield f"Bucket policy statement '{s.get('Sid', '')}' allows Principal '*' without a Condition."


def _versioning(props, cfg, args):
    status = get(props, "versioningConfiguration", "status")
    if status != "Enabled":
        yield f"Versioning on bucket '{get(props, 'bucket')}' is '{status}'; set versioningConfiguration.status to Enabled."


def _ownership(props, cfg, args):
    ownership = get(props, "rule", "objectOwnership")
    if ownership != "BucketOwnerEnforced":
        yield f"Object ownership is '{ownership}'; set rule.objectOwnership to BucketOwnerEnforced (ACLs disabled)."


def _acl(props, cfg, args):
    yield f"Bucket '{get(props, 'bucket')}' declares an ACL; ACLs are disabled by the blueprint, use bucket policies."


def _lifecycle(props, cfg, args):
    rules = [r for r in get(props, "rules", default=[]) if is_map(r)]
    if not any(get(r, "status") == "Enabled" for r in rules):
        yield f"Lifecycle configuration on '{get(props, 'bucket')}' has no rule with status Enabled."


def _replication(props, cfg, args):
    for rule in get(props, "rules", default=[]):
        rule_id = get(rule, "id", default="?")
        if not get(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId"):
            yield f"Replication rule '{rule_id}' must set destination.encryptionConfiguration.replicaKmsKeyId."
        if get(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status") != "Enabled":
            yield f"Replication rule '{rule_id}' must set sourceSelectionCriteria.sseKmsEncryptedObjects.status Enabled."


# --- stack rules: every bucket has each setting ---------------------------------------------------

def _satisfies(ok, resource) -> bool:
    try:
        return ok(resource)
    except UnknownValueError:  # not known until the update: the resource rule judges it then
        return True


def _bucket_settings(resources, setting_types, ok=lambda r: True):
    """Yield (bucket, [matching setting resources that satisfy ok]).

    Settings are indexed by what their `bucket` input references, so a stack with many buckets
    is matched in one pass instead of comparing every bucket with every setting."""
    by_key: dict[str, list] = defaultdict(list)
    for s in of_type(resources, *setting_types):
        if _satisfies(ok, s):
            for ref in references(s, "bucket"):
                by_key[ref].append(s)
    for bucket in of_type(resources, *BUCKET_TYPES):
        matched = {id(s): s for key in resource_keys(bucket, "bucket", "id") for s in by_key.get(key, ())}
        yield bucket, list(matched.values())


def _every_bucket(setting_types, what, ok=lambda r: True, exempt=lambda resources: (lambda bucket: False)):
    """`exempt(resources)` returns the predicate for buckets that need not have the setting."""
    def check(resources, cfg):
        is_exempt = exempt(resources)
        for bucket, matched in _bucket_settings(resources, setting_types, ok):
            if not matched and not is_exempt(bucket):
                yield f"Bucket '{bucket.name}' has no {what}.", bucket.urn
    return check


LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LOG_TARGET_TAG = "ddp:log-target"


def _log_targets(resources):
    """Predicate for buckets AWS delivers logs into: S3 server access logs or load balancer
    access logs. AWS log delivery supports only SSE-S3 there, so the CMK rules exempt them."""
    targets: set[str] = set()
    for r in of_type(resources, *LOGGING):
        targets |= references(r, "targetBucket")
    for lb in of_type(resources, *LOAD_BALANCERS):
        bucket = get(lb.props, "accessLogs", "bucket", default="")
        if bucket:
            targets.add(str(bucket))

    def is_log_target(bucket) -> bool:
        tags = get(bucket.props, "tags", default={}) or {}
        if is_map(tags) and LOG_TARGET_TAG in tags:
            return True
        return bool(resource_keys(bucket, "bucket", "id") & targets)
    return is_log_target


def _sse_of_non_log_buckets(resources, cfg):
    """SSE configurations must use a CMK, except on log-delivery buckets where only AES256 works."""
    is_log_target = _log_targets(resources)
    log_keys = set()
    for bucket in of_type(resources, *BUCKET_TYPES):
        if is_log_target(bucket):
            log_keys |= resource_keys(bucket, "bucket", "id")
    for sse in of_type(resources, *SSE):
        if references(sse, "bucket") & log_keys:
            continue
        for message in _sse(sse.props, cfg, None):
            yield message, sse.urn


POLICIES = [
    resource_policy(
        name="s3-bucket-public-access-block-all-enabled", service="s3", control="S3.8",
        description="S3 public access blocks set all four flags to true.",
        types=[PAB], check=_pab, level=MANDATORY, severity=CRITICAL,
        remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True."),
    stack_policy(
        name="s3-bucket-encrypted-with-cmk", service="s3", control="S3.17",
        description="S3 default encryption uses SSE-KMS with a customer managed key "
                    "(log-delivery target buckets, which AWS allows only SSE-S3, are exempt).",
        applies_to=SSE, check=_sse_of_non_log_buckets, level=MANDATORY, severity=HIGH,
        remediation="Use sse_algorithm='aws:kms' and kms_master_key_id=<CMK arn>, with bucket_key_enabled=True.",
        reads=(*BUCKET_TYPES, *LOGGING, *LOAD_BALANCERS)),
    resource_policy(
        name="s3-bucket-policy-denies-insecure-transport", service="s3", control="S3.5",
        description="S3 bucket policies deny any request made without TLS (aws:SecureTransport=false).",
        types=[BUCKET_POLICY], check=_policy_tls, level=MANDATORY, severity=HIGH,
        remediation="Add a Deny statement for Principal '*', Action 's3:*' on the bucket and its objects "
                    "with Condition Bool aws:SecureTransport=false."),
    resource_policy(
        name="s3-bucket-policy-not-public", service="s3", control="S3.2",
        description="S3 bucket policies do not allow Principal '*' without a condition.",
        types=[BUCKET_POLICY], check=_policy_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to explicit account or role ARNs, or add a restricting Condition (e.g. aws:PrincipalOrgID)."),
    resource_policy(
        name="s3-bucket-versioning-status-enabled", service="s3", control="S3.14",
        description="S3 bucket versioning resources set status Enabled.",
        types=VERSIONING, check=_versioning, level=MANDATORY, severity=MEDIUM,
        remediation="Set versioning_configuration.status='Enabled'."),
    resource_policy(
        name="s3-bucket-ownership-bucket-owner-enforced", service="s3", control="S3.12",
        description="S3 object ownership is BucketOwnerEnforced, which disables ACLs.",
        types=[OWNERSHIP], check=_ownership, level=MANDATORY, severity=MEDIUM,
        remediation="Set rule.object_ownership='BucketOwnerEnforced'."),
    resource_policy(
        name="s3-bucket-acl-not-used", service="s3", control="S3.12",
        description="No S3 bucket ACL resources: access is granted by policies only.",
        types=ACL, check=_acl, level=MANDATORY, severity=MEDIUM,
        remediation="Remove the BucketAcl resource and express access in the bucket policy."),
    resource_policy(
        name="s3-bucket-lifecycle-rule-enabled", service="s3", control="S3.13",
        description="S3 lifecycle configurations have at least one enabled rule.",
        types=LIFECYCLE, check=_lifecycle, level=ADVISORY, severity=LOW,
        remediation="Add a rule with status='Enabled' (expire noncurrent versions, transition cold data)."),
    resource_policy(
        name="s3-bucket-replication-encrypted", service="s3",
        description="S3 replication replicates KMS-encrypted objects and re-encrypts them with a CMK in the destination.",
        types=[REPLICATION], check=_replication, level=MANDATORY, severity=HIGH,
        remediation="Set destination.encryption_configuration.replica_kms_key_id and "
                    "source_selection_criteria.sse_kms_encrypted_objects.status='Enabled' on every rule."),
    stack_policy(
        name="s3-bucket-has-public-access-block", service="s3", control="S3.8",
        description="Every S3 bucket has a public access block with all four flags true.",
        applies_to=BUCKET_TYPES, level=MANDATORY, severity=CRITICAL,
        check=_every_bucket([PAB], "public access block with all four flags true",
                            ok=lambda r: all(get(r.props, f) is True for f in PAB_FLAGS)),
        remediation="Create an aws.s3.BucketPublicAccessBlock for the bucket with all four flags True.",
        reads=(PAB,)),
    stack_policy(
        name="s3-bucket-has-cmk-encryption", service="s3", control="S3.17",
        description="Every S3 bucket has a server-side encryption configuration using SSE-KMS with a CMK.",
        applies_to=BUCKET_TYPES, level=MANDATORY, severity=HIGH,
        check=_every_bucket(SSE, "SSE-KMS encryption configuration with a customer managed key",
                            ok=lambda r: not list(_sse(r.props, {}, None)), exempt=_log_targets),
        remediation="Create an aws.s3.BucketServerSideEncryptionConfiguration with aws:kms and a CMK.",
        reads=(*SSE, *LOGGING, *LOAD_BALANCERS)),
    stack_policy(
        name="s3-bucket-has-versioning", service="s3", control="S3.14",
        description="Every S3 bucket has versioning enabled.",
        applies_to=BUCKET_TYPES, level=MANDATORY, severity=MEDIUM,
        check=_every_bucket(VERSIONING, "versioning with status Enabled",
                            ok=lambda r: get(r.props, "versioningConfiguration", "status") == "Enabled"),
        remediation="Create an aws.s3.BucketVersioning with status 'Enabled'.",
        reads=VERSIONING),
    stack_policy(
        name="s3-bucket-has-lifecycle", service="s3", control="S3.10",
        description="Every S3 bucket has a lifecycle configuration with an enabled rule.",
        applies_to=BUCKET_TYPES, level=ADVISORY, severity=LOW,
        check=_every_bucket(LIFECYCLE, "lifecycle configuration with an enabled rule",
                            ok=lambda r: not list(_lifecycle(r.props, {}, None))),
        remediation="Create an aws.s3.BucketLifecycleConfiguration (noncurrent version expiry, transitions).",
        reads=LIFECYCLE),
    stack_policy(
        name="s3-bucket-has-access-logging", service="s3", control="S3.9",
        description="Every S3 bucket except access-log target buckets logs server access.",
        applies_to=BUCKET_TYPES, level=ADVISORY, severity=MEDIUM,
        check=_every_bucket(LOGGING, "server access logging", exempt=_log_targets),
        remediation="Create an aws.s3.BucketLogging pointing at the stack's access-log bucket.",
        reads=(*LOGGING, *LOAD_BALANCERS)),
    stack_policy(
        name="s3-bucket-acls-disabled", service="s3", control="S3.12",
        description="Every S3 bucket has ownership controls set to BucketOwnerEnforced (ACLs disabled).",
        applies_to=BUCKET_TYPES, level=MANDATORY, severity=MEDIUM,
        check=_every_bucket([OWNERSHIP], "ownership controls with BucketOwnerEnforced",
                            ok=lambda r: get(r.props, "rule", "objectOwnership") == "BucketOwnerEnforced"),
        remediation="Create an aws.s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced'.",
        reads=(OWNERSHIP,)),
    stack_policy(
        name="s3-bucket-has-tls-only-policy", service="s3", control="S3.5",
        description="Every S3 bucket has a bucket policy that denies requests without TLS.",
        applies_to=BUCKET_TYPES, level=MANDATORY, severity=HIGH,
        check=_every_bucket([BUCKET_POLICY], "bucket policy denying aws:SecureTransport=false",
                            ok=lambda r: denies_insecure_transport(get(r.props, "policy"))),
        remediation="Attach an aws.s3.BucketPolicy with the TLS-only Deny statement.",
        reads=(BUCKET_POLICY,)),
]
