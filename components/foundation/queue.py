"""SQS queues: the one builder every component uses for dead-letter queues, work queues that
redrive into one, and a function polling a work queue (its role's statement and the mapping)."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.foundation import iam

# Dead letters wait two weeks (the SQS maximum), so an outage over a long weekend loses nothing.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# SQS reuses a data key for five minutes: fewer KMS calls, same key.
DATA_KEY_REUSE_SECONDS = 300
# A work queue keeps a message four days (the SQS default), well inside its dead-letter queue's
# fourteen: SQS keeps a redriven message's original enqueue time, so a dead-letter queue that kept
# less than its source would drop messages on arrival (SQS Developer Guide, "Using dead-letter queues").
WORK_RETENTION_SECONDS = 4 * 24 * 3600
# Lambda's SQS guidance: at least 5 receives before a message is dead-lettered, so one throttled or
# failed batch does not send its good messages to the dead-letter queue.
MAX_RECEIVE_COUNT = 5


def _encrypted_queue(resource_name: str, key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions,
                     queue_name: Optional[str], tags: Optional[Mapping[str, str]], **settings) -> aws.sqs.Queue:
    return aws.sqs.Queue(resource_name, name=queue_name, kms_master_key_id=key_arn,
                         kms_data_key_reuse_period_seconds=DATA_KEY_REUSE_SECONDS,
                         tags=dict(tags) if tags else None, opts=opts, **settings)


def dead_letter_queue(resource_name: str, *, key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions,
                      queue_name: Optional[str] = None, tags: Optional[Mapping[str, str]] = None) -> aws.sqs.Queue:
    """An SQS queue for messages that could not be delivered: encrypted with `key_arn` (dead letters
    hold the data they failed to deliver), kept 14 days to inspect and redrive. `queue_name`
    default None: Pulumi names it from the resource name."""
    return _encrypted_queue(resource_name, key_arn, opts, queue_name, tags,
                            message_retention_seconds=DLQ_RETENTION_SECONDS)


def work_queue(resource_name: str, *, key_arn: pulumi.Input[str], dead_letter_arn: pulumi.Input[str],
               visibility_timeout_seconds: int, opts: pulumi.ResourceOptions, queue_name: Optional[str] = None,
               tags: Optional[Mapping[str, str]] = None) -> aws.sqs.Queue:
    """An SQS queue a consumer polls: encrypted with `key_arn`, each message received at most
    MAX_RECEIVE_COUNT times before SQS moves it to `dead_letter_arn`. `visibility_timeout_seconds`
    must cover the consumer's processing time (for a Lambda event source, AWS refuses the mapping
    when it is below the function's timeout)."""
    redrive = pulumi.Output.from_input(dead_letter_arn).apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVE_COUNT}))
    return _encrypted_queue(resource_name, key_arn, opts, queue_name, tags,
                            message_retention_seconds=WORK_RETENTION_SECONDS,
                            visibility_timeout_seconds=visibility_timeout_seconds, redrive_policy=redrive)


# What Lambda's poller calls with the function's role; AWS checks them when it creates the mapping.
POLL_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# Lambda's SQS guidance: batches of ten (the SQS default) with partial batch responses.
POLL_BATCH_SIZE = 10


def poll_statement(queue_arn: pulumi.Input[str], *, sid: str) -> dict:
    """The identity statement a function needs to be fed from `queue_arn`."""
    return iam.statement(list(POLL_ACTIONS), [queue_arn], sid=sid)


def events_send_statement(queue_arn: pulumi.Input[str], rule_arns: Any, *, sid: str) -> dict:
    """Queue policy statement: EventBridge may send to the queue (as a rule's target or its dead
    letters), only for `rule_arns` (one ARN, or a list)."""
    return iam.statement(["sqs:SendMessage"], [queue_arn], sid=sid, principal={"Service": "events.amazonaws.com"},
                         condition={"ArnEquals": {"aws:SourceArn": rule_arns}})


def queue_trigger(resource_name: str, *, queue_arn: pulumi.Input[str], function_arn: pulumi.Input[str],
                  tags: Optional[Mapping[str, str]], opts: pulumi.ResourceOptions) -> aws.lambda_.EventSourceMapping:
    """Lambda polls `queue_arn` for the function: batches of POLL_BATCH_SIZE, and only the messages
    the function names in batchItemFailures come back. `opts` must make it depend on the role
    policy holding `poll_statement` (AWS checks the permissions when it creates the mapping)."""
    return aws.lambda_.EventSourceMapping(
        resource_name,
        event_source_arn=queue_arn,
        function_name=function_arn,
        batch_size=POLL_BATCH_SIZE,
        function_response_types=["ReportBatchItemFailures"],
        metrics_config=aws.lambda_.EventSourceMappingMetricsConfigArgs(metrics=["EventCount"]),
        tags=dict(tags) if tags else None,
        opts=opts,
    )
