"""Bucket policies (a BucketPolicy resource or the bucket's inline ``policy``) and replication:
TLS only, never public, no bucket-administration grants to other accounts, replicas re-encrypted."""
from __future__ import annotations

from .._base import (CRITICAL, HIGH, MANDATORY, UNKNOWN, as_json, as_list, cmk_problem, known_copy, known_items,
                     peek, provider_props, resource_policy, safe_get, stack_policy)
from .._documents import (allows, denies_insecure_transport, principal_accounts, public_allow_statements,
                          public_reason, statements)
from ._buckets import BUCKET_POLICY, BUCKET_TYPES, REPLICATION, Setting, inline_blocks, judge_buckets

POLICY_HOLDERS = (BUCKET_POLICY, *BUCKET_TYPES)
# FSBP S3.6: actions another account must never be granted on a bucket.
ADMIN_ACTIONS = ("s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration",
                 "s3:PutObjectAcl")


def document(props, prop: str = "policy"):
    """The policy document with unknown parts left out; UNKNOWN when the whole document is unknown."""
    value = peek(props, prop)
    return value if value is UNKNOWN else as_json(known_copy(value))


def _tls_companion(props) -> list:
    doc = document(props)
    if doc is UNKNOWN or denies_insecure_transport(doc):
        return []
    return ["bucket policy must deny s3:* to Principal '*' when aws:SecureTransport is false"]


def _tls_inline(props):
    doc = document(props)
    if doc is None:
        return None
    return _tls_companion(props)


TLS_SETTING = Setting("bucket policy denying aws:SecureTransport=false", (BUCKET_POLICY,), _tls_companion,
                      _tls_inline)


def _tls(resources, cfg):
    yield from judge_buckets(resources, TLS_SETTING)


def _not_public(props, cfg, args):
    doc = document(props)
    for s in public_allow_statements(None if doc is UNKNOWN else doc):
        yield f"Bucket policy statement '{s.get('Sid', '')}' {public_reason(s)}."


def _stack_accounts(args) -> set[str]:
    return {str(a) for a in as_list(as_json(safe_get(provider_props(args), "allowedAccountIds")))}


def _no_admin_to_other_accounts(props, cfg, args):
    own = _stack_accounts(args)
    doc = document(props)
    for s in statements(None if doc is UNKNOWN else doc):
        others = sorted(principal_accounts(s) - own) if own else []
        granted = [a for a in ADMIN_ACTIONS if allows(s, a)]
        if others and granted:
            yield (f"Bucket policy statement '{s.get('Sid', '')}' grants account(s) {', '.join(others)} "
                   f"{', '.join(granted)}; other accounts must not administer the bucket.")


def _replication_rules(props) -> list:
    """(label, replica key, sse-kms objects status) of a BucketReplicationConfig or an inline configuration."""
    out = []
    for rule in known_items(peek(props, "rules")):  # BucketReplicationConfig
        out.append((shown_id(rule), peek(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId"),
                    peek(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status") in ("Enabled", UNKNOWN)))
    for block in inline_blocks(props, "replicationConfiguration", "replicationConfigurations") or []:
        for rule in known_items(peek(block, "rules")):
            out.append((shown_id(rule), peek(rule, "destination", "replicaKmsKeyId"),
                        peek(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "enabled") in (True, UNKNOWN)))
    return out


def shown_id(rule) -> str:
    value = peek(rule, "id")
    return value if isinstance(value, str) else "?"


def _replication(props, cfg, args):
    for rule_id, key, kms_objects in _replication_rules(props):
        problem = cmk_problem(key, "the destination's replica KMS key")
        if problem:
            yield f"Replication rule '{rule_id}': {problem}."
        if not kms_objects:
            yield f"Replication rule '{rule_id}' must replicate SSE-KMS encrypted objects (sseKmsEncryptedObjects)."


POLICIES = [
    stack_policy(
        name="s3-bucket-policy-denies-insecure-transport", service="s3", control="S3.5",
        description="Every S3 bucket has a policy (BucketPolicy resource or inline) that denies requests "
                    "without TLS (aws:SecureTransport=false).",
        applies_to=POLICY_HOLDERS, check=_tls, level=MANDATORY, severity=HIGH,
        remediation="Attach an aws.s3.BucketPolicy with a Deny for Principal '*', Action 's3:*' on the bucket and "
                    "its objects, Condition Bool aws:SecureTransport=false."),
    resource_policy(
        name="s3-bucket-policy-not-public", service="s3", control="S3.2",
        description="S3 bucket policies (BucketPolicy or inline) never allow Principal '*' or NotPrincipal unless "
                    "a condition narrows it to an org, account, source or network (covers S3.3, public write).",
        types=POLICY_HOLDERS, check=_not_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to explicit account or role ARNs, or add a restricting Condition (e.g. aws:PrincipalOrgID)."),
    resource_policy(
        name="s3-bucket-policy-no-admin-grants-to-other-accounts", service="s3", control="S3.6",
        description="S3 bucket policies never grant other accounts DeleteBucketPolicy, PutBucketAcl, "
                    "PutBucketPolicy, PutEncryptionConfiguration or PutObjectAcl (directly, by wildcard or through "
                    "NotAction). The stack's own account comes from its provider's allowedAccountIds; without "
                    "one, the check cannot tell other accounts apart and passes.",
        types=POLICY_HOLDERS, check=_no_admin_to_other_accounts, level=MANDATORY, severity=HIGH,
        remediation="Grant other accounts only the read/write object actions they need."),
    resource_policy(
        name="s3-bucket-replication-encrypted", service="s3",
        description="S3 replication (BucketReplicationConfig or inline) replicates SSE-KMS objects and "
                    "re-encrypts them with a customer managed key in the destination.",
        types=(REPLICATION, *BUCKET_TYPES), check=_replication, level=MANDATORY, severity=HIGH,
        remediation="Set destination.encryption_configuration.replica_kms_key_id to a CMK and "
                    "source_selection_criteria.sse_kms_encrypted_objects.status='Enabled' on every rule."),
]
