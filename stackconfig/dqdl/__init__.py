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
- Tokens: see `stackconfig.dqdl.tokenizer`.
- Rule types, their parameters and comparisons: see `stackconfig.dqdl.rule_types`.
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

Modules: `tokenizer` (tokens and bracket balance), `rule_types` (the rule type table and the
refused types), `parser` (the grammar and comparisons over the tokens).
"""

from __future__ import annotations

from collections.abc import Collection

from .parser import _Parser
from .rule_types import (
    REFUSED_RULE_TYPES,
    RULE_TYPES,
    SUPPORTED_ANALYZER_TYPES,
    SUPPORTED_RULE_TYPES,
    Compares,
    Takes,
)
from .tokenizer import _check_brackets, _tokens

__all__ = [
    "MAX_RULESET_CHARS",
    "REFUSED_RULE_TYPES",
    "RULE_TYPES",
    "SUPPORTED_ANALYZER_TYPES",
    "SUPPORTED_RULE_TYPES",
    "Compares",
    "Takes",
    "validate_ruleset",
]

MAX_RULESET_CHARS = 65536  # botocore glue model: DataQualityRulesetString max 65536


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
