"""DQDL rulesets checked at stack load: every supported rule type parses, every refusal says why.

Valid examples follow the AWS Glue DQDL reference pages
(https://docs.aws.amazon.com/glue/latest/dg/dqdl.html and the rule type pages under it).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stackconfig.dqdl import (
    MAX_RULESET_CHARS,
    SUPPORTED_ANALYZER_TYPES,
    SUPPORTED_RULE_TYPES,
    validate_ruleset,
)

COLUMNS = ("order_id", "email", "total", "created_at", "country")
LISTED = "order_id, email, total, created_at, country"
SUPPORTED = ("ColumnCorrelation, ColumnCount, ColumnDataType, ColumnExists, ColumnLength, ColumnNamesMatchPattern, "
             "ColumnValues, Completeness, CustomSql, DataFreshness, DistinctValuesCount, Entropy, IsComplete, "
             "IsPrimaryKey, IsUnique, Mean, RowCount, StandardDeviation, Sum, UniqueValueRatio, Uniqueness")


def rules(*body: str) -> str:
    return "Rules = [ " + ", ".join(body) + " ]"


def refused(text: str, columns=COLUMNS) -> str:
    with pytest.raises(ValueError) as exc:
        validate_ruleset(text, columns)
    return str(exc.value)


# -- valid rulesets: every supported rule type ---------------------------------------------------

VALID = [
    ('RowCount > 0', ["RowCount"]),
    ('RowCount between 10 and 5000 where "total > 0"', ["RowCount"]),
    ('ColumnCount = 5', ["ColumnCount"]),
    ('ColumnCount in [5, 6]', ["ColumnCount"]),
    ('IsComplete "email"', ["IsComplete"]),
    ('IsComplete "email" where "total between 1 and 50"', ["IsComplete"]),
    ('ColumnExists "order_id"', ["ColumnExists"]),
    ('IsUnique "order_id"', ["IsUnique"]),
    ('IsUnique "order_id" "email"', ["IsUnique"]),
    ('IsPrimaryKey "order_id"', ["IsPrimaryKey"]),
    ('IsPrimaryKey "order_id" "country" where "total > 100"', ["IsPrimaryKey"]),
    ('Completeness "email" > 0.95', ["Completeness"]),
    ('Completeness "email" >= 0.95 where "country = \'US\'"', ["Completeness"]),
    ('Uniqueness "email" > 0.9', ["Uniqueness"]),
    ('Uniqueness "email" "country" not between 0.1 and 0.2', ["Uniqueness"]),
    ('Mean "total" between 1 and 500', ["Mean"]),
    ('Sum "total" < 1000000', ["Sum"]),
    ('StandardDeviation "total" <= 42.5', ["StandardDeviation"]),
    ('Entropy "country" > 1', ["Entropy"]),
    ('DistinctValuesCount "country" > 3', ["DistinctValuesCount"]),
    ('UniqueValueRatio "email" != 0', ["UniqueValueRatio"]),
    ('ColumnLength "country" = 2', ["ColumnLength"]),
    ('ColumnLength "email" <= 40', ["ColumnLength"]),
    ('ColumnCorrelation "total" "order_id" > 0.8', ["ColumnCorrelation"]),
    ('ColumnValues "country" in ["US", "CA", "UK", NULL, EMPTY, WHITESPACES_ONLY]', ["ColumnValues"]),
    ('ColumnValues "country" not in ["XX"] where "total > 0" with threshold > 0.9', ["ColumnValues"]),
    ('ColumnValues "total" between 1 and 10', ["ColumnValues"]),
    ('ColumnValues "total" >= 0', ["ColumnValues"]),
    ('ColumnValues "total" > -5.5', ["ColumnValues"]),
    ('ColumnValues "total" not in [21, 22, NULL]', ["ColumnValues"]),
    ('ColumnValues "total" != NULL', ["ColumnValues"]),
    ('ColumnValues "email" matches "[a-z]+@[a-z.]+"', ["ColumnValues"]),
    ('ColumnValues "email" not matches "^test"', ["ColumnValues"]),
    ('ColumnValues "created_at" > (now() - 3 days)', ["ColumnValues"]),
    ('ColumnValues "created_at" between "2024-01-01" and now()', ["ColumnValues"]),
    ('ColumnValues "created_at" not between (now() - 3 hours) and (now() + 14 days)', ["ColumnValues"]),
    ('ColumnDataType "total" = "STRING"', ["ColumnDataType"]),
    ('ColumnDataType "total" in ["Date", "String"] with threshold > 0.9', ["ColumnDataType"]),
    ('ColumnDataType "total" != "Integer" where "country = \'US\'"', ["ColumnDataType"]),
    ('DataFreshness "created_at" <= 24 hours', ["DataFreshness"]),
    ('DataFreshness "created_at" between 2 days and 5 days', ["DataFreshness"]),
    ('DataFreshness "created_at" < 90 minutes', ["DataFreshness"]),
    ('CustomSql "select count(*) from primary" > 0', ["CustomSql"]),
    ('CustomSql "select count(*) from primary" between 10 and 20', ["CustomSql"]),
    ('CustomSql "select email from primary where total > 0" with threshold > 0.5', ["CustomSql"]),
    ('CustomSql "select order_id from primary"', ["CustomSql"]),
    ('ColumnNamesMatchPattern "^[a-z_]+$"', ["ColumnNamesMatchPattern"]),
]


@pytest.mark.parametrize(("rule", "types"), VALID, ids=[r for r, _ in VALID])
def test_each_supported_rule_form_parses(rule, types):
    assert validate_ruleset(rules(rule), COLUMNS) == types


def test_every_supported_rule_type_has_a_valid_example():
    covered = {t for _, types in VALID for t in types}
    assert covered == set(SUPPORTED_RULE_TYPES)
    assert ", ".join(SUPPORTED_RULE_TYPES) == SUPPORTED


def test_rule_types_come_back_in_order_with_composite_members_and_analyzers():
    text = """Rules = [
        # the row count first
        RowCount > 0,
        (IsComplete "email") and (IsUnique "email"),
        (Mean "total" > 3) or ((ColumnLength "country" = 2) and (IsComplete "country")),
        (ColumnExists "order_id")
    ]
    Analyzers = [ RowCount, Completeness of "email", AllStatistics "total", ColumnCorrelation "total" "order_id" ]
    """
    assert validate_ruleset(text, COLUMNS) == [
        "RowCount", "IsComplete", "IsUnique", "Mean", "ColumnLength", "IsComplete", "ColumnExists",
        "RowCount", "Completeness", "AllStatistics", "ColumnCorrelation"]


def test_composite_operators_in_either_case():
    assert validate_ruleset(rules('(RowCount > 0) OR (IsComplete "email") OR (IsUnique "email")'),
                            COLUMNS) == ["RowCount", "IsComplete", "IsUnique"]
    assert validate_ruleset(rules('(RowCount > 0) AND (IsComplete "email")'), COLUMNS) == ["RowCount", "IsComplete"]


def test_strings_keep_escaped_quotes_and_brackets():
    text = rules(r'CustomSql "select count(*) from primary where email = \"a]b\" and x = \\" > 0',
                 r'ColumnValues "country" in ["U\"S", "(CA"] where "country != \"]\""')
    assert validate_ruleset(text, COLUMNS) == ["CustomSql", "ColumnValues"]


def test_compact_spacing_and_empty_analyzers():
    assert validate_ruleset('Rules=[RowCount>0,IsComplete "email"]Analyzers=[]', COLUMNS) == ["RowCount", "IsComplete"]


def test_columns_may_be_any_collection():
    assert validate_ruleset(rules('IsComplete "email"'), {"email", "total"}) == ["IsComplete"]
    assert refused(rules('IsComplete "x"'), {"total", "email"}) == (
        'rule 1 (IsComplete): column "x" is not a column of the dataset (email, total)')


# -- refusals: one line each, saying what is wrong -----------------------------------------------

REFUSALS = [
    # empty
    ("", 'the ruleset is empty: write "Rules = [ ... ]"'),
    ("  \n# only a comment\n", 'the ruleset is empty: write "Rules = [ ... ]"'),
    ("Rules = [ ]", "the Rules list is empty: give at least one rule"),
    # document shape
    ('Metadata = { "Version": "1.0" } Rules = [ RowCount > 0 ]',
     'line 1, column 1: expected "Rules = [", got "Metadata" '
     "(Metadata, DataSources, DefaultLabels and variables are not supported here)"),
    ('min_count = 100\nRules = [ RowCount > 0 ]',
     'line 1, column 1: expected "Rules = [", got "min_count" '
     "(Metadata, DataSources, DefaultLabels and variables are not supported here)"),
    ('Analyzers = [ RowCount ]', 'line 1, column 1: expected "Rules = [", got "Analyzers"'),
    ('Rules [ RowCount > 0 ]', 'line 1, column 1 (Rules): expected "=", got "["'),
    ('Rules = [ RowCount > 0 ] Rules = [ RowCount > 1 ]',
     'line 1, column 26: expected the end of the ruleset or "Analyzers = [" after the Rules list, got "Rules"'),
    # commas
    ('Rules = [ IsComplete "email", ]', "trailing comma after rule 1: remove it or add another rule"),
    ('Rules = [ IsComplete "email",\n  RowCount > 0, ]', "trailing comma after rule 2: remove it or add another rule"),
    ('Rules = [ , IsComplete "email" ]', "rule 1 is missing: a comma with no rule before it"),
    ('Rules = [ IsComplete "email",, RowCount > 0 ]', "rule 2 is missing: a comma with no rule before it"),
    ('Rules = [ IsComplete "email" IsUnique "email" ]',
     'rule 1 (IsComplete): expected "," or "]" after it, got "IsUnique" (missing comma?)'),
    ('Rules = [ RowCount > 0 ] Analyzers = [ RowCount, ]', "trailing comma after analyzer 1: remove it or add another analyzer"),
    # brackets and quotes
    ('Rules = [ IsComplete "email"', 'unbalanced brackets: "[" at line 1, column 9 is never closed'),
    ('Rules = [ IsComplete "email" ] ]', 'unbalanced brackets: "]" at line 1, column 32 has no opening "["'),
    ('Rules = [\n  (IsComplete "email" and (IsUnique "email")\n]',
     'unbalanced brackets: "(" at line 2, column 3 is closed by "]" at line 3, column 1'),
    ('Rules = [ IsComplete "email ]', "unbalanced quotes: the string at line 1, column 22 is never closed"),
    ('Rules = [ IsComplete "email\\" ]', "unbalanced quotes: the string at line 1, column 22 is never closed"),
    ("Rules = [ ColumnValues 'country' = 'US' ]", "line 1, column 24: strings take double quotes, not '"),
    ('Rules = [ RowCount > 0 ] # trailing', "line 1, column 26: a # comment must end with a line break"),
    ('Rules = [ RowCount > 0 ];', 'line 1, column 25: unexpected character ";"'),
    # rule types
    ('Rules = [ IsCompete "email" ]',
     f'rule 1: unknown rule type "IsCompete" (did you mean IsComplete?); supported rule types: {SUPPORTED}'),
    ('Rules = [ RowCount > 0, Frobnicate "email" ]', f'rule 2: unknown rule type "Frobnicate"; supported rule types: {SUPPORTED}'),
    ('Rules = [ RowCountMatch "reference" > 0.9 ]',
     "rule 1: RowCountMatch is not supported here (it compares with a reference dataset, which a stack "
     f"dataset does not declare); supported rule types: {SUPPORTED}"),
    ('Rules = [ FileSize "s3://bucket/x" > 1 ]',
     "rule 1: FileSize is not supported here (file rules check S3 paths, not the dataset's columns); "
     f"supported rule types: {SUPPORTED}"),
    ('Rules = [ AllStatistics "total" ]', "rule 1: AllStatistics is an analyzer; list it under Analyzers = [ ... ]"),
    ('Rules = [ RowCount > 0 ] Analyzers = [ IsComplete "email" ]',
     "analyzer 1: IsComplete cannot be an analyzer; supported analyzer types: " + ", ".join(SUPPORTED_ANALYZER_TYPES)),
    ('Rules = [ > 0 ]', 'rule 1: expected a rule type, got ">"'),
    # columns
    ('Rules = [ RowCount > 0, IsComplete "emial" ]',
     f'rule 2 (IsComplete): column "emial" is not a column of the dataset ({LISTED})'),
    ('Rules = [ (IsComplete "email") and (IsUnique "email" "ordr_id") ]',
     f'rule 1 (IsUnique): column "ordr_id" is not a column of the dataset ({LISTED})'),
    ('Rules = [ RowCount > 0 ] Analyzers = [ Completeness "mail" ]',
     f'analyzer 1 (Completeness): column "mail" is not a column of the dataset ({LISTED})'),
    ('Rules = [ IsComplete "Email" ]', f'rule 1 (IsComplete): column "Email" is not a column of the dataset ({LISTED})'),
    ('Rules = [ IsComplete email ]', 'rule 1 (IsComplete): write the column in double quotes: "email"'),
    # a rule type given columns it does not take
    ('Rules = [ RowCount "order_id" > 100 ]', 'rule 1 (RowCount): takes no column, got "order_id"'),
    ('Rules = [ ColumnCount "email" = 5 ]', 'rule 1 (ColumnCount): takes no column, got "email"'),
    ('Rules = [ IsComplete "email" "total" ]', "rule 1 (IsComplete): takes one column, got 2"),
    ('Rules = [ IsComplete ]', "rule 1 (IsComplete): takes one column, got 0"),
    ('Rules = [ IsUnique ]', "rule 1 (IsUnique): takes one or more columns, got 0"),
    ('Rules = [ ColumnCorrelation "total" > 0.5 ]', "rule 1 (ColumnCorrelation): takes two columns, got 1"),
    ('Rules = [ CustomSql > 0 ]', "rule 1 (CustomSql): takes one SQL statement in double quotes, got 0 strings"),
    ('Rules = [ CustomSql "  " > 0 ]', "rule 1 (CustomSql): the SQL statement is empty"),
    ('Rules = [ ColumnNamesMatchPattern "" ]', "rule 1 (ColumnNamesMatchPattern): the regular expression is empty"),
    # comparisons
    ('Rules = [ Completeness "email" ]', "rule 1 (Completeness): missing comparison, e.g. > 0"),
    ('Rules = [ ColumnValues "country" ]', 'rule 1 (ColumnValues): missing comparison, e.g. in ["a", "b"]'),
    ('Rules = [ ColumnDataType "total" ]', 'rule 1 (ColumnDataType): missing comparison, e.g. = "STRING"'),
    ('Rules = [ DataFreshness "created_at" ]', "rule 1 (DataFreshness): missing comparison, e.g. <= 24 hours"),
    ('Rules = [ Completeness "email" 0.95 ]',
     'rule 1 (Completeness): expected a comparison (= != > >= < <= between in) before "0.95"'),
    ('Rules = [ IsComplete "email" > 0.05 ]', 'rule 1 (IsComplete): takes no comparison, got ">"'),
    ('Rules = [ IsPrimaryKey "order_id" between 1 and 2 ]', 'rule 1 (IsPrimaryKey): takes no comparison, got "between"'),
    ('Rules = [ Mean "total" between 1 10 ]', 'rule 1 (Mean): between needs "and", got "10"'),
    ('Rules = [ Mean "total" not > 1 ]', 'rule 1 (Mean): "not" goes before between, in or matches, got ">"'),
    ('Rules = [ Mean "total" > ]', 'rule 1 (Mean): expected a value, got "]"'),
    ('Rules = [ Mean "total" in [] ]', "rule 1 (Mean): the list after in is empty"),
    ('Rules = [ Mean "total" in [1, 2,] ]', "rule 1 (Mean): trailing comma in the list after in"),
    ('Rules = [ Mean "total" in 1 ]', 'rule 1 (Mean): in takes a list in square brackets, got "1"'),
    ('Rules = [ Mean "total" > "high" ]', 'rule 1 (Mean): compares numbers, got the string "high"'),
    ('Rules = [ RowCount > NULL ]', 'rule 1 (RowCount): compares numbers, got "NULL"'),
    ('Rules = [ Mean "total" matches "1+" ]', "rule 1 (Mean): matches compares strings; this rule compares numbers"),
    ('Rules = [ ColumnValues "country" > "US" ]', 'rule 1 (ColumnValues): ">" compares numbers or dates, not strings'),
    ('Rules = [ ColumnValues "country" in [1, "2"] ]', "rule 1 (ColumnValues): mixes numbers and strings in one comparison"),
    ('Rules = [ ColumnValues "created_at" in ["2024-01-01", "soon"] ]',
     "rule 1 (ColumnValues): mixes dates and strings in one comparison"),
    ('Rules = [ ColumnValues "total" > NULL ]', "rule 1 (ColumnValues): NULL only goes with =, != or in"),
    ('Rules = [ ColumnValues "created_at" > 3 days ]',
     "rule 1 (ColumnValues): compares numbers, strings or dates, not durations"),
    ('Rules = [ ColumnValues "created_at" > (now() - 3 weeks) ]',
     "rule 1 (ColumnValues): a relative date reads (now() - 3 days), with days, hours or minutes"),
    ('Rules = [ ColumnValues "email" matches ]',
     'rule 1 (ColumnValues): matches takes a regular expression in double quotes, got "]"'),
    ('Rules = [ ColumnDataType "total" > "STRING" ]', 'rule 1 (ColumnDataType): compares with = != in or matches, not ">"'),
    ('Rules = [ DataFreshness "created_at" <= 3 ]',
     "rule 1 (DataFreshness): a duration needs a unit (days, hours or minutes), got 3"),
    ('Rules = [ DataFreshness "created_at" between 2 and 4 days ]',
     "rule 1 (DataFreshness): a duration needs a unit (days, hours or minutes), got 2"),
    ('Rules = [ DataFreshness "created_at" < 1.5 hours ]',
     "rule 1 (DataFreshness): a duration is a whole number of days, hours or minutes, got 1.5"),
    ('Rules = [ DataFreshness "created_at" < "2024-01-01" ]',
     'rule 1 (DataFreshness): compares durations, got the string "2024-01-01"'),
    ('Rules = [ Completeness "email" > avg(last(10)) ]',
     "rule 1 (Completeness): dynamic rules and arithmetic (e.g. avg(last(10))) are not supported here"),
    ('Rules = [ Completeness "email" between (0.9 * 2) and 1 ]',
     "rule 1 (Completeness): dynamic rules and arithmetic (e.g. avg(last(10))) are not supported here"),
    ('Rules = [ RowCount > $min_count ]', "rule 1 (RowCount): variables ($name) are not supported here"),
    # composite rules
    ('Rules = [ IsComplete "email" and IsUnique "email" ]',
     "rule 1: each side of and goes in parentheses: (rule) and (rule)"),
    ('Rules = [ (IsComplete "email") or IsUnique "email" ]',
     "rule 1: each side of or goes in parentheses: (rule) or (rule)"),
    ('Rules = [ (IsComplete "email" and IsUnique "email") ]',
     "rule 1: each side of and goes in parentheses: (rule) and (rule)"),
    ('Rules = [ (RowCount > 0) and (IsComplete "email") or (IsUnique "email") ]',
     "rule 1: mixing and with or needs parentheses: ((a) and (b)) or (c)"),
    ('Rules = [ (IsComplete "email") labels=["team"="a"] ]', "rule 1: labels are not supported here"),
    # where and threshold
    ('Rules = [ IsComplete "email" where "" ]', "rule 1 (IsComplete): the where clause is empty"),
    ('Rules = [ IsComplete "email" where total > 1 ]',
     'rule 1 (IsComplete): where takes a SQL condition in double quotes, got "total"'),
    ('Rules = [ ColumnCount = 5 where "total > 1" ]', "rule 1 (ColumnCount): does not take a where clause"),
    ('Rules = [ CustomSql "select 1 from primary" where "total > 1" ]', "rule 1 (CustomSql): does not take a where clause"),
    ('Rules = [ Completeness "email" > 0.4 with threshold > 0.4 ]',
     'rule 1 (Completeness): does not take "with threshold" (ColumnValues, ColumnDataType and CustomSql do)'),
    ('Rules = [ ColumnValues "total" > 0 with threshold ]',
     "rule 1 (ColumnValues) threshold: missing comparison, e.g. > 0"),
    ('Rules = [ ColumnValues "total" > 0 with threshold > "x" ]',
     'rule 1 (ColumnValues) threshold: compares numbers, got the string "x"'),
    ('Rules = [ ColumnValues "total" > 0 with threshold > 0.9 with threshold > 0.7 ]',
     'rule 1 (ColumnValues): only one "with threshold" per rule'),
    ('Rules = [ ColumnValues "total" > 0 with owner = "team-a" ]',
     'rule 1 (ColumnValues): only "with threshold" is supported here, got with "owner"'),
    ('Rules = [ ColumnValues "total" > 0 with threshold > 0.5 where "country = \'US\'" ]',
     'rule 1 (ColumnValues): where goes before "with threshold"'),
    ('Rules = [ IsComplete "email" labels=["team"="a"] ]', "rule 1 (IsComplete): labels are not supported here"),
    # analyzers
    ('Rules = [ RowCount > 0 ] Analyzers = [ Completeness "email" > 0.9 ]',
     'analyzer 1 (Completeness): analyzers take only columns, got ">"'),
    ('Rules = [ RowCount > 0 ] Analyzers = [ RowCount "email" ]', 'analyzer 1 (RowCount): takes no column, got "email"'),
]


@pytest.mark.parametrize(("text", "message"), REFUSALS, ids=[m[:60] for _, m in REFUSALS])
def test_refusal_says_what_is_wrong(text, message):
    assert refused(text) == message


def test_a_dataset_without_columns_says_so():
    assert refused(rules('IsComplete "email"'), ()) == (
        'rule 1 (IsComplete): column "email" is not a column of the dataset (it declares no columns)')


def test_ruleset_over_the_glue_limit_is_refused():
    body = ", ".join(['IsComplete "email"'] * 4000)
    text = rules(body)
    assert len(text) > MAX_RULESET_CHARS
    assert refused(text) == f"the ruleset is {len(text)} characters; Glue takes at most 65536"


def test_messages_quote_values_on_one_line():
    assert refused(rules('IsComplete "line\nbreak"')) == (
        f'rule 1 (IsComplete): column "line\\nbreak" is not a column of the dataset ({LISTED})')
    assert refused("Rules = [ RowCount > 0 ]\r\n") == 'line 1, column 25: unexpected character "\\r"'


# -- properties -----------------------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
numbers = st.one_of(st.integers(-10**6, 10**6).map(str),
                    st.decimals(0, 1, places=3, allow_nan=False).map(lambda d: f"{d:.3f}"))


@st.composite
def number_comparisons(draw) -> str:
    form = draw(st.sampled_from(["op", "between", "in"]))
    if form == "op":
        return f"{draw(st.sampled_from(['=', '!=', '>', '>=', '<', '<=']))} {draw(numbers)}"
    if form == "between":
        return f"{draw(st.sampled_from(['between', 'not between']))} {draw(numbers)} and {draw(numbers)}"
    return f"{draw(st.sampled_from(['in', 'not in']))} [{', '.join(draw(st.lists(numbers, min_size=1, max_size=4)))}]"


@st.composite
def simple_rules(draw, columns: list[str]) -> tuple[str, str]:
    """One rule of a supported type over `columns`, with its type."""
    col = lambda: f'"{draw(st.sampled_from(columns))}"'  # noqa: E731
    where = lambda: draw(st.sampled_from(["", ' where "x > 1"']))  # noqa: E731
    kind = draw(st.sampled_from(SUPPORTED_RULE_TYPES))
    if kind in ("RowCount",):
        text = f"RowCount {draw(number_comparisons())}{where()}"
    elif kind == "ColumnCount":
        text = f"ColumnCount {draw(number_comparisons())}"
    elif kind in ("IsComplete", "IsUnique", "IsPrimaryKey"):
        text = f"{kind} {col()}{where()}"
    elif kind == "ColumnExists":
        text = f"ColumnExists {col()}"
    elif kind == "ColumnCorrelation":
        text = f"ColumnCorrelation {col()} {col()} {draw(number_comparisons())}{where()}"
    elif kind == "ColumnValues":
        cond = draw(st.one_of(
            number_comparisons(),
            st.lists(names, min_size=1, max_size=3).map(lambda vs: "in [" + ", ".join(f'"{v}"' for v in vs) + "]"),
            st.just('matches "^[A-Z]{2}$"'),
            st.integers(1, 99).map(lambda n: f"> (now() - {n} days)")))
        threshold = draw(st.sampled_from(["", " with threshold > 0.9"]))
        text = f"ColumnValues {col()} {cond}{where()}{threshold}"
    elif kind == "ColumnDataType":
        text = f'ColumnDataType {col()} = "{draw(st.sampled_from(["STRING", "Integer", "Date"]))}"'
    elif kind == "DataFreshness":
        text = f"DataFreshness {col()} <= {draw(st.integers(1, 1000))} {draw(st.sampled_from(['days', 'hours', 'minutes']))}"
    elif kind == "CustomSql":
        text = 'CustomSql "select count(*) from primary where \\"a\\" = 1" ' + draw(number_comparisons())
    elif kind == "ColumnNamesMatchPattern":
        text = 'ColumnNamesMatchPattern "^[a-z_]+$"'
    else:  # the one-column metrics
        text = f"{kind} {col()} {draw(number_comparisons())}{where()}"
    return text, kind


@st.composite
def top_rules(draw, columns: list[str]) -> tuple[str, list[str]]:
    """A plain rule, or two or three in parentheses joined by one operator."""
    members = draw(st.lists(simple_rules(columns), min_size=1, max_size=3))
    if len(members) == 1 and draw(st.booleans()):
        return members[0][0], [members[0][1]]
    op = draw(st.sampled_from([" and ", " or ", " AND ", " OR "]))
    return op.join(f"({text})" for text, _ in members), [kind for _, kind in members]


@st.composite
def rulesets(draw) -> tuple[str, list[str], list[str]]:
    columns = draw(st.lists(names, min_size=2, max_size=6, unique=True))
    tops = draw(st.lists(top_rules(columns), min_size=1, max_size=8))
    sep = draw(st.sampled_from([", ", ",\n  ", " ,\n# next rule\n  ", ",\t"]))
    text = "Rules = [\n  " + sep.join(t for t, _ in tops) + "\n]\n"
    return text, [k for _, kinds in tops for k in kinds], columns


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_generated_valid_ruleset_returns_its_rule_types_in_order(case):
    text, kinds, columns = case
    assert validate_ruleset(text, columns) == kinds


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=6, unique=True), names, st.integers(0, 5))
def test_a_column_outside_the_dataset_is_named_with_the_dataset_columns(columns, stranger, position):
    if stranger in columns:
        stranger += "_x"
    before = ["RowCount > 0"] * position
    text = rules(*before, f'IsComplete "{stranger}"')
    assert refused(text, columns) == (
        f'rule {position + 1} (IsComplete): column "{stranger}" is not a column of the dataset ({", ".join(columns)})')


PIECES = [*'Rules=[](),"\' \n\t#<>!-+.$09', "Rules = [", "Analyzers = [", "IsComplete", "RowCount", "ColumnValues",
          "DataFreshness", '"email"', '"x\\"', "now()", "hours", "between", "and", "or", "in", "not", "where", "with",
          "threshold", "NULL", "0.5", "12"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_any_text_is_parsed_or_refused_with_one_line(text):
    try:
        types = validate_ruleset(text, COLUMNS)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert types and set(types) <= set(SUPPORTED_RULE_TYPES) | set(SUPPORTED_ANALYZER_TYPES)
