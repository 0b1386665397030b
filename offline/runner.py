"""Run the real Pulumi program for a shipped stack under the platform mocks, with no CLI.

`run_stack("dev")` reads `Pulumi.dev.yaml`, first runs every stack the config references
(`primaryStack`, `consumes[].stack`) so their exports can feed this stack's StackReferences,
then executes `__main__.py` with `preview=False` (so `apply` callbacks run) and returns the
recorded resource graph and the resolved stack outputs.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi
from pulumi.runtime import settings as rt_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import _get_rpc_manager
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.mocks import DuplicateUrnError, PlatformMocks, Record, RecordingMonitor, plain
from stackconfig import SettingsError, parse_settings
from stackconfig.loader import PROJECT
from stackconfig.upstream import reference_keys
from stackconfig.stackfile import StackFileError, read_stack_file

ROOT = Path(__file__).resolve().parent.parent
ORG = "organization"


@dataclass
class StackRun:
    stack: str
    records: list[Record] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: Optional[str] = None
    config: dict[str, str] = field(default_factory=dict)
    declared_before_error: list[Record] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def resources(self) -> list[dict[str, Any]]:
        """The graph as plain dicts (the input of the policy pack's offline analyzer)."""
        return [r.as_dict() for r in self.records if r.type != "pulumi:pulumi:Stack"]

    def custom(self, type_: Optional[str] = None) -> list[Record]:
        return [r for r in self.records if r.custom and (type_ is None or r.type == type_)]

    def by_type(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.type == type_]

    def one(self, type_: str, name: str) -> Record:
        found = [r for r in self.records if r.type == type_ and r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.by_type(type_))
            raise KeyError(f"expected one {type_} named {name}, have {names}")
        return found[0]


def stack_file(stack: str, project_dir: Path = ROOT) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str, project_dir: Path = ROOT, *, path: Optional[Path] = None) -> dict[str, str]:
    """The flat config map the engine would hand the program for this stack."""
    path = path or stack_file(stack, project_dir)
    if not path.exists():
        shipped = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"{path.name}: no such stack file; shipped stacks: {', '.join(shipped)}")
    return read_stack_file(path)


def referenced_stacks(config: dict[str, str]) -> list[str]:
    """Fully qualified names of the stacks this stack's config references."""
    refs: list[str] = []
    primary = config.get(f"{PROJECT}:primaryStack")
    if primary:
        refs.append(primary)
    consumes = config.get(f"{PROJECT}:consumes")
    if consumes:
        try:
            refs += [c["stack"] for c in json.loads(consumes) if isinstance(c, dict) and "stack" in c]
        except (json.JSONDecodeError, TypeError):
            pass
    return refs


def run_stack(
    stack: str,
    *,
    project_dir: Path = ROOT,
    config: Optional[dict[str, str]] = None,
    config_path: Optional[Path] = None,
    stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
    _seen: tuple[str, ...] = (),
) -> StackRun:
    """Run `__main__.py` for `stack` offline. Referenced stacks without given outputs are run first."""
    source = stack_file(stack, project_dir).name
    try:
        cfg = dict(config) if config is not None else load_stack_config(stack, project_dir, path=config_path)
    except StackFileError as exc:
        return StackRun(stack, error=str(exc))
    try:
        settings = parse_settings(cfg, source=source)
    except SettingsError as exc:
        return StackRun(stack, error=str(exc), config=cfg)

    known = dict(stack_outputs or {})
    for key, ref in reference_keys(settings):
        if ref in known:
            continue
        ref_stack = ref.rsplit("/", 1)[-1]
        if ref_stack in _seen or ref_stack == stack:
            return StackRun(stack, error=f"{source}: {PROJECT}:{key}: stack references form a cycle: "
                                         f"{' -> '.join(_seen + (stack, ref_stack))}")
        if not stack_file(ref_stack, project_dir).exists():
            return StackRun(stack, error=f"{source}: {PROJECT}:{key}: references stack '{ref}', but there is no "
                                         f"Pulumi.{ref_stack}.yaml here; pass its outputs with --stack-outputs")
        upstream = run_stack(ref_stack, project_dir=project_dir, stack_outputs=known, _seen=_seen + (stack,))
        if not upstream.ok:
            return StackRun(stack, error=f"{source}: referenced stack {ref} failed: {upstream.error}")
        known[ref] = upstream.outputs

    mocks = PlatformMocks(account_id=settings.account.id, region=settings.region,
                          partition=settings.partition, stack_outputs=known)
    return _execute(stack, cfg, mocks, project_dir)


def _execute(stack: str, cfg: dict[str, str], mocks: PlatformMocks, project_dir: Path) -> StackRun:
    monitor = RecordingMonitor(mocks)
    rt_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    set_all_config(cfg)
    run = StackRun(stack, config=cfg)
    main = project_dir / "__main__.py"
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(main), run_name="__main__")))
    except (SettingsError, pulumi.RunError, DuplicateUrnError) as exc:
        # SettingsError carries its own "<stack file>: key: ..." line; the others get the file.
        run.error = str(exc) if isinstance(exc, SettingsError) else f"{stack_file(stack, project_dir).name}: {exc}"
        # What the program declared before it stopped. Reads of other stacks may come first;
        # nothing that `pulumi up` would create may (tests hold the program to that).
        run.declared_before_error = list(monitor.records)
        settle_failed_program()
        return run
    run.records = list(monitor.records)
    root = rt_settings.get_root_resource()
    exported = getattr(root, "outputs", {}) or {}
    run.outputs = {k: plain(_sync_await(pulumi.Output.from_input(v).future())) for k, v in exported.items()}
    return run


def settle_failed_program() -> None:
    """Let what a failed program still had in flight finish against its own monitor.

    The program's pending registrations live on the shared event loop; left alone, they would run
    during the next offline run and land in that run's monitor (as strays, or as false duplicate
    URNs). Their results and errors are dropped: the run has already failed."""
    _sync_await(_settle())


async def _settle() -> None:
    manager = _get_rpc_manager()
    for _ in range(10_000):
        pending = list(manager.rpcs)
        manager.rpcs.clear()
        with rt_settings.SETTINGS.lock:
            pending += list(rt_settings.SETTINGS.outputs)
            rt_settings.SETTINGS.outputs.clear()
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


def fully_qualified(stack: str) -> str:
    return f"{ORG}/{PROJECT}/{stack}"


_CACHE: dict[str, StackRun] = {}


def shipped_run(stack: str) -> StackRun:
    """The offline run of a shipped stack, once per process (tests and tools share it)."""
    if stack not in _CACHE:
        run = run_stack(stack, stack_outputs={fully_qualified(k): v.outputs for k, v in _CACHE.items()})
        if not run.ok:
            raise RuntimeError(run.error)
        _CACHE[stack] = run
    return _CACHE[stack]
