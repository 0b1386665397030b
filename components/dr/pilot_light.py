"""The DR stack's warm part for one data product: catalog, sharing and an event bus in the DR region.

The primary stack replicates the data (see `dr_replication.py`); this component, deployed by the
DR stack from the primary's contract, makes the replicas usable before a disaster: the Glue
database and crawlers over the replica zones, their Lake Formation registration and the grants
to the same consumer accounts, and the product's event bus for the services that fail over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.foundation.context import KeyRef, NetworkRefs, ServedStore, StackContext, TableRef
from components.data_product.catalog import product_catalog, security_configuration
from components.data_product.lake_formation import LfTags
from components.data_product.zones import ZoneRef
from components.data_product.scope import ProductScope
from components.data_product.ingestion import curated_crawl_exclusions, raw_crawl_prefixes
from components.data_product.monitoring import AlarmEndpoint, alarm_topic, crawler_failed_rule, failure_notifications
from components.data_product.operational_store import dax
from components.sharing.contract import DataProductContract


@dataclass(frozen=True, kw_only=True)
class PilotLightProductArgs:
    """stack: the DR stack's context. contract: the primary's exported contract for the product,
    including its `dr` part (replica buckets and DR key). The crawlers run on the product's own
    `crawlerSchedule`, as in the primary."""

    stack: StackContext
    contract: DataProductContract
    # Who receives the DR catalog's failure events (crawlers), as in the primary.
    alarm_endpoints: tuple[AlarmEndpoint, ...]
    # DAX over the replica table: off by default (a pilot light); needs `network`.
    dax_enabled: bool = False
    network: NetworkRefs
    # Grants wait for the stack's DataLakeSettings: only a data lake admin may grant.
    lake_formation_settings: Optional[pulumi.Resource] = None
    # The DR stack's LF-tags (`lake_formation_tags`, from the primary's specs); required with datasets.
    lf_tags: Optional[LfTags] = None

    def __post_init__(self) -> None:
        dr = self.contract.dr
        if dr is None or dr.region != self.stack.region:
            raise ValueError(f"primary contract of '{self.contract.name}' has no replicas in {self.stack.region}")


class PilotLightProduct(pulumi.ComponentResource):
    """Children: the primary's catalog over the replica zones, built by the same code
    (`dp_catalog.product_catalog`): Glue security configuration (DR key), the shared database
    (same name as the primary's: the datasets' Iceberg tables over the replica reportable zone, their
    quality rulesets, LF-tags and tag-based consumer grants) and the internal one, crawlers with their
    own read-only roles on the product's schedule, the replica curated and reportable zones
    registered with a dedicated Lake Formation role, crawler grants and the consumer grants (with
    the grant option); the alarm topic with its subscriptions and the crawler-failed rule
    (`dp_monitoring`, as in the primary); then the product's event bus and its archive, and DAX over
    the replica table when `dax_enabled`."""

    def __init__(self, name: str, args: PilotLightProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:PilotLightProduct", name, None, opts)
        stack, contract = args.stack, args.contract
        replicas = contract.dr
        assert replicas is not None  # checked by the args
        child = pulumi.ResourceOptions(parent=self)
        key_arn = replicas.key_arn

        # The catalog is the primary's, built by the same code over the replicas.
        spec = contract.spec
        scope = ProductScope(name=name, product=spec, stack=stack, network=args.network, parent=self,
                             key=KeyRef(key_arn))
        zones = {z: ZoneRef(z, b.name, b.arn) for z, b in replicas.buckets.items()}
        lf_deps = [args.lake_formation_settings] if args.lake_formation_settings is not None else []
        catalog = product_catalog(scope, zones, security_configuration(scope),
                                  raw_prefixes=raw_crawl_prefixes(spec.ingestion),
                                  curated_exclusions=curated_crawl_exclusions(), lf_deps=lf_deps,
                                  lf_tags=args.lf_tags)
        self.database, self.internal_database = catalog.shared_database, catalog.internal_database
        self.crawlers = catalog.crawlers
        self.tables = catalog.tables
        # Monitoring, as in the primary: failed DR crawlers reach the same people.
        self.alarm_topic = alarm_topic(scope, args.alarm_endpoints)
        notify_dlq = scope.queue("notify-dlq")
        failure_notifications(scope, self.alarm_topic, notify_dlq,
                              [crawler_failed_rule(scope, list(self.crawlers), self.alarm_topic, notify_dlq)])

        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=contract.event_bus_name, kms_key_identifier=key_arn,
                                           description=f"Events of {spec.name} (DR)", opts=child)
        # Events published in DR during a failover can be replayed into the primary at failback.
        aws.cloudwatch.EventArchive(f"{name}-archive", event_source_arn=self.bus.arn, retention_days=30,
                                    kms_key_identifier=key_arn, description=f"{spec.name} events published in DR",
                                    opts=child)
        # DAX in DR only on request, and only where the primary's product has it.
        self.dax = None
        if args.dax_enabled and spec.operational_store.dax.enabled:
            self.dax = dax(scope, TableRef(name=contract.ods_table_name, arn=replicas.ods_table_arn))
        self.contract = contract
        self.register_outputs({"catalog_database": self.database.name, "event_bus_arn": self.bus.arn})

    def served_store(self) -> ServedStore:
        """The replica table, the DR key and this region's bus (and DAX when warm) for services."""
        contract, ods = self.contract, self.contract.spec.operational_store
        assert contract.dr is not None
        dax_refs = {} if self.dax is None else {
            "dax_cluster_arn": self.dax.cluster.arn, "dax_endpoint": self.dax.endpoint_url,
            "client_security_group_id": self.dax.client_security_group.id}
        return ServedStore(
            data_product=contract.name, table_name=contract.ods_table_name, table_arn=contract.dr.ods_table_arn,
            partition_key=ods.partition_key, sort_key=ods.sort_key, partition_key_type=ods.partition_key_type,
            sort_key_type=ods.sort_key_type, key_arn=contract.dr.key_arn, event_bus_name=self.bus.name,
            event_bus_arn=self.bus.arn, event_source=contract.event_source, **dax_refs)


class PilotLightError(Exception):
    """The primary's contract and this DR stack's settings do not fit; `key` names the DR stack's
    setting to look at, the message says what to change."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def check_replicated(contract: DataProductContract, *, primary_stack: str, region: str) -> None:
    if contract.dr is None:
        raise PilotLightError("primaryStack", f"primary stack {primary_stack} does not replicate data product "
                              f"'{contract.name}'; set drRegion: {region} in its stack file and run `pulumi up` there first")
    if contract.dr.region != region:
        raise PilotLightError("primaryStack", f"primary stack {primary_stack} replicates '{contract.name}' to "
                              f"{contract.dr.region}, not to this stack's region {region}")
