"""Consumer side of a shared data product: what a consumer domain builds on a grant it received.

The producer's DataProduct grants the consumer account (Lake Formation, with the grant option) and
its EventSharing forwards the product's events; this component adds the consumer's resource link,
analyst role and grants, and an encrypted inbox for the events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.foundation.context import StackContext
from components.foundation.kms import customer_key
from components.foundation.queue import dead_letter_queue
from components.sharing.contract import DataProductContract


@dataclass(frozen=True, kw_only=True)
class ConsumedDataProductArgs:
    """Consumer side of one shared data product.

    contract: the producer's contract for the product, read back through `sharing.contract`.
    analyst_role_name: name of the consumer's analyst role; default `<bu>-<env>-<product>-analyst`.
    """

    stack: StackContext
    producer_stack: str
    contract: DataProductContract
    analyst_role_name: str | None = None
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: pulumi.Resource | None = None


class ConsumedDataProduct(pulumi.ComponentResource):
    """What a consumer domain builds on a grant it received.

    Children: a Glue resource link to the producer's database; an analyst role (trusted by this
    account only) with Lake Formation DESCRIBE on the link and SELECT/DESCRIBE on the producer's
    tables; an inbox event bus, a permission letting only the producer account put events on
    this account's default bus, and a rule routing the producer's events to the inbox.
    """

    def __init__(self, name: str, args: ConsumedDataProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:ConsumedDataProduct", name, None, opts)
        s, c = args.stack, args.contract
        child = pulumi.ResourceOptions(parent=self)
        producer = c.account_id
        link_name = f"{c.catalog_database}_link"
        self.link = aws.glue.CatalogDatabase(
            f"{name}-link", name=link_name, description=f"Resource link to {args.producer_stack} {c.name}",
            target_database=aws.glue.CatalogDatabaseTargetDatabaseArgs(
                catalog_id=producer, database_name=c.catalog_database, region=c.region),
            opts=child)
        role_name = args.analyst_role_name or f"{s.prefix}-{c.name}-analyst"[:64]
        self.analyst = aws.iam.Role(
            f"{name}-analyst", name=role_name,
            assume_role_policy=iam.document({"Effect": "Allow", "Action": ["sts:AssumeRole"],
                                             "Principal": {"AWS": iam.account_root(s.partition, s.account_id)}}),
            opts=child)
        glue_arns = [
            s.arn("glue", "catalog"),
            s.arn("glue", f"database/{link_name}"),
            f"arn:{s.partition}:glue:{c.region}:{producer}:catalog",
            f"arn:{s.partition}:glue:{c.region}:{producer}:database/{c.catalog_database}",
            f"arn:{s.partition}:glue:{c.region}:{producer}:table/{c.catalog_database}/*",
        ]
        aws.iam.RolePolicy(
            f"{name}-analyst-policy", role=self.analyst.id,
            policy=iam.document(
                iam.statement(["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"], glue_arns),
                # Lake Formation vends data credentials per query; GetDataAccess has no resource scoping.
                iam.statement(["lakeformation:GetDataAccess"], ["*"], sid="LakeFormationDataAccess"),
            ),
            opts=child)
        grant = pulumi.ResourceOptions(parent=self, depends_on=[args.lake_formation_settings]
                                       if args.lake_formation_settings is not None else [])
        aws.lakeformation.Permissions(
            f"{name}-link-describe", principal=self.analyst.arn, permissions=["DESCRIBE"],
            database=aws.lakeformation.PermissionsDatabaseArgs(name=self.link.name, catalog_id=s.account_id),
            opts=grant)
        aws.lakeformation.Permissions(
            f"{name}-tables-select", principal=self.analyst.arn, permissions=["SELECT", "DESCRIBE"],
            table=aws.lakeformation.PermissionsTableArgs(catalog_id=producer, database_name=c.catalog_database,
                                                         wildcard=True),
            opts=grant)

        self.key = customer_key(
            f"{name}-key", description=f"{s.prefix} inbox for {args.producer_stack} {c.name}",
            alias=f"alias/{s.prefix}/{c.name}-inbox", partition=s.partition, account_id=s.account_id,
            # The inbox bus and archive, and the dead letters EventBridge puts in the encrypted DLQ.
            # SQS itself uses the key with its callers' permissions: no statement for it.
            service_statements=[iam.key_for_event_buses(s.account_id),
                                iam.key_for_delivery("events.amazonaws.com", sid="EventBridgeDelivers")],
            allow_data_destroy=s.allow_data_destroy, opts=child)
        self.inbox = aws.cloudwatch.EventBus(f"{name}-inbox", name=f"{s.prefix}-{c.name}-inbox",
                                             kms_key_identifier=self.key.arn, opts=child)
        aws.cloudwatch.EventArchive(f"{name}-inbox-archive", event_source_arn=self.inbox.arn, retention_days=30,
                                    kms_key_identifier=self.key.arn, opts=child)
        dlq = dead_letter_queue(f"{name}-inbox-dlq", key_arn=self.key.arn, opts=child)
        aws.cloudwatch.EventPermission(
            f"{name}-producer-may-put", principal=producer, statement_id=f"{c.name}-from-{producer}",
            action="events:PutEvents", event_bus_name="default", opts=child)
        route_role = iam.service_role(f"{name}-route", service="events.amazonaws.com", account_id=s.account_id,
                                      statements=[iam.statement(["events:PutEvents"], [self.inbox.arn])], opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{name}-from-producer", event_bus_name="default",
            event_pattern=json.dumps({"account": [producer], "source": [c.event_source]}), opts=child)
        aws.cloudwatch.EventTarget(f"{name}-to-inbox", rule=rule.name, event_bus_name="default", arn=self.inbox.arn,
                                   role_arn=route_role.arn,
                                   dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
                                   opts=child)
        aws.sqs.QueuePolicy(
            f"{name}-inbox-dlq-policy", queue_url=dlq.url,
            policy=iam.document(iam.statement(
                ["sqs:SendMessage"], [dlq.arn], principal={"Service": "events.amazonaws.com"},
                condition={"ArnEquals": {"aws:SourceArn": rule.arn}})),
            opts=child)

        self.contract = pulumi.Output.all(link=self.link.name, role=self.analyst.arn, inbox=self.inbox.arn).apply(
            lambda v: {"producerStack": args.producer_stack, "dataProduct": c.name, "resourceLink": v["link"],
                       "analystRoleArn": v["role"], "inboxBusArn": v["inbox"]})
        self.register_outputs({"contract": self.contract})
