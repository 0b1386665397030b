"""Batch ETL transform logic, run locally without Spark or Glue."""
import json
import sys
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from conftest import load_function

tf = load_function("batch_etl", "transform")
NOW = datetime(2024, 6, 30, 23, 59, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw,expected", [
    ("OrderID", "order_id"), ("createdAt", "created_at"), ("customer Name", "customer_name"),
    ("Total ($)", "total"), ("already_snake", "already_snake"), ("HTTPServerURL", "http_server_url"),
    ("  spaced  ", "spaced"), ("2ndLine", "_2nd_line"), ("a--b__c", "a_b_c"),
])
def test_snake_case(raw, expected):
    assert tf.snake_case(raw) == expected


def test_normalise_columns_makes_collisions_unique():
    assert tf.normalise_columns(["OrderId", "order_id", "Order ID", "$$"]) == {
        "OrderId": "order_id", "order_id": "order_id_2", "Order ID": "order_id_3", "$$": "col_3"}


@given(st.lists(st.text(max_size=12), max_size=15, unique=True))
def test_normalised_names_are_unique_and_snake(names):
    out = list(tf.normalise_columns(names).values())
    assert len(out) == len(set(out)) == len(names)
    for n in out:
        assert n == n.lower() and " " not in n and n


def test_transform_derives_ingest_date_from_timestamp_in_utc():
    clean, reason = tf.transform_record({"OrderId": "o1", "CreatedAt": "2024-01-01T01:00:00+02:00"},
                                        ["orderId"], "createdAt", NOW)
    assert reason is None
    assert clean == {"order_id": "o1", "created_at": "2024-01-01T01:00:00+02:00", "ingest_date": "2023-12-31"}


@pytest.mark.parametrize("value,date", [(1700000000, "2023-11-14"), (1700000000000, "2023-11-14"),
                                        ("2024-02-29", "2024-02-29")])
def test_epoch_and_date_timestamps(value, date):
    clean, _ = tf.transform_record({"ts": value}, [], "ts", NOW)
    assert clean["ingest_date"] == date


def test_absent_timestamp_falls_back_to_run_time():
    clean, _ = tf.transform_record({"a": 1}, [], "ts", NOW)
    assert clean["ingest_date"] == "2024-06-30"


@pytest.mark.parametrize("record,reason", [
    ({"amount": 1}, "missing required field(s): order_id"),
    ({"order_id": None}, "missing required field(s): order_id"),
    ({"order_id": "  "}, "missing required field(s): order_id"),
    ({"order_id": "o", "ts": "not a date"}, "unparseable timestamp in ts"),
    ({"order_id": "o", "ts": True}, "unparseable timestamp in ts"),
    (["not", "a", "dict"], "not an object"),
])
def test_rejections_carry_a_reason(record, reason):
    clean, why = tf.transform_record(record, ["OrderId"], "ts", NOW)
    assert clean is None and reason in why


def test_transform_records_partitions_every_input_exactly_once():
    records = []
    for i in range(60):
        if i % 4 == 0:
            records.append({"Amount": i})                                      # missing id
        elif i % 7 == 0:
            records.append({"OrderId": f"o{i}", "EventTime": "garbage"})       # bad timestamp
        else:
            records.append({"OrderId": f"o{i}", "EventTime": f"2024-03-{i % 28 + 1:02d}T00:00:00Z"})
    result = tf.transform_records(records, ["OrderId"], "EventTime", NOW)
    expected_bad = sum(1 for i in range(60) if i % 4 == 0 or i % 7 == 0)
    assert len(result.rejected) == expected_bad == 21
    assert len(result.valid) == 39
    ids = [v["order_id"] for v in result.valid]
    assert len(ids) == len(set(ids))
    assert all(r.record in records for r in result.rejected)
    assert {r.reason.split(":")[0] for r in result.rejected} == {"missing required field(s)",
                                                                 "unparseable timestamp in event_time"}
    assert result.valid[0] == {"order_id": "o1", "event_time": "2024-03-02T00:00:00Z", "ingest_date": "2024-03-02"}


def test_job_module_imports_without_glue_and_applies_transform():
    assert "awsglue" not in sys.modules
    job = load_function("batch_etl", "job")
    assert "awsglue" not in sys.modules and "pyspark" not in sys.modules
    out = list(job.apply_transform([{"OrderId": "o1", "Ts": "2024-05-05T00:00:00Z"}, {"Ts": "x"}],
                                   ("order_id",), "ts", NOW.isoformat()))
    assert out[0] == (True, json.dumps({"order_id": "o1", "ts": "2024-05-05T00:00:00Z", "ingest_date": "2024-05-05"}))
    assert out[1][0] is False and json.loads(out[1][1])["reason"].startswith("missing required field(s)")


def test_job_argument_helpers():
    job = load_function("batch_etl", "job")
    argv = ["job.py", "--JOB_NAME", "j", "--source_path", "s3://b/raw/", "--timestamp_field", "ts"]
    assert job.optional_args(argv) == ["timestamp_field"]
    assert job.infer_format("s3://b/batch/x.CSV") == "csv"
    assert job.infer_format("s3://b/batch/") == "json"
    assert job.infer_format("s3://b/x.json", "csv") == "csv"
    with pytest.raises(ValueError, match="json or csv"):
        job.infer_format("s3://b/x", "xml")


def test_job_main_needs_glue_runtime():
    job = load_function("batch_etl", "job")
    with pytest.raises(ImportError):
        job.main(["job.py"])
