"""Data Delivery Platform: one business unit's stack in one region role.

A primary stack builds: the BU account provider -> the three-AZ network -> the data products
(ingestion, zones, catalog, ODS, sharing) -> the operational services -> replication into the DR
region -> the data products it consumes from other BUs. It exports each product's contract.

A dr stack reads its primary's contract and builds the pilot light in the DR region: network,
catalog + Lake Formation over the replicas, event buses, and the services scaled to zero.
"""

import pulumi

from components.account import account_provider, deploy_role_arn
from components.context import NetworkRefs, ServedStore, StackContext
from components.data_product import DataProduct, DataProductArgs, lake_formation_settings
from components.dp_monitoring import AlarmEndpoint
from components.dns import FailoverEndpoint, FailoverEndpointArgs
from components.dr_replication import DrReplication, DrReplicationArgs, ecr_replication
from components.network import Network, NetworkArgs
from components.operational_service import OperationalService, OperationalServiceArgs
from components.pilot_light import (PilotLightError, PilotLightProduct, PilotLightProductArgs, check_replicated,
                                    pilot_light_service)
from components.sharing import (ConsumedDataProduct, ConsumedDataProductArgs, EventSharing, EventSharingArgs,
                                GrantMissing, check_grant, read_contract)
from components.budget import StackBudget, StackBudgetArgs
from stackconfig import SettingsError, load_settings
from stackconfig.budget import budget_limit
from stackconfig.loader import PROJECT
from stackconfig.model import ServiceSettings
from stackconfig.upstream import check_primary, check_producer

settings = load_settings()  # stops here with one line if the stack file is wrong
stack = StackContext.from_settings(settings)
stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
# Resolved now, so a missing limit stops the run before anything is declared.
budget_limit_usd = (budget_limit(settings, pulumi.get_stack(), source=stack_file)
                    if settings.budget.enabled and settings.alarms else None)


def upstream_contracts() -> tuple[dict, dict, dict]:
    """Other stacks' contracts this stack builds on, read and checked before any resource is
    declared, so a missing grant or replica stops the run with nothing half-deployed:
    (the primary's data products, the primary's services, consumed products by consumes index)."""
    products, services, consumed = {}, {}, {}
    try:
        if settings.region_role == "dr":
            ref = pulumi.StackReference("primary", stack_name=settings.primary_stack)
            upstream = read_contract(ref, "account", "dataProducts", "services")
            check_primary(settings, upstream, source=stack_file)
            products = upstream["dataProducts"] or {}
            for c in products.values():
                check_replicated(c, primary_stack=settings.primary_stack, region=settings.region)
            services = {name: pilot_light_service(entry, account_id=settings.account.id, region=settings.region,
                                                  certificate_arn=settings.dr.certificate_arn)
                        for name, entry in (upstream["services"] or {}).items()}
    except PilotLightError as exc:
        raise SettingsError(f"{stack_file}: {PROJECT}:{exc.key}: {exc}") from None
    for i, use in enumerate(settings.consumes):
        ref = pulumi.StackReference(f"{use.stack}-{use.data_product}", stack_name=use.stack)
        producer = read_contract(ref, "account", "dataProducts")
        check_producer(settings, i, producer, source=stack_file)
        contract = (producer["dataProducts"] or {}).get(use.data_product)
        try:
            check_grant(contract, account_id=settings.account.id, producer_stack=use.stack, product=use.data_product)
        except GrantMissing as exc:
            raise SettingsError(f"{stack_file}: {PROJECT}:consumes[{i}]: {exc}") from None
        consumed[i] = contract
    return products, services, consumed


primary_products, primary_services, consumed_contracts = upstream_contracts()
provider = account_provider(settings)
scope = pulumi.ResourceOptions(providers=[provider])

network = Network(settings.prefix, NetworkArgs(
    prefix=settings.prefix, account_id=settings.account.id, region=settings.region, partition=settings.partition,
    cidr=settings.network.cidr, nat_strategy=settings.nat_strategy,
    flow_log_retention_days=settings.network.flow_log_retention_days,
    allow_data_destroy=settings.allow_data_destroy), scope)
net = NetworkRefs(vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids,
                  public_subnet_ids=network.public_subnet_ids)
# Account-wide (per region): the deploy role administers Lake Formation; no IAMAllowedPrincipals.
lake_formation = lake_formation_settings(f"{settings.prefix}-lakeformation", stack, [deploy_role_arn(settings)], scope)


alarm_endpoints = tuple(AlarmEndpoint(protocol=p, endpoint=e)
                        for p, e in (settings.alarms.endpoints if settings.alarms else []))


def service(s: ServiceSettings, store: ServedStore, *, pilot_light: bool) -> OperationalService:
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
    if budget_limit_usd is None:
        return
    StackBudget(f"{settings.prefix}-budget", StackBudgetArgs(
        budget_name=f"{settings.prefix}-{settings.region_role}", limit_usd=budget_limit_usd, topic_arn=topic_arn,
        account_id=settings.account.id,
        cost_tags={"business-unit": settings.business_unit, "environment": settings.environment,
                   "region-role": settings.region_role}), scope)


def primary() -> None:
    products = {p.name: DataProduct(p.name, DataProductArgs(
        product=p, stack=stack, network=net, alarm_endpoints=alarm_endpoints,
        sftp_allowed_cidrs=(settings.network.cidr,),
        lake_formation_settings=lake_formation), scope) for p in settings.data_products}
    services = {s.name: service(s, products[s.data_product].served_store(), pilot_light=False)
                for s in settings.services}
    if products:
        budget(products[settings.data_products[0].name].alarm_topic.arn)
    dr_provider = (account_provider(settings, region=settings.dr_region)
                   if settings.dr_region and settings.data_products else None)
    if dr_provider is not None and any(s.build_image for s in settings.services):
        ecr_replication(f"{settings.prefix}-ecr-replication", stack, f"{settings.prefix}/", scope)
    contracts = {}
    for p in settings.data_products:
        product, store = products[p.name], products[p.name].served_store()
        extra = {"accountId": settings.account.id, "eventSource": store.event_source,
                 "settings": p.model_dump(by_alias=True, mode="json"), "dr": None}
        if p.consumers:
            EventSharing(f"{p.name}-sharing", EventSharingArgs(
                stack=stack, product=p.name, bus_name=store.event_bus_name, consumers=p.consumers,
                key_arn=store.key_arn), scope)
        if dr_provider is not None:
            replication = DrReplication(f"{p.name}-dr", DrReplicationArgs(
                stack=stack, dr_provider=dr_provider, product=p.name, classification=p.classification,
                source_buckets=product.bucket_names, source_versioning=product.bucket_versioning,
                source_key_arn=store.key_arn, table_arn=store.table_arn,
                replication_time_control=settings.dr.replication_time_control), scope)
            extra["dr"] = replication.contract
        contracts[p.name] = pulumi.Output.all(product.contract, extra).apply(lambda v: {**v[0], **v[1]})
    pulumi.export("dataProducts", contracts)
    pulumi.export("services", {
        s.name: {"endpoint": services[s.name].endpoint, "settings": s.model_dump(by_alias=True, mode="json"),
                 "image": {"repository": services[s.name].repository.name, "tag": services[s.name].image_tag,
                           "uri": services[s.name].image.image_uri}
                 if s.build_image else None}
        for s in settings.services})

    consumed = {}
    for i, use in enumerate(settings.consumes):
        consumed[f"{use.stack}:{use.data_product}"] = ConsumedDataProduct(
            f"{use.data_product}-from-{use.stack.rsplit('/', 1)[-1]}",
            ConsumedDataProductArgs(stack=stack, producer_stack=use.stack, contract=consumed_contracts[i],
                                    analyst_role_name=use.analyst_role, lake_formation_settings=lake_formation),
            scope).contract
    pulumi.export("consumes", consumed)


def dr() -> None:
    lights = {name: PilotLightProduct(name, PilotLightProductArgs(
        stack=stack, contract=c, alarm_endpoints=alarm_endpoints, lake_formation_settings=lake_formation,
        dax_enabled=settings.dr.dax_enabled, network=net), scope) for name, c in primary_products.items()}
    services = {name: service(s, lights[s.data_product].served_store(), pilot_light=True).endpoint
                for name, s in primary_services.items()}
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
