"""Data Delivery Platform: one business unit's stack in one region role.

A primary stack builds: the BU account provider -> the three-AZ network -> the data products
(ingestion, zones, catalog, ODS, sharing) -> the operational services -> replication into the DR
region -> the data products it consumes from other BUs. It exports each product's contract.

A dr stack reads its primary's contract and builds the pilot light in the DR region: network,
catalog + Lake Formation over the replicas, event buses, and the services scaled to zero.
"""

from typing import Optional

import pulumi

from components.data_product import DataProduct, DataProductArgs
from components.data_product.lake_formation import LfTags, lake_formation_settings, lake_formation_tags
from components.dr.failover_dns import FailoverEndpoint, FailoverEndpointArgs
from components.dr.pilot_light import PilotLightProduct, PilotLightProductArgs
from components.dr.replication import DrReplication, DrReplicationArgs, ecr_replication
from components.foundation.account import account_provider
from components.foundation.budget import StackBudget, StackBudgetArgs
from components.foundation.context import NetworkRefs, ServedStore
from components.foundation.network import Network
from components.operational_service import OperationalService, OperationalServiceArgs, ServiceSpec
from components.sharing.consumed_product import ConsumedDataProduct, ConsumedDataProductArgs
from components.sharing.contract import contract_output
from components.sharing.event_sharing import EventSharing, EventSharingArgs
from stackconfig import args, load_settings
from stackconfig.budget import budget_limit
from stackconfig.datasets import check_dataset_versions, read_published_datasets
from stackconfig.upstream import read_upstream, service_specs_in_dr

settings = load_settings()  # stops here with one line if the stack file is wrong
stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
stack = args.stack_context(settings)
account = args.account_args(settings)
alarm_endpoints = args.alarm_endpoints(settings)
# Read and checked before any resource is declared: nothing is half-deployed when they fail.
upstream = read_upstream(settings, source=stack_file)
dr_services = service_specs_in_dr(settings, upstream, source=stack_file)
# Consumer grants past their expiry are not declared; a breaking dataset change without a new
# major version stops here.
specs = {p.name: args.data_product_spec(p, today=args.current_date()) for p in settings.data_products}
check_dataset_versions(specs, read_published_datasets(specs), source=stack_file)
budget_limit_usd = (budget_limit(settings, pulumi.get_stack(), source=stack_file)
                    if settings.budget.enabled and settings.alarms else None)

provider = account_provider(account)
scope = pulumi.ResourceOptions(providers=[provider])
network = Network(settings.prefix, args.network_args(settings), scope)
net = NetworkRefs(vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids,
                  public_subnet_ids=network.public_subnet_ids)
# Account-wide (per region): the deploy role administers Lake Formation; no IAMAllowedPrincipals.
lake_formation = lake_formation_settings(f"{settings.prefix}-lakeformation", stack,
                                        [account.deploy_role_arn, *settings.lake_formation_admins], scope)


def service(s: ServiceSpec, store: ServedStore, *, pilot_light: bool) -> OperationalService:
    svc = OperationalService(s.name, OperationalServiceArgs(
        service=s, stack=stack, network=net, store=store, pilot_light=pilot_light), scope)
    if settings.dr.hosted_zone_id and s.runtime == "fargate":
        FailoverEndpoint(f"{s.name}-dns", FailoverEndpointArgs(
            zone_id=settings.dr.hosted_zone_id, record_name=f"{s.name}.{settings.dr.domain_name}",
            role="SECONDARY" if pilot_light else "PRIMARY",
            lb_dns_name=svc.load_balancer.dns_name, lb_zone_id=svc.load_balancer.zone_id), scope)
    return svc


def budget(topic_arn: pulumi.Input[str]) -> None:
    """The stack's monthly budget, forecast alerts to the alarm topic (tags select the stack's costs)."""
    if budget_limit_usd is not None:
        StackBudget(f"{settings.prefix}-budget", StackBudgetArgs(
            budget_name=f"{settings.prefix}-{settings.region_role}", limit_usd=budget_limit_usd,
            topic_arn=topic_arn, account_id=settings.account.id,
            cost_tags={"business-unit": settings.business_unit, "environment": settings.environment,
                       "region-role": settings.region_role}), scope)


def tags_for(specs) -> Optional[LfTags]:
    """The stack's LF-tags over these products' datasets (none without datasets)."""
    specs = list(specs)
    return lake_formation_tags(f"{settings.prefix}-lf-tag", stack, specs, lake_formation, scope) \
        if any(s.datasets for s in specs) else None


def primary() -> None:
    lf_tags = tags_for(specs.values())
    products = {name: DataProduct(name, DataProductArgs(
        product=spec, stack=stack, network=net, alarm_endpoints=alarm_endpoints,
        sftp_allowed_cidrs=(settings.network.cidr,), lake_formation_settings=lake_formation, lf_tags=lf_tags), scope)
        for name, spec in specs.items()}
    service_specs = {s.name: args.service_spec(s) for s in settings.services}
    services = {name: service(s, products[s.data_product].served_store(), pilot_light=False)
                for name, s in service_specs.items()}
    if products:
        budget(next(iter(products.values())).alarm_topic.arn)
    dr_provider = account_provider(account, region=settings.dr_region) if settings.dr_region and products else None
    if dr_provider is not None and any(s.build_image for s in settings.services):
        ecr_replication(f"{settings.prefix}-ecr-replication", stack, f"{settings.prefix}/", scope)
    contracts = {}
    for name, product in products.items():
        if specs[name].consumers:
            EventSharing(f"{name}-sharing", EventSharingArgs(
                stack=stack, product=name, bus_name=product.event_bus.name, consumers=specs[name].consumers,
                event_source=product.event_source, key_arn=product.key.arn,
                inbox_bus_name=product.share_bus_name), scope)
        replicas = None
        if dr_provider is not None:
            replicas = DrReplication(f"{name}-dr", DrReplicationArgs(
                stack=stack, dr_provider=dr_provider, product=name, classification=specs[name].classification,
                source_buckets=product.bucket_names, source_versioning=product.bucket_versioning,
                source_key_arn=product.key.arn, table_arn=product.table.arn,
                replication_time_control=settings.dr.replication_time_control), scope).replica_fields
        contracts[name] = contract_output(product.contract_fields, dr=replicas)
    pulumi.export("dataProducts", contracts)
    pulumi.export("services", {
        name: {"endpoint": services[name].endpoint, "spec": s.to_dict(),
               "image": {"repository": services[name].repository.name, "tag": services[name].image_tag,
                         "uri": services[name].image.image_uri} if s.build_image else None}
        for name, s in service_specs.items()})
    pulumi.export("consumes", {
        f"{use.stack}:{use.data_product}": ConsumedDataProduct(
            f"{use.data_product}-from-{use.stack.rsplit('/', 1)[-1]}", ConsumedDataProductArgs(
                stack=stack, producer_stack=use.stack, contract=upstream.consumed[i],
                datasets=upstream.consumed_datasets[i], analyst_role_name=use.analyst_role, lake_formation_settings=lake_formation), scope).contract
        for i, use in enumerate(settings.consumes)})


def dr() -> None:
    lf_tags = tags_for(c.spec for c in upstream.primary_products.values())
    lights = {name: PilotLightProduct(name, PilotLightProductArgs(
        stack=stack, contract=contract, alarm_endpoints=alarm_endpoints, lake_formation_settings=lake_formation,
        dax_enabled=settings.dr.dax_enabled, network=net, lf_tags=lf_tags), scope)
        for name, contract in upstream.primary_products.items()}
    services = {name: service(s, lights[s.data_product].served_store(), pilot_light=True).endpoint
                for name, s in dr_services.items()}
    if lights:
        budget(next(iter(lights.values())).alarm_topic.arn)
    pulumi.export("primaryStack", settings.primary_stack)
    pulumi.export("pilotLight", {"dataProducts": {n: light.database.name for n, light in lights.items()},
                                 "services": services})


if settings.region_role == "primary":
    primary()
else:
    dr()

pulumi.export("account", {"id": settings.account.id, "region": settings.region, "role": settings.region_role,
                          "businessUnit": settings.business_unit, "environment": settings.environment})
pulumi.export("network", {"vpcId": network.vpc_id, "privateSubnetIds": network.private_subnet_ids,
                          "publicSubnetIds": network.public_subnet_ids})
