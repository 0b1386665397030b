"""EventBridge rules of the BU in DR: enabled on failover, disabled on failback.

Every rule carrying the BU's DR scope tags is part of the light, unless it opts out with
`ddp:pilot-light = "false"` (e.g. a rule that must run in DR at all times).
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error
from runbook.context import TAG_PILOT_LIGHT, RunContext
from runbook.discovery import TaggedRule, tagged_rules
from runbook.steps import Mode


def plan(ctx: RunContext, mode: Mode) -> list[Action]:
    try:
        rules = tagged_rules(ctx, "dr")
    except (ClientError, BotoCoreError) as exc:
        return [error("rule", f"eventbridge rules in {ctx.dr_region}", exc)]
    return [_plan_rule(ctx, r, mode) for r in rules if r.tags.get(TAG_PILOT_LIGHT) != "false"]


def _plan_rule(ctx: RunContext, rule: TaggedRule, mode: Mode) -> Action:
    label = f"eventbridge rule {rule.bus}/{rule.name}"
    desired = "ENABLED" if mode == "failover" else "DISABLED"
    if rule.state == desired:
        return Action("rule", label, rule.state)
    events = ctx.client("events", "dr")

    def write():
        call = events.enable_rule if mode == "failover" else events.disable_rule
        call(Name=rule.name, EventBusName=rule.bus)

    return Action("rule", label, rule.state, desired, write)
