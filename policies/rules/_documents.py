"""IAM and resource-policy documents: statements, principals (Principal / NotPrincipal), actions
(Action / NotAction, wildcards), and which conditions really restrict who can use a grant."""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any, Iterable, Optional

from ._base import as_json, as_list, is_map

ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):")

# Condition keys that narrow a grant to named accounts, organizations, sources or networks. A
# condition on anything else (aws:SecureTransport, aws:CurrentTime, aws:UserAgent, aws:Referer, ...)
# does not restrict *who* can use the grant.
RESTRICTING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths",
    "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp", "aws:VpcSourceIp", "aws:userid", "aws:username",
    "kms:CallerAccount", "sns:Endpoint", "lambda:FunctionArn", "events:source"))
# Operators whose match requires the key to hold one of the given values. *IfExists variants and
# negated operators (StringNotEquals, ...) match requests that lack the key or carry any other value.
POSITIVE_OPERATORS = frozenset(o.lower() for o in (
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress",
    "ForAnyValue:StringEquals", "ForAnyValue:StringLike", "ForAnyValue:StringEqualsIgnoreCase"))
OPEN_NETWORKS = {"0.0.0.0/0", "::/0"}


def statements(document: Any) -> list:
    doc = as_json(document)
    if not is_map(doc):
        return []
    return [s for s in as_list(doc.get("Statement")) if is_map(s)]


def principal_values(principal: Any) -> list[str]:
    """Flatten a Principal element: "*", {"AWS": [...]}, {"Service": ...} into strings."""
    if isinstance(principal, str):
        return [principal]
    if is_map(principal):
        out: list[str] = []
        for value in principal.values():
            out.extend(str(v) for v in as_list(value))
        return out
    return [str(p) for p in as_list(principal)]


def is_public_principal(principal: Any) -> bool:
    return "*" in principal_values(principal)


def _restricting_values(key: str, values: list[str]) -> bool:
    meaningful = [v for v in values if v.strip() and v.strip("*?") != ""]
    if key == "aws:sourceip" or key == "aws:vpcsourceip":
        return bool(meaningful) and not set(values) & OPEN_NETWORKS
    return bool(meaningful)


def restricting_condition_keys(statement: Mapping) -> list[str]:
    """The condition keys that really narrow the statement (positive operator, a real value)."""
    condition = statement.get("Condition") or {}
    found = []
    if not is_map(condition):
        return found
    for operator, block in condition.items():
        if str(operator).lower() not in POSITIVE_OPERATORS or not is_map(block):
            continue
        for key, value in block.items():
            k = str(key).lower()
            if k in RESTRICTING_KEYS and _restricting_values(k, [str(v) for v in as_list(value)]):
                found.append(str(key))
    return found


def grants_everyone(statement: Mapping) -> bool:
    """An Allow for every principal: Principal '*' (or {"AWS": "*"}), or any NotPrincipal (everyone
    except the named ones)."""
    if statement.get("Effect") != "Allow":
        return False
    return "NotPrincipal" in statement or is_public_principal(statement.get("Principal"))


def public_allow_statements(document: Any) -> list[Mapping]:
    """Allow statements open to everyone that no condition narrows to accounts, orgs, sources or networks."""
    return [s for s in statements(document) if grants_everyone(s) and not restricting_condition_keys(s)]


def public_reason(statement: Mapping) -> str:
    what = "NotPrincipal (everyone but the named principals)" if "NotPrincipal" in statement else "Principal '*'"
    if statement.get("Condition"):
        return f"allows {what} under conditions that do not restrict who (no org, account, source or network key)"
    return f"allows {what} without a Condition"


def denies_insecure_transport(document: Any) -> bool:
    """A Deny for everyone when aws:SecureTransport is false (the TLS-only pattern)."""
    for s in statements(document):
        if s.get("Effect") != "Deny" or not is_public_principal(s.get("Principal")):
            continue
        condition = s.get("Condition") or {}
        for operator, block in condition.items():
            if not str(operator).startswith("Bool") or not is_map(block):
                continue
            for key, value in block.items():
                if str(key).lower() == "aws:securetransport" and [str(v).lower() for v in as_list(value)] == ["false"]:
                    return True
    return False


def account_of(principal: str) -> Optional[str]:
    """The 12-digit account of an account id or an ARN, else None."""
    principal = principal.strip()
    if re.fullmatch(r"\d{12}", principal):
        return principal
    match = ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def action_matches(pattern: str, action: str) -> bool:
    """IAM action patterns are case-insensitive globs."""
    return fnmatch.fnmatchcase(action.lower(), str(pattern).lower())


def allowed_actions(statement: Mapping) -> Iterable[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def allows(statement: Mapping, action: str) -> bool:
    """Whether an Allow statement grants ``action`` (through Action patterns, or NotAction that does
    not exclude it)."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(action_matches(a, action) for a in as_list(statement.get("NotAction")))
    return any(action_matches(a, action) for a in allowed_actions(statement))


def on_every_resource(statement: Mapping) -> bool:
    """Resource '*' or NotResource (everything except the named resources)."""
    return "NotResource" in statement or "*" in [str(r) for r in as_list(statement.get("Resource"))]


def principal_accounts(statement: Mapping) -> set[str]:
    """Accounts named by the statement's AWS principals (ids or ARNs)."""
    principal = statement.get("Principal")
    values = principal_values(principal.get("AWS")) if is_map(principal) else principal_values(principal)
    return {a for a in (account_of(v) for v in values) if a}
