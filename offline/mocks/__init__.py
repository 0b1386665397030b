"""Realistic Pulumi mocks that record everything the program registers.

One implementation serves the test suite, the offline preview, the policy check and the
benchmark. The mocks answer like AWS would: ids in the provider's formats, ARNs in the stack's
account, region and partition, the awsx VPC's subnets per AZ, and StackReference outputs taken
from the referenced stack's own offline run. Everything is deterministic (ids derive from the
resource's type and name), so two runs of the same stack give the same graph.

Where things live:
- `platform.PlatformMocks`: the mocks (registrations, providers, StackReferences, invokes)
- `builders/`: one module per AWS service family; each builder returns what the provider reports
  (the id and every computed attribute in its own format) and names the provider source it follows
- `invokes`: provider functions (getCallerIdentity, getAvailabilityZones, ...)
- `provider_facts`: per-region values AWS assigns (hosted zone ids, AZ id codes, DAX ports)
- `identifiers`: the deterministic id formats
- `monitor.RecordingMonitor`: records each registration as a `record.Record` and, like the engine,
  refuses a second resource with the same URN
"""

from offline.mocks.monitor import DuplicateUrnError, RecordingMonitor
from offline.mocks.platform import PlatformMocks
from offline.mocks.provider_facts import (ALB_HOSTED_ZONE_IDS, DAX_PORT_PLAINTEXT, DAX_PORT_TLS, NLB_HOSTED_ZONE_IDS,
                                          S3_HOSTED_ZONE_IDS, az_id_prefix)
from offline.mocks.record import Record, decoded_provider_inputs, plain

__all__ = [
    "ALB_HOSTED_ZONE_IDS", "DAX_PORT_PLAINTEXT", "DAX_PORT_TLS", "DuplicateUrnError", "NLB_HOSTED_ZONE_IDS",
    "PlatformMocks", "Record", "RecordingMonitor", "S3_HOSTED_ZONE_IDS", "az_id_prefix", "decoded_provider_inputs",
    "plain",
]
