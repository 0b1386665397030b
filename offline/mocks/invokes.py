"""Answers to the provider functions (invokes) the program calls, as the AWS provider returns them.

Each answer is for the provider the invoke was sent to: its region, and for getCallerIdentity the
role it assumes. An invoke nobody taught the mocks gets its arguments back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from offline.mocks.identifiers import hex_id, iam_unique_id
from offline.mocks.provider_facts import az_id_prefix

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks

Arguments = dict[str, Any]
Answer = Callable[["PlatformMocks", Arguments, str, dict[str, Any]], dict[str, Any]]

# The session name the AWS SDK for Go gives an assumed role when the provider sets none.
DEFAULT_SESSION_NAME = "aws-go-sdk-1700000000000000000"


def caller_identity(mocks: PlatformMocks, arguments: Arguments, region: str,
                    provider_inputs: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getCallerIdentity: with assumeRoles the caller is the assumed-role session (STS
    GetCallerIdentity), else the account root."""
    roles = provider_inputs.get("assumeRoles") or []
    if isinstance(roles, dict):
        roles = [roles]
    role_arn = roles[0].get("roleArn") if roles else None
    if not role_arn:
        return {"accountId": mocks.account_id, "arn": f"arn:{mocks.partition}:iam::{mocks.account_id}:root",
                "userId": mocks.account_id, "id": mocks.account_id}
    account = role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]
    session = roles[0].get("sessionName") or DEFAULT_SESSION_NAME
    role_id = iam_unique_id("AROA", f"role|{role_arn}")
    return {"accountId": account, "arn": f"arn:{mocks.partition}:sts::{account}:assumed-role/{role_name}/{session}",
            "userId": f"{role_id}:{session}", "id": account}


def region_answer(mocks: PlatformMocks, arguments: Arguments, region: str,
                  provider_inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.{mocks.dns_suffix}"}


def partition_answer(mocks: PlatformMocks, arguments: Arguments, region: str,
                     provider_inputs: dict[str, Any]) -> dict[str, Any]:
    return {"partition": mocks.partition, "dnsSuffix": mocks.dns_suffix, "id": mocks.partition,
            "reverseDnsPrefix": ".".join(reversed(mocks.dns_suffix.split(".")))}


def availability_zones(mocks: PlatformMocks, arguments: Arguments, region: str,
                       provider_inputs: dict[str, Any]) -> dict[str, Any]:
    prefix = az_id_prefix(region)
    return {"id": region, "names": [f"{region}{letter}" for letter in "abc"],
            "zoneIds": [f"{prefix}-az{number}" for number in (1, 2, 3)], "groupNames": [region] * 3}


def vpc(mocks: PlatformMocks, arguments: Arguments, region: str, provider_inputs: dict[str, Any]) -> dict[str, Any]:
    vpc_id = arguments.get("id")
    if vpc_id not in mocks.vpc_cidrs:
        return arguments  # not a VPC this run created: nothing to report but what was asked
    return {**arguments, "id": vpc_id, "cidrBlock": mocks.vpc_cidrs[vpc_id], "ownerId": mocks.account_id,
            "arn": mocks.arn("ec2", f"vpc/{vpc_id}", region=region), "state": "available",
            "instanceTenancy": "default", "default": False}


def route_tables(mocks: PlatformMocks, arguments: Arguments, region: str,
                 provider_inputs: dict[str, Any]) -> dict[str, Any]:
    vpc_id = arguments.get("vpcId", "vpc")
    kind = ((arguments.get("filters") or [{}])[0].get("values") or ["Private"])[0]
    return {"id": region, "vpcId": vpc_id,
            "ids": [f"rtb-{hex_id(f'{vpc_id}|{kind}|{letter}', 17)}" for letter in "abc"]}


INVOKES: dict[str, Answer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getRegion:getRegion": region_answer,
    "aws:index/getPartition:getPartition": partition_answer,
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:ec2/getVpc:getVpc": vpc,
    "aws:ec2/getRouteTables:getRouteTables": route_tables,
}
