"""Read a `Pulumi.<stack>.yaml` file into the flat config map the engine hands the program.

Strict where the Pulumi CLI is strict, so the offline tools refuse what `pulumi up` would refuse:
the file must be a mapping with a `config:` mapping; duplicate keys are errors (with line and
column); keys are strings; YAML is read with the YAML 1.2 core schema the CLI uses (`yes`,
`on`, `2024-01-01` and `1:20` stay strings). Every problem is one line naming the file.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml

PROJECT = "data-delivery-platform"
# What a Pulumi stack settings file may hold at its top level.
TOP_LEVEL_KEYS = ("config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider")


class StackFileError(Exception):
    """The stack file itself cannot be read (missing, not YAML, not a stack file)."""


class _CoreLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and duplicate-key detection."""


_CoreLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
):
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise StackFileError(f"{_where(key_node.start_mark)}: key {json.dumps(key, default=str)} must be a string")
        if key in out:
            raise StackFileError(f"{_where(key_node.start_mark)}: duplicate key '{key}' (the Pulumi CLI refuses "
                                 "duplicate keys; keep one)")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_CoreLoader.add_constructor("tag:yaml.org,2002:int", _int)
_CoreLoader.add_constructor("tag:yaml.org,2002:bool", _bool)
_CoreLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_CoreLoader)  # noqa: S506 - a SafeLoader subclass
    except StackFileError as exc:
        raise StackFileError(f"{name}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "not valid YAML"
        raise StackFileError(f"{name}: not valid YAML at {_where(mark)}: {what}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{name}: not valid YAML: {str(exc).splitlines()[0]}") from None


def config_value(value: Any) -> str:
    """A config value as the engine hands it over: strings as-is, everything else as JSON."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return "[secret]"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_stack_file(path: Path) -> dict[str, str]:
    """The flat `{"<namespace>:<key>": value}` map of a stack file, or StackFileError."""
    name = path.name
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{name}: cannot read the stack file ({exc})") from None
    doc = read_yaml(text, name)
    if doc is None:
        raise StackFileError(f"{name}: the file is empty; a stack file is a mapping with config: {{...}}")
    if not isinstance(doc, dict):
        raise StackFileError(f"{name}: must be a mapping with config: {{...}} at the top, got a {type(doc).__name__}")
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise StackFileError(f"{name}: {key}: unknown top-level key; {hint}allowed: {', '.join(TOP_LEVEL_KEYS)}")
    if "config" not in doc:
        raise StackFileError(f"{name}: config: required; the stack's settings live under config:")
    raw = doc["config"]
    if not isinstance(raw, dict):
        raise StackFileError(f"{name}: config: must be a mapping of keys to values")
    out: dict[str, str] = {}
    for key, value in raw.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if full in out:
            raise StackFileError(f"{name}: config: '{key}' and '{full}' are the same key; keep one")
        out[full] = config_value(value)
    return out
