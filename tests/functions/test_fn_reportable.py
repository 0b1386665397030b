"""Reportable stage: dataset parsing, record shaping, Iceberg schema evolution, quality and
publication payloads, run locally; publish() against moto (EventBridge -> SQS, CloudWatch)."""
import json
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings, strategies as st

from conftest import FUNCTIONS_DIR, REGION, load_function

tf = load_function("reportable", "transform")

ORDERS = {
    "name": "orders", "version": "1.2.0",
    "columns": [
        {"name": "order_id", "type": "string", "nullable": False, "source": "order_id"},
        {"name": "customer", "type": "string"},
        {"name": "qty", "type": "int", "nullable": False},
        {"name": "views", "type": "bigint"},
        {"name": "weight", "type": "float"},
        {"name": "ratio", "type": "double"},
        {"name": "amount", "type": "decimal(10,2)", "nullable": False},
        {"name": "gift", "type": "boolean"},
        {"name": "order_date", "type": "date", "nullable": False, "source": "created_at"},
        {"name": "created_at", "type": "timestamp"},
    ],
    "partitioning": ["order_date"], "ruleset": "retail-dev-orders-dq-orders", "min_score": 0.9,
}
DS = tf.parse_datasets(json.dumps([ORDERS]))[0]
GOOD = {"order_id": "o-1", "customer": "Zoë", "qty": "3", "views": 2 ** 40, "weight": "1.5", "ratio": 0.25,
        "amount": "19.90", "gift": "TRUE", "created_at": "2024-01-01T01:30:00+02:00", "ingest_date": "2024-01-01"}


def shaped(**changes):
    record = {**GOOD, **changes}
    for key in [k for k, v in changes.items() if v is _ABSENT]:
        del record[key]
    return tf.shape_record(record, DS)


_ABSENT = object()


# --- parsing the --datasets argument ----------------------------------------------------------

def test_parse_datasets_builds_frozen_dataclasses_with_defaults():
    assert DS.name == "orders" and DS.table == "orders" and DS.version == "1.2.0" and DS.major == 1
    assert DS.partitioning == ("order_date",) and DS.min_score == 0.9 and DS.ruleset == "retail-dev-orders-dq-orders"
    assert DS.columns[1] == tf.Column(name="customer", type="string", nullable=True, source="customer")
    assert DS.columns[8] == tf.Column(name="order_date", type="date", nullable=False, source="created_at")
    assert DS.columns[6].decimal == (10, 2) and DS.columns[5].decimal is None
    minimal = tf.parse_datasets('[{"name": "m", "version": "0.1.0", '
                                '"columns": [{"name": "a", "type": "DECIMAL(38, 0)"}]}]')
    assert minimal[0] == tf.Dataset(name="m", version="0.1.0", columns=(tf.Column("a", "decimal(38,0)", True, "a"),),
                                    partitioning=(), ruleset=None, min_score=1.0)
    with pytest.raises(AttributeError):
        DS.name = "other"


def _with(**changes):
    return {**ORDERS, **changes}


def _column(i, **changes):
    columns = [dict(c) for c in ORDERS["columns"]]
    columns[i].update(changes)
    return _with(columns=columns)


@pytest.mark.parametrize("raw,message", [
    ("not json", "datasets: not JSON"),
    ("{}", "datasets: must be a non-empty JSON list"),
    ("[]", "datasets: must be a non-empty JSON list"),
    ([42], "datasets[0]: must be an object, got int"),
    ([_with(name="Orders")], "datasets[0].name: 'Orders' must match"),
    ([_with(version="1.2")], "datasets[0].version: '1.2' is not a MAJOR.MINOR.PATCH version"),
    ([_with(columns=[])], "datasets[0].columns: must be a non-empty list"),
    ([_with(owner="x")], "datasets[0]: unknown key(s) owner"),
    ([_column(2, type="varchar")], "datasets[0].columns[2].type: 'varchar' is not a column type"),
    ([_column(2, type="decimal(39,2)")], "datasets[0].columns[2].type: 'decimal(39,2)' is not a column type"),
    ([_column(2, type="decimal(5,6)")], "datasets[0].columns[2].type"),
    ([_column(2, nullable="no")], "datasets[0].columns[2].nullable: must be true or false"),
    ([_column(2, source="bad-name")], "datasets[0].columns[2].source"),
    ([_column(2, name="order_id")], "datasets[0].columns[2].name: duplicate column 'order_id'"),
    ([_column(2, default=1)], "datasets[0].columns[2]: unknown key(s) default"),
    ([_with(partitioning=["nope"])], "datasets[0].partitioning[0]: 'nope' is not a column of orders"),
    ([_with(partitioning=["qty", "qty"])], "datasets[0].partitioning[1]: duplicate partition column"),
    ([_with(ruleset="")], "datasets[0].ruleset"),
    ([_with(min_score=1.5)], "datasets[0].min_score: must be a number from 0 to 1, got 1.5"),
    ([_with(min_score=True)], "datasets[0].min_score"),
    ([ORDERS, ORDERS], "datasets[1].name: duplicate dataset 'orders'"),
])
def test_malformed_datasets_are_refused_with_the_path(raw, message):
    with pytest.raises(tf.DatasetError) as err:
        tf.parse_datasets(raw if isinstance(raw, str) else json.dumps(raw))
    assert message in str(err.value)


# --- shaping records ------------------------------------------------------------------------------

def test_valid_record_becomes_a_typed_row():
    row, reason = shaped()
    assert reason is None
    assert row == {"order_id": "o-1", "customer": "Zoë", "qty": 3, "views": 2 ** 40, "weight": 1.5, "ratio": 0.25,
                   "amount": Decimal("19.90"), "gift": True, "order_date": date(2023, 12, 31),
                   "created_at": datetime(2023, 12, 31, 23, 30, tzinfo=timezone.utc)}
    assert str(row["amount"]) == "19.90"            # exactly the column's scale
    assert tf.row_values(row, DS)[:3] == ("o-1", "Zoë", 3)


def test_nullable_columns_take_missing_and_blank_values():
    row, reason = shaped(customer=None, views=_ABSENT, weight="  ", gift="", created_at=_ABSENT,
                         order_date=None)  # order_date has source created_at -> still needed
    assert row is None and reason == "order_date: partition column is null (source field created_at)"
    row, reason = shaped(customer=None, views=_ABSENT, weight="  ", gift="")
    assert reason is None
    assert (row["customer"], row["views"], row["weight"], row["gift"]) == (None, None, None, None)
    row, _ = shaped(customer="")                     # an empty string is a string
    assert row["customer"] == ""


@pytest.mark.parametrize("changes,reason", [
    ({"order_id": _ABSENT}, "order_id: missing required value (source field order_id)"),
    ({"order_id": None}, "order_id: missing required value (source field order_id)"),
    ({"amount": " "}, "amount: missing required value (source field amount)"),
    ({"created_at": None}, "order_date: partition column is null (source field created_at)"),
    ({"qty": True}, "qty: expected int, got bool True"),
    ({"qty": 2.5}, "qty: 2.5 is not an integer"),
    ({"qty": "2.0"}, "qty: '2.0' is not an integer"),
    ({"qty": "1_000"}, "qty: '1_000' is not an integer"),
    ({"qty": 2 ** 31}, "qty: 2147483648 out of range for int"),
    ({"qty": -(2 ** 31) - 1}, "qty: -2147483649 out of range for int"),
    ({"qty": "9" * 5000}, "out of range for int"),
    ({"views": 2 ** 63}, "views: 9223372036854775808 out of range for bigint"),
    ({"views": float("inf")}, "views: inf is not an integer"),
    ({"views": [1]}, "views: expected bigint, got list [1]"),
    ({"weight": "nan"}, "weight: 'nan' is not a number"),
    ({"weight": float("nan")}, "weight: nan is not a finite float"),
    ({"weight": 1e39}, "weight: 1e+39 out of range for float"),
    ({"weight": False}, "weight: expected float, got bool False"),
    ({"ratio": "1e400"}, "ratio: '1e400' is not a finite double"),
    ({"ratio": Decimal("NaN")}, "ratio: Decimal('NaN') is not a finite double"),
    ({"ratio": "0x10"}, "ratio: '0x10' is not a number"),
    ({"amount": "19.999"}, "amount: '19.999' has more than 2 decimal places for decimal(10,2) (not rounded)"),
    ({"amount": 0.125}, "amount: 0.125 has more than 2 decimal places"),
    ({"amount": "123456789"}, "amount: '123456789' has more than 8 integer digits for decimal(10,2)"),
    ({"amount": "1e999999999"}, "amount: '1e999999999' out of range for decimal(10,2)"),
    ({"amount": "Infinity"}, "amount: 'Infinity' is not a number"),
    ({"amount": True}, "amount: expected decimal(10,2), got bool True"),
    ({"gift": 1}, "gift: expected boolean, got int 1"),
    ({"gift": "yes"}, "gift: 'yes' is not true or false"),
    ({"created_at": "yesterday"}, "order_date: unparseable timestamp 'yesterday'"),
    ({"created_at": True}, "order_date: expected date, got bool True"),
    ({"created_at": "0001-01-01T00:00:00+01:00"}, "order_date: unparseable timestamp"),
    ({"created_at": "2024-02-30"}, "order_date: '2024-02-30' is not a date"),
    ({"order_id": 42}, "order_id: expected string, got int 42"),
    ({"order_id": "o\udc80"}, "order_id: string contains a lone surrogate"),
])
def test_each_rejection_names_column_and_cause(changes, reason):
    row, why = shaped(**changes)
    assert row is None
    assert reason in why and "\n" not in why


def test_a_non_object_record_is_rejected():
    assert tf.shape_record(["o-1"], DS) == (None, "record is a list, not an object")


@pytest.mark.parametrize("value,amount", [
    ("19.9", "19.90"), ("19.900000", "19.90"), (7, "7.00"), (0.1, "0.10"), (Decimal("-99999999.99"), "-99999999.99"),
    ("+1E2", "100.00"), (" 3 ", "3.00"), ("-0", "0.00"),
])
def test_decimals_are_exact_at_the_column_scale(value, amount):
    row, reason = shaped(amount=value)
    assert reason is None and str(row["amount"]) == amount


@pytest.mark.parametrize("value,expected", [
    ("2024-03-10T12:00:00+05:30", datetime(2024, 3, 10, 6, 30, tzinfo=timezone.utc)),
    ("2024-03-10T23:30:00-02:00", datetime(2024, 3, 11, 1, 30, tzinfo=timezone.utc)),
    ("2024-03-10T00:00:00Z", datetime(2024, 3, 10, tzinfo=timezone.utc)),
    ("2024-03-10T00:00:00", datetime(2024, 3, 10, tzinfo=timezone.utc)),          # naive = UTC
    (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),          # epoch seconds
    (1700000000123, datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)),  # epoch ms
    (datetime(2024, 1, 1, 3, tzinfo=timezone(timedelta(hours=5))), datetime(2023, 12, 31, 22, tzinfo=timezone.utc)),
])
def test_timestamps_become_aware_utc_and_dates_their_utc_day(value, expected):
    row, reason = shaped(created_at=value)
    assert reason is None
    assert row["created_at"] == expected and row["created_at"].utcoffset() == timedelta(0)
    assert row["order_date"] == expected.date()


def test_date_columns_take_plain_dates():
    for value in ("2024-02-29", date(2024, 2, 29), " 2024-02-29 "):
        row, reason = tf.shape_record({**GOOD, "created_at": "2024-02-29T10:00:00Z", "day": value},
                                      tf.Dataset("d", "1.0.0", (tf.Column("day", "date", False, "day"),)))
        assert reason is None and row == {"day": date(2024, 2, 29)}


# --- schema drift -----------------------------------------------------------------------------------

def test_retyped_missing_and_extra_fields():
    retyped, why = shaped(qty="three")
    assert retyped is None and why == "qty: 'three' is not an integer"
    missing, why = shaped(amount=_ABSENT)
    assert missing is None and why == "amount: missing required value (source field amount)"
    extra, why = shaped(coupon="X1", legacy_flag=True)
    assert why is None and "coupon" not in extra and set(extra) == {c.name for c in DS.columns}
    counts = {**{k: 10 for k in GOOD}, "coupon": 4, "legacy_flag": 0, "customer": 0}
    counts.pop("gift")
    assert tf.schema_drift(counts, DS) == {"missingSources": ["customer", "gift"],
                                           "unusedFields": ["coupon", "ingest_date"]}
    assert tf.schema_drift({**{c.source: 1 for c in DS.columns}}, DS) == {"missingSources": [], "unusedFields": []}


# --- quarantine lines -------------------------------------------------------------------------------

def test_rejected_line_is_ascii_json_that_round_trips_anything():
    record = {"order_id": "o\udc80", "name": "Zoë", "n": float("nan"), "d": Decimal("1.10"),
              "t": datetime(2024, 1, 1, tzinfo=timezone.utc), "b": b"\x00\xff", "nested": {"x": [1, (2, 3)]}}
    line = tf.rejected_line(record, "order_id: string contains a lone surrogate")
    assert line.isascii() and "\n" not in line
    assert json.loads(line) == {"reason": "order_id: string contains a lone surrogate",
                                "record": {"order_id": "o\udc80", "name": "Zoë", "n": "nan", "d": "1.10",
                                           "t": "2024-01-01T00:00:00+00:00", "b": "00ff", "nested": {"x": [1, [2, 3]]}}}


def test_tag_records_keeps_order_and_reasons():
    out = list(tf.tag_records([GOOD, {**GOOD, "qty": "x"}, "junk"], DS))
    assert [ok for ok, _ in out] == [True, False, False]
    assert out[0][1][0] == "o-1" and len(out[0][1]) == len(DS.columns)
    assert json.loads(out[1][1])["reason"] == "qty: 'x' is not an integer"
    assert json.loads(out[2][1]) == {"reason": "record is a str, not an object", "record": "junk"}


def test_spark_schema_matches_the_declaration():
    fields = tf.spark_schema(DS)["fields"]
    assert [(f["name"], f["type"], f["nullable"]) for f in fields] == [
        ("order_id", "string", False), ("customer", "string", True), ("qty", "integer", False),
        ("views", "long", True), ("weight", "float", True), ("ratio", "double", True),
        ("amount", "decimal(10,2)", False), ("gift", "boolean", True), ("order_date", "date", False),
        ("created_at", "timestamp", True)]


# --- properties -------------------------------------------------------------------------------------

SOURCES = sorted({c.source for c in DS.columns})
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)  # surrogates included
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(), ANY_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True), st.dates(), st.datetimes(timezones=st.just(timezone.utc)),
    st.sampled_from(["2024-01-01", "2024-01-01T00:00:00Z", "12.5", "true", "1700000000000", " ", "1e5"]),
    st.lists(st.integers(), max_size=2))
# A valid record with a field or two replaced or dropped: both outcomes come up often.
NEAR_GOOD = st.builds(lambda changes, dropped: {k: v for k, v in {**GOOD, **changes}.items() if k not in dropped},
                      st.dictionaries(st.sampled_from(SOURCES), VALUES, max_size=2),
                      st.sets(st.sampled_from(SOURCES), max_size=1))
RECORDS = st.one_of(NEAR_GOOD, NEAR_GOOD,
                    st.dictionaries(st.one_of(st.sampled_from(SOURCES), ANY_TEXT), VALUES, max_size=12),
                    st.fixed_dictionaries({k: VALUES for k in SOURCES}), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORDS, max_size=8))
def test_every_record_ends_as_exactly_one_row_or_one_reject(records):
    tagged = list(tf.tag_records(records, DS))
    assert len(tagged) == len(records)
    for record, (ok, payload) in zip(records, tagged):
        row, reason = tf.shape_record(record, DS)
        assert (row is None) != (reason is None)
        assert ok == (row is not None)
        if ok:
            assert payload == tf.row_values(row, DS)
            for column in DS.columns:
                value = row[column.name]
                if not column.nullable or column.name in DS.partitioning:
                    assert value is not None
                if column.type == "int" and value is not None:
                    assert type(value) is int and -(2 ** 31) <= value < 2 ** 31
                if column.type == "string" and value is not None:
                    value.encode("utf-8")
                if column.type == "timestamp" and value is not None:
                    assert value.utcoffset() == timedelta(0)
        else:
            assert payload.isascii() and json.loads(payload)["reason"] == reason


@given(st.integers(-(10 ** 12), 10 ** 12), st.integers(-5, 3))
def test_decimal_accepted_exactly_when_it_fits_without_rounding(unscaled, exponent):
    value = Decimal(unscaled).scaleb(exponent)
    column = tf.Column("amount", "decimal(10,2)", False, "amount")
    row, reason = tf.shape_record({"amount": str(value)}, tf.Dataset("d", "1.0.0", (column,)))
    cents = value * 100
    fits = cents == cents.to_integral_value() and abs(cents) < 10 ** 10
    assert (row is not None) == fits, (value, reason)
    if fits:
        assert row["amount"] == value and row["amount"].as_tuple().exponent == -2


# --- schema evolution -------------------------------------------------------------------------------

T = "glue_catalog.`retail_orders`.`orders`"
TABLE_NOW = [("order_id", "string", False), ("customer", "string", True), ("qty", "int", False),
             ("views", "int", True), ("weight", "float", True), ("ratio", "double", True),
             ("amount", "decimal(8,2)", False), ("gift", "boolean", True), ("order_date", "date", False)]


def changes(table_columns, version="1.1.0", dataset=DS):
    return tf.schema_changes(table_columns, dataset, version, "retail_orders")


def test_additive_and_widening_changes_within_a_major():
    assert changes(TABLE_NOW) == [
        f"ALTER TABLE {T} ALTER COLUMN `views` TYPE bigint",
        f"ALTER TABLE {T} ALTER COLUMN `amount` TYPE decimal(10,2)",
        f"ALTER TABLE {T} ADD COLUMNS (`created_at` timestamp)",
        f"ALTER TABLE {T} SET TBLPROPERTIES ('ddp.dataset_version'='1.2.0')"]
    widened = [("weight", "float")]
    ds = tf.Dataset("orders", "1.3.0", (tf.Column("weight", "double", True, "weight"),))
    assert changes(widened, "1.2.0", ds) == [f"ALTER TABLE {T} ALTER COLUMN `weight` TYPE double",
                                             f"ALTER TABLE {T} SET TBLPROPERTIES ('ddp.dataset_version'='1.3.0')"]


def test_table_already_at_the_declared_schema_and_version_needs_nothing():
    current = [(c.name, c.type.upper(), c.nullable or c.name == "order_date") for c in DS.columns]
    assert changes(current, "1.2.0") == []
    assert changes(current, "1.1.9") == [f"ALTER TABLE {T} SET TBLPROPERTIES ('ddp.dataset_version'='1.2.0')"]


def test_a_required_column_declared_nullable_is_relaxed():
    ds = tf.Dataset("orders", "1.2.1", (tf.Column("qty", "int", True, "qty"),))
    assert changes([("qty", "int", False)], "1.2.0", ds)[0] == f"ALTER TABLE {T} ALTER COLUMN `qty` DROP NOT NULL"


@pytest.mark.parametrize("table_columns,conflicts", [
    (TABLE_NOW + [("legacy", "string", True)], ["legacy"]),                              # drop
    ([c if c[0] != "qty" else ("qty", "string", False) for c in TABLE_NOW], ["qty"]),    # retype
    ([c if c[0] != "views" else ("views", "bigint", True) for c in TABLE_NOW]
     + [("created_at", "timestamp_ntz", True)], ["created_at"]),                         # not a widening
    ([c if c[0] != "amount" else ("amount", "decimal(12,2)", False) for c in TABLE_NOW], ["amount"]),  # narrowing
    ([c if c[0] != "amount" else ("amount", "decimal(8,1)", False) for c in TABLE_NOW], ["amount"]),   # scale change
    ([c if c[0] != "ratio" else ("ratio", "decimal(10,2)", True) for c in TABLE_NOW]
     + [("legacy", "int", True)], ["ratio", "legacy"]),                                  # all named at once
])
def test_breaking_changes_are_refused_without_a_major_bump(table_columns, conflicts):
    with pytest.raises(tf.SchemaConflict) as err:
        changes(table_columns, "1.1.0")
    assert sorted(err.value.columns) == sorted(conflicts)
    assert err.value.table == T and "needs a major version above the table's 1.1.0" in str(err.value)
    with pytest.raises(tf.SchemaConflict, match="the table records no version"):
        changes(table_columns, None)


def test_breaking_changes_are_made_with_a_major_bump():
    table_columns = ([c if c[0] != "qty" else ("qty", "string", False) for c in TABLE_NOW]
                     + [("legacy", "string", True)])
    v2 = tf.Dataset(**{**DS.__dict__, "version": "2.0.0"})
    assert changes(table_columns, "1.4.2", v2) == [
        f"ALTER TABLE {T} DROP COLUMN `legacy`",
        f"ALTER TABLE {T} DROP COLUMN `qty`",
        f"ALTER TABLE {T} ALTER COLUMN `views` TYPE bigint",
        f"ALTER TABLE {T} ALTER COLUMN `amount` TYPE decimal(10,2)",
        f"ALTER TABLE {T} ADD COLUMNS (`qty` int, `created_at` timestamp)",
        f"ALTER TABLE {T} SET TBLPROPERTIES ('ddp.dataset_version'='2.0.0')"]


def test_partition_retype_and_version_regression_are_always_refused():
    v2 = tf.Dataset(**{**DS.__dict__, "version": "2.0.0"})
    retyped = [c if c[0] != "order_date" else ("order_date", "string", False) for c in TABLE_NOW]
    with pytest.raises(tf.SchemaConflict, match="order_date: partition column string -> date needs a new table"):
        changes(retyped, "1.2.0", v2)
    with pytest.raises(tf.SchemaConflict, match="declared 1.2.0 is older than the table's 1.10.0"):
        changes(TABLE_NOW, "1.10.0")


def test_identifiers_are_backtick_quoted():
    assert tf.quote("we`ird") == "`we``ird`"
    assert tf.qualified_table("db", "t") == "glue_catalog.`db`.`t`"


# --- quality, metrics, events -----------------------------------------------------------------------

@pytest.mark.parametrize("outcomes,score", [([], 1.0), (["Passed"] * 3, 1.0), (["Passed", "Failed"], 0.5),
                                            (["Passed", "Error", "Failed", "Passed"], 0.5), (["Failed"], 0.0),
                                            (["passed"], 0.0)])
def test_quality_score(outcomes, score):
    assert tf.quality_score(outcomes) == score


def test_metric_builders():
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    dims = [{"Name": "DataProduct", "Value": "retail-orders"}, {"Name": "Dataset", "Value": "orders"}]
    assert tf.quality_metrics("retail-orders", "orders", 0.75) == [
        {"MetricName": "QualityScore", "Value": 0.75, "Unit": "None", "Dimensions": dims}]
    assert tf.publish_metrics("retail-orders", "orders", 10, 2, when) == [
        {"MetricName": "RowsPublished", "Value": 10, "Unit": "Count", "Dimensions": dims, "Timestamp": when},
        {"MetricName": "RowsRejected", "Value": 2, "Unit": "Count", "Dimensions": dims, "Timestamp": when}]
    with pytest.raises(ValueError):
        tf.quality_metrics("retail-orders", "orders", 1.5)


def event(run_id="jr_1", **kw):
    return tf.published_event(**{"bus_name": "retail-orders", "source": "retail.orders", "dataset": DS,
                                 "table": "retail_orders.orders", "row_count": 10, "rejected_count": 2,
                                 "run_id": run_id, "quality_score": 0.95, **kw})


def test_published_event_entry():
    entry = event()
    assert {k: v for k, v in entry.items() if k != "Detail"} == {
        "EventBusName": "retail-orders", "Source": "retail.orders", "DetailType": "Dataset Published"}
    assert json.loads(entry["Detail"]) == {"dataset": "orders", "version": "1.2.0", "table": "retail_orders.orders",
                                           "rowCount": 10, "rejectedCount": 2, "runId": "jr_1", "qualityScore": 0.95}


def test_entry_size_counts_utf8_bytes_as_eventbridge_does():
    base = {"Source": "só", "DetailType": "T", "Detail": '{"a":"€"}'}
    assert tf.entry_size(base) == 3 + 1 + 11
    assert tf.entry_size({**base, "EventBusName": "x" * 500}) == 15      # the bus name does not count
    assert tf.entry_size({**base, "Time": datetime.now(timezone.utc), "Resources": ["arn:é"]}) == 15 + 14 + 6


def _run_id_of_bytes(n):
    """A run id of exactly n UTF-8 bytes, mostly two-byte characters."""
    return "é" * (n // 2) + "a" * (n % 2)


def test_256_kb_limit_just_under_and_just_over_with_non_ascii_text():
    fixed = tf.entry_size(event(run_id=""))
    under = event(run_id=_run_id_of_bytes(tf.MAX_ENTRY_BYTES - 1 - fixed))
    assert tf.entry_size(under) == tf.MAX_ENTRY_BYTES - 1 == 262_143
    over_id = _run_id_of_bytes(tf.MAX_ENTRY_BYTES - fixed)
    assert len(over_id) < tf.MAX_ENTRY_BYTES // 2 + 1        # far fewer characters than bytes
    with pytest.raises(tf.EventTooLarge, match="262144 bytes"):
        event(run_id=over_id)
    with pytest.raises(ValueError):                          # a lone surrogate cannot be sent at all
        event(run_id="jr\udc80")


def test_batch_fingerprint_ignores_row_order_but_not_content():
    rows = [tf.row_values(tf.shape_record({**GOOD, "order_id": f"o{i}"}, DS)[0], DS) for i in range(5)]

    def fingerprint(batch):
        total = 0
        for r in batch:
            total = tf.add_digests(total, tf.row_digest(r))
        return tf.batch_fingerprint(DS, len(batch), total)

    assert fingerprint(rows) == fingerprint(list(reversed(rows)))
    assert fingerprint(rows) != fingerprint(rows[:4] + [rows[0]])
    assert fingerprint(rows).startswith("1.2.0/5/") and len(fingerprint(rows)) == len("1.2.0/5/") + 32


# --- the Glue job ---------------------------------------------------------------------------------

def test_job_module_imports_without_glue():
    job = load_function("reportable", "job")
    assert not {"awsglue", "awsgluedq", "pyspark"} & set(sys.modules)
    with pytest.raises(ImportError):
        job.main(["job.py"])


def test_job_argument_helpers():
    job = load_function("reportable", "job")
    assert job.REQUIRED_ARGS == ["JOB_NAME", "datasets", "source_path", "quarantine_path", "database", "warehouse",
                                 "event_bus_name", "event_source", "metric_namespace", "data_product"]
    assert job.optional_args(["job.py", "--JOB_RUN_ID", "jr_1"]) == ["JOB_RUN_ID"]
    assert job.optional_args(["job.py", "--datasets", "[]"]) == []
    assert job.iceberg_conf("s3://retail-orders-reportable/") == {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.catalog.glue_catalog": "org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.catalog.glue_catalog.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        "spark.sql.catalog.glue_catalog.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        "spark.sql.catalog.glue_catalog.warehouse": "s3://retail-orders-reportable/"}
    with pytest.raises(ValueError):
        job.iceberg_conf("/tmp/warehouse")
    assert job.quarantine_prefix("s3://b/quarantine/reportable", "orders", "jr_1") == \
        "s3://b/quarantine/reportable/orders/run=jr_1/"
    assert job.quarantine_prefix("s3://b/q/", "orders", "jr_1") == "s3://b/q/orders/run=jr_1/"
    for bad in (("b/q/", "orders", "jr_1"), ("s3://b/q/", "orders", "a/b"), ("s3://b/q/", "orders", "")):
        with pytest.raises(ValueError):
            job.quarantine_prefix(*bad)


def test_job_order_schema_first_bookmark_last():
    source = (FUNCTIONS_DIR / "reportable" / "job.py").read_text()
    main_body = source[source.index("def main("):]
    process = source[source.index("def process_dataset("):source.index("def main(")]
    assert main_body.index("evolve_schemas(ctx, datasets)") < main_body.index("create_dynamic_frame")
    assert 'transformation_ctx="curated_source"' in main_body
    assert main_body.index("process_dataset(") < main_body.rindex("job.commit()")
    assert process.index(".append()") < process.index("publish(ctx.events")
    assert "already_appended(" in process and 'mode("append")' not in process


def test_fetch_ruleset_reads_the_dqdl():
    job = load_function("reportable", "job")
    glue = boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(glue) as stub:
        stub.add_response("get_data_quality_ruleset", {"Name": "retail-dev-orders-dq-orders",
                                                       "Ruleset": 'Rules = [ IsComplete "order_id" ]'},
                          {"Name": "retail-dev-orders-dq-orders"})
        assert job.fetch_ruleset(glue, "retail-dev-orders-dq-orders") == 'Rules = [ IsComplete "order_id" ]'
        stub.assert_no_pending_responses()


@pytest.fixture
def bus(aws):
    """An event bus whose "Dataset Published" events a rule delivers to an SQS queue."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="retail-orders")
    queue_url = sqs.create_queue(QueueName="published")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="published", EventBusName="retail-orders",
                    EventPattern=json.dumps({"source": ["retail.orders"], "detail-type": ["Dataset Published"]}))
    events.put_targets(Rule="published", EventBusName="retail-orders", Targets=[{"Id": "q", "Arn": queue_arn}])
    return {"events": events, "cloudwatch": boto3.client("cloudwatch"), "sqs": sqs, "queue_url": queue_url,
            "job": load_function("reportable", "job")}


def _delivered(bus):
    messages = bus["sqs"].receive_message(QueueUrl=bus["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def _metric_sum(cloudwatch, name):
    stats = cloudwatch.get_metric_statistics(
        Namespace="DDP/Reportable", MetricName=name, Statistics=["Sum"], Period=60,
        StartTime=datetime.now(timezone.utc) - timedelta(minutes=5),
        EndTime=datetime.now(timezone.utc) + timedelta(minutes=5),
        Dimensions=[{"Name": "DataProduct", "Value": "retail-orders"}, {"Name": "Dataset", "Value": "orders"}])
    return sum(p["Sum"] for p in stats["Datapoints"])


def test_publish_delivers_the_event_and_the_metrics(bus):
    metrics = tf.publish_metrics("retail-orders", "orders", 10, 2) + tf.quality_metrics("retail-orders", "orders", 0.95)
    event_id = bus["job"].publish(bus["events"], bus["cloudwatch"], namespace="DDP/Reportable",
                                  metric_data=metrics, entry=event())
    delivered = _delivered(bus)
    assert len(delivered) == 1 and delivered[0]["id"] == event_id
    assert delivered[0]["detail-type"] == "Dataset Published" and delivered[0]["source"] == "retail.orders"
    assert delivered[0]["detail"] == {"dataset": "orders", "version": "1.2.0", "table": "retail_orders.orders",
                                      "rowCount": 10, "rejectedCount": 2, "runId": "jr_1", "qualityScore": 0.95}
    listed = bus["cloudwatch"].list_metrics(Namespace="DDP/Reportable")["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["QualityScore", "RowsPublished", "RowsRejected"]
    assert all(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])
               == [("DataProduct", "retail-orders"), ("Dataset", "orders")] for m in listed)
    assert (_metric_sum(bus["cloudwatch"], "RowsPublished"), _metric_sum(bus["cloudwatch"], "RowsRejected"),
            _metric_sum(bus["cloudwatch"], "QualityScore")) == (10, 2, 0.95)


def test_publish_metrics_only_when_nothing_was_appended(bus):
    assert bus["job"].publish(bus["events"], bus["cloudwatch"], namespace="DDP/Reportable",
                              metric_data=tf.publish_metrics("retail-orders", "orders", 0, 7)) is None
    assert _delivered(bus) == []
    assert _metric_sum(bus["cloudwatch"], "RowsRejected") == 7


def test_a_refused_entry_is_an_error(bus):
    refused = {**event(), "Detail": "{not json"}
    with pytest.raises(bus["job"].PublishError, match="MalformedDetail"):
        bus["job"].publish(bus["events"], bus["cloudwatch"], namespace="DDP/Reportable",
                           metric_data=tf.publish_metrics("retail-orders", "orders", 10, 0), entry=refused)
    assert _delivered(bus) == []
