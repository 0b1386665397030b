"""Architecture diagrams of a stack, derived from its recorded resource graph.

    python -m offline.preview dev --diagram docs/diagrams    # dev.dot, dev.mmd (+ .svg/.png with graphviz)

`build(run)` turns a `StackRun` into a `Diagram`: one cluster per component (`ddp:index:*` and the
awsx VPC) holding its key children, and the *data flow* as labelled edges. Nothing is drawn per
stack: every edge comes from a resource input that points at another resource (an ARN, id, name,
bucket path or endpoint found in that resource's recorded state), classified by `RULES` below:
which input of which type, towards which type, in which direction the data goes.

Resources that carry a flow but are not worth a box of their own (event rules and targets, task
definitions, target groups, Transfer users, Lake Formation grants, replication configs, ...) are
*contracted*: an edge A -> hidden -> B becomes A -> B. Values that are not resources of this stack
become external nodes: another stack read through a StackReference (any value of its outputs),
and other AWS accounts (12-digit ids, ARNs in a foreign account).

Output is deterministic (sorted, ids from type + logical name) so the committed text can be
compared in tests: `to_dot()` (Graphviz) and `to_mermaid()` (Mermaid flowchart).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from offline.mocks import Record
from offline.runner import StackRun

# --- resource types ------------------------------------------------------------------------------
BUCKET = "aws:s3/bucket:Bucket"
STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
SFTP_SERVER = "aws:transfer/server:Server"
SFTP_USER = "aws:transfer/user:User"
BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"
GLUE_JOB = "aws:glue/job:Job"
CRAWLER = "aws:glue/crawler:Crawler"
GLUE_DB = "aws:glue/catalogDatabase:CatalogDatabase"
LF_RESOURCE = "aws:lakeformation/resource:Resource"
LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
DAX = "aws:dax/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
HTTP_API = "aws:apigatewayv2/api:Api"
API_INTEGRATION = "aws:apigatewayv2/integration:Integration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
AWSX_VPC = "awsx:ec2:Vpc"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

# Pseudo target types for values that are not resources of this stack.
ACCOUNT = "<account>"      # another AWS account (a consumer, a producer)

# Per visible type: (short kind shown in the box, colour group).
KINDS: dict[str, tuple[str, str]] = {
    STREAM: ("Kinesis stream", "ingest"),
    FIREHOSE: ("Firehose", "ingest"),
    SFTP_SERVER: ("SFTP server", "ingest"),
    GLUE_JOB: ("Glue ETL job", "ingest"),
    BUCKET: ("S3 bucket", "store"),
    TABLE: ("DynamoDB table", "store"),
    TABLE_REPLICA: ("DynamoDB replica", "store"),
    DAX: ("DAX cluster", "store"),
    CRAWLER: ("Glue crawler", "catalog"),
    GLUE_DB: ("Glue database", "catalog"),
    LF_RESOURCE: ("Lake Formation location", "catalog"),
    BUS: ("Event bus", "events"),
    FUNCTION: ("Lambda", "compute"),
    ECS_SERVICE: ("ECS service", "compute"),
    LB: ("ALB", "compute"),
    HTTP_API: ("HTTP API", "compute"),
    VPC_ENDPOINT: ("VPC endpoint", "network"),
    AWSX_VPC: ("VPC", "network"),
}
# Visible types drawn only when they carry a flow (log buckets, helper functions stay out).
ONLY_IF_CONNECTED = {BUCKET, FUNCTION}

GENERIC_NAMES = {"service", "function", "api", "alb", "lb", "bus", "stream", "firehose"}

# Which output keys identify a resource when another resource points at it (default: id, arn, name).
IDENTITY_KEYS: dict[str, tuple[str, ...]] = {
    BUCKET: ("id", "arn", "bucket"),
    DAX: ("arn", "configurationEndpoint", "clusterAddress"),  # its name equals the bus's
    FUNCTION: ("id", "arn", "name", "invokeArn"),
    SFTP_SERVER: ("id", "arn"),
    # Types the mocks answer with their inputs: their "arn"/"name" are what they point at.
    LF_RESOURCE: ("id",),
    LF_PERMISSIONS: (),
    EVENT_TARGET: ("id",),
    REPLICATION: (),
    TASK_DEF: ("id", "arn", "arnWithoutRevision"),
}
DEFAULT_IDENTITY = ("id", "arn", "name")
NEVER_INDEXED = {"pulumi:providers:aws", STACK_REFERENCE, "pulumi:pulumi:Stack"}

COLOURS = {
    "ingest": "#fde2c8", "store": "#d5f0d5", "catalog": "#e6dcf5", "events": "#fff3b0",
    "compute": "#d6e6fb", "network": "#eeeeee", "external": "#ffffff",
}


@dataclass(frozen=True)
class Rule:
    """`holder`'s input at `path` (glob over dotted keys, `[]` for list items) names a resource of
    one of `targets`. direction "in": data flows target -> holder; "out": holder -> target."""

    holder: str
    path: str
    targets: tuple[str, ...]
    direction: str
    label: str = ""

    @property
    def glob(self) -> str:
        return self.path.replace("[]", "[[][]]")  # "[]" is literal in our paths, a set in fnmatch


ENV_TARGETS = ((TABLE, "items"), (DAX, "cached reads"), (BUS, "publish"), (GLUE_JOB, "start"), (CRAWLER, "start"))

RULES: tuple[Rule, ...] = (
    # ingestion
    Rule(FIREHOSE, "kinesisSourceConfiguration.kinesisStreamArn", (STREAM,), "in", "records"),
    Rule(FIREHOSE, "extendedS3Configuration.bucketArn", (BUCKET,), "out", "deliver"),
    Rule(FIREHOSE, "extendedS3Configuration.processingConfiguration.*", (FUNCTION,), "out", "transform"),
    Rule(SFTP_USER, "serverId", (SFTP_SERVER,), "in"),
    Rule(SFTP_USER, "homeDirectoryMappings[].target", (BUCKET,), "out", "sftp upload"),
    Rule(GLUE_JOB, "defaultArguments.--source_path", (BUCKET,), "in", "read"),
    Rule(GLUE_JOB, "defaultArguments.--target_path", (BUCKET,), "out", "write"),
    # events: bus (or S3 / another account on the default bus) -> rule -> target
    Rule(EVENT_RULE, "eventBusName", (BUS,), "in", "events"),
    Rule(EVENT_RULE, "eventPattern.detail.*", (BUCKET,), "in", "object created"),
    Rule(EVENT_RULE, "eventPattern.account[]", (ACCOUNT,), "in", "events"),
    Rule(EVENT_TARGET, "rule", (EVENT_RULE,), "in"),
    Rule(EVENT_TARGET, "arn", (FUNCTION, BUS, ACCOUNT), "out"),
    # services and functions: their configuration names the store, cache, bus, job they use
    *(Rule(FUNCTION, "environment.variables.*", (t,), "out", label) for t, label in ENV_TARGETS),
    *(Rule(TASK_DEF, "containerDefinitions[].environment[].value", (t,), "out", label) for t, label in ENV_TARGETS),
    Rule(ECS_SERVICE, "taskDefinition", (TASK_DEF,), "out"),
    Rule(ECS_SERVICE, "loadBalancers[].targetGroupArn", (TARGET_GROUP,), "in"),
    Rule(LISTENER, "loadBalancerArn", (LB,), "in", "HTTPS"),
    Rule(LISTENER, "defaultActions[].targetGroupArn", (TARGET_GROUP,), "out"),
    Rule(API_INTEGRATION, "apiId", (HTTP_API,), "in", "HTTPS"),
    Rule(API_INTEGRATION, "integrationUri", (FUNCTION,), "out"),
    # catalog
    Rule(CRAWLER, "s3Targets[].path", (BUCKET,), "in", "crawl"),
    Rule(CRAWLER, "databaseName", (GLUE_DB,), "out", "tables"),
    Rule(GLUE_DB, "targetDatabase.databaseName", (GLUE_DB,), "in", "resource link"),
    # sharing
    Rule(LF_RESOURCE, "arn", (BUCKET,), "in", "register"),
    Rule(LF_PERMISSIONS, "database.name", (GLUE_DB,), "in"),
    Rule(LF_PERMISSIONS, "table.databaseName", (GLUE_DB,), "in"),
    Rule(LF_PERMISSIONS, "principal", (ACCOUNT,), "out", "LF grant"),
    # replication
    Rule(REPLICATION, "bucket", (BUCKET,), "in"),
    Rule(REPLICATION, "rules[].destination.bucket", (BUCKET,), "out", "replicate"),
    Rule(TABLE_REPLICA, "globalTableArn", (TABLE,), "in", "global table replica"),
)
DASHED = {"transform", "start", "contract"}

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


# --- the model -----------------------------------------------------------------------------------

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


@dataclass
class Diagram:
    stack: str
    clusters: list[Cluster] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def edge_labels(self) -> set[tuple[str, str, str]]:
        """(source label, target label, edge label) with newlines as spaces: handy in tests."""
        by_id = {n.id: n.label.replace("\n", " ") for n in self.nodes}
        return {(by_id[e.src], by_id[e.dst], e.label) for e in self.edges}

    def to_dot(self) -> str:
        return _to_dot(self)

    def to_mermaid(self) -> str:
        return _to_mermaid(self)


# --- reference resolution ------------------------------------------------------------------------

def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, string) for every string in an input value; JSON text is walked into."""
    if isinstance(value, dict):
        for k in sorted(value):
            yield from _leaves(value[k], f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v, f"{path}[]")
    elif isinstance(value, str):
        if value[:1] in "[{":
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, (dict, list)):
                yield from _leaves(parsed, path)
                return
        yield path, value


def _candidates(text: str) -> list[str]:
    """The text and the resource identifiers it may embed (s3://bucket/prefix, arn/..., /bucket/key)."""
    out = [text]
    if "://" in text:
        rest = text.split("://", 1)[1]
        out.append(rest)
        out += [seg for seg in rest.split("/") if seg]
    elif text.startswith("arn:"):
        # Trim ARN suffixes (object keys, ":*", "/stream/..."), longest first.
        head = ":".join(text.split(":", 5)[:5])
        for i in range(len(text) - 1, len(head), -1):
            if text[i] in "/:":
                out.append(text[:i])
    elif text.startswith("/"):
        out += [seg for seg in text.split("/") if seg]
    return out


class _Graph:
    def __init__(self, run: StackRun):
        self.run = run
        self.records = [r for r in run.records]
        self.by_urn = {r.urn: r for r in self.records}
        self.own_accounts = _own_accounts(run)
        self.index: dict[str, list[Record]] = defaultdict(list)
        for r in self.records:
            if not r.custom or r.type in NEVER_INDEXED:
                continue
            state = {**r.outputs, "id": r.id}
            for key in IDENTITY_KEYS.get(r.type, DEFAULT_IDENTITY):
                v = state.get(key)
                if isinstance(v, str) and len(v) >= 3 and r not in self.index[v]:
                    self.index[v].append(r)
        # Every string a referenced stack exports points at that stack (drawn as one external
        # node), as the type its ARN or its key in the contract says it is.
        self.exported: dict[str, tuple[str, set[str]]] = {}
        for ref in sorted(self.records, key=lambda r: r.urn):
            if ref.type != STACK_REFERENCE:
                continue
            stack = str(ref.outputs.get("name") or ref.inputs.get("name") or ref.name)
            for path, v in _leaves(ref.outputs.get("outputs") or {}):
                if len(v) < 8 or v in self.index or _ACCOUNT_ID.match(v):
                    continue
                types = self.exported.setdefault(v, (stack, set()))[1]
                types.update(_guess_types(path, v))

    def resolve(self, text: str, targets: tuple[str, ...]) -> list[str]:
        """Keys of what `text` names among `targets`: a record URN, `stack:<name>` or `account:<id>`."""
        for cand in _candidates(text):
            found = sorted({r.urn for r in self.index.get(cand, ()) if r.type in targets})
            if found:
                return found
        for cand in _candidates(text):
            stack, types = self.exported.get(cand, ("", set()))
            if types & set(targets):
                return [f"stack:{stack}"]
        if ACCOUNT in targets:
            m = _ARN_ACCOUNT.match(text)
            acct = text if _ACCOUNT_ID.match(text) else (m.group(1) if m else None)
            if acct and acct not in self.own_accounts:
                return [f"account:{acct}"]
        return []


_ARN_SERVICES = {"s3": BUCKET, "dynamodb": TABLE, "events": BUS, "dax": DAX, "lambda": FUNCTION,
                 "kinesis": STREAM, "glue": GLUE_DB}
_KEY_WORDS = (("table", TABLE), ("bucket", BUCKET), ("bus", BUS), ("dax", DAX), ("database", GLUE_DB),
              ("stream", STREAM), ("function", FUNCTION))


def _guess_types(path: str, value: str) -> set[str]:
    """What a value exported by another stack names, from its ARN or its key path in the contract."""
    if value.startswith("arn:"):
        parts = value.split(":")
        t = _ARN_SERVICES.get(parts[2]) if len(parts) > 2 else None
        if t == GLUE_DB and "database/" not in value:
            t = None
        return {t} if t else set()
    keys = [k.lower() for k in path.replace("[]", "").split(".")[-3:]]
    return {t for word, t in _KEY_WORDS if any(word in k for k in keys)}


def _own_accounts(run: StackRun) -> set[str]:
    own: set[str] = set()
    for r in run.records:
        if r.type == "pulumi:providers:aws":
            ids = r.inputs.get("allowedAccountIds")
            if isinstance(ids, str):
                try:
                    ids = json.loads(ids)
                except ValueError:
                    ids = [ids]
            own.update(str(i) for i in ids or [])
    acct = (run.outputs.get("account") or {}).get("id") if isinstance(run.outputs.get("account"), dict) else None
    if acct:
        own.add(str(acct))
    return own


def _raw_edges(g: _Graph) -> set[tuple[str, str, str]]:
    rules_by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in RULES:
        rules_by_type[rule.holder].append(rule)
    edges: set[tuple[str, str, str]] = set()
    for rec in g.records:
        rules = rules_by_type.get(rec.type)
        if not rules:
            continue
        for path, text in _leaves(rec.inputs):
            for rule in rules:
                if not fnmatchcase(path, rule.glob):
                    continue
                for key in g.resolve(text, rule.targets):
                    if key == rec.urn:
                        continue
                    label = rule.label or ("contract" if key.startswith("stack:") else "")
                    edges.add((key, rec.urn, label) if rule.direction == "in" else (rec.urn, key, label))
    return edges


def _contract(edges: set[tuple[str, str, str]], hidden: Iterable[str]) -> set[tuple[str, str, str]]:
    """Replace every hidden node by direct edges from its predecessors to its successors."""
    edges = set(edges)
    for h in sorted(set(hidden)):
        ins = sorted(e for e in edges if e[1] == h)
        outs = sorted(e for e in edges if e[0] == h)
        edges -= set(ins) | set(outs)
        for a, _, l1 in ins:
            for _, b, l2 in outs:
                if a != b:
                    edges.add((a, b, l1 or l2))
    return edges


# --- building the diagram ------------------------------------------------------------------------

def _component(rec: Record) -> bool:
    return not rec.custom and (rec.type.startswith("ddp:index:") or rec.type == AWSX_VPC)


def _short_type(t: str) -> str:
    return t.rsplit(":", 1)[-1]


EXTERNAL_CLUSTER = Cluster("cluster_outside", "outside this stack")


def build(run: StackRun) -> Diagram:
    g = _Graph(run)
    edges = _raw_edges(g)

    visible = {r.urn for r in g.records if r.type in KINDS and (r.custom or r.type == AWSX_VPC)}
    hidden = {k for e in edges for k in e[:2] if k not in visible and not k.startswith(("stack:", "account:"))}
    edges = {e for e in _contract(edges, hidden) if e[0] not in hidden and e[1] not in hidden}
    connected = {k for e in edges for k in e[:2]}
    shown = {u for u in visible if g.by_urn[u].type not in ONLY_IF_CONNECTED or u in connected}

    # Clusters: components, nested as the components are.
    def component_of(urn: str) -> Optional[Record]:
        rec = g.by_urn.get(g.by_urn[urn].parent) if urn in g.by_urn else None
        while rec is not None and not _component(rec):
            rec = g.by_urn.get(rec.parent)
        return rec

    cluster_id = {r.urn: f"cluster_{_ident(_short_type(r.type))}_{_ident(r.name)}" for r in g.records if _component(r)}
    clusters = []
    for r in g.records:
        if _component(r):
            parent = component_of(r.urn)
            clusters.append(Cluster(cluster_id[r.urn], f"{_short_type(r.type)} {r.name}",
                                    cluster_id[parent.urn] if parent is not None else None))

    regions = {f"{r.urn}::{r.id}": r.inputs.get("region") for r in g.records if r.type == "pulumi:providers:aws"}
    home = run.config.get("aws:region")

    node_id: dict[str, str] = {}
    nodes: list[Node] = []
    for urn in shown:
        rec = g.by_urn[urn]
        comp = rec if rec.type == AWSX_VPC else component_of(urn)
        kind, group = KINDS[rec.type]
        label = f"{kind}\n{_short_name(rec, comp)}"
        region = regions.get(rec.provider)
        if region and home and region != home:
            label += f"\n({region})"
        node_id[urn] = f"{_ident(_short_type(rec.type)).lower()}_{_ident(rec.name)}"
        nodes.append(Node(node_id[urn], label, group, cluster_id.get(comp.urn) if comp is not None else None))
    for key in sorted(connected - visible):
        kind, value = key.split(":", 1)
        node_id[key] = f"ext_{kind}_{_ident(value)}"
        label = (f"stack {value.rsplit('/', 1)[-1]}\n{value.rsplit('/', 1)[0]}" if kind == "stack"
                 else f"account\n{value}")
        nodes.append(Node(node_id[key], label, "external", EXTERNAL_CLUSTER.id, external=True))
    if connected - visible:
        clusters.append(EXTERNAL_CLUSTER)

    merged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a, b, label in edges:
        if a in node_id and b in node_id:
            merged[(node_id[a], node_id[b])].add(label)
    out_edges = [Edge(a, b, ", ".join(sorted(l for l in labels if l))) for (a, b), labels in merged.items()]

    # Only clusters that show something (or hold a cluster that does) are drawn.
    used = {n.cluster for n in nodes if n.cluster}
    parents = {c.id: c.parent for c in clusters}
    for c in list(used):
        p = parents.get(c)
        while p:
            used.add(p)
            p = parents.get(p)
    return Diagram(
        stack=run.stack,
        clusters=sorted((c for c in clusters if c.id in used), key=lambda c: c.id),
        nodes=sorted(nodes, key=lambda n: n.id),
        edges=sorted(out_edges, key=lambda e: (e.src, e.dst, e.label)),
    )


def _short_name(rec: Record, comp: Optional[Record]) -> str:
    if rec.type == AWSX_VPC:
        cidr = rec.inputs.get("cidrBlock", "")
        azs = rec.inputs.get("numberOfAvailabilityZones", "")
        azs = int(azs) if isinstance(azs, float) else azs
        nat = (rec.inputs.get("natGateways") or {}).get("strategy", "")
        return f"{cidr}, {azs} AZs, NAT {nat}".strip(", ")
    if rec.type == VPC_ENDPOINT:
        return str(rec.inputs.get("serviceName", rec.name)).rsplit(".", 1)[-1]
    name = rec.name
    if comp is not None and name.startswith(comp.name + "-"):
        name = name[len(comp.name) + 1:]
        if name in GENERIC_NAMES:  # "ECS service service" says less than "ECS service orders-api"
            name = comp.name
    return name or rec.name


# --- rendering -----------------------------------------------------------------------------------

def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _nested(d: Diagram, open_lines: Callable[[Cluster, str], list[str]], close_line: Callable[[str], str],
            node_line: Callable[[Node, str], str]) -> list[str]:
    """Clusters (nested), their nodes, then the nodes outside any cluster: one walk for both
    renderers, which differ only in the text of each line."""
    children: dict[Optional[str], list[Cluster]] = defaultdict(list)
    for c in d.clusters:
        children[c.parent].append(c)
    members: dict[Optional[str], list[Node]] = defaultdict(list)
    for n in d.nodes:
        members[n.cluster].append(n)
    lines: list[str] = []

    def emit(cluster: Cluster, depth: int) -> None:
        ind = "  " * depth
        lines.extend(open_lines(cluster, ind))
        for sub in children.get(cluster.id, []):
            emit(sub, depth + 1)
        for n in members.get(cluster.id, []):
            lines.append(node_line(n, ind + "  "))
        lines.append(close_line(ind))

    for c in children.get(None, []):
        emit(c, 1)
    for n in members.get(None, []):
        lines.append(node_line(n, "  "))
    return lines


def _to_dot(d: Diagram) -> str:
    lines = [
        f"// Generated by `python -m offline.preview {d.stack} --diagram docs/diagrams`; do not edit.",
        f"digraph {_q(d.stack)} {{",
        "  rankdir=LR; compound=true; newrank=true; nodesep=0.25; ranksep=0.6;",
        f"  label={_q(f'Stack {d.stack}: data flow (derived from the offline run)')}; labelloc=t; fontsize=16;",
        '  fontname="Helvetica"; node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    def node_line(n: Node, indent: str) -> str:
        style = 'style="rounded,dashed", ' if n.external else ""
        shape = "shape=component, " if n.external else ""
        return f"{indent}{n.id} [label={_q(n.label)}, {shape}{style}fillcolor={_q(COLOURS[n.group])}];"

    lines += _nested(
        d,
        lambda c, ind: [f"{ind}subgraph {c.id} {{",
                        f'{ind}  label={_q(c.label)}; style="rounded"; color="#888888"; fontsize=11;'],
        lambda ind: f"{ind}}}",
        node_line,
    )
    for e in d.edges:
        attrs = [f"label={_q(e.label)}"] if e.label else []
        if e.dashed:
            attrs.append("style=dashed")
        lines.append(f"  {e.src} -> {e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _m(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def _to_mermaid(d: Diagram) -> str:
    lines = [f"%% Generated by `python -m offline.preview {d.stack} --diagram docs/diagrams`; do not edit.",
             "flowchart LR"]
    def node_line(n: Node, indent: str) -> str:
        shape = ("[[", "]]") if n.external else ("(", ")")
        return f"{indent}{n.id}{shape[0]}{_m(n.label)}{shape[1]}:::{n.group}"

    lines += _nested(d, lambda c, ind: [f"{ind}subgraph {c.id}[{_m(c.label)}]"], lambda ind: f"{ind}end", node_line)
    for e in d.edges:
        arrow = "-.->" if e.dashed else "-->"
        lines.append(f"  {e.src} {arrow}|{_m(e.label)}| {e.dst}" if e.label else f"  {e.src} {arrow} {e.dst}")
    for group in sorted(COLOURS):
        lines.append(f"  classDef {group} fill:{COLOURS[group]},stroke:#666666")
    return "\n".join(lines) + "\n"


# --- files ---------------------------------------------------------------------------------------

def write(run: StackRun, out_dir: Path | str, *, render: bool = True) -> list[Path]:
    """Write `<stack>.dot` and `<stack>.mmd` to out_dir, and `<stack>.svg`/`.png` when Graphviz's
    `dot` is installed (and render is true). Returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    diagram = build(run)
    dot_file, mmd_file = out / f"{run.stack}.dot", out / f"{run.stack}.mmd"
    dot_file.write_text(diagram.to_dot())
    mmd_file.write_text(diagram.to_mermaid())
    written = [dot_file, mmd_file]
    dot = shutil.which("dot") if render else None
    if dot:
        for fmt, extra in (("svg", []), ("png", ["-Gdpi=110"])):
            target = out / f"{run.stack}.{fmt}"
            subprocess.run([dot, f"-T{fmt}", *extra, "-o", str(target), str(dot_file)], check=True)
            written.append(target)
    return written
