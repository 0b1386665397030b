"""AWS regions the platform knows, with their partition and a short code used in names."""

from __future__ import annotations

# region -> (partition, short code). The short code keeps physical names (S3 buckets) inside
# AWS length limits while staying unique per region.
REGIONS: dict[str, tuple[str, str]] = {
    "us-east-1": ("aws", "use1"),
    "us-east-2": ("aws", "use2"),
    "us-west-1": ("aws", "usw1"),
    "us-west-2": ("aws", "usw2"),
    "af-south-1": ("aws", "afs1"),
    "ap-east-1": ("aws", "ape1"),
    "ap-south-1": ("aws", "aps1"),
    "ap-south-2": ("aws", "aps2"),
    "ap-southeast-1": ("aws", "apse1"),
    "ap-southeast-2": ("aws", "apse2"),
    "ap-southeast-3": ("aws", "apse3"),
    "ap-southeast-4": ("aws", "apse4"),
    "ap-southeast-5": ("aws", "apse5"),
    "ap-northeast-1": ("aws", "apne1"),
    "ap-northeast-2": ("aws", "apne2"),
    "ap-northeast-3": ("aws", "apne3"),
    "ca-central-1": ("aws", "cac1"),
    "ca-west-1": ("aws", "caw1"),
    "eu-central-1": ("aws", "euc1"),
    "eu-central-2": ("aws", "euc2"),
    "eu-west-1": ("aws", "euw1"),
    "eu-west-2": ("aws", "euw2"),
    "eu-west-3": ("aws", "euw3"),
    "eu-south-1": ("aws", "eus1"),
    "eu-south-2": ("aws", "eus2"),
    "eu-north-1": ("aws", "eun1"),
    "il-central-1": ("aws", "ilc1"),
    "me-south-1": ("aws", "mes1"),
    "me-central-1": ("aws", "mec1"),
    "sa-east-1": ("aws", "sae1"),
    "us-gov-west-1": ("aws-us-gov", "ugw1"),
    "us-gov-east-1": ("aws-us-gov", "uge1"),
    "cn-north-1": ("aws-cn", "cnn1"),
    "cn-northwest-1": ("aws-cn", "cnnw1"),
}


def partition_of(region: str) -> str:
    return REGIONS[region][0]


def short_code(region: str) -> str:
    return REGIONS[region][1]
