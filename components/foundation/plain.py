"""Frozen dataclasses from plain values (what a stack export holds after JSON): the one
reader the specs use to travel through another stack's outputs."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping

# (dataclass, field name) -> the dataclass that field holds (or a list/tuple of).
Nested = Mapping[tuple[type, str], type]


def from_plain(cls: type, data: Mapping[str, Any], nested: Nested) -> Any:
    """`cls` built from `data`; lists become tuples, nested fields become their dataclasses.
    An unknown field is an error (a newer writer than this reader)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        inner = nested.get((cls, name))
        if inner is not None and value is not None:
            value = (tuple(from_plain(inner, v, nested) for v in value) if isinstance(value, (list, tuple))
                     else from_plain(inner, value, nested))
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, float) and value.is_integer() and _wants_int(hints[name]):
            value = int(value)  # stack outputs carry every number as a double
        values[name] = value
    return cls(**values)


def _wants_int(hint: Any) -> bool:
    return hint is int or int in typing.get_args(hint)
