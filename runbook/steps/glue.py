"""Glue crawlers of the BU's pilot light in DR: schedule active on failover, paused on failback.

The DR stack deploys the catalog and its crawlers over the replica buckets and runs them on the
product's schedule while dark, so the DR catalog stays current: those crawlers are not part of the
light and are left alone. A crawler is part of the light only when tagged
`ddp:pilot-light = "true"` (an operator's choice: the program tags none). A crawler without a
schedule is reported and left alone; one that is tagged but gone (deleted) is reported and
skipped. Races with another operator are tolerated: "already scheduled" / "not running" from the
API count as success.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error, warning
from runbook.context import TAG_PILOT_LIGHT, RunContext
from runbook.discovery import GONE, Tagged, tagged_resources
from runbook.steps import Mode

_ALREADY = {"failover": "SchedulerRunningException", "failback": "SchedulerNotRunningException"}


def plan(ctx: RunContext, mode: Mode) -> list[Action]:
    try:
        crawlers = tagged_resources(ctx, "dr", ["glue:crawler"])
    except (ClientError, BotoCoreError) as exc:
        return [error("crawler", f"glue crawlers in {ctx.dr_region}", exc)]
    return [_plan_crawler(ctx, c, mode) for c in crawlers if c.tags.get(TAG_PILOT_LIGHT) == "true"]


def _plan_crawler(ctx: RunContext, crawler: Tagged, mode: Mode) -> Action:
    label = f"glue crawler {crawler.name}"
    glue = ctx.client("glue", "dr")
    try:
        schedule = glue.get_crawler(Name=crawler.name)["Crawler"].get("Schedule")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            return warning("crawler", label, GONE)
        return error("crawler", label, exc)
    except BotoCoreError as exc:
        return error("crawler", label, exc)
    if not schedule or not schedule.get("ScheduleExpression"):
        return Action("crawler", label, "no schedule")
    state = schedule.get("State", "NOT_SCHEDULED")
    desired = "SCHEDULED" if mode == "failover" else "NOT_SCHEDULED"
    if state == desired:
        return Action("crawler", label, state)
    if state == "TRANSITIONING":
        return Action("crawler", label, state, note="schedule is changing, run again to confirm")

    def write():
        call = glue.start_crawler_schedule if mode == "failover" else glue.stop_crawler_schedule
        try:
            call(CrawlerName=crawler.name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != _ALREADY[mode]:
                raise

    return Action("crawler", label, state, desired, write)
