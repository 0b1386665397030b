"""The engine's protobuf requests for a recorded stack: Analyze per resource (inputs) and
AnalyzeStack (outputs, parents, dependencies, providers), each message built once."""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb


def struct(value: Optional[Mapping[str, Any]]) -> struct_pb2.Struct:
    """`value` as a protobuf Struct. Recorded graphs hold plain JSON values, which Struct takes as
    they are; anything else (tuples, non-string keys) goes through a JSON round trip first."""
    s = struct_pb2.Struct()
    try:
        s.update(value or {})
    except (TypeError, ValueError, AttributeError):
        s = struct_pb2.Struct()
        s.update(json.loads(json.dumps(value or {})))
    return s


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    return urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1] if urn.count("::") >= 3 else ""


def provider_urn(ref: str) -> str:
    """'<urn>::<id>' -> '<urn>' (the engine's provider reference format)."""
    return ref.rsplit("::", 1)[0] if ref else ""


def outputs_of(r: Mapping[str, Any]) -> Mapping[str, Any]:
    if r["type"].startswith("pulumi:providers:"):
        return {**(r.get("inputs") or {}), **(r.get("outputs") or {})}
    return r["outputs"] if r.get("outputs") is not None else (r.get("inputs") or {})


class Stack:
    def __init__(self, resources: Sequence[Mapping[str, Any]]):
        self.resources = list(resources)
        self.by_urn = {r["urn"]: r for r in self.resources}
        # Messages are immutable once built: each provider and each stack item is built once.
        self._providers: dict[str, pb.AnalyzerProviderResource] = {}
        self._items: dict[str, pb.AnalyzerResource] = {}

    def provider(self, r: Mapping[str, Any]) -> Optional[pb.AnalyzerProviderResource]:
        urn = provider_urn(r.get("provider") or "")
        if not urn:
            return None
        if urn not in self._providers:
            prov = self.by_urn.get(urn)
            self._providers[urn] = pb.AnalyzerProviderResource(
                type=prov["type"] if prov else urn_type(urn), urn=urn, name=urn_name(urn),
                properties=struct(prov.get("inputs") if prov else {}))
        return self._providers[urn]

    def options(self, r: Mapping[str, Any], with_parent: bool) -> pb.AnalyzerResourceOptions:
        opts = pb.AnalyzerResourceOptions(protect=bool(r.get("protect")),
                                          ignoreChanges=list(r.get("ignore_changes") or []))
        if with_parent and r.get("parent"):
            opts.parent = r["parent"]
        return opts

    def analyze_request(self, r: Mapping[str, Any]) -> pb.AnalyzeRequest:
        req = pb.AnalyzeRequest(type=r["type"], urn=r["urn"], name=urn_name(r["urn"]),
                                properties=struct(r.get("inputs")), options=self.options(r, True))
        provider = self.provider(r)
        if provider is not None:
            req.provider.CopyFrom(provider)
        return req

    def stack_request(self, resources: Optional[Sequence[Mapping[str, Any]]] = None) -> pb.AnalyzeStackRequest:
        req = pb.AnalyzeStackRequest()
        req.resources.extend(self._stack_item(r) for r in (self.resources if resources is None else resources))
        return req

    def _stack_item(self, r: Mapping[str, Any]) -> pb.AnalyzerResource:
        """One resource as AnalyzeStack sees it; built once per resource and reused by every request."""
        cache = self._items
        if r["urn"] not in cache:
            item = pb.AnalyzerResource(type=r["type"], urn=r["urn"], name=urn_name(r["urn"]),
                                       properties=struct(outputs_of(r)), options=self.options(r, False),
                                       parent=r.get("parent") or "", dependencies=list(r.get("dependencies") or []))
            for prop, urns in (r.get("property_dependencies") or r.get("propertyDependencies") or {}).items():
                item.propertyDependencies[prop].urns.extend(urns)
            provider = self.provider(r)
            if provider is not None:
                item.provider.CopyFrom(provider)
            cache[r["urn"]] = item
        return cache[r["urn"]]

