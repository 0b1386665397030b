"""What an operational service is, as the component takes it: small frozen dataclasses.

`stackconfig.args.service_spec` turns the validated settings into these; the component never sees
the settings model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Optional, Union

from components.foundation.plain import from_plain


@dataclass(frozen=True, kw_only=True)
class LoginSpec:
    """What the ALB does before it forwards. scope default "openid"; session_timeout_seconds
    default 3600; on_unauthenticated_request: authenticate (default) or deny."""

    scope: str = "openid"
    session_timeout_seconds: int = 3600
    on_unauthenticated_request: Literal["authenticate", "deny"] = "authenticate"


@dataclass(frozen=True, kw_only=True)
class OidcLoginSpec(LoginSpec):
    """Any OpenID Connect IdP. client_secret: the NAME of the secret config key holding it."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret: str


@dataclass(frozen=True, kw_only=True)
class CognitoLoginSpec(LoginSpec):
    user_pool_arn: str
    client_id: str
    domain: str


@dataclass(frozen=True, kw_only=True)
class PublicEdgeSpec:
    """An internet-facing load balancer: exactly one login, a WAF with a per-IP rate limit
    (requests per 5 minutes, default 1000)."""

    oidc: Optional[OidcLoginSpec] = None
    cognito: Optional[CognitoLoginSpec] = None
    rate_limit: int = 1000

    def __post_init__(self) -> None:
        if (self.oidc is None) == (self.cognito is None):
            raise ValueError("a public service needs exactly one login (oidc or cognito)")

    @property
    def login(self) -> Union[OidcLoginSpec, CognitoLoginSpec]:
        return self.oidc if self.oidc is not None else self.cognito  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class JwtSpec:
    issuer: str
    audience: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    """One service. Fargate: image or build_image, cpu, memory, desired/minimum/maximum task
    counts, container_port (8080), certificate_arn, public (None: internal), allowed_cidrs (empty:
    the VPC's CIDR). Lambda: memory_mb, timeout_seconds, reserved_concurrency (None: unreserved),
    trigger (http or events), authorizer (iam or jwt) and jwt."""

    name: str
    runtime: Literal["fargate", "lambda"]
    data_product: str
    image: Optional[str] = None
    build_image: bool = False
    cpu: Optional[int] = None
    memory: Optional[int] = None
    desired: int = 0
    minimum: int = 0
    maximum: int = 1
    container_port: int = 8080
    certificate_arn: Optional[str] = None
    public: Optional[PublicEdgeSpec] = None
    allowed_cidrs: tuple[str, ...] = ()
    memory_mb: Optional[int] = None
    timeout_seconds: Optional[int] = None
    reserved_concurrency: Optional[int] = None
    trigger: Optional[Literal["http", "events"]] = None
    authorizer: Optional[Literal["iam", "jwt"]] = None
    jwt: Optional[JwtSpec] = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the primary exports them for its DR stack)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ServiceSpec":
        return from_plain(cls, data, _NESTED)


_NESTED = {(ServiceSpec, "public"): PublicEdgeSpec, (ServiceSpec, "jwt"): JwtSpec,
           (PublicEdgeSpec, "oidc"): OidcLoginSpec, (PublicEdgeSpec, "cognito"): CognitoLoginSpec}
