"""What a Lake Formation principal can read, worked out from a recorded graph the way Lake Formation
decides it for LF-tag based grants (LF-TBAC).

Lake Formation's rules, as the Developer Guide states them ("Lake Formation tag-based access
control", "Managing LF-Tags for metadata access control"):
- a column's effective value for a key is the value assigned to the column, else to its table,
  else to its database (the nearest assignment wins: tags are inherited and overridden);
- a grant by LF-tag expression on TABLE resources matches a column when, for every key of the
  expression, the column's effective value is one of the expression's values; a table is visible
  with the columns that match (a table none of whose columns match is not visible);
- a grant on DATABASE resources matches a database whose own values satisfy the expression.
Named grants (`table`, `tableWithColumns`) add exactly the tables and columns they name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

PERMISSIONS = "aws:lakeformation/permissions:Permissions"
ASSIGNMENT = "aws:lakeformation/resourceLfTags:ResourceLfTags"
TABLE = "aws:glue/catalogTable:CatalogTable"


@dataclass(frozen=True)
class CatalogTags:
    """LF-tag assignments of a graph: (db) / (db, table) / (db, table, column) -> {key: value}."""

    databases: Mapping[str, dict[str, str]]
    tables: Mapping[tuple[str, str], dict[str, str]]
    columns: Mapping[tuple[str, str, str], dict[str, str]]

    def effective(self, db: str, table: str, column: str) -> dict[str, str]:
        return {**self.databases.get(db, {}), **self.tables.get((db, table), {}),
                **self.columns.get((db, table, column), {})}


def catalog_tags(resources: Iterable[Any]) -> CatalogTags:
    databases: dict[str, dict[str, str]] = {}
    tables: dict[tuple[str, str], dict[str, str]] = {}
    columns: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in resources:
        if r.type != ASSIGNMENT:
            continue
        tags = {t["key"]: t["value"] for t in r.inputs["lfTags"]}
        if "database" in r.inputs:
            databases.setdefault(r.inputs["database"]["name"], {}).update(tags)
        elif "table" in r.inputs:
            t = r.inputs["table"]
            tables.setdefault((t["databaseName"], t["name"]), {}).update(tags)
        else:
            t = r.inputs["tableWithColumns"]
            for column in t["columnNames"]:
                columns.setdefault((t["databaseName"], t["name"], column), {}).update(tags)
    return CatalogTags(databases, tables, columns)


def table_columns(resources: Iterable[Any]) -> dict[tuple[str, str], list[str]]:
    """(database, table) -> its columns, from the declared Iceberg schema."""
    out = {}
    for r in resources:
        if r.type == TABLE and "openTableFormatInput" in r.inputs:
            fields = r.inputs["openTableFormatInput"]["icebergInput"]["icebergTableInput"]["schema"]["fields"]
            out[(r.inputs["databaseName"], r.inputs["name"])] = [f["name"] for f in fields]
    return out


def _matches(values: Mapping[str, str], expressions: list[Mapping[str, Any]]) -> bool:
    return all(values.get(e["key"]) in e["values"] for e in expressions)


def visible_columns(resources: list[Any], principal: str, permission: str = "SELECT",
                    *, databases: Optional[Iterable[str]] = None) -> dict[tuple[str, str], list[str]]:
    """(database, table) -> the columns `principal` holds `permission` on, in declared order."""
    tags, schema = catalog_tags(resources), table_columns(resources)
    seen: dict[tuple[str, str], set[str]] = {}
    for grant in (r for r in resources if r.type == PERMISSIONS):
        g = grant.inputs
        if g.get("principal") != principal or permission not in g.get("permissions", []):
            continue
        policy = g.get("lfTagPolicy")
        if policy and policy["resourceType"] == "TABLE":
            for (db, table), names in schema.items():
                for column in names:
                    if _matches(tags.effective(db, table, column), policy["expressions"]):
                        seen.setdefault((db, table), set()).add(column)
        elif "tableWithColumns" in g:
            t = g["tableWithColumns"]
            seen.setdefault((t["databaseName"], t["name"]), set()).update(t.get("columnNames") or [])
        elif "table" in g and not g["table"].get("wildcard"):
            t = g["table"]
            seen.setdefault((t["databaseName"], t["name"]), set()).update(schema.get((t["databaseName"], t["name"]), []))
    wanted = set(databases) if databases is not None else None
    return {key: [c for c in schema.get(key, sorted(cols)) if c in cols]
            for key, cols in seen.items() if cols and (wanted is None or key[0] in wanted)}


def tag_policy_matches(resources: Iterable[Any], policy: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The catalog resources an `lfTagPolicy` grant covers, by the rules above, sorted: `(database,)`
    for a DATABASE policy (the database's own values satisfy the expression), `(database, table)` for
    a TABLE policy (at least one of the table's columns matches; a table none of whose columns match
    is not visible). Only what the graph declares: tagged databases and Iceberg tables."""
    resources = list(resources)
    tags, expressions = catalog_tags(resources), policy["expressions"]
    if policy["resourceType"] == "DATABASE":
        return sorted((db,) for db, values in tags.databases.items() if _matches(values, expressions))
    return sorted(key for key, names in table_columns(resources).items()
                  if any(_matches(tags.effective(*key, column), expressions) for column in names))
