"""Physical names of an operational service's resources (pure; no Pulumi imports).

Most names come from `components.foundation.naming`; the few services it has no rule for (ECR repositories,
EventBridge rules) get their rule here, with the same contract: a name that breaks an AWS limit
raises `naming.NameLimitError` naming the limit, never a truncated surprise.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import Path

from components.foundation import naming

# ECR: 2-256, lowercase, path segments separated by '/', each [a-z0-9]+ joined by . _ -
_ECR_RE = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
# EventBridge rule: 1-64 of [.-_A-Za-z0-9]
_RULE_RE = re.compile(r"[.\-_A-Za-z0-9]{1,64}")


def _check(kind: str, name: str, pattern: re.Pattern, max_len: int) -> str:
    if len(name) > max_len:
        raise naming.NameLimitError(f"{kind} name '{name}' is {len(name)} characters; AWS allows at most {max_len}")
    if not pattern.fullmatch(name):
        raise naming.NameLimitError(f"{kind} name '{name}' does not match the AWS pattern {pattern.pattern}")
    return name


def ecr_repository_name(business_unit: str, environment: str, service: str) -> str:
    """`<bu>-<env>/<service>`: one namespace per stack in the account's registry."""
    return _check("ecr", f"{business_unit}-{environment}/{service}", _ECR_RE, 256)


def event_rule_name(business_unit: str, environment: str, service: str) -> str:
    return _check("event rule", f"{business_unit}-{environment}-{service}-trigger", _RULE_RE, 64)


def log_group_name(prefix: str, service: str, purpose: str) -> str:
    """`/ddp/<bu>-<env>/services/<service>/<purpose>`; the service's log key trusts this prefix."""
    return naming.physical_name("log_group", "/ddp", prefix, "services", service, purpose)


def log_group_prefix(prefix: str, service: str) -> str:
    return f"/ddp/{prefix}/services/{service}/"


# WAFv2 web ACL names and CloudWatch metric names: 1-128 of [A-Za-z0-9_-].
_WAF_RE = re.compile(r"[\w-]{1,128}")
_LOG_GROUP_RE = re.compile(r"[a-zA-Z0-9_./#-]{1,512}")
# WAF logs only go to CloudWatch log groups whose name starts with this (WAF developer guide).
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def waf_acl_name(prefix: str, service: str) -> str:
    return _check("web ACL", f"{prefix}-{service}", _WAF_RE, 128)


def waf_metric_name(prefix: str, service: str, rule: str) -> str:
    return _check("WAF metric", f"{prefix}-{service}-{rule}", _WAF_RE, 128)


def waf_log_group_name(prefix: str, service: str) -> str:
    """`aws-waf-logs-<bu>-<env>-<service>`: WAF refuses any other log group prefix."""
    return _check("log group", f"{WAF_LOG_GROUP_PREFIX}{prefix}-{service}", _LOG_GROUP_RE, 512)


def cidr_key(cidr: str) -> str:
    """A stable resource-name key for a CIDR: 203.0.113.0/24 -> 203-0-113-0-24, ::/0 -> ipv6-0."""
    net = ipaddress.ip_network(cidr, strict=True)
    if net.version == 6:
        return "ipv6-" + re.sub(r"[^0-9a-f]+", "-", net.compressed.lower()).strip("-")
    return re.sub(r"[./]", "-", net.compressed)


def source_tag(directory: Path) -> str:
    """Content hash of a source directory: the immutable image tag CI builds and pushes.

    CI and the program compute the same value, so a code change gives a new tag, a new task
    definition revision and a rolling deployment; an unchanged tree redeploys nothing.
    Byte-compiled files and caches are ignored.
    """
    digest = hashlib.sha256()
    files = sorted(p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo"))
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return f"src-{digest.hexdigest()[:20]}"
