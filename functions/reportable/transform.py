"""Pure-Python logic of the reportable stage (no Spark, no Glue, no boto3).

The Glue job (job.py) applies these functions; tests run them locally. This folder ships on
its own (``--extra-py-files``), so nothing here is imported from another function folder.

* ``parse_datasets``: the ``--datasets`` job argument (JSON list) -> frozen ``Dataset``/``Column``.
* ``shape_record``: one curated record -> (typed output row, None) or (None, one-line reason).
* ``schema_drift``: which declared source fields a batch lacks, which curated fields go unused.
* ``schema_changes``: the Iceberg DDL (Spark SQL) that brings a table to the declared schema.
* ``quality_score``, ``quality_metrics``, ``publish_metrics``, ``published_event``: what the
  job reports to CloudWatch and EventBridge.
* ``rejected_line``: the JSON line a quarantined record is written as.

Casting rules (``shape_record``), per declared column type:

=================  ==========================================================================
int, bigint        int, an integral float or Decimal, or a string of digits (optional sign);
                   never a bool; 32-bit resp. 64-bit signed range.
float, double      int, float, Decimal or a decimal-notation string; never a bool; NaN and
                   infinities are rejected, so is a value beyond float32's range for float.
decimal(p,s)       int, float, Decimal or a numeric string, exactly: a value with a non-zero
                   digit beyond ``s`` decimal places is *rejected*, never rounded (money must
                   not change silently); trailing zeros are fine. At most ``p-s`` integer digits.
boolean            a bool, or the strings "true"/"false" (any case, surrounding blanks);
                   nothing else (no 0/1, "yes").
date               a date, "YYYY-MM-DD", or anything ``timestamp`` takes (its UTC date).
timestamp          ISO-8601 (offset, ``Z`` or none = UTC), epoch seconds or milliseconds
                   (ms when the magnitude exceeds 1e11) -> aware UTC datetime; never a bool.
                   The same rules as batch_etl's ``parse_timestamp``.
string             only a str (a number where a string is declared is schema drift); a str
                   that is not valid Unicode (a lone surrogate) is rejected.
=================  ==========================================================================

A missing field, ``None``, or (for any type but string) a blank string is a missing value:
allowed in a nullable column, a rejection in a ``nullable: false`` column and in every
partition column.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Context, Decimal, InvalidOperation, localcontext
from typing import Any, Iterable, Iterator, Mapping, Sequence

CATALOG = "glue_catalog"
VERSION_PROPERTY = "ddp.dataset_version"
FINGERPRINT_PROPERTY = "ddp.batch-fingerprint"  # snapshot summary key (see batch_fingerprint)
DETAIL_TYPE = "Dataset Published"
PASSED = "Passed"  # Glue Data Quality rule outcome (the others: "Failed", "Error")

# "Calculating Amazon EventBridge PutEvents event entry size"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): the entry
# must be less than 256 KB, counted as the UTF-8 bytes of Source, DetailType, Detail and each
# Resources entry, plus 14 bytes when Time is set. EventBusName does not count.
MAX_ENTRY_BYTES = 256 * 1024

PRIMITIVE_TYPES = ("string", "boolean", "int", "bigint", "float", "double", "date", "timestamp")
DECIMAL_MAX_PRECISION = 38
_DECIMAL = re.compile(r"decimal\((\d{1,2}),(\d{1,2})\)")
_TYPE_ALIASES = {"integer": "int", "long": "bigint"}  # how some catalogs spell them
_DATASET_NAME = re.compile(r"[a-z][a-z0-9_]*")
_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_SOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RANGE = {"int": (-(2 ** 31), 2 ** 31 - 1), "bigint": (-(2 ** 63), 2 ** 63 - 1)}
_FLOAT32 = struct.Struct("f")
# Wide enough that quantize() never runs out of digits for a decimal(38, s) value.
_DECIMAL_CONTEXT = Context(prec=100, Emax=10 ** 6, Emin=-(10 ** 6))
# Spark's StructType JSON names for the Glue/Athena types.
_SPARK_JSON_TYPES = {"string": "string", "boolean": "boolean", "int": "integer", "bigint": "long",
                     "float": "float", "double": "double", "date": "date", "timestamp": "timestamp"}
_DATASET_KEYS = {"name", "version", "columns", "partitioning", "ruleset", "min_score"}
_COLUMN_KEYS = {"name", "type", "nullable", "source"}


class DatasetError(ValueError):
    """The ``--datasets`` argument is malformed; the message names the offending path."""


class SchemaConflict(ValueError):
    """The table cannot be brought to the declared schema without a major version bump."""

    def __init__(self, table: str, problems: Sequence[str]):
        self.table = table
        self.problems = tuple(problems)
        self.columns = tuple(p.split(":", 1)[0] for p in problems)
        super().__init__(f"{table}: {'; '.join(problems)}")


class EventTooLarge(ValueError):
    """A PutEvents entry EventBridge would refuse for its size."""


# --- dataset descriptions ---------------------------------------------------------------------

def column_type(value: Any) -> str:
    """Normalise a Glue/Athena/Spark type name (``DECIMAL(10, 2)`` -> ``decimal(10,2)``)."""
    if not isinstance(value, str):
        raise ValueError(f"type must be a string, got {type(value).__name__}")
    text = _TYPE_ALIASES.get(value.replace(" ", "").lower(), value.replace(" ", "").lower())
    if text in PRIMITIVE_TYPES:
        return text
    match = _DECIMAL.fullmatch(text)
    if match and 1 <= int(match[1]) <= DECIMAL_MAX_PRECISION and int(match[2]) <= int(match[1]):
        return f"decimal({int(match[1])},{int(match[2])})"
    raise ValueError(f"'{value[:40]}' is not a column type; allowed: {', '.join(PRIMITIVE_TYPES)}, "
                     f"decimal(p,s) with 1 <= p <= {DECIMAL_MAX_PRECISION} and s <= p")


def semver(value: str) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a MAJOR.MINOR.PATCH version")
    return int(match[1]), int(match[2]), int(match[3])


@dataclass(frozen=True)
class Column:
    """One output column: its Glue/Athena type and the curated field (``source``) it comes from."""
    name: str
    type: str
    nullable: bool = True
    source: str = ""

    @property
    def decimal(self) -> tuple[int, int] | None:
        """(precision, scale) of a decimal column, else None."""
        match = _DECIMAL.fullmatch(self.type)
        return (int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class Dataset:
    """One declared dataset; its Iceberg table has the dataset's name."""
    name: str
    version: str
    columns: tuple[Column, ...]
    partitioning: tuple[str, ...] = ()
    ruleset: str | None = None
    min_score: float = 1.0

    @property
    def major(self) -> int:
        return semver(self.version)[0]

    @property
    def table(self) -> str:
        return self.name


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise DatasetError(f"{where}: {message}")


def _name(value: Any, pattern: re.Pattern, where: str) -> str:
    _require(isinstance(value, str) and len(value) <= 255 and bool(pattern.fullmatch(value)), where,
             f"{str(value)[:60]!r} must match {pattern.pattern} (at most 255 characters)")
    return value


def _unknown_keys(obj: Mapping, allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    _require(not extra, where, f"unknown key(s) {', '.join(map(str, extra))}; allowed: {', '.join(sorted(allowed))}")


def _column(obj: Any, where: str) -> Column:
    _require(isinstance(obj, Mapping), where, f"must be an object, got {type(obj).__name__}")
    _unknown_keys(obj, _COLUMN_KEYS, where)
    name = _name(obj.get("name"), _COLUMN_NAME, f"{where}.name")
    try:
        ctype = column_type(obj.get("type"))
    except ValueError as exc:
        raise DatasetError(f"{where}.type: {exc}") from None
    nullable = obj.get("nullable", True)
    _require(isinstance(nullable, bool), f"{where}.nullable", f"must be true or false, got {nullable!r}")
    source = obj.get("source")
    source = name if source is None else _name(source, _SOURCE_NAME, f"{where}.source")
    return Column(name=name, type=ctype, nullable=nullable, source=source)


def dataset_from_dict(obj: Any, where: str = "dataset") -> Dataset:
    _require(isinstance(obj, Mapping), where, f"must be an object, got {type(obj).__name__}")
    _unknown_keys(obj, _DATASET_KEYS, where)
    name = _name(obj.get("name"), _DATASET_NAME, f"{where}.name")
    version = obj.get("version")
    try:
        semver(version)
    except ValueError as exc:
        raise DatasetError(f"{where}.version: {exc}") from None
    raw_columns = obj.get("columns")
    _require(isinstance(raw_columns, list) and bool(raw_columns), f"{where}.columns", "must be a non-empty list")
    columns = tuple(_column(c, f"{where}.columns[{i}]") for i, c in enumerate(raw_columns))
    names = [c.name for c in columns]
    for i, column in enumerate(columns):
        _require(names.index(column.name) == i, f"{where}.columns[{i}].name", f"duplicate column {column.name!r}")
    partitioning = obj.get("partitioning", [])
    _require(isinstance(partitioning, list), f"{where}.partitioning", "must be a list of column names")
    for i, part in enumerate(partitioning):
        _require(part in names, f"{where}.partitioning[{i}]", f"{str(part)[:60]!r} is not a column of {name}")
        _require(partitioning.index(part) == i, f"{where}.partitioning[{i}]", f"duplicate partition column {part!r}")
    ruleset = obj.get("ruleset")
    _require(ruleset is None or (isinstance(ruleset, str) and 0 < len(ruleset) <= 255), f"{where}.ruleset",
             "must be a Glue Data Quality ruleset name (1-255 characters) or null")
    min_score = obj.get("min_score", 1.0)
    _require(isinstance(min_score, (int, float)) and not isinstance(min_score, bool)
             and 0.0 <= min_score <= 1.0, f"{where}.min_score", f"must be a number from 0 to 1, got {min_score!r}")
    return Dataset(name=name, version=version, columns=columns, partitioning=tuple(partitioning),
                   ruleset=ruleset, min_score=float(min_score))


def parse_datasets(text: str) -> tuple[Dataset, ...]:
    """The ``--datasets`` job argument: a JSON list of dataset descriptions, unique names."""
    try:
        raw = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"datasets: not JSON ({exc})") from None
    _require(isinstance(raw, list) and bool(raw), "datasets", "must be a non-empty JSON list")
    datasets = tuple(dataset_from_dict(d, f"datasets[{i}]") for i, d in enumerate(raw))
    names = [d.name for d in datasets]
    for i, name in enumerate(names):
        _require(names.index(name) == i, f"datasets[{i}].name", f"duplicate dataset {name!r}")
    return datasets


# --- shaping one record -----------------------------------------------------------------------

class _Reject(Exception):
    pass


def _int_text(value: int) -> str:
    # str(int) refuses more than 4300 digits (CVE-2020-10735 limit); Decimal has no such limit.
    return str(Decimal(value))


def _show(value: Any) -> str:
    try:
        text = _int_text(value) if isinstance(value, int) and not isinstance(value, bool) else repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails still gets a reason
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _drift(column: Column, value: Any) -> _Reject:
    return _Reject(f"{column.name}: expected {column.type}, got {type(value).__name__} {_show(value)}")


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 strings, or epoch seconds/milliseconds as numbers; returns aware UTC.
    Same semantics as batch_etl's ``parse_timestamp`` (kept here: each folder ships alone)."""
    if isinstance(value, bool):
        raise ValueError("boolean is not a timestamp")
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) > 100_000_000_000 else value  # ms after ~1973 in ms
        parsed = datetime.fromtimestamp(seconds, tz=timezone.utc)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    else:
        raise ValueError(f"unsupported timestamp {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _to_int(column: Column, value: Any) -> int:
    if isinstance(value, bool):
        raise _drift(column, value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, (float, Decimal)):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not (finite and value == int(value)):
            raise _Reject(f"{column.name}: {_show(value)} is not an integer")
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        digits = value.strip().lstrip("+-").lstrip("0")
        if len(digits) > 19:  # beyond any bigint; int() would refuse over 4300 digits anyway
            raise _Reject(f"{column.name}: {_show(value)} out of range for {column.type}")
        number = int(value.strip())
    elif isinstance(value, str):
        raise _Reject(f"{column.name}: {_show(value)} is not an integer")
    else:
        raise _drift(column, value)
    low, high = _INT_RANGE[column.type]
    if not low <= number <= high:
        raise _Reject(f"{column.name}: {_show(value)} out of range for {column.type}")
    return number


def _as_float32(number: float) -> float:
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(number))[0]
    except OverflowError:  # older Pythons refuse to pack it; newer ones round it to inf
        return math.inf


def _to_float(column: Column, value: Any) -> float:
    if isinstance(value, bool):
        raise _drift(column, value)
    if isinstance(value, str):
        if not _NUMBER_TEXT.fullmatch(value.strip()):
            raise _Reject(f"{column.name}: {_show(value)} is not a number")
        value = value.strip()
    elif isinstance(value, Decimal) and not value.is_finite():
        raise _Reject(f"{column.name}: {_show(value)} is not a finite {column.type}")
    elif not isinstance(value, (int, float, Decimal)):
        raise _drift(column, value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _Reject(f"{column.name}: {_show(value)} is not a finite {column.type}")
    if column.type == "float" and math.isinf(_as_float32(number)):
        raise _Reject(f"{column.name}: {_show(value)} out of range for float")
    return number


def _to_decimal(column: Column, value: Any) -> Decimal:
    precision, scale = column.decimal
    if isinstance(value, bool):
        raise _drift(column, value)
    with localcontext(_DECIMAL_CONTEXT):
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))  # the shortest text of the float: 0.1 stays 0.1
        elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
            number = Decimal(value.strip())
        elif isinstance(value, str):
            raise _Reject(f"{column.name}: {_show(value)} is not a number")
        else:
            raise _drift(column, value)
        if not number.is_finite():
            raise _Reject(f"{column.name}: {_show(value)} is not a finite number")
        try:
            exact = number.quantize(Decimal(1).scaleb(-scale))
        except InvalidOperation:
            raise _Reject(f"{column.name}: {_show(value)} out of range for {column.type}") from None
        if exact != number:
            raise _Reject(f"{column.name}: {_show(value)} has more than {scale} decimal places "
                          f"for {column.type} (not rounded)")
        if abs(exact) >= Decimal(10) ** (precision - scale):
            raise _Reject(f"{column.name}: {_show(value)} has more than {precision - scale} integer digits "
                          f"for {column.type}")
    return exact.copy_abs() if exact.is_zero() else exact  # -0.00 is 0.00


def _to_bool(column: Column, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, str):
        raise _Reject(f"{column.name}: {_show(value)} is not true or false")
    raise _drift(column, value)


def _to_timestamp(column: Column, value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, datetime)):
        raise _drift(column, value)
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        raise _Reject(f"{column.name}: unparseable timestamp {_show(value)}") from None


def _to_date(column: Column, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise _Reject(f"{column.name}: {_show(value)} is not a date") from None
    return _to_timestamp(column, value).date()


def _to_string(column: Column, value: Any) -> str:
    if not isinstance(value, str):
        raise _drift(column, value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Reject(f"{column.name}: string contains a lone surrogate") from None
    return value


_CASTS = {"int": _to_int, "bigint": _to_int, "float": _to_float, "double": _to_float, "boolean": _to_bool,
          "date": _to_date, "timestamp": _to_timestamp, "string": _to_string}


def _cast(column: Column, value: Any) -> Any:
    return (_to_decimal if column.decimal else _CASTS[column.type])(column, value)


def _missing(column: Column, value: Any) -> bool:
    return value is None or (column.type != "string" and isinstance(value, str) and not value.strip())


def shape_record(record: Any, dataset: Dataset) -> tuple[dict | None, str | None]:
    """(output row: column name -> typed value, None) or (None, one-line reason)."""
    if not isinstance(record, Mapping):
        return None, f"record is a {type(record).__name__}, not an object"
    row: dict[str, Any] = {}
    for column in dataset.columns:
        value = record.get(column.source)
        if _missing(column, value):
            if column.name in dataset.partitioning:
                return None, f"{column.name}: partition column is null (source field {column.source})"
            if not column.nullable:
                return None, f"{column.name}: missing required value (source field {column.source})"
            row[column.name] = None
            continue
        try:
            row[column.name] = _cast(column, value)
        except _Reject as exc:
            return None, str(exc)
    return row, None


def row_values(row: Mapping[str, Any], dataset: Dataset) -> tuple:
    """A shaped row as a tuple in declared column order (the Spark schema's order)."""
    return tuple(row[c.name] for c in dataset.columns)


def tag_records(records: Iterable[Any], dataset: Dataset) -> Iterator[tuple[bool, Any]]:
    """Per Spark partition: (True, row tuple) for each good record, (False, quarantine JSON line)
    for each rejected one -- every input record exactly once, in order."""
    for record in records:
        try:
            row, reason = shape_record(record, dataset)
        except Exception as exc:  # noqa: BLE001 - one odd record must not fail the run forever
            row, reason = None, f"unexpected error: {exc!r}"[:1000]
        if row is None:
            yield False, rejected_line(record, reason)
        else:
            yield True, row_values(row, dataset)


def spark_schema(dataset: Dataset) -> dict:
    """The output rows' Spark StructType as JSON (``StructType.fromJson``). Partition columns are
    never null; a column is non-nullable where the Iceberg table's is required, so Iceberg's
    nullability check accepts the write."""
    return {"type": "struct", "fields": [
        {"name": c.name, "type": c.type if c.decimal else _SPARK_JSON_TYPES[c.type],
         "nullable": c.nullable and c.name not in dataset.partitioning, "metadata": {}}
        for c in dataset.columns]}


def schema_drift(field_counts: Mapping[str, int], dataset: Dataset) -> dict[str, list[str]]:
    """For one batch: ``missingSources`` -- declared source fields no record carries (absent from
    the files, or always null); ``unusedFields`` -- curated fields with values that no column
    reads. Reported, never a failure (rows are judged one by one)."""
    sources = {c.source for c in dataset.columns}
    present = {name for name, count in field_counts.items() if count}
    return {"missingSources": sorted(sources - present), "unusedFields": sorted(present - sources)}


# --- quarantine ---------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return _int_text(value)  # beyond what json can write (4300 digits): as a string
    if value is None or isinstance(value, (str, int, float)):
        return value
    return repr(value)


def rejected_line(record: Any, reason: str) -> str:
    """``{"reason", "record"}`` as one line of ASCII JSON: non-ASCII and even lone surrogates
    are escaped (``\\udc80``), so any rejected record can be written; NaN/inf, decimals and dates
    become strings, bytes hex, integers beyond 4300 digits strings. A record that still cannot
    be encoded (nested too deeply) is written as a placeholder naming its type."""
    try:
        data = _jsonable(record)
    except Exception:  # noqa: BLE001 - nested too deeply, a repr that fails...
        data = f"<{type(record).__name__} that cannot be written out>"
    return json.dumps({"reason": reason, "record": data}, ensure_ascii=True, allow_nan=False,
                      separators=(",", ":"))


# --- schema evolution ---------------------------------------------------------------------------

def quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def qualified_table(database: str, table: str) -> str:
    """``glue_catalog.`db`.`table``` -- the Spark SQL name of a table in the Glue catalog."""
    return f"{CATALOG}.{quote(database)}.{quote(table)}"


def _widens(old: str, new: str) -> bool:
    """Type promotions Iceberg allows: int->bigint, float->double, decimal(p,s)->decimal(p2,s), p2>p."""
    if (old, new) in (("int", "bigint"), ("float", "double")):
        return True
    old_d, new_d = _DECIMAL.fullmatch(old), _DECIMAL.fullmatch(new)
    return bool(old_d and new_d and old_d[2] == new_d[2] and int(new_d[1]) > int(old_d[1]))


def schema_changes(table_columns: Sequence[tuple], dataset: Dataset, table_version: str | None,
                   database: str) -> list[str]:
    """Spark SQL (Iceberg) statements that bring the table to the declared schema, in order:
    drops, type widenings / ``DROP NOT NULL``, one ``ADD COLUMNS``, then the version property.

    ``table_columns``: (name, type) or (name, type, nullable) as the table has them now;
    ``table_version``: its ``ddp.dataset_version`` property (None if unset). Additive changes and
    Iceberg's widenings are always made. Dropping a column, or any other type change (made as
    drop + add: Iceberg cannot retype in place, the old values are then gone), needs a declared
    MAJOR above the table's; otherwise -- or for a retyped partition column, which needs a new
    table -- ``SchemaConflict`` names every offending column. A declared version older than the
    table's is refused too. New columns are added optional (Iceberg cannot add a required
    column to a table with rows); the job enforces ``nullable: false`` row by row.
    """
    table = qualified_table(database, dataset.table)
    declared = semver(dataset.version)
    recorded = semver(table_version) if table_version else None
    if recorded and declared < recorded:
        raise SchemaConflict(table, [f"version: declared {dataset.version} is older than the table's {table_version}"])
    major_bump = recorded is not None and declared[0] > recorded[0]
    bump_hint = (f"needs a major version above the table's {table_version}" if recorded
                 else "needs a major version bump (the table records no version)")
    existing = {}
    for entry in table_columns:
        try:
            ctype = column_type(entry[1])
        except ValueError:
            ctype = str(entry[1]).replace(" ", "").lower()  # e.g. timestamp_ntz: never the declared type
        existing[entry[0]] = (ctype, entry[2] if len(entry) > 2 else True)
    drops: list[str] = []
    alters: list[str] = []
    adds: list[Column] = []
    problems: list[str] = []
    declared_names = {c.name for c in dataset.columns}
    for name, (ctype, _) in existing.items():
        if name not in declared_names:
            if major_bump:
                drops.append(name)
            else:
                problems.append(f"{name}: dropping the {ctype} column {bump_hint}")
    for column in dataset.columns:
        if column.name not in existing:
            adds.append(column)
            continue
        old_type, old_nullable = existing[column.name]
        if old_type != column.type:
            if _widens(old_type, column.type):
                alters.append(f"ALTER COLUMN {quote(column.name)} TYPE {column.type}")
            elif column.name in dataset.partitioning:
                problems.append(f"{column.name}: partition column {old_type} -> {column.type} needs a new table")
                continue
            elif major_bump:
                drops.append(column.name)
                adds.append(column)
                continue
            else:
                problems.append(f"{column.name}: {old_type} -> {column.type} {bump_hint}")
                continue
        if not old_nullable and column.nullable and column.name not in dataset.partitioning:
            alters.append(f"ALTER COLUMN {quote(column.name)} DROP NOT NULL")
    if problems:
        raise SchemaConflict(table, problems)
    statements = [f"ALTER TABLE {table} DROP COLUMN {quote(name)}" for name in drops]
    statements += [f"ALTER TABLE {table} {alter}" for alter in alters]
    if adds:
        statements.append(f"ALTER TABLE {table} ADD COLUMNS ("
                          + ", ".join(f"{quote(c.name)} {c.type}" for c in adds) + ")")
    if table_version != dataset.version:
        statements.append(f"ALTER TABLE {table} SET TBLPROPERTIES ('{VERSION_PROPERTY}'='{dataset.version}')")
    return statements


# --- idempotent appends -------------------------------------------------------------------------

_DIGEST_MODULUS = 2 ** 128


def row_digest(values: Sequence[Any]) -> int:
    """128-bit digest of one output row (its canonical JSON)."""
    text = json.dumps(_jsonable(list(values)), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode("ascii")).digest()[:16], "big")


def add_digests(a: int, b: int) -> int:
    """Order-independent combination of row digests (Spark ``fold`` with zero 0)."""
    return (a + b) % _DIGEST_MODULUS


def batch_fingerprint(dataset: Dataset, row_count: int, digest_sum: int) -> str:
    """Identifies a batch of output rows (as a multiset) for one dataset version. Recorded in the
    snapshot summary of the append, so a retried run finds its batch already committed."""
    return f"{dataset.version}/{row_count}/{digest_sum:032x}"


# --- quality, metrics, events -------------------------------------------------------------------

def quality_score(rule_outcomes: Sequence[str]) -> float:
    """Fraction of Glue Data Quality rules whose outcome is "Passed"; 1.0 with no rules."""
    outcomes = list(rule_outcomes)
    return sum(1 for o in outcomes if o == PASSED) / len(outcomes) if outcomes else 1.0


def _datum(name: str, value: float, unit: str, data_product: str, dataset: str,
           timestamp: datetime | None) -> dict:
    datum = {"MetricName": name, "Value": value, "Unit": unit,
             "Dimensions": [{"Name": "DataProduct", "Value": data_product}, {"Name": "Dataset", "Value": dataset}]}
    if timestamp is not None:
        datum["Timestamp"] = timestamp
    return datum


def quality_metrics(data_product: str, dataset: str, score: float, timestamp: datetime | None = None) -> list[dict]:
    """``QualityScore`` (0..1) as CloudWatch MetricData."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"quality score {score!r} outside 0..1")
    return [_datum("QualityScore", score, "None", data_product, dataset, timestamp)]


def publish_metrics(data_product: str, dataset: str, rows_published: int, rows_rejected: int,
                    timestamp: datetime | None = None) -> list[dict]:
    """``RowsPublished`` and ``RowsRejected`` as CloudWatch MetricData."""
    return [_datum("RowsPublished", rows_published, "Count", data_product, dataset, timestamp),
            _datum("RowsRejected", rows_rejected, "Count", data_product, dataset, timestamp)]


def entry_size(entry: Mapping[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it (see MAX_ENTRY_BYTES)."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        if entry.get(key) is not None:
            size += len(entry[key].encode("utf-8"))
    size += sum(len(r.encode("utf-8")) for r in entry.get("Resources") or () if r is not None)
    return size


def check_entry_size(entry: Mapping[str, Any]) -> int:
    """The entry's size; raises EventTooLarge unless it is below 256 KB."""
    size = entry_size(entry)
    if size >= MAX_ENTRY_BYTES:
        raise EventTooLarge(f"PutEvents entry is {size} bytes; EventBridge takes less than {MAX_ENTRY_BYTES}")
    return size


def published_event(*, bus_name: str, source: str, dataset: Dataset, table: str, row_count: int,
                    rejected_count: int, run_id: str, quality_score: float) -> dict:
    """The "Dataset Published" PutEvents entry; raises EventTooLarge if EventBridge would refuse
    it, ValueError if a text is not valid Unicode."""
    detail = {"dataset": dataset.name, "version": dataset.version, "table": table, "rowCount": row_count,
              "rejectedCount": rejected_count, "runId": run_id, "qualityScore": quality_score}
    entry = {"EventBusName": bus_name, "Source": source, "DetailType": DETAIL_TYPE,
             "Detail": json.dumps(detail, ensure_ascii=False, allow_nan=False, separators=(",", ":"))}
    check_entry_size(entry)
    return entry
