"""Benchmark of the offline program run: time, memory, scaling per data product, overhead
against registering the same resources directly with the SDK, and policy evaluation time.

    .venv/bin/python bench/benchmark.py                 # all sizes, writes docs/benchmarks.md
    .venv/bin/python bench/benchmark.py --sizes 1 10    # fewer sizes
    .venv/bin/python bench/benchmark.py --no-write      # print only

Every measurement runs in its own subprocess (`--measure ...`), so runs share no memory and the
peak RSS (getrusage ru_maxrss) belongs to that measurement alone. In each subprocess the program
runs twice: the first ("cold") run pays for importing pulumi_aws's modules and the components; the
second ("warm") run is the steady state a test session or a second preview sees. Times are the
best of `--repeat` warm runs.

Stacks with N data products are generated from the dev stack: `orders` plus clones named
p01, p02, ... (services stay pointed at orders).

"Direct" baseline: the recorded graph of the same stack is replayed -- every component as a
ComponentResource and every custom resource as `pulumi.CustomResource(type, name, inputs)` with
the same parent and provider -- under the same PlatformMocks and recording monitor. The ratio
program/direct is the cost of the program itself (config validation, components, naming,
policies-as-code in the components, Output plumbing) over the bare SDK registrations.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.2
TARGET_POLICY_MS = 0.5
DEFAULT_SIZES = (1, 10, 50)


# --- stack generation --------------------------------------------------------------------------

def config_with_products(n: int) -> dict[str, str]:
    from offline.runner import load_stack_config
    from stackconfig.loader import PROJECT

    cfg = load_stack_config("dev")
    products = json.loads(cfg[f"{PROJECT}:dataProducts"])
    orders = next(p for p in products if p["name"] == "orders")
    clones = []
    for i in range(1, n):
        p = json.loads(json.dumps(orders))
        p["name"] = f"p{i:02d}"
        clones.append(p)
    cfg[f"{PROJECT}:dataProducts"] = json.dumps([orders, *clones])
    return cfg


# --- measurements (run inside a subprocess) ------------------------------------------------------

def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _run_program(n: int):
    from offline.runner import run_stack

    run = run_stack("dev", config=config_with_products(n))
    if not run.ok:
        raise SystemExit(f"stack with {n} products failed: {run.error}")
    return run


WIRED_ATTRS = ("id", "arn", "name", "bucket", "url", "keyId")
_OUTPUT_NAMES: dict[str, tuple[str, ...]] = {}


def _typed_output_names(type_: str) -> tuple[str, ...]:
    """The output properties the typed pulumi-aws class declares for `type_` (e.g. 32 for
    aws.s3.Bucket). The SDK resolves one Output per declared property, so a fair baseline
    registers the same set, not only the inputs."""
    if type_ not in _OUTPUT_NAMES:
        import inspect

        import pulumi_aws

        names: tuple[str, ...] = ()
        pkg, _, rest = type_.partition(":")
        if pkg == "aws" and "/" in rest:
            module, _, cls_name = rest.partition("/")
            cls_name = cls_name.rsplit(":", 1)[-1]
            mod = getattr(pulumi_aws, module, None) or getattr(pulumi_aws, module + "_", None)
            cls = getattr(mod, cls_name, None) if mod is not None and module != "index" else getattr(pulumi_aws, cls_name, None)
            if cls is not None:
                names = tuple(getattr(m.fget, "_pulumi_name", n) for n, m in inspect.getmembers(cls)
                              if isinstance(m, property) and n not in ("id", "urn"))
        _OUTPUT_NAMES[type_] = names
    return _OUTPUT_NAMES[type_]


def _wire(value: Any, index: dict[str, Any]) -> Any:
    """Replace every input that is another resource's id/ARN/name with that resource's Output,
    as a hand-written program would pass `bucket.arn` rather than a literal."""
    if isinstance(value, dict):
        return {k: _wire(v, index) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v, index) for v in value]
    if isinstance(value, str) and value in index:
        return index[value]
    return value


def _replay(records: list, wired: bool = True) -> float:
    """Register the recorded graph directly with the SDK under the platform mocks; seconds.

    wired (default): inputs that name another resource's id/ARN/name are passed as that
    resource's Output, so the baseline has the same dependency graph as the program -- what a
    hand-written program registering the same resources pays. wired=False passes literals."""
    import pulumi

    from offline.engine import run_program
    from offline.mocks import PlatformMocks, RecordingMonitor
    from stackconfig.loader import PROJECT

    provider = next(r for r in records if r.type == "pulumi:providers:aws")
    account = json.loads(provider.inputs["allowedAccountIds"])[0]
    refs = {r.outputs["name"]: r.outputs["outputs"] for r in records if r.type == "pulumi:pulumi:StackReference"}

    def program() -> None:
        by_urn: dict[str, Any] = {}
        index: dict[str, Any] = {}
        for rec in records:
            if rec.type == "pulumi:pulumi:Stack":
                continue
            parent = by_urn.get(rec.parent)
            opts = pulumi.ResourceOptions(parent=parent, protect=rec.protect)
            if rec.provider:
                prov = by_urn.get(rec.provider.rsplit("::", 1)[0])
                if prov is not None:
                    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=prov))
            if rec.providers:
                provs = [by_urn[u.rsplit("::", 1)[0]] for u in rec.providers.values() if u.rsplit("::", 1)[0] in by_urn]
                opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=provs))
            if rec.type.startswith("pulumi:providers:"):
                res = pulumi.ProviderResource(rec.type.split(":")[-1], rec.name, dict(rec.inputs), opts)
            elif rec.type == "pulumi:pulumi:StackReference":
                res = pulumi.CustomResource(rec.type, rec.name, {"name": rec.outputs["name"]}, opts)
            elif rec.custom:
                props = _wire(dict(rec.inputs), index) if wired else dict(rec.inputs)
                declared = set(_typed_output_names(rec.type)) | {a for a in WIRED_ATTRS[1:] if a in rec.outputs}
                outs = {a: None for a in sorted(declared) if a not in props}
                res = pulumi.CustomResource(rec.type, rec.name, {**props, **outs}, opts)
                if wired:
                    if isinstance(rec.id, str) and len(rec.id) > 3:
                        index.setdefault(rec.id, res.id)
                    for a in WIRED_ATTRS[1:]:
                        v = rec.outputs.get(a)
                        if isinstance(v, str) and len(v) > 3 and hasattr(res, a):
                            index.setdefault(v, getattr(res, a))
            else:
                res = pulumi.ComponentResource(rec.type, rec.name, None, opts, remote=rec.remote)
                if rec.remote:
                    by_urn[rec.urn] = res
                    continue
                res.register_outputs({})
            by_urn[rec.urn] = res

    mocks = PlatformMocks(account_id=account, region=provider.inputs.get("region", "us-east-1"), stack_outputs=refs)
    monitor = RecordingMonitor(mocks)
    start = time.perf_counter()
    run_program(program, mocks=mocks, monitor=monitor, project=PROJECT, stack="dev")
    elapsed = time.perf_counter() - start
    if len(monitor.records) != len(records):
        raise SystemExit(f"replay registered {len(monitor.records)} resources, the program {len(records)}")
    return elapsed


def _policy_seconds(run, dispatch: bool = True, timings: dict | None = None) -> tuple[float, int]:
    from offline.preview import stack_policy_config
    from policies.offline import analyze

    config = stack_policy_config(run)
    resources = run.resources()
    start = time.perf_counter()
    analyze(resources, config=config, dispatch=dispatch, timings=timings)
    return time.perf_counter() - start, len(resources)


def measure(kind: str, n: int, repeat: int) -> dict[str, Any]:
    import pulumi  # noqa: F401  (the SDK itself is not part of what we measure)

    rss_imports = _maxrss_mib()
    start = time.perf_counter()
    run = _run_program(n)
    cold = time.perf_counter() - start
    out: dict[str, Any] = {"products": n, "resources": len(run.records) - 1, "cold_s": cold,
                           "rss_imports_mib": rss_imports}
    warm = []
    direct = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run = _run_program(n)
        warm.append(time.perf_counter() - start)
        if kind == "all":
            gc.collect()
            direct.append(_replay(run.records))
    out["warm_s"] = min(warm)
    out["warm_all_s"] = warm
    if direct:
        out["direct_s"] = min(direct)
        out["direct_all_s"] = direct
    out["custom_resources"] = sum(1 for r in run.records if r.custom)
    if kind == "all":
        secs, count = _policy_seconds(run)
        out["policy_s"], out["policy_resources"] = secs, count
    out["maxrss_mib"] = _maxrss_mib()
    return out


def measure_stack(stack: str) -> dict[str, Any]:
    from offline.runner import shipped_run

    run = shipped_run(stack)
    best, split = None, {}
    for _ in range(3):
        timings: dict[str, float] = {}
        secs = _policy_seconds(run, timings=timings)[0]
        if best is None or secs < best:
            best, split = secs, timings
    stock = min(_policy_seconds(run, dispatch=False)[0] for _ in range(3))
    return {"stack": stack, "policy_s": best, "policy_resources": len(run.resources()),
            "resource_policies_s": split["resource_policies_s"], "stack_policies_s": split["stack_policies_s"],
            "stock_policy_s": stock}


def measure_tracemalloc(n: int) -> dict[str, Any]:
    import tracemalloc

    _run_program(n)  # imports outside the trace
    gc.collect()
    tracemalloc.start()
    _run_program(n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"products": n, "tracemalloc_peak_mib": peak / 2**20}


def _sub(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"measurement {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report --------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    from importlib.metadata import version

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                    if l.startswith("model name")), "")
    except OSError:
        pass
    pkgs = ", ".join(f"{p} {version(p)}" for p in ("pulumi", "pulumi_aws", "pulumi_awsx", "pulumi_policy",
                                                     "protobuf", "grpcio", "pydantic"))
    return {"cpu": f"{os.cpu_count()} CPUs ({cpu})" if cpu else f"{os.cpu_count()} CPUs", "memory": mem,
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "os": platform.platform(), "packages": pkgs}


def report(results: list[dict], stacks: list[dict], traces: list[dict], profile: str) -> str:
    m = machine()
    by_n = {r["products"]: r for r in results}
    lines = [
        "# Benchmarks: the offline program run",
        "",
        "Generated by `.venv/bin/python bench/benchmark.py` (every figure from its own subprocess; see the",
        "script's docstring for the method). Re-run it after changing components; numbers move with the machine.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}",
        f"- memory: {m['memory']}",
        f"- Python: {m['python']} on {m['os']}",
        f"- packages: {m['packages']}",
        "",
        "## Program run by number of data products",
        "",
        "Stacks generated from `dev`: `orders` plus clones `p01`, `p02`, ... (services stay on `orders`).",
        "*cold* = first run in a fresh process (imports pulumi_aws modules and the components);",
        "*warm* = best later run in the same process; *direct* = the same graph registered with the bare SDK",
        "(generic resources declaring the typed classes' outputs, inputs wired to the other resources' Outputs).",
        "",
        "| products | resources | cold s | warm s | resources/s (warm) | direct s | program/direct | peak RSS MiB | Python heap peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    peak = {t["products"]: t["tracemalloc_peak_mib"] for t in traces}
    for n in sorted(by_n):
        r = by_n[n]
        ratio = r["warm_s"] / r["direct_s"]
        lines.append(f"| {n} | {r['resources']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | "
                     f"{r['resources'] / r['warm_s']:.0f} | {r['direct_s']:.2f} | {ratio:.2f}x | "
                     f"{r['maxrss_mib']:.0f} | {peak.get(n, float('nan')):.1f} |")
    sizes = sorted(by_n)
    if len(sizes) >= 2:
        lo, hi = by_n[sizes[0]], by_n[sizes[-1]]
        dn = hi["products"] - lo["products"]
        lines += [
            "",
            f"**Marginal cost per data product** (between {lo['products']} and {hi['products']} products): "
            f"{(hi['warm_s'] - lo['warm_s']) / dn * 1000:.0f} ms (warm), "
            f"{(hi['resources'] - lo['resources']) / dn:.0f} resources, "
            f"{(hi['maxrss_mib'] - lo['maxrss_mib']) / dn:.1f} MiB peak RSS; "
            f"direct registration of the same resources: {(hi['direct_s'] - lo['direct_s']) / dn * 1000:.0f} ms.",
        ]
    lines += [
        "",
        "## Policy evaluation (`policies.offline.analyze`)",
        "",
        "*resource policies* = the `Analyze` call per resource (72 resource rules, routed by type);",
        "*stack policies* = the one `AnalyzeStack` call (20 stack rules, each over every resource),",
        "shown per resource of the stack; *stock* = the same check through the single stock",
        "pulumi-policy servicer, which is what `pulumi preview --policy-pack` runs.",
        "",
        "| stack | resources | resource policies ms/resource | stack policies ms/resource | total ms/resource | stock total ms/resource |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in stacks:
        n_res = s["policy_resources"]
        lines.append(f"| {s['stack']} | {n_res} | {s['resource_policies_s'] * 1000 / n_res:.3f} | "
                     f"{s['stack_policies_s'] * 1000 / n_res:.3f} | {s['policy_s'] * 1000 / n_res:.3f} | "
                     f"{s['stock_policy_s'] * 1000 / n_res:.3f} |")
    lines += ["", "Generated stacks, measured in the process that just ran the program (its graph is still live, "
              "so the collector has more to walk than in the per-stack rows above):", "",
              "| generated stack | resources | total ms | total ms/resource |", "|---|---:|---:|---:|"]
    for n in sorted(by_n):
        r = by_n[n]
        lines.append(f"| dev, {n} products | {r['policy_resources']} | {r['policy_s'] * 1000:.0f} | "
                     f"{r['policy_s'] * 1000 / r['policy_resources']:.3f} |")
    worst_ratio = max(r["warm_s"] / r["direct_s"] for r in results)
    worst_resource_policy = max(s["resource_policies_s"] * 1000 / s["policy_resources"] for s in stacks)
    worst_policy = max([s["policy_s"] * 1000 / s["policy_resources"] for s in stacks] +
                       [r["policy_s"] * 1000 / r["policy_resources"] for r in results])
    lines += [
        "",
        "## Against the targets",
        "",
        "| target | measured (worst case) | met |",
        "|---|---:|:---:|",
        f"| program run <= {TARGET_RATIO}x direct SDK registration (warm) | {worst_ratio:.2f}x | "
        f"{'yes' if worst_ratio <= TARGET_RATIO else '**no**'} |",
        f"| policy evaluation < {TARGET_POLICY_MS} ms per resource: resource policies | "
        f"{worst_resource_policy:.3f} ms | {'yes' if worst_resource_policy < TARGET_POLICY_MS else '**no**'} |",
        f"| policy evaluation < {TARGET_POLICY_MS} ms per resource: resource + stack policies | "
        f"{worst_policy:.3f} ms | {'yes' if worst_policy < TARGET_POLICY_MS else '**no**'} |",
        "",
        profile.strip(),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print the report instead of writing docs/benchmarks.md")
    ap.add_argument("--notes", default=str(ROOT / "bench" / "notes.md"),
                    help="analysis appended to the report (profile findings); default bench/notes.md")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite docs/benchmarks.md from bench/results.json and the notes, measuring nothing")
    ap.add_argument("--measure", choices=["all", "program", "stack", "trace"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--stack", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.measure in ("all", "program"):
        print(json.dumps(measure(args.measure, args.n, args.repeat)))
        return 0
    if args.measure == "stack":
        print(json.dumps(measure_stack(args.stack)))
        return 0
    if args.measure == "trace":
        print(json.dumps(measure_tracemalloc(args.n)))
        return 0

    if args.report_only:
        saved = json.loads((ROOT / "bench" / "results.json").read_text())
        notes = Path(args.notes).read_text() if Path(args.notes).exists() else ""
        (ROOT / "docs" / "benchmarks.md").write_text(report(saved["runs"], saved["stacks"], saved["tracemalloc"], notes))
        return 0

    results, traces = [], []
    for n in args.sizes:
        print(f"measuring {n} data product(s) ...", file=sys.stderr)
        results.append(_sub("--measure", "all", "--n", str(n), "--repeat", str(args.repeat)))
        traces.append(_sub("--measure", "trace", "--n", str(n)))
        print(f"  {json.dumps(results[-1])}", file=sys.stderr)
    stacks = []
    for stack in ("dev", "dr", "marketing"):
        stacks.append(_sub("--measure", "stack", "--stack", stack))
    notes = Path(args.notes).read_text() if Path(args.notes).exists() else ""
    text = report(results, stacks, traces, notes)
    if args.no_write:
        print(text)
    else:
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "benchmarks.md").write_text(text)
        (ROOT / "bench" / "results.json").write_text(json.dumps({"runs": results, "stacks": stacks, "tracemalloc": traces},
                                                                indent=2, sort_keys=True) + "\n")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
