"""The runbook's unit of work: an `Action` is one line of the plan.

Planning reads AWS and produces actions; only `apply` writes. An action either carries a
`write` (the single API call that moves the resource from `current` to `desired`) or none (the
resource is already where it should be, or the line is a report/warning). That split is what
makes the runbook idempotent and its dry run honest: a dry run renders the same plan and never
calls a `write`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Optional, TextIO

import sys

from botocore.exceptions import BotoCoreError, ClientError

Severity = Literal["info", "warning", "error"]


@dataclass
class Action:
    """One resource and what the runbook does (or found) about it.

    step: short tag printed in brackets (`scale`, `capacity`, `concurrency`, `crawler`, `rule`,
    `dns`, `replication`). resource: human name, e.g. `ecs service retail-dev-orders-api`.
    current/desired: the state before and after, as printed. write: the API call to make, or
    None when nothing is to be written. severity: `error` makes the run fail (exit 1),
    `warning` is printed but does not.
    """

    step: str
    resource: str
    current: Optional[str] = None
    desired: Optional[str] = None
    write: Optional[Callable[[], None]] = field(default=None, repr=False, compare=False)
    severity: Severity = "info"
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.write is not None

    def line(self, *, dry_run: bool = False) -> str:
        prefix = f"[{self.step}] "
        if self.severity == "error":
            return f"{prefix}ERROR {self.resource}: {self.note}"
        if self.severity == "warning":
            return f"{prefix}WARNING {self.resource}: {self.note}"
        if self.changes:
            text = f"{prefix}{self.resource}: {self.current} -> {self.desired}"
            return text + (" (dry-run)" if dry_run else "")
        if self.current is not None:
            text = f"{prefix}{self.resource}: {self.current} (no change)"
            return text + (f" - {self.note}" if self.note else "")
        return f"{prefix}{self.resource}: {self.note}"


def error(step: str, resource: str, exc: BaseException | str) -> Action:
    return Action(step, resource, severity="error", note=describe_error(exc))


def warning(step: str, resource: str, note: str) -> Action:
    return Action(step, resource, severity="warning", note=note)


def describe_error(exc: BaseException | str) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}".rstrip(": ")
    return str(exc)


@dataclass
class RunResult:
    """What `apply` did: the actions written, and those that failed (planning or writing)."""

    applied: list[Action] = field(default_factory=list)
    failed: list[Action] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def render(actions: Iterable[Action], *, dry_run: bool = False, out: TextIO | None = None) -> RunResult:
    """Print the plan without writing anything; errors found while planning still fail the run."""
    out = out or sys.stdout
    result = RunResult()
    for action in actions:
        print(action.line(dry_run=dry_run), file=out)
        if action.severity == "error":
            result.failed.append(action)
    return result


def apply(actions: Iterable[Action], *, out: TextIO | None = None) -> RunResult:
    """Perform each action's write, in order, one printed line per action.

    A failing write is reported and the run continues with the next action: a failover should
    turn on as much of the light as it can. The result's exit code is 1 if anything failed.
    """
    out = out or sys.stdout
    result = RunResult()
    for action in actions:
        if action.severity == "error":
            print(action.line(), file=out)
            result.failed.append(action)
            continue
        if not action.changes:
            print(action.line(), file=out)
            continue
        try:
            action.write()  # type: ignore[misc]
        except (ClientError, BotoCoreError) as exc:
            failed = Action(action.step, action.resource, action.current, action.desired,
                            severity="error", note=f"{action.current} -> {action.desired} failed: {describe_error(exc)}")
            print(failed.line(), file=out)
            result.failed.append(failed)
            continue
        print(action.line(), file=out)
        result.applied.append(action)
    return result
