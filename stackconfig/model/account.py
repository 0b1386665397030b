"""The business unit's AWS account (`account:`) and its VPC (`network:`)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator

from stackconfig import limits
from stackconfig.model.base import Model, account_id

# CloudWatch Logs only accepts these retention values.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)


class AccountSettings(Model):
    """The business unit's AWS account and the role the platform deploys with."""
    id: str
    deploy_role: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    external_id: Optional[str] = None

    _check_id = field_validator("id", mode="before")(lambda cls, v: account_id(v))


class NetworkSettings(Model):
    """VPC over three AZs. nat: one-per-az (prod default), single (default elsewhere), none."""
    cidr: str = "10.0.0.0/16"
    nat_gateways: Optional[Literal["one-per-az", "single", "none"]] = None
    flow_log_retention_days: int = 365

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        return limits.check_vpc_cidr(v)

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of the CloudWatch retention values {LOG_RETENTION_DAYS}")
        return v
