"""Outcome ledgers: every adversarial input a handler is fed must end in exactly one observable
outcome (written, duplicate, stale, dead-lettered with a reason, quarantined with a reason, 4xx
with nothing written, ...). A test observes each outcome independently (return value, table, DLQ,
bucket, published events), hands the set of what it saw to ``Ledger.record``, which fails unless
exactly one category was seen, and the counts are printed at the end of the run
("outcome ledgers" section) and returned by ``Ledger.counts``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

_LEDGERS: dict[str, "Ledger"] = {}


@dataclass
class Ledger:
    handler: str
    categories: tuple[str, ...]
    outcomes: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def record(self, label: str, seen: set[str] | list[str], detail: object = None,
               expect: str | None = None) -> str | None:
        """Note the one category ``label`` ended in; an input that ended in none, several, an
        unsound one (any name outside ``categories``) or another than ``expect`` is kept as a
        problem for ``assert_sound``."""
        seen = set(seen)
        if label in self.outcomes or any(p.startswith(f"{label!r}:") for p in self.problems):
            raise AssertionError(f"{self.handler}: input label {label!r} used twice")
        if len(seen) != 1 or not seen <= set(self.categories):
            self.problems.append(f"{label!r}: ended in {sorted(seen) or 'no outcome'} -- {str(detail)[:300]}")
            return None
        (outcome,) = seen
        if expect is not None and outcome != expect:
            self.problems.append(f"{label!r}: ended in {outcome}, expected {expect} -- {str(detail)[:300]}")
            return None
        self.outcomes[label] = outcome
        return outcome

    def assert_sound(self) -> None:
        assert not self.problems, (f"{self.handler}: {len(self.problems)} of {self.tried} inputs did not end in "
                                   "exactly one sound outcome:\n  " + "\n  ".join(self.problems))

    @property
    def tried(self) -> int:
        return len(self.outcomes) + len(self.problems)

    def counts(self) -> dict[str, int]:
        counted = Counter(self.outcomes.values())
        return {c: counted.get(c, 0) for c in self.categories}

    def line(self) -> str:
        counts = self.counts()
        return (f"{self.handler}: {self.tried} inputs tried, {sum(counts.values())} outcomes counted ("
                + ", ".join(f"{c} {n}" for c, n in counts.items())
                + (f"; {len(self.problems)} WITHOUT exactly one sound outcome" if self.problems else "") + ")")


def ledger(handler: str, categories: tuple[str, ...], *, accumulate: bool = False) -> Ledger:
    """A fresh ledger for ``handler`` (replacing one of an earlier run of the same test), or with
    ``accumulate`` the running one (a hypothesis property adds each example to it)."""
    if not (accumulate and handler in _LEDGERS):
        _LEDGERS[handler] = Ledger(handler, categories)
    return _LEDGERS[handler]


_serial = [0]


def unique(label: str) -> str:
    """``label`` made unique within the run (hypothesis examples may repeat an input)."""
    _serial[0] += 1
    return f"#{_serial[0]} {label}"


def summary_lines() -> list[str]:
    return [_LEDGERS[name].line() for name in sorted(_LEDGERS)]
