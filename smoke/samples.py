"""Records the flows send, built from what the platform declares, never written by hand.

A batch file's columns are the source fields of the datasets the reportable job builds (its
`--datasets` argument) and the ETL job's required fields; each value fits its declared type. Every
string value of a row is the row's id (`smoke-<run>-<n>`), so a row is recognisable wherever it
lands, whichever columns survive. Expectations are worked out from the declarations (which
dataset reads which source, which fields are required), independently of the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Sequence

_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")
GOOD_ROWS = 2


def event_moment(days_ago: int = 40) -> datetime:
    """A fixed, past moment: records carry it so where they land proves which field was read."""
    now = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    return now - timedelta(days=days_ago)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def good_value(column_type: str, row_id: str, n: int, moment: datetime) -> str:
    kind = column_type.replace(" ", "").lower()
    decimal = _DECIMAL.fullmatch(kind)
    if decimal:
        scale = int(decimal.group(2))
        return f"{10 + n}" + (f".{'5' * scale}" if scale else "")
    return {"string": row_id, "int": str(n + 1), "bigint": str(n + 1), "float": "1.5", "double": "2.5",
            "boolean": "true", "date": moment.strftime("%Y-%m-%d"), "timestamp": iso(moment)}.get(kind, row_id)


def bad_value(column_type: str) -> Optional[str]:
    """A value the dataset must reject for this type, or None for string (anything is a string)."""
    kind = column_type.replace(" ", "").lower()
    decimal = _DECIMAL.fullmatch(kind)
    if decimal:
        return "10." + "5" * (int(decimal.group(2)) + 1)  # one decimal too many: rejected, never rounded
    return {"int": "not-a-number", "bigint": "not-a-number", "float": "not-a-number", "double": "not-a-number",
            "boolean": "maybe", "date": "not-a-date", "timestamp": "not-a-date"}.get(kind)


@dataclass
class BatchSample:
    """A batch file and where each of its rows must end up."""

    body: bytes
    suffix: str
    content_type: str
    good: list[str]
    etl_reject: str
    etl_reject_field: str
    shape_reject: Optional[str]
    shape_reject_field: Optional[str]
    expected_rows: dict[str, list[str]] = field(default_factory=dict)  # dataset -> row ids appended
    expected_rejects: dict[str, list[str]] = field(default_factory=dict)  # dataset -> row ids quarantined

    @property
    def rows(self) -> list[str]:
        return self.good + [self.etl_reject] + ([self.shape_reject] if self.shape_reject else [])


def batch_file(datasets: Sequence[Mapping[str, Any]], required_fields: Sequence[str], run_id: str,
               fmt: str = "csv", moment: Optional[datetime] = None) -> BatchSample:
    """A file of GOOD_ROWS good rows, one row the ETL job must reject (a required field blank) and,
    when some dataset reads a typed field, one row that dataset must reject (a bad value there)."""
    moment = moment or event_moment(days_ago=3)
    types: dict[str, str] = {}
    readers: dict[str, list[str]] = {}
    partition_sources: set[str] = set()
    for dataset in datasets:
        for column in dataset["columns"]:
            source = column.get("source") or column["name"]
            types.setdefault(source, column["type"])
            readers.setdefault(source, []).append(dataset["name"])
            if column["name"] in (dataset.get("partitioning") or []):
                partition_sources.add(source)
    for name in required_fields:
        types.setdefault(name, "string")
    columns = list(types)
    ids = [f"smoke-{run_id}-{n}" for n in range(GOOD_ROWS + 2)]
    rows = [{c: good_value(types[c], ids[n], n, moment) for c in columns} for n in range(len(ids))]
    good, etl_reject = ids[:GOOD_ROWS], ids[GOOD_ROWS]
    # Blank a required field that is not a string (the row stays recognisable by its strings).
    etl_field = next((f for f in required_fields if types.get(f) != "string"), required_fields[0])
    rows[GOOD_ROWS][etl_field] = ""
    shape_field = next((c for c in columns if c not in required_fields and c not in partition_sources
                        and bad_value(types[c]) is not None), None)
    if shape_field is None:
        rows.pop()
        shape_reject = None
    else:
        shape_reject = ids[GOOD_ROWS + 1]
        rows[GOOD_ROWS + 1][shape_field] = bad_value(types[shape_field])
    sample = BatchSample(body=b"", suffix="", content_type="", good=good, etl_reject=etl_reject,
                         etl_reject_field=etl_field, shape_reject=shape_reject, shape_reject_field=shape_field)
    for dataset in datasets:
        rejecting = shape_reject is not None and dataset["name"] in readers.get(shape_field, [])
        sample.expected_rows[dataset["name"]] = good + ([shape_reject] if shape_reject and not rejecting else [])
        sample.expected_rejects[dataset["name"]] = [shape_reject] if rejecting else []
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sample.body, sample.suffix, sample.content_type = out.getvalue().encode(), ".csv", "text/csv"
    elif fmt == "json":
        sample.body = "".join(json.dumps(row) + "\n" for row in rows).encode()
        sample.suffix, sample.content_type = ".json", "application/json"
    else:
        raise ValueError(f"format {fmt!r}: csv or json")
    return sample


def mentions(record: Any, marker: str) -> bool:
    """Does a (nested) record carry `marker` as one of its values?"""
    if isinstance(record, Mapping):
        return any(mentions(value, marker) for value in record.values())
    if isinstance(record, (list, tuple)):
        return any(mentions(value, marker) for value in record)
    return record == marker


def key_value(kind: str, text: str) -> Any:
    """A table key value of a declared key type (S or N) carrying `text` where it can."""
    if kind == "N":
        return int.from_bytes(text.encode()[-6:], "big")
    return text
