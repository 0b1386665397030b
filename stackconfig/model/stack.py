"""The whole stack file (`StackSettings`) and its stack-level keys: the data products it consumes
from other stacks, pilot-light DR, where alarms go and the monthly budget."""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.foundation.regions import REGIONS
from stackconfig import limits
from stackconfig.model.account import AccountSettings, NetworkSettings
from stackconfig.model.base import ACM_ARN, NAME_RE, FieldProblem, Model, no_duplicates
from stackconfig.model.data_product import DataProductSettings
from stackconfig.model.service import ServiceSettings

DATASET_PIN_RE = r"[a-z][a-z0-9_]*@(0|[1-9]\d*)"


class ConsumedProduct(Model):
    """A data product this stack consumes from another business unit's stack."""
    stack: str = Field(pattern=r"^[\w.-]+/[\w.-]+/[\w.-]+$")
    data_product: str = Field(pattern=NAME_RE)
    # The datasets this stack reads, each pinned to a major version: `orders@1`.
    datasets: list[str] = Field(min_length=1)
    analyst_role: Optional[str] = Field(default=None, pattern=r"^[\w+=,.@-]{1,64}$")

    @field_validator("datasets")
    @classmethod
    def _pins(cls, v: list[str]) -> list[str]:
        for i, pin in enumerate(v):
            if not re.fullmatch(DATASET_PIN_RE, pin):
                raise FieldProblem(f"[{i}]", f"'{pin[:60]}' is not a pinned dataset; write <dataset>@<major>, "
                                             "e.g. orders@1")
        no_duplicates([p.split("@")[0] for p in v], "dataset")
        return v


class DrSettings(Model):
    """Pilot-light DR. In a primary stack: replication options; in a dr stack: the DR region's
    ACM certificate for the services' HTTPS listeners (certificates are regional)."""
    replication_time_control: bool = False
    certificate_arn: Optional[str] = Field(default=None, pattern=ACM_ARN)
    # dr stacks: a warm DAX cluster over the replica table (default off: services read DynamoDB).
    dax_enabled: bool = False
    hosted_zone_id: Optional[str] = Field(default=None, pattern=r"^Z[A-Z0-9]{1,31}$")
    domain_name: Optional[str] = Field(default=None, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

    @model_validator(mode="after")
    def _dns(self) -> "DrSettings":
        if (self.hosted_zone_id is None) != (self.domain_name is None):
            raise FieldProblem("domainName" if self.domain_name is None else "hostedZoneId",
                               "give hostedZoneId and domainName together (Route 53 failover records "
                               "<service>.<domainName> are created in that zone)")
        return self


EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
HTTPS_RE = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s]*)?")


class AlarmSettings(Model):
    """Where the stack's alarms go: every data product's alarm topic (and any other alarm topic the
    stack creates) gets one SNS subscription per endpoint. Email recipients must confirm the
    subscription AWS mails them; https endpoints must confirm it too (e.g. a paging service's SNS
    integration URL, which does so automatically). Required in stacks that raise alarms."""
    email: list[str] = []
    https: list[str] = []

    @field_validator("email")
    @classmethod
    def _email(cls, v: list[str]) -> list[str]:
        for i, address in enumerate(v):
            if len(address) > 254 or not EMAIL_RE.fullmatch(address):
                raise FieldProblem(f"[{i}]", f"'{address[:60]}' is not an email address like oncall@example.com")
        no_duplicates([address.lower() for address in v], "email", "[{i}]")
        return v

    @field_validator("https")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for i, url in enumerate(v):
            if len(url) > 2048 or not HTTPS_RE.fullmatch(url):
                raise FieldProblem(f"[{i}]", f"'{url[:60]}' is not an https:// URL (SNS delivers alarms to it over TLS; "
                                             "plain http is not allowed)")
        no_duplicates(v, "https endpoint", "[{i}]")
        return v

    @model_validator(mode="after")
    def _some(self) -> "AlarmSettings":
        if not self.email and not self.https:
            raise ValueError("give at least one endpoint: email: [..] and/or https: [..]")
        return self

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """(SNS protocol, endpoint) pairs, in the order given: email first, then https."""
        return [("email", address) for address in self.email] + [("https", url) for url in self.https]


class BudgetSettings(Model):
    """The stack's monthly AWS Budget, notified to the alarm topic when the forecast passes 80 %
    and 100 % of the limit. monthly_usd: the limit in USD; default None: margin_percent (default
    25) over the stack's committed offline estimate (`make cost STACK=<stack>`,
    offline/pricing/expected-totals.json). enabled: default true."""
    monthly_usd: Optional[float] = Field(default=None, gt=0, le=10_000_000)
    margin_percent: int = Field(default=25, ge=0, le=500)
    enabled: bool = True


def _tag_value(v: object, what: str) -> object:
    if v is None:
        raise ValueError(f"required: {what} is a mandatory tag value and must not be null")
    if isinstance(v, str):
        limits.check_tag_value(v.strip(), what)
    return v


LAKE_FORMATION_ADMIN_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}")


class StackSettings(Model):
    """Everything a stack file declares, after validation."""
    business_unit: str = Field(pattern=r"^[a-z][a-z0-9]{1,11}$")
    environment: Literal["dev", "test", "staging", "prod"]
    account: AccountSettings
    region: str
    region_role: Literal["primary", "dr"] = "primary"
    dr_region: Optional[str] = None
    primary_stack: Optional[str] = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+/[\w.-]+$")
    owner: str = Field(min_length=1)
    cost_center: str = Field(min_length=1)
    tags: dict[str, str] = {}
    allow_data_destroy: bool = False
    network: NetworkSettings = NetworkSettings()
    data_products: list[DataProductSettings] = []
    services: list[ServiceSettings] = []
    consumes: list[ConsumedProduct] = []
    dr: DrSettings = DrSettings()
    # Required where alarms are raised (stackconfig.checks); None in a stack that raises none.
    alarms: Optional[AlarmSettings] = None
    # Created where there is an alarm topic to notify (stacks that raise alarms).
    budget: BudgetSettings = BudgetSettings()
    # Data lake administrators the account already has (IAM role or user ARNs of this account).
    # Lake Formation keeps ONE admin list per account and region: the stack sets it to the deploy
    # role plus these, so list every existing admin here or they lose their rights.
    lake_formation_admins: list[str] = []

    @field_validator("region", "dr_region")
    @classmethod
    def _region(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and v not in REGIONS:
            raise ValueError(f"unknown AWS region '{v}'; allowed: {', '.join(sorted(REGIONS))}")
        return v

    @field_validator("owner", "cost_center", mode="before")
    @classmethod
    def _mandatory_tags(cls, v: object, info) -> object:
        return _tag_value(v, to_camel(info.field_name))

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        reserved = {name.lower() for name in (*limits.ORG_TAG_KEYS, *limits.RESOURCE_TAG_KEYS)}
        seen: dict[str, str] = {}
        for key, value in v.items():
            try:
                limits.check_tag_key(key)
                limits.check_tag_value(value, f"the value of tag '{key[:40]}'")
            except ValueError as exc:
                raise FieldProblem(key, str(exc)) from None
            if key.lower() in reserved or key.lower().startswith(limits.RESOURCE_TAG_PREFIX):
                raise FieldProblem(key, f"tag key '{key}' is set by the platform (reserved: "
                                        f"{', '.join((*limits.ORG_TAG_KEYS, *limits.RESOURCE_TAG_KEYS))}, "
                                        f"{limits.RESOURCE_TAG_PREFIX}*); owner and costCenter have their own keys")
            if key.lower() in seen:
                raise FieldProblem(key, f"tag keys '{seen[key.lower()]}' and '{key}' differ only in case; IAM "
                                        "treats them as one key")
            seen[key.lower()] = key
        if len(v) > limits.MAX_USER_TAGS:
            raise ValueError(f"{len(v)} tags; at most {limits.MAX_USER_TAGS}: AWS allows "
                             f"{limits.MAX_TAGS_PER_RESOURCE} per resource and the platform sets "
                             f"{len(limits.ORG_TAG_KEYS)} on every resource and up to "
                             f"{limits.RESOURCE_TAGS_RESERVED} more on some")
        return v

    @field_validator("lake_formation_admins")
    @classmethod
    def _lake_formation_admins(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for i, arn in enumerate(v):
            if not LAKE_FORMATION_ADMIN_ARN.fullmatch(arn):
                raise FieldProblem(f"[{i}]", f"'{arn[:80]}' is not an IAM role or user ARN like "
                                             "arn:aws:iam::111111111111:role/DataLakeAdmin")
            if arn in seen:
                raise FieldProblem(f"[{i}]", f"'{arn}' is listed twice")
            seen.add(arn)
        return v

    @model_validator(mode="after")
    def _admins_in_this_account(self) -> "StackSettings":
        for i, arn in enumerate(self.lake_formation_admins):
            partition, account = arn.split(":")[1], arn.split(":")[4]
            if (partition, account) != (self.partition, self.account.id):
                raise FieldProblem(f"lakeFormationAdmins[{i}]", f"'{arn}' is not in this stack's account "
                                   f"{self.account.id} ({self.partition}); data lake admins are principals of the "
                                   "account whose catalog they administer")
        return self

    @property
    def partition(self) -> str:
        return REGIONS[self.region][0]

    @property
    def nat_strategy(self) -> str:
        if self.network.nat_gateways is not None:
            return self.network.nat_gateways
        return "one-per-az" if self.environment == "prod" else "single"

    @property
    def prefix(self) -> str:
        return f"{self.business_unit}-{self.environment}"
