"""A Fargate service's edge (`services[].public`, `services[].allowedCidrs`): an internal load
balancer unless `public` is given; public means a login at the load balancer (OIDC or Cognito)
and a WAF web ACL."""

from __future__ import annotations

import ipaddress
from typing import Literal, Optional

from pydantic import Field, model_validator

from stackconfig.model.base import FieldProblem, Model

HTTPS_URL = r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s]*)?$"
# A config key of this project (`pulumi config set --secret <key> <value>`), never the value.
SECRET_CONFIG_KEY = r"^[A-Za-z][A-Za-z0-9_-]{0,99}$"
COGNITO_POOL_ARN = r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$"
# Private address space an internal load balancer may admit: RFC 1918, shared (RFC 6598), IPv6 ULA.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(network) for network in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
# ALB session cookie lifetime: AWS allows 1 s .. 7 days and defaults to 7 days; ours is 1 hour.
SESSION_TIMEOUT_SECONDS = 3600


class EdgeLogin(Model):
    """What the ALB does before it forwards: shared by both identity providers.
    onUnauthenticatedRequest: authenticate (default: browsers are sent to the IdP) or deny (401
    for API clients without a session). `allow` is not offered: it would let anonymous callers in."""
    scope: str = Field(default="openid", min_length=1, max_length=256)
    session_timeout_seconds: int = Field(default=SESSION_TIMEOUT_SECONDS, ge=1, le=604800)
    on_unauthenticated_request: Literal["authenticate", "deny"] = "authenticate"


class OidcLogin(EdgeLogin):
    """Any OpenID Connect IdP (`authenticate-oidc`). The IdP's app must allow the redirect URL
    https://<service host>/oauth2/idpresponse. clientSecret names a secret config key of this
    project (set with `pulumi config set --secret <clientSecret> <value>`); the secret itself is
    never a setting, so it never reaches the exported contract."""
    issuer: str = Field(pattern=HTTPS_URL, max_length=2048)
    authorization_endpoint: str = Field(pattern=HTTPS_URL, max_length=2048)
    token_endpoint: str = Field(pattern=HTTPS_URL, max_length=2048)
    user_info_endpoint: str = Field(pattern=HTTPS_URL, max_length=2048)
    client_id: str = Field(min_length=1, max_length=256, pattern=r"^\S+$")
    client_secret: str = Field(pattern=SECRET_CONFIG_KEY)


class CognitoLogin(EdgeLogin):
    """An Amazon Cognito user pool (`authenticate-cognito`); the ALB reads the app client's
    secret from Cognito itself. domain: the pool's domain prefix or custom domain."""
    user_pool_arn: str = Field(pattern=COGNITO_POOL_ARN)
    client_id: str = Field(pattern=r"^[\w+]{1,128}$")
    domain: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]+)*$", max_length=253)


class PublicEdge(Model):
    """An internet-facing load balancer. Requires exactly one login (oidc or cognito) as the
    listener's first action, and always gets a WAF web ACL (AWS managed common, known-bad-inputs
    and IP-reputation rule groups, plus a per-client-IP rate limit: rateLimit requests per
    5 minutes, default 1000)."""
    oidc: Optional[OidcLogin] = None
    cognito: Optional[CognitoLogin] = None
    rate_limit: int = Field(default=1000, ge=10, le=2_000_000_000)

    @model_validator(mode="after")
    def _one_login(self) -> "PublicEdge":
        if (self.oidc is None) == (self.cognito is None):
            raise ValueError("a public service needs exactly one login at the load balancer: oidc: {issuer, "
                             "authorizationEndpoint, tokenEndpoint, userInfoEndpoint, clientId, clientSecret} or "
                             "cognito: {userPoolArn, clientId, domain}")
        return self

    @property
    def login(self) -> "OidcLogin | CognitoLogin":
        return self.oidc if self.oidc is not None else self.cognito  # type: ignore[return-value]




def check_edge_cidrs(public: Optional[PublicEdge], allowed_cidrs: list[str]) -> None:
    """FieldProblem unless `allowed_cidrs` (already normalised CIDRs) suit the edge: a public
    edge names who may reach it; an internal one admits private address space only."""
    if public is not None and not allowed_cidrs:
        raise FieldProblem("allowedCidrs", "public fargate services need allowedCidrs: the CIDRs allowed to "
                           "reach the load balancer on 443 (0.0.0.0/0 for anyone who can log in)")
    if public is None:
        for i, cidr in enumerate(allowed_cidrs):
            net = ipaddress.ip_network(cidr)
            if not any(net.version == private.version and net.subnet_of(private)  # type: ignore[arg-type]
                       for private in PRIVATE_NETWORKS):
                raise FieldProblem(f"allowedCidrs[{i}]", f"'{cidr}' is not private address space: this service's "
                                   "load balancer is internal; allowed: CIDRs within 10.0.0.0/8, 172.16.0.0/12, "
                                   "192.168.0.0/16, 100.64.0.0/10, fc00::/7 (default: the VPC's CIDR), or "
                                   "expose it with public: {oidc|cognito}, which adds a login and a WAF")
