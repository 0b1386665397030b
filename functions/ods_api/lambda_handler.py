"""Lambda adapter for app.handle: API Gateway HTTP API (payload format 2.0) requests, or
EventBridge events when the service is subscribed to its data product's bus (trigger: events).

An event's ``detail.item`` (or ``detail`` itself) must carry the key attributes; it is applied
through the same validated PUT as an HTTP request, so it is stored and re-published once.

Events are applied in order, as ods_writer applies them: the item carries ods_writer's envelope
(``_last_event_id``, ``_version`` = ``detail.version`` or 0, ``_event_time`` = the event's time
in UTC) and the write happens only when the event is strictly newer in (version, time, event
id); an event no newer than the item is "stale": nothing is written or published. An HTTP PUT
writes without the envelope, so the next event applies after it whatever its time.

With trigger events the rule sends to a queue and Lambda polls it (an SQS batch in ``Records``):
each body is parsed with exact decimals; an event that cannot be applied goes to ``DLQ_URL`` as
``{"reason", "event"}`` at once (a permanent error is never retried); a transient failure (the
store or the bus unavailable) is reported in ``batchItemFailures``, so only that message comes
back, and SQS moves it to the same dead-letter queue after the queue's maxReceiveCount.
An event invoked directly (no queue) that cannot be applied raises, so Lambda's retries and the
function's own dead-letter queue keep it.

Handler: ``lambda_handler.handler``. Configuration: see app.py (plus ``DLQ_URL`` for events).
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import boto3

import app

logger = logging.getLogger("ods_api")
# SQS takes at most 1 MiB per message (SendMessage); a dead letter that would exceed it keeps a
# preview of the event instead.
MAX_DLQ_BODY = 1_000_000
# ods_writer's rule: an event time further ahead would win every later comparison.
MAX_FUTURE_SKEW = timedelta(minutes=15)

# Checked during the Lambda init phase: a plaintext DAX endpoint fails the function's start
# with the reason, rather than every request hanging on a TLS cluster.
if os.environ.get("DAX_ENDPOINT", "").strip():
    app.parse_dax_endpoint(os.environ["DAX_ENDPOINT"])


def _path(event: dict) -> str:
    context = event.get("requestContext") or {}
    path = event.get("rawPath") or (context.get("http") or {}).get("path") or "/"
    stage = context.get("stage")
    # With a named (non-$default) stage the stage name is the first rawPath segment.
    if stage and stage != "$default" and (path == f"/{stage}" or path.startswith(f"/{stage}/")):
        path = path[len(stage) + 1:] or "/"
    return path


class InvalidEvent(ValueError):
    """An EventBridge event this service cannot apply; raised so it goes to the DLQ."""


def _event_time(event: dict) -> str:
    """The event's `time` as ods_writer stores it: UTC, microseconds, zero-padded year."""
    value = event.get("time")
    if not isinstance(value, str):
        raise InvalidEvent(f"event {event.get('id')}: time must be an ISO-8601 string")
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("z", "Z")) else text
    try:
        parsed = datetime.fromisoformat(text)
        moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidEvent(f"event {event.get('id')}: time {value[:64]!r} is not an ISO-8601 time in years 1..9999 UTC") from None
    if moment > datetime.now(timezone.utc) + MAX_FUTURE_SKEW:
        raise InvalidEvent(f"event {event.get('id')}: time {value[:64]!r} is more than 15 minutes in the future")
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond:06d}Z")


def _ordering(event: dict, detail: dict) -> "app.Ordering":
    """Where the event sits in its key's history: ods_writer's (version, time, event id)."""
    event_id = detail.get("eventId", event.get("id"))
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id.encode("utf-8", "surrogatepass")) > 1024:
        raise InvalidEvent(f"event {event.get('id')}: no string detail.eventId or id (at most 1024 bytes)")
    version = detail.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, (int, float, Decimal)):
        raise InvalidEvent(f"event {event.get('id')}: detail.version must be a number")
    try:
        version = app._check_number(Decimal(str(version)), "detail.version")  # DynamoDB's number rules
    except (InvalidOperation, app.ApiError) as exc:
        raise InvalidEvent(f"event {event.get('id')}: {getattr(exc, 'message', 'detail.version is not a number')}") from None
    return app.Ordering(event_id=event_id, version=version, time=_event_time(event))


def _from_eventbridge(event: dict) -> dict:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent(f"event {event.get('id')}: detail must be an object")
    # {"item": {...}} (what ods_api publishes) or the attributes in detail itself, less the
    # envelope names ods_writer leaves out too.
    item = detail["item"] if "item" in detail else {k: v for k, v in detail.items() if k not in ("eventId", "keys")}
    if not isinstance(item, dict):
        raise InvalidEvent(f"event {event.get('id')}: detail.item must be an object")
    config = app.load_config()
    keys = [config.partition_key] + ([config.sort_key] if config.sort_key else [])
    missing = [k for k in keys if item.get(k) in (None, "")]
    if missing:
        raise InvalidEvent(f"event {event.get('id')}: missing key attribute(s) {', '.join(missing)}")
    try:
        path = "/items/" + "/".join(quote(str(item[k]), safe="") for k in keys)
        body = app.dumps(item)
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidEvent(f"event {event.get('id')}: detail.item cannot be applied ({type(exc).__name__})") from None
    order = _ordering(event, detail)
    status, payload = app.handle("PUT", path, body, {"content-type": "application/json"}, order=order)
    if status >= 400:
        if status < 500:
            raise InvalidEvent(f"event {event.get('id')}: {payload.get('message')}")
        raise RuntimeError(f"event {event.get('id')}: {payload.get('message')}")
    if payload.get("stale"):
        return {"applied": False, "stale": True, "sourceEventId": event.get("id")}
    return {"applied": True, "eventId": payload.get("eventId"), "sourceEventId": event.get("id")}


def _dead_letter(reason: str, event: Any) -> None:
    """Send `event` with the reason to DLQ_URL; raises (so the message comes back) if it cannot."""
    url = os.environ.get("DLQ_URL", "").strip()
    if not url:
        raise RuntimeError(f"DLQ_URL is not set; cannot dead-letter: {reason}")
    try:
        body = app.dumps({"reason": reason, "event": event}, compact=True)  # ASCII: escapes every non-ASCII
    except (ValueError, TypeError, RecursionError):
        body = None
    if body is None or len(body) > MAX_DLQ_BODY:
        preview = event if isinstance(event, str) else repr(event)
        body = json.dumps({"reason": reason, "event": None, "eventTruncated": preview[:100_000]})
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    logger.warning(json.dumps({"event": "dead_lettered", "reason": reason[:500]}))


def _apply_message(body: Any) -> str:
    """One queued EventBridge event: 'applied' or 'dead_lettered'; raises on a transient failure."""
    try:
        event = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (TypeError, ValueError, RecursionError):
        _dead_letter("SQS body is not valid JSON", body)
        return "dead_lettered"
    if not isinstance(event, dict):
        _dead_letter("SQS body is not an EventBridge event (a JSON object)", body)
        return "dead_lettered"
    try:
        result = _from_eventbridge(event)
    except InvalidEvent as exc:
        _dead_letter(str(exc), event)
        return "dead_lettered"
    return "stale" if result.get("stale") else "applied"


def _from_sqs(event: dict) -> dict:
    summary: dict[str, Any] = {"applied": 0, "stale": 0, "dead_lettered": 0, "batchItemFailures": []}
    for record in event["Records"]:
        message_id = record.get("messageId") if isinstance(record, dict) else None
        try:
            summary[_apply_message(record.get("body") if isinstance(record, dict) else None)] += 1
        except Exception as exc:  # noqa: BLE001 - transient: only this message comes back
            logger.error(json.dumps({"event": "record_failed", "messageId": message_id, "error": repr(exc)[:500]}))
            summary["batchItemFailures"].append({"itemIdentifier": message_id})
    return summary


def handler(event: dict, context: Any = None) -> dict:
    if isinstance(event.get("Records"), list):
        return _from_sqs(event)
    if "detail-type" in event and "requestContext" not in event:
        return _from_eventbridge(event)
    http = (event.get("requestContext") or {}).get("http") or {}
    method = http.get("method") or "GET"
    body = event.get("body")
    if body is not None and event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            status, payload = 400, {"message": "request body is not valid base64"}
            return _response(status, payload)
    status, payload = app.handle(method, _path(event), body, event.get("headers") or {})
    return _response(status, payload)


def _response(status: int, payload: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": app.dumps(payload),
        "isBase64Encoded": False,
    }
