"""The business unit's account provider: the only way resources reach AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi_aws as aws



@dataclass(frozen=True, kw_only=True)
class AccountArgs:
    """The BU account and how the program reaches it.

    account_id: the 12-digit BU account; deploy_role: the role every resource is deployed with;
    external_id: for the assume-role call, default None; prefix: `<bu>-<env>`, names the provider
    and its session; tags: the org's mandatory tags (`blueprint.org_tags`)."""

    account_id: str
    partition: str
    region: str
    deploy_role: str
    prefix: str
    external_id: Optional[str] = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def deploy_role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{self.deploy_role}"


def account_provider(account: AccountArgs, *, region: Optional[str] = None, name: Optional[str] = None) -> aws.Provider:
    """An explicit provider for the BU account in `region` (default: the stack's region).

    - assumes the BU's deploy role, so the operator's own credentials never touch resources;
    - `allowed_account_ids` pins the BU account: a wrong profile fails before any change;
    - `default_tags` carries the org's mandatory tags onto every taggable resource.
    """
    region = region or account.region
    return aws.Provider(
        name or f"{account.prefix}-{region}",
        region=region,
        allowed_account_ids=[account.account_id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=account.deploy_role_arn,
                session_name=f"ddp-{account.prefix}"[:64],
                external_id=account.external_id,
            )
        ],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(account.tags)),
    )
