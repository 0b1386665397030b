"""The reportable stage: a Glue job that builds each declared dataset from curated data into its
Iceberg table, checks it against its data quality ruleset, and announces each publish.

It runs after every successful ETL run (a conditional trigger), reads the curated batch output
with bookmarks, writes the tables (the only writer of the reportable zone besides Lake Formation's
registration role), quarantines rows it cannot shape under the curated zone, publishes
`QualityScore` / `RowsPublished` / `RowsRejected` per dataset, and puts a "Dataset Published"
event on the product bus. Alarms: failed runs (to the alarm topic), a quality score under the
dataset's minimum, and a dataset not published within its freshness SLO.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from components.data_product.catalog import (ARTIFACTS_PREFIX, Catalog, catalog_statement, glue_database_names,
                                            glue_logs_statement)
from components.data_product.datasets import ruleset_name
from components.data_product.ingestion.prefixes import (CURATED_BATCH_PREFIX, DATASET_METRICS_NAMESPACE,
                                                        GLUE_FAILURE_STATES, REPORTABLE_QUARANTINE_PREFIX)
from components.data_product.ingestion.batch import glue_job
from components.data_product.lake_formation import table_writer_grants
from components.data_product.monitoring import notify_rule
from components.data_product.scope import FUNCTIONS_DIR, ProductScope, alarm
from components.data_product.spec import DatasetSpec
from components.data_product.storage import ZoneBucket
from components.data_product.zones import ZoneRef
from components.foundation import iam, naming
from components.foundation.iam import ServiceRole

SCRIPTS = ("job.py", "transform.py")
SCRIPTS_PREFIX = f"{ARTIFACTS_PREFIX}glue/reportable/"
PUBLISHED_DETAIL_TYPE = "Dataset Published"
TABLE_ACTIONS = ("glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:UpdateTable",
                 "glue:GetPartitions", "glue:BatchGetPartition")


@dataclass(frozen=True)
class Reportable:
    job: aws.glue.Job
    job_name: str
    role: ServiceRole
    trigger: aws.glue.Trigger
    failure_rule: aws.cloudwatch.EventRule
    event_source: str


def job_datasets(scope: ProductScope) -> str:
    """The `--datasets` argument: what functions/reportable/transform.py parses."""
    return json.dumps([{
        "name": d.name, "version": d.version, "partitioning": list(d.partitioning),
        "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable, "source": c.source or c.name}
                    for c in d.columns],
        "ruleset": ruleset_name(scope, d) if d.quality else None, "min_score": d.min_quality_score,
    } for d in scope.product.datasets], sort_keys=True, separators=(",", ":"))


def reportable(scope: ProductScope, zones: Mapping[str, ZoneBucket], catalog: Catalog, *, etl_job: aws.glue.Job,
               security: aws.glue.SecurityConfiguration, bus: aws.cloudwatch.EventBus, topic: aws.sns.Topic,
               notify_dlq: aws.sqs.Queue, lf_deps: list[pulumi.Resource]) -> Reportable:
    batch = scope.product.ingestion.batch
    assert batch is not None and scope.product.datasets
    curated, reportable_zone = zones["curated"], zones["reportable"]
    scripts = [aws.s3.BucketObjectv2(
        f"{scope.name}-reportable-{script.replace('.', '-')}", bucket=curated.bucket.id, key=f"{SCRIPTS_PREFIX}{script}",
        source=pulumi.FileAsset(str(FUNCTIONS_DIR / "reportable" / script)), content_type="text/x-python",
        server_side_encryption="aws:kms", kms_key_id=scope.key.arn, opts=scope.after(*curated.ready))
        for script in SCRIPTS]
    role = _role(scope, curated, reportable_zone, bus)
    grants = table_writer_grants(
        scope, "reportable", role, catalog.shared_database, catalog.tables,
        (ZoneRef("reportable", reportable_zone.bucket.bucket, reportable_zone.bucket.arn), catalog.registered["reportable"]),
        lf_deps)
    job_name = scope.physical("glue", "reportable")
    source = naming.dataset_event_source(scope.stack.business_unit, scope.product_name)
    job = glue_job(scope, "reportable", batch, name=job_name,
                   description=f"{scope.product_name}: curated -> reportable datasets (Iceberg)", role=role,
                   script_location=_script_url(curated, "job.py"),
                   arguments=_arguments(scope, curated, reportable_zone, catalog, bus, source), security=security,
                   deps=[*scripts, *grants])
    trigger = aws.glue.Trigger(
        f"{scope.name}-reportable-after-etl",
        name=scope.physical("glue", "reportable-after-etl"),
        description=f"{scope.product_name}: build the datasets after each successful ETL run",
        type="CONDITIONAL",
        start_on_creation=True,
        predicate=aws.glue.TriggerPredicateArgs(conditions=[aws.glue.TriggerPredicateConditionArgs(
            job_name=etl_job.name, state="SUCCEEDED", logical_operator="EQUALS")]),
        actions=[aws.glue.TriggerActionArgs(job_name=job.name)],
        opts=scope.child,
    )
    failure_rule = _alarms(scope, job_name, topic, notify_dlq)
    return Reportable(job, job_name, role, trigger, failure_rule, source)


def _script_url(curated: ZoneBucket, script: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("s3://", curated.bucket.bucket, "/", SCRIPTS_PREFIX, script)


def _arguments(scope: ProductScope, curated: ZoneBucket, reportable_zone: ZoneBucket, catalog: Catalog,
               bus: aws.cloudwatch.EventBus, source: str) -> dict[str, pulumi.Input[str]]:
    return {
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        # Glue 4.0+ adds the Iceberg libraries to the job.
        "--datalake-formats": "iceberg",
        "--extra-py-files": _script_url(curated, "transform.py"),
        "--datasets": job_datasets(scope),
        "--data_product": scope.product_name,
        "--source_path": pulumi.Output.concat("s3://", curated.bucket.bucket, "/", CURATED_BATCH_PREFIX),
        "--quarantine_path": pulumi.Output.concat("s3://", curated.bucket.bucket, "/", REPORTABLE_QUARANTINE_PREFIX),
        "--database": catalog.shared_database.name,
        "--warehouse": pulumi.Output.concat("s3://", reportable_zone.bucket.bucket, "/"),
        "--event_bus_name": bus.name,
        "--event_source": source,
        "--metric_namespace": DATASET_METRICS_NAMESPACE,
    }


def _role(scope: ProductScope, curated: ZoneBucket, reportable_zone: ZoneBucket,
          bus: aws.cloudwatch.EventBus) -> ServiceRole:
    """Read curated batch output and the scripts, write the reportable zone (Iceberg data and
    metadata files; snapshot expiry deletes) and quarantined rows, update the dataset tables,
    read their rulesets, publish metrics and events, log."""
    def curated_objects(prefix: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(curated.bucket.arn, "/", prefix, "*")

    stack = scope.stack
    rulesets = [stack.arn("glue", f"dataQualityRuleset/{ruleset_name(scope, d)}")
                for d in scope.product.datasets if d.quality]
    return scope.role("reportable", "glue.amazonaws.com", [
        iam.statement(["s3:GetObject"], [curated_objects(CURATED_BATCH_PREFIX), curated_objects(SCRIPTS_PREFIX)],
                      sid="ReadCurated"),
        iam.statement(["s3:PutObject", "s3:AbortMultipartUpload"], [curated_objects(REPORTABLE_QUARANTINE_PREFIX)],
                      sid="Quarantine"),
        iam.statement(["s3:ListBucket"], [curated.bucket.arn, reportable_zone.bucket.arn], sid="List"),
        iam.statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                      [pulumi.Output.concat(reportable_zone.bucket.arn, "/*")], sid="WriteReportable"),
        catalog_statement(stack, glue_database_names(scope)[0], TABLE_ACTIONS),
        *([iam.statement(["glue:GetDataQualityRuleset"], rulesets, sid="Rulesets")] if rulesets else []),
        iam.statement(["events:PutEvents"], [bus.arn], sid="Publish",
                      condition={"StringEquals": {"events:source": naming.dataset_event_source(scope.stack.business_unit, scope.product_name)}}),
        scope.key_use(),
        glue_logs_statement(stack, "jobs"),
        iam.statement(["cloudwatch:PutMetricData"], ["*"], sid="Metrics",
                      condition={"StringEquals": {"cloudwatch:namespace": ["Glue", DATASET_METRICS_NAMESPACE]}}),
        iam.statement(["lakeformation:GetDataAccess"], ["*"], sid="LakeFormation"),
    ])


def _alarms(scope: ProductScope, job_name: str, topic: aws.sns.Topic,
            notify_dlq: aws.sqs.Queue) -> aws.cloudwatch.EventRule:
    """Failed or timed-out runs notify the topic; per dataset, a quality score under its minimum
    and a missed freshness SLO (no publish within `freshness_hours`) raise alarms."""
    rule = notify_rule(
        scope, "reportable-failed", f"{scope.product_name} reportable job failed or timed out",
        {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
         "detail": {"jobName": [job_name], "state": list(GLUE_FAILURE_STATES)}},
        topic, notify_dlq)
    for dataset in scope.product.datasets:
        _dataset_alarms(scope, dataset, topic)
    return rule


def _dataset_alarms(scope: ProductScope, dataset: DatasetSpec, topic: aws.sns.Topic) -> None:
    part, dims = dataset.name.replace("_", "-"), {"DataProduct": scope.product_name, "Dataset": dataset.name}
    if dataset.quality:
        alarm(scope, f"{part}-quality", description=f"{scope.product_name}.{dataset.name}: data quality score "
              f"under {dataset.min_quality_score}", namespace=DATASET_METRICS_NAMESPACE, metric="QualityScore",
              dimensions=dims, topic_arn=topic.arn, statistic="Minimum", threshold=dataset.min_quality_score,
              comparison="LessThanThreshold")
    alarm(scope, f"{part}-freshness", description=f"{scope.product_name}.{dataset.name}: not published within "
          f"{dataset.freshness_hours} h", namespace=DATASET_METRICS_NAMESPACE, metric="RowsPublished",
          dimensions=dims, topic_arn=topic.arn, statistic="SampleCount", threshold=1,
          comparison="LessThanThreshold", period=dataset.freshness_hours * 3600, missing="breaching")
