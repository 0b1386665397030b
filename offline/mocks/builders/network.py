"""VPC networking: the awsx VPC component, security groups and rules, VPC endpoints, flow logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import hex_id, physical_name
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# pulumi-awsx awsx/ec2/vpc.ts: the component's outputs. vpcId and the subnet id lists (public,
# private, isolated: one subnet per AZ and type, in AZ order) are plain values; subnetLayout is the
# resolved spec list (vpcConverters.toResolvedSubnetSpecOutputs: type, cidrMask, name, size,
# cidrBlocks as given). The resource-typed outputs (vpc, subnets, routeTables, natGateways, eips,
# internetGateway, ...) are references to children the mock does not create, so they are left unset.
def awsx_vpc(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    vpc_id = f"vpc-{hex_id(seed, 17)}"
    mocks.vpc_cidrs[vpc_id] = inputs.get("cidrBlock") or "10.0.0.0/16"
    specs = inputs.get("subnetSpecs") or [{"type": "Private"}, {"type": "Public"}]
    subnet_types = [spec.get("type") for spec in specs]
    count = int(inputs.get("numberOfAvailabilityZones") or 3)
    zones = list(inputs.get("availabilityZoneNames") or [f"{region}{letter}" for letter in "abcdef"[:count]])
    ids = {subnet_type: [f"subnet-{hex_id(f'{vpc_id}|{subnet_type}|{zone}', 17)}" for zone in zones]
           for subnet_type in subnet_types}
    layout = [{key: (int(value) if key in ("cidrMask", "size") and value is not None else value)
               for key, value in spec.items() if key in ("type", "cidrMask", "name", "size", "cidrBlocks")}
              for spec in specs]
    return vpc_id, {
        "vpcId": vpc_id,
        "privateSubnetIds": ids.get("Private", []),
        "publicSubnetIds": ids.get("Public", []),
        "isolatedSubnetIds": ids.get("Isolated", []),
        "subnetLayout": layout,
    }


# terraform-provider-aws internal/service/ec2/vpc_security_group.go: id = GroupId ("sg-" + 17 hex);
# arn = arn:<p>:ec2:<region>:<acct>:security-group/<id>; owner_id = account
def security_group(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    group_id = f"sg-{hex_id(seed, 17)}"
    return group_id, {"arn": mocks.arn("ec2", f"security-group/{group_id}", region=region),
                 "name": physical_name(inputs, "name", name, seed), "ownerId": mocks.account_id}


# terraform-provider-aws internal/service/ec2/vpc_security_group_{ingress,egress}_rule.go: id =
# security_group_rule_id ("sgr-" + 17 hex); arn = arn:...:security-group-rule/<id>
def security_group_rule(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    rule_id = f"sgr-{hex_id(seed, 17)}"
    arn = mocks.arn("ec2", f"security-group-rule/{rule_id}", region=region)
    return rule_id, {"securityGroupRuleId": rule_id, "arn": arn}


# terraform-provider-aws internal/service/ec2/vpc_endpoint.go: id = "vpce-" + 17 hex;
# arn = arn:...:vpc-endpoint/<id>; gateway endpoints report their service's prefix list ("pl-" + 8 hex)
def vpc_endpoint(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    endpoint_id = f"vpce-{hex_id(seed, 17)}"
    extra = {"arn": mocks.arn("ec2", f"vpc-endpoint/{endpoint_id}", region=region), "ownerId": mocks.account_id}
    if inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        extra["prefixListId"] = f"pl-{hex_id(str(inputs.get('serviceName')), 8)}"
    return endpoint_id, extra


# terraform-provider-aws internal/service/ec2/vpc_flow_log.go: id = "fl-" + 17 hex;
# arn = arn:...:vpc-flow-log/<id>
def flow_log(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    flow_log_id = f"fl-{hex_id(seed, 17)}"
    return flow_log_id, {"arn": mocks.arn("ec2", f"vpc-flow-log/{flow_log_id}", region=region)}


BUILDERS: dict[str, Builder] = {
    "awsx:ec2:Vpc": awsx_vpc,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": security_group_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": security_group_rule,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": flow_log,
}
