"""Deployability: what AWS enforces at apply time, or what the deployed system needs in order to
work, that no single resource shows. Generic over the graph: each rule follows references
(values, and the engine's property dependencies when values are unknown) between resources.

- a KMS key used by a service in a region grants that service principal in that region, with
  only condition keys the service documents for that use;
- cross-account Lake Formation grants carry the grant option consumers need to pass them on;
- S3 replication waits (depends) on versioning of its source and destination buckets;
- DynamoDB tables whose replicas a TableReplica manages ignore ``replicas``;
- resource policies only name actions their service accepts there;
- every IAM policy document passes Parliament (a real IAM linter);
- container images and Lambda artifacts are produced by the deployment, not assumed to exist;
- Lambda's SQS event source mappings: visibility timeout and the poller's permissions;
- LF-tag assignments and LF-tag expressions use only values the stack's LF-tag defines.

One module per concern: ``kms_grants``, ``wiring`` (Lake Formation grant option, replication,
table replicas), ``documents`` (resource-policy actions, Parliament), ``artifacts`` (images, archives),
``event_sources`` (Lambda mappings on SQS), ``lf_tags`` (LF-tag values);
``_graph`` holds the shared reference helpers. Only relative imports (see ``rules/__init__``).
"""
from . import artifacts, documents, event_sources, kms_grants, lf_tags, wiring
from .documents import _lint  # noqa: F401  (tests clear and inspect its cache)

__all__ = ["POLICIES", "_lint", "artifacts", "documents", "event_sources", "kms_grants", "lf_tags",
           "wiring"]

POLICIES = [*kms_grants.POLICIES, *wiring.POLICIES, *documents.POLICIES, *artifacts.POLICIES, *event_sources.POLICIES,
            *lf_tags.POLICIES]
