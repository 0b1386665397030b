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
written. So does everything DynamoDB would refuse however often it is retried, checked before
the write with DynamoDB's own rules (see ``_check_value``): NaN/Infinity, numbers beyond 38
significant digits or outside 1E-130..9.99E+125, lone surrogates, empty attribute names, values
nested deeper than 32 levels, key values over 2048/1024 bytes, items over 400 KB (counted as
DynamoDB counts them), attribute names the writer itself sets (``_last_event_id``, ``_version``,
``_event_time``), event times outside years 1..9999 in UTC or more than 15 minutes ahead (such
an item would win every later comparison). A ``ValidationException`` from DynamoDB (e.g. a key
of the wrong type for the table) is permanent too: dead-lettered with DynamoDB's message.
Throttling, 5xx and other AWS errors are transient: raised (single event, so it is retried) or
reported as ``batchItemFailures`` (SQS batch, so only those messages are retried). A record that
breaks this code in a way not foreseen is dead-lettered with the error, never allowed to fail
the rest of its batch.

Numbers stay exact where this function sees their text: SQS bodies are parsed with ``Decimal``.
A directly invoked event was parsed by the Lambda runtime (simplejson, floats), so a number
with more than 17 significant digits has lost precision before this code runs.

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
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

META_EVENT_ID = "_last_event_id"
META_VERSION = "_version"
META_TIME = "_event_time"
META_NAMES = (META_EVENT_ID, META_VERSION, META_TIME)
# SQS queues created before 2026-01-29 default to a 256 KiB MaximumMessageSize (1 MiB since, per the
# AWS Compute Blog "serverless services now support payloads up to 1 MB"); stay under the older.
MAX_DLQ_BODY = 250_000

# DynamoDB limits ("Constraints in Amazon DynamoDB",
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html, and "Supported
# data types and naming rules", .../HowItWorks.NamingRulesDataTypes.html):
MAX_ITEM_BYTES = 400 * 1024          # item size; 1 KB = 1024 bytes in DynamoDB's units
MAX_PARTITION_KEY_BYTES = 2048       # partition key value
MAX_SORT_KEY_BYTES = 1024            # sort key value
MAX_NESTING = 32                     # nested attribute depth, the top-level attribute being level 1
MAX_NUMBER_DIGITS = 38               # significant digits (leading and trailing zeros are trimmed)
MIN_NUMBER_EXPONENT, MAX_NUMBER_EXPONENT = -130, 125  # 1E-130 .. 9.9999999999999999999999999999999999999E+125
# An event time further ahead than this is a producer's clock or bug: stored, it would out-rank
# every real update of the item until the clock caught up. AWS refuses signed requests from
# clocks that far off ("a request must reach AWS within five minutes of the time stamp in the
# request", IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html),
# so 15 minutes is well beyond any producer that can call PutEvents at all.
MAX_FUTURE_SKEW = timedelta(minutes=15)
# Codes that say "this request can never succeed" (as opposed to throttling / 5xx).
PERMANENT_DYNAMODB_ERRORS = ("ValidationException",)


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


def loads(text: str) -> Any:
    """An SQS body as JSON, every number an exact Decimal (no float on the way)."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)


def _show(value: Any) -> str:
    text = ascii(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _utf8_len(text: str, where: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidEvent(f"{where}: {_show(text)} contains a lone surrogate (not valid Unicode)") from None


def storable_number(value: Any, where: str) -> Decimal:
    """``value`` as the Decimal DynamoDB stores, trailing zeros trimmed exactly (boto3's
    serializer refuses more than 38 digits even when they are zeros); InvalidEvent if DynamoDB
    cannot store it."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEvent(f"{where}: NaN or Infinity cannot be stored")
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        number = value
    if not number.is_finite():
        raise InvalidEvent(f"{where}: NaN or Infinity cannot be stored")
    sign, digits, exponent = number.as_tuple()
    if not any(digits):
        return Decimal(0)
    end = len(digits)
    while digits[end - 1] == 0:
        end -= 1
    start = 0
    while digits[start] == 0:
        start += 1
    significant = digits[start:end]
    exponent += len(digits) - end
    if len(significant) > MAX_NUMBER_DIGITS:
        raise InvalidEvent(f"{where}: {len(significant)} significant digits; DynamoDB stores at most "
                           f"{MAX_NUMBER_DIGITS}")
    adjusted = exponent + len(significant) - 1
    if not MIN_NUMBER_EXPONENT <= adjusted <= MAX_NUMBER_EXPONENT:
        raise InvalidEvent(f"{where}: magnitude 1E{adjusted:+d} is outside DynamoDB's 1E-130 .. 9.99E+125")
    return Decimal((sign, significant, exponent))


def _check_value(value: Any, where: str, level: int) -> tuple[Any, int]:
    """(value as boto3 stores it, its size as DynamoDB counts it) or InvalidEvent.

    Sizes per "DynamoDB item sizes and formats"
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
    strings their UTF-8 bytes, numbers 1 byte per two significant digits + 1, null and booleans
    1 byte, lists and maps 3 bytes + 1 byte per element + their elements (a map element also
    its name's UTF-8 bytes). ``level`` counts the top-level attribute as 1."""
    if level > MAX_NESTING:
        raise InvalidEvent(f"{where}: nested deeper than DynamoDB's {MAX_NESTING} levels")
    if value is None or isinstance(value, bool):
        return value, 1
    if isinstance(value, str):
        return value, _utf8_len(value, where)
    if isinstance(value, (int, float, Decimal)):
        number = storable_number(value, where)
        return number, (len(number.as_tuple().digits) + 1) // 2 + 1
    if isinstance(value, dict):
        out, size = {}, 3
        for name, element in value.items():
            if not isinstance(name, str) or name == "":
                raise InvalidEvent(f"{where}: attribute names must be non-empty strings")
            converted, element_size = _check_value(element, f"{where}.{name}", level + 1)
            out[name] = converted
            size += _utf8_len(name, f"{where}: attribute name") + element_size + 1
        return out, size
    if isinstance(value, (list, tuple)):
        out_list, size = [], 3
        for index, element in enumerate(value):
            converted, element_size = _check_value(element, f"{where}[{index}]", level + 1)
            out_list.append(converted)
            size += element_size + 1
        return out_list, size
    raise InvalidEvent(f"{where}: a {type(value).__name__} cannot be stored")


def _check_item(item: dict) -> tuple[dict, int]:
    out, size = {}, 0
    for name, value in item.items():
        if not isinstance(name, str) or name == "":
            raise InvalidEvent("attribute names must be non-empty strings")
        if name in META_NAMES:
            raise InvalidEvent(f"attribute {name!r} is set by the writer itself; an event must not carry it")
        converted, value_size = _check_value(value, name, 1)
        out[name] = converted
        size += _utf8_len(name, "attribute name") + value_size
    return out, size


def _check_key(name: str, value: Any, max_bytes: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (str, Decimal)):
        raise InvalidEvent(f"key attribute {name!r} must be a non-empty string or an integer/number")
    if isinstance(value, str):
        if value == "":
            raise InvalidEvent(f"key attribute {name!r} must be a non-empty string or an integer/number")
        if len(value.encode("utf-8")) > max_bytes:
            raise InvalidEvent(f"key attribute {name!r} is longer than DynamoDB's {max_bytes} bytes")


def _format_time(moment: datetime) -> str:
    # Zero-padded year: strftime("%Y") gives "999" on Linux, which sorts after "2024" as text.
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond:06d}Z")


def _normalise_time(value: Any, now: datetime | None = None) -> str:
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
        raise InvalidEvent(f"time {_show(value)} is not ISO-8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        moment = parsed.astimezone(timezone.utc)
    except OverflowError:
        raise InvalidEvent(f"time {_show(value)} is outside years 1..9999 in UTC") from None
    now = now or datetime.now(timezone.utc)
    if moment > now + MAX_FUTURE_SKEW:
        raise InvalidEvent(f"time {_show(value)} is more than {int(MAX_FUTURE_SKEW.total_seconds() // 60)} "
                           "minutes in the future")
    return _format_time(moment)


def parse_event(event: Any, config: Config) -> Upsert:
    if not isinstance(event, dict):
        raise InvalidEvent(f"event is a {type(event).__name__}, not an object")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent("event has no 'detail' object")
    event_id = detail.get("eventId", event.get("id"))
    if not isinstance(event_id, str) or not event_id.strip():
        raise InvalidEvent("event has no string 'detail.eventId' or 'id'")
    _utf8_len(event_id, "event id")
    # Producers may send {"item": {...}} (as ods_api does) or the attributes directly in detail.
    # Only in the second case are eventId/item/keys the envelope: inside detail.item they are
    # the item's own attributes and are kept.
    if isinstance(detail.get("item"), dict):
        source = detail["item"]
    else:
        source = {k: v for k, v in detail.items() if k not in ("eventId", "item", "keys")}
    item, size = _check_item(source)
    for key, limit in ((config.partition_key, MAX_PARTITION_KEY_BYTES), (config.sort_key, MAX_SORT_KEY_BYTES)):
        if key is None:
            continue
        if key not in item:
            raise InvalidEvent(f"detail is missing key attribute {key!r}")
        _check_key(key, item[key], limit)
    version = detail.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, (int, float, Decimal)):
        raise InvalidEvent("detail.version must be a number")
    version = storable_number(version, "detail.version")
    time = _normalise_time(event.get("time", detail.get("time")))
    size += sum(len(name) for name in META_NAMES) + _utf8_len(event_id, "event id") + len(time)
    size += (len(version.as_tuple().digits) + 1) // 2 + 1
    if size > MAX_ITEM_BYTES:
        raise InvalidEvent(f"item is {size} bytes as DynamoDB counts them; DynamoDB stores at most "
                           f"{MAX_ITEM_BYTES} (400 KB)")
    item[META_EVENT_ID] = event_id
    item[META_VERSION] = version
    item[META_TIME] = time
    return Upsert(event_id=event_id, item=item, version=version, time=time)


def _table(config: Config):
    return boto3.resource("dynamodb").Table(config.table_name)


class Refused(Exception):
    """DynamoDB refused the write for good (e.g. a key of the wrong type for the table)."""


def write(upsert: Upsert, config: Config, table) -> str:
    """Conditional upsert; returns 'written', 'duplicate' or 'stale'; Refused on a permanent
    DynamoDB error, other AWS errors propagate."""
    names = {"#pk": config.partition_key, "#ver": META_VERSION, "#time": META_TIME, "#last": META_EVENT_ID}
    values = {":ver": upsert.version, ":time": upsert.time, ":eid": upsert.event_id, ":n": "N", ":s": "S"}
    # An ordering attribute of another type (written by something else) would make every
    # comparison false and every later event "stale" forever: such an item is overwritten.
    condition = (
        "attribute_not_exists(#pk) OR attribute_not_exists(#ver) OR NOT attribute_type(#ver, :n)"
        " OR #ver < :ver"
        " OR (#ver = :ver AND (NOT attribute_type(#time, :s) OR #time < :time))"
        " OR (#ver = :ver AND #time = :time AND (NOT attribute_type(#last, :s) OR #last < :eid))"
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
        code = exc.response.get("Error", {}).get("Code")
        if code in PERMANENT_DYNAMODB_ERRORS:
            raise Refused(f"DynamoDB refused the item: {exc.response.get('Error', {}).get('Message', code)}") from exc
        if code != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item") or {}
        old_id = (old.get(META_EVENT_ID) or {}).get("S")
        return "duplicate" if old_id == upsert.event_id else "stale"
    return "written"


def _number_json(value: Decimal | float) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return '"NaN"'
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"  # valid JSON that still reads as +-Infinity
        return repr(value)
    if value.is_nan():
        return '"NaN"'
    if value.is_infinite():
        return "1e999" if value > 0 else "-1e999"
    return str(value)


def dumps(value: Any, depth: int = 0) -> str:
    """JSON for the DLQ: ASCII (SQS accepts only some Unicode; lone surrogates become escapes),
    Decimals exactly as parsed, never NaN/Infinity tokens. Past 100 levels (DynamoDB stores 32) a placeholder string."""
    if depth > 100:
        return json.dumps(f"<{type(value).__name__} nested deeper than 100 levels, not written>")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (float, Decimal)):
        return _number_json(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() < 4000 else json.dumps(hex(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v, depth + 1) for v in value) + "]"
    return json.dumps(str(value))


def dead_letter(reason: str, event: Any, config: Config, sqs) -> None:
    body = dumps({"reason": reason, "event": event})
    if len(body.encode("utf-8")) > MAX_DLQ_BODY:
        preview = dumps(event)[:100_000]
        body = dumps({"reason": reason, "event": None, "eventTruncated": preview})
    sqs.send_message(QueueUrl=config.dlq_url, MessageBody=body)
    logger.warning(json.dumps({"event": "dead_lettered", "reason": reason}))


def process(event: Any, config: Config, table, sqs) -> str:
    """Returns 'written', 'duplicate', 'stale' or 'dead_lettered'; transient AWS errors propagate."""
    try:
        upsert = parse_event(event, config)
        outcome = write(upsert, config, table)
    except (InvalidEvent, Refused) as exc:
        dead_letter(str(exc), event, config, sqs)
        return "dead_lettered"
    except (ClientError, BotoCoreError):
        raise
    except Exception as exc:  # noqa: BLE001 - an unforeseen input must not fail forever
        logger.exception(json.dumps({"event": "unexpected_error", "error": repr(exc)[:500]}))
        dead_letter(f"unexpected error: {exc!r}"[:1000], event, config, sqs)
        return "dead_lettered"
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
                    inner = loads(body)
                except RecursionError:
                    dead_letter("SQS body is JSON nested too deeply", body, config, sqs)
                    outcome = "dead_lettered"
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
