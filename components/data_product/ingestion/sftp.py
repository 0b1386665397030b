"""SFTP ingestion: a VPC-only Transfer Family server and one user per partner, confined to its home."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam
from components.data_product.ingestion.prefixes import SFTP_PORT, SFTP_PREFIX
from components.data_product.scope import ProductScope
from components.data_product.spec import SftpUserSpec
from components.data_product.storage import ZoneBucket


@dataclass(frozen=True)
class Sftp:
    server: aws.transfer.Server
    security_group: aws.ec2.SecurityGroup
    users: dict[str, aws.transfer.User]


def sftp(scope: ProductScope, raw: ZoneBucket, allowed_cidrs: Sequence[str]) -> Sftp:
    """An SFTP-only Transfer server with a VPC endpoint in the private subnets (no Elastic IPs,
    so it is reachable from the VPC and networks routed into it, never from the internet)."""
    settings = scope.product.ingestion.sftp
    assert settings is not None
    security_group = _endpoint_security_group(scope, allowed_cidrs)
    server = _server(scope, security_group)
    users = {user.name: _partner_user(scope, server, raw, user) for user in settings.users}
    return Sftp(server, security_group, users)


def _endpoint_security_group(scope: ProductScope, allowed_cidrs: Sequence[str]) -> aws.ec2.SecurityGroup:
    """The endpoint's security group: port 22 from `allowed_cidrs`, or from the VPC when none are given."""
    security_group = aws.ec2.SecurityGroup(
        f"{scope.name}-sftp-sg",
        description=f"SFTP endpoint of {scope.product_name}: port 22 from the allowed networks only",
        vpc_id=scope.network.vpc_id,
        tags={"Name": f"{scope.stack.prefix}-{scope.product_name}-sftp"},
        opts=scope.child,
    )
    if allowed_cidrs:
        sources: dict[str, pulumi.Input[str]] = {cidr: cidr for cidr in allowed_cidrs}
    else:
        vpc = aws.ec2.get_vpc_output(id=scope.network.vpc_id, opts=pulumi.InvokeOutputOptions(parent=scope.parent))
        sources = {"vpc": vpc.cidr_block}
    for key, cidr in sources.items():
        aws.vpc.SecurityGroupIngressRule(
            f"{scope.name}-sftp-from-{key.replace('/', '-')}",
            security_group_id=security_group.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=SFTP_PORT,
            to_port=SFTP_PORT,
            description="SFTP clients",
            opts=scope.child,
        )
    return security_group


def _server(scope: ProductScope, security_group: aws.ec2.SecurityGroup) -> aws.transfer.Server:
    """The Transfer server (SFTP only, service-managed users, VPC endpoint) and its structured logs."""
    log_group = scope.log_group("sftp", "sftp")
    logging_role = scope.role("sftp-logging", "transfer.amazonaws.com", [
        iam.statement(["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                      [pulumi.Output.concat(log_group.arn, ":*")], sid="Logs"),
    ])
    return aws.transfer.Server(
        f"{scope.name}-sftp",
        protocols=["SFTP"],
        domain="S3",
        identity_provider_type="SERVICE_MANAGED",
        endpoint_type="VPC",
        endpoint_details=aws.transfer.ServerEndpointDetailsArgs(
            vpc_id=scope.network.vpc_id,
            subnet_ids=scope.network.private_subnet_ids,
            security_group_ids=[security_group.id],
        ),
        security_policy_name=blueprint.TRANSFER_SECURITY_POLICY,
        logging_role=logging_role.arn,
        structured_log_destinations=[pulumi.Output.concat(log_group.arn, ":*")],
        tags={"Name": f"{scope.stack.prefix}-{scope.product_name}-sftp"},
        opts=scope.after(logging_role.policy),
    )


def _partner_user(scope: ProductScope, server: aws.transfer.Server, raw: ZoneBucket,
                  user: SftpUserSpec) -> aws.transfer.User:
    """One partner: a role confined to its home prefix, a LOGICAL home directory and its SSH key."""
    home = f"{SFTP_PREFIX}{user.name}/"
    # Each user may list, read and write only below its own home prefix.
    role = scope.role(f"sftp-{user.name}", "transfer.amazonaws.com", [
        iam.statement(["s3:ListBucket"], [raw.bucket.arn], sid="ListHome",
                      condition={"StringLike": {"s3:prefix": [home, f"{home}*"]}}),
        iam.statement(["s3:PutObject", "s3:GetObject"], [pulumi.Output.concat(raw.bucket.arn, "/", home, "*")],
                      sid="HomeObjects"),
        scope.key_use("kms:Decrypt", "kms:GenerateDataKey*"),
    ], purpose=("sftp", user.name))
    transfer_user = aws.transfer.User(
        f"{scope.name}-sftp-{user.name}",
        server_id=server.id,
        user_name=user.name,
        role=role.arn,
        home_directory_type="LOGICAL",
        home_directory_mappings=[aws.transfer.UserHomeDirectoryMappingArgs(
            entry="/", target=f"/{scope.bucket_name('raw')}/{SFTP_PREFIX}{user.name}")],
        opts=scope.after(role.policy),
    )
    aws.transfer.SshKey(
        f"{scope.name}-sftp-{user.name}-key",
        server_id=server.id,
        user_name=transfer_user.user_name,
        body=user.ssh_public_key,
        opts=scope.child,
    )
    return transfer_user


def check_cidrs(cidrs: Sequence[str]) -> None:
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=True)
        if network.prefixlen == 0:
            raise ValueError(f"SFTP allowed CIDR {cidr} opens the server to every address")
