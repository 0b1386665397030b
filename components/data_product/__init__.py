"""DataProduct: one domain-owned data product, from ingestion to the contract other domains read.

The parts live beside this module (`key`, `storage`, `operational_store`, `event_bus`, `ingestion/`,
`catalog`, `lake_formation`, `monitoring`); this module wires them in the order AWS needs and
gives the fields of the contract (`components.sharing.contract`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.data_product.event_bus import product_event_bus
from components.data_product.key import product_key
from components.foundation import naming
from components.foundation.context import NetworkRefs, ServedStore, StackContext
from components.data_product.catalog import product_catalog, security_configuration
from components.data_product.lake_formation import LfTags
from components.data_product.reportable import reportable
from components.data_product.zones import ZoneRef
from components.data_product.scope import ProductScope
from components.data_product.monitoring import AlarmEndpoint, alarm_topic, crawler_failed_rule, failure_notifications
from components.data_product.ingestion import (BATCH_PREFIX, SFTP_PREFIX, arrival, batch, check_cidrs,
                                               curated_crawl_exclusions, events, raw_crawl_prefixes, sftp, streaming)
from components.data_product.operational_store import dax, table
from components.data_product.storage import storage_zones
from components.data_product.spec import DataProductSpec

__all__ = ["DataProduct", "DataProductArgs"]


@dataclass(frozen=True, kw_only=True)
class DataProductArgs:
    """Inputs of `DataProduct`.

    product: the validated data product settings (ingestion modes, ODS, consumers, lifecycle).
    stack: business unit, environment, account, region and `allow_data_destroy` (default False:
        buckets, table and key are protected and retained).
    network: the VPC and its three private subnets (DAX, SFTP endpoint).
    alarm_endpoints: who receives the product's alarms and failure events (at least one).
    sftp_allowed_cidrs: networks allowed to reach the SFTP endpoint on port 22. Default (): the
        VPC's own CIDR only. Never 0.0.0.0/0.
    lake_formation_settings: the stack's `DataLakeSettings` (see `lake_formation_settings`);
        grants wait for it, since only a data lake admin can grant. Default None: no wait.
    lf_tags: the stack's LF-tag keys (`lake_formation_tags`), required with datasets.
    """

    product: DataProductSpec
    stack: StackContext
    network: NetworkRefs
    alarm_endpoints: tuple[AlarmEndpoint, ...]
    sftp_allowed_cidrs: tuple[str, ...] = ()
    lake_formation_settings: Optional[pulumi.Resource] = None
    # The stack's LF-tags (`lake_formation_tags`); required when the product declares datasets.
    lf_tags: Optional[LfTags] = None

    def __post_init__(self) -> None:
        check_cidrs(self.sftp_allowed_cidrs)
        if self.product.datasets and not self.product.ingestion.batch:
            raise ValueError(f"data product {self.product.name} declares datasets but no batch ingestion: the "
                             "reportable job builds datasets from the batch ETL's curated output")


class DataProduct(pulumi.ComponentResource):
    """A data product (`ddp:index:DataProduct`).

    Children (named `<name>-<part>`):
    - key: a customer-managed KMS key (rotation, 30-day window) whose policy trusts the account
      and only the services that use it directly (CloudWatch Logs for the product's log groups,
      EventBridge, CloudWatch alarms), each for this account only;
    - storage: raw, curated and reportable buckets (SSE-KMS with the product key and bucket keys,
      versioning, public access blocked, BucketOwnerEnforced, TLS-only and right-key-only
      policies, lifecycle, access logs) and an access-log bucket (SSE-S3, as S3 logging requires);
      the raw bucket sends its events to EventBridge;
    - ingestion, each only when configured: batch (Glue job + schedule), streaming (Kinesis,
      Firehose, record processor), SFTP (VPC-only Transfer server, a user per configured user),
      events (routing rules, archive, ODS writer); an arrival handler validates batch/SFTP files;
    - ODS: a DynamoDB table (on-demand, PITR, product key, deletion protection, NEW_AND_OLD_IMAGES
      stream) and a DAX cluster (TLS, encrypted, over three AZs, reachable from the clients
      security group only) unless `dax.enabled: false`;
    - an event bus for the product (always: services publish on it), encrypted with the key,
      writable by this account and, for the declared sources, by the consumer accounts;
    - monitoring: a KMS-encrypted SNS topic fed by ETL and crawler failure events and alarms,
      with a subscription per alarm endpoint (`dp_monitoring`, shared with the DR pilot light);
    - catalog: a Glue security configuration, the product database (one Iceberg table per
      declared dataset, with its data quality ruleset) and an internal database (curated/raw
      tables), crawlers for curated and raw data with their own read-only roles;
    - reportable stage (with datasets): a Glue job run after each successful ETL that builds the
      datasets, checks their quality and announces each publish; quality and freshness alarms;
    - Lake Formation: curated and reportable registered with a dedicated role; LF-tags on the
      database (domain, product), tables (dataset, classification) and differently classified
      columns; consumers get DESCRIBE on the product database and SELECT/DESCRIBE on their
      datasets' columns up to their clearance, by LF-tag expression, each with the grant option
      so the consumer's data lake admin can pass them on inside its own account.
    The catalog and Lake Formation part is `dp_catalog.product_catalog`, which the DR pilot light
    builds over the replicas too.

    Buckets, table and key are protected and retained unless the stack sets allowDataDestroy.
    """


    def __init__(self, name: str, args: DataProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:DataProduct", name, None, opts)
        self.args = args
        # Where services publish the product's changes, and the bus consumers receive them on.
        self.event_source = naming.service_event_source(args.stack.business_unit, args.product.name)
        self.share_bus_name = naming.inbox_bus_name(args.stack.business_unit, args.stack.environment,
                                                    args.product.name)
        self.key = product_key(name, args.product, args.stack, pulumi.ResourceOptions(parent=self))
        scope = ProductScope(name=name, product=args.product, stack=args.stack, network=args.network, parent=self,
                             key=self.key)
        zones, logs = storage_zones(scope)
        self.buckets = {z: zb.bucket for z, zb in zones.items()}
        self.bucket_names = {z: b.bucket for z, b in self.buckets.items()}
        self.bucket_versioning = {z: zb.secure.versioning for z, zb in zones.items()}
        self.log_bucket = logs.bucket
        # One encrypted topic for every alarm and failure event of the product.
        self.alarm_topic = alarm_topic(scope, args.alarm_endpoints)
        self.table = table(scope)
        self.dax = dax(scope, self.table)
        # The bus exists even without events ingestion: services publish on it.
        self.event_bus = product_event_bus(scope)
        # Glue's security configuration comes first: the batch ETL uses it too.
        security = security_configuration(scope)
        self._ingestion(scope, zones, security)
        lf_deps = [args.lake_formation_settings] if args.lake_formation_settings else []
        catalog = product_catalog(scope, {z: ZoneRef(z, zb.bucket.bucket, zb.bucket.arn) for z, zb in zones.items()},
                                  security, raw_prefixes=raw_crawl_prefixes(args.product.ingestion),
                                  curated_exclusions=curated_crawl_exclusions(), lf_deps=lf_deps, lf_tags=args.lf_tags)
        self.catalog_database, self.internal_database = catalog.shared_database, catalog.internal_database
        self.crawlers = catalog.crawlers
        self.tables, self.quality_rulesets = catalog.tables, catalog.rulesets
        self.lake_formation_role = catalog.registration_role
        self.arrival = self._arrival(scope, zones["raw"], catalog.raw_crawler_name)
        self.reportable = reportable(
            scope, zones, catalog, etl_job=self.batch.job, security=security, bus=self.event_bus,
            topic=self.alarm_topic, notify_dlq=self.notify_dlq, lf_deps=lf_deps) if self.batch and self.tables else None
        failure_rules = [crawler_failed_rule(scope, list(self.crawlers), self.alarm_topic, self.notify_dlq)]
        failure_rules += [self.batch.failure_rule] if self.batch else []
        failure_rules += [self.reportable.failure_rule] if self.reportable else []
        failure_notifications(scope, self.alarm_topic, self.notify_dlq, failure_rules)
        # The contract's fields (`sharing.contract`): the primary stack adds the replicas and exports it.
        self.contract_fields = self._contract_fields()
        self.register_outputs({"catalog_database": self.catalog_database.name, "event_bus_arn": self.event_bus.arn})

    def _ingestion(self, scope: ProductScope, zones: dict, security: aws.glue.SecurityConfiguration) -> None:
        """Each configured mode (batch, streaming, SFTP, events); None where not configured."""
        ingestion = self.args.product.ingestion
        self.notify_dlq = scope.queue("notify-dlq")
        self.batch = batch(scope, zones, security, self.alarm_topic, self.notify_dlq) if ingestion.batch else None
        self.streaming = streaming(scope, zones["raw"], self.alarm_topic) if ingestion.streaming else None
        self.sftp = sftp(scope, zones["raw"], self.args.sftp_allowed_cidrs) if ingestion.sftp else None
        self.events = events(scope, self.event_bus, self.table, self.alarm_topic) if ingestion.events else None

    def _arrival(self, scope: ProductScope, raw, raw_crawler_name: Optional[str]):
        """Files landing by batch upload or SFTP are checked, then start the ETL or the raw crawler."""
        ingestion = self.args.product.ingestion
        prefixes = ([BATCH_PREFIX] if ingestion.batch and ingestion.batch.on_arrival else []) + \
                   ([SFTP_PREFIX] if ingestion.sftp else [])
        if not prefixes:
            return None
        return arrival(scope, raw, prefixes=prefixes, job_name=self.batch.job_name if self.batch else None,
                       crawler_name=raw_crawler_name, topic=self.alarm_topic)

    def _contract_fields(self) -> dict[str, pulumi.Input]:
        product, stack = self.args.product, self.args.stack
        return {
            "name": product.name, "owner": product.owner, "classification": product.classification,
            "description": product.description, "account_id": stack.account_id, "region": stack.region,
            "catalog_database": self.catalog_database.name,
            "buckets": {z: {"name": b.bucket, "arn": b.arn} for z, b in self.buckets.items()},
            "key_arn": self.key.arn, "event_bus_arn": self.event_bus.arn, "event_bus_name": self.event_bus.name,
            "event_source": self.event_source,
            "ods_table_name": self.table.name, "ods_table_arn": self.table.arn, "ods_stream_arn": self.table.stream_arn,
            "alarm_topic_arn": self.alarm_topic.arn, "spec": product,
            "share_bus_name": self.share_bus_name, "consumers": tuple(product.consumers),
            "stream_arn": self.streaming.stream.arn if self.streaming else None,
            "dax_endpoint": self.dax.endpoint_url if self.dax else None,
            "sftp_endpoint": self.sftp.server.endpoint if self.sftp else None,
        }

    # --- what services get ----------------------------------------------------------------------
    def served_store(self) -> ServedStore:
        """The ODS, key and event bus for operational services.

        event_source is `naming.service_event_source` (`<businessUnit>.<product>.ods`): services
        publish under the product's own source, never one the product ingests, so the ODS writer
        never re-applies a service's writes and consumers can tell them apart."""
        a = self.args
        ods = a.product.operational_store
        return ServedStore(
            data_product=a.product.name,
            table_name=self.table.name,
            table_arn=self.table.arn,
            partition_key=ods.partition_key,
            sort_key=ods.sort_key,
            partition_key_type=ods.partition_key_type,
            sort_key_type=ods.sort_key_type,
            key_arn=self.key.arn,
            event_bus_name=self.event_bus.name,
            event_bus_arn=self.event_bus.arn,
            event_source=self.event_source,
            dax_cluster_arn=self.dax.cluster.arn if self.dax else None,
            dax_endpoint=self.dax.endpoint_url if self.dax else None,
            client_security_group_id=self.dax.client_security_group.id if self.dax else None,
        )

