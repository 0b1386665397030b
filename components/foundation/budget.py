"""A monthly AWS Budget per stack that warns the alarm topic before the month overspends.

The limit is a stack setting, or by default a margin over the stack's committed offline estimate
(`python -m offline.cost <stack>`; `offline/pricing/expected-totals.json`). Notifications go to an
SNS topic in the same account (AWS Budgets cannot publish cross-account) when the FORECASTED
spend passes 80 % and 100 % of the limit.

The topic must let Budgets publish, and, when it is KMS-encrypted, its key must let Budgets use it:
`dp_monitoring.alarm_topic_policy` carries `budgets_publish_statement`, and the product and DR keys
carry `budgets_key_statement`. Without them AWS accepts the budget but the notifications never
arrive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import iam

DEFAULT_MARGIN_PERCENT = 25
DEFAULT_THRESHOLDS_PERCENT = (80.0, 100.0)


def default_limit_usd(estimate_usd: float, margin_percent: int = DEFAULT_MARGIN_PERCENT) -> int:
    """A margin over the estimate, rounded up to whole dollars (usage-based costs, price drift)."""
    if estimate_usd < 0 or margin_percent < 0:
        raise ValueError("estimate and margin must be >= 0")
    return max(1, math.ceil(round(estimate_usd * (100 + margin_percent) / 100, 6)))


def budgets_source_condition(partition: str, account_id: str) -> dict:
    """Confused-deputy guard the AWS Budgets user guide prescribes for its SNS topics."""
    return {"StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:budgets::{account_id}:*"}}


def budgets_publish_statement(topic_arn: pulumi.Input[str], partition: str, account_id: str) -> dict:
    """Topic-policy statement letting this account's budgets publish to the topic."""
    return iam.statement(["SNS:Publish"], [topic_arn], sid="AWSBudgetsPublish",
                         principal={"Service": "budgets.amazonaws.com"},
                         condition=budgets_source_condition(partition, account_id))


def budgets_key_statement() -> dict:
    """Key-policy statement for a KMS-encrypted topic Budgets publishes to: as for the other AWS
    services that deliver to encrypted topics, the documented statement carries no source
    conditions (the KMS request does not); the topic policy above names the account."""
    return iam.key_for_delivery("budgets.amazonaws.com", sid="AWSBudgetsEncryptedTopic")


@dataclass(frozen=True, kw_only=True)
class StackBudgetArgs:
    """Inputs of `StackBudget`.

    budget_name: the budget's name, unique in the account (e.g. `retail-dev-primary`).
    limit_usd: the monthly limit in USD (> 0); see `default_limit_usd`.
    topic_arn: the SNS topic notified (same account; its policies need the statements above).
    account_id: the account whose costs are budgeted.
    cost_tags: tag key -> value the costs must all carry (ANDed), e.g. the org tags that identify
        the stack: {"business-unit": "retail", "environment": "dev", "region-role": "primary"}.
        The keys must be activated as cost allocation tags (in the payer account). Empty: every
        cost of the account.
    thresholds_percent: forecast thresholds, default 80 and 100.
    """

    budget_name: str
    limit_usd: float
    topic_arn: pulumi.Input[str]
    account_id: str
    cost_tags: Mapping[str, str] = field(default_factory=dict)
    thresholds_percent: Sequence[float] = DEFAULT_THRESHOLDS_PERCENT

    def __post_init__(self) -> None:
        if not self.limit_usd > 0:
            raise ValueError(f"budget limit must be > 0 USD, got {self.limit_usd}")
        if not self.thresholds_percent or any(not 0 < t <= 1000 for t in self.thresholds_percent):
            raise ValueError("thresholds_percent must be percentages in (0, 1000]")
        if not 1 <= len(self.budget_name) <= 100 or any(c in self.budget_name for c in ":\\"):
            raise ValueError("budget_name must be 1-100 characters without ':' or '\\'")


class StackBudget(pulumi.ComponentResource):
    """The stack's monthly cost budget.

    Children: one `aws.budgets.Budget` (`<name>-budget`): COST, MONTHLY, limit in USD, unblended
    cost filtered to the stack's cost tags, one FORECASTED notification per threshold to the topic.
    Budgets without actions are free.
    """

    budget: aws.budgets.Budget

    def __init__(self, name: str, args: StackBudgetArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("ddp:index:StackBudget", name, None, opts)
        tags = sorted(args.cost_tags.items())
        filter_expression = None
        if len(tags) == 1:
            filter_expression = aws.budgets.BudgetFilterExpressionArgs(
                tags=aws.budgets.BudgetFilterExpressionTagsArgs(key=tags[0][0], values=[tags[0][1]],
                                                                match_options=["EQUALS"]))
        elif tags:
            filter_expression = aws.budgets.BudgetFilterExpressionArgs(ands=[
                aws.budgets.BudgetFilterExpressionAndArgs(
                    tags=aws.budgets.BudgetFilterExpressionAndTagsArgs(key=k, values=[v], match_options=["EQUALS"]))
                for k, v in tags])
        self.budget = aws.budgets.Budget(
            f"{name}-budget",
            name=args.budget_name,
            account_id=args.account_id,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.limit_usd:.2f}",
            limit_unit="USD",
            # filter_expression requires metrics (and excludes cost_types).
            metrics="UnblendedCost" if filter_expression is not None else None,
            filter_expression=filter_expression,
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    comparison_operator="GREATER_THAN",
                    notification_type="FORECASTED",
                    threshold=float(t),
                    threshold_type="PERCENTAGE",
                    subscriber_sns_topic_arns=[args.topic_arn],
                )
                for t in args.thresholds_percent
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"budget_arn": self.budget.arn})
