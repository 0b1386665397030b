"""Event ingestion: the product bus's routing rules, archive and the ODS writer."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import iam, naming
from components.data_product.scope import (Function, ProductScope, alarm, event_target_to_lambda, lambda_function,
                                           queue_policy_for_events)


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
    store = scope.product.operational_store
    archive = aws.cloudwatch.EventArchive(
        f"{scope.name}-events-archive",
        description=f"{scope.product_name}: ingested events, kept for replay",
        event_source_arn=bus.arn,
        event_pattern=json.dumps({"source": settings.sources}),
        retention_days=settings.archive_retention_days,
        kms_key_identifier=scope.key.arn,
        opts=scope.child,
    )
    # One queue for everything the writer could not store: target delivery failures, function
    # failures after Lambda's retries, and invalid events (DLQ_URL) -- all EventBridge events.
    dlq = scope.queue("ods-writer-dlq")
    environment: dict[str, pulumi.Input[str]] = {
        "TABLE_NAME": table.name, "PARTITION_KEY": store.partition_key, "DLQ_URL": dlq.url,
    }
    if store.sort_key is not None:
        environment["SORT_KEY"] = store.sort_key
    writer = lambda_function(scope, "ods_writer", environment=environment, timeout=30, dead_letter_arn=dlq.arn,
                             description=f"{scope.product_name}: upsert ingested events into the ODS",
                             statements=[
                                 # Conditional puts are the writer's only table call.
                                 iam.statement(["dynamodb:PutItem"], [table.arn], sid="OdsWrites"),
                                 scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
                             ])
    rules: dict[str, aws.cloudwatch.EventRule] = {}
    for source in settings.sources:
        rule = aws.cloudwatch.EventRule(
            f"{scope.name}-events-{source}",
            description=f"{scope.product_name}: events from {source} into the ODS",
            event_bus_name=bus.name,
            # Only this account's events feed the store: other accounts may put declared sources
            # on the bus (for consumers' own rules), never into the ODS.
            event_pattern=json.dumps({"source": [source], "account": [scope.stack.account_id]}),
            opts=scope.child,
        )
        event_target_to_lambda(scope, f"events-{source}", rule, writer, dlq, event_bus_name=bus.name)
        rules[source] = rule
    queue_policy_for_events(scope, "ods-writer-dlq", dlq, [rule.arn for rule in rules.values()])
    alarm(scope, "ods-writer-dlq-depth", description=f"{scope.product_name}: events could not be written to the ODS",
          namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
          dimensions={"QueueName": dlq.name}, topic_arn=topic.arn)
    alarm(scope, "ods-writer-errors", description=f"{scope.product_name}: ODS writer errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": writer.function.name},
          topic_arn=topic.arn)
    return Events(rules, archive, writer, dlq)


def event_bus_name(scope: ProductScope) -> str:
    return naming.prefixed("eventbus", scope.stack.business_unit, scope.stack.environment, scope.product_name)
