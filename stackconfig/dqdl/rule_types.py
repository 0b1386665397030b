"""The DQDL rule types this platform checks, what each takes and compares, and the ones it refuses.

Rule types, their parameters and comparisons (a column must be one of `columns`):
RowCount, ColumnCount                        no column; number comparison
Completeness, Mean, Sum, StandardDeviation, Entropy, DistinctValuesCount, UniqueValueRatio,
ColumnLength                                 one column; number comparison
Uniqueness                                   one or more columns; number comparison
ColumnCorrelation                            two columns; number comparison
IsComplete, ColumnExists                     one column; no comparison
IsUnique, IsPrimaryKey                       one or more columns; no comparison
ColumnValues                                 one column; numbers, strings (with NULL, EMPTY,
                                             WHITESPACES_ONLY), dates ("2024-01-31", now(),
                                             (now() - 3 days)) or `matches "regex"`
ColumnDataType                               one column; string comparison (= != in matches)
DataFreshness                                one column; duration comparison (`<= 24 hours`,
                                             days / hours / minutes)
CustomSql                                    one SQL string; number comparison or none
ColumnNamesMatchPattern                      one regex string; no comparison

The rule types that compare with a reference dataset, DetectAnomalies, Variance and the
experimental File* rules are refused, each with its reason (`REFUSED_RULE_TYPES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Takes = Literal["nothing", "column", "columns", "two columns", "sql", "pattern"]
Compares = Literal["nothing", "number", "number or nothing", "string", "value", "duration"]


@dataclass(frozen=True)
class _RuleType:
    takes: Takes
    compares: Compares
    where: bool = False
    threshold: bool = False
    analyzer: bool = False
    rule: bool = True


def _metric(takes: Takes = "column", where: bool = True) -> _RuleType:
    return _RuleType(takes, "number", where=where, analyzer=True)


RULE_TYPES: dict[str, _RuleType] = {
    "ColumnCorrelation": _metric("two columns"),
    "ColumnCount": _metric("nothing", where=False),
    "ColumnDataType": _RuleType("column", "string", where=True, threshold=True),
    "ColumnExists": _RuleType("column", "nothing"),
    "ColumnLength": _metric(),
    "ColumnNamesMatchPattern": _RuleType("pattern", "nothing"),
    "ColumnValues": _RuleType("column", "value", where=True, threshold=True, analyzer=True),
    "Completeness": _metric(),
    "CustomSql": _RuleType("sql", "number or nothing", threshold=True),
    "DataFreshness": _RuleType("column", "duration", where=True),
    "DistinctValuesCount": _metric(),
    "Entropy": _metric(),
    "IsComplete": _RuleType("column", "nothing", where=True),
    "IsPrimaryKey": _RuleType("columns", "nothing", where=True),
    "IsUnique": _RuleType("columns", "nothing", where=True),
    "Mean": _metric(),
    "RowCount": _metric("nothing"),
    "StandardDeviation": _metric(),
    "Sum": _metric(),
    "UniqueValueRatio": _metric(),
    "Uniqueness": _metric("columns"),
    "AllStatistics": _RuleType("column", "nothing", analyzer=True, rule=False),
}
SUPPORTED_RULE_TYPES = tuple(name for name, spec in RULE_TYPES.items() if spec.rule)
SUPPORTED_ANALYZER_TYPES = tuple(name for name, spec in RULE_TYPES.items() if spec.analyzer)

_REFERENCE = "it compares with a reference dataset, which a stack dataset does not declare"
_FILE = "file rules check S3 paths, not the dataset's columns"
_NOT_CHECKED = "it is outside the DQDL subset this platform checks"
REFUSED_RULE_TYPES = {
    "AggregateMatch": _REFERENCE, "DatasetMatch": _REFERENCE, "ReferentialIntegrity": _REFERENCE,
    "RowCountMatch": _REFERENCE, "SchemaMatch": _REFERENCE,
    "DetectAnomalies": _NOT_CHECKED, "Variance": _NOT_CHECKED,
    "FileFreshness": _FILE, "FileMatch": _FILE, "FileSize": _FILE, "FileUniqueness": _FILE,
}
