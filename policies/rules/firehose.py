"""Data Firehose: delivery streams encrypt what they buffer and what they write."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, get, resource_policy

DELIVERY_STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


def _encrypted(props, cfg, args):
    sse = get(props, "serverSideEncryption", "enabled") is True
    s3_kms = bool(get(props, "extendedS3Configuration", "kmsKeyArn"))
    if not (sse or s3_kms):
        yield ("Delivery stream must set serverSideEncryption.enabled (CUSTOMER_MANAGED_CMK) or "
               "extendedS3Configuration.kmsKeyArn.")
    elif sse and get(props, "serverSideEncryption", "keyType") == "CUSTOMER_MANAGED_CMK" \
            and not get(props, "serverSideEncryption", "keyArn"):
        yield "serverSideEncryption.keyType CUSTOMER_MANAGED_CMK needs serverSideEncryption.keyArn."


POLICIES = [
    resource_policy(
        name="firehose-delivery-stream-encrypted", service="firehose",
        description="Firehose delivery streams encrypt at rest (stream SSE or KMS on the S3 destination).",
        types=[DELIVERY_STREAM], check=_encrypted, level=MANDATORY, severity=HIGH,
        remediation="Set server_side_encryption (enabled, key_type='CUSTOMER_MANAGED_CMK', key_arn) or "
                    "extended_s3_configuration.kms_key_arn."),
]
