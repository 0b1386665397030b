"""Data Firehose: delivery streams encrypt what they buffer and what they write."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, UNKNOWN, is_aws_managed_key, peek, resource_policy

DELIVERY_STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


def _encrypted(props, cfg, args):
    sse = peek(props, "serverSideEncryption", "enabled") in (True, UNKNOWN)
    s3_key = peek(props, "extendedS3Configuration", "kmsKeyArn")
    if not (sse or s3_key is not None):
        yield ("Delivery stream must set serverSideEncryption.enabled (CUSTOMER_MANAGED_CMK) or "
               "extendedS3Configuration.kmsKeyArn.")
    elif sse and peek(props, "serverSideEncryption", "keyType") == "CUSTOMER_MANAGED_CMK" \
            and peek(props, "serverSideEncryption", "keyArn") is None:
        yield "serverSideEncryption.keyType CUSTOMER_MANAGED_CMK needs serverSideEncryption.keyArn."
    for key in (s3_key, peek(props, "serverSideEncryption", "keyArn")):
        if is_aws_managed_key(key):
            yield f"Delivery stream uses the AWS managed key '{key}'; use a customer managed key."


POLICIES = [
    resource_policy(
        name="firehose-delivery-stream-encrypted", service="firehose",
        description="Firehose delivery streams encrypt at rest (stream SSE or KMS on the S3 destination).",
        types=[DELIVERY_STREAM], check=_encrypted, level=MANDATORY, severity=HIGH,
        remediation="Set server_side_encryption (enabled, key_type='CUSTOMER_MANAGED_CMK', key_arn) or "
                    "extended_s3_configuration.kms_key_arn."),
]
