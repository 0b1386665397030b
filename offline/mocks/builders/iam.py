"""IAM: roles, inline role policies and managed policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import iam_unique_id, last_segment, physical_name
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


def _iam_arn(mocks: PlatformMocks, kind: str, inputs: Inputs, physical: str) -> str:
    """IAM ARNs are global: arn:<p>:iam::<acct>:<role|policy><path><name> (path "/" by default)."""
    return f"arn:{mocks.partition}:iam::{mocks.account_id}:{kind}{inputs.get('path') or '/'}{physical}"


# terraform-provider-aws internal/service/iam/role.go: id = name; arn = arn:<p>:iam::<acct>:role<path><name>;
# unique_id = RoleId ("AROA" + 17 characters)
def iam_role(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    arn = _iam_arn(mocks, "role", inputs, physical)
    return physical, {"name": physical, "arn": arn, "uniqueId": iam_unique_id("AROA", seed)}


# terraform-provider-aws internal/service/iam/role_policy.go: id = "<role name>:<policy name>"
def iam_role_policy(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    return f"{last_segment(inputs.get('role'))}:{physical}", {"name": physical}


# terraform-provider-aws internal/service/iam/policy.go: id = arn; policy_id = "ANPA" + 17 characters
def iam_policy(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    arn = _iam_arn(mocks, "policy", inputs, physical)
    return arn, {"name": physical, "arn": arn, "policyId": iam_unique_id("ANPA", seed)}


BUILDERS: dict[str, Builder] = {
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:iam/policy:Policy": iam_policy,
}
