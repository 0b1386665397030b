"""Batch ingestion: the Glue ETL job raw -> curated, its schedule, scripts and failure rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.iam import ServiceRole
from components.data_product.catalog import ARTIFACTS_PREFIX, glue_logs_statement
from components.data_product.ingestion.prefixes import (BATCH_PREFIX, CURATED_BATCH_PREFIX, GLUE_FAILURE_STATES,
                                                        REJECTED_PREFIX, SFTP_PREFIX)
from components.data_product.monitoring import notify_rule
from components.data_product.scope import FUNCTIONS_DIR, ProductScope, alarm
from components.data_product.spec import BatchSpec
from components.data_product.storage import ZoneBucket


@dataclass(frozen=True)
class Batch:
    job: aws.glue.Job
    job_name: str
    trigger: Optional[aws.glue.Trigger]
    failure_rule: aws.cloudwatch.EventRule


def batch(scope: ProductScope, zones: Mapping[str, ZoneBucket], security: aws.glue.SecurityConfiguration,
          topic: aws.sns.Topic, notify_dlq: aws.sqs.Queue) -> Batch:
    settings = scope.product.ingestion.batch
    assert settings is not None
    raw, curated = zones["raw"], zones["curated"]
    scripts = _etl_scripts(scope, curated)
    role = _etl_role(scope, raw, curated)
    job_name = scope.physical("glue", "etl")
    job = _etl_job(scope, settings, job_name=job_name, raw=raw, curated=curated, role=role, security=security,
                   scripts=scripts)
    trigger = _etl_schedule(scope, settings, job)
    failure_rule = _etl_failure_alerts(scope, job_name, topic, notify_dlq)
    return Batch(job, job_name, trigger, failure_rule)


def _artifacts_url(curated: ZoneBucket) -> pulumi.Output[str]:
    """Where the job's scripts live: the curated zone's artifacts prefix."""
    return pulumi.Output.concat("s3://", curated.bucket.bucket, "/", ARTIFACTS_PREFIX, "glue/")


def _etl_scripts(scope: ProductScope, curated: ZoneBucket) -> dict[str, aws.s3.BucketObjectv2]:
    """The job's entry point and its transform module, uploaded next to the curated data."""
    return {
        script: aws.s3.BucketObjectv2(
            f"{scope.name}-etl-{script.replace('.', '-')}",
            bucket=curated.bucket.id,
            key=f"{ARTIFACTS_PREFIX}glue/{script}",
            source=pulumi.FileAsset(str(FUNCTIONS_DIR / "batch_etl" / script)),
            content_type="text/x-python",
            server_side_encryption="aws:kms",
            kms_key_id=scope.key.arn,
            opts=scope.after(*curated.ready),
        )
        for script in ("job.py", "transform.py")
    }


def _etl_role(scope: ProductScope, raw: ZoneBucket, curated: ZoneBucket) -> ServiceRole:
    """Glue's role: read arrivals, write rejects and curated Parquet, read the scripts, log."""
    def raw_objects(*prefixes: str) -> list[pulumi.Output[str]]:
        return [pulumi.Output.concat(raw.bucket.arn, "/", prefix, "*") for prefix in prefixes]

    return scope.role("etl", "glue.amazonaws.com", [
        iam.statement(["s3:GetObject"], raw_objects(BATCH_PREFIX, SFTP_PREFIX), sid="ReadRaw"),
        # Spark's committer writes rejected records and curated Parquet to temporary and staging
        # keys, copies them into place and deletes the rest (functions/batch_etl/job.py publishes
        # a run exactly once from `_staging/<run id>/`); multipart uploads that fail are aborted.
        iam.statement(["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                      raw_objects(REJECTED_PREFIX), sid="WriteRejected"),
        iam.statement(["s3:ListBucket"], [raw.bucket.arn, curated.bucket.arn], sid="List"),
        iam.statement(["s3:GetObject"], [pulumi.Output.concat(curated.bucket.arn, "/", ARTIFACTS_PREFIX, "*")],
                      sid="ReadScripts"),
        iam.statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                      [pulumi.Output.concat(curated.bucket.arn, "/", CURATED_BATCH_PREFIX, "*")], sid="WriteCurated"),
        scope.key_use(),
        glue_logs_statement(scope.stack, "jobs"),
        iam.statement(["cloudwatch:PutMetricData"], ["*"], sid="JobMetrics",
                      condition={"StringEquals": {"cloudwatch:namespace": "Glue"}}),
    ])


def _etl_arguments(settings: BatchSpec, raw: ZoneBucket, curated: ZoneBucket) -> dict[str, pulumi.Input[str]]:
    """The job's default arguments: bookmarks, metrics, continuous logs and its input/output paths."""
    arguments: dict[str, pulumi.Input[str]] = {
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--extra-py-files": pulumi.Output.concat(_artifacts_url(curated), "transform.py"),
        "--source_path": pulumi.Output.concat("s3://", raw.bucket.bucket, "/", BATCH_PREFIX),
        "--target_path": pulumi.Output.concat("s3://", curated.bucket.bucket, "/", CURATED_BATCH_PREFIX),
        "--rejected_path": pulumi.Output.concat("s3://", raw.bucket.bucket, "/", REJECTED_PREFIX),
    }
    if settings.required_fields:
        arguments["--required_fields"] = ",".join(settings.required_fields)
    return arguments


def _etl_job(scope: ProductScope, settings: BatchSpec, *, job_name: str, raw: ZoneBucket, curated: ZoneBucket,
             role: ServiceRole, security: aws.glue.SecurityConfiguration,
             scripts: Mapping[str, aws.s3.BucketObjectv2]) -> aws.glue.Job:
    return glue_job(scope, "etl", settings, name=job_name, description=f"{scope.product_name}: raw -> curated (Parquet)",
                    role=role, script_location=pulumi.Output.concat(_artifacts_url(curated), "job.py"),
                    arguments=_etl_arguments(settings, raw, curated), security=security, deps=list(scripts.values()))


def glue_job(scope: ProductScope, part: str, settings: BatchSpec, *, name: str, description: str, role: ServiceRole,
             script_location: pulumi.Input[str], arguments: Mapping[str, pulumi.Input[str]],
             security: aws.glue.SecurityConfiguration, deps: list[pulumi.Resource]) -> aws.glue.Job:
    """A product's Glue Spark job (the ETL and the reportable stage alike): the batch settings'
    version, workers and timeout, the product's security configuration, one run at a time."""
    return aws.glue.Job(
        f"{scope.name}-{part}",
        name=name,
        description=description,
        role_arn=role.arn,
        glue_version=settings.glue_version,
        command=aws.glue.JobCommandArgs(name="glueetl", python_version="3", script_location=script_location),
        default_arguments=dict(arguments),
        worker_type=settings.worker_type,
        number_of_workers=settings.workers,
        timeout=settings.timeout_minutes,
        security_configuration=security.name,
        # One run at a time keeps bookmarks consistent; arrivals queue instead of failing.
        execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=1),
        job_run_queuing_enabled=True,
        tags=scope.tags,
        opts=scope.after(role.policy, *deps),
    )


def _etl_schedule(scope: ProductScope, settings: BatchSpec, job: aws.glue.Job) -> Optional[aws.glue.Trigger]:
    """A scheduled trigger when the product gives a schedule; None runs the job on arrivals only."""
    if settings.schedule is None:
        return None
    return aws.glue.Trigger(
        f"{scope.name}-etl-schedule",
        name=scope.physical("glue", "etl-schedule"),
        type="SCHEDULED",
        schedule=settings.schedule,
        start_on_creation=True,
        actions=[aws.glue.TriggerActionArgs(job_name=job.name)],
        opts=scope.child,
    )


def _etl_failure_alerts(scope: ProductScope, job_name: str, topic: aws.sns.Topic,
                        notify_dlq: aws.sqs.Queue) -> aws.cloudwatch.EventRule:
    """Failed or timed-out runs notify the alarm topic; failed Spark tasks raise an alarm."""
    failure_rule = notify_rule(
        scope, "etl-failed", f"{scope.product_name} ETL job failed or timed out",
        {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
         "detail": {"jobName": [job_name], "state": list(GLUE_FAILURE_STATES)}},
        topic, notify_dlq,
    )
    alarm(scope, "etl-failed-tasks", description=f"{scope.product_name} ETL job has failed Spark tasks",
          namespace="Glue", metric="glue.driver.aggregate.numFailedTasks",
          dimensions={"JobName": job_name, "JobRunId": "ALL", "Type": "count"}, topic_arn=topic.arn)
    return failure_rule
