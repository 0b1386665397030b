"""Batch ETL transform logic, run locally without Spark or Glue."""
import json
import sys
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from conftest import FUNCTIONS_DIR as FUNCTIONS, load_function

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


# --- exactly-once publication of a run's output (moto S3) ------------------------------------
# Spark itself cannot run here; the tests put into the run's staging prefix what Spark's
# writers leave there (part files per ingest_date partition, _SUCCESS), and drive the real
# recover / commit_run / publish code against moto.

import boto3  # noqa: E402

CURATED = "retail-orders-curated"
RAW = "retail-orders-raw"
TARGET = f"s3://{CURATED}/batch/"
REJECTED = f"s3://{RAW}/rejected/"
OUTPUTS = [TARGET, REJECTED]


class GlueJob:
    """Stands in for awsglue.job.Job: records bookmark commits, can fail like the real call."""

    def __init__(self, fail=False):
        self.fail, self.commits = fail, 0

    def commit(self):
        if self.fail:
            raise RuntimeError("bookmark commit failed")
        self.commits += 1


@pytest.fixture
def etl(aws):
    s3 = boto3.client("s3")
    for bucket in (CURATED, RAW):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=CURATED, Key="batch/ingest_date=2024-06-01/part-00000-older-run.c000.snappy.parquet",
                  Body=b"o0\n")                      # published by an earlier, successful run
    return {"job": load_function("batch_etl", "job"), "s3": s3}


def spark_writes(etl, run_id, rows_by_date, rejected=()):
    """What the job's two Spark writes leave in this run's staging prefixes."""
    job, s3 = etl["job"], etl["s3"]
    write_id = f"{run_id}-{len(s3.list_objects_v2(Bucket=CURATED).get('Contents', []))}"
    _, curated_prefix = job.split_s3_uri(job.run_staging(TARGET, run_id))
    for date, rows in rows_by_date.items():
        s3.put_object(Bucket=CURATED, Key=f"{curated_prefix}ingest_date={date}/part-00000-{write_id}.c000.snappy.parquet",
                      Body="".join(f"{r}\n" for r in rows).encode())
    s3.put_object(Bucket=CURATED, Key=f"{curated_prefix}_SUCCESS", Body=b"")
    if rejected:
        _, rejected_prefix = job.split_s3_uri(job.run_staging(REJECTED, run_id))
        s3.put_object(Bucket=RAW, Key=f"{rejected_prefix}part-00000-{write_id}.json",
                      Body="".join(f"{r}\n" for r in rejected).encode())


def rows(s3, bucket, prefix):
    out = []
    for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        out += s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode().split()
    return sorted(out)


def all_keys(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


BATCH = {"2024-06-01": ["o1", "o2"], "2024-06-02": ["o3"]}


def test_successful_run_publishes_once_and_leaves_no_staging(etl):
    job, s3 = etl["job"], etl["s3"]
    assert job.recover(s3, OUTPUTS) == {"rolledForward": [], "discardedObjects": 0}
    spark_writes(etl, "jr_1", BATCH, rejected=["bad1"])
    glue = GlueJob()
    assert job.commit_run(s3, glue, "jr_1", OUTPUTS) == 3
    assert glue.commits == 1
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0", "o1", "o2", "o3"]   # earlier rows kept
    assert rows(s3, RAW, "rejected/") == ["bad1"]
    assert not [k for k in all_keys(s3, CURATED) + all_keys(s3, RAW) if "_staging" in k or "_SUCCESS" in k]


def test_failed_run_retried_does_not_duplicate_curated_rows(etl):
    """Run 1 writes curated data, then fails (e.g. writing rejected records) before its
    bookmark commit; run 2 reads the same files again. Before: append -> every row twice."""
    job, s3 = etl["job"], etl["s3"]
    job.recover(s3, OUTPUTS)
    spark_writes(etl, "jr_1", BATCH)          # ...and then the run dies: no commit_run
    recovered = job.recover(s3, OUTPUTS)      # run 2
    assert recovered == {"rolledForward": [], "discardedObjects": 3}
    spark_writes(etl, "jr_2", BATCH, rejected=["bad1"])
    job.commit_run(s3, GlueJob(), "jr_2", OUTPUTS)
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0", "o1", "o2", "o3"]
    assert rows(s3, RAW, "rejected/") == ["bad1"]


def test_failed_bookmark_commit_publishes_nothing(etl):
    job, s3 = etl["job"], etl["s3"]
    spark_writes(etl, "jr_1", BATCH)
    with pytest.raises(RuntimeError, match="bookmark commit failed"):
        job.commit_run(s3, GlueJob(fail=True), "jr_1", OUTPUTS)
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0"]
    assert not [k for k in all_keys(s3, CURATED) if k.endswith("_manifest.json")]
    # the retry reads the same input again and publishes it once
    job.recover(s3, OUTPUTS)
    spark_writes(etl, "jr_2", BATCH)
    job.commit_run(s3, GlueJob(), "jr_2", OUTPUTS)
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0", "o1", "o2", "o3"]


def test_run_that_committed_its_bookmark_but_died_publishing_is_rolled_forward(etl, monkeypatch):
    job, s3 = etl["job"], etl["s3"]
    spark_writes(etl, "jr_1", BATCH, rejected=["bad1"])
    real_copy, copies = s3.copy, []

    def dies_after_first_copy(*args, **kwargs):
        if copies:
            raise SystemExit("driver killed")
        copies.append(args)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(s3, "copy", dies_after_first_copy)
    glue = GlueJob()
    with pytest.raises(SystemExit):
        job.commit_run(s3, glue, "jr_1", OUTPUTS)
    assert glue.commits == 1                              # bookmark advanced: input never read again
    monkeypatch.setattr(s3, "copy", real_copy)
    assert job.recover(s3, OUTPUTS)["rolledForward"] == ["jr_1"]   # next run finishes the publish
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0", "o1", "o2", "o3"]   # the copied file once
    assert rows(s3, RAW, "rejected/") == ["bad1"]
    assert job.recover(s3, OUTPUTS) == {"rolledForward": [], "discardedObjects": 0}


def test_publish_is_idempotent(etl):
    job, s3 = etl["job"], etl["s3"]
    spark_writes(etl, "jr_1", BATCH)
    manifest = job.build_manifest(s3, "jr_1", OUTPUTS)
    assert [e["to"] for e in manifest["objects"]] == [
        f"{TARGET}ingest_date=2024-06-01/part-00000-jr_1-1.c000.snappy.parquet",
        f"{TARGET}ingest_date=2024-06-02/part-00000-jr_1-1.c000.snappy.parquet"]
    staged = {e["from"]: s3.get_object(Bucket=CURATED, Key=e["from"].split("/", 3)[3])["Body"].read()
              for e in manifest["objects"]}
    job.publish(s3, manifest)
    first = all_keys(s3, CURATED)
    for uri, body in staged.items():                   # a second publish of the same manifest
        s3.put_object(Bucket=CURATED, Key=uri.split("/", 3)[3], Body=body)
    job.publish(s3, manifest)
    assert all_keys(s3, CURATED) == first
    assert rows(s3, CURATED, "batch/ingest_date=") == ["o0", "o1", "o2", "o3"]


def test_staging_paths(etl):
    job = etl["job"]
    assert job.run_staging("s3://b/batch/", "jr_9") == "s3://b/batch/_staging/jr_9/"
    assert job.run_staging("s3://b/batch", "jr_9") == "s3://b/batch/_staging/jr_9/"
    assert job.output_paths({"target_path": TARGET}) == [TARGET]
    assert job.output_paths({"target_path": TARGET, "rejected_path": REJECTED}) == OUTPUTS
    for bad in ("", "a/b"):
        with pytest.raises(ValueError):
            job.run_staging("s3://b/batch/", bad)
    with pytest.raises(ValueError):
        job.split_s3_uri("/local/path")


def test_job_writes_only_into_its_run_staging():
    """The Spark writes in main() target this run's staging prefix, never the published one."""
    source = (FUNCTIONS / "batch_etl" / "job.py").read_text()
    main_body = source[source.index("def main("):]
    assert 'mode("append")' not in main_body
    assert ".parquet(run_staging(args[\"target_path\"], run_id))" in main_body
    assert ".json(run_staging(args[\"rejected_path\"], run_id))" in main_body
    assert main_body.index("recover(s3, outputs)") < main_body.index("create_dynamic_frame")
    assert "commit_run(s3, job, run_id, outputs)" in main_body


# --- issue 13 -------------------------------------------------------------------------------------

def test_a_source_ingest_date_column_is_kept_not_overwritten():
    clean, _ = tf.transform_record({"OrderId": "o1", "IngestDate": "1999-01-01", "ts": "2024-05-05T00:00:00Z"},
                                   ["orderId"], "ts", NOW)
    assert clean["ingest_date"] == "2024-05-05" and clean["ingest_date_2"] == "1999-01-01"


def test_a_record_the_job_cannot_encode_is_rejected_not_fatal_for_the_partition():
    job = load_function("batch_etl", "job")
    deep = "x"
    for _ in range(5000):
        deep = [deep]
    out = list(job.apply_transform([{"OrderId": "o1", "n": 10 ** 5000}, {"OrderId": "o2", "d": deep},
                                    {"OrderId": "o3"}], ("order_id",), None, NOW.isoformat()))
    assert [ok for ok, _ in out] == [False, False, True]
    assert all(json.loads(line)["reason"].startswith("unexpected error") for _, line in out[:2])
