"""Fixtures for the runbook tests: the platform materialised in moto from the recorded graphs
(graph_platform.py), fast boto3 sessions, and three test-only extensions to moto 5.2.5, which lacks
what the runbook relies on:

- Glue: moto always reports a crawler's schedule as SCHEDULED and does not implement
  StartCrawlerSchedule / StopCrawlerSchedule. `glue_schedule_state` adds the schedule state and
  the two calls with AWS's error codes (SchedulerRunningException, SchedulerNotRunningException,
  NoScheduleException), so the runbook is exercised through real boto3 calls.
- DynamoDB: moto has no global tables (UpdateTable ReplicaUpdates is accepted and ignored, and
  DescribeTable never returns Replicas). The materialiser creates the replica as a same-named
  table in its region, and `dynamodb_replicas` makes DescribeTable list a replica (ACTIVE) in
  every other region where a same-named table exists. Items are NOT replicated.
- Tagging API: AWS's GetResources returns "tagged or previously tagged" resources, so a resource
  deleted a moment ago can still be listed. moto drops a deleted Lambda function or crawler at
  once (a deleted ECS service it keeps, INACTIVE, as AWS does). `previously_tagged` remembers a
  resource's tag mapping before the test deletes it and keeps listing it: a ghost.
"""

from __future__ import annotations

import pytest
from moto import mock_aws

from graph_platform import Deployment, Platform, materialise, second_business_unit
from sessions import new_session


# ---- the stacks ---------------------------------------------------------------------------------

DR_STACK = "dr"   # the shipped DR stack file, Pulumi.dr.yaml


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    """The shipped DR stack and its primary."""
    return Deployment.shipped(DR_STACK)


@pytest.fixture(scope="session")
def other_deployment() -> Deployment:
    """A second business unit from the same program, in the same account (graph_platform)."""
    return second_business_unit(DR_STACK)


@pytest.fixture
def aws(monkeypatch, deployment):
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", deployment.scope["dr_region"])
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", deployment.account_id)
    with mock_aws():
        yield


@pytest.fixture
def platform(aws, deployment) -> Platform:
    return materialise([deployment], new_session(deployment.scope["dr_region"]))


@pytest.fixture
def two_platforms(aws, deployment, other_deployment) -> Platform:
    assert other_deployment.account_id == deployment.account_id
    return materialise([deployment, other_deployment], new_session(deployment.scope["dr_region"]))


# ---- moto extensions (see module docstring) -----------------------------------------------------

@pytest.fixture(autouse=True)
def glue_schedule_state(monkeypatch):
    from moto.core.responses import EmptyResult
    from moto.glue import models as glue_models
    from moto.glue.exceptions import GlueClientError
    from moto.glue.responses import GlueResponse

    original = glue_models.FakeCrawler.as_dict

    def as_dict(self):
        data = original(self)
        if "Schedule" in data:
            data["Schedule"]["State"] = getattr(self, "schedule_state", "SCHEDULED")
        return data

    def _set(self, name, state, already_code):
        crawler = self.get_crawler(name)
        if not crawler.schedule:
            raise GlueClientError("NoScheduleException", f"Crawler {name} has no schedule")
        if getattr(crawler, "schedule_state", "SCHEDULED") == state:
            raise GlueClientError(already_code, f"Crawler {name} schedule is already {state}")
        crawler.schedule_state = state

    def start_crawler_schedule(self):
        _set(self.glue_backend, self.parameters["CrawlerName"], "SCHEDULED", "SchedulerRunningException")
        return EmptyResult()

    def stop_crawler_schedule(self):
        _set(self.glue_backend, self.parameters["CrawlerName"], "NOT_SCHEDULED", "SchedulerNotRunningException")
        return EmptyResult()

    monkeypatch.setattr(glue_models.FakeCrawler, "as_dict", as_dict)
    monkeypatch.setattr(GlueResponse, "start_crawler_schedule", start_crawler_schedule, raising=False)
    monkeypatch.setattr(GlueResponse, "stop_crawler_schedule", stop_crawler_schedule, raising=False)


@pytest.fixture(autouse=True)
def dynamodb_replicas(monkeypatch):
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table

    original = Table.describe

    def describe(self, base_key="TableDescription"):
        result = original(self, base_key)
        backends = dynamodb_backends[self.account_id]
        replicas = [
            {"RegionName": region, "ReplicaStatus": "ACTIVE"}
            for region, backend in list(backends.items())
            if region != self.region_name and self.name in backend.tables
        ]
        if replicas:
            result[base_key]["Replicas"] = replicas
        return result

    monkeypatch.setattr(Table, "describe", describe)


@pytest.fixture
def previously_tagged(monkeypatch):
    """`remember(region, arn)`: keep listing the resource in GetResources after it is deleted."""
    from moto.core.resource_tagging import make_tag_matcher, match_resource_type
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend, resourcegroupstaggingapi_backends

    original = ResourceGroupsTaggingAPIBackend._get_resources_generator
    ghosts: dict[tuple[str, str, str], object] = {}

    def generator(self, tag_filters=None, resource_type_filters=None, resource_arn_list=None):
        live = set()
        for resource in original(self, tag_filters, resource_type_filters, resource_arn_list):
            live.add(resource.arn)
            yield resource
        matches = make_tag_matcher(tag_filters)
        for (account, region, arn), resource in ghosts.items():
            if ((account, region) == (self.account_id, self.region_name) and arn not in live
                    and match_resource_type(resource.resource_type, resource_type_filters) and matches(resource.tags)):
                yield resource

    def remember(account: str, region: str, arn: str) -> None:
        backend = resourcegroupstaggingapi_backends[account][region]
        [resource] = list(original(backend, resource_arn_list=[arn]))
        ghosts[(account, region, arn)] = resource

    monkeypatch.setattr(ResourceGroupsTaggingAPIBackend, "_get_resources_generator", generator)
    return remember
