"""ods_writer against moto: idempotent ordered upserts, invalid events to the DLQ, nothing lost."""
import json
from decimal import Decimal

import boto3
import pytest

from conftest import load_function

TABLE = "retail-orders-ods"


@pytest.fixture
def env(aws, fresh_env):
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = boto3.client("sqs").create_queue(QueueName="ods-writer-dlq")["QueueUrl"]
    fresh_env.setenv("TABLE_NAME", TABLE)
    fresh_env.setenv("PARTITION_KEY", "orderId")
    fresh_env.setenv("DLQ_URL", dlq)
    return {"mod": load_function("ods_writer"), "dlq": dlq, "table": boto3.resource("dynamodb").Table(TABLE)}


def ev(order_id="o1", eid="evt-1", version=None, time="2024-05-01T10:00:00Z", **attrs):
    detail = {"orderId": order_id, **attrs}
    if eid is not None:
        detail["eventId"] = eid
    if version is not None:
        detail["version"] = version
    return {"version": "0", "id": f"eb-{eid}", "detail-type": "OrderChanged", "source": "retail.orders",
            "account": "123456789012", "time": time, "region": "us-east-1", "resources": [], "detail": detail}


def dlq_messages(url):
    sqs = boto3.client("sqs")
    out = []
    while True:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        msgs = resp.get("Messages", [])
        if not msgs:
            return out
        out.extend(json.loads(m["Body"]) for m in msgs)


def all_items(table):
    return {i["orderId"]: i for i in table.scan()["Items"]}


def test_single_event_is_written_with_metadata(env):
    result = env["mod"].handler(ev(status="NEW", amount=12.5))
    assert result == {"written": 1, "duplicates": 0, "stale": 0, "dead_lettered": 0, "failed": 0}
    item = all_items(env["table"])["o1"]
    assert item["status"] == "NEW" and item["amount"] == Decimal("12.5")
    assert item["_last_event_id"] == "evt-1"
    assert item["_event_time"] == "2024-05-01T10:00:00.000000Z"
    assert "eventId" not in item


def test_replay_of_same_event_writes_once(env):
    mod, table = env["mod"], env["table"]
    mod.handler(ev(status="NEW"))
    # if the replay wrote again it would reset this marker
    table.update_item(Key={"orderId": "o1"}, UpdateExpression="SET marker = :m", ExpressionAttributeValues={":m": 1})
    assert mod.handler(ev(status="NEW"))["duplicates"] == 1
    assert all_items(table)["o1"]["marker"] == 1


def test_event_id_falls_back_to_eventbridge_id(env):
    env["mod"].handler(ev(eid=None, status="NEW"))
    assert all_items(env["table"])["o1"]["_last_event_id"] == "eb-None"


def test_older_version_never_overwrites_newer(env):
    mod, table = env["mod"], env["table"]
    assert mod.handler(ev(eid="e2", version=2, status="SHIPPED"))["written"] == 1
    assert mod.handler(ev(eid="e1", version=1, status="NEW", time="2024-05-02T00:00:00Z"))["stale"] == 1
    assert all_items(table)["o1"]["status"] == "SHIPPED"
    assert mod.handler(ev(eid="e3", version=3, status="DELIVERED"))["written"] == 1
    assert all_items(table)["o1"]["status"] == "DELIVERED"


def test_older_time_never_overwrites_newer_at_equal_version(env):
    mod, table = env["mod"], env["table"]
    mod.handler(ev(eid="b", time="2024-05-01T12:00:00+02:00", status="LATER"))   # 10:00Z
    assert mod.handler(ev(eid="a", time="2024-05-01T09:59:59Z", status="EARLIER"))["stale"] == 1
    assert all_items(table)["o1"]["status"] == "LATER"
    assert mod.handler(ev(eid="c", time="2024-05-01T10:00:01Z", status="NEWEST"))["written"] == 1
    assert all_items(table)["o1"]["status"] == "NEWEST"


def test_same_version_and_time_converges_whatever_the_order(env):
    mod, table = env["mod"], env["table"]
    mod.handler(ev(order_id="x", eid="e-b", status="B"))
    mod.handler(ev(order_id="x", eid="e-a", status="A"))
    mod.handler(ev(order_id="y", eid="e-a", status="A"))
    mod.handler(ev(order_id="y", eid="e-b", status="B"))
    items = all_items(table)
    assert items["x"]["status"] == items["y"]["status"] == "B"


def test_item_shaped_detail_from_ods_api(env):
    event = ev()
    event["detail"] = {"eventId": "api-1", "keys": {"orderId": "o9"}, "item": {"orderId": "o9", "qty": 2}}
    assert env["mod"].handler(event)["written"] == 1
    item = all_items(env["table"])["o9"]
    assert item["qty"] == 2 and "keys" not in item and item["_last_event_id"] == "api-1"


INVALID = [
    ("not an object", "event is a str"),
    ({"id": "x", "time": "2024-01-01T00:00:00Z"}, "no 'detail' object"),
    ({"id": "x", "detail": ["a"]}, "no 'detail' object"),
    ({"id": "x", "detail": {"status": "NEW"}}, "missing key attribute 'orderId'"),
    ({"id": "x", "detail": {"orderId": True}}, "key attribute 'orderId'"),
    ({"id": "x", "detail": {"orderId": ""}}, "key attribute 'orderId'"),
    ({"id": "x", "detail": {"orderId": {"nested": 1}}}, "key attribute 'orderId'"),
    ({"detail": {"orderId": "o1"}}, "no string 'detail.eventId' or 'id'"),
    ({"id": "x", "detail": {"orderId": "o1", "version": "2"}}, "version must be a number"),
    ({"id": "x", "time": "last tuesday", "detail": {"orderId": "o1"}}, "not ISO-8601"),
]


@pytest.mark.parametrize("event,reason", INVALID)
def test_invalid_event_goes_to_dlq_and_is_not_written(env, event, reason):
    result = env["mod"].handler(event)
    assert result["dead_lettered"] == 1 and result["written"] == 0
    [msg] = dlq_messages(env["dlq"])
    assert reason in msg["reason"]
    assert msg["event"] == event
    assert all_items(env["table"]) == {}


def sqs_batch(bodies):
    return {"Records": [{"messageId": f"m-{i}", "receiptHandle": "rh", "body": b, "eventSource": "aws:sqs",
                         "attributes": {}, "messageAttributes": {}} for i, b in enumerate(bodies)]}


def test_sqs_batch_mixing_good_duplicate_and_invalid_loses_nothing(env):
    bodies, expected_dlq = [], 0
    for i in range(40):
        if i % 5 == 0:                           # 8 invalid
            bodies.append(json.dumps({"id": f"bad{i}", "detail": {"status": "x"}}) if i % 10 else "{not json")
            expected_dlq += 1
        else:
            bodies.append(json.dumps(ev(order_id=f"o{i}", eid=f"e{i}", amount=i * 1.5)))
    bodies += bodies[1:5]                        # 4 replays of valid events
    result = env["mod"].handler(sqs_batch(bodies))
    assert result == {"written": 32, "duplicates": 4, "stale": 0, "dead_lettered": 8, "failed": 0,
                      "batchItemFailures": []}
    assert sum(v for k, v in result.items() if k != "batchItemFailures") == len(bodies)
    items = all_items(env["table"])
    assert len(items) == 32 and items["o3"]["amount"] == Decimal("4.5")
    msgs = dlq_messages(env["dlq"])
    assert len(msgs) == 8
    assert sum(m["reason"] == "SQS body is not valid JSON" for m in msgs) == 4
    assert {m["event"] for m in msgs if m["reason"] == "SQS body is not valid JSON"} == {"{not json"}


def test_aws_errors_become_batch_item_failures_only_for_those_records(env, fresh_env):
    fresh_env.setenv("TABLE_NAME", "no-such-table")
    bodies = [json.dumps(ev(order_id="o1", eid="e1")), json.dumps({"id": "bad", "detail": {}}),
              json.dumps(ev(order_id="o2", eid="e2"))]
    result = env["mod"].handler(sqs_batch(bodies))
    assert result["batchItemFailures"] == [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-2"}]
    assert result["dead_lettered"] == 1 and result["failed"] == 2 and result["written"] == 0
    assert len(dlq_messages(env["dlq"])) == 1


def test_unreachable_dlq_is_a_batch_item_failure_not_a_silent_drop(env, fresh_env):
    fresh_env.setenv("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    result = env["mod"].handler(sqs_batch([json.dumps({"id": "bad", "detail": {}}), json.dumps(ev())]))
    assert result["batchItemFailures"] == [{"itemIdentifier": "m-0"}]
    assert result["written"] == 1 and result["dead_lettered"] == 0


def test_single_event_aws_error_raises_for_eventbridge_retry(env, fresh_env):
    fresh_env.setenv("TABLE_NAME", "no-such-table")
    with pytest.raises(Exception) as info:
        env["mod"].handler(ev())
    assert "ResourceNotFound" in str(info.value)


def test_missing_configuration_fails_loudly(env, fresh_env):
    fresh_env.delenv("DLQ_URL")
    with pytest.raises(RuntimeError, match="DLQ_URL"):
        env["mod"].handler(ev())


def test_composite_key_with_numeric_sort_key(aws, fresh_env):
    boto3.client("dynamodb").create_table(
        TableName="t2",
        KeySchema=[{"AttributeName": "customerId", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "customerId", "AttributeType": "S"},
                              {"AttributeName": "seq", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = boto3.client("sqs").create_queue(QueueName="d")["QueueUrl"]
    for k, v in {"TABLE_NAME": "t2", "PARTITION_KEY": "customerId", "SORT_KEY": "seq", "DLQ_URL": dlq}.items():
        fresh_env.setenv(k, v)
    mod = load_function("ods_writer")
    good = {"id": "a", "time": "2024-01-01T00:00:00Z", "detail": {"customerId": "c1", "seq": 3}}
    no_sk = {"id": "b", "time": "2024-01-01T00:00:00Z", "detail": {"customerId": "c1"}}
    assert mod.handler(good)["written"] == 1
    assert mod.handler(no_sk)["dead_lettered"] == 1
    item = boto3.resource("dynamodb").Table("t2").get_item(Key={"customerId": "c1", "seq": 3})["Item"]
    assert item["_last_event_id"] == "a"
    [msg] = dlq_messages(dlq)
    assert "'seq'" in msg["reason"]


# --- issue 13 -------------------------------------------------------------------------------------

def _no_constants(name):
    raise ValueError(name)


def test_dlq_message_is_strict_json_with_exact_numbers(env):
    """The runtime reads 1e400 as inf; json.dumps wrote the DLQ copy as "Infinity", which no
    strict reader (or a redrive through EventBridge) accepts."""
    env["mod"].handler(ev(order_id="o1", eid="inf", amount=float("inf")))
    body = boto3.client("sqs").receive_message(QueueUrl=env["dlq"])["Messages"][0]["Body"]
    message = json.loads(body, parse_constant=_no_constants)
    assert "NaN or Infinity" in message["reason"] and message["event"]["detail"]["amount"] == float("inf")
    batch = sqs_batch(['{"id": "x", "detail": {"orderId": "o2", "n": 1.000000000000000000000000000000000000001}}'])
    assert env["mod"].handler(batch)["dead_lettered"] == 1
    body = [m for m in dlq_messages(env["dlq"]) if "significant digits" in m["reason"]]
    assert len(body) == 1


def test_sqs_numbers_are_stored_exactly_and_trailing_zeros_do_not_count(env):
    body = '{"id": "x", "time": "2024-05-01T10:00:00Z", "detail": {"orderId": "o1", ' \
           '"amount": 0.1000000000000000000001, "big": 1E+40, "padded": 1.50000000000000000000000000000000000000000}}'
    assert env["mod"].handler(sqs_batch([body]))["written"] == 1
    item = all_items(env["table"])["o1"]
    assert item["amount"] == Decimal("0.1000000000000000000001")
    assert item["big"] == Decimal("1E+40") and item["padded"] == Decimal("1.5")


def test_event_times_order_as_instants_for_any_year(env):
    mod = env["mod"]
    assert mod._normalise_time("0999-01-01T00:00:00Z") < mod._normalise_time("2024-01-01T00:00:00Z")
    assert mod._normalise_time("0999-01-01T00:00:00Z") == "0999-01-01T00:00:00.000000Z"
    assert mod._normalise_time("2024-05-01T12:00:00+02:00") == mod._normalise_time("2024-05-01T10:00:00Z")
    with pytest.raises(mod.InvalidEvent, match="minutes in the future"):
        mod._normalise_time("2999-01-01T00:00:00Z")
