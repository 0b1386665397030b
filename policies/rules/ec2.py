"""EC2/VPC: no open ingress except HTTPS on load balancers, flow logs on every VPC, closed default SGs."""
from __future__ import annotations

from ._base import (CRITICAL, HIGH, MANDATORY, MEDIUM, UNKNOWN, known_items, number, of_type, peek,
                    references, resource_keys, resource_policy, safe_get, stack_policy, whole)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
AWSX_VPC = "awsx:ec2:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
OPEN = {"0.0.0.0/0", "::/0"}
HTTPS = 443
# FSBP EC2.18's default authorized ports: 443, and 80 for load balancers that only redirect to HTTPS.
WEB_PORTS = (80, 443)


def _https_only(protocol, from_port, to_port) -> bool:
    if UNKNOWN in (protocol, from_port, to_port):  # the CIDR is known to be open; the port is judged at update
        return True
    return (str(protocol).lower() in ("tcp", "6") and number(from_port) == number(to_port)
            and number(from_port) in WEB_PORTS)


def _cidrs(props, *keys) -> set[str]:
    return {str(c) for key in keys for c in known_items(peek(props, key)) if c is not UNKNOWN}


def _entry(props, protocol_key):
    """(protocol, from, to) with unknown values kept as UNKNOWN; an omitted port on an all-protocol
    rule ("-1") means every port."""
    return (peek(props, protocol_key), whole(peek(props, "fromPort")), whole(peek(props, "toPort")))


def open_ingress(resource_type, props) -> list[tuple]:
    """The world-open ingress entries of a SG (inline ``ingress``), a SecurityGroupRule or a VPC
    ingress rule: each rule judged on its own, unknown CIDRs left to the update."""
    found = []
    if resource_type == SECURITY_GROUP:
        for rule in known_items(peek(props, "ingress")):
            if _cidrs(rule, "cidrBlocks", "ipv6CidrBlocks") & OPEN:
                found.append(_entry(rule, "protocol"))
    elif resource_type == INGRESS_RULE:
        if {peek(props, "cidrIpv4"), peek(props, "cidrIpv6")} & OPEN:
            found.append(_entry(props, "ipProtocol"))
    elif resource_type == SG_RULE and peek(props, "type") == "ingress":
        if _cidrs(props, "cidrBlocks", "ipv6CidrBlocks") & OPEN:
            found.append(_entry(props, "protocol"))
    return found


def _no_open_ingress(props, cfg, args):
    for protocol, from_port, to_port in open_ingress(args.resource_type, props):
        if not _https_only(protocol, from_port, to_port):
            yield (f"Ingress from 0.0.0.0/0 or ::/0 on protocol {protocol} ports {from_port}-{to_port}; "
                   "only tcp 443 (and 80 for HTTPS redirects) may be open to the internet.")


def _default_sg_closed(props, cfg, args):
    if any(peek(props, key) not in (None, UNKNOWN) and known_items(peek(props, key)) for key in ("ingress", "egress")):
        yield "Default security group must have no ingress and no egress rules."


def _sg_keys(sg) -> set[str]:
    keys = resource_keys(sg, "id", "name")
    arn = safe_get(sg.props, "arn")
    if isinstance(arn, str) and "/" in arn:
        keys.add(arn.rsplit("/", 1)[-1])
    return keys


def _open_only_on_load_balancers(resources, cfg):
    lb_groups: set[str] = set()
    for lb in of_type(resources, *LOAD_BALANCERS):
        lb_groups |= references(lb, "securityGroups")
    groups = of_type(resources, SECURITY_GROUP)
    for r in of_type(resources, SECURITY_GROUP, INGRESS_RULE, SG_RULE):
        try:
            opened = open_ingress(r.resource_type, r.props)
        except Exception:  # unknown during preview: the resource rule reports it at update
            continue
        if not opened:
            continue
        if r.resource_type == SECURITY_GROUP:
            targets = _sg_keys(r)
        else:
            refs = references(r, "securityGroupId")
            targets = set().union(*[_sg_keys(g) for g in groups if _sg_keys(g) & refs]) | refs
        if not targets & lb_groups:
            yield (f"'{r.name}' opens ingress to the internet on a security group not attached to a load "
                   "balancer."), r.urn


def _vpcs(resources) -> list:
    vpcs = of_type(resources, VPC)
    covered = {v.parent.urn for v in vpcs if v.parent is not None}
    return vpcs + [c for c in of_type(resources, AWSX_VPC) if c.urn not in covered]


def _vpc_keys(vpc) -> set[str]:
    keys = resource_keys(vpc, "id", "vpcId")
    arn = safe_get(vpc.props, "arn")
    if isinstance(arn, str) and "/" in arn:
        keys.add(arn.rsplit("/", 1)[-1])
    if vpc.parent is not None and vpc.parent.resource_type == AWSX_VPC:
        keys |= resource_keys(vpc.parent, "vpcId")
    return keys


def _flow_logs(resources, cfg):
    logs = of_type(resources, FLOW_LOG)
    for vpc in _vpcs(resources):
        keys = _vpc_keys(vpc)
        if not any((references(f, "vpcId") | references(f, "resourceId")) & keys for f in logs):
            yield f"VPC '{vpc.name}' has no flow log.", vpc.urn


POLICIES = [
    resource_policy(
        name="ec2-no-public-ingress-except-https", service="ec2", control="EC2.18",
        description="Security groups and ingress rules open to 0.0.0.0/0 or ::/0 allow only tcp/443 (and tcp/80 for HTTPS redirects).",
        types=[SECURITY_GROUP, INGRESS_RULE, SG_RULE], check=_no_open_ingress, level=MANDATORY, severity=HIGH,
        remediation="Restrict the source to a CIDR or security group; keep internet ingress to tcp/443 on the ALB."),
    stack_policy(
        name="ec2-public-ingress-only-on-load-balancers", service="ec2",
        description="Only security groups attached to a load balancer accept traffic from the internet.",
        applies_to=[SECURITY_GROUP, INGRESS_RULE, SG_RULE], check=_open_only_on_load_balancers,
        level=MANDATORY, severity=CRITICAL,
        remediation="Remove the internet ingress; reach services through the load balancer's security group.",
        reads=LOAD_BALANCERS),
    stack_policy(
        name="vpc-flow-logs-enabled", service="ec2", control="EC2.6",
        description="Every VPC has a flow log (the network's audit trail).",
        applies_to=[VPC, AWSX_VPC], check=_flow_logs, level=MANDATORY, severity=MEDIUM,
        remediation="Create an aws.ec2.FlowLog with vpc_id=<vpc id>, traffic_type='ALL' to a KMS-encrypted log group.",
        reads=(FLOW_LOG,)),
    resource_policy(
        name="ec2-default-security-group-closed", service="ec2", control="EC2.2",
        description="VPC default security groups allow no traffic.",
        types=[DEFAULT_SG], check=_default_sg_closed, level=MANDATORY, severity=HIGH,
        remediation="Manage the default SG with aws.ec2.DefaultSecurityGroup and no ingress/egress blocks."),
]
