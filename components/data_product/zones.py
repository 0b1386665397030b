"""How the catalog and Lake Formation see a storage zone: its name and its bucket's name and ARN."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class ZoneRef:
    """What the catalog needs of a storage zone: its name and its bucket's name and ARN. The
    primary builds it from its own buckets, the DR pilot light from the replicas in the contract."""

    zone: str
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
