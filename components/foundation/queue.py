"""SQS queues: the one builder every component uses for dead-letter queues, and work queues
that redrive into one."""

from __future__ import annotations

import json
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

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
