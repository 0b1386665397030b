"""Kinesis Data Firehose data-transformation Lambda.

Validates each record (JSON object, required fields, optional ISO-8601 timestamp),
re-encodes valid ones as compact JSON lines with ``_ingested_at`` and returns the
``year``/``month``/``day`` partition keys Firehose dynamic partitioning needs.
A bad record is returned as ``ProcessingFailed`` with its original data, so Firehose
routes it to the error output prefix; no record is ever dropped or raised on.

Environment (read on every call):
  REQUIRED_FIELDS  comma-separated field names every record must contain (may be empty)
  TIMESTAMP_FIELD  optional field holding the event time; must parse as ISO-8601 when present
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
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


def parse_timestamp(value: Any) -> datetime:
    """Parse an ISO-8601 string to an aware UTC datetime (naive values are taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"timestamp must be an ISO-8601 string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRecord(f"timestamp {value!r} is not ISO-8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


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
        payload = json.loads(text, parse_constant=_reject_constant)
    except InvalidRecord:
        raise
    except (ValueError, RecursionError) as exc:
        raise InvalidRecord("data is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidRecord(f"JSON value is a {type(payload).__name__}, not an object")
    return payload


def transform(data: Any, config: Config, now: datetime) -> tuple[str, dict[str, str]]:
    """Return (base64 output data, partition keys) or raise InvalidRecord."""
    payload = decode_payload(data)
    missing = [f for f in config.required_fields if f not in payload]
    if missing:
        raise InvalidRecord(f"missing required field(s): {', '.join(missing)}")
    event_time = now
    if config.timestamp_field is not None and config.timestamp_field in payload:
        event_time = parse_timestamp(payload[config.timestamp_field])
    payload[INGESTED_AT_FIELD] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) + "\n"
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
