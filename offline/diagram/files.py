"""Writing a stack's diagram files: `<stack>.dot` and `<stack>.mmd`, and `.svg`/`.png` when
Graphviz's `dot` is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from offline.diagram.layout import build
from offline.runner import StackRun


def write(run: StackRun, out_dir: Path | str, *, render: bool = True) -> list[Path]:
    """Write `<stack>.dot` and `<stack>.mmd` to out_dir, and `<stack>.svg`/`.png` when Graphviz's
    `dot` is installed (and render is true). Returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    diagram = build(run)
    dot_file, mermaid_file = out / f"{run.stack}.dot", out / f"{run.stack}.mmd"
    dot_file.write_text(diagram.to_dot())
    mermaid_file.write_text(diagram.to_mermaid())
    written = [dot_file, mermaid_file]
    graphviz = shutil.which("dot") if render else None
    if graphviz:
        for image_format, extra in (("svg", []), ("png", ["-Gdpi=110"])):
            target = out / f"{run.stack}.{image_format}"
            subprocess.run([graphviz, f"-T{image_format}", *extra, "-o", str(target), str(dot_file)], check=True)
            written.append(target)
    return written
