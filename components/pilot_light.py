"""The DR stack's warm part for one data product: catalog, sharing and an event bus in the DR region.

The primary stack replicates the data (see `dr_replication.py`); this component, deployed by the
DR stack from the primary's contract, makes the replicas usable before a disaster: the Glue
database and crawlers over the replica zones, their Lake Formation registration and the grants
to the same consumer accounts, and the product's event bus for the services that fail over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

from components import iam, naming
from components.context import KeyRef, NetworkRefs, ServedStore, StackContext, TableRef
from components.dp_common import ProductScope
from components.dp_ods import dax
from stackconfig.model import DataProductSettings, ServiceSettings

CATALOGED_ZONES = ("curated", "reportable")


@dataclass(frozen=True, kw_only=True)
class PilotLightProductArgs:
    """stack: the DR stack's context. contract: the primary's exported contract for the product,
    including its `dr` part (replica buckets and DR key). crawler_schedule: default daily 02:00."""

    stack: StackContext
    contract: Mapping[str, Any]
    crawler_schedule: str = "cron(0 2 * * ? *)"
    # DAX over the replica table: off by default (a pilot light); needs `network`.
    dax_enabled: bool = False
    network: Optional[NetworkRefs] = None
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: Optional[pulumi.Resource] = None

    def __post_init__(self) -> None:
        dr = self.contract.get("dr")
        if not dr or dr.get("region") != self.stack.region:
            raise ValueError(f"primary contract of '{self.contract.get('name')}' has no replicas in {self.stack.region}")
        if self.dax_enabled and self.network is None:
            raise ValueError("dax_enabled needs network (DAX runs in the private subnets)")


class PilotLightProduct(pulumi.ComponentResource):
    """Children: Glue security configuration (DR key), catalog database (same name as the
    primary's), a least-privilege crawler role and scheduled crawlers over the replica curated and
    reportable buckets, a dedicated Lake Formation registration role and the replica locations
    registered with it (not the service-linked role), DESCRIBE/SELECT grants to the consumer
    accounts, and the product's event bus."""

    def __init__(self, name: str, args: PilotLightProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:PilotLightProduct", name, None, opts)
        s, c = args.stack, args.contract
        dr = c["dr"]
        product = c["name"]
        child = pulumi.ResourceOptions(parent=self)
        key_arn = dr["keyArn"]
        buckets = {z: dr["buckets"][z] for z in CATALOGED_ZONES}

        security = aws.glue.SecurityConfiguration(
            f"{name}-glue-security",
            name=naming.prefixed("glue", s.business_unit, s.environment, product, "dr-security"),
            encryption_configuration=aws.glue.SecurityConfigurationEncryptionConfigurationArgs(
                s3_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(
                    s3_encryption_mode="SSE-KMS", kms_key_arn=key_arn),
                cloudwatch_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs(
                    cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=key_arn),
                job_bookmarks_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key_arn),
            ),
            opts=child)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-catalog", name=c["catalogDatabase"],
            description=f"{product} (DR replica catalog of {c.get('region')})", opts=child)

        crawler_role = iam.service_role(
            f"{name}-crawler", service="glue.amazonaws.com", account_id=s.account_id, opts=child,
            statements=[
                iam.statement(["s3:GetObject", "s3:ListBucket"],
                              [b["arn"] for b in buckets.values()] + [f"{b['arn']}/*" for b in buckets.values()]),
                iam.statement(["kms:Decrypt", "kms:GenerateDataKey"], [key_arn]),
                iam.statement(["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
                               "glue:UpdateTable", "glue:BatchGetPartition", "glue:BatchCreatePartition",
                               "glue:GetPartitions", "glue:UpdatePartition", "glue:GetSecurityConfiguration"],
                              [s.arn("glue", "catalog"), s.arn("glue", f"database/{c['catalogDatabase']}"),
                               s.arn("glue", f"table/{c['catalogDatabase']}/*")]),
                iam.statement(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                               "logs:AssociateKmsKey"], [s.arn("logs", "log-group:/aws-glue/*")]),
            ])
        self.crawlers = {
            zone: aws.glue.Crawler(
                f"{name}-{zone}-crawler",
                name=naming.prefixed("glue", s.business_unit, s.environment, product, zone, "crawler"),
                database_name=self.database.name,
                role=crawler_role.arn,
                schedule=args.crawler_schedule,
                security_configuration=security.name,
                s3_targets=[aws.glue.CrawlerS3TargetArgs(path=f"s3://{b['name']}/")],
                schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                    update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"),
                recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_EVERYTHING"),
                configuration=json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[crawler_role.policy]))
            for zone, b in buckets.items()
        }

        lf_role = iam.service_role(
            f"{name}-lf-registration", service="lakeformation.amazonaws.com", account_id=s.account_id,
            role_name=naming.role_name(s.business_unit, s.environment, product, "lf-dr"), opts=child,
            statements=[
                iam.statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{b['arn']}/*" for b in buckets.values()]),
                iam.statement(["s3:ListBucket"], [b["arn"] for b in buckets.values()]),
                iam.statement(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [key_arn]),
            ])
        for zone, b in buckets.items():
            aws.lakeformation.Resource(f"{name}-{zone}-location", arn=b["arn"], role_arn=lf_role.arn,
                                       use_service_linked_role=False,
                                       opts=pulumi.ResourceOptions(parent=self, depends_on=[lf_role.policy]))
        grant_opts = pulumi.ResourceOptions(parent=self, depends_on=[args.lake_formation_settings]
                                            if args.lake_formation_settings is not None else [])
        for acct in c.get("consumers") or []:
            aws.lakeformation.Permissions(
                f"{name}-{acct}-describe", principal=acct, permissions=["DESCRIBE"],
                database=aws.lakeformation.PermissionsDatabaseArgs(name=self.database.name, catalog_id=s.account_id),
                opts=grant_opts)
            aws.lakeformation.Permissions(
                f"{name}-{acct}-select", principal=acct, permissions=["SELECT", "DESCRIBE"],
                table=aws.lakeformation.PermissionsTableArgs(database_name=self.database.name, catalog_id=s.account_id,
                                                             wildcard=True),
                opts=grant_opts)

        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=c["eventBusName"], kms_key_identifier=key_arn,
                                           description=f"Events of {product} (DR)", opts=child)
        # Events published in DR during a failover can be replayed into the primary at failback.
        aws.cloudwatch.EventArchive(f"{name}-archive", event_source_arn=self.bus.arn, retention_days=30,
                                    kms_key_identifier=key_arn, description=f"{product} events published in DR",
                                    opts=child)
        # DAX in DR only on request, and only where the primary's product has it.
        self.dax = None
        product_settings = DataProductSettings.model_validate(c["settings"])
        if args.dax_enabled and product_settings.operational_store.dax.enabled:
            assert args.network is not None
            scope = ProductScope(name=name, product=product_settings, stack=s, network=args.network, parent=self,
                                 key=KeyRef(key_arn))
            self.dax = dax(scope, TableRef(name=c["odsTableName"], arn=dr["odsTableArn"]))
        self.contract = c
        self.register_outputs({"catalog_database": self.database.name, "event_bus_arn": self.bus.arn})

    def served_store(self) -> ServedStore:
        """The replica table, the DR key and this region's bus (and DAX when warm) for services."""
        c, ods = self.contract, self.contract["settings"]["operationalStore"]
        dax_refs = {} if self.dax is None else {
            "dax_cluster_arn": self.dax.cluster.arn, "dax_endpoint": self.dax.cluster.configuration_endpoint,
            "client_security_group_id": self.dax.client_security_group.id}
        return ServedStore(
            data_product=c["name"], table_name=c["odsTableName"], table_arn=c["dr"]["odsTableArn"],
            partition_key=ods["partitionKey"], sort_key=ods.get("sortKey"),
            partition_key_type=ods["partitionKeyType"], sort_key_type=ods["sortKeyType"], key_arn=c["dr"]["keyArn"],
            event_bus_name=self.bus.name, event_bus_arn=self.bus.arn, event_source=c["eventSource"], **dax_refs)


class PilotLightError(Exception):
    """The primary's contract and this DR stack's settings do not fit; `key` names the DR stack's
    setting to look at, the message says what to change."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def check_replicated(contract: Mapping[str, Any], *, primary_stack: str, region: str) -> None:
    dr = contract.get("dr")
    if not dr:
        raise PilotLightError("primaryStack", f"primary stack {primary_stack} does not replicate data product '{contract.get('name')}'; "
                              f"set drRegion: {region} in its stack file and run `pulumi up` there first")
    if dr.get("region") != region:
        raise PilotLightError("primaryStack", f"primary stack {primary_stack} replicates '{contract.get('name')}' to {dr.get('region')}, "
                              f"not to this stack's region {region}")


def pilot_light_service(entry: Mapping[str, Any], *, account_id: str, region: str,
                        certificate_arn: Optional[str]) -> ServiceSettings:
    """The primary's service settings as the DR region runs them: the replicated image, and the DR
    region's certificate (ACM certificates are regional)."""
    s = ServiceSettings.model_validate(entry["settings"])
    if s.build_image:  # the primary's ECR replication put the same image into this region
        registry = f"{account_id}.dkr.ecr.{region}.amazonaws.com"
        s = s.model_copy(update={"build_image": False,
                                 "image": f"{registry}/{entry['image']['repository']}:{entry['image']['tag']}"})
    if s.runtime == "fargate":
        if certificate_arn is None:
            raise PilotLightError("dr.certificateArn", f"required: the primary runs Fargate service '{s.name}', whose HTTPS listener "
                                  f"needs an ACM certificate of {region}")
        s = s.model_copy(update={"certificate_arn": certificate_arn})
    return s
