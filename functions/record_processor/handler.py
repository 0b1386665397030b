"""Kinesis Data Firehose data-transformation Lambda.

Validates each record (JSON object, required fields, optional ISO-8601 timestamp),
re-encodes valid ones as compact JSON lines with ``_ingested_at`` and returns the
``year``/``month``/``day`` partition keys Firehose dynamic partitioning needs.
A bad record is returned as ``ProcessingFailed`` with its original data, so Firehose
routes it to the error output prefix; no record is ever dropped or raised on.

The output line carries the record's values exactly: numbers are copied as the producer wrote
them (never through a float, so ``0.1000000000000000000001`` and 30-digit integers survive),
and U+2028/U+2029/U+0085 are written as JSON escapes, so a reader that splits lines on them
(Python's ``str.splitlines``) still sees one record per line. Rejected, with the reason: a
number no double can hold (``1e400``: a float parser would read Infinity, which is not JSON),
lone UTF-16 surrogates (``"\\ud800"``: not Unicode, no UTF-8 form), a key given twice in one
object (a parser keeps one value and silently drops the other), a record that already has
``_ingested_at`` (the value this function adds would overwrite it), a timestamp whose UTC
form falls outside years 1..9999, and JSON nested deeper than Python's parser goes.

Environment (read on every call):
  REQUIRED_FIELDS  comma-separated field names every record must contain (may be empty)
  TIMESTAMP_FIELD  optional field holding the event time; must parse as ISO-8601 when present
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

INGESTED_AT_FIELD = "_ingested_at"


@dataclass(frozen=True)
class Config:
    required_fields: tuple[str, ...]
    timestamp_field: str | None


def load_config() -> Config:
    raw = os.environ.get("REQUIRED_FIELDS", "")
    required = tuple(f.strip() for f in raw.split(",") if f.strip())
    timestamp_field = os.environ.get("TIMESTAMP_FIELD", "").strip() or None
    return Config(required_fields=required, timestamp_field=timestamp_field)


class InvalidRecord(ValueError):
    """A record that must be returned as ProcessingFailed; the message is the reason."""


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; accepting them would emit invalid JSON downstream.
    raise InvalidRecord(f"invalid JSON constant {name}")


class _Number(str):
    """A JSON number exactly as the producer wrote it (kept as text, written back unchanged)."""


def _integer(text: str) -> _Number:
    return _Number(text)


def _float(text: str) -> _Number:
    # Python's own parser reads 1e400 as inf and json.dumps then writes "Infinity", which no
    # JSON reader (Glue, Athena, Spark) accepts: refuse what a double cannot hold.
    if math.isinf(float(text)):
        raise InvalidRecord(f"number {text[:40]} is outside the range of a double")
    return _Number(text)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise InvalidRecord(f"key {_show(duplicate)} appears twice in one object (one value would be lost)")
    return obj


def _show(text: str) -> str:
    shown = ascii(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# Escaped in the output although JSON allows them raw: Python's str.splitlines (and JavaScript
# before ES2019) end a line at these, which would cut a record in two.
_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def _string(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRecord(f"string {_show(text)} contains a lone surrogate (not valid Unicode)") from None
    out = json.dumps(text, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKS.items():
        out = out.replace(raw, escaped)
    return out


def encode_line(value: Any) -> str:
    """Compact JSON of a decoded payload; numbers are written back exactly as read."""
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{encode_line(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode_line(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def parse_timestamp(value: Any) -> datetime:
    """Parse an ISO-8601 string to an aware UTC datetime (naive values are taken as UTC)."""
    if isinstance(value, _Number) or not isinstance(value, str) or not value.strip():
        kind = "number" if isinstance(value, _Number) else type(value).__name__
        raise InvalidRecord(f"timestamp must be an ISO-8601 string, got {kind}")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRecord(f"timestamp {_show(value)} is not ISO-8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise InvalidRecord(f"timestamp {_show(value)} is outside years 1..9999 in UTC") from None


def decode_payload(data: Any) -> dict:
    if not isinstance(data, str):
        raise InvalidRecord("data is not a base64 string")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRecord("data is not valid base64") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord("data is not UTF-8") from exc
    try:
        payload = json.loads(text, parse_constant=_reject_constant, parse_int=_integer, parse_float=_float,
                             object_pairs_hook=_object)
    except InvalidRecord:
        raise
    except RecursionError:
        raise InvalidRecord("data is JSON nested too deeply to check") from None
    except ValueError as exc:
        raise InvalidRecord("data is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidRecord(f"JSON value is a {type(payload).__name__}, not an object")
    return payload


def transform(data: Any, config: Config, now: datetime) -> tuple[str, dict[str, str]]:
    """Return (base64 output data, partition keys) or raise InvalidRecord."""
    payload = decode_payload(data)
    if INGESTED_AT_FIELD in payload:
        raise InvalidRecord(f"record already has {INGESTED_AT_FIELD!r}, the field this function sets")
    missing = [f for f in config.required_fields if f not in payload]
    if missing:
        raise InvalidRecord(f"missing required field(s): {', '.join(missing)}")
    event_time = now
    if config.timestamp_field is not None and config.timestamp_field in payload:
        event_time = parse_timestamp(payload[config.timestamp_field])
    payload[INGESTED_AT_FIELD] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        line = encode_line(payload) + "\n"
    except RecursionError:
        raise InvalidRecord("data is JSON nested too deeply to re-encode") from None
    encoded = base64.b64encode(line.encode("utf-8")).decode("ascii")
    keys = {
        "year": f"{event_time.year:04d}",
        "month": f"{event_time.month:02d}",
        "day": f"{event_time.day:02d}",
    }
    return encoded, keys


def process_record(record: Any, config: Config, now: datetime) -> dict:
    record_id = record.get("recordId") if isinstance(record, dict) else None
    data = record.get("data") if isinstance(record, dict) else None
    try:
        encoded, keys = transform(data, config, now)
    except Exception as exc:  # a bad record must never fail the batch
        reason = str(exc) if isinstance(exc, InvalidRecord) else f"unexpected error: {exc!r}"
        logger.warning(json.dumps({"event": "record_rejected", "recordId": record_id, "reason": reason}))
        return {"recordId": record_id, "result": "ProcessingFailed", "data": data}
    return {
        "recordId": record_id,
        "result": "Ok",
        "data": encoded,
        "metadata": {"partitionKeys": keys},
    }


def handler(event: dict, context: Any = None) -> dict:
    config = load_config()
    now = datetime.now(timezone.utc)
    records = (event.get("records") or []) if isinstance(event, dict) else []
    output = [process_record(r, config, now) for r in records]
    failed = sum(1 for r in output if r["result"] != "Ok")
    logger.info(json.dumps({"event": "batch_processed", "records": len(output), "ok": len(output) - failed,
                            "processingFailed": failed}))
    return {"records": output}
