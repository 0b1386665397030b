"""Network: a VPC over exactly three AZs for compute, DAX and load balancers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.foundation import blueprint, iam
from components.foundation.kms import customer_key

NatStrategy = Literal["one-per-az", "single", "none"]

_NAT = {
    "one-per-az": awsx.ec2.NatGatewayStrategy.ONE_PER_AZ,
    "single": awsx.ec2.NatGatewayStrategy.SINGLE,
    "none": awsx.ec2.NatGatewayStrategy.NONE,
}


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of `Network`.

    cidr: IPv4 block (/16../20), default 10.0.0.0/16.
    nat_strategy: one-per-az (prod), single (dev default), none (pilot light; the compute
        subnets are then isolated and reach S3/DynamoDB through the gateway endpoints only).
    flow_log_retention_days: default 365.
    """

    prefix: str
    account_id: str
    region: str
    partition: str
    cidr: str = "10.0.0.0/16"
    nat_strategy: NatStrategy = "single"
    flow_log_retention_days: int = blueprint.LOG_RETENTION_DAYS
    allow_data_destroy: bool = False

    def __post_init__(self) -> None:
        if self.nat_strategy not in _NAT:
            raise ValueError(f"nat_strategy must be one of {sorted(_NAT)}")


class Network(pulumi.ComponentResource):
    """A three-AZ VPC (awsx.ec2.Vpc).

    Children: the VPC with public subnets (load balancers) and private subnets (compute, DAX,
    SFTP endpoints) in each of three AZs and NAT gateways per `nat_strategy`; gateway endpoints
    for S3 and DynamoDB on the private route tables; VPC flow logs (all traffic) to a
    KMS-encrypted log group with retention; the default security group stripped of all rules.
    """

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Without NAT the compute subnets have no route out: awsx calls them isolated.
        compute_subnet_type = (awsx.ec2.SubnetType.ISOLATED if args.nat_strategy == "none"
                               else awsx.ec2.SubnetType.PRIVATE)

        vpc = _vpc(name, args, compute_subnet_type, child)
        # The default SG allows all traffic between its members; strip it so nothing relies on it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.vpc_id, ingress=[], egress=[], opts=child)
        endpoints = _gateway_endpoints(name, args, vpc, compute_subnet_type, parent=self)
        log_key, flow_log_group, flow_log = _flow_logs(name, args, vpc, parent=self)

        self.vpc = vpc
        self.vpc_id = vpc.vpc_id
        self.public_subnet_ids = vpc.public_subnet_ids
        self.private_subnet_ids = vpc.isolated_subnet_ids if args.nat_strategy == "none" else vpc.private_subnet_ids
        self.endpoints = endpoints
        self.log_key = log_key
        self.flow_log_group = flow_log_group
        self.flow_log = flow_log
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )


def _vpc(name: str, args: NetworkArgs, compute_subnet_type: awsx.ec2.SubnetType,
         opts: pulumi.ResourceOptions) -> awsx.ec2.Vpc:
    """Public subnets (/+6) for load balancers and larger compute subnets (/+3) in each AZ."""
    prefix_length = int(args.cidr.split("/")[1])
    return awsx.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=args.cidr,
        number_of_availability_zones=blueprint.AZ_COUNT,
        subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
        subnet_specs=[
            awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, cidr_mask=prefix_length + 6),
            awsx.ec2.SubnetSpecArgs(type=compute_subnet_type, cidr_mask=prefix_length + 3),
        ],
        nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=_NAT[args.nat_strategy]),
        enable_dns_hostnames=True,
        enable_dns_support=True,
        tags={"Name": f"{args.prefix}-vpc"},
        opts=opts,
    )


def _gateway_endpoints(name: str, args: NetworkArgs, vpc: awsx.ec2.Vpc, compute_subnet_type: awsx.ec2.SubnetType,
                       *, parent: pulumi.Resource) -> dict[str, aws.ec2.VpcEndpoint]:
    """Gateway endpoints keep S3 and DynamoDB traffic off the NAT and the internet."""
    compute_route_tables = aws.ec2.get_route_tables_output(
        vpc_id=vpc.vpc_id,
        filters=[aws.ec2.GetRouteTablesFilterArgs(name="tag:SubnetType", values=[compute_subnet_type.value])],
        opts=pulumi.InvokeOutputOptions(parent=parent, depends_on=[vpc]),
    )
    return {
        service: aws.ec2.VpcEndpoint(
            f"{name}-{service}-endpoint",
            vpc_id=vpc.vpc_id,
            service_name=f"com.amazonaws.{args.region}.{service}",
            vpc_endpoint_type="Gateway",
            route_table_ids=compute_route_tables.ids,
            tags={"Name": f"{args.prefix}-{service}"},
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for service in ("s3", "dynamodb")
    }


def _flow_logs(name: str, args: NetworkArgs, vpc: awsx.ec2.Vpc, *,
               parent: pulumi.Resource) -> tuple[aws.kms.Key, aws.cloudwatch.LogGroup, aws.ec2.FlowLog]:
    """All traffic of the VPC, into a log group encrypted with its own key and kept for the retention."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group_name = f"/ddp/{args.prefix}/vpc-flow-logs"
    log_group_arn = f"arn:{args.partition}:logs:{args.region}:{args.account_id}:log-group:{log_group_name}"
    log_key = customer_key(
        f"{name}-logs-key",
        description=f"{args.prefix} VPC flow logs",
        alias=f"alias/{args.prefix}/network-logs",
        partition=args.partition,
        account_id=args.account_id,
        service_statements=[
            iam.key_for_logs(args.region, [log_group_arn]),
        ],
        allow_data_destroy=args.allow_data_destroy,
        opts=child,
    )
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-flow-logs",
        name=log_group_name,
        retention_in_days=args.flow_log_retention_days,
        kms_key_id=log_key.arn,
        opts=child,
    )
    role = iam.service_role(
        f"{name}-flow-logs", service="vpc-flow-logs.amazonaws.com", account_id=args.account_id,
        statements=[iam.statement(
            ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")])],
        opts=child,
    )
    flow_log = aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=vpc.vpc_id,
        traffic_type="ALL",
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
        max_aggregation_interval=60,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role.policy]),
    )
    return log_key, log_group, flow_log
