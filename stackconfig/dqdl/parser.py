"""The DQDL grammar over the tokens: the Rules and Analyzers lists, composite rules, where clauses,
thresholds and comparisons, each checked against the rule type table and the dataset's columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from .rule_types import (
    REFUSED_RULE_TYPES,
    RULE_TYPES,
    SUPPORTED_ANALYZER_TYPES,
    SUPPORTED_RULE_TYPES,
    Compares,
    _RuleType,
)
from .tokenizer import (
    _AND_OR,
    _DATE,
    _KEYWORDS,
    _NULL,
    _OPS,
    _ORDERING,
    _RESERVED,
    _UNITS,
    _Tok,
    _q,
    _show,
)


@dataclass(frozen=True)
class _Value:
    kind: Literal["number", "null", "string", "keyword", "date", "duration"]
    tok: _Tok


_FAMILY = {"number": "numbers", "string": "strings", "keyword": "strings", "date": "dates",
           "duration": "durations", "null": "NULL"}
_FAMILY_OF: dict[Compares, str] = {"number": "numbers", "number or nothing": "numbers",
                                   "duration": "durations", "string": "strings", "value": "values",
                                   "nothing": "nothing"}
_EXAMPLE: dict[Compares, str] = {"number": "> 0", "number or nothing": "> 0", "string": '= "STRING"',
                                 "value": 'in ["a", "b"]', "duration": "<= 24 hours"}


class _Parser:
    def __init__(self, tokens: list[_Tok], columns: Collection[str]):
        self.toks = tokens
        self.pos = 0
        self.columns = set(columns)
        listed = sorted(columns) if isinstance(columns, (set, frozenset)) else list(columns)
        self.listed = ", ".join(listed) if listed else "it declares no columns"

    # -- token access -------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Tok | None:
        i = self.pos + ahead
        return self.toks[i] if i < len(self.toks) else None

    def take(self) -> _Tok | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind != "str" and tok.text in texts

    def expect(self, text: str, where: str) -> None:
        if not self.at(text):
            raise ValueError(f'{where}: expected "{text}", got {_show(self.peek())}')
        self.pos += 1

    # -- document -----------------------------------------------------------------------------
    def document(self) -> list[str]:
        self.header("Rules")
        types = self.items("rule")
        if self.at("Analyzers"):
            self.header("Analyzers")
            types += self.items("analyzer")
        if self.peek() is not None:
            tok = self.peek()
            raise ValueError(f'{tok.place}: expected the end of the ruleset or "Analyzers = [" after the '
                             f"Rules list, got {_show(tok)}")
        return types

    def header(self, name: str) -> None:
        first = self.peek()
        shape = f'"{name} = ["'
        if first is None or first.text != name or first.kind != "word":
            hint = ""
            if first is not None and first.kind == "word" and first.text != "Analyzers":
                second = self.peek(1)
                if first.text in ("Metadata", "DataSources", "DefaultLabels") or (second and second.text == "="):
                    hint = " (Metadata, DataSources, DefaultLabels and variables are not supported here)"
            where = first.place if first else "line 1, column 1"
            raise ValueError(f"{where}: expected {shape}, got {_show(first)}{hint}")
        self.pos += 1
        self.expect("=", f"{first.place} ({name})")
        self.expect("[", f"{first.place} ({name})")

    def items(self, what: Literal["rule", "analyzer"]) -> list[str]:
        """The comma-separated list after `Rules = [` or `Analyzers = [`, through its `]`."""
        if self.at("]"):
            if what == "rule":
                raise ValueError("the Rules list is empty: give at least one rule")
            self.pos += 1
            return []
        types: list[str] = []
        n = 0
        while True:
            n += 1
            if self.at(","):
                raise ValueError(f"{what} {n} is missing: a comma with no {what} before it")
            if self.at("]"):
                raise ValueError(f"trailing comma after {what} {n - 1}: remove it or add another {what}")
            found = self.top_rule(n) if what == "rule" else [self.analyzer(n)]
            types += found
            if self.at(","):
                self.pos += 1
                continue
            if self.at("]"):
                self.pos += 1
                return types
            tok = self.peek()
            hint = " (missing comma?)" if tok is not None and tok.text in RULE_TYPES else ""
            raise ValueError(f'{what} {n} ({found[-1]}): expected "," or "]" after it, got {_show(tok)}{hint}')

    # -- composite rules ----------------------------------------------------------------------
    def top_rule(self, n: int) -> list[str]:
        if self.at("("):
            return self.group(n)
        types = [self.rule(n)]
        self.no_bare_operator(n)
        return types

    def no_bare_operator(self, n: int) -> None:
        if self.at(*_AND_OR):
            raise ValueError(f"rule {n}: each side of {self.peek().text} goes in parentheses: (rule) and (rule)")

    def group(self, n: int) -> list[str]:
        types = self.parenthesised(n)
        op = None
        while self.at(*_AND_OR):
            this = self.take().text.lower()
            if op is not None and this != op:
                raise ValueError(f"rule {n}: mixing and with or needs parentheses: ((a) and (b)) or (c)")
            op = this
            if not self.at("("):
                raise ValueError(f"rule {n}: each side of {this} goes in parentheses: (rule) {this} (rule)")
            types += self.parenthesised(n)
        return types

    def parenthesised(self, n: int) -> list[str]:
        self.pos += 1  # "("
        if self.at("("):
            types = self.group(n)
        else:
            types = [self.rule(n)]
            self.no_bare_operator(n)
        self.expect(")", f"rule {n} ({types[-1]})")
        if self.at("labels"):
            raise ValueError(f"rule {n}: labels are not supported here")
        return types

    # -- one rule -----------------------------------------------------------------------------
    def rule_type(self, n: int, what: Literal["rule", "analyzer"]) -> tuple[str, _RuleType]:
        tok = self.take()
        if tok is None or tok.kind != "word" or tok.text in _RESERVED:
            raise ValueError(f"{what} {n}: expected a rule type, got {_show(tok)}")
        name = tok.text
        allowed = SUPPORTED_RULE_TYPES if what == "rule" else SUPPORTED_ANALYZER_TYPES
        supported = f"supported {what} types: {', '.join(allowed)}"
        spec = RULE_TYPES.get(name)
        if spec is not None and name in allowed:
            return name, spec
        if name == "AllStatistics":
            raise ValueError(f"rule {n}: AllStatistics is an analyzer; list it under Analyzers = [ ... ]")
        if spec is not None:
            raise ValueError(f"analyzer {n}: {name} cannot be an analyzer; {supported}")
        if name in REFUSED_RULE_TYPES:
            raise ValueError(f"{what} {n}: {name} is not supported here ({REFUSED_RULE_TYPES[name]}); {supported}")
        close = difflib.get_close_matches(name, [*RULE_TYPES, *REFUSED_RULE_TYPES], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"{what} {n}: unknown rule type {_q(name)}{hint}; {supported}")

    def params(self, ctx: str) -> list[_Tok]:
        if self.at("of", "OF") and (self.peek(1) is not None and self.peek(1).kind == "str"):
            self.pos += 1  # the grammar's connector word: `Completeness of "col"`
        out: list[_Tok] = []
        while self.peek() is not None and self.peek().kind == "str":
            out.append(self.take())
        tok = self.peek()
        if not out and tok is not None and tok.kind == "word" and tok.text not in _RESERVED \
                and tok.text not in RULE_TYPES:
            raise ValueError(f"{ctx}: write the column in double quotes: {_q(tok.text)}")
        if tok is not None and tok.kind == "sym" and tok.text == "$":
            raise ValueError(f"{ctx}: variables ($name) are not supported here")
        return out

    def check_params(self, ctx: str, spec: _RuleType, params: list[_Tok]) -> None:
        got = len(params)
        if spec.takes == "nothing":
            if params:
                raise ValueError(f"{ctx}: takes no column, got {_q(params[0].value)}")
            return
        if spec.takes in ("sql", "pattern"):
            noun = "SQL statement" if spec.takes == "sql" else "regular expression"
            if got != 1:
                raise ValueError(f"{ctx}: takes one {noun} in double quotes, got {got} strings")
            if not params[0].value.strip():
                raise ValueError(f"{ctx}: the {noun} is empty")
            return
        want = {"column": (1, 1, "one column"), "two columns": (2, 2, "two columns"),
                "columns": (1, None, "one or more columns")}[spec.takes]
        low, high, noun = want
        if got < low or (high is not None and got > high):
            raise ValueError(f"{ctx}: takes {noun}, got {got}")
        for p in params:
            if p.value not in self.columns:
                raise ValueError(f"{ctx}: column {_q(p.value)} is not a column of the dataset ({self.listed})")

    def rule(self, n: int) -> str:
        name, spec = self.rule_type(n, "rule")
        ctx = f"rule {n} ({name})"
        self.check_params(ctx, spec, self.params(ctx))
        self.condition(ctx, spec.compares)
        if self.at("where"):
            self.pos += 1
            if not spec.where:
                raise ValueError(f"{ctx}: does not take a where clause")
            tok = self.take()
            if tok is None or tok.kind != "str":
                raise ValueError(f"{ctx}: where takes a SQL condition in double quotes, got {_show(tok)}")
            if not tok.value.strip():
                raise ValueError(f"{ctx}: the where clause is empty")
        if self.at("labels"):
            raise ValueError(f"{ctx}: labels are not supported here")
        thresholds = 0
        while self.at("with"):
            self.pos += 1
            tag = self.take()
            if tag is None or tag.kind != "word" or tag.text.lower() != "threshold":
                raise ValueError(f'{ctx}: only "with threshold" is supported here, got with {_show(tag)}')
            if not spec.threshold:
                raise ValueError(f'{ctx}: does not take "with threshold" '
                                 "(ColumnValues, ColumnDataType and CustomSql do)")
            thresholds += 1
            if thresholds > 1:
                raise ValueError(f'{ctx}: only one "with threshold" per rule')
            self.condition(f"{ctx} threshold", "number")
        if self.at("where"):
            raise ValueError(f'{ctx}: where goes before "with threshold"')
        return name

    def analyzer(self, n: int) -> str:
        name, spec = self.rule_type(n, "analyzer")
        ctx = f"analyzer {n} ({name})"
        self.check_params(ctx, spec, self.params(ctx))
        if not self.at(",", "]"):
            raise ValueError(f"{ctx}: analyzers take only columns, got {_show(self.peek())}")
        return name

    # -- comparisons --------------------------------------------------------------------------
    def starts_condition(self) -> bool:
        return self.at(*_OPS, "between", "not", "in", "matches")

    def condition(self, ctx: str, compares: Compares) -> None:
        tok = self.peek()
        if compares == "nothing":
            if self.starts_condition() or (tok is not None and tok.kind == "num"):
                raise ValueError(f"{ctx}: takes no comparison, got {_show(tok)}")
            return
        if not self.starts_condition():
            if compares == "number or nothing":
                return
            if tok is not None and tok.kind in ("num", "str", "now"):
                raise ValueError(f"{ctx}: expected a comparison (= != > >= < <= between in) before {_show(tok)}")
            raise ValueError(f"{ctx}: missing comparison, e.g. {_EXAMPLE[compares]}")
        negated = self.at("not")
        if negated:
            self.pos += 1
            if not self.at("between", "in", "matches"):
                raise ValueError(f'{ctx}: "not" goes before between, in or matches, got {_show(self.peek())}')
        op = self.take().text
        if op == "matches":
            pattern = self.take()
            if pattern is None or pattern.kind != "str":
                raise ValueError(f"{ctx}: matches takes a regular expression in double quotes, got {_show(pattern)}")
            if compares not in ("string", "value"):
                raise ValueError(f"{ctx}: matches compares strings; this rule compares {_FAMILY_OF[compares]}")
            return
        if op == "between":
            low = self.value(ctx)
            if not self.at("and", "AND"):
                raise ValueError(f'{ctx}: between needs "and", got {_show(self.peek())}')
            self.pos += 1
            values = [low, self.value(ctx)]
        elif op == "in":
            values = self.values_list(ctx)
        else:
            values = [self.value(ctx)]
        self.check_values(ctx, compares, op, values)

    def value(self, ctx: str) -> _Value:
        tok = self.take()
        if tok is None:
            raise ValueError(f"{ctx}: expected a value, got {_show(tok)}")
        if tok.kind == "sign" and tok.text == "-" and self.peek() is not None and self.peek().kind == "num":
            return _Value("number", self.take())
        if tok.kind == "num":
            if self.at(*_UNITS):
                self.pos += 1
                if "." in tok.text:
                    raise ValueError(f"{ctx}: a duration is a whole number of days, hours or minutes, got {tok.text}")
                return _Value("duration", tok)
            return _Value("number", tok)
        if tok.kind == "str":
            return _Value("date" if _DATE.match(tok.value) else "string", tok)
        if tok.kind == "now":
            return _Value("date", tok)
        if tok.kind == "word" and tok.text in _NULL:
            return _Value("null", tok)
        if tok.kind == "word" and tok.text in _KEYWORDS:
            return _Value("keyword", tok)
        if tok.kind == "punct" and tok.text == "(" and self.peek() is not None and self.peek().kind == "now":
            self.pos += 1
            sign, amount, unit, close = self.take(), self.take(), self.take(), self.take()
            if (sign is None or sign.kind != "sign" or amount is None or not amount.text.isdigit()
                    or unit is None or unit.text not in _UNITS or close is None or close.text != ")"):
                raise ValueError(f"{ctx}: a relative date reads (now() - 3 days), with days, hours or minutes")
            return _Value("date", tok)
        if tok.kind == "punct" and tok.text == "(" or tok.kind == "word" and self.at("("):
            raise ValueError(f"{ctx}: dynamic rules and arithmetic (e.g. avg(last(10))) are not supported here")
        if tok.kind == "sym" and tok.text == "$":
            raise ValueError(f"{ctx}: variables ($name) are not supported here")
        raise ValueError(f"{ctx}: expected a value, got {_show(tok)}")

    def values_list(self, ctx: str) -> list[_Value]:
        if not self.at("["):
            raise ValueError(f'{ctx}: in takes a list in square brackets, got {_show(self.peek())}')
        self.pos += 1
        if self.at("]"):
            raise ValueError(f"{ctx}: the list after in is empty")
        values = [self.value(ctx)]
        while self.at(","):
            self.pos += 1
            if self.at("]"):
                raise ValueError(f"{ctx}: trailing comma in the list after in")
            values.append(self.value(ctx))
        if not self.at("]"):
            raise ValueError(f'{ctx}: expected "," or "]" in the list after in, got {_show(self.peek())}')
        self.pos += 1
        return values

    def check_values(self, ctx: str, compares: Compares, op: str, values: list[_Value]) -> None:
        kinds = [v.kind for v in values]
        if compares == "value":
            if "null" in kinds and op not in ("=", "!=", "in"):
                raise ValueError(f"{ctx}: NULL only goes with =, != or in")
            families = sorted({_FAMILY[k] for k in kinds if k != "null"})
            if "durations" in families:
                raise ValueError(f"{ctx}: compares numbers, strings or dates, not durations")
            if len(families) > 1:
                raise ValueError(f"{ctx}: mixes {families[0]} and {families[1]} in one comparison")
            if families == ["strings"] and op in _ORDERING:
                raise ValueError(f'{ctx}: "{op}" compares numbers or dates, not strings')
            return
        allowed = {"number": "number", "number or nothing": "number", "string": "string",
                   "duration": "duration"}[compares]
        if compares == "string" and op in _ORDERING:
            raise ValueError(f'{ctx}: compares with = != in or matches, not "{op}"')
        for v in values:
            if v.kind == allowed:
                continue
            if allowed == "duration" and v.kind == "number":
                raise ValueError(f"{ctx}: a duration needs a unit (days, hours or minutes), got {v.tok.text}")
            raise ValueError(f"{ctx}: compares {_FAMILY[allowed]}, got {_show(v.tok)}")
