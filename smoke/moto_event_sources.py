"""Lambda's SQS poller, played over moto: each recorded event source mapping on a queue receives
up to its batch size, invokes its function with the SQS event Lambda sends, and deletes what the
function did not report as failed.

Lambda documents the event ("Using Lambda with Amazon SQS", example standard queue message event)
and the partial batch response: with ``ReportBatchItemFailures`` only the messages named in
``batchItemFailures`` stay on the queue; without it, or when the function raises, the whole batch
does. A message left on the queue is visible again here at once (AWS waits for the visibility
timeout), so SQS's redrive to the dead-letter queue after ``maxReceiveCount`` receives happens
within one settle.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from smoke.platform import Delivery

if TYPE_CHECKING:
    from smoke.moto_platform import MotoPlatform

ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
DEFAULT_SQS_BATCH = 10  # CreateEventSourceMapping's BatchSize default for SQS


def sqs_mappings(platform: "MotoPlatform") -> list[tuple[Any, Any]]:
    """(graph, mapping record) of every enabled mapping whose source is an SQS queue."""
    return [(graph, mapping) for graph in platform.graphs.values() for mapping in graph.local(ESM)
            if str(mapping.inputs.get("eventSourceArn", "")).split(":")[2:3] == ["sqs"]
            and mapping.inputs.get("enabled") is not False]


def consumers(platform: "MotoPlatform", queue_arn: str) -> list[str]:
    return sorted({m.outputs["functionArn"] for _, m in sqs_mappings(platform) if m.inputs["eventSourceArn"] == queue_arn})


def _record(message: dict, queue_arn: str, region: str) -> dict:
    """One entry of the SQS event's Records, as Lambda builds it."""
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
            "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region}


def _delivery(mapping_arn: str, function_arn: str, body: str, outcome: str, note: str) -> Delivery:
    try:
        event = json.loads(body)
    except ValueError:
        event = {}
    event = event if isinstance(event, dict) else {}
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    return Delivery(str(event.get("id", "")), detail.get("eventId"), str(event.get("source", "")),
                    str(event.get("detail-type", "")), "", mapping_arn, function_arn, "lambda", outcome, note)


def poll(platform: "MotoPlatform") -> bool:
    """One receive per mapping; True when any message was handed to a function."""
    progressed = False
    for graph, mapping in sqs_mappings(platform):
        queue_arn = mapping.inputs["eventSourceArn"]
        account, region, name = queue_arn.split(":")[4], queue_arn.split(":")[3], queue_arn.split(":")[5]
        with platform.clients(account, region) as aws:
            url = aws.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            messages = aws.sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"],
                                               MaxNumberOfMessages=min(int(mapping.inputs.get("batchSize") or
                                                                           DEFAULT_SQS_BATCH), 10)).get("Messages", [])
        if not messages:
            continue
        progressed = True
        function_graph, function = platform.function(mapping.outputs["functionArn"])
        event = {"Records": [_record(m, queue_arn, region) for m in messages]}
        try:
            result = platform.invoke(function_graph, function, event)
            partial = "ReportBatchItemFailures" in (mapping.inputs.get("functionResponseTypes") or [])
            failed = {f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures", [])} if partial else set()
            note = json.dumps(result, default=str)[:500]
        except Exception as exc:  # noqa: BLE001 - the whole batch goes back to the queue
            failed, note = {m["MessageId"] for m in messages}, f"{type(exc).__name__}: {exc}"
        with platform.clients(account, region) as aws:
            for message in messages:
                if message["MessageId"] in failed:
                    aws.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                      VisibilityTimeout=0)
                else:
                    aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                platform.deliveries.append(_delivery(mapping.outputs["arn"], function.outputs["arn"], message["Body"],
                                                     "failed" if message["MessageId"] in failed else "invoked", note))
    return progressed
