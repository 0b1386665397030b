"""Real-time ingestion: Kinesis stream, Firehose into the raw zone with a validating processor."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.iam import ServiceRole
from components.data_product.ingestion.prefixes import (FIREHOSE_BUFFER_MIB, FIREHOSE_FRESHNESS_ALARM_SECONDS,
                                                        FIREHOSE_PARTITION_RETRY_SECONDS, STREAMING_ERRORS_PREFIX,
                                                        STREAMING_PREFIX)
from components.data_product.scope import Function, ProductScope, alarm, lambda_function
from components.data_product.spec import StreamingSpec
from components.data_product.storage import ZoneBucket


@dataclass(frozen=True)
class Streaming:
    stream: aws.kinesis.Stream
    firehose: aws.kinesis.FirehoseDeliveryStream
    processor: Function


def streaming(scope: ProductScope, raw: ZoneBucket, topic: aws.sns.Topic) -> Streaming:
    settings = scope.product.ingestion.streaming
    assert settings is not None
    stream = _stream(scope, settings)
    processor = _record_processor(scope, settings)
    log_group = scope.log_group("firehose", "firehose")
    log_stream = aws.cloudwatch.LogStream(
        f"{scope.name}-firehose-delivery-logs", name="DestinationDelivery", log_group_name=log_group.name,
        opts=scope.child,
    )
    role = _firehose_role(scope, stream, raw, processor, log_group)
    firehose = aws.kinesis.FirehoseDeliveryStream(
        f"{scope.name}-firehose",
        name=scope.physical("firehose", "raw"),
        destination="extended_s3",
        kinesis_source_configuration=aws.kinesis.FirehoseDeliveryStreamKinesisSourceConfigurationArgs(
            kinesis_stream_arn=stream.arn, role_arn=role.arn),
        extended_s3_configuration=_raw_zone_delivery(scope, settings, raw, role, processor, log_group, log_stream),
        tags=scope.tags,
        opts=scope.after(role.policy, *raw.ready),
    )
    _streaming_alarms(scope, firehose, processor, topic)
    return Streaming(stream, firehose, processor)


def _stream(scope: ProductScope, settings: StreamingSpec) -> aws.kinesis.Stream:
    """The product's Kinesis stream, encrypted with the product key; on demand unless shards are given."""
    on_demand = settings.shards is None
    return aws.kinesis.Stream(
        f"{scope.name}-stream",
        name=scope.physical("kinesis"),
        encryption_type="KMS",
        kms_key_id=scope.key.arn,
        retention_period=settings.retention_hours,
        stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(
            stream_mode="ON_DEMAND" if on_demand else "PROVISIONED"),
        shard_count=None if on_demand else settings.shards,
        tags=scope.tags,
        opts=scope.child,
    )


def _record_processor(scope: ProductScope, settings: StreamingSpec) -> Function:
    """The Lambda that validates each streamed record and derives its date partition."""
    environment: dict[str, pulumi.Input[str]] = {"REQUIRED_FIELDS": ",".join(settings.required_fields)}
    if settings.timestamp_field is not None:
        environment["TIMESTAMP_FIELD"] = settings.timestamp_field
    # Firehose invokes the processor synchronously: failed records come back as ProcessingFailed
    # and land under the error prefix, so no DLQ is needed.
    return lambda_function(scope, "record_processor", environment=environment, statements=[], timeout=120,
                           description=f"{scope.product_name}: validate and partition streamed records")


def _firehose_role(scope: ProductScope, stream: aws.kinesis.Stream, raw: ZoneBucket, processor: Function,
                   log_group: aws.cloudwatch.LogGroup) -> ServiceRole:
    """Firehose's role: read the stream, write the streaming prefixes of the raw zone, call the processor."""
    return scope.role("firehose", "firehose.amazonaws.com", [
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


def _raw_zone_delivery(
    scope: ProductScope, settings: StreamingSpec, raw: ZoneBucket, role: ServiceRole, processor: Function,
    log_group: aws.cloudwatch.LogGroup, log_stream: aws.cloudwatch.LogStream,
) -> aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs:
    """Delivery into the raw zone: GZIP, product key, partitioned by the processor's year/month/day."""
    partition = "/".join(f"{key}=!{{partitionKeyFromLambda:{key}}}" for key in ("year", "month", "day"))
    return aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
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
    )


def _streaming_alarms(scope: ProductScope, firehose: aws.kinesis.FirehoseDeliveryStream, processor: Function,
                      topic: aws.sns.Topic) -> None:
    alarm(scope, "firehose-freshness",
          description=f"{scope.product_name}: streamed records are not reaching the raw zone",
          namespace="AWS/Firehose", metric="DeliveryToS3.DataFreshness", statistic="Maximum",
          dimensions={"DeliveryStreamName": firehose.name}, threshold=FIREHOSE_FRESHNESS_ALARM_SECONDS,
          topic_arn=topic.arn)
    alarm(scope, "record-processor-errors", description=f"{scope.product_name}: record processor errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": processor.function.name},
          topic_arn=topic.arn)
