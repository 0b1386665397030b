"""Pilot-light Lambda functions: deployed with reserved concurrency 0 (cannot run, not routed).

Failover restores `ddp:primary-reserved-concurrency` when the function carries it (a number, or
`unreserved`); without the tag it removes a reservation of 0 (the function then draws on the
account's unreserved pool) and leaves any other reservation alone. Failback reserves 0.
"""

from __future__ import annotations

from typing import Optional

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error
from runbook.context import TAG_PILOT_LIGHT, TAG_PRIMARY_RESERVED_CONCURRENCY, RunContext
from runbook.discovery import Tagged, tagged_resources
from runbook.steps import Mode


def plan(ctx: RunContext, mode: Mode) -> list[Action]:
    try:
        functions = tagged_resources(ctx, "dr", ["lambda:function"])
    except (ClientError, BotoCoreError) as exc:
        return [error("concurrency", f"lambda functions in {ctx.dr_region}", exc)]
    return [_plan_function(ctx, fn, mode) for fn in functions if fn.tags.get(TAG_PILOT_LIGHT) == "true"]


def _show(reserved: Optional[int]) -> str:
    return "unreserved" if reserved is None else f"reserved {reserved}"


def _plan_function(ctx: RunContext, fn: Tagged, mode: Mode) -> Action:
    label = f"lambda function {fn.name}"
    client = ctx.client("lambda", "dr")
    try:
        current = client.get_function_concurrency(FunctionName=fn.arn).get("ReservedConcurrentExecutions")
    except (ClientError, BotoCoreError) as exc:
        return error("concurrency", label, exc)

    if mode == "failback":
        desired: Optional[int] = 0
    else:
        raw = fn.tags.get(TAG_PRIMARY_RESERVED_CONCURRENCY)
        if raw is None:
            # Already routed with some other reservation: leave it, only 0 means "light off".
            desired = None if current == 0 else current
        elif raw == "unreserved":
            desired = None
        elif raw.isdigit() and int(raw) > 0:
            desired = int(raw)
        else:
            return error("concurrency", label, f"tag {TAG_PRIMARY_RESERVED_CONCURRENCY} must be a positive whole number or 'unreserved', got {raw!r}")

    write = None
    if current != desired:
        if desired is None:
            def write():
                client.delete_function_concurrency(FunctionName=fn.arn)
        else:
            def write():
                client.put_function_concurrency(FunctionName=fn.arn, ReservedConcurrentExecutions=desired)
    return Action("concurrency", label, _show(current), _show(desired), write)
