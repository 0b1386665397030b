"""The stack file itself: read as strictly as the Pulumi CLI reads it, and the offline preview
never prints a traceback (exit 2 and one line for every broken file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline import preview
from offline.runner import load_stack_config
from stackconfig.stackfile import StackFileError, read_stack_file

DEV_TEXT = (Path(__file__).resolve().parent.parent / "Pulumi.dev.yaml").read_text()

BROKEN = [
    ("list", "- config\n- a\n", "must be a mapping with config: {...} at the top, got a list"),
    ("string", "just some words\n", "got a str"),
    ("number", "42\n", "got a int"),
    ("empty", "", "the file is empty"),
    ("comments-only", "# nothing here\n", "the file is empty"),
    ("invalid-yaml", "config:\n  aws:region: [us-east-1\n", "not valid YAML at line 3, column 1"),
    ("bad-indent", "config:\n  a: 1\n b: 2\n", "not valid YAML at line 3, column 2"),
    ("tab", "config:\n\taws:region: us-east-1\n", "not valid YAML at line 2, column 1"),
    ("int-key", "config:\n  1: x\n", "line 2, column 3: key 1 must be a string"),
    ("list-key", "config:\n  ? [a, b]\n  : x\n", "key [\"a\", \"b\"] must be a string"),
    ("null-key", "config:\n  ~: x\n", "key null must be a string"),
    ("bool-top-key", "true: 1\n", "key true must be a string"),
    ("duplicate-top", "config:\n  aws:region: us-east-1\nconfig:\n  aws:region: us-west-2\n",
     "line 3, column 1: duplicate key 'config'"),
    ("duplicate-config-key", DEV_TEXT + "  data-delivery-platform:drRegion: eu-west-1\n",
     "duplicate key 'data-delivery-platform:drRegion'"),
    ("duplicate-nested-key", "config:\n  data-delivery-platform:network:\n    cidr: 10.0.0.0/16\n    cidr: 10.1.0.0/16\n",
     "line 4, column 5: duplicate key 'cidr'"),
    ("same-key-two-spellings", "config:\n  drRegion: us-west-2\n  data-delivery-platform:drRegion: us-west-2\n",
     "'data-delivery-platform:drRegion' are the same key"),
    ("top-level-typo", "confg:\n  aws:region: us-east-1\n", "confg: unknown top-level key; did you mean config?"),
    ("no-config", "secretsprovider: passphrase\n", "config: required"),
    ("config-list", "config:\n  - a\n", "config: must be a mapping"),
    ("config-string", "config: hello\n", "config: must be a mapping"),
    ("binary", None, "cannot read the stack file"),
]


@pytest.mark.parametrize("name, text, says", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_stack_files_are_one_line_with_exit_2(tmp_path, capsys, name, text, says):
    path = tmp_path / f"Pulumi.{name}.yaml"
    if text is None:
        path.write_bytes(b"\xff\xfe\x00config")
    else:
        path.write_text(text)
    with pytest.raises(StackFileError) as exc:
        read_stack_file(path)
    assert str(exc.value).startswith(f"Pulumi.{name}.yaml: ") and says in str(exc.value), str(exc.value)
    assert preview.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and says in err, err


@pytest.mark.parametrize("name, text, key, says", [
    ("settings", DEV_TEXT.replace("natGateways: single", "natGateways: none"), "network.natGateways", "use single"),
    ("yaml11", DEV_TEXT.replace("environment: dev", "environment: yes"), "environment", "got 'yes'"),
    ("nullowner", DEV_TEXT.replace("owner: retail-data-platform@example.com", "owner:"), "owner", "must not be null"),
    ("namespace", DEV_TEXT.replace("data-delivery-platform:drRegion", "data-delivery-plattform:drRegion"),
     "data-delivery-plattform:drRegion", "did you mean data-delivery-platform:drRegion?"),
])
def test_invalid_settings_in_a_file_exit_2_before_anything_runs(tmp_path, capsys, name, text, key, says):
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    assert preview.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Pulumi.{name}.yaml: ") and f"{key}: " in err and says in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_yaml_is_read_with_the_clis_core_schema(tmp_path):
    # YAML 1.1 would turn these into a bool, a date and a sexagesimal int; the CLI keeps strings.
    path = tmp_path / "Pulumi.core.yaml"
    path.write_text("config:\n  a: yes\n  b: 2024-01-01\n  c: '1:20'\n  d: 1:20\n  e: true\n  f: 012\n  g: 0x1f\n"
                    "  h: ~\n  i: {secure: AAABAx}\n  j: {k: [1, 2.5, false, null]}\n")
    assert read_stack_file(path) == {
        "data-delivery-platform:a": "yes", "data-delivery-platform:b": "2024-01-01",
        "data-delivery-platform:c": "1:20", "data-delivery-platform:d": "1:20", "data-delivery-platform:e": "true",
        "data-delivery-platform:f": "12", "data-delivery-platform:g": "31", "data-delivery-platform:h": "null",
        "data-delivery-platform:i": "[secret]", "data-delivery-platform:j": '{"k": [1, 2.5, false, null]}'}


def test_missing_stack_names_the_shipped_ones(capsys):
    assert preview.main(["nosuchstack"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.nosuchstack.yaml: no such stack file; shipped stacks:" in err and "dev" in err


def test_a_crash_in_the_program_is_one_line_with_exit_3(monkeypatch, capsys):
    def boom(*_a, **_k):
        raise KeyError("something the platform did not expect\nsecond line")

    monkeypatch.setattr(preview, "run_stack", boom)
    assert preview.main(["dev"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "KeyError" in err


def test_shipped_stack_files_read_the_same_as_before():
    cfg = load_stack_config("dev")
    assert cfg["aws:region"] == "us-east-1" and cfg["pulumi:disable-default-providers"] == '["aws"]'
    assert cfg["data-delivery-platform:alarms"] == '{"email": ["retail-data-oncall@example.com"]}'
