"""Run the platform's own code the way AWS would: a module from its shipped folder, under the
environment the program gave it.

Each function folder (and each Glue job's script with its `--extra-py-files`) ships on its own,
so its modules import their siblings as top-level modules (`import transform`). `load_module`
reproduces that without letting two folders' `transform.py` or `handler.py` clash.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterable, Iterator, Mapping


def load_module(directory: Path, module: str) -> ModuleType:
    """Load `<directory>/<module>.py` under a unique name, with its siblings importable only while
    it loads (the modules it imports stay bound to it)."""
    path = directory / f"{module}.py"
    if not path.is_file():
        raise FileNotFoundError(path)
    siblings = {p.stem for p in directory.glob("*.py")}
    stashed = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
    unique = f"ddp_smoke_{directory.name}_{module}_{uuid.uuid4().hex[:8]}"
    sys.path.insert(0, str(directory))
    try:
        spec = importlib.util.spec_from_file_location(unique, path)
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[unique] = loaded
        spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(directory))
        for name in siblings:
            found = sys.modules.get(name)
            if found is not None and Path(getattr(found, "__file__", "") or "").parent == directory:
                del sys.modules[name]
        sys.modules.update(stashed)
    return loaded


@contextmanager
def environment(variables: Mapping[str, str], cleared: Iterable[str] = ()) -> Iterator[None]:
    """`variables` set and `cleared` unset while the block runs; the previous values afterwards."""
    names = set(variables) | set(cleared)
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in cleared:
            os.environ.pop(name, None)
        os.environ.update({name: str(value) for name, value in variables.items()})
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
