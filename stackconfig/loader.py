"""Read the stack's config (from the Pulumi engine or a stack file) into `StackSettings`.

A bad value ends the run with one line naming the stack file, the key path, the value and what
is allowed. `SettingsError` is a `pulumi.RunError`, which the Pulumi CLI prints without a
traceback; it is raised before any resource is declared, so nothing is half-deployed.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import pulumi
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from stackconfig.model import StackSettings, check_physical_names

PROJECT = "data-delivery-platform"
# Keys that are not ours but that we read.
REGION_KEY = "aws:region"


class SettingsError(pulumi.RunError):
    """A stack file value is invalid. The message is the one line the user sees."""


def _field_keys() -> dict[str, str]:
    return {
        (f.alias or to_camel(name)): name for name, f in StackSettings.model_fields.items() if name != "region"
    }


def _decode(value: Any) -> Any:
    # The engine hands structured config over as JSON text; plain strings stay strings.
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{" or text in ("true", "false"):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
    return value


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _item_name(data: dict, loc: tuple) -> str:
    """' [in orders]' when the error is inside a named list item, so users need not count."""
    if len(loc) >= 2 and isinstance(loc[1], int):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            name = items[loc[1]].get("name")
            if isinstance(name, str):
                return f" [in {name}]"
    return ""


def parse_settings(config: Mapping[str, Any], *, source: str) -> StackSettings:
    """Validate a flat `{"<namespace>:<key>": value}` config map; `source` names the stack file."""
    keys = _field_keys()
    data: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if key not in keys:
            raise SettingsError(
                f"{source}: {full_key}: unknown key; allowed keys: {', '.join(sorted(keys))}"
            )
        data[key] = _decode(value)
    if REGION_KEY not in config:
        raise SettingsError(f"{source}: {REGION_KEY}: required; set the primary region, e.g. us-east-1")
    data["region"] = _decode(config[REGION_KEY])
    try:
        settings = StackSettings.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        loc = first["loc"]
        key = REGION_KEY if loc[:1] == ("region",) else f"{PROJECT}:{_path(loc)}" if loc else PROJECT
        msg = first["msg"].removeprefix("Value error, ")
        value = first.get("input")
        got = "" if first["type"] == "missing" or isinstance(value, (dict, list)) and first["type"] == "value_error" \
            else f" (got {_short(value)})"
        where = _item_name(data, loc)
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        more = f" [+{len(errors) - 1} more problem(s)]" if len(errors) > 1 else ""
        raise SettingsError(f"{source}: {key}: {msg}{got}{where}{more}") from None
    problems = check_physical_names(settings)
    if problems:
        key, msg = problems[0]
        more = f" [+{len(problems) - 1} more problem(s)]" if len(problems) > 1 else ""
        raise SettingsError(f"{source}: {PROJECT}:{key}: {msg}{more}")
    return settings


def current_config() -> dict[str, Any]:
    """Every config key the engine (or the offline runner) gave this program."""
    from pulumi.runtime import config as rc

    merged = dict(rc.get_config_env())
    merged.update(rc.CONFIG.get())
    return merged


def load_settings() -> StackSettings:
    return parse_settings(current_config(), source=f"Pulumi.{pulumi.get_stack()}.yaml")
