"""AWS Glue Data Quality rulesets (DQDL), checked against the dataset's columns when the stack loads.

A data product's dataset may carry a DQDL ruleset. Glue parses it only when the ruleset is
created, halfway through a deployment, and meets a misspelt column only when a run evaluates it;
so the loader calls
`validate_ruleset(text, columns)`, which returns the rule types used (rules in order of
appearance, composite members left to right, then analyzers) or raises ValueError with one line
saying what is wrong, e.g. `rule 2 (IsComplete): column "emial" is not a column of the dataset
(order_id, email, total)`.

Sources: the AWS Glue guide "Data Quality Definition Language (DQDL) reference"
(https://docs.aws.amazon.com/glue/latest/dg/dqdl.html) and its "DQDL rule type reference"
(https://docs.aws.amazon.com/glue/latest/dg/dqdl-rule-types.html). Where the pages leave a point
open (which rule types take `where`, which take `with threshold`, how strings escape), the grammar
and rule table of AWS's own parser decide (github.com/awslabs/dqdl: DataQualityDefinitionLanguage.g4,
CommonLexerRules.g4, rules-config.json).

The subset checked:
- Document: `Rules = [ rule, ... ]` with at least one rule, optionally followed by
  `Analyzers = [ analyzer, ... ]`. Whitespace, and `#` comments that end with a line break.
- Tokens: double-quoted strings with `\\"` and `\\\\` escapes, numbers `-?12` / `-?1.5`,
  `= != > >= < <=`, `between X and Y`, `not between`, `in [..]`, `not in [..]`, `matches "re"`.
- Rule types, their parameters and comparisons (a column must be one of `columns`):
  RowCount, ColumnCount                        no column; number comparison
  Completeness, Mean, Sum, StandardDeviation, Entropy, DistinctValuesCount, UniqueValueRatio,
  ColumnLength                                 one column; number comparison
  Uniqueness                                   one or more columns; number comparison
  ColumnCorrelation                            two columns; number comparison
  IsComplete, ColumnExists                     one column; no comparison
  IsUnique, IsPrimaryKey                       one or more columns; no comparison
  ColumnValues                                 one column; numbers, strings (with NULL, EMPTY,
                                               WHITESPACES_ONLY), dates ("2024-01-31", now(),
                                               (now() - 3 days)) or `matches "regex"`
  ColumnDataType                               one column; string comparison (= != in matches)
  DataFreshness                                one column; duration comparison (`<= 24 hours`,
                                               days / hours / minutes)
  CustomSql                                    one SQL string; number comparison or none
  ColumnNamesMatchPattern                      one regex string; no comparison
- Composite rules: `(rule) and (rule)`, `(rule) or (rule)`, nested in parentheses; every side
  in parentheses and one operator per level, as the guide requires.
- `where "<SQL condition>"` on the rule types that take it (not ColumnCount, ColumnExists,
  ColumnNamesMatchPattern, CustomSql), before at most one `with threshold <number comparison>`
  (ColumnValues, ColumnDataType and CustomSql only).
- Analyzers: RowCount, ColumnCount, Completeness, Uniqueness, Mean, Sum, StandardDeviation,
  Entropy, DistinctValuesCount, UniqueValueRatio, ColumnLength, ColumnValues, ColumnCorrelation
  and AllStatistics, each with its columns only.
- Whole text at most 65536 characters (the Glue API's DataQualityRulesetString limit).

Everything outside that subset is refused, never passed through, so Glue only receives rulesets
this module understood: Metadata / DataSources sections, variables (`$name`), DefaultLabels and
`labels=[..]`, tags other than threshold, dynamic rules (`avg(last(10))`) and arithmetic,
unquoted column names, the rule types that compare with a reference dataset (RowCountMatch,
ReferentialIntegrity, DatasetMatch, SchemaMatch, AggregateMatch), DetectAnomalies, Variance and
the experimental File* rules. Not checked: the SQL inside `where` and CustomSql, the regexes, the
data type names of ColumnDataType, and whether a number range makes sense.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

MAX_RULESET_CHARS = 65536  # botocore glue model: DataQualityRulesetString max 65536

Takes = Literal["nothing", "column", "columns", "two columns", "sql", "pattern"]
Compares = Literal["nothing", "number", "number or nothing", "string", "value", "duration"]


@dataclass(frozen=True)
class _RuleType:
    takes: Takes
    compares: Compares
    where: bool = False
    threshold: bool = False
    analyzer: bool = False
    rule: bool = True


def _metric(takes: Takes = "column", where: bool = True) -> _RuleType:
    return _RuleType(takes, "number", where=where, analyzer=True)


RULE_TYPES: dict[str, _RuleType] = {
    "ColumnCorrelation": _metric("two columns"),
    "ColumnCount": _metric("nothing", where=False),
    "ColumnDataType": _RuleType("column", "string", where=True, threshold=True),
    "ColumnExists": _RuleType("column", "nothing"),
    "ColumnLength": _metric(),
    "ColumnNamesMatchPattern": _RuleType("pattern", "nothing"),
    "ColumnValues": _RuleType("column", "value", where=True, threshold=True, analyzer=True),
    "Completeness": _metric(),
    "CustomSql": _RuleType("sql", "number or nothing", threshold=True),
    "DataFreshness": _RuleType("column", "duration", where=True),
    "DistinctValuesCount": _metric(),
    "Entropy": _metric(),
    "IsComplete": _RuleType("column", "nothing", where=True),
    "IsPrimaryKey": _RuleType("columns", "nothing", where=True),
    "IsUnique": _RuleType("columns", "nothing", where=True),
    "Mean": _metric(),
    "RowCount": _metric("nothing"),
    "StandardDeviation": _metric(),
    "Sum": _metric(),
    "UniqueValueRatio": _metric(),
    "Uniqueness": _metric("columns"),
    "AllStatistics": _RuleType("column", "nothing", analyzer=True, rule=False),
}
SUPPORTED_RULE_TYPES = tuple(name for name, spec in RULE_TYPES.items() if spec.rule)
SUPPORTED_ANALYZER_TYPES = tuple(name for name, spec in RULE_TYPES.items() if spec.analyzer)

_REFERENCE = "it compares with a reference dataset, which a stack dataset does not declare"
_FILE = "file rules check S3 paths, not the dataset's columns"
_NOT_CHECKED = "it is outside the DQDL subset this platform checks"
REFUSED_RULE_TYPES = {
    "AggregateMatch": _REFERENCE, "DatasetMatch": _REFERENCE, "ReferentialIntegrity": _REFERENCE,
    "RowCountMatch": _REFERENCE, "SchemaMatch": _REFERENCE,
    "DetectAnomalies": _NOT_CHECKED, "Variance": _NOT_CHECKED,
    "FileFreshness": _FILE, "FileMatch": _FILE, "FileSize": _FILE, "FileUniqueness": _FILE,
}

_OPS = ("=", "!=", ">", ">=", "<", "<=")
_ORDERING = (">", ">=", "<", "<=", "between")
_AND_OR = ("and", "AND", "or", "OR")
_UNITS = ("days", "hours", "minutes")
_NULL = ("NULL", "null")
_KEYWORDS = ("EMPTY", "empty", "WHITESPACES_ONLY", "whitespaces_only")
_RESERVED = frozenset((*_AND_OR, *_UNITS, *_NULL, *_KEYWORDS, "between", "in", "not", "matches",
                       "where", "with", "labels", "of", "OF"))
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_NUMBER = re.compile(r"\d+(?:\.\d+)?\Z")
_WORD = re.compile(r"[A-Za-z0-9_.]+")


@dataclass(frozen=True)
class _Tok:
    kind: Literal["str", "num", "word", "now", "punct", "op", "sign", "sym"]
    text: str  # as written; a string's text keeps its quotes
    line: int
    col: int

    @property
    def value(self) -> str:
        """A string's content as written (escapes kept, as Glue's parser keeps them)."""
        return self.text[1:-1] if self.kind == "str" else self.text

    @property
    def place(self) -> str:
        return f"line {self.line}, column {self.col}"


def _q(s: str, limit: int = 40) -> str:
    """A value quoted for a one-line message."""
    s = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{s[:limit]}…"' if len(s) > limit else f'"{s}"'


def _show(tok: _Tok | None) -> str:
    if tok is None:
        return "the end of the ruleset"
    return f"the string {_q(tok.value)}" if tok.kind == "str" else _q(tok.text)


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, line, line_start = 0, 1, 0
    while i < len(text):
        c, col = text[i], i - line_start + 1
        if c in " \t\n":  # the DQDL lexer's whitespace; a bare \r is not
            if c == "\n":
                line, line_start = line + 1, i + 1
            i += 1
            continue
        if c == "#":
            end = text.find("\n", i)
            if end < 0:  # the DQDL lexer only ends a comment at a line break
                raise ValueError(f"line {line}, column {col}: a # comment must end with a line break")
            i = end
            continue
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" and text[j + 1:j + 2] in ('"', "\\") else 1
            if j >= len(text):
                raise ValueError(f"unbalanced quotes: the string at line {line}, column {col} is never closed")
            out.append(_Tok("str", text[i:j + 1], line, col))
            newlines = text.count("\n", i, j + 1)
            if newlines:
                line, line_start = line + newlines, text.rfind("\n", i, j + 1) + 1
            i = j + 1
            continue
        if text.startswith("now()", i):
            out.append(_Tok("now", "now()", line, col))
            i += 5
            continue
        word = _WORD.match(text, i)
        if word:
            kind = "num" if _NUMBER.match(word.group()) else "word"
            out.append(_Tok(kind, word.group(), line, col))
            i = word.end()
            continue
        two = text[i:i + 2]
        if two in ("!=", ">=", "<="):
            out.append(_Tok("op", two, line, col))
            i += 2
            continue
        if c in "=<>":
            kind, text_ = "op", c
        elif c in "[](),":
            kind, text_ = "punct", c
        elif c in "+-":
            kind, text_ = "sign", c
        elif c in "{}:*/$!":
            kind, text_ = "sym", c
        elif c == "'":
            raise ValueError(f"line {line}, column {col}: strings take double quotes, not '")
        else:
            raise ValueError(f"line {line}, column {col}: unexpected character {_q(c)}")
        out.append(_Tok(kind, text_, line, col))
        i += 1
    return out


def _check_brackets(tokens: list[_Tok]) -> None:
    pairs = {")": "(", "]": "["}
    stack: list[_Tok] = []
    for tok in tokens:
        if tok.kind != "punct" or tok.text == ",":
            continue
        if tok.text in "([":
            stack.append(tok)
        elif not stack:
            raise ValueError(f'unbalanced brackets: "{tok.text}" at {tok.place} has no opening "{pairs[tok.text]}"')
        elif stack[-1].text != pairs[tok.text]:
            opened = stack[-1]
            raise ValueError(f'unbalanced brackets: "{opened.text}" at {opened.place} is closed by '
                             f'"{tok.text}" at {tok.place}')
        else:
            stack.pop()
    if stack:
        raise ValueError(f'unbalanced brackets: "{stack[-1].text}" at {stack[-1].place} is never closed')


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



def validate_ruleset(text: str, columns: Collection[str]) -> list[str]:
    """The rule types `text` uses, in order (composite members left to right, then analyzers).

    Raises ValueError with one line naming the first problem: the rule's position and type, and
    what is wrong, e.g. `rule 2 (IsComplete): column "emial" is not a column of the dataset
    (order_id, email, total)`.
    """
    if len(text) > MAX_RULESET_CHARS:
        raise ValueError(f"the ruleset is {len(text)} characters; Glue takes at most {MAX_RULESET_CHARS}")
    tokens = _tokens(text)
    if not tokens:
        raise ValueError('the ruleset is empty: write "Rules = [ ... ]"')
    _check_brackets(tokens)
    return _Parser(tokens, columns).document()
