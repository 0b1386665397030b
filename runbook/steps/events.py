"""EventBridge rules of the BU's pilot light in DR: enabled on failover, disabled on failback.

A rule is part of the light when it carries the BU's DR scope tags and `ddp:pilot-light = "true"`,
as the program tags an event-triggered service's rule (deployed DISABLED in DR). Every other rule
of the BU keeps whatever state the stack gave it: the DR stack also deploys rules that run while
dark (the crawler-failed alarm rule), and a failback must not disable them.
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
    return [_plan_rule(ctx, r, mode) for r in rules if r.tags.get(TAG_PILOT_LIGHT) == "true"]


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
