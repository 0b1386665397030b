"""Pilot-light Lambda functions: their reserved concurrency as the program declares it.

The program deploys a pilot-light function unthrottled, with the primary's reservation (the DR
stack runs the primary's service settings, components/operational_service): an idle function
costs nothing and can be smoke-tested while dark; what keeps it idle is that nothing routes to it
(no DNS name points at its API, its trigger rule is DISABLED until failover). The function says
which reservation that is in `ddp:primary-reserved-concurrency`: a number, or `unreserved`.

So in both directions the runbook puts the declared reservation back when the function drifted
from it, e.g. reserved concurrency 0 from an operator's kill switch or an older runbook's
failback; a failback leaves the function as the DR stack declares it, and a `pulumi up` after it
changes nothing. A declared 0 is honoured, not refused: the settings allow
`reservedConcurrency: 0`, a function the primary throttles on purpose, and DR mirrors it.

A pilot-light function without the tag was not deployed by the program: the runbook cannot know
its declared reservation and keeps the earlier convention, a reservation of 0 means "light off"
(failover removes it, failback sets it). A function the tags list but Lambda no longer has is
reported and skipped.
"""

from __future__ import annotations

from typing import Optional

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error, warning
from runbook.context import TAG_PILOT_LIGHT, TAG_PRIMARY_RESERVED_CONCURRENCY, RunContext
from runbook.discovery import GONE, Tagged, tagged_resources
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
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return warning("concurrency", label, GONE)
        return error("concurrency", label, exc)
    except BotoCoreError as exc:
        return error("concurrency", label, exc)

    raw = fn.tags.get(TAG_PRIMARY_RESERVED_CONCURRENCY)
    note = ""
    if raw is None:
        # Not the program's: only 0 means "light off"; any other reservation is left alone.
        desired: Optional[int] = 0 if mode == "failback" else (None if current == 0 else current)
    elif raw == "unreserved":
        desired = None
    elif raw.isdigit():
        desired = int(raw)
        if desired == 0:
            note = "declared 0: the primary throttles it on purpose"
    else:
        return error("concurrency", label, f"tag {TAG_PRIMARY_RESERVED_CONCURRENCY} must be a whole number or "
                                           f"'unreserved', got {raw!r}")

    if current == desired:
        return Action("concurrency", label, _show(current), note=note)
    if desired is None:
        def write():
            client.delete_function_concurrency(FunctionName=fn.arn)
    else:
        def write():
            client.put_function_concurrency(FunctionName=fn.arn, ReservedConcurrentExecutions=desired)
    return Action("concurrency", label, _show(current), _show(desired), write, note=note)
