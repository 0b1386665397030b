"""Finding the data flow in a recorded graph: which resource each input value names.

Every string in a resource's inputs is looked up among the identities (id, ARN, name, endpoint) of
the stack's resources, then among the values other stacks export (an external `stack:` node), then
as another AWS account (`account:` node). `raw_edges` applies the rules to every input and adds
the catalog resources each LF-tag grant matches; `fold` redraws a folded resource's edges on the
resource it belongs to; `contract` removes the resources not worth a box, joining their
predecessors to their successors.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from fnmatch import fnmatchcase
from typing import Any, Iterable, Iterator

from offline.diagram.rules import (ACCOUNT, BUCKET, BUS, DAX, DEFAULT_IDENTITY, FOLDED, FUNCTION, GLUE_DB, GLUE_TABLE,
                                   IDENTITY_KEYS, LF_PERMISSIONS, NEVER_INDEXED, RULES, STACK_REFERENCE, STREAM, TABLE,
                                   Rule)
from offline.engine import is_secret, secret_value
from offline.lf_access import tag_policy_matches
from offline.mocks import Record
from offline.runner import StackRun

# (source key, target key, label); a key is a record URN, "stack:<name>" or "account:<id>"
RawEdge = tuple[str, str, str]

ACCOUNT_ID = re.compile(r"^\d{12}$")
ARN_ACCOUNT = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")

# What a value exported by another stack names: by its ARN's service, else by words in its key path.
ARN_SERVICES = {"s3": BUCKET, "dynamodb": TABLE, "events": BUS, "dax": DAX, "lambda": FUNCTION,
                "kinesis": STREAM, "glue": GLUE_DB}
KEY_WORDS = (("table", TABLE), ("bucket", BUCKET), ("bus", BUS), ("dax", DAX), ("database", GLUE_DB),
             ("stream", STREAM), ("function", FUNCTION))


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, string) for every string in an input value; JSON text and secrets are walked
    into (a secret's references are drawn, its text never is)."""
    if is_secret(value):
        yield from leaves(secret_value(value), path)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from leaves(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item, f"{path}[]")
    elif isinstance(value, str):
        if value[:1] in "[{":
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, (dict, list)):
                yield from leaves(parsed, path)
                return
        yield path, value


def candidates(text: str) -> list[str]:
    """The text and the resource identifiers it may embed (s3://bucket/prefix, arn/..., /bucket/key)."""
    found = [text]
    if "://" in text:
        rest = text.split("://", 1)[1]
        found.append(rest)
        found += [segment for segment in rest.split("/") if segment]
    elif text.startswith("arn:"):
        # Trim ARN suffixes (object keys, ":*", "/stream/..."), longest first.
        head = ":".join(text.split(":", 5)[:5])
        for index in range(len(text) - 1, len(head), -1):
            if text[index] in "/:":
                found.append(text[:index])
    elif text.startswith("/"):
        found += [segment for segment in text.split("/") if segment]
    return found


def guess_types(path: str, value: str) -> set[str]:
    """What a value exported by another stack names, from its ARN or its key path in the contract."""
    if value.startswith("arn:"):
        parts = value.split(":")
        type_ = ARN_SERVICES.get(parts[2]) if len(parts) > 2 else None
        if type_ == GLUE_DB and "database/" not in value:
            type_ = None
        return {type_} if type_ else set()
    keys = [key.lower() for key in path.replace("[]", "").split(".")[-3:]]
    return {type_ for word, type_ in KEY_WORDS if any(word in key for key in keys)}


def own_accounts(run: StackRun) -> set[str]:
    """The accounts this stack deploys to (its providers' allowed accounts, its exported account)."""
    own: set[str] = set()
    for record in run.records:
        if record.type == "pulumi:providers:aws":
            ids = record.inputs.get("allowedAccountIds")
            if isinstance(ids, str):
                try:
                    ids = json.loads(ids)
                except ValueError:
                    ids = [ids]
            own.update(str(account) for account in ids or [])
    exported = run.outputs.get("account")
    account = exported.get("id") if isinstance(exported, dict) else None
    if account:
        own.add(str(account))
    return own


class ReferenceIndex:
    """The stack's resources by identity, and the values referenced stacks export."""

    def __init__(self, run: StackRun):
        self.run = run
        self.records = list(run.records)
        self.by_urn = {record.urn: record for record in self.records}
        self.own_accounts = own_accounts(run)
        self.index: dict[str, list[Record]] = defaultdict(list)
        for record in self.records:
            if record.custom and record.type not in NEVER_INDEXED:
                self._index(record)
        # Every string a referenced stack exports points at that stack (drawn as one external
        # node), as the type its ARN or its key in the contract says it is.
        self.exported: dict[str, tuple[str, set[str]]] = {}
        for reference in sorted(self.records, key=lambda record: record.urn):
            if reference.type == STACK_REFERENCE:
                self._index_exports(reference)

    def _index(self, record: Record) -> None:
        state = {**record.outputs, "id": record.id}
        for key in IDENTITY_KEYS.get(record.type, DEFAULT_IDENTITY):
            value = state.get(key)
            if isinstance(value, str) and len(value) >= 3 and record not in self.index[value]:
                self.index[value].append(record)

    def _index_exports(self, reference: Record) -> None:
        stack = str(reference.outputs.get("name") or reference.inputs.get("name") or reference.name)
        for path, value in leaves(reference.outputs.get("outputs") or {}):
            # A value one of this stack's resources also carries still names the other stack's
            # resource (the DR stack's Lake Formation location has the primary's replica bucket ARN
            # as its id); resolve() prefers this stack's resource whenever its type fits.
            if len(value) < 8 or ACCOUNT_ID.match(value):
                continue
            types = self.exported.setdefault(value, (stack, set()))[1]
            types.update(guess_types(path, value))

    def resolve(self, text: str, targets: tuple[str, ...]) -> list[str]:
        """Keys of what `text` names among `targets`: a record URN, `stack:<name>` or `account:<id>`."""
        for candidate in candidates(text):
            found = sorted({record.urn for record in self.index.get(candidate, ()) if record.type in targets})
            if found:
                return found
        for candidate in candidates(text):
            stack, types = self.exported.get(candidate, ("", set()))
            if types & set(targets):
                return [f"stack:{stack}"]
        if ACCOUNT in targets:
            in_arn = ARN_ACCOUNT.match(text)
            account = text if ACCOUNT_ID.match(text) else (in_arn.group(1) if in_arn else None)
            if account and account not in self.own_accounts:
                return [f"account:{account}"]
        return []


def raw_edges(references: ReferenceIndex) -> set[RawEdge]:
    """Every edge the rules find in the stack's inputs, before contraction."""
    rules_by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in RULES:
        rules_by_type[rule.holder].append(rule)
    edges: set[RawEdge] = set()
    for record in references.records:
        rules = rules_by_type.get(record.type)
        if not rules:
            continue
        for path, text in leaves(record.inputs):
            for rule in rules:
                if fnmatchcase(path, rule.glob):
                    edges |= _rule_edges(references, record, rule, text)
    return edges | tag_policy_edges(references)


def tag_policy_edges(references: ReferenceIndex) -> set[RawEdge]:
    """An LF-tag grant (`lfTagPolicy`) names no resource: the databases and tables of this stack
    whose tags its expression matches, as Lake Formation decides it (offline/lf_access.py), flow
    into the grant."""
    catalog: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for record in references.records:
        if record.type == GLUE_DB:
            catalog[(str(record.inputs.get("name")),)].append(record.urn)
        elif record.type == GLUE_TABLE:
            catalog[(str(record.inputs.get("databaseName")), str(record.inputs.get("name")))].append(record.urn)
    edges: set[RawEdge] = set()
    for record in references.records:
        policy = record.inputs.get("lfTagPolicy") if record.type == LF_PERMISSIONS else None
        if isinstance(policy, dict):
            for match in tag_policy_matches(references.records, policy):
                edges |= {(urn, record.urn, "") for urn in catalog.get(match, [])}
    return edges


def fold(edges: set[RawEdge], references: ReferenceIndex) -> set[RawEdge]:
    """Redraw the edges of each `FOLDED` resource on the resource it names (a dataset's Iceberg
    table on its database); edges between a resource and its own folded parts disappear."""
    into: dict[str, str] = {}
    for record in references.records:
        if record.type in FOLDED:
            path, targets = FOLDED[record.type]
            found = references.resolve(str(record.inputs.get(path, "")), targets)
            if found:
                into[record.urn] = found[0]
    folded = {(into.get(source, source), into.get(target, target), label) for source, target, label in edges}
    return {edge for edge in folded if edge[0] != edge[1]}


def _rule_edges(references: ReferenceIndex, record: Record, rule: Rule, text: str) -> set[RawEdge]:
    edges: set[RawEdge] = set()
    for key in references.resolve(text, rule.targets):
        if key == record.urn:
            continue
        label = rule.label or ("contract" if key.startswith("stack:") else "")
        edges.add((key, record.urn, label) if rule.direction == "in" else (record.urn, key, label))
    return edges


def contract(edges: set[RawEdge], hidden: Iterable[str]) -> set[RawEdge]:
    """Replace every hidden node by direct edges from its predecessors to its successors."""
    edges = set(edges)
    for node in sorted(set(hidden)):
        incoming = sorted(edge for edge in edges if edge[1] == node)
        outgoing = sorted(edge for edge in edges if edge[0] == node)
        edges -= set(incoming) | set(outgoing)
        for source, _, label_in in incoming:
            for _, target, label_out in outgoing:
                if source != target:
                    edges.add((source, target, label_in or label_out))
    return edges
