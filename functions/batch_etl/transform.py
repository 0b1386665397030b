"""Pure-Python transform logic of the batch ETL job (no Spark, no Glue).

The PySpark job (job.py) applies these functions per record; tests run them locally.

* ``snake_case`` / ``normalise_columns``: column names to snake_case, collisions made unique.
* ``transform_record``: normalise keys, reject a record missing a required field (with the
  reason), derive ``ingest_date`` (YYYY-MM-DD, UTC) from the timestamp column, falling back
  to the ingestion time when the record has no timestamp. ``ingest_date`` is the job's own
  column: a source field that normalises to it is kept as ``ingest_date_2`` (before, the
  derived date overwrote its value). A timestamp whose UTC form leaves years 1..9999, NaN or
  an infinite epoch is rejected with the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

INGEST_DATE = "ingest_date"
_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def snake_case(name: str) -> str:
    """``OrderID`` -> ``order_id``, ``createdAt`` -> ``created_at``, ``Total ($)`` -> ``total``."""
    text = _CAMEL_1.sub(r"\1_\2", str(name).strip())
    text = _CAMEL_2.sub(r"\1_\2", text)
    text = _NON_WORD.sub("_", text).strip("_").lower()
    if text and text[0].isdigit():
        text = f"_{text}"  # Parquet/Hive columns should not start with a digit
    return text


def normalise_columns(names: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Map each original name to a unique snake_case name (first occurrence keeps the plain name;
    ``reserved`` names are never given out, a source name that would take one gets ``_2``...)."""
    mapping: dict[str, str] = {}
    used: set[str] = set(reserved)
    for index, name in enumerate(names):
        base = snake_case(name) or f"col_{index}"
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        mapping[name] = candidate
    return mapping


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 strings, or epoch seconds/milliseconds as numbers; returns aware UTC."""
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


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Rejected:
    record: Mapping[str, Any]
    reason: str


@dataclass
class TransformResult:
    valid: list[dict] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def transform_record(
    record: Mapping[str, Any],
    required_fields: Iterable[str] = (),
    timestamp_field: str | None = None,
    now: datetime | None = None,
) -> tuple[dict | None, str | None]:
    """Return (clean record, None) or (None, reason). Field names are compared after snake_case."""
    if not isinstance(record, Mapping):
        return None, f"record is a {type(record).__name__}, not an object"
    mapping = normalise_columns(record.keys(), reserved=(INGEST_DATE,))
    clean = {mapping[k]: v for k, v in record.items()}
    missing = [f for f in (snake_case(r) for r in required_fields) if f and _missing(clean.get(f))]
    if missing:
        return None, f"missing required field(s): {', '.join(missing)}"
    ts_column = snake_case(timestamp_field) if timestamp_field else None
    if ts_column and not _missing(clean.get(ts_column)):
        try:
            moment = parse_timestamp(clean[ts_column])
        except (ValueError, OverflowError, OSError):
            return None, f"unparseable timestamp in {ts_column}: {clean[ts_column]!r}"
    else:
        moment = now or datetime.now(timezone.utc)
    clean[INGEST_DATE] = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return clean, None


def transform_records(
    records: Iterable[Mapping[str, Any]],
    required_fields: Iterable[str] = (),
    timestamp_field: str | None = None,
    now: datetime | None = None,
) -> TransformResult:
    required = tuple(required_fields)
    now = now or datetime.now(timezone.utc)
    result = TransformResult()
    for record in records:
        clean, reason = transform_record(record, required, timestamp_field, now)
        if clean is None:
            result.rejected.append(Rejected(record=record, reason=reason))
        else:
            result.valid.append(clean)
    return result


def parse_list(value: str | None) -> tuple[str, ...]:
    """Comma-separated job argument to a tuple, ignoring blanks."""
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())
