"""S3: every bucket setting judged in all its forms (inline on Bucket / BucketV2, or a v1/V2
companion resource), bucket policies and replication. Only relative imports (see rules/__init__)."""
from . import access, settings

POLICIES = [*settings.POLICIES, *access.POLICIES]
