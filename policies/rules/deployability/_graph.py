"""Graph helpers shared by the deployability rules: resource types, regions, references that
survive unknown (preview) values, policy statements."""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any, Optional

from .._base import as_json, as_list, is_map, known_copy, provider_props, resource_keys, safe_get

SERVICE = "deployability"

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
GLUE_SECURITY = "aws:glue/securityConfiguration:SecurityConfiguration"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
REPOSITORY = "aws:ecr/repository:Repository"
FUNCTION = "aws:lambda/function:Function"
LAYER = "aws:lambda/layerVersion:LayerVersion"
# Resources that build and push an image during `pulumi up`, and the outputs naming what they pushed.
IMAGE_BUILDERS = {"awsx:ecr:Image": ("imageUri",), "docker-build:index:Image": ("ref", "digest"),
                  "docker:index/image:Image": ("repoDigest", "imageName")}

# --- shared graph helpers --------------------------------------------------------------------------

def _region(resource) -> Optional[str]:
    region = safe_get(provider_props(resource), "region")
    if isinstance(region, str) and region:
        return region
    arn = safe_get(resource.props, "arn")
    if isinstance(arn, str) and arn.count(":") >= 4 and arn.split(":")[3]:
        return arn.split(":")[3]
    return None

def _stack_accounts(resource) -> set[str]:
    return {str(a) for a in as_list(as_json(safe_get(provider_props(resource), "allowedAccountIds")))}

def _refs(resource, *path: str) -> set[str]:
    """Strings ``resource.<path>`` holds (value or list of values), plus the urns the engine recorded
    as dependencies of the path's top-level property (the value is unknown during a first preview)."""
    refs = {v for v in as_list(safe_get(resource.props, *path)) if isinstance(v, str) and v}
    refs |= {d.urn for d in (resource.property_dependencies or {}).get(path[0], [])}
    return refs

def _by_keys(resources, *props: str) -> dict[str, Any]:
    """Each resource under every string another resource may reference it by (urn, name, ``props``)."""
    return {key: r for r in resources for key in resource_keys(r, *props)}

def _bucket_name(ref: str) -> str:
    return ref[len("arn:aws:s3:::"):] if ref.startswith("arn:aws:s3:::") else ref

def _action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), str(pattern).lower())

def _condition_keys(statement: Mapping) -> list[str]:
    condition = safe_get(statement, "Condition") or {}
    keys: list[str] = []
    if is_map(condition):
        for block in condition.values():
            if is_map(block):
                keys.extend(str(k) for k in block)
    return keys

def _statements(document: Any) -> list[Mapping]:
    doc = as_json(_known(document))
    if not is_map(doc):
        return []
    return [s for s in as_list(doc.get("Statement")) if is_map(s)]

_known = known_copy  # the deployability rules' historical name
