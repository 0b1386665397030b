"""Event ingestion: the product bus's routing rules, archive and the ODS writer.

Rules send the ingested events to the writer's queue, and the writer polls it (a Lambda event
source mapping, partial batch responses). Through a queue the writer reads each event as text, so
its numbers keep every digit: an event EventBridge invokes a function with directly is parsed by the
Lambda Python runtime into floats (17 significant digits) before the handler sees it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import iam, naming
from components.foundation.queue import poll_statement, queue_trigger
from components.data_product.scope import Function, ProductScope, alarm, event_target, lambda_function, queue_policy_for_events

WRITER_TIMEOUT_SECONDS = 30
# Lambda's SQS guidance: a visibility timeout of six times the function's timeout, so a batch that
# is retried after throttling is not received again while still being processed.
WRITER_QUEUE_VISIBILITY_SECONDS = 6 * WRITER_TIMEOUT_SECONDS
BACKLOG_ALARM_SECONDS = 15 * 60


@dataclass(frozen=True)
class Events:
    rules: dict[str, aws.cloudwatch.EventRule]
    archive: aws.cloudwatch.EventArchive
    writer: Function
    queue: aws.sqs.Queue
    dlq: aws.sqs.Queue


def events(scope: ProductScope, bus: aws.cloudwatch.EventBus, table: aws.dynamodb.Table,
           topic: aws.sns.Topic) -> Events:
    settings = scope.product.ingestion.events
    assert settings is not None
    archive = aws.cloudwatch.EventArchive(
        f"{scope.name}-events-archive",
        description=f"{scope.product_name}: ingested events, kept for replay",
        event_source_arn=bus.arn,
        event_pattern=json.dumps({"source": settings.sources, "account": [scope.stack.account_id]}),
        retention_days=settings.archive_retention_days,
        kms_key_identifier=scope.key.arn,
        opts=scope.child,
    )
    # One queue for everything the writer could not store: target delivery failures, messages the
    # writer failed MAX_RECEIVE_COUNT times, and invalid events (DLQ_URL) -- all EventBridge events.
    dlq = scope.queue("ods-writer-dlq")
    queue = scope.work_queue("ods-writer-queue", dlq, WRITER_QUEUE_VISIBILITY_SECONDS)
    writer = _writer(scope, table, queue, dlq)
    rules: dict[str, aws.cloudwatch.EventRule] = {}
    for source in settings.sources:
        rules[source] = aws.cloudwatch.EventRule(
            f"{scope.name}-events-{source}",
            description=f"{scope.product_name}: events from {source} into the ODS",
            event_bus_name=bus.name,
            # Only this account's events feed the store, whatever the bus policy admits.
            event_pattern=json.dumps({"source": [source], "account": [scope.stack.account_id]}),
            opts=scope.child,
        )
        event_target(scope, f"events-{source}", rules[source], queue.arn, dlq, event_bus_name=bus.name)
    rule_arns = [rule.arn for rule in rules.values()]
    queue_policy_for_events(scope, "ods-writer-queue", queue, rule_arns, sid="EventBridgeSends")
    queue_policy_for_events(scope, "ods-writer-dlq", dlq, rule_arns)
    queue_trigger(f"{scope.name}-ods-writer-source", queue_arn=queue.arn, function_arn=writer.function.arn,
                  tags=scope.tags, opts=scope.after(writer.role.policy))
    _alarms(scope, queue, dlq, writer, topic)
    return Events(rules, archive, writer, queue, dlq)


def _writer(scope: ProductScope, table: aws.dynamodb.Table, queue: aws.sqs.Queue, dlq: aws.sqs.Queue) -> Function:
    store = scope.product.operational_store
    environment: dict[str, pulumi.Input[str]] = {
        "TABLE_NAME": table.name, "PARTITION_KEY": store.partition_key, "DLQ_URL": dlq.url,
    }
    if store.sort_key is not None:
        environment["SORT_KEY"] = store.sort_key
    return lambda_function(scope, "ods_writer", environment=environment, timeout=WRITER_TIMEOUT_SECONDS,
                           dead_letter_arn=dlq.arn,
                           description=f"{scope.product_name}: upsert ingested events into the ODS",
                           statements=[
                               # Conditional puts are the writer's only table call.
                               iam.statement(["dynamodb:PutItem"], [table.arn], sid="OdsWrites"),
                               poll_statement(queue.arn, sid="PollQueue"),
                               scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
                           ])


def _alarms(scope: ProductScope, queue: aws.sqs.Queue, dlq: aws.sqs.Queue, writer: Function,
            topic: aws.sns.Topic) -> None:
    alarm(scope, "ods-writer-dlq-depth", description=f"{scope.product_name}: events could not be written to the ODS",
          namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
          dimensions={"QueueName": dlq.name}, topic_arn=topic.arn)
    alarm(scope, "ods-writer-backlog",
          description=f"{scope.product_name}: ingested events wait over 15 minutes for the ODS writer",
          namespace="AWS/SQS", metric="ApproximateAgeOfOldestMessage", statistic="Maximum",
          dimensions={"QueueName": queue.name}, threshold=BACKLOG_ALARM_SECONDS, topic_arn=topic.arn)
    alarm(scope, "ods-writer-errors", description=f"{scope.product_name}: ODS writer errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": writer.function.name},
          topic_arn=topic.arn)


def event_bus_name(scope: ProductScope) -> str:
    return naming.prefixed("eventbus", scope.stack.business_unit, scope.stack.environment, scope.product_name)
