"""Plain values every component needs about its stack, and the references components pass on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from components.foundation import naming
from components.foundation.regions import REGIONS, short_code


@dataclass(frozen=True, kw_only=True)
class StackContext:
    """Who and where: business unit, environment, account, region, and the data-destroy switch."""

    business_unit: str
    environment: str
    account_id: str
    region: str
    partition: str
    region_role: str = "primary"
    dr_region: Optional[str] = None
    allow_data_destroy: bool = False

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(f"unknown region {self.region}")
        if self.dr_region is not None and self.dr_region not in REGIONS:
            raise ValueError(f"unknown dr region {self.dr_region}")

    @property
    def prefix(self) -> str:
        return f"{self.business_unit}-{self.environment}"

    @property
    def region_code(self) -> str:
        return short_code(self.region)

    def role_name(self, *purpose: str) -> str:
        """An IAM role name of this stack. IAM is global and a DR stack shares its primary's
        account, so a DR stack's roles carry a `dr` suffix: the one rule for every component."""
        return naming.role_name(self.business_unit, self.environment, *purpose,
                                *(("dr",) if self.region_role == "dr" else ()))

    def arn(self, service: str, resource: str, *, region: Optional[str] = None, account: bool = True) -> str:
        reg = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{reg}:{self.account_id if account else ''}:{resource}"


@dataclass(frozen=True, kw_only=True)
class NetworkRefs:
    """What compute needs of the network: the VPC and its subnets (one per AZ)."""

    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    public_subnet_ids: pulumi.Input[Sequence[str]]


@dataclass(frozen=True, kw_only=True)
class ServedStore:
    """What an operational service needs of the data product it serves (its ODS and events)."""

    data_product: str
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    partition_key: str
    sort_key: Optional[str]
    partition_key_type: str = "S"
    sort_key_type: str = "S"
    key_arn: pulumi.Input[str]
    event_bus_name: pulumi.Input[str]
    event_bus_arn: pulumi.Input[str]
    event_source: str
    dax_cluster_arn: Optional[pulumi.Input[str]] = None
    dax_endpoint: Optional[pulumi.Input[str]] = None
    # Services attach this SG to reach DAX; DAX accepts traffic only from it.
    client_security_group_id: Optional[pulumi.Input[str]] = None


@dataclass(frozen=True)
class KeyRef:
    """A KMS key known by ARN only (e.g. the DR key read from the primary's contract)."""

    arn: pulumi.Input[str]


@dataclass(frozen=True)
class TableRef:
    """A DynamoDB table known by name and ARN only (e.g. the DR replica of the ODS)."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]
