"""Operational data store API: framework-free core shared by Lambda and the container.

``handle(method, path, body, headers) -> (status, dict)``

Routes (``{sk}`` only when the table has a sort key):
  GET /health               liveness; 503 when the service is misconfigured
  GET /items/{pk}[/{sk}]    200 {"item": ..., "version": n} or 404 (names starting with "_"
                            are the store's and not part of the item)
  PUT /items/{pk}[/{sk}]    JSON object body -> upsert as the item's next revision (a number
                            that grows per key: max(previous + 1, the write's ms)), then exactly
                            one "ItemUpserted" event on EventBridge with detail.version = the
                            revision; 200 {"item": ..., "eventId": ..., "version": n}; 409 when
                            other writers kept moving the revision (5 attempts)

Bad input gets a 4xx with {"message": ...} and nothing is written or published. Everything
DynamoDB or EventBridge would refuse for good is refused before the write, so an item is never
stored without its event: path segments must percent-decode to UTF-8 (``%ZZ``, ``%FF`` and lone
surrogates are 400, never replaced by U+FFFD, which would map different paths to one key); a
body attribute name given twice is 400; numbers must fit DynamoDB (38 significant digits,
1E-130..9.99E+125) and integers EventBridge's 64-bit range; values at most 32 levels deep;
strings valid Unicode; key values at most 2048 (partition) / 1024 (sort) UTF-8 bytes; the
ItemUpserted entry under 256 KB as EventBridge counts it. A ``ValidationException`` from the
data store is a 400 (retrying cannot help), throttling and 5xx a 502.

Numbers are exact end to end: bodies are parsed as Decimal, responses and events write them
back as JSON numbers with every digit (``app.dumps``; a value a float holds exactly stays a
float in ``handle``'s dict). Events are orderable: ``eventId`` is a UUID version 7 (RFC 9562:
millisecond time, then a per-process counter, so ids of one process sort in write order) and
the entry's ``Time`` is that millisecond, so a consumer ordering by (time, eventId), as
ods_writer does, keeps the later of two quick writes to one key.

A PUT that applies an event (``handle(..., order=Ordering(...))``, the Lambda's events trigger)
stores ods_writer's envelope and is conditional on the event being newer (see ``Ordering``);
when it is not, nothing is written or published and the answer is 200 {"stale": true}.

Reads (and writes, so DAX's item cache stays coherent) go through DAX when DAX_ENDPOINT is set
and the ``amazondax`` client is importable; otherwise DynamoDB, and the fallback is logged once.
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
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping
from urllib.parse import unquote_to_bytes, urlsplit

import boto3
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

import alb_auth

logger = logging.getLogger("ods_api")
logger.setLevel(logging.INFO)

DETAIL_TYPE = "ItemUpserted"
MAX_BODY_BYTES = 200 * 1024  # EventBridge entries are capped at 256 KB and carry the item
PUT_EVENTS_ATTEMPTS = 3
# "Calculating Amazon EventBridge PutEvents event entry size"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): an entry must be
# less than 256 KB, counted as the UTF-8 bytes of Source, DetailType, Detail and each Resources
# entry, plus 14 bytes when Time is set. (Since 2026-01-29 buses take entries up to 1 MB, AWS
# Compute Blog "serverless services now support payloads up to 1 MB"; 256 KB stays the platform's
# limit, as in functions/reportable, until consumers are checked for the larger events.)
MAX_ENTRY_BYTES = 256 * 1024
ENTRY_TIME_BYTES = 14
# PutEvents: "For the JSON number (integer) data type, the constraints are: a minimum value of
# -9,223,372,036,854,775,808 and a maximum value of 9,223,372,036,854,775,807"
# (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
EVENT_INT_MIN, EVENT_INT_MAX = -(2 ** 63), 2 ** 63 - 1
# DynamoDB ("Constraints in Amazon DynamoDB",
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html; numbers:
# .../HowItWorks.NamingRulesDataTypes.html): key values, nesting, item size, numbers.
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_NESTING = 32  # levels, the top-level attribute being level 1
MAX_ITEM_BYTES = 400 * 1024
MAX_NUMBER_DIGITS = 38  # significant: leading and trailing zeros are trimmed
MIN_NUMBER_EXPONENT, MAX_NUMBER_EXPONENT = -130, 125
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
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


@dataclass(frozen=True)
class Ordering:
    """Where an applied event sits in its key's history (trigger: events): stored as the ODS
    writer's envelope (``_last_event_id``, ``_version``, ``_event_time``), and the write is
    conditional on the event being strictly newer in the order (version, time, event id), exactly
    as ods_writer's. ``time`` is UTC ISO with microseconds and a zero-padded year (sorts as text)."""

    event_id: str
    version: Decimal
    time: str


META_EVENT_ID, META_VERSION, META_TIME = "_last_event_id", "_version", "_event_time"
# The store-assigned revision of an item: every write of this service reads it and writes the
# next one (see _entry: max(revision + 1, the write's millisecond)) on condition that no other
# instance moved it first, and publishes it as the ItemUpserted event's detail.version, so the
# table's order and the events' order are one order, whatever the instances' clocks say.
META_REVISION = "_revision"
REVISION_ATTEMPTS = 5
# ods_writer's condition: the item is new, carries no (numeric) version, or the event is newer.
ORDERED_CONDITION = (
    "attribute_not_exists(#pk) OR attribute_not_exists(#ver) OR NOT attribute_type(#ver, :n)"
    " OR #ver < :ver"
    " OR (#ver = :ver AND (NOT attribute_type(#time, :s) OR #time < :time))"
    " OR (#ver = :ver AND #time = :time AND (NOT attribute_type(#last, :s) OR #last < :eid))"
)


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
    """DynamoDB values to JSON values: integers as int, other numbers as float when the float
    is exactly the stored decimal (json writes its shortest repr, which is that decimal), else
    kept as Decimal, which ``dumps`` writes digit for digit (a float would round 0.1000000000000000001)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else value
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


def _json_number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return str(value)  # always valid JSON number syntax: '12.50', '1E+2', '-0', '1E-7'


def dumps(value: Any, *, compact: bool = False, ensure_ascii: bool = True) -> str:
    """JSON with Decimals written exactly (the json module would need floats)."""
    item_sep, key_sep = (",", ":") if compact else (", ", ": ")

    def enc(v: Any) -> str:
        if isinstance(v, Decimal):
            return _json_number(v)
        if isinstance(v, dict):
            return "{" + item_sep.join(json.dumps(str(k), ensure_ascii=ensure_ascii) + key_sep + enc(x)
                                       for k, x in v.items()) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + item_sep.join(enc(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=ensure_ascii, allow_nan=False)

    return enc(value)


def _reject_constant(name: str) -> Any:
    raise ApiError(400, f"body is not valid JSON: {name} is not allowed")


def _object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ApiError(400, f"body is ambiguous: attribute {ascii(twice)[:60]} appears twice in one object")
    return obj


def _utf8_len(text: str, where: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ApiError(400, f"{where}: text contains a lone surrogate (not valid Unicode)") from None


def _check_number(value: Decimal, where: str) -> Decimal:
    """The number as DynamoDB stores it (leading/trailing zeros trimmed, exactly: boto3's
    serializer refuses more than 38 digits even when they are zeros), or 400."""
    if not value.is_finite():
        raise ApiError(400, f"{where}: number {value} is outside what DynamoDB can store")
    sign, digits, exponent = value.as_tuple()
    if not any(digits):
        return Decimal(0)
    end, start = len(digits), 0
    while digits[end - 1] == 0:
        end -= 1
    while digits[start] == 0:
        start += 1
    significant, exponent = digits[start:end], exponent + len(digits) - end
    adjusted = exponent + len(significant) - 1
    if len(significant) > MAX_NUMBER_DIGITS or not MIN_NUMBER_EXPONENT <= adjusted <= MAX_NUMBER_EXPONENT:
        raise ApiError(400, f"{where}: number {str(value)[:60]} is outside what DynamoDB can store "
                            "(38 significant digits, 1E-130 .. 9.99E+125)")
    return Decimal((sign, significant, exponent))


def _check_value(value: Any, where: str, level: int) -> tuple[Any, int]:
    """(value as stored, its size as DynamoDB counts it: UTF-8 strings, 1 byte per two digits + 1
    for numbers, 1 for null/boolean, 3 + 1 per element for lists and maps, per "DynamoDB item
    sizes and formats", .../CapacityUnitCalculations.html), or 400. ``level`` 1 = top-level."""
    if level > MAX_NESTING:
        raise ApiError(400, f"{where}: nested deeper than DynamoDB's {MAX_NESTING} levels")
    if isinstance(value, Decimal):
        number = _check_number(value, where)
        if number == number.to_integral_value() and not EVENT_INT_MIN <= number <= EVENT_INT_MAX:
            raise ApiError(400, f"{where}: integer {str(value)[:60]} is outside the 64-bit range EventBridge "
                                "accepts in an event")
        return number, (len(number.as_tuple().digits) + 1) // 2 + 1
    if isinstance(value, str):
        return value, _utf8_len(value, where)
    if isinstance(value, dict):
        out, size = {}, 3
        for k, v in value.items():
            if k == "":
                raise ApiError(400, f"{where}: attribute names must not be empty")
            out[k], v_size = _check_value(v, f"{where}.{k}", level + 1)
            size += _utf8_len(k, f"{where}: attribute name") + v_size + 1
        return out, size
    if isinstance(value, list):
        out_list, size = [], 3
        for i, v in enumerate(value):
            checked, v_size = _check_value(v, f"{where}[{i}]", level + 1)
            out_list.append(checked)
            size += v_size + 1
        return out_list, size
    return value, 1  # null, true, false


def _key_value(name: str, kind: str, raw: str, max_bytes: int) -> Any:
    if raw == "":
        raise ApiError(400, f"key {name!r} must not be empty")
    if kind == "N":
        # Only plain JSON-style numbers: Decimal() would also take "1_000", " 1", "١٢" or "NaN",
        # so different paths would name the same item.
        if not _NUMBER_TEXT.fullmatch(raw):
            raise ApiError(400, f"key {name!r} must be a number, got {ascii(raw)[:80]}")
        number = _check_number(Decimal(raw), f"key {name!r}")
        if number == number.to_integral_value() and not EVENT_INT_MIN <= number <= EVENT_INT_MAX:
            raise ApiError(400, f"key {name!r}: integer {raw[:60]} is outside the 64-bit range EventBridge "
                                "accepts in an event")
        return number
    if _utf8_len(raw, f"key {name!r}") > max_bytes:
        raise ApiError(400, f"key {name!r} is longer than DynamoDB's {max_bytes} bytes")
    return raw


def _keys(config: Config, parts: list[str]) -> dict[str, Any]:
    if config.sort_key and len(parts) == 1:
        raise ApiError(400, f"this table has sort key {config.sort_key!r}: use /items/{{{config.partition_key}}}"
                            f"/{{{config.sort_key}}}")
    if not config.sort_key and len(parts) == 2:
        raise ApiError(400, f"this table has no sort key: use /items/{{{config.partition_key}}}")
    keys = {config.partition_key: _key_value(config.partition_key, config.partition_key_type, parts[0],
                                             MAX_PARTITION_KEY_BYTES)}
    if config.sort_key:
        keys[config.sort_key] = _key_value(config.sort_key, config.sort_key_type, parts[1], MAX_SORT_KEY_BYTES)
    return keys


def _segment(raw: str) -> str:
    """One path segment, percent-decoded strictly: the escapes must be well formed and the
    bytes UTF-8. Raw non-ASCII characters count as their UTF-8 bytes, so "é" and "%C3%A9" name
    the same key; "%FF" or "%E9" (Latin-1) is a 400, never a U+FFFD that "%FE" would also give."""
    try:
        data = raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "request path is not valid Unicode") from None
    if _BAD_ESCAPE.search(data):
        raise ApiError(400, "request path has a malformed percent-escape (a % must be followed by two hex digits)")
    try:
        return unquote_to_bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "request path is not UTF-8 once percent-decoded") from None


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
    try:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    except UnicodeEncodeError:  # a str body holding a lone surrogate: no client retry can fix it
        raise ApiError(400, "request body is not valid Unicode (lone surrogate)") from None
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "request body is not UTF-8") from None
    try:
        payload = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant,
                             object_pairs_hook=_object)
    except ApiError:
        raise
    except RecursionError:
        raise ApiError(400, f"body is nested deeper than DynamoDB's {MAX_NESTING} levels") from None
    except ValueError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, f"body must be a JSON object, got {type(payload).__name__}")
    return payload


# --- operations ------------------------------------------------------------------------

def _refused(exc: ClientError) -> ApiError | None:
    """A data-store error no retry can fix (e.g. a key of another type than the table's) as a 400."""
    error = exc.response.get("Error", {})
    if error.get("Code") == "ValidationException":
        logger.error(json.dumps({"event": "data_store_refused", "message": str(error.get("Message"))[:500]}))
        return ApiError(400, f"the data store refused the request: {str(error.get('Message'))[:300]}")
    return None


# --- orderable event ids ----------------------------------------------------------------

_id_lock = threading.Lock()
_id_state = [0, 0]  # last millisecond, counter within it


def event_id(now_ms: int | None = None) -> tuple[str, int]:
    """(UUID version 7, its millisecond). RFC 9562 section 6.2 method 1: 48-bit Unix time in ms,
    a 12-bit counter in rand_a (never going back within a process, borrowing the next
    millisecond when it overflows), 62 random bits. The canonical text sorts like the number,
    so ids compare in the order this process made them."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _id_lock:
        last_ms, counter = _id_state
        if now_ms > last_ms:
            last_ms, counter = now_ms, 0
        else:
            counter += 1
            if counter > 0xFFF:
                last_ms, counter = last_ms + 1, 0
        _id_state[:] = [last_ms, counter]
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (last_ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value)), last_ms


# Same-key writes of this process happen in id order (the id is made under the key's lock).
_key_locks = [threading.Lock() for _ in range(64)]


def _key_lock(keys: dict) -> threading.Lock:
    return _key_locks[hash(tuple(sorted((k, str(v)) for k, v in keys.items()))) % len(_key_locks)]


def entry_size(entry: Mapping[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it (see MAX_ENTRY_BYTES)."""
    size = ENTRY_TIME_BYTES if entry.get("Time") is not None else 0
    texts = [entry[name] for name in ("Source", "DetailType", "Detail") if entry.get(name) is not None]
    return size + sum(_utf8_len(text, "event") for text in [*texts, *(entry.get("Resources") or ())])


def _get(config: Config, keys: dict) -> tuple[int, dict]:
    try:
        response = _data_client(config).get_item(
            TableName=config.table_name, Key={k: _serializer.serialize(v) for k, v in keys.items()})
    except ClientError as exc:
        raise _refused(exc) or exc
    if "Item" not in response or not response["Item"]:
        return 404, {"message": "item not found", "keys": _plain(keys)}
    item = {k: _deserializer.deserialize(v) for k, v in response["Item"].items()}
    # Names starting with "_" are the store's (no client may write them): the revision is
    # answered as "version", the ODS writer's ordering envelope is not part of the item.
    revision = item.get(META_REVISION)
    answer: dict[str, Any] = {"item": _plain({k: v for k, v in item.items() if not k.startswith("_")})}
    if isinstance(revision, Decimal):
        answer["version"] = _plain(revision)
    return 200, answer


def _revision(config: Config, keys: dict) -> Decimal:
    """The item's store-assigned revision, read strongly consistent (DAX passes such reads to
    DynamoDB); 0 when the item or a numeric revision is absent."""
    response = _data_client(config).get_item(
        TableName=config.table_name, Key={k: _serializer.serialize(v) for k, v in keys.items()}, ConsistentRead=True,
        ProjectionExpression="#rev", ExpressionAttributeNames={"#rev": META_REVISION})
    value = (response.get("Item") or {}).get(META_REVISION) or {}
    return Decimal(value["N"]) if "N" in value else Decimal(0)


def _stored(config: Config, keys: dict, item: dict, order: Ordering | None, current: Decimal,
            revision: Decimal) -> str:
    """Put the item as `revision`, only if it is still at `current` (and, with `order`,
    only if the event is newer: ods_writer's envelope and condition). 'stored', 'stale' (the
    item holds this event or a newer one) or 'raced' (another writer moved the revision first)."""
    stamps: dict[str, Any] = {META_REVISION: revision}
    names = {"#rev": META_REVISION}
    # DynamoDB refuses names and values an expression does not use: each is added with its use.
    values: dict[str, Any] = {":n": "N"} if current == 0 else {":rev": current}
    # DynamoDB refuses redundant parentheses: an OR is wrapped only where it is combined below.
    condition = "attribute_not_exists(#rev) OR NOT attribute_type(#rev, :n)" if current == 0 else "#rev = :rev"
    if order is not None:
        stamps |= {META_EVENT_ID: order.event_id, META_VERSION: order.version, META_TIME: order.time}
        names |= {"#pk": config.partition_key, "#ver": META_VERSION, "#time": META_TIME, "#last": META_EVENT_ID}
        values |= {":ver": order.version, ":time": order.time, ":eid": order.event_id, ":n": "N", ":s": "S"}
        condition = f"({ORDERED_CONDITION}) AND " + (f"({condition})" if current == 0 else condition)
    try:
        _data_client(config).put_item(
            TableName=config.table_name, Item={k: _serializer.serialize(v) for k, v in {**item, **stamps}.items()},
            ConditionExpression=condition, ExpressionAttributeNames=names,
            ExpressionAttributeValues={k: _serializer.serialize(v) for k, v in values.items()})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return "raced" if order is None or _revision(config, keys) != current else "stale"
    return "stored"


def _envelope_size(order: Ordering | None) -> int:
    """Bytes the stamps add to the item: the revision (at most 38 digits) and the event envelope."""
    size = len(META_REVISION) + 21
    if order is None:
        return size
    return (size + sum(len(name) for name in (META_EVENT_ID, META_VERSION, META_TIME))
            + _utf8_len(order.event_id, "event id") + len(order.time) + (len(order.version.as_tuple().digits) + 1) // 2 + 1)


def _entry(config: Config, keys: dict, item: dict, caller: alb_auth.Caller | None,
           current: Decimal) -> tuple[dict, str, Decimal]:
    """The ItemUpserted PutEvents entry of a write, its event id and the revision it takes: a
    hybrid logical clock, max(current + 1, the write's millisecond). It always grows per key
    (+1 when clocks disagree or writes share a millisecond), and it stays ahead of every earlier
    revision even when a write that does not keep `_revision` (the ODS writer replaces whole
    items) has removed it, because it is never below the wall clock."""
    eid, millis = event_id()
    revision = max(current + 1, Decimal(millis))
    occurred = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    detail = {"eventId": eid, "version": revision, "keys": _plain(keys), "item": _plain(item),
              "occurredAt": occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if caller is not None:
        detail["caller"] = caller.subject
    # Time = the write's millisecond (EventBridge keeps the second): the event's time then
    # orders like its id, not like the moment a retried PutEvents finally went through.
    entry = {"Time": occurred, "Source": config.event_source, "DetailType": DETAIL_TYPE,
             "Detail": dumps(detail, compact=True, ensure_ascii=False), "EventBusName": config.event_bus_name}
    size = entry_size(entry)
    if size >= MAX_ENTRY_BYTES:
        raise ApiError(413, f"the item's ItemUpserted event would be {size} bytes; EventBridge takes less than "
                            f"{MAX_ENTRY_BYTES}")
    return entry, eid, revision


def _write(config: Config, keys: dict, item: dict, caller: alb_auth.Caller | None,
           order: Ordering | None) -> tuple[dict, str, Decimal] | None:
    """Store the item as its next revision; (entry, event id, revision), or None when stale.
    Another instance writing the same key in between moves the revision: read it again and retry."""
    with _key_lock(keys):
        for _ in range(REVISION_ATTEMPTS):
            try:
                current = _revision(config, keys)
                entry, eid, revision = _entry(config, keys, item, caller, current)
                outcome = _stored(config, keys, item, order, current, revision)
            except ClientError as exc:
                raise _refused(exc) or exc
            if outcome == "stored":
                return entry, eid, revision
            if outcome == "stale":
                return None
    raise ApiError(409, f"the item kept changing while being written ({REVISION_ATTEMPTS} attempts); retry")


def _publish(entry: dict, eid: str) -> bool:
    events = _client("events")
    for attempt in range(1, PUT_EVENTS_ATTEMPTS + 1):
        response = events.put_events(Entries=[entry])
        if not response.get("FailedEntryCount"):
            return True
        logger.warning(json.dumps({"event": "put_events_failed", "eventId": eid, "attempt": attempt,
                                   "entries": response.get("Entries")}))
    return False


def _put(config: Config, keys: dict, body, headers, caller: alb_auth.Caller | None = None,
         order: Ordering | None = None) -> tuple[int, dict]:
    if not config.event_bus_name or not config.event_source:
        raise ApiError(500, "service misconfigured: EVENT_BUS_NAME and EVENT_SOURCE are required for writes")
    payload = _parse_body(body, headers)
    for name in payload:
        if name == "":
            raise ApiError(400, "attribute names must not be empty")
        if name.startswith("_"):
            raise ApiError(400, f"attribute {ascii(name)[:80]}: names starting with '_' are reserved")
    checked: dict[str, Any] = {}
    size = 0
    for name, value in payload.items():
        checked[name], value_size = _check_value(value, f"body.{name}", 1)
        size += _utf8_len(name, "body: attribute name") + value_size
    for name, value in keys.items():
        if name in checked and checked[name] != value:
            raise ApiError(400, f"body {name} {_plain(payload[name])!r} does not match the path value {_plain(value)!r}")
        if name not in checked:
            size += _utf8_len(name, "key name") + (_utf8_len(value, name) if isinstance(value, str)
                                                   else (len(value.as_tuple().digits) + 1) // 2 + 1)
    size += _envelope_size(order)
    if size > MAX_ITEM_BYTES:
        raise ApiError(413, f"item is {size} bytes as DynamoDB counts them; it stores at most {MAX_ITEM_BYTES}")
    item = {**checked, **keys}
    try:
        for v in item.values():
            _serializer.serialize(v)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ApiError(400, f"body cannot be stored: {exc}") from None

    written = _write(config, keys, item, caller, order)
    if written is None:
        logger.info(dumps({"event": "event_not_newer", "sourceEventId": order.event_id, "keys": _plain(keys)}))
        return 200, {"stale": True, "keys": _plain(keys),
                     "message": "the item already holds this event or a newer one; nothing written"}
    entry, eid, revision = written
    if not _publish(entry, eid):
        # The item is stored; a client retry re-writes it and publishes a fresh event.
        return 502, {"message": "item stored but its ItemUpserted event could not be published; retry the request",
                     "eventId": eid, "version": revision}
    logger.info(dumps({"event": "item_upserted", "eventId": eid, "version": revision, "keys": _plain(keys),
                       **({"caller": caller.subject} if caller is not None else {})}))
    return 200, {"item": _plain(item), "eventId": eid, "version": revision}


def _route(method: str, path: str, body, headers, order: Ordering | None) -> tuple[int, dict]:
    method = (method or "").upper()
    parts = [_segment(p) for p in path.split("?", 1)[0].strip("/").split("/")]
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
        return _get(config, keys) if method == "GET" else _put(config, keys, body, headers, caller, order)
    raise ApiError(404, f"no route for {method} {path.split('?', 1)[0]}")


def handle(method: str, path: str, body: bytes | str | None = None,
           headers: Mapping[str, str] | None = None, *, order: Ordering | None = None) -> tuple[int, dict]:
    """`order`: a PUT that applies an event (lambda_handler, trigger events) is stored only when
    the event is newer than what the item holds (see Ordering); a PUT without it always writes."""
    try:
        return _route(method, path or "/", body, headers, order)
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
