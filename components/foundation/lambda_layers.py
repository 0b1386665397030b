"""Lambda layers the program packages itself, from what `pip install -r requirements.txt` installed.

`pulumi up` runs the program in the project's virtualenv, which holds every requirement; the
DAX client layer is assembled from those installed files, so a fresh clone deploys with no build
step of its own (no `make`, no `build/` folder).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pulumi

# The DAX client and the one dependency the Lambda runtime lacks (the runtime ships botocore and
# six). Both are pure Python, so the layer serves arm64 and x86_64 alike. Pinned in requirements.txt.
DAX_CLIENT_PACKAGES = ("amazondax", "antlr4")
# Lambda puts /opt/python on sys.path for Python runtimes (Lambda developer guide, "Layer paths
# for each Lambda runtime").
LAYER_PYTHON_DIR = "python"


class LayerSourceMissing(Exception):
    """A package the layer needs is not installed in the program's environment."""


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LayerSourceMissing(
            f"Python package '{package}' is not installed; run `pip install -r requirements.txt` "
            "in the project's virtualenv (pulumi up does this for runtime: python)")
    return Path(list(spec.submodule_search_locations)[0])


def python_layer_archive(packages: tuple[str, ...] = DAX_CLIENT_PACKAGES) -> pulumi.AssetArchive:
    """An archive of the given installed packages under `python/`, source files only.

    Compiled caches (`__pycache__`, `*.pyc`) are left out: they depend on the local interpreter,
    would change the archive's hash from machine to machine and so re-publish the layer."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {}
    for package in packages:
        root = package_dir(package)
        for path in sorted(root.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            rel = path.relative_to(root.parent).as_posix()
            assets[f"{LAYER_PYTHON_DIR}/{rel}"] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)
