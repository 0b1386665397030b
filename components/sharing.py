"""Cross-domain sharing: reading another stack's contract, and the event side of a grant.

Lake Formation grants are made by the producer's DataProduct; this module adds the event path:
the producer forwards its product bus to each consumer account's default bus, and the consumer
accepts only what that producer sends, routing it to an inbox bus of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_aws as aws
from pulumi.runtime.sync_await import _sync_await

from components import iam
from components.context import StackContext
from components.kms import customer_key


def read_contract(ref: pulumi.StackReference, *names: str) -> dict[str, Any]:
    """Plain values of another stack's outputs. Resource names and counts must be plain at
    declaration time, so the contract is read once, when the program starts (the engine has the
    referenced stack's outputs then, in preview and up alike)."""
    out: dict[str, Any] = {}
    for n in names:
        details = _sync_await(ref.get_output_details(n))
        out[n] = details.value if details.value is not None else details.secret_value
    return out


@dataclass(frozen=True, kw_only=True)
class EventSharingArgs:
    """Producer side: forward every event on `bus_name` to each consumer account's default bus."""

    stack: StackContext
    product: str
    bus_name: pulumi.Input[str]
    consumers: Sequence[str]
    key_arn: pulumi.Input[str]

    def __post_init__(self) -> None:
        if not self.consumers:
            raise ValueError("EventSharing needs at least one consumer account")


class EventSharing(pulumi.ComponentResource):
    """Children: a role EventBridge assumes to put events on the consumers' default buses (only
    those ARNs), an encrypted dead-letter queue, and per consumer account a rule + target."""

    def __init__(self, name: str, args: EventSharingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:EventSharing", name, None, opts)
        s = args.stack
        child = pulumi.ResourceOptions(parent=self)
        targets = {acct: f"arn:{s.partition}:events:{s.region}:{acct}:event-bus/default" for acct in args.consumers}
        role = iam.service_role(f"{name}-forwarder", service="events.amazonaws.com", account_id=s.account_id,
                                statements=[iam.statement(["events:PutEvents"], list(targets.values()))], opts=child)
        dlq = aws.sqs.Queue(f"{name}-dlq", kms_master_key_id=args.key_arn, message_retention_seconds=1209600,
                            opts=child)
        for acct, target in targets.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-to-{acct}", event_bus_name=args.bus_name,
                description=f"{args.product} events shared with account {acct}",
                event_pattern=json.dumps({"account": [s.account_id]}), opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-to-{acct}", rule=rule.name, event_bus_name=args.bus_name, arn=target, role_arn=role.arn,
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn), opts=child)
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy", queue_url=dlq.url,
            policy=iam.document(iam.statement(
                ["sqs:SendMessage"], [dlq.arn], principal={"Service": "events.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": s.account_id}})),
            opts=child)
        self.register_outputs({})


class GrantMissing(Exception):
    """The producer has not granted this account access to the data product."""


def check_grant(contract: Mapping[str, Any] | None, *, account_id: str, producer_stack: str, product: str) -> None:
    if contract is None:
        raise GrantMissing(f"producer stack {producer_stack} exports no data product '{product}'")
    consumers = contract.get("consumers") or []
    if account_id not in consumers:
        raise GrantMissing(
            f"producer stack {producer_stack} has not granted account {account_id} access to data product "
            f"'{product}' (granted: {consumers or 'nobody'}); ask its owner ({contract.get('owner')}) to add "
            f"{account_id} to dataProducts[{product}].consumers")


@dataclass(frozen=True, kw_only=True)
class ConsumedDataProductArgs:
    """Consumer side of one shared data product.

    contract: the producer's exported contract for the product (plain values).
    analyst_role_name: name of the consumer's analyst role; default `<bu>-<env>-<product>-analyst`.
    """

    stack: StackContext
    producer_stack: str
    contract: Mapping[str, Any]
    analyst_role_name: str | None = None
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: pulumi.Resource | None = None

    def __post_init__(self) -> None:
        for key in ("name", "accountId", "catalogDatabase", "region", "eventSource"):
            if key not in self.contract:
                raise ValueError(f"contract of {self.producer_stack} lacks '{key}'")


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
        producer = c["accountId"]
        link_name = f"{c['catalogDatabase']}_link"
        self.link = aws.glue.CatalogDatabase(
            f"{name}-link", name=link_name, description=f"Resource link to {args.producer_stack} {c['name']}",
            target_database=aws.glue.CatalogDatabaseTargetDatabaseArgs(
                catalog_id=producer, database_name=c["catalogDatabase"], region=c["region"]),
            opts=child)
        role_name = args.analyst_role_name or f"{s.prefix}-{c['name']}-analyst"[:64]
        self.analyst = aws.iam.Role(
            f"{name}-analyst", name=role_name,
            assume_role_policy=iam.document({"Effect": "Allow", "Action": ["sts:AssumeRole"],
                                             "Principal": {"AWS": iam.account_root(s.partition, s.account_id)}}),
            opts=child)
        glue_arns = [
            s.arn("glue", "catalog"),
            s.arn("glue", f"database/{link_name}"),
            f"arn:{s.partition}:glue:{c['region']}:{producer}:catalog",
            f"arn:{s.partition}:glue:{c['region']}:{producer}:database/{c['catalogDatabase']}",
            f"arn:{s.partition}:glue:{c['region']}:{producer}:table/{c['catalogDatabase']}/*",
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
            table=aws.lakeformation.PermissionsTableArgs(catalog_id=producer, database_name=c["catalogDatabase"],
                                                         wildcard=True),
            opts=grant)

        self.key = customer_key(
            f"{name}-key", description=f"{s.prefix} inbox for {args.producer_stack} {c['name']}",
            alias=f"alias/{s.prefix}/{c['name']}-inbox", partition=s.partition, account_id=s.account_id,
            # The inbox bus and archive, and the dead letters EventBridge puts in the encrypted DLQ.
            # SQS itself uses the key with its callers' permissions: no statement for it.
            service_statements=[iam.key_for_event_buses(s.account_id),
                                iam.key_for_delivery("events.amazonaws.com", sid="EventBridgeDelivers")],
            allow_data_destroy=s.allow_data_destroy, opts=child)
        self.inbox = aws.cloudwatch.EventBus(f"{name}-inbox", name=f"{s.prefix}-{c['name']}-inbox",
                                             kms_key_identifier=self.key.arn, opts=child)
        aws.cloudwatch.EventArchive(f"{name}-inbox-archive", event_source_arn=self.inbox.arn, retention_days=30,
                                    kms_key_identifier=self.key.arn, opts=child)
        dlq = aws.sqs.Queue(f"{name}-inbox-dlq", kms_master_key_id=self.key.arn, message_retention_seconds=1209600,
                            opts=child)
        aws.cloudwatch.EventPermission(
            f"{name}-producer-may-put", principal=producer, statement_id=f"{c['name']}-from-{producer}",
            action="events:PutEvents", event_bus_name="default", opts=child)
        route_role = iam.service_role(f"{name}-route", service="events.amazonaws.com", account_id=s.account_id,
                                      statements=[iam.statement(["events:PutEvents"], [self.inbox.arn])], opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{name}-from-producer", event_bus_name="default",
            event_pattern=json.dumps({"account": [producer], "source": [c["eventSource"]]}), opts=child)
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
            lambda v: {"producerStack": args.producer_stack, "dataProduct": c["name"], "resourceLink": v["link"],
                       "analystRoleArn": v["role"], "inboxBusArn": v["inbox"]})
        self.register_outputs({"contract": self.contract})
