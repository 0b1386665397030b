"""Operational data store API: framework-free core shared by Lambda and the container.

``handle(method, path, body, headers) -> (status, dict)``

Routes (``{sk}`` only when the table has a sort key):
  GET /health               liveness; 503 when the service is misconfigured
  GET /items/{pk}[/{sk}]    200 {"item": ...} or 404
  PUT /items/{pk}[/{sk}]    JSON object body -> upsert, then exactly one "ItemUpserted" event
                            on EventBridge; 200 {"item": ..., "eventId": ...}

Bad input gets a 4xx with {"message": ...} and nothing is written or published. Reads (and
writes, so DAX's item cache stays coherent) go through DAX when DAX_ENDPOINT is set and the
``amazondax`` client is importable; otherwise DynamoDB, and the fallback is logged once.
Low-level clients are used (thread-safe, unlike boto3 resources) because the container
serves requests from several threads.

Environment (read on every call):
  TABLE_NAME          DynamoDB table name
  PARTITION_KEY       partition key attribute name
  PARTITION_KEY_TYPE  S (default) or N
  SORT_KEY            sort key attribute name (optional)
  SORT_KEY_TYPE       S (default) or N
  EVENT_BUS_NAME      EventBridge bus name or ARN for ItemUpserted events
  EVENT_SOURCE        event source, e.g. "retail.orders"
  DAX_ENDPOINT        DAX cluster endpoint as a TLS URL, "daxs://<cluster address>:9111"
                      (e.g. "daxs://my-cluster.xxxx.dax-clusters.us-east-1.amazonaws.com:9111");
                      anything else is refused at start-up, see parse_dax_endpoint
  ALB_ARN             set for a public service: every request but /health must carry the
                      x-amzn-oidc-data JWT this load balancer signed after logging the caller in
                      (alb_auth.py); anything else gets 401. The caller's subject is logged and
                      recorded as "caller" in the ItemUpserted event. Unset (internal services,
                      Lambda): the security group / API Gateway decide who gets here.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

import boto3
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

import alb_auth

logger = logging.getLogger("ods_api")
logger.setLevel(logging.INFO)

DETAIL_TYPE = "ItemUpserted"
MAX_BODY_BYTES = 200 * 1024  # EventBridge entries are capped at 256 KB and carry the item
PUT_EVENTS_ATTEMPTS = 3
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Config:
    table_name: str
    partition_key: str
    partition_key_type: str
    sort_key: str | None
    sort_key_type: str
    event_bus_name: str | None
    event_source: str | None
    dax_endpoint: str | None
    alb_arn: str | None = None


DAX_TLS_SCHEME = "daxs"


def parse_dax_endpoint(value: str) -> str:
    """Validate DAX_ENDPOINT and return it for ``AmazonDaxClient(endpoint_url=...)``.

    The cluster is created with TLS, so only ``daxs://host[:port]`` is accepted. amazondax
    2.x reads a value without a scheme (``host:port``, which is what the provider's
    ``configurationEndpoint`` gives) as ``dax://host:port`` -- plaintext -- and every call
    to the TLS cluster then hangs (amazondax/Cluster.py ``_parse_host_ports``), so that form
    and ``dax://`` are refused with the fix in the message.
    """
    text = value.strip()
    hint = "expected daxs://<cluster address>:9111 (the cluster endpoint as a TLS URL)"
    if "://" not in text:
        raise ValueError(f"DAX_ENDPOINT {text!r} has no scheme: the DAX client would speak plaintext to a "
                         f"TLS cluster; {hint}")
    parts = urlsplit(text)
    if parts.scheme != DAX_TLS_SCHEME:
        raise ValueError(f"DAX_ENDPOINT {text!r} uses scheme {parts.scheme!r}, not {DAX_TLS_SCHEME!r} (TLS); {hint}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"DAX_ENDPOINT {text!r} has an invalid port; {hint}") from None
    if not parts.hostname or parts.username or parts.password or parts.path not in ("", "/") \
            or parts.query or parts.fragment or (port is not None and not 0 < port < 65536):
        raise ValueError(f"DAX_ENDPOINT {text!r} is not a bare cluster URL; {hint}")
    return text.rstrip("/")


def load_config() -> Config:
    env = {k: os.environ.get(k, "").strip() for k in (
        "TABLE_NAME", "PARTITION_KEY", "PARTITION_KEY_TYPE", "SORT_KEY", "SORT_KEY_TYPE",
        "EVENT_BUS_NAME", "EVENT_SOURCE", "DAX_ENDPOINT", "ALB_ARN")}
    missing = [k for k in ("TABLE_NAME", "PARTITION_KEY") if not env[k]]
    if missing:
        raise ApiError(500, f"service misconfigured: {', '.join(missing)} not set")
    types = {k: (env[k] or "S").upper() for k in ("PARTITION_KEY_TYPE", "SORT_KEY_TYPE")}
    for name, value in types.items():
        if value not in ("S", "N"):
            raise ApiError(500, f"service misconfigured: {name} must be S or N")
    if env["DAX_ENDPOINT"]:
        try:
            env["DAX_ENDPOINT"] = parse_dax_endpoint(env["DAX_ENDPOINT"])
        except ValueError as exc:
            raise ApiError(500, f"service misconfigured: {exc}") from None
    if env["ALB_ARN"]:
        try:
            alb_auth.alb_region(env["ALB_ARN"])
        except ValueError as exc:
            raise ApiError(500, f"service misconfigured: {exc}") from None
    return Config(
        table_name=env["TABLE_NAME"], partition_key=env["PARTITION_KEY"],
        partition_key_type=types["PARTITION_KEY_TYPE"], sort_key=env["SORT_KEY"] or None,
        sort_key_type=types["SORT_KEY_TYPE"], event_bus_name=env["EVENT_BUS_NAME"] or None,
        event_source=env["EVENT_SOURCE"] or None, dax_endpoint=env["DAX_ENDPOINT"] or None,
        alb_arn=env["ALB_ARN"] or None,
    )


# --- the load balancer's signature -----------------------------------------------------

# Where the ALB's public keys come from; tests replace it with a local key (no network).
KEY_FETCHER: alb_auth.KeyFetcher = alb_auth.fetch_public_key
_verifiers: dict[str, alb_auth.AlbVerifier] = {}


def _caller(config: Config, headers: Mapping[str, str] | None) -> alb_auth.Caller | None:
    """The logged-in caller (public services), None when the ALB does not log callers in."""
    if not config.alb_arn:
        return None
    with _clients_lock:
        verifier = _verifiers.get(config.alb_arn)
        if verifier is None:
            verifier = alb_auth.AlbVerifier(config.alb_arn, fetch=lambda region, kid: KEY_FETCHER(region, kid))
            _verifiers[config.alb_arn] = verifier
    try:
        return verifier.verify(headers)
    except alb_auth.Unauthenticated as exc:
        logger.warning(json.dumps({"event": "unauthenticated", "message": str(exc)}))
        raise ApiError(401, f"unauthenticated: {exc}") from None


# --- clients ---------------------------------------------------------------------------

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()
_dax_fallback_logged: set[str] = set()


def reset_clients() -> None:
    with _clients_lock:
        _clients.clear()


def _client(service: str) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, region)
    with _clients_lock:  # boto3 sessions are not thread-safe; the clients they make are
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, region_name=region)
        return _clients[key]


def _data_client(config: Config) -> Any:
    if not config.dax_endpoint:
        return _client("dynamodb")
    key = ("dax", config.dax_endpoint)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        try:
            from amazondax import AmazonDaxClient  # noqa: PLC0415 - optional dependency
        except ImportError:
            if config.dax_endpoint not in _dax_fallback_logged:
                _dax_fallback_logged.add(config.dax_endpoint)
                logger.warning(json.dumps({"event": "dax_unavailable", "endpoint": config.dax_endpoint,
                                           "message": "amazondax not installed; reading from DynamoDB"}))
            client = None
        else:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            client = AmazonDaxClient(endpoint_url=config.dax_endpoint, region_name=region)
            _clients[key] = client
    return client if client is not None else _client("dynamodb")


# --- helpers ---------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """DynamoDB values to JSON-safe values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode("ascii")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _reject_constant(name: str) -> Any:
    raise ApiError(400, f"body is not valid JSON: {name} is not allowed")


def _check_number(value: Decimal, where: str) -> None:
    # DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 1E+126
    if not value.is_finite() or len(value.as_tuple().digits) > 38 or (
            value != 0 and not -130 <= value.adjusted() <= 125):
        raise ApiError(400, f"{where}: number {value} is outside what DynamoDB can store")


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, Decimal):
        _check_number(value, where)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "":
                raise ApiError(400, f"{where}: attribute names must not be empty")
            _check_value(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_value(v, f"{where}[{i}]")


def _key_value(name: str, kind: str, raw: str) -> Any:
    if raw == "":
        raise ApiError(400, f"key {name!r} must not be empty")
    if kind == "N":
        try:
            number = Decimal(raw)
        except ArithmeticError:
            raise ApiError(400, f"key {name!r} must be a number, got {raw!r}") from None
        _check_number(number, f"key {name!r}")
        return number
    if len(raw.encode("utf-8")) > 1024:
        raise ApiError(400, f"key {name!r} is longer than 1024 bytes")
    return raw


def _keys(config: Config, parts: list[str]) -> dict[str, Any]:
    if config.sort_key and len(parts) == 1:
        raise ApiError(400, f"this table has sort key {config.sort_key!r}: use /items/{{{config.partition_key}}}"
                            f"/{{{config.sort_key}}}")
    if not config.sort_key and len(parts) == 2:
        raise ApiError(400, f"this table has no sort key: use /items/{{{config.partition_key}}}")
    keys = {config.partition_key: _key_value(config.partition_key, config.partition_key_type, parts[0])}
    if config.sort_key:
        keys[config.sort_key] = _key_value(config.sort_key, config.sort_key_type, parts[1])
    return keys


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name:
            return v
    return None


def _parse_body(body: bytes | str | None, headers: Mapping[str, str] | None) -> dict:
    content_type = _header(headers, "content-type")
    if content_type and content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, f"content-type must be application/json, got {content_type!r}")
    if body is None or body in (b"", ""):
        raise ApiError(400, "request body must be a JSON object")
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "request body is not UTF-8") from None
    try:
        payload = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except ApiError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, f"body must be a JSON object, got {type(payload).__name__}")
    return payload


# --- operations ------------------------------------------------------------------------

def _get(config: Config, keys: dict) -> tuple[int, dict]:
    response = _data_client(config).get_item(
        TableName=config.table_name, Key={k: _serializer.serialize(v) for k, v in keys.items()})
    if "Item" not in response or not response["Item"]:
        return 404, {"message": "item not found", "keys": _plain(keys)}
    item = {k: _deserializer.deserialize(v) for k, v in response["Item"].items()}
    return 200, {"item": _plain(item)}


def _put(config: Config, keys: dict, body, headers, caller: alb_auth.Caller | None = None) -> tuple[int, dict]:
    if not config.event_bus_name or not config.event_source:
        raise ApiError(500, "service misconfigured: EVENT_BUS_NAME and EVENT_SOURCE are required for writes")
    payload = _parse_body(body, headers)
    for name in payload:
        if name == "":
            raise ApiError(400, "attribute names must not be empty")
        if name.startswith("_"):
            raise ApiError(400, f"attribute {name!r}: names starting with '_' are reserved")
    for name, value in keys.items():
        if name in payload and payload[name] != value:
            raise ApiError(400, f"body {name} {_plain(payload[name])!r} does not match the path value {_plain(value)!r}")
    _check_value(payload, "body")
    item = {**payload, **keys}
    try:
        serialized = {k: _serializer.serialize(v) for k, v in item.items()}
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"body cannot be stored: {exc}") from None

    _data_client(config).put_item(TableName=config.table_name, Item=serialized)

    event_id = str(uuid.uuid4())
    detail = {"eventId": event_id, "keys": _plain(keys), "item": _plain(item),
              "occurredAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if caller is not None:
        detail["caller"] = caller.subject
    entry = {"Source": config.event_source, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail),
             "EventBusName": config.event_bus_name}
    events = _client("events")
    for attempt in range(1, PUT_EVENTS_ATTEMPTS + 1):
        response = events.put_events(Entries=[entry])
        if not response.get("FailedEntryCount"):
            break
        logger.warning(json.dumps({"event": "put_events_failed", "eventId": event_id, "attempt": attempt,
                                   "entries": response.get("Entries")}))
    else:
        # The item is stored; a client retry re-writes it and publishes a fresh event.
        return 502, {"message": "item stored but its ItemUpserted event could not be published; retry the request",
                     "eventId": event_id}
    logger.info(json.dumps({"event": "item_upserted", "eventId": event_id, "keys": _plain(keys),
                            **({"caller": caller.subject} if caller is not None else {})}))
    return 200, {"item": _plain(item), "eventId": event_id}


def _route(method: str, path: str, body, headers) -> tuple[int, dict]:
    method = (method or "").upper()
    parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/")]
    if parts == ["health"]:
        if method != "GET":
            raise ApiError(405, f"method {method} not allowed on /health")
        try:
            load_config()
        except ApiError as exc:
            return 503, {"status": "misconfigured", "message": exc.message}
        return 200, {"status": "ok"}
    # Public services: nothing but the health check answers a request the ALB did not sign.
    caller = _caller(load_config(), headers) if os.environ.get("ALB_ARN", "").strip() else None
    if parts[0] == "items" and len(parts) in (2, 3):
        if method not in ("GET", "PUT"):
            raise ApiError(405, f"method {method} not allowed on /items: use GET or PUT")
        config = load_config()
        keys = _keys(config, parts[1:])
        return _get(config, keys) if method == "GET" else _put(config, keys, body, headers, caller)
    raise ApiError(404, f"no route for {method} {path.split('?', 1)[0]}")


def handle(method: str, path: str, body: bytes | str | None = None,
           headers: Mapping[str, str] | None = None) -> tuple[int, dict]:
    try:
        return _route(method, path or "/", body, headers)
    except ApiError as exc:
        if exc.status >= 500:
            logger.error(json.dumps({"event": "api_error", "status": exc.status, "message": exc.message}))
        return exc.status, {"message": exc.message}
    except (ClientError, BotoCoreError) as exc:
        logger.exception(json.dumps({"event": "aws_error", "error": repr(exc)}))
        return 502, {"message": "the data store is unavailable, try again"}
    except Exception as exc:  # noqa: BLE001 - never leak a traceback to the caller
        logger.exception(json.dumps({"event": "internal_error", "error": repr(exc)}))
        return 500, {"message": "internal error"}
