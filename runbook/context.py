"""Who and where the runbook acts: the business unit's scope, the two regions, and clients.

Clients for the primary region use short timeouts and few retries: during a regional outage
those calls hang or fail, and the failover must not wait on them (it only reads the primary to
report replication status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore.config import Config

RegionRole = Literal["primary", "dr"]

# Tag keys written by the Pulumi program (provider default tags + OperationalService tags).
TAG_BUSINESS_UNIT = "business-unit"
TAG_ENVIRONMENT = "environment"
TAG_REGION_ROLE = "region-role"
TAG_PILOT_LIGHT = "ddp:pilot-light"
TAG_PRIMARY_DESIRED_COUNT = "ddp:primary-desired-count"
TAG_PRIMARY_MIN_COUNT = "ddp:primary-min-count"
TAG_PRIMARY_RESERVED_CONCURRENCY = "ddp:primary-reserved-concurrency"

_DR_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
_PRIMARY_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})


@dataclass
class RunContext:
    """The session and scope one run works in. Clients are cached per (service, region)."""

    session: boto3.Session
    business_unit: str
    environment: str
    primary_region: str
    dr_region: str
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, role: RegionRole) -> Any:
        region = self.dr_region if role == "dr" else self.primary_region
        key = (service, region)
        if key not in self._clients:
            config = _DR_CONFIG if role == "dr" else _PRIMARY_CONFIG
            self._clients[key] = self.session.client(service, region_name=region, config=config)
        return self._clients[key]

    def region(self, role: RegionRole) -> str:
        return self.dr_region if role == "dr" else self.primary_region

    def scope_tags(self, role: RegionRole) -> dict[str, str]:
        return {
            TAG_BUSINESS_UNIT: self.business_unit,
            TAG_ENVIRONMENT: self.environment,
            TAG_REGION_ROLE: role,
        }

    def in_scope(self, tags: dict[str, str], role: RegionRole) -> bool:
        return all(tags.get(k) == v for k, v in self.scope_tags(role).items())
