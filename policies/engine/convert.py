"""A request's protobuf ``Struct`` as the plain dict pulumi-policy's servicer builds from it.

pulumi-policy converts every request's properties with ``json_format.MessageToDict`` before
``deserialize_properties`` (pulumi_policy/policy.py ``_PolicyAnalyzerServicer.Analyze``,
``AnalyzeStack``, ``_get_provider_resource``). For a ``Struct`` that is the proto3 JSON mapping
of google.protobuf ``Value`` (protobuf/json_format.py ``_StructMessageToJsonObject``,
``_ValueMessageToJsonObject``): null or unset -> None, number -> float, string, bool,
struct -> dict in the map's iteration order, list -> list; an infinite or NaN number raises.
``struct_to_dict`` produces the same dict about twice as fast by reading the oneof directly; for a
non-finite number it hands the whole Struct to ``MessageToDict`` so the same error is raised.
Imported by the served servicer, so it must not import the project (the CLI has ``policies/`` as
its only root).
"""
from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

_which_kind = struct_pb2.Value.WhichOneof


class _NotFinite(Exception):
    """A number MessageToDict refuses (inf, NaN): let it raise its own error."""


def _value(v: struct_pb2.Value) -> Any:
    which = _which_kind(v, "kind")
    if which == "string_value":
        return v.string_value
    if which == "struct_value":
        fields = v.struct_value.fields
        return {k: _value(fields[k]) for k in fields}
    if which == "bool_value":
        return v.bool_value
    if which == "number_value":
        x = v.number_value
        if x - x != 0:  # inf - inf and nan - nan are nan
            raise _NotFinite
        return x
    if which == "list_value":
        return [_value(item) for item in v.list_value.values]
    return None  # null_value or unset, as json_format treats both


def struct_to_dict(s: struct_pb2.Struct) -> dict[str, Any]:
    """``json_format.MessageToDict(s)`` for a Struct, same values and key order."""
    fields = s.fields
    try:
        return {k: _value(fields[k]) for k in fields}
    except _NotFinite:
        return json_format.MessageToDict(s)
