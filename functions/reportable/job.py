"""Glue 5.0 PySpark job: curated Parquet -> each declared dataset's Apache Iceberg table.

Job arguments (all required but JOB_RUN_ID):
  --JOB_NAME          set by Glue
  --datasets          JSON list of dataset descriptions (transform.parse_datasets)
  --source_path       curated Parquet, e.g. s3://retail-orders-curated/batch/
  --quarantine_path   prefix for rejected records, e.g. s3://retail-orders-curated/quarantine/reportable/
  --database          Glue database holding the datasets' Iceberg tables (table name = dataset name)
  --warehouse         Iceberg warehouse of the glue_catalog, e.g. s3://retail-orders-reportable/
  --event_bus_name    EventBridge bus for "Dataset Published"
  --event_source      the events' Source, e.g. retail.orders
  --metric_namespace  CloudWatch namespace of QualityScore / RowsPublished / RowsRejected
  --data_product      the DataProduct metric dimension
  --JOB_RUN_ID        set by Glue (optional: a random id otherwise)

Needs ``--datalake-formats iceberg`` (Glue ships the Iceberg runtime) and
``--job-bookmark-option job-bookmark-enable``; ship ``transform.py`` as ``--extra-py-files``.

A run:
1. parses ``--datasets`` (a malformed argument fails before Spark starts), starts Spark with the
   Iceberg extensions and the Glue Data Catalog as catalog ``glue_catalog``;
2. for every dataset, computes the DDL that brings its table to the declared schema
   (``transform.schema_changes`` against the table's columns and its ``ddp.dataset_version``
   property) and only when none conflicts runs it all: a refused change fails the run before
   anything is read or written;
3. reads the curated Parquet added since the last run (job bookmark, ``transformation_ctx``),
   skipping batch_etl's ``_staging/``;
4. per dataset: shapes every record (``transform.tag_records`` in ``mapPartitions``), evaluates
   the dataset's Glue Data Quality ruleset (if it names one) on the shaped rows, and, when the
   score reaches ``min_score``, appends them to the table. Rejected records -- and the whole batch
   when the score is too low -- go to ``<quarantine_path><dataset>/run=<run id>/`` as JSON lines
   with their reason. Then PutMetricData and, after an append, a "Dataset Published" event;
5. commits the bookmark last.

Retries: until the bookmark commit, a failed run leaves its input to be read again. Each append
records a fingerprint of its rows in the Iceberg snapshot summary (``ddp.batch-fingerprint``); a
rerun that produces the same rows for a dataset finds that snapshot and does not append again
(the metrics and the event are sent again: consumers get at-least-once events). awsglue,
awsgluedq and pyspark are imported inside functions only, so this module imports without Glue.
"""
from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

import transform

REQUIRED_ARGS = ["JOB_NAME", "datasets", "source_path", "quarantine_path", "database", "warehouse",
                 "event_bus_name", "event_source", "metric_namespace", "data_product"]
OPTIONAL_ARGS = ["JOB_RUN_ID"]
# batch_etl stages each run's output under <target>/_staging/ until it publishes it.
SOURCE_EXCLUSIONS = ["**/_staging/**", "**/_SUCCESS"]
# PutMetricData takes up to 1000 metrics per call.
METRICS_PER_CALL = 1000


class PublishError(RuntimeError):
    """EventBridge refused the "Dataset Published" entry."""


def optional_args(argv: list[str]) -> list[str]:
    """getResolvedOptions fails on absent names, so only ask for those present."""
    return [name for name in OPTIONAL_ARGS if f"--{name}" in argv]


def iceberg_conf(warehouse: str) -> dict[str, str]:
    """Spark settings for Iceberg with the Glue Data Catalog as ``glue_catalog`` (static SQL
    settings: they must be in the SparkConf the context starts with)."""
    if not warehouse.startswith("s3://"):
        raise ValueError(f"--warehouse must be an s3:// URI, got {warehouse!r}")
    catalog = f"spark.sql.catalog.{transform.CATALOG}"
    return {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        catalog: "org.apache.iceberg.spark.SparkCatalog",
        f"{catalog}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"{catalog}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{catalog}.warehouse": warehouse,
    }


def quarantine_prefix(quarantine_path: str, dataset: str, run_id: str) -> str:
    """``<quarantine_path><dataset>/run=<run id>/``."""
    if not quarantine_path.startswith("s3://"):
        raise ValueError(f"--quarantine_path must be an s3:// URI, got {quarantine_path!r}")
    if not run_id or "/" in run_id:
        raise ValueError(f"unusable run id {run_id!r}")
    return f"{quarantine_path.rstrip('/')}/{dataset}/run={run_id}/"


# --- AWS calls (boto3 clients passed in; tested with moto) --------------------------------------

def fetch_ruleset(glue: Any, name: str) -> str:
    """The DQDL text of a Glue Data Quality ruleset."""
    return glue.get_data_quality_ruleset(Name=name)["Ruleset"]


def publish(events: Any, cloudwatch: Any, *, namespace: str, metric_data: Sequence[dict],
            entry: dict | None = None) -> str | None:
    """PutMetricData, then (if given) PutEvents of the one entry; returns its event id. A refused
    entry (FailedEntryCount) raises PublishError: the run fails before its bookmark commit."""
    for start in range(0, len(metric_data), METRICS_PER_CALL):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=list(metric_data[start:start + METRICS_PER_CALL]))
    if entry is None:
        return None
    response = events.put_events(Entries=[entry])
    result = response["Entries"][0]
    if response.get("FailedEntryCount") or "EventId" not in result:
        raise PublishError(f"PutEvents refused the {entry.get('DetailType')} entry: "
                           f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}")
    return result["EventId"]


# --- Spark steps (run only inside Glue) ---------------------------------------------------------

@dataclass(frozen=True)
class RunContext:
    args: dict
    run_id: str
    spark: Any
    glue_context: Any
    logger: Any
    glue: Any
    events: Any
    cloudwatch: Any

    def log(self, **fields: Any) -> None:
        self.logger.info(json.dumps({"runId": self.run_id, **fields}, default=str))


def table_state(spark: Any, table: str) -> tuple[list[tuple[str, str, bool]], str | None]:
    """The table's columns (name, Spark type, nullable) and its recorded dataset version."""
    fields = spark.table(table).schema.fields
    properties = {row[0]: row[1] for row in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
    return [(f.name, f.dataType.simpleString(), f.nullable) for f in fields], properties.get(transform.VERSION_PROPERTY)


def evolve_schemas(ctx: RunContext, datasets: Sequence[transform.Dataset]) -> None:
    """Every dataset's DDL is computed (and any SchemaConflict raised) before any is run."""
    database = ctx.args["database"]
    planned = []
    for dataset in datasets:
        columns, version = table_state(ctx.spark, transform.qualified_table(database, dataset.table))
        planned.append((dataset, transform.schema_changes(columns, dataset, version, database)))
    for dataset, statements in planned:
        for statement in statements:
            ctx.spark.sql(statement)
        ctx.log(dataset=dataset.name, schemaChanges=statements)


def evaluate_quality(ctx: RunContext, shaped: Any, dataset: transform.Dataset) -> list[str]:
    """Rule outcomes of the dataset's ruleset on the shaped rows; results publishing off (the
    job publishes its own QualityScore)."""
    from awsglue.dynamicframe import DynamicFrame  # noqa: PLC0415 - only available inside Glue
    from awsgluedq.transforms import EvaluateDataQuality  # noqa: PLC0415

    results = EvaluateDataQuality.apply(
        frame=DynamicFrame.fromDF(shaped, ctx.glue_context, f"{dataset.name}_shaped"),
        ruleset=fetch_ruleset(ctx.glue, dataset.ruleset),
        publishing_options={"dataQualityEvaluationContext": dataset.name,
                            "enableDataQualityCloudWatchMetrics": False,
                            "enableDataQualityResultsPublishing": False},
    )
    return [row["Outcome"] for row in results.toDF().select("Outcome").collect()]


def already_appended(spark: Any, table: str, fingerprint: str) -> bool:
    found = spark.sql(f"SELECT snapshot_id FROM {table}.snapshots WHERE "
                      f"summary['{transform.FINGERPRINT_PROPERTY}'] = '{fingerprint}' LIMIT 1").collect()
    return bool(found)


def process_dataset(ctx: RunContext, dataset: transform.Dataset, records: Any, field_counts: dict) -> None:
    from pyspark.sql.types import StructType  # noqa: PLC0415 - only available inside Glue

    args = ctx.args
    table = transform.qualified_table(args["database"], dataset.table)
    ctx.log(dataset=dataset.name, drift=transform.schema_drift(field_counts, dataset))

    tagged = records.mapPartitions(lambda rows, ds=dataset: transform.tag_records(rows, ds)).cache()
    good = tagged.filter(lambda t: t[0]).map(lambda t: t[1])
    rejected = tagged.filter(lambda t: not t[0]).map(lambda t: t[1])
    shaped = ctx.spark.createDataFrame(good, StructType.fromJson(transform.spark_schema(dataset))).cache()
    good_count, rejected_count = shaped.count(), rejected.count()

    outcomes = evaluate_quality(ctx, shaped, dataset) if good_count and dataset.ruleset else []
    score = transform.quality_score(outcomes)
    passed = score >= dataset.min_score
    if good_count and not passed:
        reason = (f"quality score {score:.4f} below {dataset.min_score} (ruleset {dataset.ruleset}: "
                  f"{outcomes.count(transform.PASSED)}/{len(outcomes)} rules passed)")
        names = [c.name for c in dataset.columns]
        rejected = rejected.union(good.map(lambda v, n=names, r=reason: transform.rejected_line(dict(zip(n, v)), r)))
        rejected_count += good_count
    if rejected_count:
        prefix = quarantine_prefix(args["quarantine_path"], dataset.name, ctx.run_id)
        lines = ctx.spark.createDataFrame(rejected.map(lambda line: (line,)), "value string")
        lines.write.mode("overwrite").text(prefix)

    published = 0
    if good_count and passed:
        fingerprint = transform.batch_fingerprint(dataset, good_count,
                                                  good.map(transform.row_digest).fold(0, transform.add_digests))
        replay = already_appended(ctx.spark, table, fingerprint)
        if not replay:
            (shaped.writeTo(table)
             .option(f"snapshot-property.{transform.FINGERPRINT_PROPERTY}", fingerprint)
             .option("snapshot-property.ddp.run-id", ctx.run_id)
             .append())
        published = good_count
        ctx.log(dataset=dataset.name, appended=not replay, fingerprint=fingerprint)

    metrics = transform.publish_metrics(args["data_product"], dataset.name, published, rejected_count)
    if good_count:
        metrics += transform.quality_metrics(args["data_product"], dataset.name, score)
    entry = transform.published_event(
        bus_name=args["event_bus_name"], source=args["event_source"], dataset=dataset,
        table=f"{args['database']}.{dataset.table}", row_count=published, rejected_count=rejected_count,
        run_id=ctx.run_id, quality_score=score) if published else None
    event_id = publish(ctx.events, ctx.cloudwatch, namespace=args["metric_namespace"], metric_data=metrics, entry=entry)
    ctx.log(dataset=dataset.name, published=published, rejected=rejected_count, qualityScore=score,
            qualityPassed=passed, eventId=event_id)
    shaped.unpersist()
    tagged.unpersist()


def main(argv: list[str] | None = None) -> None:
    from awsglue.context import GlueContext  # noqa: PLC0415 - only available inside Glue
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.conf import SparkConf
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F

    import boto3  # noqa: PLC0415 - kept next to the Glue imports; the helpers take a client

    argv = list(sys.argv if argv is None else argv)
    args = getResolvedOptions(argv, REQUIRED_ARGS + optional_args(argv))
    datasets = transform.parse_datasets(args["datasets"])
    run_id = args.get("JOB_RUN_ID") or f"run-{uuid.uuid4().hex}"
    quarantine_prefix(args["quarantine_path"], datasets[0].name, run_id)  # validate before starting Spark

    sc = SparkContext.getOrCreate(conf=SparkConf().setAll(list(iceberg_conf(args["warehouse"]).items())))
    glue_context = GlueContext(sc)
    ctx = RunContext(args=args, run_id=run_id, spark=glue_context.spark_session, glue_context=glue_context,
                     logger=glue_context.get_logger(), glue=boto3.client("glue"), events=boto3.client("events"),
                     cloudwatch=boto3.client("cloudwatch"))
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

    evolve_schemas(ctx, datasets)

    source = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [args["source_path"]], "recurse": True,
                            "exclusions": json.dumps(SOURCE_EXCLUSIONS)},
        format="parquet",
        transformation_ctx="curated_source",  # the bookmark key
    )
    df = source.toDF()
    if not df.columns or df.rdd.isEmpty():
        ctx.log(message="no new input (bookmark up to date)")
        job.commit()
        return
    counts = df.select([F.count(F.col(transform.quote(c))).alias(c) for c in df.columns]).first().asDict()
    records = df.rdd.map(lambda row: row.asDict(recursive=True)).cache()
    for dataset in datasets:
        process_dataset(ctx, dataset, records, counts)
    records.unpersist()
    job.commit()


if __name__ == "__main__":
    main()
