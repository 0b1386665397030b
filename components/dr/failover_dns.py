"""Route 53 failover for a service endpoint: one record per region role, each health-checked.

The primary stack owns the PRIMARY record (set identifier `primary`), the DR stack the
SECONDARY one (`dr`), both aliases of their region's load balancer. Route 53 answers with the
primary while its health check passes; the failover runbook swaps the two roles in one change
batch so traffic stays in DR after the primary recovers, until failback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

SET_IDENTIFIERS = {"PRIMARY": "primary", "SECONDARY": "dr"}


@dataclass(frozen=True, kw_only=True)
class FailoverEndpointArgs:
    """zone_id / record_name: the hosted zone and the service's name in it.
    role: PRIMARY in the primary stack, SECONDARY in the dr stack.
    lb_dns_name / lb_zone_id: the service's load balancer (alias target).
    health_path: checked over HTTPS every 30 s, 3 failures = unhealthy (default /health)."""

    zone_id: str
    record_name: str
    role: Literal["PRIMARY", "SECONDARY"]
    lb_dns_name: pulumi.Input[str]
    lb_zone_id: pulumi.Input[str]
    health_path: str = "/health"

    def __post_init__(self) -> None:
        if self.role not in SET_IDENTIFIERS:
            raise ValueError("role must be PRIMARY or SECONDARY")
        if not self.health_path.startswith("/"):
            raise ValueError("health_path must start with '/'")


class FailoverEndpoint(pulumi.ComponentResource):
    """Children: an HTTPS health check of the load balancer and a failover alias record."""

    def __init__(self, name: str, args: FailoverEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:FailoverEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.health_check = aws.route53.HealthCheck(
            f"{name}-health", type="HTTPS", fqdn=args.lb_dns_name, port=443, resource_path=args.health_path,
            request_interval=30, failure_threshold=3, enable_sni=True, measure_latency=False,
            tags={"Name": f"{args.record_name} {SET_IDENTIFIERS[args.role]}"}, opts=child)
        self.record = aws.route53.Record(
            f"{name}-record", zone_id=args.zone_id, name=args.record_name, type="A",
            set_identifier=SET_IDENTIFIERS[args.role],
            failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=args.role)],
            health_check_id=self.health_check.id,
            aliases=[aws.route53.RecordAliasArgs(name=args.lb_dns_name, zone_id=args.lb_zone_id,
                                                 evaluate_target_health=True)],
            opts=child)
        self.register_outputs({"record": self.record.fqdn})
