"""The DR stack's warm part for one data product: catalog, sharing and an event bus in the DR region.

The primary stack replicates the data (see `dr_replication.py`); this component, deployed by the
DR stack from the primary's contract, makes the replicas usable before a disaster: the Glue
database and crawlers over the replica zones, their Lake Formation registration and the grants
to the same consumer accounts, and the product's event bus for the services that fail over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.context import KeyRef, NetworkRefs, ServedStore, StackContext, TableRef
from components.dp_catalog import ZoneRef, product_catalog, security_configuration
from components.dp_common import ProductScope
from components.dp_ingestion import curated_crawl_exclusions, raw_crawl_prefixes
from components.dp_monitoring import AlarmEndpoint, alarm_topic, crawler_failed_rule, failure_notifications
from components.dp_ods import dax
from stackconfig.model import DataProductSettings, ServiceSettings


@dataclass(frozen=True, kw_only=True)
class PilotLightProductArgs:
    """stack: the DR stack's context. contract: the primary's exported contract for the product,
    including its `dr` part (replica buckets and DR key). The crawlers run on the product's own
    `crawlerSchedule`, as in the primary."""

    stack: StackContext
    contract: Mapping[str, Any]
    # Who receives the DR catalog's failure events (crawlers), as in the primary.
    alarm_endpoints: tuple[AlarmEndpoint, ...]
    # DAX over the replica table: off by default (a pilot light); needs `network`.
    dax_enabled: bool = False
    network: NetworkRefs
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: Optional[pulumi.Resource] = None

    def __post_init__(self) -> None:
        dr = self.contract.get("dr")
        if not dr or dr.get("region") != self.stack.region:
            raise ValueError(f"primary contract of '{self.contract.get('name')}' has no replicas in {self.stack.region}")


class PilotLightProduct(pulumi.ComponentResource):
    """Children: the primary's catalog over the replica zones, built by the same code
    (`dp_catalog.product_catalog`): Glue security configuration (DR key), the shared database
    (same name as the primary's, reportable tables only) and the internal one, crawlers with their
    own read-only roles on the product's schedule, the replica curated and reportable zones
    registered with a dedicated Lake Formation role, crawler grants and the consumer grants (with
    the grant option); the alarm topic with its subscriptions and the crawler-failed rule
    (`dp_monitoring`, as in the primary); then the product's event bus and its archive, and DAX over
    the replica table when `dax_enabled`."""

    def __init__(self, name: str, args: PilotLightProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:PilotLightProduct", name, None, opts)
        s, c = args.stack, args.contract
        dr = c["dr"]
        product = c["name"]
        child = pulumi.ResourceOptions(parent=self)
        key_arn = dr["keyArn"]

        # The catalog is the primary's, built by the same code over the replicas.
        product_settings = DataProductSettings.model_validate(c["settings"])
        scope = ProductScope(name=name, product=product_settings, stack=s, network=args.network, parent=self,
                             key=KeyRef(key_arn))
        zones = {z: ZoneRef(z, b["name"], b["arn"]) for z, b in dr["buckets"].items()}
        lf_deps = [args.lake_formation_settings] if args.lake_formation_settings is not None else []
        catalog = product_catalog(scope, zones, security_configuration(scope),
                                  raw_prefixes=raw_crawl_prefixes(product_settings.ingestion),
                                  curated_exclusions=curated_crawl_exclusions(), lf_deps=lf_deps)
        self.database, self.internal_database = catalog.shared_database, catalog.internal_database
        self.crawlers = catalog.crawlers
        # Monitoring, as in the primary: failed DR crawlers reach the same people.
        self.alarm_topic = alarm_topic(scope, args.alarm_endpoints)
        notify_dlq = scope.queue("notify-dlq")
        failure_notifications(scope, self.alarm_topic, notify_dlq,
                              [crawler_failed_rule(scope, list(self.crawlers), self.alarm_topic, notify_dlq)])

        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=c["eventBusName"], kms_key_identifier=key_arn,
                                           description=f"Events of {product} (DR)", opts=child)
        # Events published in DR during a failover can be replayed into the primary at failback.
        aws.cloudwatch.EventArchive(f"{name}-archive", event_source_arn=self.bus.arn, retention_days=30,
                                    kms_key_identifier=key_arn, description=f"{product} events published in DR",
                                    opts=child)
        # DAX in DR only on request, and only where the primary's product has it.
        self.dax = None
        if args.dax_enabled and product_settings.operational_store.dax.enabled:
            self.dax = dax(scope, TableRef(name=c["odsTableName"], arn=dr["odsTableArn"]))
        self.contract = c
        self.register_outputs({"catalog_database": self.database.name, "event_bus_arn": self.bus.arn})

    def served_store(self) -> ServedStore:
        """The replica table, the DR key and this region's bus (and DAX when warm) for services."""
        c, ods = self.contract, self.contract["settings"]["operationalStore"]
        dax_refs = {} if self.dax is None else {
            "dax_cluster_arn": self.dax.cluster.arn, "dax_endpoint": self.dax.endpoint_url,
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
        # Replication keeps the digest: DR runs exactly the image the primary runs.
        registry = f"{account_id}.dkr.ecr.{region}.amazonaws.com"
        digest = entry["image"]["uri"].rsplit("@", 1)[-1]
        s = s.model_copy(update={"build_image": False,
                                 "image": f"{registry}/{entry['image']['repository']}@{digest}"})
    if s.runtime == "fargate":
        if certificate_arn is None:
            raise PilotLightError("dr.certificateArn", f"required: the primary runs Fargate service '{s.name}', whose HTTPS listener "
                                  f"needs an ACM certificate of {region}")
        s = s.model_copy(update={"certificate_arn": certificate_arn})
    return s
