"""The four ingestion modes of a data product, plus the raw-zone arrival check they share.

- batch: Glue ETL raw -> curated (bookmarks, metrics, continuous logs, the product's security
  configuration), on a schedule and/or per arriving file; failures notify the alarm topic.
- streaming: Kinesis (product key) -> Firehose -> raw zone, records validated and partitioned by
  the record_processor Lambda.
- sftp: Transfer Family SFTP server inside the VPC (no public endpoint), one LOGICAL home per user.
- events: EventBridge rules on the product bus route each declared source to the ods_writer Lambda.
- arrival: Object Created events of the raw zone (batch/ and sftp/ uploads) go to the
  arrival_handler Lambda, which quarantines bad files and starts the ETL job or a crawler.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam, naming
from components.data_product.catalog import ARTIFACTS_PREFIX, glue_logs_statement
from components.data_product.scope import (FUNCTIONS_DIR, Function, ProductScope, alarm, event_target_to_lambda,
                                  lambda_function, queue_policy_for_events)
from components.data_product.monitoring import notify_rule
from components.data_product.storage import ZoneBucket

# Raw-zone prefixes: each writer has its own, so policies and rules can be scoped to it.
BATCH_PREFIX = "batch/"
SFTP_PREFIX = "sftp/"
STREAMING_PREFIX = "streaming/"
STREAMING_ERRORS_PREFIX = "streaming-errors/"
QUARANTINE_PREFIX = "quarantine/"
REJECTED_PREFIX = "rejected/"
CURATED_BATCH_PREFIX = "batch/"
# Where the ETL job stages a run's output before publishing it (functions/batch_etl/job.py).
STAGING_DIR = "_staging/"
# The arrival handler's own metrics (functions/arrival_handler/handler.py, embedded metric format).
ARRIVAL_METRICS_NAMESPACE = "DataDeliveryPlatform/ArrivalHandler"

def curated_crawl_exclusions() -> tuple[str, ...]:
    """What the curated crawler must not catalog: the job's scripts, and a run's output while it is
    still staged (it is published, or discarded, by the next step of the job)."""
    return (f"{ARTIFACTS_PREFIX}**", f"{CURATED_BATCH_PREFIX}{STAGING_DIR}**")


def raw_crawl_prefixes(ingestion) -> list[str]:
    """Raw data that no ETL turns into curated data is crawled where it lands: streamed records,
    and SFTP files when there is no batch ETL to pick them up."""
    return ([STREAMING_PREFIX] if ingestion.streaming else []) + \
        ([SFTP_PREFIX] if ingestion.sftp and not ingestion.batch else [])


ALLOWED_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet")
MAX_OBJECT_BYTES = 5 * 1024 ** 3
SFTP_PORT = 22
# Firehose needs at least 64 MiB buffers with dynamic partitioning.
FIREHOSE_BUFFER_MIB = 64
FIREHOSE_PARTITION_RETRY_SECONDS = 300
FIREHOSE_FRESHNESS_ALARM_SECONDS = 900
GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT")


# --- batch -------------------------------------------------------------------------------------

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
    artifacts = pulumi.Output.concat("s3://", curated.bucket.bucket, "/", ARTIFACTS_PREFIX, "glue/")
    scripts = {
        f: aws.s3.BucketObjectv2(
            f"{scope.name}-etl-{f.replace('.', '-')}",
            bucket=curated.bucket.id,
            key=f"{ARTIFACTS_PREFIX}glue/{f}",
            source=pulumi.FileAsset(str(FUNCTIONS_DIR / "batch_etl" / f)),
            content_type="text/x-python",
            server_side_encryption="aws:kms",
            kms_key_id=scope.key.arn,
            opts=scope.after(*curated.ready),
        )
        for f in ("job.py", "transform.py")
    }
    raw_objects = lambda *prefixes: [pulumi.Output.concat(raw.bucket.arn, "/", p, "*") for p in prefixes]  # noqa: E731
    role = scope.role("etl", "glue.amazonaws.com", [
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
    job_name = scope.physical("glue", "etl")
    arguments: dict[str, pulumi.Input[str]] = {
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--extra-py-files": pulumi.Output.concat(artifacts, "transform.py"),
        "--source_path": pulumi.Output.concat("s3://", raw.bucket.bucket, "/", BATCH_PREFIX),
        "--target_path": pulumi.Output.concat("s3://", curated.bucket.bucket, "/", CURATED_BATCH_PREFIX),
        "--rejected_path": pulumi.Output.concat("s3://", raw.bucket.bucket, "/", REJECTED_PREFIX),
    }
    if settings.required_fields:
        arguments["--required_fields"] = ",".join(settings.required_fields)
    job = aws.glue.Job(
        f"{scope.name}-etl",
        name=job_name,
        description=f"{scope.pname}: raw -> curated (Parquet)",
        role_arn=role.arn,
        glue_version=settings.glue_version,
        command=aws.glue.JobCommandArgs(
            name="glueetl", python_version="3",
            script_location=pulumi.Output.concat(artifacts, "job.py"),
        ),
        default_arguments=arguments,
        worker_type=settings.worker_type,
        number_of_workers=settings.workers,
        timeout=settings.timeout_minutes,
        security_configuration=security.name,
        # One run at a time keeps bookmarks consistent; arrivals queue instead of failing.
        execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=1),
        job_run_queuing_enabled=True,
        tags=scope.tags,
        opts=scope.after(role.policy, *scripts.values()),
    )
    trigger = None
    if settings.schedule is not None:
        trigger = aws.glue.Trigger(
            f"{scope.name}-etl-schedule",
            name=scope.physical("glue", "etl-schedule"),
            type="SCHEDULED",
            schedule=settings.schedule,
            start_on_creation=True,
            actions=[aws.glue.TriggerActionArgs(job_name=job.name)],
            opts=scope.child,
        )
    failure_rule = notify_rule(
        scope, "etl-failed", f"{scope.pname} ETL job failed or timed out",
        {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
         "detail": {"jobName": [job_name], "state": list(GLUE_FAILURE_STATES)}},
        topic, notify_dlq,
    )
    alarm(scope, "etl-failed-tasks", description=f"{scope.pname} ETL job has failed Spark tasks",
          namespace="Glue", metric="glue.driver.aggregate.numFailedTasks",
          dimensions={"JobName": job_name, "JobRunId": "ALL", "Type": "count"}, topic_arn=topic.arn)
    return Batch(job, job_name, trigger, failure_rule)


# --- arrival check -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    function: Function
    rule: aws.cloudwatch.EventRule
    dlq: aws.sqs.Queue


def arrival(scope: ProductScope, raw: ZoneBucket, *, prefixes: Sequence[str], job_name: Optional[str],
            crawler_name: Optional[str], topic: aws.sns.Topic) -> Arrival:
    """Validate every file arriving under `prefixes` of the raw zone; good files start the ETL
    job (when batch is configured) or else the raw crawler."""
    on_valid = "etl" if job_name is not None else ("crawler" if crawler_name is not None else "none")
    dlq = scope.queue("arrival-dlq")
    objects = [pulumi.Output.concat(raw.bucket.arn, "/", p, "*") for p in prefixes]
    statements = [
        iam.statement(["s3:GetObject", "s3:DeleteObject"], objects, sid="ArrivedObjects"),
        iam.statement(["s3:PutObject"], [pulumi.Output.concat(raw.bucket.arn, "/", QUARANTINE_PREFIX, "*")],
                      sid="Quarantine"),
        # Without ListBucket a missing key answers 403, not 404, and retries would never end.
        iam.statement(["s3:ListBucket"], [raw.bucket.arn], sid="ListArrivals",
                      condition={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}),
        scope.key_use("kms:Decrypt", "kms:GenerateDataKey*"),
    ]
    env: dict[str, pulumi.Input[str]] = {
        "ALLOWED_SUFFIXES": ",".join(ALLOWED_SUFFIXES),
        "MAX_OBJECT_BYTES": str(MAX_OBJECT_BYTES),
        "QUARANTINE_PREFIX": QUARANTINE_PREFIX,
        "ON_VALID": on_valid,
    }
    if on_valid == "etl":
        env["ETL_JOB_NAME"] = job_name
        statements.append(iam.statement(["glue:StartJobRun"], [scope.stack.arn("glue", f"job/{job_name}")], sid="StartEtl"))
    elif on_valid == "crawler":
        env["CRAWLER_NAME"] = crawler_name
        statements.append(iam.statement(["glue:StartCrawler"], [scope.stack.arn("glue", f"crawler/{crawler_name}")],
                                        sid="StartCrawler"))
    fn = lambda_function(scope, "arrival_handler", environment=env, statements=statements, timeout=120,
                         dead_letter_arn=dlq.arn, description=f"{scope.pname}: validate raw-zone arrivals")
    rule = aws.cloudwatch.EventRule(
        f"{scope.name}-arrival-rule",
        description=f"{scope.pname}: files arriving in the raw zone",
        event_pattern=pulumi.Output.json_dumps({
            "source": ["aws.s3"], "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [raw.bucket.bucket]},
                       "object": {"key": [{"prefix": p} for p in prefixes]}},
        }),
        opts=scope.child,
    )
    event_target_to_lambda(scope, "arrival", rule, fn, dlq)
    queue_policy_for_events(scope, "arrival-dlq", dlq, [rule.arn])
    alarm(scope, "arrival-errors", description=f"{scope.pname}: arrival handler errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": fn.function.name},
          topic_arn=topic.arn)
    # A 403 on HeadObject is read as "object gone" (the role lists only its prefixes, so S3 answers
    # 403 for a missing key); the handler counts each one, and a real AccessDenied shows up here.
    alarm(scope, "arrival-head-forbidden", description=f"{scope.pname}: arrival handler got 403 on HeadObject",
          namespace=ARRIVAL_METRICS_NAMESPACE, metric="HeadObjectForbidden",
          dimensions={"Bucket": raw.bucket.bucket}, topic_arn=topic.arn)
    alarm(scope, "arrival-dlq-depth", description=f"{scope.pname}: raw-zone arrivals could not be processed",
          namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
          dimensions={"QueueName": dlq.name}, topic_arn=topic.arn)
    return Arrival(fn, rule, dlq)


# --- streaming -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Streaming:
    stream: aws.kinesis.Stream
    firehose: aws.kinesis.FirehoseDeliveryStream
    processor: Function


def streaming(scope: ProductScope, raw: ZoneBucket, topic: aws.sns.Topic) -> Streaming:
    settings = scope.product.ingestion.streaming
    assert settings is not None
    on_demand = settings.shards is None
    stream = aws.kinesis.Stream(
        f"{scope.name}-stream",
        name=scope.physical("kinesis"),
        encryption_type="KMS",
        kms_key_id=scope.key.arn,
        retention_period=settings.retention_hours,
        stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(stream_mode="ON_DEMAND" if on_demand else "PROVISIONED"),
        shard_count=None if on_demand else settings.shards,
        tags=scope.tags,
        opts=scope.child,
    )
    env: dict[str, pulumi.Input[str]] = {"REQUIRED_FIELDS": ",".join(settings.required_fields)}
    if settings.timestamp_field is not None:
        env["TIMESTAMP_FIELD"] = settings.timestamp_field
    # Firehose invokes the processor synchronously: failed records come back as ProcessingFailed
    # and land under the error prefix, so no DLQ is needed.
    processor = lambda_function(scope, "record_processor", environment=env, statements=[], timeout=120,
                                description=f"{scope.pname}: validate and partition streamed records")
    log_group = scope.log_group("firehose", "firehose")
    log_stream = aws.cloudwatch.LogStream(
        f"{scope.name}-firehose-delivery-logs", name="DestinationDelivery", log_group_name=log_group.name,
        opts=scope.child,
    )
    role = scope.role("firehose", "firehose.amazonaws.com", [
        iam.statement(["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator",
                       "kinesis:GetRecords", "kinesis:ListShards"], [stream.arn], sid="ReadStream"),
        # AbortMultipartUpload is an object action: granted on the objects below, not here.
        iam.statement(["s3:GetBucketLocation", "s3:ListBucket",
                       "s3:ListBucketMultipartUploads"], [raw.bucket.arn], sid="RawBucket"),
        iam.statement(["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                      [pulumi.Output.concat(raw.bucket.arn, "/", STREAMING_PREFIX, "*"),
                       pulumi.Output.concat(raw.bucket.arn, "/", STREAMING_ERRORS_PREFIX, "*")], sid="WriteRaw"),
        iam.statement(["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                      [processor.function.arn, pulumi.Output.concat(processor.function.arn, ":*")], sid="Processor"),
        iam.statement(["logs:PutLogEvents"], [pulumi.Output.concat(log_group.arn, ":log-stream:*")], sid="Logs"),
        scope.key_use("kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
    ])
    partition = "/".join(f"{k}=!{{partitionKeyFromLambda:{k}}}" for k in ("year", "month", "day"))
    firehose = aws.kinesis.FirehoseDeliveryStream(
        f"{scope.name}-firehose",
        name=scope.physical("firehose", "raw"),
        destination="extended_s3",
        kinesis_source_configuration=aws.kinesis.FirehoseDeliveryStreamKinesisSourceConfigurationArgs(
            kinesis_stream_arn=stream.arn, role_arn=role.arn),
        extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
            bucket_arn=raw.bucket.arn,
            role_arn=role.arn,
            kms_key_arn=scope.key.arn,
            prefix=f"{STREAMING_PREFIX}{partition}/",
            error_output_prefix=f"{STREAMING_ERRORS_PREFIX}!{{firehose:error-output-type}}/"
                                "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
            buffering_interval=settings.buffer_seconds,
            buffering_size=FIREHOSE_BUFFER_MIB,
            compression_format="GZIP",
            dynamic_partitioning_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfigurationArgs(
                enabled=True, retry_duration=FIREHOSE_PARTITION_RETRY_SECONDS),
            processing_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs(
                enabled=True,
                processors=[aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs(
                    type="Lambda",
                    parameters=[
                        aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs(
                            parameter_name="LambdaArn", parameter_value=processor.function.arn),
                    ],
                )],
            ),
            cloudwatch_logging_options=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptionsArgs(
                enabled=True, log_group_name=log_group.name, log_stream_name=log_stream.name),
        ),
        tags=scope.tags,
        opts=scope.after(role.policy, *raw.ready),
    )
    alarm(scope, "firehose-freshness", description=f"{scope.pname}: streamed records are not reaching the raw zone",
          namespace="AWS/Firehose", metric="DeliveryToS3.DataFreshness", statistic="Maximum",
          dimensions={"DeliveryStreamName": firehose.name}, threshold=FIREHOSE_FRESHNESS_ALARM_SECONDS,
          topic_arn=topic.arn)
    alarm(scope, "record-processor-errors", description=f"{scope.pname}: record processor errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": processor.function.name},
          topic_arn=topic.arn)
    return Streaming(stream, firehose, processor)


# --- sftp ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sftp:
    server: aws.transfer.Server
    security_group: aws.ec2.SecurityGroup
    users: dict[str, aws.transfer.User]


def sftp(scope: ProductScope, raw: ZoneBucket, allowed_cidrs: Sequence[str]) -> Sftp:
    """An SFTP-only Transfer server with a VPC endpoint in the private subnets (no Elastic IPs,
    so it is reachable from the VPC and networks routed into it, never from the internet)."""
    settings = scope.product.ingestion.sftp
    assert settings is not None
    sg = aws.ec2.SecurityGroup(
        f"{scope.name}-sftp-sg",
        description=f"SFTP endpoint of {scope.pname}: port 22 from the allowed networks only",
        vpc_id=scope.network.vpc_id,
        tags={"Name": f"{scope.stack.prefix}-{scope.pname}-sftp"},
        opts=scope.child,
    )
    if allowed_cidrs:
        sources: dict[str, pulumi.Input[str]] = {c: c for c in allowed_cidrs}
    else:
        vpc = aws.ec2.get_vpc_output(id=scope.network.vpc_id, opts=pulumi.InvokeOutputOptions(parent=scope.parent))
        sources = {"vpc": vpc.cidr_block}
    for key, cidr in sources.items():
        aws.vpc.SecurityGroupIngressRule(
            f"{scope.name}-sftp-from-{key.replace('/', '-')}",
            security_group_id=sg.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=SFTP_PORT,
            to_port=SFTP_PORT,
            description="SFTP clients",
            opts=scope.child,
        )
    log_group = scope.log_group("sftp", "sftp")
    logging_role = scope.role("sftp-logging", "transfer.amazonaws.com", [
        iam.statement(["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                      [pulumi.Output.concat(log_group.arn, ":*")], sid="Logs"),
    ])
    server = aws.transfer.Server(
        f"{scope.name}-sftp",
        protocols=["SFTP"],
        domain="S3",
        identity_provider_type="SERVICE_MANAGED",
        endpoint_type="VPC",
        endpoint_details=aws.transfer.ServerEndpointDetailsArgs(
            vpc_id=scope.network.vpc_id,
            subnet_ids=scope.network.private_subnet_ids,
            security_group_ids=[sg.id],
        ),
        security_policy_name=blueprint.TRANSFER_SECURITY_POLICY,
        logging_role=logging_role.arn,
        structured_log_destinations=[pulumi.Output.concat(log_group.arn, ":*")],
        tags={"Name": f"{scope.stack.prefix}-{scope.pname}-sftp"},
        opts=scope.after(logging_role.policy),
    )
    users: dict[str, aws.transfer.User] = {}
    bucket = scope.bucket_name("raw")
    for user in settings.users:
        home = f"{SFTP_PREFIX}{user.name}/"
        # Each user may list, read and write only below its own home prefix.
        role = scope.role(f"sftp-{user.name}", "transfer.amazonaws.com", [
            iam.statement(["s3:ListBucket"], [raw.bucket.arn], sid="ListHome",
                          condition={"StringLike": {"s3:prefix": [home, f"{home}*"]}}),
            iam.statement(["s3:PutObject", "s3:GetObject"], [pulumi.Output.concat(raw.bucket.arn, "/", home, "*")],
                          sid="HomeObjects"),
            scope.key_use("kms:Decrypt", "kms:GenerateDataKey*"),
        ], purpose=("sftp", user.name))
        users[user.name] = aws.transfer.User(
            f"{scope.name}-sftp-{user.name}",
            server_id=server.id,
            user_name=user.name,
            role=role.arn,
            home_directory_type="LOGICAL",
            home_directory_mappings=[aws.transfer.UserHomeDirectoryMappingArgs(
                entry="/", target=f"/{bucket}/{SFTP_PREFIX}{user.name}")],
            opts=scope.after(role.policy),
        )
        aws.transfer.SshKey(
            f"{scope.name}-sftp-{user.name}-key",
            server_id=server.id,
            user_name=users[user.name].user_name,
            body=user.ssh_public_key,
            opts=scope.child,
        )
    return Sftp(server, sg, users)


def check_cidrs(cidrs: Sequence[str]) -> None:
    for c in cidrs:
        net = ipaddress.ip_network(c, strict=True)
        if net.prefixlen == 0:
            raise ValueError(f"SFTP allowed CIDR {c} opens the server to every address")


# --- events --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Events:
    rules: dict[str, aws.cloudwatch.EventRule]
    archive: aws.cloudwatch.EventArchive
    writer: Function
    dlq: aws.sqs.Queue


def events(scope: ProductScope, bus: aws.cloudwatch.EventBus, table: aws.dynamodb.Table,
           topic: aws.sns.Topic) -> Events:
    settings = scope.product.ingestion.events
    assert settings is not None
    ods = scope.product.operational_store
    archive = aws.cloudwatch.EventArchive(
        f"{scope.name}-events-archive",
        description=f"{scope.pname}: ingested events, kept for replay",
        event_source_arn=bus.arn,
        event_pattern=json.dumps({"source": settings.sources}),
        retention_days=settings.archive_retention_days,
        kms_key_identifier=scope.key.arn,
        opts=scope.child,
    )
    # One queue for everything the writer could not store: target delivery failures, function
    # failures after Lambda's retries, and invalid events (DLQ_URL) -- all EventBridge events.
    dlq = scope.queue("ods-writer-dlq")
    env: dict[str, pulumi.Input[str]] = {
        "TABLE_NAME": table.name, "PARTITION_KEY": ods.partition_key, "DLQ_URL": dlq.url,
    }
    if ods.sort_key is not None:
        env["SORT_KEY"] = ods.sort_key
    writer = lambda_function(scope, "ods_writer", environment=env, timeout=30, dead_letter_arn=dlq.arn,
                             description=f"{scope.pname}: upsert ingested events into the ODS",
                             statements=[
                                 # Conditional puts are the writer's only table call.
                                 iam.statement(["dynamodb:PutItem"], [table.arn], sid="OdsWrites"),
                                 scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
                             ])
    rules: dict[str, aws.cloudwatch.EventRule] = {}
    for source in settings.sources:
        rule = aws.cloudwatch.EventRule(
            f"{scope.name}-events-{source}",
            description=f"{scope.pname}: events from {source} into the ODS",
            event_bus_name=bus.name,
            # Only this account's events feed the store: other accounts may put declared sources
            # on the bus (for consumers' own rules), never into the ODS.
            event_pattern=json.dumps({"source": [source], "account": [scope.stack.account_id]}),
            opts=scope.child,
        )
        event_target_to_lambda(scope, f"events-{source}", rule, writer, dlq, event_bus_name=bus.name)
        rules[source] = rule
    queue_policy_for_events(scope, "ods-writer-dlq", dlq, [r.arn for r in rules.values()])
    alarm(scope, "ods-writer-dlq-depth", description=f"{scope.pname}: events could not be written to the ODS",
          namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
          dimensions={"QueueName": dlq.name}, topic_arn=topic.arn)
    alarm(scope, "ods-writer-errors", description=f"{scope.pname}: ODS writer errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": writer.function.name},
          topic_arn=topic.arn)
    return Events(rules, archive, writer, dlq)


def event_bus_name(scope: ProductScope) -> str:
    return naming.prefixed("eventbus", scope.bu, scope.env, scope.pname)
