"""What the recording monitor keeps of each registered resource, and how its values are read back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass
class Record:
    """One registered resource as the engine would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    providers: dict[str, str]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    remote: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn, "type": self.type, "name": self.name, "custom": self.custom,
            "parent": self.parent or None, "provider": self.provider, "providers": self.providers,
            "protect": self.protect, "retain_on_delete": self.retain_on_delete,
            "dependencies": self.dependencies, "id": self.id,
            "inputs": plain(self.inputs), "outputs": plain(self.outputs), "remote": self.remote,
            "ignore_changes": list(self.ignore_changes), "property_dependencies": dict(self.property_dependencies),
        }


def decoded_provider_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Providers receive nested config as JSON text (the engine sends it so); decode it to read it."""
    decoded = {}
    for key, value in inputs.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        decoded[key] = value
    return decoded


def plain(value: Any) -> Any:
    """JSON-safe copy of deserialized property values (resources become their URN)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        path = getattr(value, "path", None) or getattr(value, "text", None)
        return f"<{type(value).__name__} {path}>" if path else f"<{type(value).__name__}>"
    return str(value)
