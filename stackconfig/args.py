"""The one place stack settings become component inputs.

Settings are validated once (`stackconfig.loader`); from here on components get small, typed,
frozen values and never the settings model. Arrows run one way: stackconfig -> components.
"""

from __future__ import annotations

import datetime
import os
from typing import Optional

import pulumi

from components.data_product.monitoring import AlarmEndpoint
from components.data_product.spec import DataProductSpec
from components.foundation.account import AccountArgs
from components.foundation.blueprint import org_tags
from components.foundation.context import StackContext
from components.foundation.network import NetworkArgs
from components.operational_service.spec import (CognitoLoginSpec, JwtSpec, OidcLoginSpec, PublicEdgeSpec,
                                                 ServiceSpec)
from stackconfig.loader import SettingsError
from stackconfig.model import DataProductSettings, ServiceSettings, StackSettings

TODAY_ENV = "DDP_TODAY"


def stack_context(settings: StackSettings, *, region: Optional[str] = None) -> StackContext:
    """Who and where: business unit, environment, account, region (default the stack's)."""
    return StackContext(business_unit=settings.business_unit, environment=settings.environment,
                        account_id=settings.account.id, region=region or settings.region,
                        partition=settings.partition, region_role=settings.region_role,
                        dr_region=settings.dr_region, allow_data_destroy=settings.allow_data_destroy)


def account_args(settings: StackSettings) -> AccountArgs:
    """The BU account, its deploy role and the org tags every resource carries."""
    return AccountArgs(
        account_id=settings.account.id, partition=settings.partition, region=settings.region,
        deploy_role=settings.account.deploy_role, external_id=settings.account.external_id,
        prefix=settings.prefix,
        tags=org_tags(business_unit=settings.business_unit, environment=settings.environment,
                      owner=settings.owner, cost_center=settings.cost_center,
                      region_role=settings.region_role, user_tags=settings.tags))


def network_args(settings: StackSettings) -> NetworkArgs:
    return NetworkArgs(
        prefix=settings.prefix, account_id=settings.account.id, region=settings.region,
        partition=settings.partition, cidr=settings.network.cidr, nat_strategy=settings.nat_strategy,
        flow_log_retention_days=settings.network.flow_log_retention_days,
        allow_data_destroy=settings.allow_data_destroy)


def data_product_spec(product: DataProductSettings, *, today: Optional[datetime.date] = None) -> DataProductSpec:
    """The settings of one data product as the DataProduct component takes them. Consumer grants
    past their expiry (the last valid day is before `today`) are left out, and the preview says so;
    the others are spelled out in full (clearance, datasets). `today` defaults to `current_date()`."""
    today = today or current_date()
    plain = product.model_dump(mode="python", exclude={"consumers"})
    grants = []
    for i, grant in enumerate(product.consumers):
        if grant.expires is not None and grant.expires < today:
            pulumi.log.warn(f"dataProducts[{product.name}].consumers[{i}]: the grant to {grant.account} expired on "
                            f"{grant.expires.isoformat()}; it is not declared (Lake Formation revokes it on "
                            "`pulumi up`). Extend `expires` or remove the entry.")
            continue
        grants.append({"account": grant.account, "clearance": grant.clearance or product.classification,
                       "datasets": grant.datasets or [d.name for d in product.datasets],
                       "expires": grant.expires.isoformat() if grant.expires else None})
    plain["datasets"] = [{k: v for k, v in d.items() if k != "owner"} | {"owner": d["owner"] or ""}
                         for d in plain["datasets"]]
    return DataProductSpec.from_dict({**plain, "grants": grants, "consumers": [g["account"] for g in grants]})


def current_date() -> datetime.date:
    """The date grants expire against: `DDP_TODAY` (YYYY-MM-DD; `python -m offline.preview --today`
    sets it) or the current UTC date."""
    override = os.environ.get(TODAY_ENV)
    if override:
        try:
            return datetime.date.fromisoformat(override)
        except ValueError:
            raise SettingsError(f"{TODAY_ENV}={override!r} is not a date (YYYY-MM-DD)") from None
    return datetime.datetime.now(datetime.timezone.utc).date()


def alarm_endpoints(settings: StackSettings) -> tuple[AlarmEndpoint, ...]:
    """Who receives the stack's alarms (none in a stack that raises none)."""
    return tuple(AlarmEndpoint(protocol=protocol, endpoint=endpoint)
                 for protocol, endpoint in (settings.alarms.endpoints if settings.alarms else []))


def service_spec(service: ServiceSettings) -> ServiceSpec:
    """The settings of one service as the OperationalService component takes them."""
    public = None
    if service.public is not None:
        edge = service.public
        public = PublicEdgeSpec(
            oidc=OidcLoginSpec(**edge.oidc.model_dump()) if edge.oidc is not None else None,
            cognito=CognitoLoginSpec(**edge.cognito.model_dump()) if edge.cognito is not None else None,
            rate_limit=edge.rate_limit)
    jwt = JwtSpec(issuer=service.jwt.issuer, audience=tuple(service.jwt.audience)) if service.jwt else None
    plain = service.model_dump(exclude={"public", "jwt", "desired_count", "min_count", "max_count", "allowed_cidrs"})
    return ServiceSpec(**plain, public=public, jwt=jwt, allowed_cidrs=tuple(service.allowed_cidrs),
                       desired=service.desired, minimum=service.minimum, maximum=service.maximum)
