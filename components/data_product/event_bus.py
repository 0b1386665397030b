"""The product's event bus: services publish their changes on it, event ingestion routes from it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.data_product.ingestion import event_bus_name
from components.data_product.scope import ProductScope
from components.foundation import iam


def product_event_bus(scope: ProductScope) -> aws.cloudwatch.EventBus:
    """The bus (encrypted with the product key) and its policy: only this account publishes.

    Consumer accounts receive the product's events through forwarding rules to their own inbox
    buses; they put nothing on this bus. (Earlier versions admitted consumers' events for the
    ingestion sources, but every rule that stores events takes only this account's, so such events
    were archived and went nowhere.)"""
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
    stack = scope.stack
    return iam.document(iam.statement(
        ["events:PutEvents"], [bus_arn], sid="AccountPublishes",
        principal={"AWS": iam.account_root(stack.partition, stack.account_id)},
    ))
