"""Firehose transformation Lambda: every record comes back exactly once, in order."""
import base64
import json
import logging
import random
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from conftest import load_function


@pytest.fixture
def rp(fresh_env):
    fresh_env.setenv("REQUIRED_FIELDS", "orderId, amount")
    fresh_env.setenv("TIMESTAMP_FIELD", "createdAt")
    return load_function("record_processor")


def b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


def decode(data: str) -> dict:
    text = base64.b64decode(data).decode()
    assert text.endswith("\n") and text.count("\n") == 1
    return json.loads(text)


def event_of(datas):
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/orders",
        "region": "us-east-1",
        "records": [
            {"recordId": f"rec-{i:03d}", "approximateArrivalTimestamp": 1700000000000, "data": d}
            for i, d in enumerate(datas)
        ],
    }


BAD_KINDS = [
    "not base64 !!!",
    b64(b"\xff\xfe not utf8"),
    b64(b"{not json"),
    b64([1, 2, 3]),
    b64("just a string"),
    b64({"orderId": "o1"}),  # missing amount
    b64({"orderId": "o1", "amount": 3, "createdAt": "yesterday-ish"}),
    b64({"orderId": "o1", "amount": 3, "createdAt": 1700000000}),
    b64(b'{"orderId": "o1", "amount": NaN}'),
]


def test_valid_record_is_reencoded_with_ingested_at_and_partition_keys(rp):
    out = rp.handler(event_of([b64({"orderId": "o1", "amount": 9.5, "createdAt": "2023-04-05T23:30:00-02:00"})]))
    [rec] = out["records"]
    assert rec["result"] == "Ok" and rec["recordId"] == "rec-000"
    body = decode(rec["data"])
    assert body["orderId"] == "o1" and body["amount"] == 9.5
    # converted to UTC: 2023-04-06T01:30Z
    assert rec["metadata"]["partitionKeys"] == {"year": "2023", "month": "04", "day": "06"}
    ingested = datetime.fromisoformat(body["_ingested_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - ingested).total_seconds()) < 60
    # compact encoding
    assert ", " not in base64.b64decode(rec["data"]).decode()


def test_missing_timestamp_uses_ingestion_time(rp):
    out = rp.handler(event_of([b64({"orderId": "o1", "amount": 1})]))
    [rec] = out["records"]
    today = datetime.now(timezone.utc)
    assert rec["metadata"]["partitionKeys"]["year"] == f"{today.year:04d}"
    assert rec["metadata"]["partitionKeys"]["month"] == f"{today.month:02d}"


def test_empty_required_fields_accepts_any_object(fresh_env):
    mod = load_function("record_processor")
    out = mod.handler(event_of([b64({}), b64({"x": 1}), b64([])]))
    assert [r["result"] for r in out["records"]] == ["Ok", "Ok", "ProcessingFailed"]


@pytest.mark.parametrize("data", BAD_KINDS)
def test_each_kind_of_bad_record_fails_with_original_data_and_structured_log(rp, data, caplog):
    with caplog.at_level(logging.WARNING):
        out = rp.handler(event_of([data]))
    [rec] = out["records"]
    assert rec == {"recordId": "rec-000", "result": "ProcessingFailed", "data": data}
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == 1
    assert logged[0]["event"] == "record_rejected" and logged[0]["recordId"] == "rec-000"
    assert logged[0]["reason"]


def test_mixed_batch_of_50_with_17_bad_loses_nothing(rp):
    rng = random.Random(7)
    bad_positions = set(rng.sample(range(50), 17))
    datas, expected = [], []
    for i in range(50):
        if i in bad_positions:
            datas.append(BAD_KINDS[i % len(BAD_KINDS)])
            expected.append("ProcessingFailed")
        else:
            datas.append(b64({"orderId": f"o{i}", "amount": i, "createdAt": f"2024-02-{(i % 28) + 1:02d}T10:00:00Z"}))
            expected.append("Ok")
    out = rp.handler(event_of(datas))["records"]
    assert [r["recordId"] for r in out] == [f"rec-{i:03d}" for i in range(50)]
    assert [r["result"] for r in out] == expected
    assert sum(r["result"] == "Ok" for r in out) == 33
    assert sum(r["result"] == "ProcessingFailed" for r in out) == 17
    for i, r in enumerate(out):
        if r["result"] == "Ok":
            body = decode(r["data"])
            assert body["orderId"] == f"o{i}"
            assert r["metadata"]["partitionKeys"]["day"] == f"{(i % 28) + 1:02d}"
        else:
            assert r["data"] == datas[i]


def test_empty_and_odd_events_do_not_raise(rp):
    assert rp.handler({"records": []}) == {"records": []}
    assert rp.handler({}) == {"records": []}
    out = rp.handler({"records": [{"recordId": "x"}]})
    assert out["records"] == [{"recordId": "x", "result": "ProcessingFailed", "data": None}]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
                          st.text(max_size=50)), max_size=30))
def test_property_arbitrary_input_never_raises_and_every_record_id_once(datas):
    mod = _module()
    event = event_of(datas)
    out = mod.handler(event)["records"]
    assert [r["recordId"] for r in out] == [r["recordId"] for r in event["records"]]
    for original, r in zip(datas, out):
        assert r["result"] in ("Ok", "ProcessingFailed")
        if r["result"] == "ProcessingFailed":
            assert r["data"] == original
        else:
            assert isinstance(decode(r["data"]), dict)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                         st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k != "_ingested_at"),
                       json_scalars, max_size=8))
def test_property_any_json_object_round_trips(obj):
    mod = _module()
    [r] = mod.handler(event_of([b64(obj)]))["records"]
    assert r["result"] == "Ok"
    body = decode(r["data"])
    assert body.pop("_ingested_at")
    assert body == obj


_cached = {}


def _module():
    # hypothesis cannot use function-scoped fixtures; with no env set, nothing is required.
    if "m" not in _cached:
        _cached["m"] = load_function("record_processor")
    return _cached["m"]


# --- issue 13 -------------------------------------------------------------------------------------

def test_output_keeps_numbers_exact_and_escapes_unicode_line_breaks(rp):
    raw = b'{"orderId": "o1", "amount": 0.1000000000000000000001, "n": 123456789012345678901234567890, ' \
          b'"note": "a\xe2\x80\xa8b\xc2\x85c"}'
    [rec] = rp.handler(event_of([b64(raw)]))["records"]
    assert rec["result"] == "Ok"
    text = base64.b64decode(rec["data"]).decode("utf-8")
    assert '"amount":0.1000000000000000000001' in text and '"n":123456789012345678901234567890' in text
    assert "\\u2028" in text and "\\u0085" in text and len(text.splitlines()) == 1
    assert json.loads(text)["note"] == "a\u2028b\u0085c"


@pytest.mark.parametrize("raw,reason", [
    (b'{"orderId": "o1", "amount": 1, "n": 1e400}', "outside the range of a double"),
    (b'{"orderId": "o1", "amount": 1, "t": "\\ud800"}', "lone surrogate"),
    (b'{"orderId": "o1", "amount": 1, "amount": 2}', "appears twice"),
    (b'{"orderId": "o1", "amount": 1, "_ingested_at": "x"}', "_ingested_at"),
    (b'{"orderId": "o1", "amount": 1, "createdAt": "0001-01-01T00:30:00+01:00"}', "years 1..9999"),
])
def test_records_that_would_be_corrupted_are_rejected_with_the_reason(rp, raw, reason, caplog):
    with caplog.at_level(logging.WARNING):
        [rec] = rp.handler(event_of([b64(raw)]))["records"]
    assert rec["result"] == "ProcessingFailed" and rec["data"] == b64(raw)
    assert any(reason in json.loads(r.getMessage())["reason"] for r in caplog.records
               if "record_rejected" in r.getMessage())
