"""arrival_handler against moto S3/Glue: every file ends up once, in place or in quarantine."""
import json
from urllib.parse import quote_plus, unquote_plus

import boto3
import botocore.awsrequest
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

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


# --- keys as EventBridge delivers them: plain, never URL-encoded ---------------------------

ODD_KEYS = [
    "batch/my orders.csv",            # space
    "batch/c++ exports/a+b.csv",      # literal '+' (a decoder would turn it into a space)
    "batch/100%25 done.csv",          # '%' followed by hex digits
    "batch/50% off.csv",              # a lone '%'
    "sftp/zoë/Bestellungen für März.csv",  # unicode
    "sftp/alice/日本語 データ.jsonl",
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_are_used_exactly_as_delivered(env, key):
    body = '{"a": 1}\n' if key.endswith(".jsonl") else "a,b\n1,2\n"
    put(env["s3"], key, body)
    result = env["mod"].handler(event(key))
    assert result["action"] == "accepted" and result["key"] == key
    assert keys(env["s3"]) == [key]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_bad_keys_are_quarantined_under_their_own_name(env, key):
    put(env["s3"], key, "")
    result = env["mod"].handler(event(key))
    assert result["action"] == "quarantined" and result["quarantineKey"] == f"quarantine/{key}"
    assert keys(env["s3"]) == [f"quarantine/{key}"]


def test_plus_in_key_is_not_decoded_to_a_space(env):
    """The event for a gone 'a+b.csv' must not act on a different object 'a b.csv'."""
    put(env["s3"], "batch/a b.csv", "")            # would be quarantined if touched
    result = env["mod"].handler(event("batch/a+b.csv"))
    assert result["action"] == "missing"
    assert keys(env["s3"]) == ["batch/a b.csv"]


KEY_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=KEY_TEXT)
def test_any_key_round_trips_and_encoded_twins_are_left_alone(env, name):
    """Property: the handler acts on exactly the delivered key, and never on the object a
    URL-decoder would map it to."""
    key = f"batch/{name}.csv"
    assume(len(key.encode()) <= 1024)
    twin = f"batch/{quote_plus(name)}.csv"             # what an S3 notification would carry
    s3 = env["s3"]
    for k in keys(s3):
        s3.delete_object(Bucket=BUCKET, Key=k)
    put(s3, key, "a\n1\n")
    result = env["mod"].handler(event(key))
    assert result["action"] == "accepted" and result["key"] == key
    if twin != key:
        # the encoded form names another (absent) object: the real file is not touched
        again = env["mod"].handler(event(twin))
        assert again["action"] == "missing" and again["key"] == twin
        assert unquote_plus(twin[len("batch/"):-len(".csv")]) == name
    assert keys(s3) == [key]


# --- HeadObject 403: the role's ListBucket is scoped to the arrival prefixes ----------------

@pytest.fixture
def list_scoped_to_prefixes():
    """Make moto answer HeadObject for a missing key the way S3 does for a role whose
    s3:ListBucket carries an s3:prefix condition: 403, not 404 (a HEAD request has no
    s3:prefix key, so the condition never matches). Counts the HEADs it turned into 403."""
    oracle = boto3.client("s3")                   # made before the hook: sees the plain 404
    forbidden = []

    def remember_target(params, context, **_):
        context["head_target"] = (params["Bucket"], params["Key"])

    def as_s3_without_list_bucket(context, **_):
        bucket, key = context["head_target"]
        try:
            oracle.head_object(Bucket=bucket, Key=key)
        except oracle.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "404":
                raise
            forbidden.append(key)
            http = botocore.awsrequest.AWSResponse("https://s3.amazonaws.com", 403, {}, None)
            # what botocore parses from a body-less HEAD 403 (no error code in the payload)
            return http, {"Error": {"Code": "403", "Message": "Forbidden"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}
        return None

    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-parameter-build.s3.HeadObject", remember_target)
    boto3.DEFAULT_SESSION.events.register("before-call.s3.HeadObject", as_s3_without_list_bucket)
    yield forbidden
    boto3.DEFAULT_SESSION = None


def test_head_403_on_a_gone_object_is_missing_not_an_error(env, list_scoped_to_prefixes, caplog, capsys):
    put(env["s3"], "batch/readme.txt", "hello")
    assert env["mod"].handler(event("batch/readme.txt"))["action"] == "quarantined"
    # the redelivered event: the key is gone and S3 answers 403
    again = env["mod"].handler(event("batch/readme.txt"))
    assert list_scoped_to_prefixes == ["batch/readme.txt"]
    assert again["action"] == "missing" and again["headStatus"] == 403
    assert keys(env["s3"]) == ["quarantine/batch/readme.txt"]
    # logged with its key, and counted as a CloudWatch embedded metric
    warned = [json.loads(r.getMessage()) for r in caplog.records if "head_forbidden" in r.getMessage()]
    assert warned == [{"event": "head_forbidden", "bucket": BUCKET, "key": "batch/readme.txt",
                       "message": "HeadObject answered 403: treated as gone"}]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(emf) == 1 and emf[0]["HeadObjectForbidden"] == 1 and emf[0]["Bucket"] == BUCKET
    directive = emf[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Metrics"] == [{"Name": "HeadObjectForbidden", "Unit": "Count"}]
    assert directive["Dimensions"] == [["Bucket"]]


def test_head_404_is_missing_and_not_counted(env, capsys):
    result = env["mod"].handler(event("batch/never-there.csv"))
    assert result["action"] == "missing" and result["headStatus"] == 404
    assert '"_aws"' not in capsys.readouterr().out


def test_other_head_errors_still_raise_for_a_retry(env):
    """Throttling or a 5xx is transient: raising lets EventBridge retry the event."""
    from botocore.exceptions import ClientError

    def slow_down(**_):
        http = botocore.awsrequest.AWSResponse("https://s3.amazonaws.com", 503, {}, None)
        return http, {"Error": {"Code": "503", "Message": "Slow Down"}, "ResponseMetadata": {"HTTPStatusCode": 503}}

    put(env["s3"], "batch/a.csv", "a\n1\n")
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.s3.HeadObject", slow_down)
    try:
        with pytest.raises(ClientError, match="503"):
            env["mod"].handler(event("batch/a.csv"))
    finally:
        boto3.DEFAULT_SESSION = None
    assert keys(env["s3"]) == ["batch/a.csv"]


# --- issue 13 -------------------------------------------------------------------------------------

def test_quarantine_key_over_1024_bytes_is_shortened_with_the_original_hash(env, caplog):
    """S3 keys are at most 1,024 UTF-8 bytes: "quarantine/" + a 1,020-byte key could never be
    copied, so the event was retried until it expired and the bad file stayed in the raw zone."""
    import hashlib
    key = "batch/" + "é" * 505 + ".txt"                  # 1,020 bytes
    put(env["s3"], key, "x")
    result = env["mod"].handler(event(key))
    target = result["quarantineKey"]
    assert result["action"] == "quarantined" and len(target.encode("utf-8")) <= 1024
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    assert target.startswith(f"quarantine/_long-keys/{digest}/") and target.endswith("éé.txt")
    assert keys(env["s3"]) == [target]
    meta = env["s3"].head_object(Bucket=BUCKET, Key=target)["Metadata"]
    assert meta["original-key-sha256"] == digest and "suffix not allowed" in meta["quarantine-reason"]
    logged = [json.loads(r.getMessage()) for r in caplog.records if "quarantine_key_shortened" in r.getMessage()]
    assert logged == [{"event": "quarantine_key_shortened", "key": key, "quarantineKey": target}]


@pytest.mark.parametrize("bad_key,reason", [(None, "strings"), ("", "strings"), (7, "strings"),
                                            ("batch/\ud800.csv", "lone surrogate"),
                                            ("batch/" + "k" * 1100, "at most 1024")])
def test_events_no_object_can_match_are_ignored_not_raised(env, bad_key, reason):
    result = env["mod"].handler(event(bad_key))
    assert result["action"] == "ignored" and reason in result["reason"]
