"""S3: buckets and the bucket-scoped resources whose id is the bucket's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import physical_name
from offline.mocks.provider_facts import S3_HOSTED_ZONE_IDS, region_fact
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/s3/bucket.go: id = bucket; arn = arn:<p>:s3:::<bucket>;
# bucket_domain_name = "<bucket>.s3.<dns suffix>"; bucketRegionalDomainName = "%s.s3.%s.%s" (bucket,
# region, dns suffix) for every region, us-east-1 included; hosted_zone_id from hosted_zones.go.
def bucket(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    bucket_name = physical_name(inputs, "bucket", name, seed)
    return bucket_name, {"bucket": bucket_name, "arn": f"arn:{mocks.partition}:s3:::{bucket_name}",
                         "bucketDomainName": f"{bucket_name}.s3.{mocks.dns_suffix}",
                         "bucketRegionalDomainName": f"{bucket_name}.s3.{region}.{mocks.dns_suffix}", "region": region,
                         "hostedZoneId": region_fact(S3_HOSTED_ZONE_IDS, region, "S3 hosted zone id")}


BUILDERS: dict[str, Builder] = {
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": id_from_input("bucket"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": id_from_input("bucket"),
    "aws:s3/bucketVersioning:BucketVersioning": id_from_input("bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": id_from_input("bucket"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": id_from_input("bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": id_from_input("bucket"),
    "aws:s3/bucketLogging:BucketLogging": id_from_input("bucket"),
    "aws:s3/bucketNotification:BucketNotification": id_from_input("bucket"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": id_from_input("bucket"),
    "aws:s3/bucketObjectv2:BucketObjectv2": id_from_input("key"),
}
