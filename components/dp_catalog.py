"""Catalog and governance of a data product: Glue databases and crawlers, Lake Formation.

Two databases keep sharing narrow: the product's database (`naming.glue_database_name`, the one in
the contract) holds only the reportable zone's tables and is what consumers are granted; an
internal database (`<db>_internal`) holds the curated (and, where crawled, raw) tables the
domain works with. A table-wildcard grant on the product database therefore never exposes
curated or raw data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, Sequence

import pulumi
import pulumi_aws as aws

from components import iam, naming
from components.context import StackContext
from components.dp_common import ProductScope, ServiceRole
from components.dp_storage import ZoneBucket

# Crawled tables group compatible schemas (one table per dataset, not per file) and partitions
# inherit the table's schema, so a new file never forks a table.
CRAWLER_CONFIGURATION = json.dumps({
    "Version": 1.0,
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
    "CreatePartitionIndex": True,
}, sort_keys=True)
# Lake Formation cross-account grants need catalog settings version 3 or later.
LF_CROSS_ACCOUNT_VERSION = "4"
ARTIFACTS_PREFIX = "_artifacts/"

CRAWLER_CATALOG_ACTIONS = (
    "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
    "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition",
    "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
    "glue:CreatePartitionIndex", "glue:GetPartitionIndexes",
)


@dataclass(frozen=True)
class CrawlTarget:
    zone: ZoneBucket
    prefix: str = ""  # "" = the whole bucket
    exclusions: tuple[str, ...] = ()

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.zone.bucket.bucket


def security_configuration(scope: ProductScope) -> aws.glue.SecurityConfiguration:
    """Glue writes job output, logs and bookmarks encrypted with the product key."""
    return aws.glue.SecurityConfiguration(
        f"{scope.name}-glue-security",
        name=scope.physical("glue"),
        encryption_configuration=aws.glue.SecurityConfigurationEncryptionConfigurationArgs(
            s3_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(
                s3_encryption_mode="SSE-KMS", kms_key_arn=scope.key.arn),
            cloudwatch_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs(
                cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=scope.key.arn),
            job_bookmarks_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs(
                job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=scope.key.arn),
        ),
        opts=scope.child,
    )


def database(scope: ProductScope, part: str, name: str, location: ZoneBucket, description: str) -> aws.glue.CatalogDatabase:
    return aws.glue.CatalogDatabase(
        f"{scope.name}-{part}",
        name=name,
        description=description,
        location_uri=pulumi.Output.concat("s3://", location.bucket.bucket, "/"),
        opts=scope.child,
    )


def glue_logs_statement(stack: StackContext, kind: str) -> dict:
    arn = stack.arn("logs", f"log-group:/aws-glue/{kind}*")
    return iam.statement(
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
        [arn, f"{arn}:*"], sid="GlueLogs",
    )


def catalog_statement(stack: StackContext, db_name: str, actions: Sequence[str]) -> dict:
    return iam.statement(
        actions,
        [stack.arn("glue", "catalog"), stack.arn("glue", f"database/{db_name}"),
         stack.arn("glue", f"table/{db_name}/*")],
        sid="Catalog",
    )


def crawler(scope: ProductScope, part: str, *, db: aws.glue.CatalogDatabase, db_name: str,
            targets: Sequence[CrawlTarget], security: aws.glue.SecurityConfiguration,
            recrawl: Literal["CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY"], table_prefix: str = "") -> tuple[aws.glue.Crawler, ServiceRole]:
    """A crawler with its own read-only role over exactly its targets.

    Append-only zones (raw) crawl new folders only, which AWS allows only with LOG policies;
    curated/reportable are re-crawled fully so schema changes update the tables, and vanished
    tables are deprecated rather than deleted."""
    reads = [pulumi.Output.concat(t.zone.bucket.arn, "/", t.prefix, "*") for t in targets]
    role = scope.role(part, "glue.amazonaws.com", [
        iam.statement(["s3:GetObject"], reads, sid="ReadTargets"),
        iam.statement(["s3:ListBucket"], list({t.zone.zone: t.zone.bucket.arn for t in targets}.values()),
                      sid="ListTargets"),
        catalog_statement(scope.stack, db_name, CRAWLER_CATALOG_ACTIONS),
        glue_logs_statement(scope.stack, "crawlers"),
        scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
        # Catalog access under Lake Formation; the action has no resource-level permissions.
        iam.statement(["lakeformation:GetDataAccess"], ["*"], sid="LakeFormation"),
    ])
    incremental = recrawl == "CRAWL_NEW_FOLDERS_ONLY"
    c = aws.glue.Crawler(
        f"{scope.name}-{part}",
        name=scope.physical("glue", part),
        description=f"Catalogs {', '.join(t.zone.zone for t in targets)} data of {scope.pname}",
        role=role.arn,
        database_name=db.name,
        table_prefix=table_prefix or None,
        s3_targets=[
            aws.glue.CrawlerS3TargetArgs(
                path=pulumi.Output.concat("s3://", t.bucket_name, "/", t.prefix),
                exclusions=list(t.exclusions) or None,
            )
            for t in targets
        ],
        schedule=scope.product.crawler_schedule,
        security_configuration=security.name,
        schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
            update_behavior="LOG" if incremental else "UPDATE_IN_DATABASE",
            delete_behavior="LOG" if incremental else "DEPRECATE_IN_DATABASE",
        ),
        recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior=recrawl),
        configuration=CRAWLER_CONFIGURATION,
        opts=scope.after(role.policy),
    )
    return c, role


# --- Lake Formation ------------------------------------------------------------------------

def lake_formation_settings(name: str, stack: StackContext,
                            admins: Sequence[pulumi.Input[str]] | pulumi.ResourceOptions | None = None,
                            opts: pulumi.ResourceOptions | None = None) -> aws.lakeformation.DataLakeSettings:
    """The account's Lake Formation settings: create ONCE per stack (they are account-wide).

    - `admins`: the data lake administrators, who then grant everything else. Pass the deploy
      role ARN (`components.account.deploy_role_arn(settings)`); when omitted, the role the
      provider deploys with is read from the caller identity;
    - no IAMAllowedPrincipals defaults for new databases and tables: access to catalog data is
      only ever what Lake Formation grants, never "any IAM principal with glue:Get*";
    - cross-account grant version 4, so consumers in other accounts can be granted.
    """
    if isinstance(admins, pulumi.ResourceOptions):  # called as (name, stack, opts)
        admins, opts = None, admins
    if admins is None:
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(
            provider=(opts.providers[0] if opts and isinstance(opts.providers, list) and opts.providers else None)))
        admins = [caller.arn.apply(_role_of_session)]
    elif not admins:
        raise ValueError("lake_formation_settings needs at least one admin (the deploy role ARN)")
    return aws.lakeformation.DataLakeSettings(
        name,
        admins=list(admins),
        create_database_default_permissions=[],
        create_table_default_permissions=[],
        parameters={"CROSS_ACCOUNT_VERSION": LF_CROSS_ACCOUNT_VERSION},
        opts=opts,
    )


def _role_of_session(arn: str) -> str:
    """arn:aws:sts::<acct>:assumed-role/<role>/<session> -> arn:aws:iam::<acct>:role/<role>."""
    head, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return arn
    partition, account = head.split(":")[1], head.split(":")[4]
    return f"arn:{partition}:iam::{account}:role/{resource.split('/')[0]}"


def registration_role(scope: ProductScope, zones: Sequence[ZoneBucket]) -> ServiceRole:
    """A dedicated role Lake Formation uses for the registered zones (not the service-linked
    role, which cannot use a customer key and is shared by every location in the account)."""
    return scope.role("lakeformation", "lakeformation.amazonaws.com", [
        iam.statement(["s3:ListBucket"], [z.bucket.arn for z in zones], sid="List"),
        iam.statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                      [pulumi.Output.concat(z.bucket.arn, "/*") for z in zones], sid="Objects"),
        scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
    ])


def register(scope: ProductScope, zone: ZoneBucket, role: ServiceRole, deps: Sequence[pulumi.Resource]) -> aws.lakeformation.Resource:
    return aws.lakeformation.Resource(
        f"{scope.name}-{zone.zone}-lf",
        arn=zone.bucket.arn,
        role_arn=role.arn,
        use_service_linked_role=False,
        opts=scope.after(role.policy, *deps),
    )


def crawler_grants(scope: ProductScope, part: str, role: ServiceRole, db: aws.glue.CatalogDatabase,
                   locations: Sequence[tuple[ZoneBucket, aws.lakeformation.Resource]],
                   deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """What a crawler needs under Lake Formation: create/alter tables in its database and
    point tables at the registered locations it crawls."""
    grants = [aws.lakeformation.Permissions(
        f"{scope.name}-{part}-lf-db",
        principal=role.arn,
        permissions=["CREATE_TABLE", "ALTER", "DESCRIBE"],
        database=aws.lakeformation.PermissionsDatabaseArgs(name=db.name),
        opts=scope.after(*deps),
    )]
    for zone, registered in locations:
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-{part}-lf-{zone.zone}",
            principal=role.arn,
            permissions=["DATA_LOCATION_ACCESS"],
            data_location=aws.lakeformation.PermissionsDataLocationArgs(arn=zone.bucket.arn),
            opts=scope.after(registered, *deps),
        ))
    return grants


def consumer_grants(scope: ProductScope, db: aws.glue.CatalogDatabase, registered: aws.lakeformation.Resource,
                    deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """Per consumer account (named by account id, so reordering never replaces a grant): see the
    product database, read every table in it. No grant option: consumers cannot re-share."""
    grants = []
    for account in scope.product.consumers:
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{account}-db",
            principal=account,
            permissions=["DESCRIBE"],
            database=aws.lakeformation.PermissionsDatabaseArgs(name=db.name),
            opts=scope.after(registered, *deps),
        ))
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{account}-tables",
            principal=account,
            permissions=["SELECT", "DESCRIBE"],
            table=aws.lakeformation.PermissionsTableArgs(database_name=db.name, wildcard=True),
            opts=scope.after(registered, *deps),
        ))
    return grants


def glue_database_names(scope: ProductScope) -> tuple[str, str]:
    shared = naming.glue_database_name(scope.bu, scope.env, scope.pname)
    internal = naming.physical_name("glue_database", scope.bu, scope.env, scope.pname, "internal")
    return shared, internal
