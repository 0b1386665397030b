"""Glue: crawlers and jobs run under a security configuration that encrypts everything with KMS."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, get, resource_policy

CRAWLER = "aws:glue/crawler:Crawler"
JOB = "aws:glue/job:Job"
SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"


def _has_security_configuration(kind):
    def check(props, cfg, args):
        if not get(props, "securityConfiguration"):
            yield f"Glue {kind} must set securityConfiguration."
    return check


def _encrypts_all(props, cfg, args):
    enc = get(props, "encryptionConfiguration", default={})
    s3_mode = get(enc, "s3Encryption", "s3EncryptionMode", default="DISABLED")
    if s3_mode != "SSE-KMS" or not get(enc, "s3Encryption", "kmsKeyArn"):
        yield f"s3Encryption is '{s3_mode}'; use SSE-KMS with kmsKeyArn."
    cw_mode = get(enc, "cloudwatchEncryption", "cloudwatchEncryptionMode", default="DISABLED")
    if cw_mode != "SSE-KMS" or not get(enc, "cloudwatchEncryption", "kmsKeyArn"):
        yield f"cloudwatchEncryption is '{cw_mode}'; use SSE-KMS with kmsKeyArn."
    jb_mode = get(enc, "jobBookmarksEncryption", "jobBookmarksEncryptionMode", default="DISABLED")
    if jb_mode != "CSE-KMS" or not get(enc, "jobBookmarksEncryption", "kmsKeyArn"):
        yield f"jobBookmarksEncryption is '{jb_mode}'; use CSE-KMS with kmsKeyArn."


POLICIES = [
    resource_policy(
        name="glue-crawler-has-security-configuration", service="glue",
        description="Glue crawlers run with a security configuration.",
        types=[CRAWLER], check=_has_security_configuration("crawler"), level=MANDATORY, severity=HIGH,
        remediation="Set security_configuration=<aws.glue.SecurityConfiguration name>."),
    resource_policy(
        name="glue-job-has-security-configuration", service="glue",
        description="Glue jobs run with a security configuration.",
        types=[JOB], check=_has_security_configuration("job"), level=MANDATORY, severity=HIGH,
        remediation="Set security_configuration=<aws.glue.SecurityConfiguration name>."),
    resource_policy(
        name="glue-security-configuration-encrypts-all", service="glue",
        description="Glue security configurations encrypt S3 data (SSE-KMS), CloudWatch logs (SSE-KMS) "
                    "and job bookmarks (CSE-KMS) with a customer managed key.",
        types=[SECURITY_CONFIGURATION], check=_encrypts_all, level=MANDATORY, severity=HIGH,
        remediation="Set s3_encryption SSE-KMS, cloudwatch_encryption SSE-KMS and job_bookmarks_encryption "
                    "CSE-KMS, each with kms_key_arn."),
]
