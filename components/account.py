"""The business unit's account provider: the only way resources reach AWS."""

from __future__ import annotations

from typing import Optional

import pulumi_aws as aws

from components.blueprint import org_tags
from stackconfig.model import StackSettings


def deploy_role_arn(settings: StackSettings) -> str:
    return f"arn:{settings.partition}:iam::{settings.account.id}:role/{settings.account.deploy_role}"


def account_provider(settings: StackSettings, *, region: Optional[str] = None, name: Optional[str] = None) -> aws.Provider:
    """An explicit provider for the BU account in `region` (default: the stack's region).

    - assumes the BU's deploy role, so the operator's own credentials never touch resources;
    - `allowed_account_ids` pins the BU account: a wrong profile fails before any change;
    - `default_tags` carries the org's mandatory tags onto every taggable resource.
    """
    region = region or settings.region
    name = name or f"{settings.prefix}-{region}"
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[settings.account.id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=deploy_role_arn(settings),
                session_name=f"ddp-{settings.prefix}"[:64],
                external_id=settings.account.external_id,
            )
        ],
        default_tags=aws.ProviderDefaultTagsArgs(tags=org_tags(settings)),
    )
