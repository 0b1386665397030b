"""A data product's reportable datasets in the catalog: one Apache Iceberg table per dataset in
the product database, and the Glue Data Quality ruleset it is checked against.

Glue creates each table's first Iceberg metadata (CreateTable with the Iceberg input) at
`s3://<reportable bucket>/<dataset>/`; from then on the reportable job owns the table's schema
and snapshots (functions/reportable): it evolves the schema to the declared version and commits
every write, which moves `metadata_location`. So the program declares a table once and ignores
what Iceberg changes after it (schema, parameters, storage descriptor): replacing or "correcting"
a live Iceberg table from the program would drop its history.
"""

from __future__ import annotations

import json
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.data_product.scope import ProductScope
from components.data_product.spec import DatasetSpec
from components.data_product.zones import ZoneRef

# Glue/Athena column types -> Iceberg schema types. Spark writes its TimestampType as Iceberg
# `timestamptz` (UTC instants), which Athena reads as `timestamp`.
ICEBERG_TYPES = {"string": "string", "boolean": "boolean", "int": "int", "bigint": "long", "float": "float",
                 "double": "double", "date": "date", "timestamp": "timestamptz"}
# Iceberg: partition field ids start at 1000 (the spec's convention for the first partition spec).
PARTITION_FIELD_ID_START = 1000
TABLE_VERSION_PROPERTY = "ddp.dataset_version"
# What Iceberg (through the reportable job) changes after the table is created.
ICEBERG_OWNED_PROPERTIES = ["openTableFormatInput", "parameters", "storageDescriptor", "partitionKeys", "tableType"]


def iceberg_type(glue_type: str) -> str:
    """`decimal(p,s)` is the same in both; the rest map through ICEBERG_TYPES."""
    return glue_type if glue_type.startswith("decimal(") else ICEBERG_TYPES[glue_type]


def table_location(reportable: ZoneRef, dataset: DatasetSpec) -> pulumi.Output[str]:
    return pulumi.Output.concat("s3://", reportable.bucket_name, "/", dataset.name, "/")


def iceberg_input(dataset: DatasetSpec, location: pulumi.Input[str]) -> aws.glue.CatalogTableOpenTableFormatInputArgs:
    """Glue's CreateTable Iceberg input: schema (field ids from 1, in declared order), identity
    partitions on the declared columns, Parquet data files, and the dataset version as a property."""
    ids = {c.name: i for i, c in enumerate(dataset.columns, start=1)}
    ns = aws.glue
    return ns.CatalogTableOpenTableFormatInputArgs(iceberg_input=ns.CatalogTableOpenTableFormatInputIcebergInputArgs(
        metadata_operation="CREATE",
        version="2",
        iceberg_table_input=ns.CatalogTableOpenTableFormatInputIcebergInputIcebergTableInputArgs(
            location=location,
            schema=ns.CatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchemaArgs(
                schema_id=0, type="struct",
                fields=[ns.CatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchemaFieldArgs(
                    id=ids[c.name], name=c.name, type=json.dumps(iceberg_type(c.type)), required=not c.nullable,
                    doc=c.description or None) for c in dataset.columns]),
            partition_spec=ns.CatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpecArgs(
                spec_id=0,
                fields=[ns.CatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpecFieldArgs(
                    name=name, source_id=ids[name], transform="identity", field_id=PARTITION_FIELD_ID_START + i)
                    for i, name in enumerate(dataset.partitioning)]) if dataset.partitioning else None,
            properties={"write.format.default": "parquet", "write.parquet.compression-codec": "zstd",
                        TABLE_VERSION_PROPERTY: dataset.version},
        ),
    ))


def dataset_tables(scope: ProductScope, db: aws.glue.CatalogDatabase, reportable: ZoneRef,
                   deps: Sequence[pulumi.Resource]) -> dict[str, aws.glue.CatalogTable]:
    """One Iceberg table per dataset, protected like the data it holds (`stateful`)."""
    tables = {}
    for dataset in scope.product.datasets:
        tables[dataset.name] = aws.glue.CatalogTable(
            f"{scope.name}-{dataset.name.replace('_', '-')}-table",
            name=dataset.name,
            database_name=db.name,
            description=(dataset.description or f"{scope.product_name} dataset {dataset.name}")
            + f" (version {dataset.version})",
            owner=dataset.owner or scope.product.owner,
            open_table_format_input=iceberg_input(dataset, table_location(reportable, dataset)),
            opts=pulumi.ResourceOptions.merge(scope.stateful, pulumi.ResourceOptions(
                depends_on=list(deps), ignore_changes=ICEBERG_OWNED_PROPERTIES)),
        )
    return tables


def ruleset_name(scope: ProductScope, dataset: DatasetSpec) -> str:
    return scope.physical("glue", "dq", dataset.name.replace("_", "-"))


def quality_rulesets(scope: ProductScope, db_name: pulumi.Input[str],
                     tables: Mapping[str, aws.glue.CatalogTable]) -> dict[str, aws.glue.DataQualityRuleset]:
    """The declared DQDL of each dataset that has one, bound to its table (the reportable job
    evaluates it on every run before publishing)."""
    rulesets = {}
    for dataset in scope.product.datasets:
        if dataset.quality is None:
            continue
        table = tables[dataset.name]
        rulesets[dataset.name] = aws.glue.DataQualityRuleset(
            f"{scope.name}-{dataset.name.replace('_', '-')}-dq",
            name=ruleset_name(scope, dataset),
            description=f"{scope.product_name}.{dataset.name} {dataset.version}: checked before each publish",
            ruleset=dataset.quality,
            target_table=aws.glue.DataQualityRulesetTargetTableArgs(database_name=db_name, table_name=table.name),
            tags=scope.tags,
            opts=scope.after(table),
        )
    return rulesets
