"""Policy documents as data: small builders so every role and key policy reads the same way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pulumi
import pulumi_aws as aws


def statement(
    actions: Sequence[str],
    resources: Sequence[Any],
    *,
    effect: str = "Allow",
    sid: Optional[str] = None,
    principal: Optional[dict] = None,
    condition: Optional[dict] = None,
) -> dict:
    st: dict[str, Any] = {"Effect": effect, "Action": list(actions), "Resource": list(resources)}
    if sid:
        st["Sid"] = sid
    if principal is not None:
        st["Principal"] = principal
    if condition:
        st["Condition"] = condition
    return st


def _has_output(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_output(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_output(v) for v in value)
    return isinstance(value, pulumi.Output)


def document(*statements: dict) -> pulumi.Input[str]:
    """A JSON policy document. Statements may hold Outputs (ARNs of other resources); when they
    hold none, the document is plain text, which costs the engine no Output to resolve."""
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return pulumi.Output.json_dumps(doc) if _has_output(doc) else json.dumps(doc)


def trust_policy(service: str, account_id: str, *, source_arn: Optional[str] = None) -> pulumi.Output[str]:
    """Trust a service principal, only on behalf of this account (confused-deputy guard)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["sts:AssumeRole"],
            "Condition": condition,
        }
    )


def account_root(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def key_admin_statement(partition: str, account_id: str) -> dict:
    """Key policies start by trusting the account's IAM, so the key can never be orphaned."""
    return statement(
        ["kms:*"], ["*"], sid="AccountAdministers",
        principal={"AWS": account_root(partition, account_id)},
    )


def key_service_statement(service: str, partition: str, account_id: str, *, sid: str,
                          condition: Optional[dict] = None) -> dict:
    """Let an AWS service use the key for data it stores in this account."""
    cond = {"StringEquals": {"aws:SourceAccount": account_id}}
    if condition:
        cond = {**cond, **condition}
    return statement(
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        ["*"], sid=sid, principal={"Service": service}, condition=cond,
    )


def deny_insecure_transport(service: str, resource_arns: Sequence[Any]) -> dict:
    """Deny any request not made over TLS (resource policies of buckets, queues, topics)."""
    return statement(
        [f"{service}:*"], resource_arns, effect="Deny", sid="DenyInsecureTransport",
        principal="*", condition={"Bool": {"aws:SecureTransport": "false"}},
    )


@dataclass(frozen=True)
class ServiceRole:
    role: aws.iam.Role
    # Whoever uses the role depends on its policy, so a first run never starts without permissions.
    policy: aws.iam.RolePolicy

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn


def service_role(name: str, *, service: str, account_id: str, statements: Sequence[dict],
                 opts: pulumi.ResourceOptions, role_name: Optional[str] = None,
                 source_arn: Optional[str] = None) -> ServiceRole:
    """A role trusted by one AWS service on behalf of this account only, with one inline
    least-privilege policy. Children: `<name>-role`, `<name>-policy`."""
    role = aws.iam.Role(f"{name}-role", name=role_name,
                        assume_role_policy=trust_policy(service, account_id, source_arn=source_arn), opts=opts)
    policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=document(*statements), opts=opts)
    return ServiceRole(role, policy)
