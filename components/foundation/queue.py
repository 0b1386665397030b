"""Dead-letter queues: the one builder every component uses for them."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

# Dead letters wait two weeks (the SQS maximum), so an outage over a long weekend loses nothing.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# SQS reuses a data key for five minutes: fewer KMS calls, same key.
DATA_KEY_REUSE_SECONDS = 300


def dead_letter_queue(resource_name: str, *, key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions,
                      queue_name: Optional[str] = None, tags: Optional[Mapping[str, str]] = None) -> aws.sqs.Queue:
    """An SQS queue for messages that could not be delivered: encrypted with `key_arn` (dead letters
    hold the data they failed to deliver), kept 14 days to inspect and redrive. `queue_name`
    default None: Pulumi names it from the resource name."""
    return aws.sqs.Queue(
        resource_name,
        name=queue_name,
        kms_master_key_id=key_arn,
        kms_data_key_reuse_period_seconds=DATA_KEY_REUSE_SECONDS,
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        tags=dict(tags) if tags else None,
        opts=opts,
    )
