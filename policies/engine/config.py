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


def reconcile_config(info: pb.AnalyzerInfo, config: Optional[Mapping[str, Any]]) -> dict[str, tuple[str, dict]]:
    """Defaults from each policy's level and schema, then "all", then per-policy values; validated."""
    from google.protobuf import json_format

    result: dict[str, tuple[str, dict]] = {}
    schemas: dict[str, dict] = {}
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        schemas[p.name] = {"properties": schema, "required": list(p.configSchema.required)}
        defaults = {k: copy.deepcopy(v["default"]) for k, v in schema.items() if "default" in v}
        result[p.name] = (LEVELS[p.enforcementLevel], defaults)

    given = _parse_config(config)
    unknown = sorted(set(given) - set(result) - {"all"})
    if unknown:
        raise PolicyConfigError(f"unknown policies in config: {', '.join(unknown)}")
    all_level = given.get("all", (None, {}))[0]
    if all_level:
        result = {k: (all_level, v) for k, (_, v) in result.items()}
    for name, (level, props) in given.items():
        if name == "all":
            continue
        old_level, old_props = result[name]
        result[name] = (level or old_level, {**old_props, **props})

    errors = []
    for name, (_, props) in result.items():
        errors += [f"{name}: {e}" for e in _validate(schemas[name], props)]
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
