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


# Key-policy statements for AWS services. Each carries only the condition keys the service
# documents for that use: a condition key the service does not send in its KMS request makes the
# statement never match, and the service then fails at run time (encrypted logs not written,
# events or alarms silently dropped), long after `pulumi up` succeeded.
KEY_DATA_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


def key_for_logs(region: str, log_group_arns: Sequence[Any], *, sid: str = "CloudWatchLogs") -> dict:
    """CloudWatch Logs of one region encrypts these log groups with the key. Logs' documented
    condition is the encryption context (the log group ARN); it sends no aws:SourceAccount.
    (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2.)"""
    return statement(
        KEY_DATA_ACTIONS, ["*"], sid=sid, principal={"Service": f"logs.{region}.amazonaws.com"},
        condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}},
    )


def key_for_event_buses(account_id: str, *, sid: str = "EventBridgeBuses") -> dict:
    """EventBridge encrypts this account's event buses and archives with the key. EventBridge
    documents aws:SourceAccount for this use (EventBridge user guide, "Authorizing EventBridge to use
    a customer managed key")."""
    return statement(
        ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"], ["*"], sid=sid,
        principal={"Service": "events.amazonaws.com"}, condition={"StringEquals": {"aws:SourceAccount": account_id}},
    )


def key_for_delivery(service: str, *, sid: str) -> dict:
    """`service` (events, cloudwatch) delivers messages to an SNS topic or SQS queue encrypted with
    the key. AWS documents this statement without conditions (SNS developer guide, "Enable
    compatibility between event sources from AWS services and encrypted topics"); the requests do
    not carry aws:SourceAccount/aws:SourceArn. Who may deliver is decided by the topic or queue
    policy, which does carry the source conditions."""
    return statement(["kms:Decrypt", "kms:GenerateDataKey*"], ["*"], sid=sid, principal={"Service": service})


def deny_insecure_transport(service: str, resource_arns: Sequence[Any]) -> dict:
    """Deny any request not made over TLS (resource policies of buckets, queues, topics).

    SNS topic policies accept only the topic actions SNS lists (a `sns:*` action is refused when
    the policy is set), so the topic form names them."""
    actions = list(SNS_TOPIC_POLICY_ACTIONS) if service == "sns" else [f"{service}:*"]
    return statement(
        actions, resource_arns, effect="Deny", sid="DenyInsecureTransport",
        principal="*", condition={"Bool": {"aws:SecureTransport": "false"}},
    )


# The actions an SNS topic policy may name (SNS developer guide, "Amazon SNS API permissions:
# actions and resources reference", the topic-level actions usable in access policies).
SNS_TOPIC_POLICY_ACTIONS = (
    "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
    "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
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
