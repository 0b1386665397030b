"""Every form a bucket setting takes in pulumi-aws 7, and the one judgement per bucket.

A setting is either inline on the bucket (``aws:s3/bucket:Bucket``: one block, e.g.
``versioning.enabled``; the deprecated ``aws:s3/bucketV2:BucketV2``: a list, e.g.
``versionings[].enabled``) or a companion resource keyed by ``bucket`` (v1 and V2 tokens). A
companion is applied after the bucket and wins; the bucket's own outputs then only echo AWS's
state. With neither, the setting is AWS's default (no public access block, SSE-S3, versioning
off, ...). Values unknown during a preview count as what the wiring says (a key ARN from the
stack is a key) or are left to the update: they never turn a violation into a preview advisory.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from .._base import UNKNOWN, known_items, of_type, peek, references, resource_keys, shown

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
       "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
             "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LOG_TARGET_TAG = "ddp:log-target"

Problems = Callable[[object], list]  # props -> messages (empty: compliant)
Inline = Callable[[object], Optional[list]]  # bucket props -> None (not set inline) or messages


def inline_blocks(props, v1: str, v2: str) -> Optional[list]:
    """The inline setting as a list of blocks: [v1 block] or the V2 list; None when not set inline,
    [] when set but unknown during a preview (judged at update)."""
    one = peek(props, v1)
    if one is UNKNOWN:
        return []
    if one is not None:
        return [one]
    many = peek(props, v2)
    if many is UNKNOWN:
        return []
    return known_items(many) or None


@dataclass(frozen=True)
class Setting:
    """One bucket setting: what it is, its companion types, how to judge a companion and the inline form."""
    what: str
    companions: tuple[str, ...]
    judge: Problems
    inline: Optional[Inline] = None


def _index(resources, types: Iterable[str]) -> dict[str, list]:
    by_key: dict[str, list] = defaultdict(list)
    for s in of_type(resources, *types):
        for ref in references(s, "bucket"):
            by_key[ref].append(s)
    return by_key


def judge_buckets(resources, setting: Setting, exempt: Callable[[object], bool] = lambda b: False):
    """(message, urn) for every bucket whose effective setting is wrong or missing, and for every
    wrong companion of a bucket outside the stack."""
    by_key = _index(resources, setting.companions)
    seen: set[str] = set()
    for bucket in of_type(resources, *BUCKET_TYPES):
        companions = {s.urn: s for key in resource_keys(bucket, "bucket", "id") for s in by_key.get(key, ())}
        seen.update(companions)
        if exempt(bucket):
            continue
        if companions:
            for c in companions.values():
                for problem in setting.judge(c.props):
                    yield f"Bucket '{bucket.name}' ({c.name}): {problem}", c.urn
            continue
        inline = setting.inline(bucket.props) if setting.inline else None
        if inline is None:
            yield f"Bucket '{bucket.name}' has no {setting.what}.", bucket.urn
        for problem in inline or []:
            yield f"Bucket '{bucket.name}': {problem}", bucket.urn
    for c in of_type(resources, *setting.companions):
        if c.urn not in seen:
            for problem in setting.judge(c.props):
                yield f"Bucket '{shown(c.props, 'bucket')}' ({c.name}): {problem}", c.urn


def log_targets(resources) -> Callable[[object], bool]:
    """Predicate for buckets AWS delivers logs into (S3 server access logs, load balancer access
    logs): AWS log delivery supports only SSE-S3 there, so the CMK and logging rules exempt them."""
    targets: set[str] = set()
    for r in of_type(resources, *LOGGING):
        targets |= references(r, "targetBucket")
    for bucket in of_type(resources, *BUCKET_TYPES):
        for block in inline_blocks(bucket.props, "logging", "loggings") or []:
            target = peek(block, "targetBucket")
            if isinstance(target, str):
                targets.add(target)
    for lb in of_type(resources, *LOAD_BALANCERS):
        target = peek(lb.props, "accessLogs", "bucket")
        if isinstance(target, str) and target:
            targets.add(target)

    def is_log_target(bucket) -> bool:
        tags = peek(bucket.props, "tags")
        if hasattr(tags, "keys") and LOG_TARGET_TAG in tags:
            return True
        return bool(resource_keys(bucket, "bucket", "id") & targets)
    return is_log_target
