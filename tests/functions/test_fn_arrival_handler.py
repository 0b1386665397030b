"""arrival_handler against moto S3/Glue: every file ends up once, in place or in quarantine."""
import json

import boto3
import pytest

from conftest import load_function

BUCKET = "retail-orders-raw"


@pytest.fixture
def env(aws, fresh_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "orders"})
    glue.create_crawler(Name="orders-raw", Role="arn:aws:iam::123456789012:role/crawler", DatabaseName="orders",
                        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/"}]})
    glue.create_job(Name="orders-etl", Role="arn:aws:iam::123456789012:role/etl",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/job.py"})
    fresh_env.setenv("ALLOWED_SUFFIXES", ".csv,.json,.jsonl,.parquet")
    fresh_env.setenv("MAX_OBJECT_BYTES", str(1024 * 1024))
    fresh_env.setenv("ON_VALID", "none")
    return {"mod": load_function("arrival_handler"), "s3": s3, "glue": glue}


def put(s3, key, body):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body if isinstance(body, bytes) else body.encode())


def event(key, size=1):
    return {"version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"version": "0", "bucket": {"name": BUCKET}, "object": {"key": key, "size": size}}}


def keys(s3):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


BIG_JSONL = "".join(json.dumps({"i": i, "pad": "x" * 50}) + "\n" for i in range(3000)).encode()

GOOD = {
    "batch/2024/orders.csv": "order_id,amount\n1,2.5\n2,3\n",
    "batch/orders.json": json.dumps([{"a": 1}]),
    "batch/lines.json": '{"a": 1}\n{"a": 2}\n',
    "sftp/alice/in/events.jsonl": '{"a": 1}\n\n{"b": 2}\n',
    "sftp/bob/big.jsonl": BIG_JSONL,                      # > 64 KiB, only peeked
    "batch/part-0.parquet": b"PAR1" + b"\x00" * 32 + b"PAR1",
    "batch/UPPER.CSV": "Name\nx\n",
}
BAD = {
    "batch/readme.txt": ("hello", "suffix not allowed"),
    "batch/empty.csv": ("", "empty"),
    "batch/broken.json": ('{"a": ', "neither a JSON document nor JSON lines"),
    "sftp/alice/bad.jsonl": ('{"a": 1}\nnot json\n', "line 2 is not valid JSON"),
    "batch/noheader.csv": ("1,2\n3,4\n", "looks like data"),
    "batch/ragged.csv": ("a,b\n1,2,3\n", "row 2 has 3 fields"),
    "batch/latin1.csv": (b"name\ncaf\xe9\n", "not UTF-8"),
    "batch/fake.parquet": ("PAR1 nope", "Parquet"),
    "sftp/carol/huge.json": ("[" + "1," * 600000 + "1]", "larger than the maximum"),
}


def test_good_files_stay_in_place(env):
    for key, body in GOOD.items():
        put(env["s3"], key, body)
        result = env["mod"].handler(event(key))
        assert result["action"] == "accepted", (key, result)
        assert result["started"] is None
    assert keys(env["s3"]) == sorted(GOOD)


@pytest.mark.parametrize("key", sorted(BAD))
def test_bad_file_is_moved_to_quarantine_with_reason(env, key):
    body, reason = BAD[key]
    put(env["s3"], key, body)
    result = env["mod"].handler(event(key))
    assert result["action"] == "quarantined" and reason in result["reason"]
    assert keys(env["s3"]) == [f"quarantine/{key}"]
    head = env["s3"].head_object(Bucket=BUCKET, Key=f"quarantine/{key}")
    assert reason in head["Metadata"]["quarantine-reason"]
    moved = env["s3"].get_object(Bucket=BUCKET, Key=f"quarantine/{key}")["Body"].read()
    assert moved == (body if isinstance(body, bytes) else body.encode())


def test_mixed_batch_every_file_exactly_once(env):
    for key, body in GOOD.items():
        put(env["s3"], key, body)
    for key, (body, _) in BAD.items():
        put(env["s3"], key, body)
    results = [env["mod"].handler(event(k)) for k in list(GOOD) + list(BAD)]
    # the quarantine copies raise their own Object Created events: they must be ignored
    results_q = [env["mod"].handler(event(f"quarantine/{k}")) for k in BAD]
    assert [r["action"] for r in results].count("accepted") == len(GOOD)
    assert [r["action"] for r in results].count("quarantined") == len(BAD)
    assert {r["action"] for r in results_q} == {"ignored"}
    expected = sorted(list(GOOD) + [f"quarantine/{k}" for k in BAD])
    assert keys(env["s3"]) == expected
    # a redelivered event for a quarantined file is a no-op, not a second copy
    again = env["mod"].handler(event("batch/readme.txt"))
    assert again["action"] == "missing"
    assert keys(env["s3"]) == expected


def test_url_encoded_key_from_eventbridge_is_found(env):
    put(env["s3"], "sftp/alice/my orders.csv", "a,b\n1,2\n")
    result = env["mod"].handler(event("sftp/alice/my+orders.csv"))
    assert result["action"] == "accepted" and result["key"] == "sftp/alice/my orders.csv"


def test_custom_quarantine_prefix(env, fresh_env):
    fresh_env.setenv("QUARANTINE_PREFIX", "rejected")
    put(env["s3"], "batch/x.txt", "x")
    result = env["mod"].handler(event("batch/x.txt"))
    assert result["quarantineKey"] == "rejected/batch/x.txt"
    assert keys(env["s3"]) == ["rejected/batch/x.txt"]


def test_valid_file_starts_crawler_and_tolerates_running(env, fresh_env):
    fresh_env.setenv("ON_VALID", "crawler")
    fresh_env.setenv("CRAWLER_NAME", "orders-raw")
    put(env["s3"], "batch/a.csv", "a\n1\n")
    first = env["mod"].handler(event("batch/a.csv"))
    assert first["started"] == "crawler" and first["alreadyRunning"] is False
    assert env["glue"].get_crawler(Name="orders-raw")["Crawler"]["State"] == "RUNNING"
    second = env["mod"].handler(event("batch/a.csv"))
    assert second["action"] == "accepted" and second["alreadyRunning"] is True


def test_bad_file_does_not_start_anything(env, fresh_env):
    fresh_env.setenv("ON_VALID", "crawler")
    fresh_env.setenv("CRAWLER_NAME", "orders-raw")
    put(env["s3"], "batch/a.txt", "a")
    assert env["mod"].handler(event("batch/a.txt"))["action"] == "quarantined"
    assert env["glue"].get_crawler(Name="orders-raw")["Crawler"]["State"] == "READY"


def test_valid_file_starts_etl_with_source_key(env, fresh_env):
    fresh_env.setenv("ON_VALID", "etl")
    fresh_env.setenv("ETL_JOB_NAME", "orders-etl")
    put(env["s3"], "batch/a.json", '{"a": 1}')
    result = env["mod"].handler(event("batch/a.json"))
    assert result["started"] == "etl"
    run = env["glue"].get_job_run(JobName="orders-etl", RunId=result["jobRunId"])["JobRun"]
    assert run["Arguments"]["--source_key"] == "batch/a.json"
    assert run["Arguments"]["--source_path"] == f"s3://{BUCKET}/batch/a.json"


@pytest.mark.parametrize("name,value,message", [
    ("ON_VALID", "lambda", "ON_VALID"),
    ("MAX_OBJECT_BYTES", "ten", "MAX_OBJECT_BYTES"),
    ("ALLOWED_SUFFIXES", "", "ALLOWED_SUFFIXES"),
])
def test_misconfiguration_fails_loudly(env, fresh_env, name, value, message):
    fresh_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=message):
        env["mod"].handler(event("batch/a.csv"))


def test_crawler_mode_without_name_is_misconfigured(env, fresh_env):
    fresh_env.setenv("ON_VALID", "crawler")
    with pytest.raises(RuntimeError, match="CRAWLER_NAME"):
        env["mod"].handler(event("batch/a.csv"))


def test_malformed_event_is_ignored(env):
    assert env["mod"].handler({"detail": {}})["action"] == "ignored"
