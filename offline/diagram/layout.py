"""Building the diagram of a run: which resources get a box, in which component's cluster, under
which label, and the merged, contracted edges between them."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Optional

from offline.diagram.model import EXTERNAL_CLUSTER, Cluster, Diagram, Edge, Node
from offline.diagram.references import RawEdge, ReferenceIndex, contract, fold, raw_edges
from offline.diagram.rules import AWSX_VPC, GENERIC_NAMES, KINDS, ONLY_IF_CONNECTED, VPC_ENDPOINT
from offline.mocks import Record
from offline.runner import StackRun


def identifier(text: str) -> str:
    """`text` as a Graphviz/Mermaid identifier."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def is_component(record: Record) -> bool:
    return not record.custom and (record.type.startswith("ddp:index:") or record.type == AWSX_VPC)


def short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def short_name(record: Record, component: Optional[Record]) -> str:
    """The name in a resource's box: without its component's prefix, or a summary for the VPC."""
    if record.type == AWSX_VPC:
        cidr = record.inputs.get("cidrBlock", "")
        zones = record.inputs.get("numberOfAvailabilityZones", "")
        zones = int(zones) if isinstance(zones, float) else zones
        nat = (record.inputs.get("natGateways") or {}).get("strategy", "")
        return f"{cidr}, {zones} AZs, NAT {nat}".strip(", ")
    if record.type == VPC_ENDPOINT:
        return str(record.inputs.get("serviceName", record.name)).rsplit(".", 1)[-1]
    name = record.name
    if component is not None and name.startswith(component.name + "-"):
        name = name[len(component.name) + 1:]
        if name in GENERIC_NAMES:  # "ECS service service" says less than "ECS service orders-api"
            name = component.name
    return name or record.name


class _Layout:
    """The clusters and nodes of one run, with the node id of each drawn key."""

    def __init__(self, run: StackRun, references: ReferenceIndex):
        self.run = run
        self.by_urn = references.by_urn
        self.records = references.records
        self.cluster_id = {record.urn: f"cluster_{identifier(short_type(record.type))}_{identifier(record.name)}"
                           for record in self.records if is_component(record)}
        self.clusters: list[Cluster] = []
        self.nodes: list[Node] = []
        self.node_id: dict[str, str] = {}

    def component_of(self, urn: str) -> Optional[Record]:
        """The nearest enclosing component of a resource (clusters nest as components do)."""
        record = self.by_urn.get(self.by_urn[urn].parent) if urn in self.by_urn else None
        while record is not None and not is_component(record):
            record = self.by_urn.get(record.parent)
        return record

    def add_clusters(self) -> None:
        for record in self.records:
            if is_component(record):
                parent = self.component_of(record.urn)
                self.clusters.append(Cluster(self.cluster_id[record.urn], f"{short_type(record.type)} {record.name}",
                                             self.cluster_id[parent.urn] if parent is not None else None))

    def add_resource_nodes(self, shown: set[str]) -> None:
        regions = {f"{record.urn}::{record.id}": record.inputs.get("region")
                   for record in self.records if record.type == "pulumi:providers:aws"}
        home = self.run.config.get("aws:region")
        for urn in shown:
            record = self.by_urn[urn]
            component = record if record.type == AWSX_VPC else self.component_of(urn)
            kind, group = KINDS[record.type]
            label = f"{kind}\n{short_name(record, component)}"
            region = regions.get(record.provider)
            if region and home and region != home:
                label += f"\n({region})"
            self.node_id[urn] = f"{identifier(short_type(record.type)).lower()}_{identifier(record.name)}"
            cluster = self.cluster_id.get(component.urn) if component is not None else None
            self.nodes.append(Node(self.node_id[urn], label, group, cluster))

    def add_external_nodes(self, keys: set[str]) -> None:
        for key in sorted(keys):
            kind, value = key.split(":", 1)
            self.node_id[key] = f"ext_{kind}_{identifier(value)}"
            label = (f"stack {value.rsplit('/', 1)[-1]}\n{value.rsplit('/', 1)[0]}" if kind == "stack"
                     else f"account\n{value}")
            self.nodes.append(Node(self.node_id[key], label, "external", EXTERNAL_CLUSTER.id, external=True))
        if keys:
            self.clusters.append(EXTERNAL_CLUSTER)

    def edges(self, edges: set[RawEdge]) -> list[Edge]:
        """One edge per drawn pair of nodes, its labels joined."""
        merged: dict[tuple[str, str], set[str]] = defaultdict(set)
        for source, target, label in edges:
            if source in self.node_id and target in self.node_id:
                merged[(self.node_id[source], self.node_id[target])].add(label)
        return [Edge(source, target, ", ".join(sorted(label for label in labels if label)))
                for (source, target), labels in merged.items()]

    def used_clusters(self) -> list[Cluster]:
        """Only clusters that show something (or hold a cluster that does) are drawn."""
        used = {node.cluster for node in self.nodes if node.cluster}
        parents = {cluster.id: cluster.parent for cluster in self.clusters}
        for cluster_id in list(used):
            parent = parents.get(cluster_id)
            while parent:
                used.add(parent)
                parent = parents.get(parent)
        return sorted((cluster for cluster in self.clusters if cluster.id in used), key=lambda cluster: cluster.id)


def build(run: StackRun) -> Diagram:
    """The data-flow diagram of a run: one cluster per component, the flow as labelled edges."""
    references = ReferenceIndex(run)
    edges = fold(raw_edges(references), references)
    visible = {record.urn for record in references.records
               if record.type in KINDS and (record.custom or record.type == AWSX_VPC)}
    hidden = {key for edge in edges for key in edge[:2]
              if key not in visible and not key.startswith(("stack:", "account:"))}
    edges = {edge for edge in contract(edges, hidden) if edge[0] not in hidden and edge[1] not in hidden}
    connected = {key for edge in edges for key in edge[:2]}
    shown = {urn for urn in visible if references.by_urn[urn].type not in ONLY_IF_CONNECTED or urn in connected}

    layout = _Layout(run, references)
    layout.add_clusters()
    layout.add_resource_nodes(shown)
    layout.add_external_nodes(connected - visible)
    return Diagram(
        stack=run.stack,
        clusters=layout.used_clusters(),
        nodes=sorted(layout.nodes, key=lambda node: node.id),
        edges=sorted(layout.edges(edges), key=lambda edge: (edge.src, edge.dst, edge.label)),
    )
