"""The breaking-change gate of published datasets.

A dataset's schema is a promise to its consumers. Before anything is declared, each declared
dataset is compared with the one this stack last published (its own `dataProducts` output, read
through a StackReference to itself): a breaking change without a new major version stops the run
with one line naming the column. Breaking, for a reader: a column removed, retyped (other than the
widenings Iceberg performs in place: int -> bigint, float -> double, decimal precision up at the
same scale), made nullable, or classified more sensitively (consumers cleared below it lose it);
partitioning changed. A version lower than the published one, or the same version with a
different schema, is refused too. A first deployment has nothing published: nothing to compare.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

import pulumi

from components.data_product.spec import CLASSIFICATION_ORDER, DataProductSpec, DatasetSpec
from components.sharing.stack_outputs import read_stack_outputs
from stackconfig.loader import PROJECT, SettingsError

_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")


def _widens(old: str, new: str) -> bool:
    if (old, new) in {("int", "bigint"), ("float", "double")}:
        return True
    a, b = _DECIMAL.fullmatch(old), _DECIMAL.fullmatch(new)
    return bool(a and b and a[2] == b[2] and int(b[1]) > int(a[1]))


def breaking_changes(old: DatasetSpec, new: DatasetSpec, *, product_classification: str) -> list[str]:
    """What breaks a reader of `old` in `new`, one phrase per column (empty: compatible)."""
    problems = []
    columns = {c.name: c for c in new.columns}
    rank = CLASSIFICATION_ORDER.index
    for before in old.columns:
        after = columns.get(before.name)
        if after is None:
            problems.append(f"column '{before.name}' removed")
            continue
        if after.type != before.type and not _widens(before.type, after.type):
            problems.append(f"column '{before.name}' retyped {before.type} -> {after.type}")
        if after.nullable and not before.nullable:
            problems.append(f"column '{before.name}' made nullable")
        was = old.column_classification(before, product_classification)
        now = new.column_classification(after, product_classification)
        if rank(now) > rank(was):
            problems.append(f"column '{before.name}' classified {was} -> {now} (consumers cleared for {was} lose it)")
    if tuple(old.partitioning) != tuple(new.partitioning):
        problems.append(f"partitioning changed {list(old.partitioning)} -> {list(new.partitioning)}")
    return problems


def _version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in text.split("."))
    return major, minor, patch


def _same_schema(a: DatasetSpec, b: DatasetSpec) -> bool:
    return (a.columns, a.partitioning, a.classification) == (b.columns, b.partitioning, b.classification)


def check_dataset_versions(specs: Mapping[str, DataProductSpec],
                           published: Mapping[str, Mapping[str, DatasetSpec]], *, source: str) -> None:
    """Each declared dataset against its published self; SettingsError at the first problem."""
    for i, (name, spec) in enumerate(specs.items()):
        for j, dataset in enumerate(spec.datasets):
            old = (published.get(name) or {}).get(dataset.name)
            if old is None:
                continue
            key = f"{PROJECT}:dataProducts[{i}].datasets[{j}].version"
            where = f"{source}: {key}: {name}.{dataset.name}"
            if _version(dataset.version) < _version(old.version):
                raise SettingsError(f"{where} {dataset.version} is lower than the published {old.version}")
            breaking = breaking_changes(old, dataset, product_classification=spec.classification)
            if breaking and dataset.major == old.major:
                raise SettingsError(f"{where}: {breaking[0]}, a breaking change for consumers of {old.version}; "
                                    f"publish it as {old.major + 1}.0.0 (consumers then move their pin to "
                                    f"{dataset.name}@{old.major + 1})")
            if dataset.version == old.version and not _same_schema(dataset, old):
                raise SettingsError(f"{where}: the schema differs from the published {old.version}; give the "
                                    "change a new version")


def published_datasets(outputs: Optional[Mapping[str, Any]]) -> dict[str, dict[str, DatasetSpec]]:
    """product -> dataset name -> the dataset as last published, from this stack's `dataProducts`."""
    published: dict[str, dict[str, DatasetSpec]] = {}
    for name, contract in ((outputs or {}).get("dataProducts") or {}).items():
        spec = (contract or {}).get("spec") or {}
        datasets = spec.get("datasets") or []
        if datasets:
            published[name] = {d.name: d for d in DataProductSpec.from_dict(spec).datasets}
    return published


def read_published_datasets(specs: Mapping[str, DataProductSpec]) -> dict[str, dict[str, DatasetSpec]]:
    """This stack's own last published datasets, read through a StackReference to itself (empty on
    a first deployment); nothing is read when no dataset is declared."""
    if not any(spec.datasets for spec in specs.values()):
        return {}
    try:
        organization = pulumi.get_organization()
    except Exception:  # noqa: BLE001 - engines without an organization
        organization = None
    # Self-managed backends name every stack's organization `organization`.
    organization = organization or "organization"
    me = f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}"
    outputs = read_stack_outputs(pulumi.StackReference("published-datasets", stack_name=me), "dataProducts")
    return published_datasets(outputs)
