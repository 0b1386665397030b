"""Would an event bus's resource policy let another account put this event?

moto stores an event bus's policy (PutPermission) but never evaluates it: any account may put
anything on any bus there. The moto platform therefore decides cross-account deliveries with
this function, from the policy document the program declared (and moto stored), the way
EventBridge documents it ("Permissions for Amazon EventBridge event buses",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html):

- a cross-account PutEvents is allowed only by a statement of the target bus's policy whose
  Principal names the sender (its account id, `arn:<partition>:iam::<account>:root`, a principal
  ARN of that account, or `*`), whose Action covers `events:PutEvents` and whose Resource covers
  the bus;
- its Condition must hold for the event: `events:source` and `events:detail-type` are the
  event's, `aws:PrincipalAccount` the sender's account;
- an explicit Deny wins over any Allow.

Condition operators other than the String* family (with optional `IfExists` and the
`ForAnyValue:`/`ForAllValues:` set prefixes) are refused with `UnsupportedPolicy` rather than
guessed: an `aws:PrincipalOrgID` condition, for one, needs the organisation, which is not in the
graph. Same-account puts never consult the policy (IAM decides), as in EventBridge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping, Optional, Union

ACTION = "events:PutEvents"


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not model."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _principal_matches(principal: Any, account: str, principal_arn: Optional[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise UnsupportedPolicy(f"Principal {principal!r} is neither '*' nor a mapping")
    for kind, values in principal.items():
        if kind != "AWS":
            continue  # Service principals never put events cross-account as an account
        for value in _listed(values):
            if value == "*" or value == account:
                return True
            if isinstance(value, str) and value.startswith("arn:"):
                parts = value.split(":", 5)
                if len(parts) == 6 and parts[4] == account and parts[5] == "root":
                    return True
                if principal_arn is not None and value == principal_arn:
                    return True
    return False


def _covers(patterns: Iterable[Any], value: str) -> bool:
    return any(isinstance(p, str) and fnmatchcase(value, p) for p in patterns)


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, Optional[str]]) -> bool:
    for operator, clauses in condition.items():
        qualifier, _, base = operator.rpartition(":")
        if qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"condition operator {operator}")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        if base not in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike"):
            raise UnsupportedPolicy(f"condition operator {operator}")
        for key, expected in clauses.items():
            if key not in context:
                raise UnsupportedPolicy(f"condition key {key}")
            actual = context[key]
            if actual is None:
                if if_exists:
                    continue
                return False
            wanted = [str(v) for v in _listed(expected)]
            like = base in ("StringLike", "StringNotLike")
            hit = any(fnmatchcase(actual, w) if like else actual == w for w in wanted)
            if base.startswith("StringNot"):
                hit = not hit
            if not hit:
                return False
    return True


def evaluate(policy: Union[str, Mapping[str, Any], None], *, bus_arn: str, account: str, source: str,
             detail_type: str, principal_arn: Optional[str] = None) -> Decision:
    """May `account` (optionally as `principal_arn`) put an event with this source and detail type
    on `bus_arn`, a bus of another account, under its resource policy?"""
    owner = bus_arn.split(":")[4]
    if account == owner:
        return Decision(True, "same account: the bus policy does not apply")
    if not policy:
        return Decision(False, f"bus {bus_arn} has no resource policy: account {account} may not put events")
    document = json.loads(policy) if isinstance(policy, str) else policy
    context = {"events:source": source, "events:detail-type": detail_type, "aws:PrincipalAccount": account}
    allowed_by = None
    for index, statement in enumerate(_listed(document.get("Statement"))):
        sid = statement.get("Sid") or f"#{index}"
        if "NotPrincipal" in statement or "NotAction" in statement or "NotResource" in statement:
            raise UnsupportedPolicy(f"statement {sid}: Not* elements")
        if not _principal_matches(statement.get("Principal"), account, principal_arn):
            continue
        if not _covers(_listed(statement.get("Action")), ACTION):
            continue
        if not _covers(_listed(statement.get("Resource")) or ["*"], bus_arn):
            continue
        if not _condition_holds(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(False, f"statement {sid} denies account {account}")
        if statement.get("Effect") == "Allow" and allowed_by is None:
            allowed_by = sid
    if allowed_by is None:
        return Decision(False, f"no statement of {bus_arn}'s policy allows account {account} to put source {source}")
    return Decision(True, f"statement {allowed_by} allows account {account} to put source {source}")
