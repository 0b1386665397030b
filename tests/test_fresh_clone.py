"""The deploy path from a fresh clone: what `pulumi up` does, and nothing more.

`pulumi up` with `runtime: python` installs requirements.txt into the project's virtualenv and runs
`__main__.py`; it never runs `make`. So the program must produce every artifact it deploys itself
(the DAX client layer, the service image). This test copies the tracked files of the checkout into
an empty folder (no `build/`, no `.venv`, no caches), runs the program there in a separate Python
process with only the installed requirements, and compares the graph with the one this checkout
records.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.runner import ROOT, shipped_run

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the tracked files")


def tracked_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         check=True, capture_output=True).stdout.decode()
    return [f for f in out.split("\0") if f and (root / f).is_file()]


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    clone = tmp_path_factory.mktemp("clone") / "data-delivery-platform"
    for rel in tracked_files(ROOT):
        dest = clone / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    return clone


def normalise(graph: dict, root: Path) -> dict:
    """The graph with the checkout's own path removed (file archives name absolute paths)."""
    return json.loads(json.dumps(graph).replace(str(root), "<root>"))


def test_the_clone_has_nothing_built(fresh_clone):
    assert not (fresh_clone / "build").exists()
    assert not list(fresh_clone.rglob("__pycache__"))
    assert not (fresh_clone / ".venv").exists()


def test_a_fresh_clone_deploys_the_same_graph_without_make(fresh_clone, tmp_path):
    out = tmp_path / "dev.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env["PYTHONPATH"] = str(fresh_clone)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run([sys.executable, "-m", "offline.preview", "dev", "--json", str(out), "--quiet"],
                          cwd=fresh_clone, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    clone_graph = normalise(json.loads(out.read_text()), fresh_clone)

    here = shipped_run("dev")
    here_graph = normalise({"resources": here.resources(), "outputs": here.outputs}, ROOT)
    by_urn = {r["urn"]: r for r in clone_graph["resources"]}
    assert sorted(by_urn) == sorted(r["urn"] for r in here_graph["resources"])
    for r in here_graph["resources"]:
        assert by_urn[r["urn"]]["inputs"] == r["inputs"], r["urn"]
    assert clone_graph["outputs"] == here_graph["outputs"]

    # What `make` used to produce is now part of the deployment itself.
    types = {r["type"] for r in clone_graph["resources"]}
    assert "awsx:ecr:Image" in types
    [layer] = [r for r in clone_graph["resources"] if r["type"] == "aws:lambda/layerVersion:LayerVersion"]
    assert layer["inputs"]["code"].startswith("<AssetArchive")
    assert not (fresh_clone / "build").exists(), "the program must not need (or write) a build folder"
