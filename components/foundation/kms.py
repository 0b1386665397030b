"""Customer-managed KMS keys: rotation on, 30-day deletion window, policy scoped to the account."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam


def customer_key(
    name: str,
    *,
    description: str,
    alias: str,
    partition: str,
    account_id: str,
    service_statements: Sequence[dict] = (),
    allow_data_destroy: bool,
    tags: dict[str, str] | None = None,
    opts: pulumi.ResourceOptions,
) -> aws.kms.Key:
    """A CMK plus its alias. Keys encrypt data, so they are stateful: protected and retained."""
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=blueprint.KMS_DELETION_WINDOW_DAYS,
        policy=iam.document(iam.key_admin_statement(partition, account_id), *service_statements),
        tags=tags,
        opts=blueprint.stateful(allow_data_destroy, opts),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=alias,
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[key])),
    )
    return key
