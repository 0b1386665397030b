"""Read the stack's config (from the Pulumi engine or a stack file) into `StackSettings`.

A bad value ends the run with one line naming the stack file, the key path, the value and what
is allowed. `SettingsError` is a `pulumi.RunError`, which the Pulumi CLI prints without a
traceback; it is raised before any resource is declared, so nothing is half-deployed.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
import unicodedata
from pathlib import PurePath
from typing import Any, Mapping, Optional

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from stackconfig.checks import stack_problems
from stackconfig.model import FieldProblem, StackSettings
from stackconfig.physical_names import check_physical_names

PROJECT = "data-delivery-platform"
# Keys that are not ours but that we read.
REGION_KEY = "aws:region"
# Keys of other namespaces that mean something to this program; anything else there would be
# ignored (every resource uses the stack's explicit provider, which reads no aws:* config).
OTHER_KEYS = {
    REGION_KEY: "the stack's primary region",
    "pulumi:disable-default-providers": "keeps every resource on the stack's explicit providers",
}


class SettingsError(pulumi.RunError):
    """A stack file value is invalid. The message is the one line the user sees: line breaks and
    other control characters that came from the stack file (a key, a name, a value quoted in the
    message) are shown escaped, so they cannot break the line or hide a part of it."""

    def __init__(self, message: str):
        super().__init__(_one_line(message))


def _one_line(text: str) -> str:
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)


def _field_keys(model: type[BaseModel] = StackSettings) -> dict[str, str]:
    return {
        (f.alias or to_camel(name)): name for name, f in model.model_fields.items() if name != "region"
    }


def _decode(value: Any) -> Any:
    # The engine hands structured config over as JSON text; plain strings stay strings.
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{" or text in ("true", "false", "null"):
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


def _key_parts(key: str) -> tuple:
    """'a.b[2].c' -> ('a', 'b', 2, 'c')."""
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        parts.append(int(index) if index else name)
    return tuple(parts)


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


def _model_at(loc: tuple) -> Optional[type[BaseModel]]:
    """The settings model that holds the key at `loc` (for listing its allowed keys)."""
    model: Any = StackSettings
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        name = _field_keys(model).get(part)
        if name is None:
            return None
        model = model.model_fields[name].annotation
        while typing.get_origin(model) in (list, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[0] if args else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = sorted(_field_keys(model)) if model is not None else []
    hint = ""
    if to_camel(key) in allowed and to_camel(key) != key:
        hint = f"; keys are camelCase: did you mean {to_camel(key)}?"
    elif allowed:
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
    return "unknown key;" + hint.removeprefix(";") + (f" allowed: {', '.join(allowed)}" if allowed else "")


def _namespace_problem(full_key: str, source: str) -> Optional[str]:
    namespace, _, key = full_key.partition(":")
    if namespace == PROJECT:
        return None
    if full_key in OTHER_KEYS:
        return None
    if namespace in ("aws", "pulumi"):
        return (f"{source}: {full_key}: not read by this program (it builds its own providers, which assume "
                f"account.deployRole and read no aws:* config); allowed here: {', '.join(sorted(OTHER_KEYS))}")
    close = difflib.get_close_matches(namespace, [PROJECT], n=1, cutoff=0.6)
    hint = f"did you mean {PROJECT}:{key}? " if close else ""
    return (f"{source}: {full_key}: unknown config namespace '{namespace}'; {hint}this program reads "
            f"{PROJECT}:* and {', '.join(sorted(OTHER_KEYS))}")


# What the offline runner (stackconfig.stackfile) passes for a `secure:` value.
OFFLINE_SECRET = "[secret]"


def is_secret_value(full_key: str, value: Any) -> bool:
    """A `secure:` value of the stack file: the CLI hands it over decrypted and lists the key as
    secret; the offline runner hands over OFFLINE_SECRET."""
    from pulumi.runtime import config as rc

    return value == OFFLINE_SECRET or full_key in rc.get_config_secret_keys_env() or rc.is_config_secret(full_key)


def stack_name_of(source: str) -> Optional[str]:
    m = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", PurePath(source).name)
    return m.group(1) if m else None


def parse_settings(config: Mapping[str, Any], *, source: str, stack: Optional[str] = None,
                   organization: Optional[str] = None) -> StackSettings:
    """Validate a flat `{"<namespace>:<key>": value}` config map; `source` names the stack file,
    `stack` (default: from `source`) and `organization` the stack being loaded."""
    data = _settings_data(config, source)
    try:
        settings = StackSettings.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise _first_validation_error(exc, data, source) from None
    problems = stack_problems(settings, stack=stack if stack is not None else stack_name_of(source),
                              organization=organization)
    problems += check_physical_names(settings)
    problems += _missing_secrets(settings, config)
    if problems:
        key, msg = problems[0]
        more = f" [+{len(problems) - 1} more problem(s)]" if len(problems) > 1 else ""
        raise SettingsError(f"{source}: {PROJECT}:{key}: {msg}{_item_name(data, _key_parts(key))}{more}")
    return settings


def _settings_data(config: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The program's own keys, decoded, plus the region: what `StackSettings` validates. Keys of
    other namespaces, unknown keys and nulls stop here; secret values are never settings."""
    keys = _field_keys()
    named_secrets = _named_secrets(config)
    data: dict[str, Any] = {}
    for full_key, value in config.items():
        problem = _namespace_problem(full_key, source)
        if problem:
            raise SettingsError(problem)
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if key not in keys:
            if is_secret_value(full_key, value):
                # A secret is never a setting: a setting names its key (e.g. a service's
                # public.oidc.clientSecret) and the component reads it as a Pulumi secret.
                continue
            raise SettingsError(_not_a_setting(full_key, key, value, source, named_secrets))
        data[key] = _decode(value)
        if data[key] is None:
            field = StackSettings.model_fields[keys[key]]
            what = "required: must not be null" if field.is_required() else "null; give a value, or remove the key " \
                "to get its default"
            raise SettingsError(f"{source}: {full_key}: {what}")
    if REGION_KEY not in config:
        raise SettingsError(f"{source}: {REGION_KEY}: required; set the primary region, e.g. us-east-1")
    data["region"] = _decode(config[REGION_KEY])
    return data


def _not_a_setting(full_key: str, key: str, value: Any, source: str, named_secrets: dict[str, str]) -> str:
    """The one line for a key of this program that is no setting and no secret value."""
    if key in named_secrets:
        got = "null" if _decode(value) is None else "a plaintext value"
        return (f"{source}: {full_key}: must be a secret ({named_secrets[key]} names it), got {got}; "
                f"set it with `pulumi config set --secret {key} <value>`")
    if _decode(value) is None:  # e.g. a secret emptied by hand
        return (f"{source}: {full_key}: null; secrets are set with `pulumi config set --secret "
                f"{key} <value>`, settings must be known keys: {_unknown_key((key,))}")
    return f"{source}: {full_key}: {_unknown_key((key,))}"


def _first_validation_error(exc: ValidationError, data: dict[str, Any], source: str) -> SettingsError:
    """The model's first problem as one line: the key path (down to the key a `FieldProblem`
    blames), the message, the value given and how many more problems there are."""
    errors = exc.errors(include_url=False)
    # A misspelt key usually also leaves a required key missing: name the misspelling.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    error = (first.get("ctx") or {}).get("error")
    if isinstance(error, FieldProblem):
        loc += _key_parts(error.key)
    key = REGION_KEY if loc[:1] == ("region",) else f"{PROJECT}:{_path(loc)}" if loc else PROJECT
    msg = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    got = "" if first["type"] in ("missing", "extra_forbidden") or isinstance(value, (dict, list)) \
        and first["type"] == "value_error" else f" (got {_short(value)})"
    if isinstance(error, FieldProblem) or first["type"] == "value_error" and value is None:
        got = ""
    where = _item_name(data, loc)
    if first["type"] == "extra_forbidden":
        msg = _unknown_key(loc)
    more = f" [+{len(errors) - 1} more problem(s)]" if len(errors) > 1 else ""
    return SettingsError(f"{source}: {key}: {msg}{got}{where}{more}")


def _named_secrets(config: Mapping[str, Any]) -> dict[str, str]:
    """Secret config keys the (not yet validated) services name -> the key path naming each."""
    services = _decode(config.get(f"{PROJECT}:services"))
    named: dict[str, str] = {}
    for i, svc in enumerate(services if isinstance(services, list) else []):
        public = svc.get("public") if isinstance(svc, dict) else None
        oidc = public.get("oidc") if isinstance(public, dict) else None
        name = oidc.get("clientSecret") if isinstance(oidc, dict) else None
        if isinstance(name, str):
            named.setdefault(name, f"services[{i}].public.oidc.clientSecret")
    return named


def _missing_secrets(settings: StackSettings, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Secret config keys the settings name but the stack does not set (as secrets)."""
    problems = []
    for i, svc in enumerate(settings.services):
        oidc = svc.public.oidc if svc.public is not None else None
        if oidc is not None and not is_secret_value(f"{PROJECT}:{oidc.client_secret}",
                                                    config.get(f"{PROJECT}:{oidc.client_secret}")):
            problems.append((f"services[{i}].public.oidc.clientSecret",
                             f"names the secret config key '{oidc.client_secret}', which this stack does not set; "
                             f"run `pulumi config set --secret {oidc.client_secret} <the IdP client secret>`"))
    return problems


def current_config() -> dict[str, Any]:
    """Every config key the engine (or the offline runner) gave this program."""
    from pulumi.runtime import config as rc

    merged = dict(rc.get_config_env())
    merged.update(rc.CONFIG.get())
    return merged


def load_settings() -> StackSettings:
    organization = None
    try:
        organization = pulumi.get_organization()
    except Exception:  # noqa: BLE001 - older engines / mocks without an organization
        organization = None
    return parse_settings(current_config(), source=f"Pulumi.{pulumi.get_stack()}.yaml", stack=pulumi.get_stack(),
                          organization=organization)
