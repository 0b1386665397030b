"""Architecture diagrams of a stack, derived from its recorded resource graph.

    python -m offline.preview dev --diagram docs/diagrams    # dev.dot, dev.mmd (+ .svg/.png with graphviz)

`build(run)` turns a `StackRun` into a `Diagram`: one cluster per component (`ddp:index:*` and the
awsx VPC) holding its key children, and the *data flow* as labelled edges. Nothing is drawn per
stack: every edge comes from a resource input that points at another resource (an ARN, id, name,
bucket path or endpoint found in that resource's recorded state), classified by `RULES` below:
which input of which type, towards which type, in which direction the data goes. A Lake Formation
LF-tag grant names no resource: the databases and tables its expression matches are worked out by
offline/lf_access.py. A dataset's Iceberg table is drawn as its database (`FOLDED`).

Resources that carry a flow but are not worth a box of their own (event rules and targets, task
definitions, target groups, Transfer users, Lake Formation grants, replication configs, ...) are
*contracted*: an edge A -> hidden -> B becomes A -> B. Values that are not resources of this stack
become external nodes: another stack read through a StackReference (any value of its outputs),
and other AWS accounts (12-digit ids, ARNs in a foreign account).

Output is deterministic (sorted, ids from type + logical name) so the committed text can be
compared in tests: `to_dot()` (Graphviz) and `to_mermaid()` (Mermaid flowchart).

Where things live: `rules` (types shown, flow rules), `references` (resolving input values to
resources, contraction), `layout` (`build`: clusters, nodes, edges), `model` (the `Diagram`),
`render` (dot and Mermaid text), `files` (`write`).
"""

from offline.diagram.files import write
from offline.diagram.layout import build
from offline.diagram.model import EXTERNAL_CLUSTER, Cluster, Diagram, Edge, Node
from offline.diagram.rules import KINDS, RULES, Rule

__all__ = ["EXTERNAL_CLUSTER", "KINDS", "RULES", "Cluster", "Diagram", "Edge", "Node", "Rule", "build", "write"]
