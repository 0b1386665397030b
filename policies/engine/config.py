"""The policy-pack config the CLI would send: defaults, ``all``, per-policy levels and properties,
validated against each policy's schema (same format as ``--policy-pack-config``)."""
from __future__ import annotations

import copy
import functools
import json
from typing import Any, Mapping, Optional

from pulumi.runtime.proto import analyzer_pb2 as pb

from .report import LEVEL_CODES, LEVELS


class PolicyConfigError(ValueError):
    """The policy config is invalid (unknown level or a value the policy's schema rejects)."""


def _parse_config(config: Optional[Mapping[str, Any]]) -> dict[str, tuple[Optional[str], dict]]:
    """The CLI's policy-pack-config format -> {policy: (level or None, properties)}."""
    parsed: dict[str, tuple[Optional[str], dict]] = {}
    for key, value in (config or {}).items():
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
        else:
            raise PolicyConfigError(f"{key}: {value!r} is not a valid value; must be a string or object")
        if level is not None and level not in LEVEL_CODES:
            raise PolicyConfigError(f"{key}: {level!r} is not a valid enforcement level")
        parsed[key] = (level, props)
    return parsed


class _PackSchemas:
    """What reconciliation needs from GetAnalyzerInfo, derived once per info message (a pack's
    policies, default levels and schemas are fixed for its lifetime): per policy its default
    level, schema, schema defaults and the validation errors of those defaults."""

    def __init__(self, info: pb.AnalyzerInfo):
        from google.protobuf import json_format

        self.info = info
        self.levels: dict[str, str] = {}
        self.schemas: dict[str, dict] = {}
        self.defaults: dict[str, dict] = {}
        self.default_errors: dict[str, list[str]] = {}
        for p in info.policies:
            schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
            self.levels[p.name] = LEVELS[p.enforcementLevel]
            self.schemas[p.name] = {"properties": schema, "required": list(p.configSchema.required)}
            self.defaults[p.name] = {k: v["default"] for k, v in schema.items() if "default" in v}
            self.default_errors[p.name] = _validate(self.schemas[p.name], self.defaults[p.name])


_SCHEMAS: dict[int, _PackSchemas] = {}


def _pack_schemas(info: pb.AnalyzerInfo) -> _PackSchemas:
    cached = _SCHEMAS.get(id(info))
    if cached is None or cached.info is not info:  # the entry keeps its info alive: ids stay unique
        if len(_SCHEMAS) > 16:
            _SCHEMAS.clear()
        cached = _SCHEMAS[id(info)] = _PackSchemas(info)
    return cached


def reconcile_config(info: pb.AnalyzerInfo, config: Optional[Mapping[str, Any]]) -> dict[str, tuple[str, dict]]:
    """Defaults from each policy's level and schema, then "all", then per-policy values; validated.
    Validation is a function of schema and values alone: a policy the config gives no values for
    keeps its defaults, whose errors were found once per pack (`_PackSchemas`)."""
    pack = _pack_schemas(info)
    given = _parse_config(config)
    unknown = sorted(set(given) - set(pack.levels) - {"all"})
    if unknown:
        raise PolicyConfigError(f"unknown policies in config: {', '.join(unknown)}")
    all_level = given.get("all", (None, {}))[0]
    result: dict[str, tuple[str, dict]] = {}
    errors = []
    for name, default_level in pack.levels.items():
        level, props = given.get(name, (None, {}))
        merged = copy.deepcopy({**pack.defaults[name], **props}) if props or pack.defaults[name] else {}
        result[name] = (level or all_level or default_level, merged)
        errors += [f"{name}: {e}" for e in (_validate(pack.schemas[name], merged) if props
                                            else pack.default_errors[name])]
    if errors:
        raise PolicyConfigError("; ".join(errors))
    return result


def _validate(schema: dict, props: dict) -> list[str]:
    if not schema["properties"]:
        return []
    json_schema = {"type": "object", "properties": schema["properties"]}
    if schema["required"]:
        json_schema["required"] = schema["required"]
    validator = _validator(json.dumps(json_schema, sort_keys=True))
    if validator is None:
        return []
    return [f"{'.'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in validator.iter_errors(props)]


@functools.lru_cache(maxsize=None)
def _validator(schema_json: str) -> Any:
    """A compiled validator per schema (a policy's schema is fixed for the pack's lifetime)."""
    try:
        import jsonschema
    except ImportError:  # the CLI validates with gojsonschema; offline, best effort
        return None
    return jsonschema.Draft7Validator(json.loads(schema_json))
