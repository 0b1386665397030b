"""An operational service (`services[]`): Fargate (default) or Lambda, serving one data product's
ODS. The Fargate service's edge (internal or public load balancer) is `stackconfig.model.service_edge`."""

from __future__ import annotations

import ipaddress
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from stackconfig import limits
from stackconfig.model.base import ACM_ARN, NAME_RE, FieldProblem, Model
from stackconfig.model.service_edge import PublicEdge, check_edge_cidrs

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
CPU_VALUES = tuple(FARGATE_SIZES)

# Keys that belong to one runtime; setting one under the other runtime is an error.
FARGATE_ONLY = ("image", "cpu", "memory", "certificate_arn", "desired_count", "min_count", "max_count", "public")
LAMBDA_ONLY = ("memory_mb", "timeout_seconds", "reserved_concurrency", "trigger", "authorizer", "jwt")


class JwtAuthorizer(Model):
    issuer: str = Field(pattern=r"^https://")
    audience: list[str] = Field(min_length=1)


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
        for i, cidr in enumerate(v):
            try:
                net = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise FieldProblem(f"[{i}]", f"'{cidr[:50]}' is not a CIDR block like 203.0.113.0/24 "
                                             "(host bits must be zero)") from None
            if str(net) in seen:
                raise FieldProblem(f"[{i}]", f"'{cidr}' is listed twice (also at [{seen[str(net)]}])")
            seen[str(net)] = i
            per_family[net.version] += 1
            if per_family[net.version] > limits.MAX_ALLOWED_CIDRS_PER_FAMILY:
                raise FieldProblem(f"[{i}]", f"at most {limits.MAX_ALLOWED_CIDRS_PER_FAMILY} IPv{net.version} CIDRs: each "
                                   f"takes {limits.ALB_RULES_PER_CIDR} of the load balancer security group's "
                                   f"{limits.SG_INBOUND_RULES} inbound rules")
        return [str(ipaddress.ip_network(cidr)) for cidr in v]

    @field_validator("image")
    @classmethod
    def _image(cls, v: Optional[str]) -> Optional[str]:
        if v is not None:
            limits.check_image(v)
        return v

    @model_validator(mode="after")
    def _runtime_fields(self) -> "ServiceSettings":
        self._check_keys_of_the_other_runtime()
        if self.runtime == "fargate":
            self._check_fargate_image()
            self._check_fargate_task_size()
            if self.certificate_arn is None:
                raise FieldProblem("certificateArn", "fargate services need certificateArn (an ACM certificate for the "
                                   "HTTPS listener)")
            check_edge_cidrs(self.public, self.allowed_cidrs)
            self._check_fargate_counts()
        else:
            self._check_lambda()
        return self

    def _check_keys_of_the_other_runtime(self) -> None:
        for field in LAMBDA_ONLY if self.runtime == "fargate" else FARGATE_ONLY:
            if getattr(self, field) is not None:
                raise FieldProblem(to_camel(field), f"{to_camel(field)} does not apply to runtime {self.runtime}")

    def _check_fargate_image(self) -> None:
        if self.build_image == (self.image is not None):
            raise FieldProblem("image" if self.image is not None else "buildImage",
                               "give exactly one of image (a registry URI) or buildImage: true")

    def _check_fargate_task_size(self) -> None:
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

    def _check_fargate_counts(self) -> None:
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

    def _check_lambda(self) -> None:
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
