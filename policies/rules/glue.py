"""Glue: crawlers and jobs run under a security configuration that encrypts everything with KMS;
sensitive Iceberg datasets carry a Data Quality ruleset."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, UNKNOWN, cmk_problem, of_type, peek, resource_policy, stack_policy
from ._catalog import CATALOG_DATABASE, CATALOG_TABLE, MAYBE, both, reference_names, same, shown_name, table_names
from .lakeformation import CLASSIFICATION_KEY, RESOURCE_LF_TAGS, effective_classification

CRAWLER = "aws:glue/crawler:Crawler"
JOB = "aws:glue/job:Job"
SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"
DATA_QUALITY_RULESET = "aws:glue/dataQualityRuleset:DataQualityRuleset"
SENSITIVE = ("confidential", "restricted")


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


def _iceberg(table):
    """True, False or MAYBE (the table format is unknown until apply)."""
    iceberg = peek(table.props, "openTableFormatInput", "icebergInput")
    if iceberg is UNKNOWN or peek(table.props, "openTableFormatInput") is UNKNOWN:
        return MAYBE
    if iceberg is not None:
        return True
    table_type = peek(table.props, "parameters", "table_type")
    if table_type is UNKNOWN:
        return MAYBE
    return isinstance(table_type, str) and table_type.upper() == "ICEBERG"


def _sensitive_datasets_have_rulesets(resources, cfg):
    rulesets = of_type(resources, DATA_QUALITY_RULESET)
    for table in of_type(resources, CATALOG_TABLE):
        if _iceberg(table) is not True:
            continue  # not Iceberg, or undecided until apply
        database, name = table_names(table, resources)
        level, sources = effective_classification(database, name, resources)
        if level not in SENSITIVE:
            continue  # not sensitive, or undecided until apply (MAYBE)
        found = [both(same(db_ref, database), same(table_ref, name))
                 for db_ref, table_ref in (reference_names(r, "targetTable", "databaseName", "tableName", resources)
                                           for r in rulesets)]
        if True in found or MAYBE in found:
            continue
        yield (f"Iceberg table '{shown_name(database)}.{shown_name(name)}' ('{table.name}') is classified "
               f"'{level}' ({CLASSIFICATION_KEY} from ResourceLfTags {', '.join(repr(s) for s in sources)}) but no "
               "Glue Data Quality ruleset targets it."), table.urn


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
    stack_policy(
        name="glue-sensitive-dataset-has-quality-ruleset", service="glue",
        description="Every Iceberg catalog table whose effective ddp:classification (the highest an LF-tag "
                    "assignment gives the table, its columns or its database) is confidential or restricted has a "
                    "Glue Data Quality ruleset targeting its database and table. Names unknown during a preview "
                    "are matched through the resources they are wired from, else judged at update.",
        applies_to=[CATALOG_TABLE], check=_sensitive_datasets_have_rulesets, level=MANDATORY, severity=HIGH,
        reads=(RESOURCE_LF_TAGS, DATA_QUALITY_RULESET, CATALOG_DATABASE),
        remediation="Declare an aws.glue.DataQualityRuleset (DQDL rules for the dataset) with target_table "
                    "database_name and table_name of the table."),
]
