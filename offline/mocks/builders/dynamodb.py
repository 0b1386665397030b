"""DynamoDB tables and their global-table replicas; DAX clusters and their groups."""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

from offline.mocks.identifiers import base36_id, physical_name
from offline.mocks.provider_facts import DAX_PORT_PLAINTEXT, DAX_PORT_TLS
from offline.mocks.builders.base import Builder, Built, Inputs, named_resource

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/dynamodb/table.go: id = name; arn = table ARN;
# stream_arn = LatestStreamArn = "<table arn>/stream/<label>", stream_label = LatestStreamLabel, an
# ISO 8601 timestamp with milliseconds (e.g. 2015-05-11T21:21:33.291); both only when streams are on.
def dynamodb_table(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    arn = mocks.arn("dynamodb", f"table/{physical}", region=region)
    extra: dict[str, Any] = {"arn": arn, "name": physical}
    if inputs.get("streamEnabled"):
        label = "2025-01-15T09:30:12.345"
        extra.update(streamArn=f"{arn}/stream/{label}", streamLabel=label)
    return physical, extra


# terraform-provider-aws internal/service/dynamodb/table_replica.go: id = tableReplicaCreateResourceID
# (table name, main region) = "<table>:<main region>"; arn = the replica table's ARN in its own region.
def dynamodb_table_replica(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    source = str(inputs.get("globalTableArn", ""))
    table = source.rsplit("/", 1)[-1] or name
    main_region = source.split(":")[3] if source.count(":") >= 5 else mocks.region
    return f"{table}:{main_region}", {"arn": mocks.arn("dynamodb", f"table/{table}", region=region)}


# terraform-provider-aws internal/service/dax/cluster.go: id = lower(cluster_name); port and
# cluster_address from ClusterDiscoveryEndpoint; configuration_endpoint = fmt.Sprintf("%s:%d", address,
# port) -- host:port, no scheme. The port is 9111 for a TLS cluster (cluster_endpoint_encryption_type
# TLS), else 8111. Discovery host: <name>.<id>.dax-clusters.<region>.amazonaws.com; node hosts:
# <name>-<a..>.<id>.nodes.dax-clusters.<region>.amazonaws.com (DAX developer guide, cluster components).
def dax_cluster(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = str(inputs.get("clusterName") or name).lower()
    label = base36_id(seed, 6)
    port = DAX_PORT_TLS if inputs.get("clusterEndpointEncryptionType") == "TLS" else DAX_PORT_PLAINTEXT
    host = f"{physical}.{label}.dax-clusters.{region}.{mocks.dns_suffix}"
    zones = list(inputs.get("availabilityZones") or [])
    count = int(inputs.get("replicationFactor") or 1)
    nodes = []
    for index in range(count):
        node = f"{physical}-{chr(97 + index)}"
        zone = zones[index] if index < len(zones) else f"{region}{'abc'[index % 3]}"
        nodes.append({"id": node, "address": f"{node}.{label}.nodes.dax-clusters.{region}.{mocks.dns_suffix}",
                      "port": port, "availabilityZone": zone})
    return physical, {"arn": mocks.arn("dax", f"cache/{physical}", region=region), "clusterAddress": host,
                      "port": port, "configurationEndpoint": f"{host}:{port}", "nodes": nodes}


BUILDERS: dict[str, Builder] = {
    "aws:dynamodb/table:Table": dynamodb_table,
    "aws:dynamodb/tableReplica:TableReplica": dynamodb_table_replica,
    "aws:dax/cluster:Cluster": dax_cluster,
    # dax/subnet_group.go and parameter_group.go: id = name; the subnet group also reports vpc_id.
    # Neither has an ARN attribute.
    "aws:dax/subnetGroup:SubnetGroup": named_resource(),
    "aws:dax/parameterGroup:ParameterGroup": named_resource(),
}
