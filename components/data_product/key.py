"""The product's customer managed key and the services its policy lets use it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.data_product.spec import DataProductSpec
from components.foundation import blueprint, iam, naming
from components.foundation.budget import budgets_key_statement
from components.foundation.context import StackContext
from components.foundation.kms import customer_key


def product_key(name: str, product: DataProductSpec, stack: StackContext, opts: pulumi.ResourceOptions) -> aws.kms.Key:
    """Rotation on, 30-day window, protected. Its policy trusts the account, and only the services
    that use it directly, each with the conditions it documents (`iam.key_for_*`): CloudWatch Logs
    for the product's and Glue's log groups in this region, EventBridge for the bus and the
    encrypted topic and queues it delivers to, CloudWatch alarms and Budgets for the alarm topic."""
    log_groups = [stack.arn("logs", f"log-group:/ddp/{stack.prefix}/{product.name}/*"),
                  stack.arn("logs", "log-group:/aws-glue/*")]
    return customer_key(
        f"{name}-key",
        description=f"{stack.prefix} data product {product.name}",
        alias=naming.physical_name("kms_alias", "alias", stack.prefix, product.name),
        partition=stack.partition,
        account_id=stack.account_id,
        service_statements=[
            iam.key_for_logs(stack.region, log_groups),
            iam.key_for_event_buses(stack.account_id),
            iam.key_for_delivery("events.amazonaws.com", sid="EventBridgeDelivers"),
            iam.key_for_delivery("cloudwatch.amazonaws.com", sid="CloudWatchAlarms"),
            budgets_key_statement(),
        ],
        allow_data_destroy=stack.allow_data_destroy,
        tags=blueprint.data_tags(product.classification, product.name),
        opts=opts,
    )
