"""Which Glue Data Catalog database and table a property names, across the stack.

A reference (a ResourceLfTags target, a Data Quality ruleset's targetTable) names a database and a
table by value. During a first preview those values are often unknown: they are wired from a
CatalogDatabase's or CatalogTable's outputs. The engine still records which resources each
top-level property depends on, so an unknown name resolves through the catalog resource it is
wired from. What neither a value nor a dependency decides is MAYBE: the pack judges it at update.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from ._base import UNKNOWN, of_type, peek

CATALOG_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable"


class _Maybe:
    """Undecided until the values are known (tri-state with True and False)."""

    def __repr__(self) -> str:
        return "MAYBE"


MAYBE: Any = _Maybe()
Tri = Union[bool, _Maybe]


def both(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    return True if a is True and b is True else MAYBE


@dataclass(frozen=True)
class Name:
    """One name (a database's or a table's): its value (str, UNKNOWN or None) once resolved, and
    the urns of the resources that own it (wired from them, or known to carry it)."""
    value: Any
    owners: frozenset


def _dependencies(resource: Any, prop: str) -> set[str]:
    return {d.urn for d in (resource.property_dependencies or {}).get(prop, [])}


def _resolve(value: Any, deps: set[str], carriers: list[tuple[Any, str]]) -> Name:
    """A name's value and its owners. ``carriers``: (resource, property) pairs that carry such a
    name (a database's ``name``, a table's ``databaseName``). Owners are the carriers the reference
    is wired from and those known to carry the same value; an unknown value is taken from the
    carriers it is wired from when they agree on one known name."""
    owners = {r.urn for r, _ in carriers if r.urn in deps}
    if value is UNKNOWN:
        known = {peek(r.props, key) for r, key in carriers if r.urn in owners}
        known = {v for v in known if isinstance(v, str)}
        if len(known) == 1:
            value = known.pop()
    if isinstance(value, str):
        owners |= {r.urn for r, key in carriers if peek(r.props, key) == value}
    return Name(value, frozenset(owners))


def _database_carriers(resources: list) -> list[tuple[Any, str]]:
    return ([(d, "name") for d in of_type(resources, CATALOG_DATABASE)]
            + [(t, "databaseName") for t in of_type(resources, CATALOG_TABLE)])


def table_names(table: Any, resources: list) -> tuple[Name, Name]:
    """(database, table) of a CatalogTable; the table carries both names itself."""
    database = _resolve(peek(table.props, "databaseName"), _dependencies(table, "databaseName"),
                        _database_carriers(resources))
    return Name(database.value, database.owners | {table.urn}), Name(peek(table.props, "name"), frozenset({table.urn}))


def reference_names(resource: Any, prop: str, database_key: str, table_key: Optional[str],
                    resources: list) -> tuple[Name, Name]:
    """(database, table) a reference names in ``resource.<prop>.{database_key, table_key}``; no
    table_key: a database only (the table part then names nothing)."""
    deps = _dependencies(resource, prop)
    block = peek(resource.props, prop)
    database = _resolve(UNKNOWN if block is UNKNOWN else peek(block, database_key), deps,
                        _database_carriers(resources))
    if table_key is None:
        return database, Name(None, frozenset())
    table = _resolve(UNKNOWN if block is UNKNOWN else peek(block, table_key), deps,
                     [(t, "name") for t in of_type(resources, CATALOG_TABLE)])
    return database, table


def same(reference: Name, target: Name) -> Tri:
    """Whether a reference names the target: by value when both are known (an absent name names
    nothing), else by the resource the reference is wired from; MAYBE when neither decides."""
    if reference.value is None or target.value is None:
        return False
    if isinstance(reference.value, str) and isinstance(target.value, str):
        return reference.value == target.value
    if reference.owners & target.owners:
        return True
    return MAYBE


def shown_name(name: Name) -> str:
    return name.value if isinstance(name.value, str) else "(known after apply)"
