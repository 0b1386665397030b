"""Catalog of a data product: Glue databases, crawlers and their security configuration.

Two databases keep sharing narrow: the product's database (`naming.glue_database_name`, the one in
the contract) holds only the declared datasets (Iceberg tables, `datasets.py`) and is what
consumers are granted, by LF-tag; an internal database (`<db>_internal`) holds the curated (and,
where crawled, raw) tables the domain works with, found by crawlers. Nothing is ever granted by
table wildcard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import iam, naming
from components.foundation.context import StackContext
from components.data_product.datasets import dataset_tables, quality_rulesets
from components.data_product.lake_formation import (LfTags, consumer_grants, crawler_grants, register,
                                                    registration_role, tag_catalog)
from components.data_product.scope import ProductScope, ServiceRole
from components.data_product.zones import ZoneRef

# Crawled tables group compatible schemas (one table per dataset, not per file) and partitions
# inherit the table's schema, so a new file never forks a table.
CRAWLER_CONFIGURATION = json.dumps({
    "Version": 1.0,
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
    "CreatePartitionIndex": True,
}, sort_keys=True)
ARTIFACTS_PREFIX = "_artifacts/"

CRAWLER_CATALOG_ACTIONS = (
    "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
    "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition",
    "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
    "glue:CreatePartitionIndex", "glue:GetPartitionIndexes",
)


@dataclass(frozen=True)
class CrawlTarget:
    zone: ZoneRef
    prefix: str = ""  # "" = the whole bucket
    exclusions: tuple[str, ...] = ()

    @property
    def bucket_name(self) -> pulumi.Input[str]:
        return self.zone.bucket_name


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


def database(scope: ProductScope, part: str, name: str, location: ZoneRef, description: str,
             deps: Sequence[pulumi.Resource] = ()) -> aws.glue.CatalogDatabase:
    """A Glue database. It waits for the account's Lake Formation settings (`deps`): a database
    created before them would get the IAMAllowedPrincipals default the settings switch off."""
    return aws.glue.CatalogDatabase(
        f"{scope.name}-{part}",
        name=name,
        description=description,
        location_uri=pulumi.Output.concat("s3://", location.bucket_name, "/"),
        opts=scope.after(*deps),
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
    reads = [pulumi.Output.concat(t.zone.bucket_arn, "/", t.prefix, "*") for t in targets]
    role = scope.role(part, "glue.amazonaws.com", [
        iam.statement(["s3:GetObject"], reads, sid="ReadTargets"),
        iam.statement(["s3:ListBucket"], list({t.zone.zone: t.zone.bucket_arn for t in targets}.values()),
                      sid="ListTargets"),
        catalog_statement(scope.stack, db_name, CRAWLER_CATALOG_ACTIONS),
        glue_logs_statement(scope.stack, "crawlers"),
        scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
        # Catalog access under Lake Formation; the action has no resource-level permissions.
        iam.statement(["lakeformation:GetDataAccess"], ["*"], sid="LakeFormation"),
    ])
    incremental = recrawl == "CRAWL_NEW_FOLDERS_ONLY"
    glue_crawler = aws.glue.Crawler(
        f"{scope.name}-{part}",
        name=scope.physical("glue", part),
        description=f"Catalogs {', '.join(t.zone.zone for t in targets)} data of {scope.product_name}",
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
    return glue_crawler, role


def glue_database_names(scope: ProductScope) -> tuple[str, str]:
    shared = naming.glue_database_name(scope.stack.business_unit, scope.stack.environment, scope.product_name)
    internal = naming.physical_name("glue_database", scope.stack.business_unit, scope.stack.environment, scope.product_name, "internal")
    return shared, internal


# --- the whole catalog of a product, primary and DR alike -------------------------------------

@dataclass(frozen=True)
class Catalog:
    shared_database: aws.glue.CatalogDatabase
    internal_database: aws.glue.CatalogDatabase
    # part ("curated-crawler", ...) -> crawler
    crawlers: dict[str, aws.glue.Crawler]
    registration_role: ServiceRole
    # Physical name of the raw crawler, when raw data is crawled (arrivals start it).
    raw_crawler_name: str | None
    # dataset name -> its Iceberg table / its data quality ruleset (datasets with one)
    tables: dict[str, aws.glue.CatalogTable]
    rulesets: dict[str, aws.glue.DataQualityRuleset]
    # zone -> its Lake Formation registration (curated, reportable)
    registered: dict[str, aws.lakeformation.Resource]


def product_catalog(scope: ProductScope, zones: Mapping[str, ZoneRef], security: aws.glue.SecurityConfiguration,
                    *, raw_prefixes: Sequence[str], curated_exclusions: Sequence[str],
                    lf_deps: Sequence[pulumi.Resource], lf_tags: Optional[LfTags]) -> Catalog:
    """The catalog and Lake Formation set-up of one data product. The primary builds it over its
    zones and the DR pilot light over the replicas, so DR's catalog is the primary's by
    construction: the shared database (the datasets' Iceberg tables and their quality rulesets,
    tagged and granted to consumers by LF-tag), the internal database (curated tables, and raw
    tables under `raw_` when `raw_prefixes` are crawled), crawlers with their own read-only roles
    (the curated crawler skips `curated_exclusions`: job artifacts, quarantined rows and output
    still being staged), and the curated and reportable zones registered with a dedicated role."""
    if scope.product.datasets and lf_tags is None:
        raise ValueError(f"data product {scope.product_name} declares datasets: pass the stack's LF-tags "
                         "(lake_formation_tags) so they can be tagged and shared")
    shared_name, internal_name = glue_database_names(scope)
    shared = database(scope, "catalog", shared_name, zones["reportable"],
                      f"{scope.product_name}: reportable datasets (Iceberg), shared with consumers", lf_deps)
    internal = database(scope, "catalog-internal", internal_name, zones["curated"],
                        f"{scope.product_name}: curated and raw data, domain-internal", lf_deps)
    crawlers = {"curated-crawler": crawler(
        scope, "curated-crawler", db=internal, db_name=internal_name,
        targets=[CrawlTarget(zones["curated"], exclusions=tuple(curated_exclusions))],
        security=security, recrawl="CRAWL_EVERYTHING")}
    raw_crawler_name = None
    if raw_prefixes:
        crawlers["raw-crawler"] = crawler(
            scope, "raw-crawler", db=internal, db_name=internal_name,
            targets=[CrawlTarget(zones["raw"], prefix=p) for p in raw_prefixes], security=security,
            recrawl="CRAWL_NEW_FOLDERS_ONLY", table_prefix="raw_")
        raw_crawler_name = scope.physical("glue", "raw-crawler")

    shared_zones = [zones["curated"], zones["reportable"]]
    role = registration_role(scope, shared_zones)
    registered = {z.zone: register(scope, z, role, lf_deps) for z in shared_zones}
    for part, (_, crawler_role) in crawlers.items():
        locations = [(zones["curated"], registered["curated"])] if part == "curated-crawler" else []
        crawler_grants(scope, part, crawler_role, internal, locations, lf_deps)
    tables = dataset_tables(scope, shared, zones["reportable"], [registered["reportable"], *lf_deps])
    rulesets = quality_rulesets(scope, shared.name, tables)
    if lf_tags is not None and tables:
        consumer_grants(scope, tag_catalog(scope, shared, tables, lf_tags), registered["reportable"], lf_deps)
    return Catalog(shared, internal, {part: built for part, (built, _) in crawlers.items()}, role, raw_crawler_name,
                   tables, rulesets, registered)
