"""Glue PySpark job: raw JSON/CSV -> curated Parquet partitioned by ``ingest_date``.

Job arguments:
  --JOB_NAME          set by Glue
  --source_path       s3://bucket/prefix (or one object) with raw JSON or CSV
  --target_path       s3://bucket/prefix for the Parquet output
  --source_format     json | csv (optional; inferred from the path suffix, default json)
  --required_fields   comma-separated fields a record must have (optional)
  --timestamp_field   column ``ingest_date`` is derived from (optional; else run time)
  --rejected_path     s3 prefix where rejected records are written as JSON with their reason
                      (optional; without it they are only counted in the log)

Job bookmarks (``--job-bookmark-option job-bookmark-enable``) skip files already processed:
the source is read through a DynamicFrame with a ``transformation_ctx`` and the run ends with
``Job.commit()``. The record logic lives in ``transform.py``; ship it with
``--extra-py-files s3://.../transform.py``. awsglue/pyspark are imported inside ``main()``
only, so this module imports (and its helpers are tested) without Glue.

Exactly-once output (why not simply append, or overwrite partitions)
--------------------------------------------------------------------
The bookmark only advances at ``Job.commit()``. A run that fails after Spark has written
(the rejected-records write, the bookmark commit, a timeout) leaves the bookmark where it
was, so the next run reads the same files again: with ``mode("append")`` their rows landed
twice. Spark's dynamic partition overwrite (``partitionOverwriteMode=dynamic``) is not the
fix here: with bookmarks every run carries only the *new* files, and two runs routinely
produce rows for the same ``ingest_date``, so overwriting the partitions a run produces
would delete the rows earlier runs wrote there.

So each run writes below a run-scoped staging prefix (``<target>/_staging/<JOB_RUN_ID>/``, and
the same under the rejected path), which nothing reads, and publishes only after the
bookmark is committed:

1. ``recover``: roll forward any earlier run that committed its bookmark but did not finish
   publishing (its manifest exists), then delete every other staged object (runs that died
   before committing: their input is read again now). ``MaxConcurrentRuns=1`` on the job
   keeps a live run's staging out of reach.
2. Spark writes the curated Parquet and the rejected JSON into this run's staging prefixes.
3. ``commit_run``: write a manifest (staged object -> final key), ``Job.commit()`` (if that
   fails the manifest is deleted and nothing is published), then ``publish``: copy each
   staged object to its final key and delete the staging. Final keys keep Spark's file
   names (unique per write), so a repeated publish overwrites the same objects instead of
   adding rows, and files of other runs are never touched.

What remains: a driver killed in the milliseconds between the manifest write and the
bookmark commit leaves a manifest for input that will be read again (one duplicate batch).
"""
from __future__ import annotations

import json
import posixpath
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import transform

REQUIRED_ARGS = ["JOB_NAME", "source_path", "target_path"]
OPTIONAL_ARGS = ["source_format", "required_fields", "timestamp_field", "rejected_path", "JOB_RUN_ID"]
STAGING_SUFFIX = "_staging/"
MANIFEST_NAME = "_manifest.json"


def optional_args(argv: list[str]) -> list[str]:
    """getResolvedOptions fails on absent names, so only ask for those present."""
    return [name for name in OPTIONAL_ARGS if f"--{name}" in argv]


def infer_format(source_path: str, explicit: str | None = None) -> str:
    fmt = (explicit or "").strip().lower()
    if not fmt:
        lowered = source_path.lower().rstrip("/")
        fmt = "csv" if lowered.endswith(".csv") else "json"
    if fmt not in ("json", "csv"):
        raise ValueError(f"--source_format must be json or csv, got {fmt!r}")
    return fmt


def _rejected_line(row: Any, reason: str) -> str:
    try:
        return json.dumps({"reason": reason, "record": row}, default=str)
    except (ValueError, TypeError, RecursionError):  # e.g. an int beyond 4300 digits, a cycle
        try:
            shown = repr(row)[:100_000]
        except Exception:  # noqa: BLE001 - nested too deeply, an int beyond 4300 digits...
            shown = f"<{type(row).__name__} that cannot be written out>"
        return json.dumps({"reason": reason, "record": shown})


def apply_transform(rows: Iterable[dict], required: tuple[str, ...], timestamp_field: str | None,
                    now_iso: str) -> Iterator[tuple[bool, str]]:
    """Per-partition function: (is_valid, JSON line) pairs; rejected lines carry the reason.
    Exactly one pair per row: a row the transform or the JSON encoding cannot handle is
    rejected with the error, so one odd record never fails the run (which would read the same
    input again and fail again, forever)."""
    now = datetime.fromisoformat(now_iso)
    for row in rows:
        try:
            clean, reason = transform.transform_record(row, required, timestamp_field, now)
            if clean is not None:
                yield True, json.dumps(clean, default=str)
                continue
        except Exception as exc:  # noqa: BLE001 - see the docstring
            reason = f"unexpected error: {exc!r}"[:1000]
        yield False, _rejected_line(row, reason)


# --- run-scoped staging and publication (boto3 only; tested with moto) ----------------------

def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix/``)."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    prefix = prefix.lstrip("/")
    return bucket, (prefix if not prefix or prefix.endswith("/") else prefix + "/")


def staging_root(output_uri: str) -> str:
    """Where runs stage their output for ``output_uri``: a ``_staging/`` folder inside
    it (``s3://b/batch/`` -> ``s3://b/batch/_staging/``), so the job's write permission on the
    output prefix covers it; Hive-style readers skip ``_``-prefixed folders."""
    bucket, prefix = split_s3_uri(output_uri)
    return f"s3://{bucket}/{prefix}{STAGING_SUFFIX}"


def run_staging(output_uri: str, run_id: str) -> str:
    if not run_id or "/" in run_id:
        raise ValueError(f"unusable run id {run_id!r}")
    return f"{staging_root(output_uri)}{run_id}/"


def _list(s3, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def _is_marker(relative_key: str) -> bool:
    """Spark/Hadoop bookkeeping (``_SUCCESS``, ``_temporary/``, ``.crc``) is never published."""
    return any(part.startswith(("_", ".")) for part in relative_key.split("/"))


def build_manifest(s3, run_id: str, outputs: Iterable[str]) -> dict:
    """Map every data object staged by this run under each output to its final key."""
    objects = []
    for output in outputs:
        s_bucket, s_prefix = split_s3_uri(run_staging(output, run_id))
        f_bucket, f_prefix = split_s3_uri(output)
        for key in sorted(_list(s3, s_bucket, s_prefix)):
            relative = key[len(s_prefix):]
            if relative and not _is_marker(relative):
                objects.append({"from": f"s3://{s_bucket}/{key}", "to": f"s3://{f_bucket}/{f_prefix}{relative}"})
    return {"runId": run_id, "outputs": list(outputs), "objects": objects}


def _manifest_uri(outputs: list[str], run_id: str) -> str:
    return run_staging(outputs[0], run_id) + MANIFEST_NAME


def _delete_prefix(s3, uri: str) -> int:
    bucket, prefix = split_s3_uri(uri)
    keys = _list(s3, bucket, prefix)
    for start in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                 "Quiet": True})
    return len(keys)


def publish(s3, manifest: dict) -> int:
    """Copy each staged object to its final key, then drop the run's staging (manifest last).
    Safe to repeat: the same staged object always lands on the same final key."""
    for entry in manifest["objects"]:
        src_bucket, _, src_key = entry["from"][len("s3://"):].partition("/")
        dst_bucket, _, dst_key = entry["to"][len("s3://"):].partition("/")
        # managed copy: multipart (UploadPartCopy) above 8 MB, so objects over 5 GB work too
        s3.copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key)
    manifest_uri = _manifest_uri(manifest["outputs"], manifest["runId"])
    for output in manifest["outputs"]:
        bucket, prefix = split_s3_uri(run_staging(output, manifest["runId"]))
        keys = [k for k in _list(s3, bucket, prefix) if f"s3://{bucket}/{k}" != manifest_uri]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                     "Quiet": True})
    bucket, _, key = manifest_uri[len("s3://"):].partition("/")
    s3.delete_object(Bucket=bucket, Key=key)
    return len(manifest["objects"])


def recover(s3, outputs: list[str]) -> dict:
    """Start of a run: finish publishing runs whose bookmark was committed (they left a
    manifest), then delete what runs that failed earlier staged (their input is read again)."""
    bucket, prefix = split_s3_uri(staging_root(outputs[0]))
    manifests = sorted(k for k in _list(s3, bucket, prefix) if posixpath.basename(k) == MANIFEST_NAME)
    rolled_forward = []
    for key in manifests:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        publish(s3, manifest)
        rolled_forward.append(manifest["runId"])
    discarded = sum(_delete_prefix(s3, staging_root(output)) for output in outputs)
    return {"rolledForward": rolled_forward, "discardedObjects": discarded}


def commit_run(s3, job: Any, run_id: str, outputs: list[str]) -> int:
    """Manifest, bookmark commit, publish -- in that order (see the module docstring)."""
    manifest = build_manifest(s3, run_id, outputs)
    bucket, _, key = _manifest_uri(outputs, run_id)[len("s3://"):].partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode(), ContentType="application/json")
    try:
        job.commit()
    except BaseException:
        # Bookmark not advanced: this input is read again by the next run, so this run's
        # output must never be published (recover() then discards its staging).
        s3.delete_object(Bucket=bucket, Key=key)
        raise
    return publish(s3, manifest)


def output_paths(args: dict) -> list[str]:
    """Outputs a run publishes: the curated target first (it holds the manifests)."""
    return [args["target_path"]] + ([args["rejected_path"]] if args.get("rejected_path") else [])


def main(argv: list[str] | None = None) -> None:
    from awsglue.context import GlueContext  # noqa: PLC0415 - only available inside Glue
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    argv = list(sys.argv if argv is None else argv)
    args = getResolvedOptions(argv, REQUIRED_ARGS + optional_args(argv))
    fmt = infer_format(args["source_path"], args.get("source_format"))
    required = transform.parse_list(args.get("required_fields"))
    timestamp_field = args.get("timestamp_field") or None
    now_iso = datetime.now(timezone.utc).isoformat()

    import boto3  # noqa: PLC0415 - kept next to the Glue imports; the helpers take a client

    run_id = args.get("JOB_RUN_ID") or f"run-{uuid.uuid4().hex}"
    outputs = output_paths(args)
    s3 = boto3.client("s3")

    sc = SparkContext.getOrCreate()
    glue_context = GlueContext(sc)
    spark = glue_context.spark_session
    logger = glue_context.get_logger()
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    logger.info(json.dumps({"recovered": recover(s3, outputs), "runId": run_id}))

    format_options = {"withHeader": True} if fmt == "csv" else {}
    source = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [args["source_path"]], "recurse": True},
        format=fmt,
        format_options=format_options,
        transformation_ctx="raw_source",  # the bookmark key
    )
    df = source.toDF()
    if df.rdd.isEmpty():
        logger.info("no new input (bookmark up to date)")
        job.commit()
        return

    tagged = df.rdd.map(lambda r: r.asDict(recursive=True)).mapPartitions(
        lambda rows: apply_transform(rows, required, timestamp_field, now_iso)
    ).cache()
    valid = tagged.filter(lambda t: t[0]).map(lambda t: t[1])
    rejected = tagged.filter(lambda t: not t[0]).map(lambda t: t[1])

    # Into this run's own staging prefix ("overwrite" only ever replaces this run's attempt);
    # commit_run publishes it after the bookmark commit.
    if not valid.isEmpty():
        (spark.read.json(valid).write.mode("overwrite").partitionBy(transform.INGEST_DATE)
         .parquet(run_staging(args["target_path"], run_id)))
    rejected_count = rejected.count()
    if rejected_count and args.get("rejected_path"):
        spark.read.json(rejected).write.mode("overwrite").json(run_staging(args["rejected_path"], run_id))
    logger.info(json.dumps({"valid": valid.count(), "rejected": rejected_count}))
    published = commit_run(s3, job, run_id, outputs)
    logger.info(json.dumps({"published": published, "runId": run_id}))


if __name__ == "__main__":
    main()
