"""Fixtures for the failover runbook tests: moto in both regions, plus two moto extensions.

Two small, test-only extensions to moto 5.2.5, because it lacks what the runbook relies on:
- Glue: moto always reports a crawler's schedule as SCHEDULED and does not implement
  StartCrawlerSchedule / StopCrawlerSchedule. `glue_schedule_state` adds the schedule state and
  the two calls with AWS's error codes (SchedulerRunningException, SchedulerNotRunningException,
  NoScheduleException), so the runbook is exercised through real boto3 calls.
- DynamoDB: moto has no global tables (UpdateTable ReplicaUpdates is accepted and ignored, and
  DescribeTable never returns Replicas). `runbook_platform.deploy_primary` creates the table in
  BOTH regions, as a global table has, and `dynamodb_replicas` makes DescribeTable list a replica
  (ACTIVE) in every other region where a same-named table exists. Items are NOT replicated.
"""

from __future__ import annotations

import pytest
from moto import mock_aws

from runbook_platform import DR


# ---- moto extensions (see module docstring) ------------------------------------------------

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


# ---- AWS session ----------------------------------------------------------------------------

@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", DR)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    with mock_aws():
        yield
