"""EventBridge target that upserts event details into the operational data store (DynamoDB).

Invoked either with one EventBridge event or with an SQS batch whose ``Records[].body``
are EventBridge events. Writes are idempotent and ordered:

* every item carries ``_last_event_id``, ``_version`` (``detail.version``, 0 when absent) and
  ``_event_time`` (the event's ``time`` normalised to UTC, microsecond ISO so it sorts as text);
* ``put_item`` is conditional on the incoming event being strictly newer than the stored one
  in the order (version, time, event id). Replaying the same event is therefore never newer
  than itself (the idempotency guard: same ``_last_event_id`` -> no write), and an older
  version/time never overwrites a newer item. Two different events with equal version and time
  are ordered by event id, so every replica converges to the same item whatever the delivery
  order. Items without ``_version`` (written by something else) may be overwritten by any event.

Invalid events (not an object, no ``detail`` object, missing/ill-typed key attributes or event
id, bad version/time) go to the SQS dead-letter queue as ``{"reason", "event"}`` and are not
written. AWS errors are raised (single event, so EventBridge retries) or reported as
``batchItemFailures`` (SQS batch, so only those messages are retried).

Environment (read on every call):
  TABLE_NAME     DynamoDB table name
  PARTITION_KEY  partition key attribute name
  SORT_KEY       sort key attribute name (optional)
  DLQ_URL        SQS queue URL for invalid events
"""
from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

META_EVENT_ID = "_last_event_id"
META_VERSION = "_version"
META_TIME = "_event_time"
MAX_DLQ_BODY = 250_000  # SQS allows 256 KiB per message
MAX_ITEM_CHARS = 390_000  # DynamoDB refuses items over 400 KB; retrying those is futile


@dataclass(frozen=True)
class Config:
    table_name: str
    partition_key: str
    sort_key: str | None
    dlq_url: str


def load_config() -> Config:
    missing = [n for n in ("TABLE_NAME", "PARTITION_KEY", "DLQ_URL") if not os.environ.get(n, "").strip()]
    if missing:
        raise RuntimeError(f"ods_writer misconfigured: environment variable(s) {', '.join(missing)} not set")
    return Config(
        table_name=os.environ["TABLE_NAME"].strip(),
        partition_key=os.environ["PARTITION_KEY"].strip(),
        sort_key=os.environ.get("SORT_KEY", "").strip() or None,
        dlq_url=os.environ["DLQ_URL"].strip(),
    )


class InvalidEvent(ValueError):
    """The event can never be written; the message is the reason sent to the DLQ."""


@dataclass(frozen=True)
class Upsert:
    event_id: str
    item: dict
    version: Decimal
    time: str


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"invalid JSON constant {name}")


def _to_dynamo(value: Any) -> Any:
    """Floats become Decimal (boto3 refuses floats); NaN/Infinity are rejected."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEvent("detail contains NaN or Infinity")
        return Decimal(repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidEvent("detail contains NaN or Infinity")
    if isinstance(value, dict):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    return value


def _valid_key_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return value != ""
    return isinstance(value, (int, Decimal))


def _normalise_time(value: Any) -> str:
    if value is None:
        return ""  # sorts before any real time
    if not isinstance(value, str):
        raise InvalidEvent(f"time must be an ISO-8601 string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidEvent(f"time {value!r} is not ISO-8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_event(event: Any, config: Config) -> Upsert:
    if not isinstance(event, dict):
        raise InvalidEvent(f"event is a {type(event).__name__}, not an object")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent("event has no 'detail' object")
    event_id = detail.get("eventId", event.get("id"))
    if not isinstance(event_id, str) or not event_id.strip():
        raise InvalidEvent("event has no string 'detail.eventId' or 'id'")
    # Producers may send {"item": {...}} (as ods_api does) or the attributes directly in detail.
    source = detail["item"] if isinstance(detail.get("item"), dict) else detail
    item = {k: v for k, v in source.items() if k not in ("eventId", "item", "keys")}
    for key in filter(None, (config.partition_key, config.sort_key)):
        if key not in item:
            raise InvalidEvent(f"detail is missing key attribute {key!r}")
    item = _to_dynamo(item)
    for key in filter(None, (config.partition_key, config.sort_key)):
        if not _valid_key_value(item[key]):
            raise InvalidEvent(f"key attribute {key!r} must be a non-empty string or an integer/number")
    version = detail.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, (int, float, Decimal)):
        raise InvalidEvent("detail.version must be a number")
    version = _to_dynamo(version)
    time = _normalise_time(event.get("time", detail.get("time")))
    if len(json.dumps(item, default=str)) > MAX_ITEM_CHARS:
        raise InvalidEvent("item exceeds the DynamoDB item size limit (400 KB)")
    item[META_EVENT_ID] = event_id
    item[META_VERSION] = version
    item[META_TIME] = time
    return Upsert(event_id=event_id, item=item, version=version, time=time)


def _table(config: Config):
    return boto3.resource("dynamodb").Table(config.table_name)


def write(upsert: Upsert, config: Config, table) -> str:
    """Conditional upsert; returns 'written', 'duplicate' or 'stale'."""
    names = {"#pk": config.partition_key, "#ver": META_VERSION, "#time": META_TIME, "#last": META_EVENT_ID}
    values = {":ver": upsert.version, ":time": upsert.time, ":eid": upsert.event_id}
    condition = (
        "attribute_not_exists(#pk) OR attribute_not_exists(#ver)"
        " OR #ver < :ver"
        " OR (#ver = :ver AND #time < :time)"
        " OR (#ver = :ver AND #time = :time AND #last < :eid)"
    )
    try:
        table.put_item(
            Item=upsert.item,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item") or {}
        old_id = (old.get(META_EVENT_ID) or {}).get("S")
        return "duplicate" if old_id == upsert.event_id else "stale"
    return "written"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def dead_letter(reason: str, event: Any, config: Config, sqs) -> None:
    body = json.dumps({"reason": reason, "event": event}, default=_json_default)
    if len(body.encode("utf-8")) > MAX_DLQ_BODY:
        preview = json.dumps(event, default=_json_default)[:100_000]
        body = json.dumps({"reason": reason, "event": None, "eventTruncated": preview})
    sqs.send_message(QueueUrl=config.dlq_url, MessageBody=body)
    logger.warning(json.dumps({"event": "dead_lettered", "reason": reason}))


def process(event: Any, config: Config, table, sqs) -> str:
    """Returns 'written', 'duplicate', 'stale' or 'dead_lettered'; AWS errors propagate."""
    try:
        upsert = parse_event(event, config)
    except InvalidEvent as exc:
        dead_letter(str(exc), event, config, sqs)
        return "dead_lettered"
    outcome = write(upsert, config, table)
    logger.info(json.dumps({"event": "upsert", "eventId": upsert.event_id, "outcome": outcome}))
    return outcome


def handler(event: Any, context: Any = None) -> dict:
    config = load_config()
    table = _table(config)
    sqs = boto3.client("sqs")
    summary = {"written": 0, "duplicates": 0, "stale": 0, "dead_lettered": 0, "failed": 0}
    counter = {"written": "written", "duplicate": "duplicates", "stale": "stale", "dead_lettered": "dead_lettered"}

    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        failures = []
        for record in event["Records"]:
            message_id = record.get("messageId") if isinstance(record, dict) else None
            body = record.get("body") if isinstance(record, dict) else None
            try:
                try:
                    inner = json.loads(body, parse_constant=_reject_constant)
                except (TypeError, ValueError, InvalidEvent):
                    dead_letter("SQS body is not valid JSON", body, config, sqs)
                    outcome = "dead_lettered"
                else:
                    outcome = process(inner, config, table, sqs)
            except (ClientError, BotoCoreError) as exc:
                logger.error(json.dumps({"event": "record_failed", "messageId": message_id, "error": repr(exc)}))
                summary["failed"] += 1
                failures.append({"itemIdentifier": message_id})
                continue
            summary[counter[outcome]] += 1
        return {**summary, "batchItemFailures": failures}

    summary[counter[process(event, config, table, sqs)]] += 1
    return summary
