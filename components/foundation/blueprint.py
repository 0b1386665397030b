"""The org blueprint as defaults: mandatory tags, protection of stateful resources, shared limits.

Components read these instead of repeating literals, so the blueprint changes in one place and
the CrossGuard pack (policies/) checks the same facts independently.
"""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

MANAGED_BY = "pulumi/data-delivery-platform"
MANDATORY_TAG_KEYS = ("business-unit", "environment", "owner", "cost-center", "managed-by")
CLASSIFICATION_TAG = "data-classification"

LOG_RETENTION_DAYS = 365
KMS_DELETION_WINDOW_DAYS = 30
# Current TLS policies: ALB listeners and Transfer Family servers.
ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
TRANSFER_SECURITY_POLICY = "TransferSecurityPolicy-2024-01"
LAMBDA_RUNTIME = "python3.12"
AZ_COUNT = 3


def org_tags(*, business_unit: str, environment: str, owner: str, cost_center: str, region_role: str,
             user_tags: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The provider's default tags: every resource of the stack carries them."""
    tags = {
        "business-unit": business_unit,
        "environment": environment,
        "owner": owner,
        "cost-center": cost_center,
        "managed-by": MANAGED_BY,
        "region-role": region_role,
    }
    # User tags may add keys but never override the mandatory ones.
    return {**(user_tags or {}), **tags}


def data_tags(classification: str, product: str, extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Tags for data-holding resources (on top of the provider's default tags)."""
    return {CLASSIFICATION_TAG: classification, "data-product": product, **(extra or {})}


def stateful(allow_data_destroy: bool, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """Options for buckets, tables and keys: protected and retained unless the stack allows
    destroying data. Deleting data then takes two deliberate steps: set allowDataDestroy and
    `pulumi up` (which lifts the protection), then `pulumi destroy`."""
    guard = not allow_data_destroy
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=guard, retain_on_delete=guard))
