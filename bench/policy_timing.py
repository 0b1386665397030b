"""Policy check timing on the shipped stacks: the routed offline check (`policies.offline.analyze`)
and the stock pulumi-policy servicer (what `pulumi preview --policy-pack` runs), per resource.

    .venv/bin/python bench/policy_timing.py                         # run the stacks, time this pack
    .venv/bin/python bench/policy_timing.py --save /tmp/graphs      # also keep the graphs as JSON
    .venv/bin/python bench/policy_timing.py --graphs /tmp/graphs --pack /path/to/other/checkout

``--pack`` times the ``policies`` package of another checkout (e.g. a `git worktree` of the commit
before a change) on the same graphs, so two versions are compared on identical input. Times are
CPU seconds of this process (``time.process_time``), best of ``--repeat``: on a shared machine
wall time mostly measures the neighbours.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "dr", "marketing")
TARGET_MS = 0.5


def _graphs(directory: str | None, save: str | None) -> dict[str, dict]:
    if directory:
        return {s: json.loads((Path(directory) / f"{s}.json").read_text()) for s in STACKS}
    sys.path.insert(0, str(ROOT))
    from offline.preview import stack_policy_config
    from offline.runner import shipped_run

    graphs = {}
    for stack in STACKS:
        run = shipped_run(stack)
        graphs[stack] = {"resources": run.resources(), "config": stack_policy_config(run)}
        if save:
            Path(save).mkdir(parents=True, exist_ok=True)
            (Path(save) / f"{stack}.json").write_text(json.dumps(graphs[stack], default=str))
    return graphs


def _best(analyze, graph: dict, repeat: int, **kw) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        analyze(graph["resources"], config=graph["config"], **kw)
        best = min(best, time.process_time() - start)
    return best


def measure(graphs: dict[str, dict], repeat: int) -> dict[str, dict]:
    from policies.offline import analyze

    out = {}
    for stack, graph in graphs.items():
        analyze(graph["resources"], config=graph["config"])  # warm: Parliament's database, caches
        n = len(graph["resources"])
        routed = _best(analyze, graph, repeat)
        stock = _best(analyze, graph, max(1, repeat // 2), dispatch=False)
        out[stack] = {"resources": n, "routed_ms_per_resource": routed * 1000 / n,
                      "stock_ms_per_resource": stock * 1000 / n}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", help="directory of <stack>.json graphs (default: run the shipped stacks)")
    ap.add_argument("--save", help="write the graphs of the shipped stacks to this directory")
    ap.add_argument("--pack", help="checkout whose policies/ package to time (default: this one)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    graphs = _graphs(args.graphs, args.save)
    sys.path.insert(0, str(Path(args.pack).resolve() if args.pack else ROOT))
    results = measure(graphs, args.repeat)
    for stack, r in results.items():
        verdict = "ok" if r["routed_ms_per_resource"] < TARGET_MS else "OVER"
        print(f"{stack:<10} {r['resources']:>4} resources  routed {r['routed_ms_per_resource']:.3f} ms/resource "
              f"({verdict} < {TARGET_MS})  stock {r['stock_ms_per_resource']:.3f} ms/resource")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
