"""Run the real Pulumi program for a shipped stack under the platform mocks, with no CLI.

`run_stack("dev")` reads `Pulumi.dev.yaml`, first runs every stack the config references
(`primaryStack`, `consumes[].stack`) so their exports can feed this stack's StackReferences,
then executes `__main__.py` with `preview=False` (so `apply` callbacks run) and returns the
recorded resource graph and the resolved stack outputs.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi

from offline import engine
from offline.mocks import DuplicateUrnError, PlatformMocks, Record, RecordingMonitor, plain
from stackconfig import SettingsError, StackSettings, parse_settings
from stackconfig.loader import PROJECT
from stackconfig.upstream import reference_keys
from stackconfig.stackfile import StackFileError, read_stack_file

ROOT = Path(__file__).resolve().parent.parent
ORG = "organization"


@dataclass
class StackRun:
    """One offline run of a stack: its recorded graph and outputs, or the one-line error that stopped it."""

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
        return [record.as_dict() for record in self.records if record.type != "pulumi:pulumi:Stack"]

    def custom(self, type_: Optional[str] = None) -> list[Record]:
        return [record for record in self.records if record.custom and (type_ is None or record.type == type_)]

    def by_type(self, type_: str) -> list[Record]:
        return [record for record in self.records if record.type == type_]

    def one(self, type_: str, name: str) -> Record:
        found = [record for record in self.records if record.type == type_ and record.name == name]
        if len(found) != 1:
            names = sorted(record.name for record in self.by_type(type_))
            raise KeyError(f"expected one {type_} named {name}, have {names}")
        return found[0]


def stack_file(stack: str, project_dir: Path = ROOT) -> Path:
    """The stack file of `stack` in the project."""
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_name(path: Path) -> str:
    """The stack a stack file configures: `Pulumi.<stack>.yaml` -> `<stack>`."""
    return path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]


def load_stack_config(stack: str, project_dir: Path = ROOT, *, path: Optional[Path] = None) -> dict[str, str]:
    """The flat config map the engine would hand the program for this stack."""
    path = path or stack_file(stack, project_dir)
    if not path.exists():
        shipped = sorted(stack_name(found) for found in project_dir.glob("Pulumi.*.yaml"))
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
            refs += [item["stack"] for item in json.loads(consumes) if isinstance(item, dict) and "stack" in item]
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
    """Run `__main__.py` for `stack` offline. Referenced stacks without given outputs are run first.
    The stack's own reference (its last published datasets) reads `stack_outputs` under its own
    name, or nothing: a first deployment."""
    source = stack_file(stack, project_dir).name
    try:
        stack_config = dict(config) if config is not None else load_stack_config(stack, project_dir, path=config_path)
    except StackFileError as exc:
        return StackRun(stack, error=str(exc))
    try:
        settings = parse_settings(stack_config, source=source)
    except SettingsError as exc:
        return StackRun(stack, error=str(exc), config=stack_config)
    outputs_by_reference = dict(stack_outputs or {})
    outputs_by_reference.setdefault(fully_qualified(stack), {})
    error = _run_referenced_stacks(stack, settings, outputs_by_reference, project_dir, _seen)
    if error:
        return StackRun(stack, error=error)
    mocks = PlatformMocks(account_id=settings.account.id, region=settings.region,
                          partition=settings.partition, stack_outputs=outputs_by_reference)
    return _execute(stack, stack_config, mocks, project_dir)


def _run_referenced_stacks(stack: str, settings: StackSettings, outputs_by_reference: dict[str, dict[str, Any]],
                           project_dir: Path, seen: tuple[str, ...]) -> Optional[str]:
    """Run each stack the settings reference whose outputs are not known yet, adding its outputs to
    `outputs_by_reference`; the error line of the first that cannot run, else None."""
    source = stack_file(stack, project_dir).name
    for key, reference in reference_keys(settings):
        if reference in outputs_by_reference:
            continue
        referenced = reference.rsplit("/", 1)[-1]
        if referenced in seen or referenced == stack:
            return (f"{source}: {PROJECT}:{key}: stack references form a cycle: "
                    f"{' -> '.join(seen + (stack, referenced))}")
        if not stack_file(referenced, project_dir).exists():
            return (f"{source}: {PROJECT}:{key}: references stack '{reference}', but there is no "
                    f"Pulumi.{referenced}.yaml here; pass its outputs with --stack-outputs")
        upstream = run_stack(referenced, project_dir=project_dir, stack_outputs=outputs_by_reference,
                             _seen=seen + (stack,))
        if not upstream.ok:
            return f"{source}: referenced stack {reference} failed: {upstream.error}"
        outputs_by_reference[reference] = upstream.outputs
    return None


def _execute(stack: str, config: dict[str, str], mocks: PlatformMocks, project_dir: Path) -> StackRun:
    monitor = RecordingMonitor(mocks)
    run = StackRun(stack, config=config)
    main = project_dir / "__main__.py"
    try:
        engine.run_program(lambda: runpy.run_path(str(main), run_name="__main__"), mocks=mocks, monitor=monitor,
                           project=PROJECT, stack=stack, config=config)
    except (SettingsError, pulumi.RunError, DuplicateUrnError) as exc:
        # SettingsError carries its own "<stack file>: key: ..." line; the others get the file.
        run.error = str(exc) if isinstance(exc, SettingsError) else f"{stack_file(stack, project_dir).name}: {exc}"
        # What the program declared before it stopped. Reads of other stacks may come first;
        # nothing that `pulumi up` would create may (tests hold the program to that).
        run.declared_before_error = list(monitor.records)
        settle_failed_program()
        return run
    run.records = list(monitor.records)
    run.outputs = {key: plain(value) for key, value in engine.stack_exports().items()}
    return run


def settle_failed_program() -> None:
    """Let what a failed program still had in flight finish against its own monitor.

    The program's pending registrations live on the shared event loop; left alone, they would run
    during the next offline run and land in that run's monitor (as strays, or as false duplicate
    URNs). Their results and errors are dropped: the run has already failed."""
    engine.settle_pending()


def fully_qualified(stack: str) -> str:
    """The name a StackReference uses for a stack of this project: `<org>/<project>/<stack>`."""
    return f"{ORG}/{PROJECT}/{stack}"


_CACHE: dict[str, StackRun] = {}


def shipped_run(stack: str) -> StackRun:
    """The offline run of a shipped stack, once per process (tests and tools share it)."""
    if stack not in _CACHE:
        known = {fully_qualified(name): earlier.outputs for name, earlier in _CACHE.items()}
        run = run_stack(stack, stack_outputs=known)
        if not run.ok:
            raise RuntimeError(run.error)
        _CACHE[stack] = run
    return _CACHE[stack]
