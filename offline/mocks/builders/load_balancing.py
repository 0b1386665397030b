"""Elastic Load Balancing v2: load balancers, target groups, listeners."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import decimal_id, hex_id, physical_name
from offline.mocks.provider_facts import ALB_HOSTED_ZONE_IDS, NLB_HOSTED_ZONE_IDS, region_fact
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/elbv2/load_balancer.go: id = arn
# (arn:...:loadbalancer/<app|net>/<name>/<16 hex>); arn_suffix = the part after "loadbalancer/";
# dns_name and zone_id are DescribeLoadBalancers' DNSName / CanonicalHostedZoneId: an ALB is
# "<name>-<digits>.<region>.elb.amazonaws.com" ("internal-" first when internal), an NLB
# "<name>-<16 hex>.elb.<region>.amazonaws.com"; zone ids per region from hosted_zone_id_data_source.go.
def load_balancer(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    network = inputs.get("loadBalancerType") == "network"
    suffix = f"{'net' if network else 'app'}/{physical}/{hex_id(seed, 16)}"
    arn = mocks.arn("elasticloadbalancing", f"loadbalancer/{suffix}", region=region)
    prefix = "internal-" if inputs.get("internal") else ""
    if network:
        dns = f"{prefix}{physical}-{hex_id(seed + 'dns', 16)}.elb.{region}.{mocks.dns_suffix}"
        zone = region_fact(NLB_HOSTED_ZONE_IDS, region, "NLB hosted zone id")
    else:
        dns = f"{prefix}{physical}-{decimal_id(seed, 10)}.{region}.elb.{mocks.dns_suffix}"
        zone = region_fact(ALB_HOSTED_ZONE_IDS, region, "ALB hosted zone id")
    return arn, {"arn": arn, "arnSuffix": suffix, "dnsName": dns, "zoneId": zone, "name": physical}


# terraform-provider-aws internal/service/elbv2/target_group.go: id = arn
# (arn:...:targetgroup/<name>/<16 hex>); arn_suffix = "targetgroup/<name>/<16 hex>"
def target_group(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    suffix = f"targetgroup/{physical}/{hex_id(seed, 16)}"
    arn = mocks.arn("elasticloadbalancing", suffix, region=region)
    return arn, {"arn": arn, "arnSuffix": suffix, "name": physical}


# terraform-provider-aws internal/service/elbv2/listener.go: id = arn =
# arn:...:listener/<app|net>/<load balancer name>/<lb 16 hex>/<listener 16 hex>
def listener(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    lb_arn = str(inputs.get("loadBalancerArn") or "")
    lb_part = lb_arn.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in lb_arn else f"app/{name}/{hex_id(seed, 16)}"
    arn = mocks.arn("elasticloadbalancing", f"listener/{lb_part}/{hex_id(seed + 'l', 16)}", region=region)
    return arn, {"arn": arn}


BUILDERS: dict[str, Builder] = {
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/listener:Listener": listener,
}
