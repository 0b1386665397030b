"""Deterministic identifiers in AWS's and the providers' formats, derived from a seed.

Every id the mocks hand out comes from here, so two runs of a stack give the same graph: the seed
is the resource's `"<type>|<name>"` (or another stable string), never a clock or a random number.
"""

from __future__ import annotations

import hashlib
from typing import Any

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def hex_id(seed: str, length: int) -> str:
    """`length` lowercase hex characters (resource id suffixes: sg-, subnet-, vpce-, ...)."""
    return _digest(seed)[:length]


def base36_id(seed: str, length: int) -> str:
    """`length` lowercase base-36 characters (API Gateway ids, DAX cluster DNS labels)."""
    number = int(_digest(seed), 16)
    characters = []
    for _ in range(length):
        number, remainder = divmod(number, 36)
        characters.append(BASE36[remainder])
    return "".join(characters)


def decimal_id(seed: str, length: int) -> str:
    """`length` decimal digits (ALB DNS names, Terraform unique ids)."""
    return str(int(_digest(seed), 16))[:length]


def uuid_id(seed: str) -> str:
    """A version-4-shaped UUID (KMS key ids, Route 53 health checks, provider ids)."""
    digest = hex_id(seed, 32)
    variant = "89ab"[int(digest[16], 16) % 4]
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"


def iam_unique_id(prefix: str, seed: str) -> str:
    """IAM unique ids: a 4-letter type prefix (AROA role, ANPA managed policy) + 17 characters."""
    return prefix + hex_id(seed, 17).upper()


def terraform_unique_id(seed: str) -> str:
    """terraform-plugin-sdk helper/id.UniqueId: "terraform-" + a 26-digit timestamp and counter (what
    lambda/permission.go uses as statement_id when none is given)."""
    return "terraform-" + decimal_id(seed, 26).rjust(26, "0")


def last_segment(arn_or_name: Any) -> str:
    """The last `/`- or `:`-separated part of an ARN or name (a role's name from its ARN, ...)."""
    return str(arn_or_name or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def physical_name(inputs: dict[str, Any], key: str, fallback: str, seed: str) -> str:
    """The physical name: the input when given, else the provider's autoname
    (pulumi-terraform-bridge: the resource name, "-", 7 random hex characters)."""
    given = inputs.get(key)
    return given if isinstance(given, str) and given else f"{fallback}-{hex_id(seed, 7)}"
