"""Data Delivery Platform: one business unit's stack in one region role.

Reading order: settings -> account provider -> network -> data products -> services -> exports.
"""

import pulumi

from components.account import account_provider
from components.context import NetworkRefs, StackContext
from components.data_product import DataProduct, DataProductArgs
from components.network import Network, NetworkArgs
from components.operational_service import OperationalService, OperationalServiceArgs
from stackconfig import load_settings

settings = load_settings()  # stops here with one line if the stack file is wrong
stack = StackContext.from_settings(settings)
provider = account_provider(settings)
scope = pulumi.ResourceOptions(providers=[provider])

network = Network(
    settings.prefix,
    NetworkArgs(
        prefix=settings.prefix,
        account_id=settings.account.id,
        region=settings.region,
        partition=settings.partition,
        cidr=settings.network.cidr,
        nat_strategy=settings.nat_strategy,
        flow_log_retention_days=settings.network.flow_log_retention_days,
        allow_data_destroy=settings.allow_data_destroy,
    ),
    scope,
)
net = NetworkRefs(vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids,
                  public_subnet_ids=network.public_subnet_ids)

products = {
    p.name: DataProduct(p.name, DataProductArgs(product=p, stack=stack, network=net), scope)
    for p in settings.data_products
}
services = {
    s.name: OperationalService(
        s.name,
        OperationalServiceArgs(service=s, stack=stack, network=net, store=products[s.data_product].served_store()),
        scope,
    )
    for s in settings.services
}

pulumi.export("account", {"id": settings.account.id, "region": settings.region, "role": settings.region_role})
pulumi.export("network", {"vpcId": network.vpc_id, "privateSubnetIds": network.private_subnet_ids,
                          "publicSubnetIds": network.public_subnet_ids})
pulumi.export("dataProducts", {name: p.contract for name, p in products.items()})
pulumi.export("services", {name: s.endpoint for name, s in services.items()})
