"""DQDL tokens, each with its line and column for error messages, and the language's reserved words.

- Tokens: double-quoted strings with `\\"` and `\\\\` escapes, numbers `-?12` / `-?1.5`,
  `= != > >= < <=`, `between X and Y`, `not between`, `in [..]`, `not in [..]`, `matches "re"`.
- Whitespace, and `#` comments that end with a line break.
- Brackets `(` `)` `[` `]` balanced before parsing starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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
