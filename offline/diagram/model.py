"""The diagram as data: clusters (components), nodes (resources, other stacks, other accounts) and
labelled data-flow edges. Rendering lives in offline/diagram/render.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from offline.diagram.rules import DASHED


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    group: str
    cluster: Optional[str] = None  # cluster id
    external: bool = False


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    parent: Optional[str] = None


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str

    @property
    def dashed(self) -> bool:
        return self.label in DASHED


EXTERNAL_CLUSTER = Cluster("cluster_outside", "outside this stack")


@dataclass
class Diagram:
    stack: str
    clusters: list[Cluster] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def edge_labels(self) -> set[tuple[str, str, str]]:
        """(source label, target label, edge label) with newlines as spaces: handy in tests."""
        label_of = {node.id: node.label.replace("\n", " ") for node in self.nodes}
        return {(label_of[edge.src], label_of[edge.dst], edge.label) for edge in self.edges}

    def to_dot(self) -> str:
        from offline.diagram.render import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        from offline.diagram.render import to_mermaid

        return to_mermaid(self)
