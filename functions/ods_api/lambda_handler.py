"""Lambda adapter for app.handle: API Gateway HTTP API (payload format 2.0) requests, or
EventBridge events when the service is subscribed to its data product's bus (trigger: events).

An event's ``detail.item`` (or ``detail`` itself) must carry the key attributes; it is applied
through the same validated PUT as an HTTP request, so it is stored and re-published once.
A bad event raises, so EventBridge retries and then dead-letters it (nothing is lost silently).

Handler: ``lambda_handler.handler``. Configuration: see app.py.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any
from urllib.parse import quote

import app

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
        body = json.dumps(item)
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidEvent(f"event {event.get('id')}: detail.item cannot be applied ({type(exc).__name__})") from None
    status, payload = app.handle("PUT", path, body, {"content-type": "application/json"})
    if status >= 400:
        if status < 500:
            raise InvalidEvent(f"event {event.get('id')}: {payload.get('message')}")
        raise RuntimeError(f"event {event.get('id')}: {payload.get('message')}")
    return {"applied": True, "eventId": payload.get("eventId"), "sourceEventId": event.get("id")}


def handler(event: dict, context: Any = None) -> dict:
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
