"""Every command in the README is exercised here (or is the CI entry point itself).

Commands are read from the README's ```bash blocks. Each must match a handler below; a new
command without one fails `test_every_readme_command_has_a_check`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def commands() -> list[str]:
    out = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line:
                out.append(line)
    return out


def make_recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target, so `make X` is checked through what it runs."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def run_python(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


# --- handlers: (pattern, check) ----------------------------------------------------------------

def check_make_preview(cmd: str, tmp_path: Path) -> None:
    assert make_recipe("preview") == ["$(PY) -m offline.preview $(STACK)"]
    stack = re.search(r"STACK=(\w+)", cmd)
    proc = run_python(["-m", "offline.preview", stack.group(1) if stack else "dev", "--quiet"], tmp_path)
    assert proc.returncode == 0, proc.stderr


def check_make_policy(cmd: str, tmp_path: Path) -> None:
    assert make_recipe("policy") == ["$(PY) -m offline.preview $(STACK) --policy --quiet"]
    proc = run_python(["-m", "offline.preview", "dev", "--policy", "--quiet"], tmp_path)
    assert proc.returncode == 0 and "0 mandatory" in proc.stdout, proc.stdout[-2000:] + proc.stderr


def check_make_test(cmd: str, tmp_path: Path) -> None:
    # This very suite is `make test`; CI's entry point calls it.
    assert make_recipe("test") == ["$(PY) -m pytest -q"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def check_make_diagrams(cmd: str, tmp_path: Path) -> None:
    recipe = " ".join(make_recipe("diagrams"))
    assert "-m offline.preview $$s --diagram docs/diagrams" in recipe
    proc = run_python(["-m", "offline.preview", "marketing", "--diagram", str(tmp_path), "--quiet"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "marketing.dot").exists() and (tmp_path / "marketing.mmd").exists()


def check_make_bench(cmd: str, tmp_path: Path) -> None:
    # The full run takes ~10 minutes: exercise the script's measurement path on one stack.
    assert make_recipe("bench") == ["$(PY) bench/benchmark.py"]
    proc = run_python(["bench/benchmark.py", "--measure", "stack", "--stack", "marketing"], tmp_path)
    assert proc.returncode == 0 and '"policy_resources"' in proc.stdout, proc.stderr


def check_offline_preview(cmd: str, tmp_path: Path) -> None:
    args = shlex.split(cmd)[1:]
    assert args[:2] == ["-m", "offline.preview"]
    fixed = []
    for a in args[2:]:
        if a.startswith("out/"):
            a = str(tmp_path / a)
        elif a.endswith(".yaml"):  # "any stack file": a copy of a shipped one elsewhere
            target = tmp_path / Path(a).name
            target.write_text((ROOT / "Pulumi.marketing.yaml").read_text())
            a = str(target)
        fixed.append(a)
    proc = run_python(["-m", "offline.preview", *fixed], tmp_path)
    assert proc.returncode == 0, proc.stderr


def check_runbook(cmd: str, tmp_path: Path) -> None:
    from runbook.failover import main

    args = shlex.split(cmd)[3:]
    with mock_aws():
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="us-west-2")
        if "--hosted-zone-id" in args:
            zone = session.client("route53").create_hosted_zone(Name="retail.example.com",
                                                                CallerReference="readme")["HostedZone"]["Id"]
            args[args.index("--hosted-zone-id") + 1] = zone.rsplit("/", 1)[-1]
            # No failover records exist in this empty account: the runbook must say so, and fail.
            assert main(args, session=session) == 1
        else:
            assert main(args, session=session) == 0


def check_real_cloud(cmd: str, tmp_path: Path) -> None:
    """Needs the Pulumi CLI and AWS: check what the command relies on in the repo."""
    if cmd.startswith("pulumi preview --policy-pack policies"):
        assert (ROOT / "policies" / "PulumiPolicy.yaml").exists()
        # tests/policies/test_policy_pack.py serves policies/__main__.py over gRPC as the CLI does.
    elif cmd.startswith("pulumi stack init"):
        for stack in re.findall(r"stack init (\w+)", cmd):
            assert (ROOT / f"Pulumi.{stack}.yaml").exists()
    assert "name: data-delivery-platform" in (ROOT / "Pulumi.yaml").read_text()


def check_make_cost(cmd: str, tmp_path: Path) -> None:
    assert make_recipe("cost") == ["$(PY) -m offline.cost $(STACK) $(if $(USAGE),--usage $(USAGE))"]
    stack, usage = re.search(r"STACK=(\w+)", cmd), re.search(r"USAGE=(\S+)", cmd)
    args = ["-m", "offline.cost", stack.group(1) if stack else "dev", "--no-switches"]
    args += ["--usage", usage.group(1)] if usage else []
    proc = run_python(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "TOTAL fixed" in proc.stdout


def check_cost_expected(cmd: str, tmp_path: Path) -> None:
    """The committed totals are what the command would write for today's graphs."""
    from offline import cost
    from offline.runner import shipped_run

    for stack, expected in cost.committed_totals()["stacks"].items():
        run = shipped_run(stack)
        assert cost.estimate(run.records, stack=stack, region=run.config["aws:region"]).summary() == expected


def check_accept_shares(cmd: str, tmp_path: Path) -> None:
    """Needs the consumer account's credentials: run its parser and confirm the module's entry point.
    tests/runbook/test_accept_shares.py exercises it against RAM's service model."""
    from runbook import accept_shares

    args = shlex.split(cmd)[3:]
    assert "--producer-account" in args and "--region" in args
    assert accept_shares.main([*args[:args.index("--region") + 2], "--producer-account", "x"]) == 2


def check_smoke(cmd: str, tmp_path: Path) -> None:
    """Needs a deployed stack: the arguments parse and name a shipped stack. tests/flows/ runs the
    same flows (and the CLI with --offline) on the offline graph in moto."""
    from smoke.__main__ import _parser

    args = shlex.split(cmd.split("#", 1)[0])[3:]
    parsed = _parser().parse_args(args)
    assert (ROOT / f"Pulumi.{parsed.stack}.yaml").exists()


HANDLERS = [
    (r"^(\.venv/bin/)?python -m smoke ", check_smoke),
    (r"^make (preview|test|policy|cost|diagrams|bench)\b", None),
    (r"^\.venv/bin/python -m offline\.cost --write-expected$", check_cost_expected),
    (r"^python -m runbook\.accept_shares ", check_accept_shares),
    (r"^\.venv/bin/python -m offline\.preview ", check_offline_preview),
    (r"^python -m runbook\.failover ", check_runbook),
    (r"^pulumi (login|stack init|preview|up)\b", check_real_cloud),
]
MAKE = {"preview": check_make_preview, "test": check_make_test, "policy": check_make_policy,
        "diagrams": check_make_diagrams, "bench": check_make_bench, "cost": check_make_cost}


def handler_for(cmd: str):
    for pattern, fn in HANDLERS:
        m = re.match(pattern, cmd)
        if m:
            return MAKE[m.group(1)] if fn is None else fn
    return None


def test_every_readme_command_has_a_check():
    missing = [c for c in commands() if handler_for(c) is None]
    assert missing == []
    assert len(commands()) >= 15


@pytest.mark.parametrize("cmd", commands())
def test_readme_command(cmd, tmp_path):
    handler_for(cmd)(cmd, tmp_path)


def test_readme_counts_the_packs_rules():
    """The overview's rule count is the pack's, so adding a rule cannot leave it stale."""
    from policies.pack import ALL_POLICIES

    assert re.search(r"\(\d+ rules\) enforces them", README), "the overview no longer states the rule count"
    assert f"({len(ALL_POLICIES)} rules) enforces them" in README
