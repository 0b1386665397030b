"""What every settings model shares: the strict base model, the error a validator raises for a key
below the model it validates, and the value rules several settings use (account ids, resource
names, certificates, unique lists)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

ACCOUNT_RE = re.compile(r"\d{12}")
NAME_RE = r"^[a-z][a-z0-9-]*[a-z0-9]$"
ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$"


class FieldProblem(ValueError):
    """A validator's problem with a key below the model it validates: `key` (camelCase, dotted,
    `[i]` for list items) is appended to the model's location, so the user is pointed at it."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
        str_strip_whitespace=True,
    )


def account_id(v: str) -> str:
    if not isinstance(v, str) or not ACCOUNT_RE.fullmatch(v):
        raise ValueError("must be a 12-digit AWS account id in quotes, e.g. \"111111111111\"")
    return v


def no_duplicates(values: list[str], what: str, key: str = "[{i}]") -> None:
    """FieldProblem at the second occurrence (`key` is formatted with its index `i`)."""
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise FieldProblem(key.format(i=i), f"duplicate {what} name '{v}'; names must be unique")
        seen.add(v)
