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
        prefix_len = int(args.cidr.split("/")[1])
        compute_type = awsx.ec2.SubnetType.ISOLATED if args.nat_strategy == "none" else awsx.ec2.SubnetType.PRIVATE

        self.vpc = awsx.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            number_of_availability_zones=blueprint.AZ_COUNT,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, cidr_mask=prefix_len + 6),
                awsx.ec2.SubnetSpecArgs(type=compute_type, cidr_mask=prefix_len + 3),
            ],
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=_NAT[args.nat_strategy]),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{args.prefix}-vpc"},
            opts=child,
        )
        self.vpc_id = self.vpc.vpc_id
        self.public_subnet_ids = self.vpc.public_subnet_ids
        self.private_subnet_ids = (
            self.vpc.isolated_subnet_ids if args.nat_strategy == "none" else self.vpc.private_subnet_ids
        )

        # The default SG allows all traffic between its members; strip it so nothing relies on it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc_id, ingress=[], egress=[], opts=child)

        # Gateway endpoints keep S3 and DynamoDB traffic off the NAT and the internet.
        compute_tables = aws.ec2.get_route_tables_output(
            vpc_id=self.vpc_id,
            filters=[aws.ec2.GetRouteTablesFilterArgs(name="tag:SubnetType", values=[compute_type.value])],
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[self.vpc]),
        )
        self.endpoints = {
            svc: aws.ec2.VpcEndpoint(
                f"{name}-{svc}-endpoint",
                vpc_id=self.vpc_id,
                service_name=f"com.amazonaws.{args.region}.{svc}",
                vpc_endpoint_type="Gateway",
                route_table_ids=compute_tables.ids,
                tags={"Name": f"{args.prefix}-{svc}"},
                opts=child,
            )
            for svc in ("s3", "dynamodb")
        }

        log_group_name = f"/ddp/{args.prefix}/vpc-flow-logs"
        log_group_arn = f"arn:{args.partition}:logs:{args.region}:{args.account_id}:log-group:{log_group_name}"
        self.log_key = customer_key(
            f"{name}-logs-key",
            description=f"{args.prefix} VPC flow logs",
            alias=f"alias/{args.prefix}/network-logs",
            partition=args.partition,
            account_id=args.account_id,
            service_statements=[
                iam.key_for_logs(args.region, args.partition, [log_group_arn]),
            ],
            allow_data_destroy=args.allow_data_destroy,
            opts=child,
        )
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=log_group_name,
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=self.log_key.arn,
            opts=child,
        )
        role = iam.service_role(
            f"{name}-flow-logs", service="vpc-flow-logs.amazonaws.com", account_id=args.account_id,
            statements=[iam.statement(
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [self.flow_log_group.arn, pulumi.Output.concat(self.flow_log_group.arn, ":*")])],
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role.policy]),
        )

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )
