"""Kinesis data streams and Firehose delivery streams."""

from __future__ import annotations

from offline.mocks.builders.base import Builder, named_resource

BUILDERS: dict[str, Builder] = {
    # kinesis/stream.go: id = arn = arn:...:stream/<name>
    "aws:kinesis/stream:Stream": named_resource("kinesis", "stream/{name}", id_is_arn=True),
    # firehose/delivery_stream.go: id = arn = arn:<p>:firehose:<region>:<acct>:deliverystream/<name>
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": named_resource(
        "firehose", "deliverystream/{name}", id_is_arn=True),
}
