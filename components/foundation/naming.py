"""Physical AWS names: one rule per service, knowing its length and charset limits.

Pure functions, no Pulumi imports: the stack settings use them to reject names that would break
an AWS limit *before* any resource is declared, and the components use them to name resources.

Two kinds of limits:
- readable names (buckets, tables, streams, buses, roles): the name is built from its parts and
  must fit; if it does not, `NameError_` says by how much, so the settings can name the key.
- tiny limits (DAX clusters: 20 chars, load balancers and target groups: 32): the name is
  truncated and suffixed with a short stable hash so it stays unique and deterministic.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


class NameLimitError(ValueError):
    """A physical name would break an AWS naming rule."""


@dataclass(frozen=True)
class NameRule:
    max_len: int
    pattern: str  # full-match regex for the finished name
    sep: str = "-"
    hashed: bool = False  # truncate + hash instead of failing
    min_len: int = 1


RULES: dict[str, NameRule] = {
    # S3: 3-63, lowercase letters, digits, hyphens; starts/ends alphanumeric.
    "s3": NameRule(63, r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", min_len=3),
    "dynamodb": NameRule(255, r"[a-zA-Z0-9_.-]{3,255}", min_len=3),
    "kinesis": NameRule(128, r"[a-zA-Z0-9_.-]{1,128}"),
    "firehose": NameRule(64, r"[a-zA-Z0-9_.-]{1,64}"),
    "eventbus": NameRule(256, r"[a-zA-Z0-9/_.-]{1,256}"),
    "sqs": NameRule(80, r"[a-zA-Z0-9_-]{1,80}"),
    "sns": NameRule(256, r"[a-zA-Z0-9_-]{1,256}"),
    "iam_role": NameRule(64, r"[\w+=,.@-]{1,64}"),
    "lambda": NameRule(64, r"[a-zA-Z0-9_-]{1,64}"),
    "glue_database": NameRule(255, r"[a-z0-9_]{1,255}", sep="_"),
    "glue": NameRule(255, r"[a-zA-Z0-9_.-]{1,255}"),
    "log_group": NameRule(512, r"[a-zA-Z0-9_./#-]{1,512}", sep="/"),
    "ecs": NameRule(255, r"[a-zA-Z0-9_-]{1,255}"),
    "kms_alias": NameRule(256, r"alias/[a-zA-Z0-9/_-]{1,250}", sep="/"),
    "transfer_user": NameRule(100, r"[\w][\w@.-]{2,99}"),
    # Tiny limits: hashed.
    "dax": NameRule(20, r"[a-z][a-z0-9-]{0,19}", hashed=True),
    "alb": NameRule(32, r"[a-zA-Z0-9][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]", hashed=True),
    "target_group": NameRule(32, r"[a-zA-Z0-9][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]", hashed=True),
    "api": NameRule(128, r"[a-zA-Z0-9_ -]{1,128}"),
}


def _hash(text: str, n: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def physical_name(kind: str, *parts: str) -> str:
    """Join `parts` under the rule for `kind`; raise NameLimitError if it cannot fit."""
    rule = RULES[kind]
    joined = rule.sep.join(p for p in parts if p)
    if kind == "glue_database":
        joined = joined.replace("-", "_")
    if rule.hashed and len(joined) > rule.max_len:
        suffix = _hash(joined)
        head = joined[: rule.max_len - len(suffix) - 1].rstrip("-")
        joined = f"{head}-{suffix}"
    if len(joined) > rule.max_len:
        raise NameLimitError(
            f"{kind} name '{joined}' is {len(joined)} characters; AWS allows at most {rule.max_len}"
        )
    if len(joined) < rule.min_len or not re.fullmatch(rule.pattern, joined):
        raise NameLimitError(f"{kind} name '{joined}' does not match the AWS pattern {rule.pattern}")
    if kind == "s3" and (joined.startswith("xn--") or joined.endswith("-s3alias") or "--" in joined):
        raise NameLimitError(f"s3 name '{joined}' uses a reserved prefix/suffix or '--'")
    return joined


# --- the platform's naming scheme ----------------------------------------------------------

ZONES = ("raw", "curated", "reportable")


def bucket_name(business_unit: str, environment: str, product: str, zone: str, account_id: str, region_code: str) -> str:
    return physical_name("s3", business_unit, environment, product, zone, account_id, region_code)


def table_name(business_unit: str, environment: str, product: str) -> str:
    return physical_name("dynamodb", business_unit, environment, product, "ods")


def role_name(business_unit: str, environment: str, *purpose: str) -> str:
    return physical_name("iam_role", business_unit, environment, *purpose)


def glue_database_name(business_unit: str, environment: str, product: str) -> str:
    return physical_name("glue_database", business_unit, environment, product)


def dax_cluster_name(business_unit: str, environment: str, product: str) -> str:
    return physical_name("dax", business_unit, environment, product)


def prefixed(kind: str, business_unit: str, environment: str, *parts: str) -> str:
    """Generic `<bu>-<env>-<parts...>` name under the rule for `kind`."""
    return physical_name(kind, business_unit, environment, *parts)


def service_event_source(business_unit: str, product: str) -> str:
    """The `source` of the change events services publish for a product's ODS. It is never an
    ingestion source of the product (the loader refuses one equal to it), so the ODS writer's rules
    never see the services' own writes."""
    return f"{business_unit}.{product}.ods"


def dataset_event_source(business_unit: str, product: str) -> str:
    """The `source` of a product's "Dataset Published" events (the reportable job's); like the
    services' source, never one the product ingests."""
    return f"{business_unit}.{product}.datasets"


def inbox_bus_name(business_unit: str, environment: str, product: str) -> str:
    """The event bus a consumer account receives a product's events on, named after the producer
    (the consumer learns it from the contract). EventBridge bus names: 1-256 of [/.-_A-Za-z0-9]."""
    return physical_name("eventbus", "inbox", business_unit, environment, product)
