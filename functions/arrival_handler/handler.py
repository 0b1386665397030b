"""Raw-zone arrival handler for S3 "Object Created" events delivered by EventBridge.

Files land under ``sftp/<user>/...`` (Transfer Family) or ``batch/...``. Each file is
validated; a bad file is copied to ``<QUARANTINE_PREFIX><original key>`` with metadata
``quarantine-reason`` and then deleted, a good file stays where it is and starts the Glue
crawler or ETL job. Every file therefore ends up exactly once: in place or in quarantine.
Objects already under the quarantine prefix are ignored (their own Object Created event
must not quarantine them again). Failures to copy/delete/start raise so EventBridge retries;
a retry is safe because the copy targets a fixed key.

Keys arrive exactly as stored: S3 -> EventBridge events carry the plain key (unlike S3 event
notifications to SNS/SQS/Lambda, which URL-encode it), so the key is never decoded here.
An object that is gone (HeadObject 404, or 403 because the role's ListBucket is prefix-scoped)
is "missing", not an error: retrying could never make it reappear.

Validation: allowed suffix, 0 < size <= MAX_OBJECT_BYTES, and for .json/.jsonl/.csv the first
64 KiB must parse (csv needs a header row); .parquet must carry the PAR1 magic bytes.
Lines end at "\\n", "\\r\\n" or "\\r" only (what Spark/Hadoop's line reader and the JSON Lines
format use), never at U+2028, U+0085 or form feed, which JSON and CSV values may contain; a
CSV peek that ends inside a quoted field spanning lines drops that record instead of calling
the file broken; JSON nested deeper than Python parses is quarantined (it cannot be checked).

Every event ends in one outcome, none raised for bad input: an event without a usable bucket
and key (not strings, empty, a key over S3's 1,024 UTF-8 bytes or not valid Unicode) and a
zero-byte "folder" object (key ending in "/") are "ignored"; an object replaced between the
HeadObject and the move (its ETag changed) is "ignored" too, its own event handles the new
one. A quarantine key over 1,024 bytes is shortened to ``<prefix>_long-keys/<sha256>/<tail>``
with the full key's SHA-256 in metadata ``original-key-sha256`` and logged with both keys.

Environment (read on every call):
  ALLOWED_SUFFIXES   comma-separated suffixes, e.g. ".csv,.json,.jsonl,.parquet"
  MAX_OBJECT_BYTES   largest accepted object in bytes
  QUARANTINE_PREFIX  where bad files go (default "quarantine/")
  ON_VALID           crawler | etl | none
  CRAWLER_NAME       Glue crawler to start when ON_VALID=crawler
  ETL_JOB_NAME       Glue job to start when ON_VALID=etl (gets --source_key/--source_path)
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

PEEK_BYTES = 64 * 1024
ON_VALID_CHOICES = ("crawler", "etl", "none")
METRIC_NAMESPACE = "DataDeliveryPlatform/ArrivalHandler"
NOT_FOUND_CODES = ("404", "NoSuchKey", "NotFound")
# HeadObject has no body, so botocore reports a 403 as code "403"; GET-style calls say AccessDenied.
FORBIDDEN_CODES = ("403", "AccessDenied", "Forbidden")
PRECONDITION_CODES = ("412", "PreconditionFailed")
# "Naming Amazon S3 objects" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html):
# a key is a sequence of Unicode characters whose UTF-8 encoding is at most 1,024 bytes long.
MAX_KEY_BYTES = 1024
LONG_KEYS_FOLDER = "_long-keys/"
# Hadoop's LineRecordReader (Spark, Glue) and JSON Lines end lines here and nowhere else.
_LINE_END = re.compile(r"\r\n|\r|\n")
_JSON_WHITESPACE = " \t\r\n"  # RFC 8259: str.strip() would also remove U+2028, U+0085, ...


@dataclass(frozen=True)
class Config:
    allowed_suffixes: tuple[str, ...]
    max_object_bytes: int
    quarantine_prefix: str
    on_valid: str
    crawler_name: str | None
    etl_job_name: str | None


def load_config() -> Config:
    suffixes = tuple(s.strip().lower() for s in os.environ.get("ALLOWED_SUFFIXES", "").split(",") if s.strip())
    if not suffixes:
        raise RuntimeError("arrival_handler misconfigured: ALLOWED_SUFFIXES is empty")
    raw_max = os.environ.get("MAX_OBJECT_BYTES", "").strip()
    try:
        max_bytes = int(raw_max)
    except ValueError:
        raise RuntimeError(f"arrival_handler misconfigured: MAX_OBJECT_BYTES={raw_max!r} is not an integer") from None
    if max_bytes <= 0:
        raise RuntimeError("arrival_handler misconfigured: MAX_OBJECT_BYTES must be positive")
    prefix = os.environ.get("QUARANTINE_PREFIX", "quarantine/").strip()
    if not prefix:
        raise RuntimeError("arrival_handler misconfigured: QUARANTINE_PREFIX must not be empty")
    if not prefix.endswith("/"):
        prefix += "/"
    on_valid = os.environ.get("ON_VALID", "none").strip().lower()
    if on_valid not in ON_VALID_CHOICES:
        raise RuntimeError(f"arrival_handler misconfigured: ON_VALID={on_valid!r}, expected one of {ON_VALID_CHOICES}")
    crawler = os.environ.get("CRAWLER_NAME", "").strip() or None
    job = os.environ.get("ETL_JOB_NAME", "").strip() or None
    if on_valid == "crawler" and not crawler:
        raise RuntimeError("arrival_handler misconfigured: ON_VALID=crawler needs CRAWLER_NAME")
    if on_valid == "etl" and not job:
        raise RuntimeError("arrival_handler misconfigured: ON_VALID=etl needs ETL_JOB_NAME")
    return Config(suffixes, max_bytes, prefix, on_valid, crawler, job)


class Invalid(ValueError):
    """The file must be quarantined; the message is the reason."""


def _decode_peek(data: bytes, truncated: bool) -> str:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        # final=False tolerates a multi-byte character cut at the peek boundary
        return decoder.decode(data, final=not truncated)
    except UnicodeDecodeError as exc:
        raise Invalid(f"content is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _complete_lines(text: str, truncated: bool) -> list[str]:
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines = lines[:-1]
    if truncated and lines and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line was cut by the peek
    return lines


def _json_loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise Invalid("JSON nested too deeply to check") from None


def _check_jsonl(text: str, truncated: bool) -> None:
    lines = [line for line in _complete_lines(text, truncated) if line.strip(_JSON_WHITESPACE)]
    if not lines:
        raise Invalid("no complete JSON line in the first 64 KiB")
    for number, line in enumerate(lines, start=1):
        try:
            _json_loads(line)
        except ValueError:
            raise Invalid(f"line {number} is not valid JSON") from None


def _check_json(text: str, truncated: bool) -> None:
    stripped = text.strip(_JSON_WHITESPACE)
    if not stripped:
        raise Invalid("empty JSON document")
    if not truncated:
        try:
            _json_loads(stripped)
            return
        except Invalid:
            raise
        except ValueError:
            pass
        try:  # many producers write JSON lines with a .json suffix
            _check_jsonl(text, truncated)
            return
        except Invalid:
            raise Invalid("content is neither a JSON document nor JSON lines") from None
    # Larger than the peek: JSON lines must parse line by line; one big document must at
    # least open like one (the rest is checked by the crawler/ETL).
    if stripped[0] in "[":
        return
    if stripped[0] == "{":
        first_line = _LINE_END.split(stripped, 1)[0]
        try:
            _json_loads(first_line)
        except Invalid:
            raise
        except ValueError:
            return  # a multi-line document whose first line alone is not JSON
        _check_jsonl(text, truncated)
        return
    raise Invalid("content does not start like JSON")


def _csv_rows(text: str, truncated: bool) -> list[list[str]]:
    """The complete records of the peek. The csv module ends records only at \\r and \\n (a
    quoted field may span lines); when the peek was cut, the record in progress at its end is
    dropped, also when the cut falls inside a quoted multi-line field."""
    if truncated:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut + 1] if cut >= 0 else ""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if row:
                rows.append(row)
    except csv.Error as exc:
        if not (truncated and "unexpected end of data" in str(exc)):
            raise Invalid(f"CSV does not parse: {exc}") from None
    return rows


def _check_csv(text: str, truncated: bool) -> None:
    rows = _csv_rows(text, truncated)
    if not rows:
        raise Invalid("no CSV header row")
    header = [h.strip() for h in rows[0]]
    if any(not h for h in header):
        raise Invalid("CSV header has an empty column name")
    if len(set(header)) != len(header):
        raise Invalid("CSV header has duplicate column names")
    if all(_is_number(h) for h in header):
        raise Invalid("CSV first row looks like data, not a header")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise Invalid(f"CSV row {number} has {len(row)} fields, header has {len(header)}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _suffix(key: str, allowed: tuple[str, ...]) -> str | None:
    lowered = key.lower()
    matches = [s for s in allowed if lowered.endswith(s)]
    return max(matches, key=len) if matches else None


def validate(s3, bucket: str, key: str, size: int, config: Config, etag: str | None = None) -> None:
    suffix = _suffix(key, config.allowed_suffixes)
    if suffix is None:
        raise Invalid(f"suffix not allowed (allowed: {', '.join(config.allowed_suffixes)})")
    if size <= 0:
        raise Invalid("object is empty")
    if size > config.max_object_bytes:
        raise Invalid(f"object is {size} bytes, larger than the maximum {config.max_object_bytes}")
    if suffix in (".json", ".jsonl", ".csv"):
        body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{PEEK_BYTES - 1}", **_if_match(etag))["Body"].read()
        truncated = size > len(body)
        text = _decode_peek(body, truncated)
        {".json": _check_json, ".jsonl": _check_jsonl, ".csv": _check_csv}[suffix](text, truncated)
    elif suffix == ".parquet":
        head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3", **_if_match(etag))["Body"].read()
        tail = (s3.get_object(Bucket=bucket, Key=key, Range="bytes=-4", **_if_match(etag))["Body"].read()
                if size >= 8 else b"")
        if head != b"PAR1" or tail != b"PAR1":
            raise Invalid("not a Parquet file (missing PAR1 magic)")


def _if_match(etag: str | None) -> dict:
    # Every read and the copy act on the version HeadObject saw: a file replaced meanwhile
    # answers 412 instead of being judged by another file's bytes.
    return {"IfMatch": etag} if etag else {}


def _ascii(text: str, limit: int = 1024) -> str:
    # S3 user metadata must be US-ASCII; control characters cannot go into an HTTP header
    printable = "".join(c if " " <= c <= "~" else "?" for c in text)
    return printable[:limit]


def quarantine_key(key: str, config: Config) -> str:
    """``<prefix><key>``, or when that is over S3's 1,024 UTF-8 bytes, ``<prefix>_long-keys/
    <sha256 of key>/<as much of the key's end as fits>`` (the copy would fail for good otherwise)."""
    target = f"{config.quarantine_prefix}{key}"
    if len(target.encode("utf-8")) <= MAX_KEY_BYTES:
        return target
    head = f"{config.quarantine_prefix}{LONG_KEYS_FOLDER}{hashlib.sha256(key.encode('utf-8')).hexdigest()}/"
    room = MAX_KEY_BYTES - len(head.encode("utf-8"))
    tail = key.encode("utf-8")[-room:].decode("utf-8", "ignore") if room > 0 else ""
    return head + tail


def quarantine(s3, bucket: str, key: str, reason: str, content_type: str | None, config: Config,
               etag: str | None = None) -> str:
    target = quarantine_key(key, config)
    metadata = {"quarantine-reason": _ascii(reason)}
    if target != f"{config.quarantine_prefix}{key}":
        metadata["original-key-sha256"] = hashlib.sha256(key.encode("utf-8")).hexdigest()
        logger.warning(json.dumps({"event": "quarantine_key_shortened", "key": key, "quarantineKey": target}))
    extra = {"Metadata": metadata, "MetadataDirective": "REPLACE"}
    if content_type:
        extra["ContentType"] = content_type
    if etag:
        extra["CopySourceIfMatch"] = etag
    # managed copy: switches to multipart for objects above 5 GB
    s3.copy({"Bucket": bucket, "Key": key}, bucket, target, ExtraArgs=extra)
    s3.delete_object(Bucket=bucket, Key=key)
    return target


def _emit_metric(name: str, bucket: str) -> None:
    """Count an event with CloudWatch embedded metric format: one log line, no extra API call
    or IAM permission (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
    CloudWatch_Embedded_Metric_Format_Specification.html)."""
    print(json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": METRIC_NAMESPACE, "Dimensions": [["Bucket"]],
            "Metrics": [{"Name": name, "Unit": "Count"}]}]},
        "Bucket": bucket, name: 1,
    }), flush=True)


def _head(s3, bucket: str, key: str) -> tuple[dict | None, str | None]:
    """HeadObject the key exactly as the event delivered it.

    The rule that feeds this Lambda is an EventBridge rule on "Object Created" events, whose
    ``detail.object.key`` is the object's key as stored, not URL-encoded
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). Only S3 event
    notifications to SNS/SQS/Lambda URL-encode it ("red flower.jpg" -> "red+flower.jpg",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
    and this function is never such a target. Decoding here would turn a real "a+b.csv" into
    "a b.csv" and act on a different object.

    Returns (head, None) when found, (None, "404" | "403") when the object is gone.
    """
    try:
        return s3.head_object(Bucket=bucket, Key=key), None
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if code in NOT_FOUND_CODES:
            return None, "404"
        if code in FORBIDDEN_CODES:
            # The role may list the bucket only under the arrival prefixes (s3:prefix
            # condition), and S3 evaluates ListBucket for a GET/HEAD without any s3:prefix
            # key, so a missing object answers 403, not 404
            # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). The role
            # has s3:GetObject on every arrival prefix, so an object that exists answers 200;
            # a 403 therefore means "gone" (already quarantined or deleted) and retrying can
            # never succeed. A genuine AccessDenied on an object that exists (say, a bucket
            # policy that denies this role) cannot be told apart from the outside: it is logged
            # with its key and counted (metric HeadObjectForbidden) so an alarm can catch it,
            # instead of being retried until the event lands in the DLQ.
            logger.warning(json.dumps({"event": "head_forbidden", "bucket": bucket, "key": key,
                                       "message": "HeadObject answered 403: treated as gone"}))
            _emit_metric("HeadObjectForbidden", bucket)
            return None, "403"
        raise


def start_downstream(bucket: str, key: str, config: Config) -> dict:
    if config.on_valid == "none":
        return {"started": None}
    glue = boto3.client("glue")
    if config.on_valid == "crawler":
        try:
            glue.start_crawler(Name=config.crawler_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "CrawlerRunningException":
                raise
            return {"started": "crawler", "crawler": config.crawler_name, "alreadyRunning": True}
        return {"started": "crawler", "crawler": config.crawler_name, "alreadyRunning": False}
    run = glue.start_job_run(
        JobName=config.etl_job_name,
        Arguments={"--source_key": key, "--source_bucket": bucket, "--source_path": f"s3://{bucket}/{key}"},
    )
    return {"started": "etl", "job": config.etl_job_name, "jobRunId": run["JobRunId"]}


def _unusable(bucket: Any, key: Any) -> str | None:
    """Why no object can have this bucket/key (so retrying the event could never help), or None."""
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        return "event has no detail.bucket.name / detail.object.key strings"
    try:
        key_bytes = len(key.encode("utf-8"))
        bucket.encode("utf-8")
    except UnicodeEncodeError:
        return "event key or bucket is not valid Unicode (lone surrogate)"
    if key_bytes > MAX_KEY_BYTES:
        return f"event key is {key_bytes} UTF-8 bytes; S3 keys are at most {MAX_KEY_BYTES}"
    return None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code"))


def handler(event: dict, context: Any = None) -> dict:
    config = load_config()
    detail = event.get("detail") if isinstance(event, dict) else None
    try:
        bucket = detail["bucket"]["name"]
        key = detail["object"]["key"]
    except (TypeError, KeyError):
        bucket = key = None
    problem = _unusable(bucket, key)
    if problem is not None:
        # Nothing to act on; raising would only make EventBridge retry a malformed event.
        logger.error(json.dumps({"event": "malformed_event", "reason": problem,
                                 "eventId": str(event.get("id"))[:200] if isinstance(event, dict) else None}))
        return {"action": "ignored", "reason": problem}

    result: dict[str, Any] = {"bucket": bucket, "key": key}
    if key.startswith(config.quarantine_prefix):
        result.update(action="ignored", reason="already in quarantine")
        logger.info(json.dumps({"event": "arrival", **result}))
        return result

    s3 = boto3.client("s3")
    head, gone = _head(s3, bucket, key)
    if head is None:
        # Already moved by an earlier delivery of the same event: nothing left to do.
        result.update(action="missing", reason="object no longer exists", headStatus=int(gone))
        logger.info(json.dumps({"event": "arrival", **result}))
        return result
    size = int(head.get("ContentLength", 0))
    etag = head.get("ETag")
    if key.endswith("/") and size == 0:
        # What the console's "Create folder" writes: no data, nothing to validate or move.
        result.update(action="ignored", reason="folder marker (zero bytes, key ends with '/')")
        logger.info(json.dumps({"event": "arrival", **result}))
        return result

    try:
        try:
            validate(s3, bucket, key, size, config, etag)
        except Invalid as exc:
            target = quarantine(s3, bucket, key, str(exc), head.get("ContentType"), config, etag)
            result.update(action="quarantined", reason=str(exc), quarantineKey=target)
            logger.warning(json.dumps({"event": "arrival", **result}))
            return result
    except ClientError as exc:
        if _code(exc) not in PRECONDITION_CODES:
            raise
        # Overwritten since HeadObject: the new object raised its own event, which judges it.
        result.update(action="ignored", reason="object replaced while being checked; its own event handles it")
        logger.info(json.dumps({"event": "arrival", **result}))
        return result

    result.update(action="accepted", **start_downstream(bucket, key, config))
    logger.info(json.dumps({"event": "arrival", **result}))
    return result
