"""Glue: crawlers and jobs run under a security configuration that encrypts everything with KMS."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, UNKNOWN, cmk_problem, peek, resource_policy

CRAWLER = "aws:glue/crawler:Crawler"
JOB = "aws:glue/job:Job"
SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"


def _has_security_configuration(kind):
    def check(props, cfg, args):
        if peek(props, "securityConfiguration") is None:
            yield f"Glue {kind} must set securityConfiguration."
    return check


def _encrypts_all(props, cfg, args):
    enc = peek(props, "encryptionConfiguration", default={})
    for block, mode_key, wanted in (("s3Encryption", "s3EncryptionMode", "SSE-KMS"),
                                    ("cloudwatchEncryption", "cloudwatchEncryptionMode", "SSE-KMS"),
                                    ("jobBookmarksEncryption", "jobBookmarksEncryptionMode", "CSE-KMS")):
        mode = peek(enc, block, mode_key, default="DISABLED")
        if mode is UNKNOWN:
            continue
        problem = cmk_problem(peek(enc, block, "kmsKeyArn"), "kmsKeyArn")
        if mode != wanted or problem:
            yield f"{block} is '{mode}'; use {wanted} with kmsKeyArn of a customer managed key."


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
