"""Consumer side of a shared data product: what a consumer domain builds on a grant it received.

The producer's DataProduct grants the consumer account (Lake Formation, with the grant option) and
its EventSharing forwards the product's events; this component adds the consumer's resource link,
analyst role and grants, and an encrypted inbox for the events.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.context import StackContext
from components.foundation.kms import customer_key
from components.sharing.contract import DataProductContract, granted_columns


@dataclass(frozen=True, kw_only=True)
class ConsumedDataProductArgs:
    """Consumer side of one shared data product.

    contract: the producer's contract for the product, read back through `sharing.contract`.
    analyst_role_name: name of the consumer's analyst role; default `<bu>-<env>-<product>-analyst`.
    """

    stack: StackContext
    producer_stack: str
    contract: DataProductContract
    # The pinned datasets this stack reads (names, checked against the contract's grants).
    datasets: tuple[str, ...] = ()
    analyst_role_name: str | None = None
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: pulumi.Resource | None = None


class ConsumedDataProduct(pulumi.ComponentResource):
    """What a consumer domain builds on a grant it received.

    Children: a Glue resource link to the producer's database; an analyst role (trusted by this
    account only) with Lake Formation DESCRIBE on the link and SELECT/DESCRIBE on the pinned datasets'
    tables, for the columns the producer granted this account; an encrypted inbox event bus (named by the producer's contract, archived 30 days) whose
    policy accepts PutEvents only from the producer account and only with the product's source.
    """

    def __init__(self, name: str, args: ConsumedDataProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:ConsumedDataProduct", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        link = _resource_link(name, args, child)
        analyst = _analyst_role(name, args, child)
        _lake_formation_grants(name, args, link, analyst, parent=self)
        key, inbox = _inbox(name, args, child)
        _accept_producer_events(name, args, inbox, child)

        self.link = link
        self.analyst = analyst
        self.key = key
        self.inbox = inbox
        self.contract = pulumi.Output.all(link=link.name, role=analyst.arn, inbox=inbox.arn).apply(
            lambda v: {"producerStack": args.producer_stack, "dataProduct": args.contract.name,
                       "resourceLink": v["link"], "analystRoleArn": v["role"], "inboxBusArn": v["inbox"]})
        self.register_outputs({"contract": self.contract})


def _link_name(contract: DataProductContract) -> str:
    return f"{contract.catalog_database}_link"


def _resource_link(name: str, args: ConsumedDataProductArgs,
                   opts: pulumi.ResourceOptions) -> aws.glue.CatalogDatabase:
    """A database in this account's catalog that points at the producer's database."""
    contract = args.contract
    return aws.glue.CatalogDatabase(
        f"{name}-link", name=_link_name(contract),
        description=f"Resource link to {args.producer_stack} {contract.name}",
        target_database=aws.glue.CatalogDatabaseTargetDatabaseArgs(
            catalog_id=contract.account_id, database_name=contract.catalog_database, region=contract.region),
        opts=opts)


def _analyst_role(name: str, args: ConsumedDataProductArgs, opts: pulumi.ResourceOptions) -> aws.iam.Role:
    """A role this account may assume, allowed the Glue reads behind a query of the shared tables."""
    stack, contract = args.stack, args.contract
    analyst = aws.iam.Role(
        f"{name}-analyst", name=args.analyst_role_name or f"{stack.prefix}-{contract.name}-analyst"[:64],
        assume_role_policy=iam.document({"Effect": "Allow", "Action": ["sts:AssumeRole"],
                                         "Principal": {"AWS": iam.account_root(stack.partition, stack.account_id)}}),
        opts=opts)
    producer_glue = f"arn:{stack.partition}:glue:{contract.region}:{contract.account_id}"
    glue_arns = [
        stack.arn("glue", "catalog"),
        stack.arn("glue", f"database/{_link_name(contract)}"),
        f"{producer_glue}:catalog",
        f"{producer_glue}:database/{contract.catalog_database}",
        *(f"{producer_glue}:table/{contract.catalog_database}/{dataset}" for dataset in args.datasets),
    ]
    aws.iam.RolePolicy(
        f"{name}-analyst-policy", role=analyst.id,
        policy=iam.document(
            iam.statement(["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"], glue_arns),
            # Lake Formation vends data credentials per query; GetDataAccess has no resource scoping.
            iam.statement(["lakeformation:GetDataAccess"], ["*"], sid="LakeFormationDataAccess"),
        ),
        opts=opts)
    return analyst


def _lake_formation_grants(name: str, args: ConsumedDataProductArgs, link: aws.glue.CatalogDatabase,
                           analyst: aws.iam.Role, *, parent: pulumi.Resource) -> None:
    """DESCRIBE on the link, and SELECT/DESCRIBE on each pinned dataset's table for exactly the
    columns the producer granted this account (its clearance): named tables and columns, never a
    wildcard, so a dataset or column the producer adds later is not passed on unreviewed."""
    after_settings = pulumi.ResourceOptions(parent=parent, depends_on=[args.lake_formation_settings]
                                            if args.lake_formation_settings is not None else [])
    aws.lakeformation.Permissions(
        f"{name}-link-describe", principal=analyst.arn, permissions=["DESCRIBE"],
        database=aws.lakeformation.PermissionsDatabaseArgs(name=link.name, catalog_id=args.stack.account_id),
        opts=after_settings)
    for dataset in args.datasets:
        aws.lakeformation.Permissions(
            f"{name}-{dataset.replace('_', '-')}-select", principal=analyst.arn, permissions=["SELECT", "DESCRIBE"],
            table_with_columns=aws.lakeformation.PermissionsTableWithColumnsArgs(
                catalog_id=args.contract.account_id, database_name=args.contract.catalog_database, name=dataset,
                column_names=list(granted_columns(args.contract, args.stack.account_id, dataset))),
            opts=after_settings)


def _inbox(name: str, args: ConsumedDataProductArgs,
           opts: pulumi.ResourceOptions) -> tuple[aws.kms.Key, aws.cloudwatch.EventBus]:
    """The inbox bus and its archive, both encrypted with the inbox's own key."""
    stack, contract = args.stack, args.contract
    key = customer_key(
        f"{name}-key", description=f"{stack.prefix} inbox for {args.producer_stack} {contract.name}",
        alias=f"alias/{stack.prefix}/{contract.name}-inbox", partition=stack.partition, account_id=stack.account_id,
        # The inbox bus and its archive encrypt with it.
        service_statements=[iam.key_for_event_buses(stack.account_id)],
        allow_data_destroy=stack.allow_data_destroy, opts=opts)
    inbox = aws.cloudwatch.EventBus(f"{name}-inbox", name=contract.share_bus_name,
                                    kms_key_identifier=key.arn, opts=opts)
    aws.cloudwatch.EventArchive(f"{name}-inbox-archive", event_source_arn=inbox.arn, retention_days=30,
                                kms_key_identifier=key.arn, opts=opts)
    return key, inbox


def _accept_producer_events(name: str, args: ConsumedDataProductArgs, inbox: aws.cloudwatch.EventBus,
                            opts: pulumi.ResourceOptions) -> None:
    """The producer's EventSharing puts its change events straight on the inbox; the inbox's policy
    accepts them only from the producer account and only with the product's own source
    (EventBridge user guide, "Send events to a custom bus in a different account")."""
    contract = args.contract
    aws.cloudwatch.EventBusPolicy(
        f"{name}-inbox-policy", event_bus_name=inbox.name,
        policy=iam.document(iam.statement(
            ["events:PutEvents"], [inbox.arn], sid="ProducerPublishesItsProduct",
            principal={"AWS": iam.account_root(args.stack.partition, contract.account_id)},
            condition={"StringEquals": {"events:source": [contract.event_source]}})),
        opts=opts)
