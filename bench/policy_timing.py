"""Policy check timing on the shipped stacks, per resource, three ways:

- routed: the offline check (`policies.offline.analyze`, each resource only to its type's policies);
- served: the servicer `policies/__main__.py` serves, i.e. what `pulumi preview --policy-pack`
  runs (`analyze(..., served=True)`: the engine's calls without gRPC);
- stock:  pulumi-policy's own servicer, as `PolicyPack` would serve it (`dispatch=False`).

    .venv/bin/python bench/policy_timing.py                         # run the stacks, time this pack
    .venv/bin/python bench/policy_timing.py --save /tmp/graphs      # also keep the graphs as JSON
    .venv/bin/python bench/policy_timing.py --graphs /tmp/graphs --pack /path/to/other/checkout
    .venv/bin/python bench/policy_timing.py --graphs /tmp/graphs --baseline /path/to/824faa0^-checkout

``--pack`` times the ``policies`` package of another checkout (e.g. a `git worktree` of the commit
before a change) on the same graphs, so two versions are compared on identical input; config
entries naming policies that pack does not have are dropped (and reported). A pack without a
served servicer has its CLI run the stock one: its "served" column is empty. ``--baseline`` also
times another checkout (in a subprocess: both packages are called ``policies``) and judges what
the CLI runs here against what it ran there: growth = served here / stock there - 1, at most
``MAX_GROWTH``. Times are CPU seconds of this process (``time.process_time``), best of N: on a
shared machine wall time mostly measures the neighbours, and best-of-N is the figure least
disturbed by them. N is ``--repeat`` for routed, half that for stock and served, and for routed and
served as many more runs as fit in ``MIN_SECONDS`` of CPU (a marketing run takes ~10 ms).
"""
from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "dr", "marketing")
TARGET_MS = 0.5
MAX_GROWTH = 0.20
MIN_SECONDS = 1.0  # routed and served: sample for at least this much CPU time (stock: --repeat // 2 runs)


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


def _best(analyze, resources: list, config: dict, repeat: int, min_seconds: float = 0.0, **kw) -> float:
    """Best CPU time of at least `repeat` runs and, for cheap runs, of as many as fit in `min_seconds`
    (at most 200): a burst of load from a neighbour then spoils some samples, not all."""
    best, spent, runs = float("inf"), 0.0, 0
    while runs < repeat or (spent < min_seconds and runs < 200):
        start = time.process_time()
        analyze(resources, config=config, **kw)
        took = time.process_time() - start
        best, spent, runs = min(best, took), spent + took, runs + 1
    return best


def measure(graphs: dict[str, dict], repeat: int) -> dict[str, dict]:
    """Per stack: ms per resource for each way the imported pack can be driven."""
    from policies.offline import analyze
    from policies.pack import ALL_POLICIES

    names = {p.name for p in ALL_POLICIES}
    ways = {"routed": ({}, repeat, MIN_SECONDS), "stock": ({"dispatch": False}, max(1, repeat // 2), 0.0)}
    if "served" in inspect.signature(analyze).parameters:
        ways["served"] = ({"served": True}, max(1, repeat // 2), MIN_SECONDS)
    out = {}
    for stack, graph in graphs.items():
        config = {k: v for k, v in graph["config"].items() if k in names or k == "all"}
        resources, n = graph["resources"], len(graph["resources"])
        analyze(resources, config=config)  # warm: Parliament's database, caches
        row: dict = {"resources": n, "policies": len(names), "dropped_config": sorted(set(graph["config"]) - set(config))}
        for way, (kw, times, min_seconds) in ways.items():
            row[f"{way}_ms_per_resource"] = _best(analyze, resources, config, times, min_seconds, **kw) * 1000 / n
        out[stack] = row
    return out


def _baseline(checkout: str, graphs_dir: str, repeat: int) -> dict[str, dict]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--graphs", graphs_dir, "--pack", checkout,
           "--repeat", str(repeat), "--json"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def _print(label: str, results: dict[str, dict]) -> None:
    print(f"{label}: ms per resource (CPU, best of N)")
    print(f"  {'stack':<10} {'res':>4}  {'routed':>7}  {'served (CLI)':>12}  {'stock':>7}")
    for stack, r in results.items():
        verdict = "ok" if r["routed_ms_per_resource"] < TARGET_MS else "OVER"
        served = f"{r['served_ms_per_resource']:.3f}" if "served_ms_per_resource" in r else "- (stock)"
        dropped = f"  config dropped: {', '.join(r['dropped_config'])}" if r["dropped_config"] else ""
        print(f"  {stack:<10} {r['resources']:>4}  {r['routed_ms_per_resource']:>7.3f}  {served:>12}  "
              f"{r['stock_ms_per_resource']:>7.3f}  routed {verdict} < {TARGET_MS}{dropped}")


def _growth(results: dict[str, dict], base: dict[str, dict]) -> bool:
    """What the CLI runs here against what it ran at the baseline (its stock servicer)."""
    ok = True
    print(f"CLI time vs baseline stock (at most +{MAX_GROWTH:.0%}):")
    for stack, r in results.items():
        cli = r.get("served_ms_per_resource", r["stock_ms_per_resource"])
        growth = cli / base[stack]["stock_ms_per_resource"] - 1
        ok &= growth <= MAX_GROWTH
        print(f"  {stack:<10} {cli:.3f} vs {base[stack]['stock_ms_per_resource']:.3f} ms/resource: {growth:+.0%} "
              f"({'ok' if growth <= MAX_GROWTH else 'OVER'})")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", help="directory of <stack>.json graphs (default: run the shipped stacks)")
    ap.add_argument("--save", help="write the graphs of the shipped stacks to this directory")
    ap.add_argument("--pack", help="checkout whose policies/ package to time (default: this one)")
    ap.add_argument("--baseline", help="checkout whose stock servicer time the CLI time may exceed by 20%%")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print only the results as JSON")
    args = ap.parse_args(argv)
    if args.baseline and not (args.graphs or args.save):
        ap.error("--baseline needs --graphs or --save (both checkouts are timed on the same saved graphs)")
    graphs = _graphs(args.graphs, args.save)
    sys.path.insert(0, str(Path(args.pack).resolve() if args.pack else ROOT))
    results = measure(graphs, args.repeat)
    if args.json:
        print(json.dumps(results))
        return 0
    _print(f"pack {args.pack or ROOT}", results)
    ok = True
    if args.baseline:
        base = _baseline(args.baseline, args.graphs or args.save, args.repeat)
        _print(f"baseline {args.baseline}", base)
        ok = _growth(results, base)
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
