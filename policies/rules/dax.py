"""DAX: encrypted at rest and in transit, with enough nodes to survive an AZ loss."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, MEDIUM, get, number, resource_policy

CLUSTER = "aws:dax/cluster:Cluster"
SUBNET_GROUP = "aws:dax/subnetGroup:SubnetGroup"
NODES_CONFIG = {"minimumNodes": {"type": "integer", "minimum": 1, "default": 3,
                                 "description": "Smallest replicationFactor accepted (one node per AZ)."}}


def _at_rest(props, cfg, args):
    if get(props, "serverSideEncryption", "enabled") is not True:
        yield "DAX cluster must set serverSideEncryption.enabled to true."


def _tls(props, cfg, args):
    kind = get(props, "clusterEndpointEncryptionType", default="NONE")
    if kind != "TLS":
        yield f"DAX cluster endpoint encryption is '{kind}'; set clusterEndpointEncryptionType to TLS."


def _nodes(props, cfg, args):
    nodes = number(get(props, "replicationFactor")) or 0
    if nodes < cfg["minimumNodes"]:
        yield f"DAX replicationFactor is {int(nodes)}; use at least {cfg['minimumNodes']} (one node per AZ)."


POLICIES = [
    resource_policy(
        name="dax-cluster-encrypted-at-rest", service="dax", control="DynamoDB.3",
        description="DAX clusters are encrypted at rest.",
        types=[CLUSTER], check=_at_rest, level=MANDATORY, severity=HIGH,
        remediation="Set server_side_encryption=ClusterServerSideEncryptionArgs(enabled=True)."),
    resource_policy(
        name="dax-cluster-endpoint-tls", service="dax", securityhub="DynamoDB.7",
        description="DAX cluster endpoints require TLS.",
        types=[CLUSTER], check=_tls, level=MANDATORY, severity=HIGH,
        remediation="Set cluster_endpoint_encryption_type='TLS' (replaces the cluster)."),
    resource_policy(
        name="dax-cluster-three-nodes", service="dax",
        description="DAX clusters run at least three nodes so one per AZ survives an AZ loss.",
        types=[CLUSTER], check=_nodes, level=MANDATORY, severity=MEDIUM, config=NODES_CONFIG,
        remediation="Set replication_factor=3 (or more)."),
]
