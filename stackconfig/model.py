"""Typed stack settings: the user's interface, validated once at the edge.

Every field has a camelCase YAML key (what users write in Pulumi.<stack>.yaml; the loader accepts
only that spelling) and a snake_case attribute (what components read). Unknown keys are errors, so
a typo never silently falls back to a default. Checks that span several keys of the stack live in
`stackconfig.checks`; AWS limits and formats in `stackconfig.limits`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.foundation import naming
from stackconfig import limits
from components.foundation.regions import REGIONS, short_code
from stackconfig.sshkeys import check_public_key

ACCOUNT_RE = re.compile(r"\d{12}")
NAME_RE = r"^[a-z][a-z0-9-]*[a-z0-9]$"
ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$"

# Fargate task sizes AWS accepts: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}

# CloudWatch Logs only accepts these retention values.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)


class FieldProblem(ValueError):
    """A validator's problem with a key below the model it validates: `key` (camelCase, dotted,
    `[i]` for list items) is appended to the model's location, so the user is pointed at it."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
        str_strip_whitespace=True,
    )


def _account_id(v: str) -> str:
    if not isinstance(v, str) or not ACCOUNT_RE.fullmatch(v):
        raise ValueError("must be a 12-digit AWS account id in quotes, e.g. \"111111111111\"")
    return v


class AccountSettings(Model):
    """The business unit's AWS account and the role the platform deploys with."""
    id: str
    deploy_role: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    external_id: Optional[str] = None

    _check_id = field_validator("id", mode="before")(lambda cls, v: _account_id(v))


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


def _schedule(v: Optional[str]) -> Optional[str]:
    # Both schedules are Glue's (ETL trigger, crawler), and Glue takes six-field cron only.
    if v is not None:
        limits.check_glue_schedule(v)
    return v


FIELD_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}")


def _field_names(v: list[str]) -> list[str]:
    for i, name in enumerate(v):
        if not FIELD_NAME_RE.fullmatch(name):
            raise FieldProblem(f"[{i}]", f"field name '{name[:40]}' must be 1-255 characters of letters, digits, "
                                         "_ . - (no commas or spaces), starting with a letter or _")
    _no_duplicates(v, "field")
    return v


class BatchIngestion(Model):
    """Glue ETL job raw -> curated (Parquet, partitioned by date)."""
    schedule: Optional[str] = None
    on_arrival: bool = True
    glue_version: Literal["4.0", "5.0"] = "5.0"
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"] = "G.1X"
    workers: int = Field(default=2, ge=2, le=299)
    timeout_minutes: int = Field(default=60, ge=1, le=2880)
    required_fields: list[str] = []

    _s = field_validator("schedule")(lambda cls, v: _schedule(v))
    _f = field_validator("required_fields")(lambda cls, v: _field_names(v))

    @model_validator(mode="after")
    def _trigger(self) -> "BatchIngestion":
        if self.schedule is None and not self.on_arrival:
            raise ValueError("batch ingestion needs a schedule or onArrival: true")
        return self


class StreamingIngestion(Model):
    """Kinesis Data Stream -> Firehose -> raw zone. shards omitted = on-demand."""
    shards: Optional[int] = Field(default=None, ge=1, le=500)
    retention_hours: int = Field(default=168, ge=168, le=8760)
    required_fields: list[str] = []
    timestamp_field: Optional[str] = Field(default=None, pattern=FIELD_NAME_RE.pattern)
    buffer_seconds: int = Field(default=300, ge=0, le=900)

    _f = field_validator("required_fields")(lambda cls, v: _field_names(v))

    @model_validator(mode="after")
    def _environment_size(self) -> "StreamingIngestion":
        # The record processor Lambda gets both as environment variables (4 KB in all).
        size = len("REQUIRED_FIELDS") + len(",".join(self.required_fields))
        size += len("TIMESTAMP_FIELD") + len(self.timestamp_field or "")
        budget = limits.LAMBDA_ENV_BYTES - limits.LAMBDA_ENV_RESERVED
        if size > budget:
            raise FieldProblem("requiredFields", f"requiredFields and timestampField take {size} bytes of the record "
                               f"processor's Lambda environment; at most {budget} fit (Lambda allows "
                               f"{limits.LAMBDA_ENV_BYTES} in all, the platform keeps {limits.LAMBDA_ENV_RESERVED})")
        return self


class SftpUser(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9_.@-]{2,99}$")
    ssh_public_key: str

    @field_validator("ssh_public_key", mode="before")
    @classmethod
    def _key(cls, v: object) -> str:
        return check_public_key(v)  # type: ignore[arg-type]


class SftpIngestion(Model):
    """AWS Transfer Family SFTP server in the VPC; users confined to their raw-zone home."""
    users: list[SftpUser] = Field(min_length=1)

    @field_validator("users")
    @classmethod
    def _unique(cls, v: list[SftpUser]) -> list[SftpUser]:
        _no_duplicates([u.name for u in v], "SFTP user", "[{i}].name")
        return v


class EventsIngestion(Model):
    """EventBridge bus per data product; sources are the event `source` values routed to the ODS."""
    sources: list[str] = Field(min_length=1)
    archive_retention_days: int = Field(default=30, ge=0, le=3650)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[str]) -> list[str]:
        for i, s in enumerate(v):
            if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{0,255}", s) or s.startswith("aws."):
                raise FieldProblem(f"[{i}]", f"event source '{s[:60]}' must be like 'retail.orders' (letters, digits, "
                                             ". _ -, at most 256) and not start with 'aws.'")
        _no_duplicates(v, "event source")
        return v


class Ingestion(Model):
    """The four ingestion modes; omit a mode to leave it out. Unknown modes are rejected."""
    batch: Optional[BatchIngestion] = None
    streaming: Optional[StreamingIngestion] = None
    sftp: Optional[SftpIngestion] = None
    events: Optional[EventsIngestion] = None

    @model_validator(mode="after")
    def _at_least_one(self) -> "Ingestion":
        if not any((self.batch, self.streaming, self.sftp, self.events)):
            raise ValueError("declare at least one of batch, streaming, sftp, events")
        return self


class DaxSettings(Model):
    """DAX in front of the ODS. On unless `enabled: false` is written explicitly."""
    enabled: bool = True
    node_type: str = "dax.r5.large"
    nodes: int = Field(default=3, ge=limits.DAX_MIN_NODES, le=limits.DAX_MAX_NODES)

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, v: str) -> str:
        if v not in limits.DAX_NODE_TYPES:
            raise ValueError(f"'{v[:40]}' is not a DAX node type; allowed: {', '.join(limits.DAX_NODE_TYPES)}")
        return v


class OperationalStore(Model):
    """DynamoDB table (+ DAX). On-demand billing, PITR, CMK, deletion protection, streams."""
    partition_key: str = Field(pattern=r"^[a-zA-Z0-9_.-]{1,255}$")
    partition_key_type: Literal["S", "N"] = "S"
    sort_key: Optional[str] = Field(default=None, pattern=r"^[a-zA-Z0-9_.-]{1,255}$")
    sort_key_type: Literal["S", "N"] = "S"
    dax: DaxSettings = DaxSettings()

    @field_validator("partition_key_type", "sort_key_type", mode="before")
    @classmethod
    def _key_type(cls, v: object) -> object:
        # functions/ods_api refuses to start with any other key type, and the ODS writer stores
        # JSON events, which have no binary type.
        if v not in ("S", "N"):
            raise ValueError(f"must be S (string) or N (number), got {v!r}: the ODS API and writer read keys "
                             "from JSON, which has no binary (B) type")
        return v

    @model_validator(mode="after")
    def _keys(self) -> "OperationalStore":
        if self.sort_key is not None and self.sort_key == self.partition_key:
            raise FieldProblem("sortKey", "sortKey must differ from partitionKey")
        return self


class LifecycleSettings(Model):
    noncurrent_version_expiration_days: int = Field(default=90, ge=1)
    transition_to_ia_days: int = Field(default=30, ge=30)
    transition_to_glacier_days: int = Field(default=180, ge=90)

    @model_validator(mode="after")
    def _order(self) -> "LifecycleSettings":
        if self.transition_to_glacier_days <= self.transition_to_ia_days:
            raise FieldProblem("transitionToGlacierDays", "transitionToGlacierDays must be after transitionToIaDays "
                               f"({self.transition_to_ia_days})")
        return self


class DataProductSettings(Model):
    """One data product owned by the domain."""
    name: str = Field(pattern=NAME_RE, min_length=2, max_length=24)
    description: str = ""
    owner: str = Field(min_length=1)
    classification: Literal["public", "internal", "confidential", "restricted"]
    ingestion: Ingestion
    operational_store: OperationalStore
    consumers: list[str] = []
    crawler_schedule: str = "cron(0 2 * * ? *)"
    lifecycle: LifecycleSettings = LifecycleSettings()

    _cs = field_validator("crawler_schedule")(lambda cls, v: _schedule(v))

    @field_validator("consumers", mode="before")
    @classmethod
    def _consumers(cls, v: list) -> list:
        if not isinstance(v, list):
            raise ValueError("must be a list of 12-digit account ids")
        for i, a in enumerate(v):
            try:
                _account_id(a)
            except ValueError as exc:
                raise FieldProblem(f"[{i}]", str(exc)) from None
        _no_duplicates(v, "consumer account")
        return v


CPU_VALUES = tuple(FARGATE_SIZES)


class JwtAuthorizer(Model):
    issuer: str = Field(pattern=r"^https://")
    audience: list[str] = Field(min_length=1)


# The service edge (fargate): an internal load balancer unless `public` is given.
HTTPS_URL = r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s]*)?$"
# A config key of this project (`pulumi config set --secret <key> <value>`), never the value.
SECRET_CONFIG_KEY = r"^[A-Za-z][A-Za-z0-9_-]{0,99}$"
COGNITO_POOL_ARN = r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$"
# Private address space an internal load balancer may admit: RFC 1918, shared (RFC 6598), IPv6 ULA.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
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


class ServiceSettings(Model):
    """An operational service: Fargate (default) or Lambda, serving one data product's ODS."""
    name: str = Field(pattern=NAME_RE, min_length=2, max_length=24)
    runtime: Literal["fargate", "lambda"] = "fargate"
    data_product: str
    # fargate
    image: Optional[str] = None
    build_image: bool = False
    cpu: Optional[int] = None
    memory: Optional[int] = None
    desired_count: Optional[int] = Field(default=None, ge=0, le=1000)
    min_count: Optional[int] = Field(default=None, ge=0, le=1000)
    max_count: Optional[int] = Field(default=None, ge=1, le=1000)
    container_port: int = Field(default=8080, ge=1, le=65535)
    certificate_arn: Optional[str] = Field(default=None, pattern=ACM_ARN)
    # Omitted: an internal load balancer in the private subnets. Given: internet-facing, behind
    # a login at the load balancer and a WAF web ACL (see PublicEdge).
    public: Optional[PublicEdge] = None
    # Who may reach the load balancer. Internal: private CIDRs only, default the VPC's CIDR.
    # Public: required (0.0.0.0/0 allowed: the login and the WAF stand in front of the service).
    allowed_cidrs: list[str] = []
    # lambda
    memory_mb: Optional[int] = Field(default=None, ge=128, le=10240)
    timeout_seconds: Optional[int] = Field(default=None, ge=1, le=900)
    reserved_concurrency: Optional[int] = Field(default=None, ge=0, le=1000)
    trigger: Optional[Literal["http", "events"]] = None
    authorizer: Optional[Literal["iam", "jwt"]] = None
    jwt: Optional[JwtAuthorizer] = None

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        per_family = {4: 0, 6: 0}
        for i, c in enumerate(v):
            try:
                net = ipaddress.ip_network(c, strict=True)
            except ValueError:
                raise FieldProblem(f"[{i}]", f"'{c[:50]}' is not a CIDR block like 203.0.113.0/24 "
                                             "(host bits must be zero)") from None
            if str(net) in seen:
                raise FieldProblem(f"[{i}]", f"'{c}' is listed twice (also at [{seen[str(net)]}])")
            seen[str(net)] = i
            per_family[net.version] += 1
            if per_family[net.version] > limits.MAX_ALLOWED_CIDRS_PER_FAMILY:
                raise FieldProblem(f"[{i}]", f"at most {limits.MAX_ALLOWED_CIDRS_PER_FAMILY} IPv{net.version} CIDRs: each "
                                   f"takes {limits.ALB_RULES_PER_CIDR} of the load balancer security group's "
                                   f"{limits.SG_INBOUND_RULES} inbound rules")
        return [str(ipaddress.ip_network(c)) for c in v]

    @field_validator("image")
    @classmethod
    def _image(cls, v: Optional[str]) -> Optional[str]:
        if v is not None:
            limits.check_image(v)
        return v

    @model_validator(mode="after")
    def _runtime_fields(self) -> "ServiceSettings":
        fargate_only = ("image", "cpu", "memory", "certificate_arn", "desired_count", "min_count", "max_count",
                        "public")
        lambda_only = ("memory_mb", "timeout_seconds", "reserved_concurrency", "trigger", "authorizer", "jwt")
        wrong = lambda_only if self.runtime == "fargate" else fargate_only
        for f in wrong:
            if getattr(self, f) is not None:
                raise FieldProblem(to_camel(f), f"{to_camel(f)} does not apply to runtime {self.runtime}")
        if self.runtime == "fargate":
            if self.build_image == (self.image is not None):
                raise FieldProblem("image" if self.image is not None else "buildImage",
                                   "give exactly one of image (a registry URI) or buildImage: true")
            if self.cpu is None or self.memory is None:
                raise FieldProblem("cpu" if self.cpu is None else "memory", "fargate services need cpu and memory")
            if self.cpu not in FARGATE_SIZES:
                raise FieldProblem("cpu", f"cpu {self.cpu} is not a Fargate size; allowed: {list(CPU_VALUES)}")
            if self.memory not in FARGATE_SIZES[self.cpu]:
                allowed = FARGATE_SIZES[self.cpu]
                steps = {b - a for a, b in zip(allowed, allowed[1:])}
                shown = (f"{allowed[0]}..{allowed[-1]} in steps of {steps.pop()}" if len(steps) == 1 and len(allowed) > 3
                         else ", ".join(map(str, allowed)))
                raise FieldProblem("memory", f"memory {self.memory} is not allowed with cpu {self.cpu}; allowed: {shown}")
            if self.certificate_arn is None:
                raise FieldProblem("certificateArn", "fargate services need certificateArn (an ACM certificate for the "
                                   "HTTPS listener)")
            if self.public is not None and not self.allowed_cidrs:
                raise FieldProblem("allowedCidrs", "public fargate services need allowedCidrs: the CIDRs allowed to "
                                   "reach the load balancer on 443 (0.0.0.0/0 for anyone who can log in)")
            if self.public is None:
                for i, c in enumerate(self.allowed_cidrs):
                    net = ipaddress.ip_network(c)
                    if not any(net.version == p.version and net.subnet_of(p) for p in PRIVATE_NETWORKS):  # type: ignore[arg-type]
                        raise FieldProblem(f"allowedCidrs[{i}]", f"'{c}' is not private address space: this service's "
                                           "load balancer is internal; allowed: CIDRs within 10.0.0.0/8, 172.16.0.0/12, "
                                           "192.168.0.0/16, 100.64.0.0/10, fc00::/7 (default: the VPC's CIDR), or "
                                           "expose it with public: {oidc|cognito}, which adds a login and a WAF")
            lo, want, hi = self.minimum, self.desired, self.maximum
            counts = f"minCount {lo} <= desiredCount {want} <= maxCount {hi}"
            if lo > hi:
                raise FieldProblem("minCount" if self.min_count is not None else "maxCount",
                                   f"need minCount <= maxCount, got {counts} (omitted counts resolved to their defaults)")
            if want > hi:
                raise FieldProblem("maxCount" if self.max_count is not None else "desiredCount",
                                   f"need desiredCount <= maxCount, got {counts} (omitted counts resolved to their defaults)")
            if lo > want:
                raise FieldProblem("minCount" if self.min_count is not None else "desiredCount",
                                   f"need minCount <= desiredCount, got {counts} (omitted counts resolved to their defaults)")
        else:
            if self.build_image:
                raise FieldProblem("buildImage", "buildImage does not apply to runtime lambda")
            if self.allowed_cidrs:
                raise FieldProblem("allowedCidrs", "allowedCidrs does not apply to runtime lambda")
            if self.authorizer == "jwt" and self.jwt is None:
                raise FieldProblem("authorizer", "authorizer jwt needs jwt: {issuer, audience}")
            if self.jwt is not None and self.authorizer != "jwt":
                raise FieldProblem("jwt", "jwt is only used with authorizer: jwt")
            if self.trigger == "events" and self.authorizer is not None:
                raise FieldProblem("authorizer", "authorizer applies to trigger http only")
        return self

    # Resolved defaults, so components never do `x or default` on numbers.
    @property
    def desired(self) -> int:
        return self.desired_count if self.desired_count is not None else 3

    @property
    def minimum(self) -> int:
        return self.min_count if self.min_count is not None else min(self.desired, 3)

    @property
    def maximum(self) -> int:
        return self.max_count if self.max_count is not None else max(self.desired * 2, 3)


class ConsumedProduct(Model):
    """A data product this stack consumes from another business unit's stack."""
    stack: str = Field(pattern=r"^[\w.-]+/[\w.-]+/[\w.-]+$")
    data_product: str = Field(pattern=NAME_RE)
    analyst_role: Optional[str] = Field(default=None, pattern=r"^[\w+=,.@-]{1,64}$")


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
        for i, a in enumerate(v):
            if len(a) > 254 or not EMAIL_RE.fullmatch(a):
                raise FieldProblem(f"[{i}]", f"'{a[:60]}' is not an email address like oncall@example.com")
        _no_duplicates([a.lower() for a in v], "email", "[{i}]")
        return v

    @field_validator("https")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for i, u in enumerate(v):
            if len(u) > 2048 or not HTTPS_RE.fullmatch(u):
                raise FieldProblem(f"[{i}]", f"'{u[:60]}' is not an https:// URL (SNS delivers alarms to it over TLS; "
                                             "plain http is not allowed)")
        _no_duplicates(v, "https endpoint", "[{i}]")
        return v

    @model_validator(mode="after")
    def _some(self) -> "AlarmSettings":
        if not self.email and not self.https:
            raise ValueError("give at least one endpoint: email: [..] and/or https: [..]")
        return self

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """(SNS protocol, endpoint) pairs, in the order given: email first, then https."""
        return [("email", a) for a in self.email] + [("https", u) for u in self.https]


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
        reserved = {k.lower() for k in (*limits.ORG_TAG_KEYS, *limits.RESOURCE_TAG_KEYS)}
        seen: dict[str, str] = {}
        for k, value in v.items():
            try:
                limits.check_tag_key(k)
                limits.check_tag_value(value, f"the value of tag '{k[:40]}'")
            except ValueError as exc:
                raise FieldProblem(k, str(exc)) from None
            if k.lower() in reserved or k.lower().startswith(limits.RESOURCE_TAG_PREFIX):
                raise FieldProblem(k, f"tag key '{k}' is set by the platform (reserved: "
                                      f"{', '.join((*limits.ORG_TAG_KEYS, *limits.RESOURCE_TAG_KEYS))}, "
                                      f"{limits.RESOURCE_TAG_PREFIX}*); owner and costCenter have their own keys")
            if k.lower() in seen:
                raise FieldProblem(k, f"tag keys '{seen[k.lower()]}' and '{k}' differ only in case; IAM treats "
                                      "them as one key")
            seen[k.lower()] = k
        if len(v) > limits.MAX_USER_TAGS:
            raise ValueError(f"{len(v)} tags; at most {limits.MAX_USER_TAGS}: AWS allows "
                             f"{limits.MAX_TAGS_PER_RESOURCE} per resource and the platform sets "
                             f"{len(limits.ORG_TAG_KEYS)} on every resource and up to "
                             f"{limits.RESOURCE_TAGS_RESERVED} more on some")
        return v

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


def _no_duplicates(values: list[str], what: str, key: str = "[{i}]") -> None:
    """FieldProblem at the second occurrence (`key` is formatted with its index `i`)."""
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise FieldProblem(key.format(i=i), f"duplicate {what} name '{v}'; names must be unique")
        seen.add(v)


def check_physical_names(s: StackSettings) -> list[tuple[str, str]]:
    """(key path, message) for every name the platform would build that breaks an AWS limit."""
    problems: list[tuple[str, str]] = []
    bu, env, acct = s.business_unit, s.environment, s.account.id
    regions = [s.region] + ([s.dr_region] if s.dr_region else [])
    for i, p in enumerate(s.data_products):
        key = f"dataProducts[{i}].name"
        try:
            for zone in (*naming.ZONES, "logs"):
                for r in regions:
                    naming.bucket_name(bu, env, p.name, zone, acct, short_code(r))
            naming.table_name(bu, env, p.name)
            naming.glue_database_name(bu, env, p.name)
            naming.role_name(bu, env, p.name, "lakeformation")
            naming.prefixed("firehose", bu, env, p.name, "raw")
            naming.prefixed("lambda", bu, env, p.name, "record-processor")
        except naming.NameLimitError as exc:
            problems.append((key, f"{exc}: shorten the data product name or businessUnit"))
        if p.ingestion.sftp is not None:
            for j, user in enumerate(p.ingestion.sftp.users):
                try:
                    naming.role_name(bu, env, p.name, "sftp", user.name)
                except naming.NameLimitError as exc:
                    problems.append((f"dataProducts[{i}].ingestion.sftp.users[{j}].name",
                                     f"{exc}: shorten the SFTP user name"))
    for i, svc in enumerate(s.services):
        try:
            naming.prefixed("lambda", bu, env, svc.name)
            # DR stacks live in the same account and IAM is global: their roles carry "-dr".
            naming.role_name(bu, env, svc.name, "task-exec", "dr")
            for r in regions:
                naming.physical_name("s3", bu, env, svc.name, "alb-logs", acct, short_code(r))
        except naming.NameLimitError as exc:
            problems.append((f"services[{i}].name", f"{exc}: shorten the service name or businessUnit"))
    return problems
