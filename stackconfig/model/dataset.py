"""A data product's reportable datasets (`dataProducts[].datasets`) and its consumer grants
(`dataProducts[].consumers`).

A dataset is a named, versioned schema: the columns the reportable job publishes as an Iceberg
table in the product database, how it is partitioned, who owns it, how fresh it must be and the
Glue Data Quality ruleset it must pass. Names follow Glue's and Athena's rules (lower case, digits,
underscore); types are the Glue/Athena types Iceberg tables take.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from stackconfig import dqdl, limits
from stackconfig.model.base import FieldProblem, Model, account_id, no_duplicates

Classification = Literal["public", "internal", "confidential", "restricted"]
# Athena: table and column names of lower-case letters, digits and underscore (Glue keeps names
# lower case for Hive compatibility); a leading letter keeps them valid unquoted in Spark SQL too.
DATASET_NAME_RE = r"^[a-z][a-z0-9_]*$"
COLUMN_NAME_RE = r"^[a-z_][a-z0-9_]*$"
SEMVER_RE = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
PRIMITIVE_TYPES = ("string", "boolean", "int", "bigint", "float", "double", "date", "timestamp")
_DECIMAL = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")


def column_type(value: str) -> str:
    """A Glue/Athena column type an Iceberg table takes; decimal(p,s) with 1 <= p <= 38, s <= p."""
    text = value.replace(" ", "").lower() if isinstance(value, str) else value
    if text in PRIMITIVE_TYPES:
        return text
    match = _DECIMAL.fullmatch(text) if isinstance(text, str) else None
    if match and 1 <= int(match[1]) <= limits.DECIMAL_MAX_PRECISION and int(match[2]) <= int(match[1]):
        return f"decimal({int(match[1])},{int(match[2])})"
    raise ValueError(f"'{str(value)[:40]}' is not a column type; allowed: {', '.join(PRIMITIVE_TYPES)}, "
                     f"decimal(p,s) with 1 <= p <= {limits.DECIMAL_MAX_PRECISION} and s <= p")


class ColumnSettings(Model):
    name: str = Field(pattern=COLUMN_NAME_RE, max_length=limits.GLUE_NAME_MAX)
    type: str
    nullable: bool = True
    description: str = Field(default="", max_length=limits.ICEBERG_DOC_MAX)
    # Only where it differs from the dataset's.
    classification: Optional[Classification] = None
    # The curated field the value comes from (default: the column's name).
    source: Optional[str] = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=255)

    _type = field_validator("type")(lambda cls, v: column_type(v))


class DatasetSettings(Model):
    """One reportable dataset of a data product."""
    name: str = Field(pattern=DATASET_NAME_RE, max_length=limits.GLUE_NAME_MAX)
    version: str = Field(pattern=SEMVER_RE)
    description: str = ""
    owner: Optional[str] = None
    classification: Optional[Classification] = None
    freshness_hours: int = Field(default=24, ge=1, le=limits.FRESHNESS_MAX_HOURS)
    partitioning: list[str] = []
    columns: list[ColumnSettings] = Field(min_length=1, max_length=limits.DATASET_MAX_COLUMNS)
    quality: Optional[str] = None
    min_quality_score: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _columns(self) -> "DatasetSettings":
        names = [c.name for c in self.columns]
        no_duplicates(names, "column", "columns[{i}].name")
        for i, part in enumerate(self.partitioning):
            if part not in names:
                raise FieldProblem(f"partitioning[{i}]", f"'{part}' is not a column of {self.name} "
                                                          f"({', '.join(names)})")
            if self.columns[names.index(part)].nullable:
                raise FieldProblem(f"partitioning[{i}]", f"partition column '{part}' must be nullable: false "
                                                          "(a row without it has no partition)")
        no_duplicates(self.partitioning, "partition column", "partitioning[{i}]")
        if self.quality is not None:
            try:
                dqdl.validate_ruleset(self.quality, names)
            except ValueError as exc:
                raise FieldProblem("quality", str(exc)) from None
        return self


class ConsumerGrantSettings(Model):
    """A consumer account and what it may read. A bare account id means: every dataset, with the
    product's own classification as clearance, no expiry."""
    account: str
    clearance: Optional[Classification] = None
    datasets: list[str] = []
    expires: Optional[datetime.date] = None

    _account = field_validator("account")(lambda cls, v: account_id(v))

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, v: list[str]) -> list[str]:
        no_duplicates(v, "dataset")
        return v


def consumer_entries(v: object) -> object:
    """`consumers:` items: an account id string, or a mapping with `account`."""
    if not isinstance(v, list):
        raise ValueError("must be a list of 12-digit account ids or {account, clearance, datasets, expires}")
    return [{"account": item} if isinstance(item, str) else item for item in v]

