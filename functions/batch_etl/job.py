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
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Iterable, Iterator

import transform

REQUIRED_ARGS = ["JOB_NAME", "source_path", "target_path"]
OPTIONAL_ARGS = ["source_format", "required_fields", "timestamp_field", "rejected_path"]


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


def apply_transform(rows: Iterable[dict], required: tuple[str, ...], timestamp_field: str | None,
                    now_iso: str) -> Iterator[tuple[bool, str]]:
    """Per-partition function: (is_valid, JSON line) pairs; rejected lines carry the reason."""
    now = datetime.fromisoformat(now_iso)
    for row in rows:
        clean, reason = transform.transform_record(row, required, timestamp_field, now)
        if clean is None:
            yield False, json.dumps({"reason": reason, "record": row}, default=str)
        else:
            yield True, json.dumps(clean, default=str)


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

    sc = SparkContext.getOrCreate()
    glue_context = GlueContext(sc)
    spark = glue_context.spark_session
    logger = glue_context.get_logger()
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

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

    if not valid.isEmpty():
        (spark.read.json(valid).write.mode("append").partitionBy(transform.INGEST_DATE)
         .parquet(args["target_path"]))
    rejected_count = rejected.count()
    if rejected_count and args.get("rejected_path"):
        spark.read.json(rejected).write.mode("append").json(args["rejected_path"])
    logger.info(json.dumps({"valid": valid.count(), "rejected": rejected_count}))
    job.commit()


if __name__ == "__main__":
    main()
