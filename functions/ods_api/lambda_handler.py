"""Lambda adapter for app.handle: API Gateway HTTP API (payload format 2.0) requests, or
EventBridge events when the service is subscribed to its data product's bus (trigger: events).

An event's ``detail.item`` (or ``detail`` itself) must carry the key attributes; it is applied
through the same validated PUT as an HTTP request, so it is stored and re-published once.

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
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import boto3

import app

logger = logging.getLogger("ods_api")
# SQS takes at most 1 MiB per message (SendMessage); a dead letter that would exceed it keeps a
# preview of the event instead.
MAX_DLQ_BODY = 1_000_000

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


def _from_eventbridge(event: dict) -> dict:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent(f"event {event.get('id')}: detail must be an object")
    item = detail.get("item", detail)
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
    status, payload = app.handle("PUT", path, body, {"content-type": "application/json"})
    if status >= 400:
        if status < 500:
            raise InvalidEvent(f"event {event.get('id')}: {payload.get('message')}")
        raise RuntimeError(f"event {event.get('id')}: {payload.get('message')}")
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
        _from_eventbridge(event)
    except InvalidEvent as exc:
        _dead_letter(str(exc), event)
        return "dead_lettered"
    return "applied"


def _from_sqs(event: dict) -> dict:
    summary: dict[str, Any] = {"applied": 0, "dead_lettered": 0, "batchItemFailures": []}
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
