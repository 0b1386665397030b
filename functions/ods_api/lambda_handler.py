"""API Gateway HTTP API (payload format 2.0) adapter for app.handle.

Handler: ``lambda_handler.handler``. Configuration: see app.py.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import app


def _path(event: dict) -> str:
    context = event.get("requestContext") or {}
    path = event.get("rawPath") or (context.get("http") or {}).get("path") or "/"
    stage = context.get("stage")
    # With a named (non-$default) stage the stage name is the first rawPath segment.
    if stage and stage != "$default" and (path == f"/{stage}" or path.startswith(f"/{stage}/")):
        path = path[len(stage) + 1:] or "/"
    return path


def handler(event: dict, context: Any = None) -> dict:
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
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }
