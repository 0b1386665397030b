"""AWS limits and formats the stack settings enforce before anything is declared.

Each constant names the AWS rule it follows; the README's configuration reference lists them.
Pure functions: each raises ValueError with one line saying what is wrong and what is allowed.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

# --- tags (IAM's rules are the strictest and apply to every role the platform creates) ------------
MAX_TAGS_PER_RESOURCE = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
# Keys the platform sets on every resource (provider default tags, components/blueprint.org_tags).
ORG_TAG_KEYS = ("business-unit", "environment", "owner", "cost-center", "managed-by", "region-role")
# Keys components set on some resources on top of the org tags (ECS services carry the most: 5).
RESOURCE_TAG_KEYS = ("data-classification", "data-product", "Name")
RESOURCE_TAG_PREFIX = "ddp:"
RESOURCE_TAGS_RESERVED = 6
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(ORG_TAG_KEYS) - RESOURCE_TAGS_RESERVED  # 38
_TAG_PUNCT = set("_.:/=+-@")


def _tag_chars_ok(text: str) -> bool:
    # IAM: [\p{L}\p{Z}\p{N}_.:/=+\-@]
    return all(ch in _TAG_PUNCT or unicodedata.category(ch)[0] in "LZN" for ch in text)


def check_tag_key(key: str) -> None:
    if not 1 <= len(key) <= TAG_KEY_MAX:
        raise ValueError(f"tag key '{key[:40]}' must be 1-{TAG_KEY_MAX} characters")
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key '{key}' must not start with 'aws:' (reserved by AWS)")
    if not _tag_chars_ok(key):
        raise ValueError(f"tag key '{key[:40]}' may hold only letters, digits, spaces and _ . : / = + - @")


def check_tag_value(value: str, what: str = "tag value") -> None:
    if len(value) > TAG_VALUE_MAX:
        raise ValueError(f"{what} is {len(value)} characters; AWS tags allow at most {TAG_VALUE_MAX}")
    if not _tag_chars_ok(value):
        raise ValueError(f"{what} '{value[:40]}' may hold only letters, digits, spaces and _ . : / = + - @ "
                         "(it becomes a tag value)")


# --- Glue schedules: six-field cron only ----------------------------------------------------------
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()
# field -> (low, high, names)
_CRON_FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)
GLUE_CRON_HELP = "a Glue schedule cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *)"


def _cron_number(text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    up = text.upper()
    if up in names:
        return names.index(up) + 1
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def _cron_field(text: str, index: int) -> None:
    name, low, high, names = _CRON_FIELDS[index]
    if text == "?":
        if index not in (2, 4):
            raise ValueError(f"'?' is only allowed in day-of-month or day-of-week, not {name}")
        return
    for part in text.split(","):
        try:
            if index == 2 and part in ("L", "LW") or index == 4 and part == "L":
                continue
            if index == 2 and part.endswith("W"):
                _cron_number(part[:-1], low, high, names)
                continue
            if index == 4 and "#" in part:
                day, nth = part.split("#", 1)
                _cron_number(day, low, high, names)
                _cron_number(nth, 1, 5, ())
                continue
            if index == 4 and part.endswith("L") and len(part) > 1:
                _cron_number(part[:-1], low, high, names)
                continue
            base, _, step = part.partition("/")
            if step:
                _cron_number(step, 1, high, ())
            if base == "*":
                continue
            lo, dash, hi = base.partition("-")
            _cron_number(lo, low, high, names)
            if dash:
                _cron_number(hi, low, high, names)
        except ValueError:
            allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
            raise ValueError(f"cron {name} field '{text}' is not valid ({allowed}, *, ranges, lists, steps)") from None


def check_glue_schedule(expr: str) -> None:
    if not isinstance(expr, str) or not expr.startswith("cron(") or not expr.endswith(")"):
        if isinstance(expr, str) and expr.startswith("rate("):
            raise ValueError(f"Glue does not accept rate() schedules; use {GLUE_CRON_HELP}")
        raise ValueError(f"must be {GLUE_CRON_HELP}")
    fields = expr[5:-1].split()
    if len(fields) != 6:
        raise ValueError(f"has {len(fields)} cron fields; Glue needs six: {GLUE_CRON_HELP}")
    for i, f in enumerate(fields):
        _cron_field(f, i)
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?' (e.g. cron(0 3 * * ? *))")


# --- DAX node types (DynamoDB Accelerator; the provider passes nodeType through unchecked) -------
DAX_NODE_TYPES = (
    "dax.t3.small", "dax.t3.medium",
    "dax.t2.small", "dax.t2.medium",
    "dax.r5.large", "dax.r5.xlarge", "dax.r5.2xlarge", "dax.r5.4xlarge", "dax.r5.8xlarge",
    "dax.r5.12xlarge", "dax.r5.16xlarge", "dax.r5.24xlarge",
    "dax.r4.large", "dax.r4.xlarge", "dax.r4.2xlarge", "dax.r4.4xlarge", "dax.r4.8xlarge", "dax.r4.16xlarge",
)
DAX_MIN_NODES = 3   # blueprint: one node per AZ
DAX_MAX_NODES = 11  # DAX: a primary and up to 10 read replicas


# --- container images ------------------------------------------------------------------------------
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_IMAGE_RE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
IMAGE_NAME_MAX = 255
IMAGE_HELP = "an image reference like 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api:1.4.2 (or @sha256:<digest>)"


def check_image(ref: str) -> None:
    if not ref:
        raise ValueError(f"must not be empty; give {IMAGE_HELP}, or buildImage: true")
    m = _IMAGE_RE.match(ref)
    if m is None:
        raise ValueError(f"'{ref[:60]}' is not {IMAGE_HELP}")
    name = (m["domain"] + "/" if m["domain"] else "") + m["path"]
    if len(name) > IMAGE_NAME_MAX:
        raise ValueError(f"the image name is {len(name)} characters; at most {IMAGE_NAME_MAX}")
    if m["digest"] is None and m["tag"] in (None, "latest"):
        raise ValueError("pin a version tag or a digest (an implicit or :latest tag changes under a running "
                         f"service): {IMAGE_HELP}")


# --- networks ------------------------------------------------------------------------------------
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Docker's default bridge and several AWS services (SageMaker, Cloud9) use 172.17.0.0/16.
RESERVED_RANGES = (ipaddress.IPv4Network("172.17.0.0/16"),)
VPC_PREFIX_MIN, VPC_PREFIX_MAX = 16, 20


def check_vpc_cidr(text: str) -> str:
    try:
        net = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 CIDR block like 10.0.0.0/16 ({exc})") from None
    if not VPC_PREFIX_MIN <= net.prefixlen <= VPC_PREFIX_MAX:
        raise ValueError(f"prefix must be between /{VPC_PREFIX_MIN} and /{VPC_PREFIX_MAX} to fit three AZs of subnets")
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValueError("must be a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)")
    for r in RESERVED_RANGES:
        if net.overlaps(r):
            raise ValueError(f"must not overlap {r} (Docker's bridge and some AWS services use it)")
    return str(net)


# --- quotas a long list can cross ------------------------------------------------------------------
# VPC: inbound rules per security group (IPv4 and IPv6 counted apart); the ALB's group gets two
# rules (443 and 80) per allowed CIDR.
SG_INBOUND_RULES = 60
ALB_RULES_PER_CIDR = 2
MAX_ALLOWED_CIDRS_PER_FAMILY = SG_INBOUND_RULES // ALB_RULES_PER_CIDR  # 30
# EventBridge: rules per event bus (default quota).
EVENT_BUS_RULES = 300
# Lambda: all environment variables of a function together, keys and values.
LAMBDA_ENV_BYTES = 4096
# What the platform itself puts into the record processor's environment besides the field lists.
LAMBDA_ENV_RESERVED = 512


# --- datasets (Glue Data Catalog, Iceberg, CloudWatch alarms) -------------------------------------
# Glue: database, table and column names are 1-255 characters.
GLUE_NAME_MAX = 255
# Iceberg (Glue CreateTable IcebergInput schema field `doc`): 0-255 characters.
ICEBERG_DOC_MAX = 255
# Athena/Glue decimal: precision 1-38.
DECIMAL_MAX_PRECISION = 38
# The freshness alarm looks at one period of this length; CloudWatch alarms evaluate at most one
# day of data points when the period is an hour or more (Period x EvaluationPeriods <= 86,400 s).
FRESHNESS_MAX_HOURS = 24
# Platform limit: the dataset travels to the reportable job as one job argument (JSON).
DATASET_MAX_COLUMNS = 200
