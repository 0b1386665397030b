"""The product's event bus: services publish their changes on it, event ingestion routes from it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.data_product.ingestion import event_bus_name
from components.data_product.scope import ProductScope
from components.foundation import iam


def product_event_bus(scope: ProductScope) -> aws.cloudwatch.EventBus:
    """The bus (encrypted with the product key) and its policy: this account publishes; consumer
    accounts may publish only the sources the product declares for event ingestion."""
    bus = aws.cloudwatch.EventBus(
        f"{scope.name}-bus",
        name=event_bus_name(scope),
        description=f"Events of the {scope.product_name} data product",
        kms_key_identifier=scope.key.arn,
        opts=scope.child,
    )
    aws.cloudwatch.EventBusPolicy(f"{scope.name}-bus-policy", event_bus_name=bus.name,
                                  policy=bus_policy(scope, bus.arn), opts=scope.child)
    return bus


def bus_policy(scope: ProductScope, bus_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    stack, product = scope.stack, scope.product
    statements = [iam.statement(
        ["events:PutEvents"], [bus_arn], sid="AccountPublishes",
        principal={"AWS": iam.account_root(stack.partition, stack.account_id)},
    )]
    if product.consumers and product.ingestion.events:
        statements.append(iam.statement(
            ["events:PutEvents"], [bus_arn], sid="ConsumersPublishDeclaredSources",
            principal={"AWS": [iam.account_root(stack.partition, account) for account in product.consumers]},
            condition={"StringEquals": {"events:source": list(product.ingestion.events.sources)}},
        ))
    return iam.document(*statements)
