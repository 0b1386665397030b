"""Data Delivery Platform: one business unit's stack in one region role.

Reading order: settings -> account provider -> network -> data products -> services -> exports.
"""

import pulumi

from components.account import account_provider
from components.network import Network, NetworkArgs
from stackconfig import load_settings

settings = load_settings()  # stops here with one line if the stack file is wrong
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

pulumi.export("account", {"id": settings.account.id, "region": settings.region, "role": settings.region_role})
pulumi.export("network", {"vpcId": network.vpc_id, "privateSubnetIds": network.private_subnet_ids,
                          "publicSubnetIds": network.public_subnet_ids})
