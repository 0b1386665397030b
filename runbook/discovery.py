"""Find the business unit's resources by their tags.

The Resource Groups Tagging API finds ECS services, Lambda functions, Glue crawlers, S3 buckets
and DynamoDB tables in one paginated call per region. EventBridge rules are listed per event
bus and their tags read one by one: the Tagging API does not return rules in our test double
(moto), and listing buses is cheap and exact in AWS too.

The Tagging API can return resources that were deleted recently ("previously tagged"), and ECS
keeps a deleted service INACTIVE for a while. Callers describe each resource before planning a
write and treat "not found" / INACTIVE as gone: a warning (`GONE`), no write, not a failure. The
operator learns that a resource the tags say is part of the light no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from runbook.context import RegionRole, RunContext

GONE = "tagged, but gone (deleted, or being deleted); skipped"


@dataclass(frozen=True)
class Tagged:
    arn: str
    tags: dict[str, str]

    @property
    def name(self) -> str:
        """Last segment of the ARN (`service/cluster/name`, `function:name`, `table/name`)."""
        tail = self.arn.split(":", 5)[-1]
        return tail.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _pairs(tags: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {t[key]: t[value] for t in tags}


def tagged_resources(ctx: RunContext, role: RegionRole, resource_types: list[str]) -> list[Tagged]:
    """All resources of `resource_types` in the role's region carrying the BU scope tags."""
    client = ctx.client("resourcegroupstaggingapi", role)
    filters = [{"Key": k, "Values": [v]} for k, v in ctx.scope_tags(role).items()]
    found: list[Tagged] = []
    for page in client.get_paginator("get_resources").paginate(
        TagFilters=filters, ResourceTypeFilters=resource_types
    ):
        for item in page.get("ResourceTagMappingList", []):
            tags = _pairs(item.get("Tags", []))
            # Filter again client-side: a scope mistake here would act on another BU's resources.
            if ctx.in_scope(tags, role):
                found.append(Tagged(item["ResourceARN"], tags))
    return sorted(found, key=lambda t: t.arn)


@dataclass(frozen=True)
class TaggedRule:
    name: str
    bus: str
    arn: str
    state: str
    tags: dict[str, str]


def _paged(call, key: str, **kwargs) -> Iterator[dict]:
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def tagged_rules(ctx: RunContext, role: RegionRole) -> list[TaggedRule]:
    """EventBridge rules on every bus of the region that carry the BU scope tags."""
    events = ctx.client("events", role)
    rules: list[TaggedRule] = []
    for bus in _paged(events.list_event_buses, "EventBuses"):
        for rule in _paged(events.list_rules, "Rules", EventBusName=bus["Name"]):
            if rule.get("ManagedBy"):
                continue  # rules owned by AWS services cannot be enabled/disabled by us
            tags = _pairs(events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", []))
            if ctx.in_scope(tags, role):
                rules.append(TaggedRule(rule["Name"], bus["Name"], rule["Arn"], rule.get("State", ""), tags))
    return sorted(rules, key=lambda r: r.arn)
