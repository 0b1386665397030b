"""ods_api against moto: validation, exactly one event per write, Lambda and HTTP adapters."""
import base64
import http.client
import json
import re
import sys
import threading
import types
from pathlib import Path

import boto3
import pytest

from conftest import FUNCTIONS_DIR, load_function

TABLE = "retail-orders-ods"
BUS = "retail-orders-bus"


def create_table(name, pk, sk=None, sk_type="S"):
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    attrs = [{"AttributeName": pk, "AttributeType": "S"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
        attrs.append({"AttributeName": sk, "AttributeType": sk_type})
    boto3.client("dynamodb").create_table(TableName=name, KeySchema=schema, AttributeDefinitions=attrs,
                                          BillingMode="PAY_PER_REQUEST")


@pytest.fixture
def env(aws, fresh_env):
    create_table(TABLE, "orderId")
    events = boto3.client("events")
    events.create_event_bus(Name=BUS)
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="captured-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="capture", EventBusName=BUS, EventPattern=json.dumps({"source": ["retail.orders"]}))
    events.put_targets(Rule="capture", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}])
    for k, v in {"TABLE_NAME": TABLE, "PARTITION_KEY": "orderId", "EVENT_BUS_NAME": BUS,
                 "EVENT_SOURCE": "retail.orders"}.items():
        fresh_env.setenv(k, v)
    return {"app": load_function("ods_api", "app"), "queue": queue}


def captured(queue):
    sqs = boto3.client("sqs")
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", [])
        if not msgs:
            return out
        out.extend(json.loads(m["Body"]) for m in msgs)


def table_items(name=TABLE):
    return boto3.resource("dynamodb").Table(name).scan()["Items"]


JSON = {"Content-Type": "application/json"}


def test_put_then_get_and_exactly_one_event(env):
    app = env["app"]
    status, body = app.handle("PUT", "/items/o-1", json.dumps({"status": "NEW", "amount": 12.5, "lines": [1, 2]}), JSON)
    assert status == 200, body
    assert body["item"] == {"orderId": "o-1", "status": "NEW", "amount": 12.5, "lines": [1, 2]}
    status, got = app.handle("GET", "/items/o-1", None, {})
    assert status == 200 and got["item"] == body["item"]
    [event] = captured(env["queue"])
    assert event["source"] == "retail.orders" and event["detail-type"] == "ItemUpserted"
    assert event["detail"]["eventId"] == body["eventId"]
    assert event["detail"]["keys"] == {"orderId": "o-1"}
    assert event["detail"]["item"] == body["item"]


def test_n_writes_give_n_events_with_distinct_ids(env):
    for i in range(5):
        assert env["app"].handle("PUT", f"/items/o{i % 3}", json.dumps({"n": i}), JSON)[0] == 200
    events = captured(env["queue"])
    assert len(events) == 5
    assert len({e["detail"]["eventId"] for e in events}) == 5
    assert len(table_items()) == 3


def test_missing_item_is_404(env):
    status, body = env["app"].handle("GET", "/items/nope", None, {})
    assert status == 404 and body["message"] == "item not found"


BAD_REQUESTS = [
    ("PUT", "/items/o1", None, JSON, 400, "must be a JSON object"),
    ("PUT", "/items/o1", "", JSON, 400, "must be a JSON object"),
    ("PUT", "/items/o1", "{oops", JSON, 400, "not valid JSON"),
    ("PUT", "/items/o1", "[1, 2]", JSON, 400, "got list"),
    ("PUT", "/items/o1", '{"a": NaN}', JSON, 400, "NaN is not allowed"),
    ("PUT", "/items/o1", b"\xff\xfe", JSON, 400, "not UTF-8"),
    ("PUT", "/items/o1", '{"orderId": "other"}', JSON, 400, "does not match the path"),
    ("PUT", "/items/o1", '{"_last_event_id": "x"}', JSON, 400, "reserved"),
    ("PUT", "/items/o1", '{"": 1}', JSON, 400, "must not be empty"),
    ("PUT", "/items/o1", '{"a": 1e400}', JSON, 400, "outside what DynamoDB can store"),
    ("PUT", "/items/o1", '{"a": 1}', {"content-type": "text/plain"}, 415, "application/json"),
    ("PUT", "/items/o1", json.dumps({"a": "x" * 300_000}), JSON, 413, "larger than"),
    ("PUT", "/items/o1/extra", '{"a": 1}', JSON, 400, "no sort key"),
    ("DELETE", "/items/o1", None, {}, 405, "not allowed"),
    ("GET", "/orders/o1", None, {}, 404, "no route"),
    ("GET", "/items//", None, {}, 404, "no route"),
    ("PUT", "/items/", '{"a": 1}', JSON, 404, "no route"),
]


@pytest.mark.parametrize("method,path,body,headers,status,message", BAD_REQUESTS)
def test_bad_request_is_4xx_with_message_and_writes_nothing(env, method, path, body, headers, status, message):
    got_status, got = env["app"].handle(method, path, body, headers)
    assert got_status == status and message in got["message"]
    assert table_items() == []
    assert captured(env["queue"]) == []


def test_url_encoded_key_and_query_string(env):
    app = env["app"]
    assert app.handle("PUT", "/items/a%2Fb%20c?x=1", '{"v": 1}', JSON)[0] == 200
    status, body = app.handle("GET", "/items/a%2Fb%20c", None, {})
    assert status == 200 and body["item"]["orderId"] == "a/b c"


def test_sort_key_table_with_numeric_sort_key(env, fresh_env):
    create_table("lines", "orderId", "lineNo", "N")
    fresh_env.setenv("TABLE_NAME", "lines")
    fresh_env.setenv("SORT_KEY", "lineNo")
    fresh_env.setenv("SORT_KEY_TYPE", "N")
    app = env["app"]
    assert app.handle("PUT", "/items/o1", '{"a": 1}', JSON)[0] == 400
    assert app.handle("PUT", "/items/o1/abc", '{"a": 1}', JSON) == (400, {"message": "key 'lineNo' must be a number, got 'abc'"})
    status, body = app.handle("PUT", "/items/o1/2", '{"lineNo": 2, "sku": "X"}', JSON)
    assert status == 200 and body["item"] == {"orderId": "o1", "lineNo": 2, "sku": "X"}
    assert app.handle("GET", "/items/o1/2", None, {})[1]["item"]["sku"] == "X"
    assert app.handle("GET", "/items/o1/3", None, {})[0] == 404
    [event] = captured(env["queue"])
    assert event["detail"]["keys"] == {"orderId": "o1", "lineNo": 2}


def test_misconfigured_service(env, fresh_env):
    fresh_env.delenv("EVENT_BUS_NAME")
    status, body = env["app"].handle("PUT", "/items/o1", '{"a": 1}', JSON)
    assert status == 500 and "EVENT_BUS_NAME" in body["message"]
    assert table_items() == []
    fresh_env.delenv("TABLE_NAME")
    assert env["app"].handle("GET", "/health")[0] == 503
    assert env["app"].handle("GET", "/items/o1")[0] == 500


def test_health(env):
    assert env["app"].handle("GET", "/health", None, {}) == (200, {"status": "ok"})


def test_aws_failure_is_502_not_a_traceback(env, fresh_env):
    fresh_env.setenv("TABLE_NAME", "missing-table")
    status, body = env["app"].handle("GET", "/items/o1", None, {})
    assert status == 502 and "unavailable" in body["message"]


def test_dax_endpoint_without_client_falls_back_to_dynamodb_and_logs(env, fresh_env, caplog, monkeypatch):
    fresh_env.setenv("DAX_ENDPOINT", "daxs://orders.abc.dax-clusters.us-east-1.amazonaws.com")
    monkeypatch.setitem(sys.modules, "amazondax", None)  # "not installed": importing it raises ImportError
    app = env["app"]
    assert app.handle("PUT", "/items/o1", '{"a": 1}', JSON)[0] == 200
    assert app.handle("GET", "/items/o1", None, {})[1]["item"]["a"] == 1
    warnings = [r.getMessage() for r in caplog.records if "dax_unavailable" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not per request


def test_dax_client_is_used_when_importable(env, fresh_env, monkeypatch):
    endpoint = "daxs://orders.abc.dax-clusters.us-east-1.amazonaws.com"
    fresh_env.setenv("DAX_ENDPOINT", endpoint)
    calls = []

    class AmazonDaxClient:  # the real client speaks the DynamoDB API; moto serves it here
        def __new__(cls, endpoint_url=None, region_name=None):
            calls.append((endpoint_url, region_name))
            return boto3.client("dynamodb", region_name=region_name)

    monkeypatch.setitem(sys.modules, "amazondax", types.SimpleNamespace(AmazonDaxClient=AmazonDaxClient))
    app = env["app"]
    assert app.handle("PUT", "/items/o1", '{"a": 1}', JSON)[0] == 200
    assert app.handle("GET", "/items/o1", None, {})[0] == 200
    assert calls == [(endpoint, "us-east-1")]  # created once, then reused


# --- Lambda adapter --------------------------------------------------------------------

def http_api_event(method, raw_path, body=None, b64=False, stage="$default", headers=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": "",
            "headers": headers or {"content-type": "application/json"},
            "requestContext": {"http": {"method": method, "path": raw_path}, "stage": stage},
            "body": body, "isBase64Encoded": b64}


def test_lambda_handler_round_trip(env):
    lam = load_function("ods_api", "lambda_handler")
    put = lam.handler(http_api_event("PUT", "/items/o7", base64.b64encode(b'{"qty": 3}').decode(), b64=True), None)
    assert put["statusCode"] == 200 and put["headers"]["content-type"] == "application/json"
    got = lam.handler(http_api_event("GET", "/prod/items/o7", stage="prod"), None)
    assert got["statusCode"] == 200 and json.loads(got["body"])["item"] == {"orderId": "o7", "qty": 3}
    bad = lam.handler(http_api_event("PUT", "/items/o8", "[]"), None)
    assert bad["statusCode"] == 400 and "JSON object" in json.loads(bad["body"])["message"]
    assert lam.handler(http_api_event("PUT", "/items/o9", "!!", b64=True), None)["statusCode"] == 400
    assert lam.handler(http_api_event("GET", "/items/zzz"), None)["statusCode"] == 404
    assert len(captured(env["queue"])) == 1
    assert [i["orderId"] for i in table_items()] == ["o7"]


def eventbridge_event(detail, event_id="evt-1"):
    return {"version": "0", "id": event_id, "detail-type": "OrderPlaced", "source": "retail.pos",
            "account": "111111111111", "region": "us-east-1", "time": "2026-11-26T10:00:00Z",
            "resources": [], "detail": detail}


def test_lambda_handler_applies_eventbridge_events_once_and_rejects_bad_ones(env):
    lam = load_function("ods_api", "lambda_handler")
    result = lam.handler(eventbridge_event({"item": {"orderId": "o-20", "status": "PAID"}}), None)
    assert result["applied"] is True and result["sourceEventId"] == "evt-1"
    assert lam.handler(eventbridge_event({"orderId": "o-21", "status": "NEW"}, "evt-2"), None)["applied"]
    for bad, reason in [({"status": "NO-KEY"}, "missing key attribute(s) orderId"),
                        ({"item": "text"}, "detail.item must be an object"),
                        ({"item": {"orderId": "o-22", "_internal": 1}}, "reserved")]:
        with pytest.raises(lam.InvalidEvent, match=re.escape(reason)):
            lam.handler(eventbridge_event(bad, "evt-bad"), None)
    assert sorted(i["orderId"] for i in table_items()) == ["o-20", "o-21"]
    events = captured(env["queue"])
    assert len(events) == 2 and {e["detail"]["keys"]["orderId"] for e in events} == {"o-20", "o-21"}


def sqs_batch(*bodies):
    return {"Records": [{"messageId": f"m-{i}", "receiptHandle": f"h-{i}", "body": body, "attributes": {},
                         "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:retail-dev-order-events-events"}
                        for i, body in enumerate(bodies)]}


@pytest.fixture
def events_dlq(env, fresh_env):
    url = boto3.client("sqs").create_queue(QueueName="order-events-events-dlq")["QueueUrl"]
    fresh_env.setenv("DLQ_URL", url)
    return url


def test_queued_events_are_applied_exactly_and_bad_ones_dead_lettered_at_once(env, events_dlq):
    lam = load_function("ods_api", "lambda_handler")
    exact = "12345678901234567890.123456789012345678"  # 38 digits: the Lambda runtime's floats keep 17
    good = json.dumps(eventbridge_event({"item": {"orderId": "o-30", "status": "PAID"}}, "evt-30"))
    good = good.replace('"status": "PAID"', f'"status": "PAID", "amount": {exact}')
    result = lam.handler(sqs_batch(good, json.dumps(eventbridge_event({"status": "NO-KEY"}, "evt-31")),
                                   "not json", "[1, 2]"), None)
    assert result == {"applied": 1, "stale": 0, "dead_lettered": 3, "batchItemFailures": []}
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "o-30"}})["Item"]
    assert item["amount"] == {"N": exact}
    # One change event (moto renders its detail through floats, so its digits are not checked here).
    [change] = captured(env["queue"])
    assert change["detail"]["keys"] == {"orderId": "o-30"}
    letters = captured(events_dlq)
    assert [(l["reason"], (l["event"] or {}).get("id") if isinstance(l["event"], dict) else l["event"]) for l in letters] == [
        ("event evt-31: missing key attribute(s) orderId", "evt-31"),
        ("SQS body is not valid JSON", "not json"),
        ("SQS body is not an EventBridge event (a JSON object)", "[1, 2]")]


def test_a_transient_failure_returns_only_that_message(env, events_dlq, monkeypatch):
    lam = load_function("ods_api", "lambda_handler")
    calls = []
    real = lam.app.handle

    def flaky(method, path, body=None, headers=None, **kw):
        calls.append(path)
        if path.endswith("o-41"):
            return 502, {"message": "the data store is unavailable, try again"}
        return real(method, path, body, headers, **kw)

    monkeypatch.setattr(lam.app, "handle", flaky)
    bodies = [json.dumps(eventbridge_event({"orderId": f"o-4{i}"}, f"evt-4{i}")) for i in range(3)]
    result = lam.handler(sqs_batch(*bodies), None)
    assert result == {"applied": 2, "stale": 0, "dead_lettered": 0, "batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert sorted(i["orderId"] for i in table_items()) == ["o-40", "o-42"]
    assert captured(events_dlq) == []


def test_each_write_gets_the_next_store_revision_published_as_the_event_version(env, monkeypatch):
    """Revisions grow per key: max(previous + 1, the write's millisecond). Three writes in one
    millisecond (a clock that stands still) still get three increasing revisions."""
    app = env["app"]
    now = [1_800_000_000_000]
    monkeypatch.setattr(app.time, "time", lambda: now[0] / 1000)
    versions = [app.handle("PUT", "/items/r1", json.dumps({"n": i}), JSON)[1]["version"] for i in range(3)]
    assert versions == [now[0], now[0] + 1, now[0] + 2]
    status, got = app.handle("GET", "/items/r1")
    assert status == 200 and got == {"item": {"orderId": "r1", "n": 2}, "version": now[0] + 2}
    assert [(e["detail"]["version"], e["detail"]["item"]["n"]) for e in captured(env["queue"])] == [
        (v, i) for i, v in enumerate(versions)]


def test_a_clock_behind_the_stored_revision_still_moves_it_forward(env, monkeypatch):
    """An instance whose clock is a minute behind the previous writer's still writes a higher revision."""
    app = env["app"]
    monkeypatch.setattr(app.time, "time", lambda: 1_800_000_060.000)
    first = app.handle("PUT", "/items/r4", json.dumps({"by": "ahead"}), JSON)[1]["version"]
    monkeypatch.setattr(app.time, "time", lambda: 1_800_000_000.000)
    second = app.handle("PUT", "/items/r4", json.dumps({"by": "behind"}), JSON)[1]["version"]
    assert second == first + 1


def test_a_revision_removed_by_a_whole_item_write_does_not_go_backwards(env, monkeypatch):
    """The ODS writer replaces whole items (no _revision): the next revision still exceeds the last
    published one, because it is never below the wall clock."""
    app = env["app"]
    monkeypatch.setattr(app.time, "time", lambda: 1_800_000_000.000)
    before = app.handle("PUT", "/items/r5", json.dumps({"v": 1}), JSON)[1]["version"]
    boto3.client("dynamodb").put_item(TableName=TABLE, Item={"orderId": {"S": "r5"}, "v": {"N": "2"}})
    monkeypatch.setattr(app.time, "time", lambda: 1_800_000_000.500)
    assert app.handle("PUT", "/items/r5", json.dumps({"v": 3}), JSON)[1]["version"] > before


def test_a_write_racing_another_instance_takes_the_revision_after_it(env, monkeypatch):
    """Instance A reads revision R; instance B writes R+1 before A's put; A's conditional put
    fails, A reads again and stores R+2. No clock decides, and no write is lost."""
    app = env["app"]
    monkeypatch.setattr(app.time, "time", lambda: 1_800_000_000.000)  # one standing clock: only +1 steps
    first = app.handle("PUT", "/items/r2", json.dumps({"by": "first"}), JSON)[1]["version"]
    real, raced = app._revision, []

    def revision_then_other_instance(config, keys):
        current = real(config, keys)
        if not raced:
            raced.append(current)
            boto3.client("dynamodb").put_item(TableName=TABLE, Item={
                "orderId": {"S": "r2"}, "by": {"S": "B"}, "_revision": {"N": str(current + 1)}})
        return current

    monkeypatch.setattr(app, "_revision", revision_then_other_instance)
    status, answer = app.handle("PUT", "/items/r2", json.dumps({"by": "A"}), JSON)
    assert (status, answer["version"], raced) == (200, first + 2, [first])
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "r2"}})["Item"]
    assert (item["by"], item["_revision"]) == ({"S": "A"}, {"N": str(first + 2)})
    assert [e["detail"]["version"] for e in captured(env["queue"])] == [first, first + 2]


def test_a_key_that_keeps_changing_is_a_409_with_nothing_published(env, monkeypatch):
    app = env["app"]
    app.handle("PUT", "/items/r3", json.dumps({"v": 1}), JSON)
    captured(env["queue"])
    monkeypatch.setattr(app, "_revision", lambda config, keys: app.Decimal(0))  # always stale reads
    status, answer = app.handle("PUT", "/items/r3", json.dumps({"v": 2}), JSON)
    assert status == 409 and "kept changing" in answer["message"]
    assert captured(env["queue"]) == []
    assert boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "r3"}})["Item"]["v"] == {"N": "1"}


def timed(detail, event_id, time):
    return {**eventbridge_event(detail, event_id), "time": time}


def test_queued_events_apply_in_event_order_whatever_the_delivery_order(env, events_dlq):
    """Two events for one key delivered newest first (EventBridge retries, SQS redelivery): the
    older one is stale, nothing written or published; the same event twice writes once; equal
    times order by event id; the envelope is ods_writer's, so the two writers converge."""
    lam = load_function("ods_api", "lambda_handler")
    newer = timed({"orderId": "o-50", "status": "SHIPPED"}, "evt-b", "2026-11-26T10:00:05Z")
    older = timed({"orderId": "o-50", "status": "PAID"}, "evt-a", "2026-11-26T10:00:01Z")
    result = lam.handler(sqs_batch(json.dumps(newer), json.dumps(older), json.dumps(newer)), None)
    assert result == {"applied": 1, "stale": 2, "dead_lettered": 0, "batchItemFailures": []}
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "o-50"}})["Item"]
    assert (item["status"], item["_last_event_id"], item["_event_time"], item["_version"]) == (
        {"S": "SHIPPED"}, {"S": "evt-b"}, {"S": "2026-11-26T10:00:05.000000Z"}, {"N": "0"})
    assert [e["detail"]["item"]["status"] for e in captured(env["queue"])] == ["SHIPPED"]
    # Same second: the larger event id wins, in either delivery order; a higher version wins over time.
    same_a = timed({"orderId": "o-51", "status": "A"}, "evt-1", "2026-11-26T10:00:00+00:00")
    same_b = timed({"orderId": "o-51", "status": "B"}, "evt-2", "2026-11-26T11:00:00+01:00")
    assert lam.handler(sqs_batch(json.dumps(same_b), json.dumps(same_a)), None)["stale"] == 1
    versioned = timed({"orderId": "o-51", "status": "V", "version": 2}, "evt-0", "2026-11-26T09:00:00Z")
    assert lam.handler(sqs_batch(json.dumps(versioned)), None)["applied"] == 1
    got = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "o-51"}})["Item"]
    assert (got["status"], got["_version"]) == ({"S": "V"}, {"N": "2"})
    assert captured(events_dlq) == []


def test_an_http_put_clears_the_envelope_so_the_next_event_applies(env, events_dlq):
    lam = load_function("ods_api", "lambda_handler")
    lam.handler(sqs_batch(json.dumps(timed({"orderId": "o-52", "s": 1}, "evt-9", "2026-11-26T10:00:00Z"))), None)
    assert lam.handler(http_api_event("PUT", "/items/o-52", json.dumps({"s": 2})), None)["statusCode"] == 200
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "o-52"}})["Item"]
    assert "_last_event_id" not in item and item["s"] == {"N": "2"}
    older = timed({"orderId": "o-52", "s": 3}, "evt-1", "2026-11-26T09:00:00Z")
    assert lam.handler(sqs_batch(json.dumps(older)), None)["applied"] == 1


@pytest.mark.parametrize("event, reason", [
    (timed({"orderId": "o-53"}, "evt-f", "2999-01-01T00:00:00Z"), "more than 15 minutes in the future"),
    (timed({"orderId": "o-53"}, "evt-t", "yesterday"), "is not an ISO-8601 time"),
    (timed({"orderId": "o-53", "version": "2"}, "evt-v", "2026-11-26T09:00:00Z"), "detail.version must be a number"),
    (timed({"orderId": "o-53", "eventId": 7}, "evt-i", "2026-11-26T09:00:00Z"), "no string detail.eventId or id"),
])
def test_events_without_a_usable_order_are_dead_lettered(env, events_dlq, event, reason):
    lam = load_function("ods_api", "lambda_handler")
    assert lam.handler(sqs_batch(json.dumps(event)), None)["dead_lettered"] == 1
    [letter] = captured(events_dlq)
    assert reason in letter["reason"]
    assert table_items() == []


def test_without_dlq_url_a_bad_event_is_retried_not_lost(env):
    lam = load_function("ods_api", "lambda_handler")
    result = lam.handler(sqs_batch(json.dumps(eventbridge_event({"status": "NO-KEY"}))), None)
    assert result["batchItemFailures"] == [{"itemIdentifier": "m-0"}]


# --- HTTP server -----------------------------------------------------------------------

@pytest.fixture
def server(env, capsys):
    srv_mod = load_function("ods_api", "server")
    srv = srv_mod.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), json.loads(resp.read())
    finally:
        conn.close()


def test_http_server_end_to_end(server, env, capsys):
    port = server
    assert request(port, "GET", "/health") == (200, "application/json", {"status": "ok"})
    status, ctype, body = request(port, "PUT", "/items/o1", json.dumps({"x": 1}), JSON)
    assert status == 200 and body["item"] == {"orderId": "o1", "x": 1}
    assert request(port, "GET", "/items/o1")[2]["item"]["x"] == 1
    assert request(port, "GET", "/items/o2")[0] == 404
    status, _, body = request(port, "PUT", "/items/o3", "not json", JSON)
    assert status == 400 and "not valid JSON" in body["message"]
    assert request(port, "PUT", "/items/o4", "x" * 300_000, JSON)[0] == 413
    assert len(captured(env["queue"])) == 1
    assert [i["orderId"] for i in table_items()] == ["o1"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    # handler threads may interleave their prints: compare as multisets
    logged = sorted((entry["method"], entry["path"], entry["status"]) for entry in lines if "status" in entry)
    assert logged == sorted([("GET", "/health", 200), ("PUT", "/items/o1", 200), ("GET", "/items/o1", 200),
                             ("GET", "/items/o2", 404), ("PUT", "/items/o3", 400), ("PUT", "/items/o4", 413)])


def test_http_server_keeps_connection_alive_across_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/health")
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read()) == {"status": "ok"}
    finally:
        conn.close()


# --- container definition --------------------------------------------------------------

def test_dockerfile_runs_as_non_root_on_python_312():
    text = (FUNCTIONS_DIR / "ods_api" / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert lines[0] == "FROM python:3.12-slim"
    assert "USER 10001" in lines and "EXPOSE 8080" in lines
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "HEALTHCHECK" not in text
    assert lines[-1] == 'CMD ["python", "-m", "server"]'
    assert lines.index("USER 10001") > max(i for i, line in enumerate(lines) if line.startswith(("RUN", "COPY")))
    reqs = [r for r in (FUNCTIONS_DIR / "ods_api" / "requirements.txt").read_text().splitlines()
            if r and not r.startswith("#")]
    # DAX reads, and the ALB signature check of public services, in the container
    assert reqs == ["boto3==1.44.8", "amazon-dax-client==2.1.0", "cryptography==50.0.2"]
    # every module the server imports is in the image
    assert "COPY app.py alb_auth.py server.py ./" in lines


# --- DAX endpoint: a TLS URL, never a bare host:port ----------------------------------------

DAX_HOST = "orders.abc123.dax-clusters.us-east-1.amazonaws.com"


@pytest.mark.parametrize("value", [f"daxs://{DAX_HOST}:9111", f"daxs://{DAX_HOST}", f"  daxs://{DAX_HOST}:9111/ "])
def test_dax_tls_url_is_passed_to_the_client_as_endpoint_url(env, fresh_env, monkeypatch, value):
    fresh_env.setenv("DAX_ENDPOINT", value)
    calls = []

    class AmazonDaxClient:  # the real client speaks the DynamoDB API; moto serves it here
        def __new__(cls, endpoint_url=None, region_name=None):
            calls.append(endpoint_url)
            return boto3.client("dynamodb", region_name=region_name)

    monkeypatch.setitem(sys.modules, "amazondax", types.SimpleNamespace(AmazonDaxClient=AmazonDaxClient))
    assert env["app"].handle("PUT", "/items/o1", '{"a": 1}', JSON)[0] == 200
    assert calls == [value.strip().rstrip("/")]
    assert calls[0].startswith("daxs://")


BAD_DAX = {
    f"{DAX_HOST}:9111": "has no scheme",          # what the provider's configurationEndpoint is
    f"{DAX_HOST}:8111": "has no scheme",
    DAX_HOST: "has no scheme",
    f"dax://{DAX_HOST}:8111": "scheme 'dax'",      # plaintext
    f"https://{DAX_HOST}:9111": "scheme 'https'",
    "daxs://": "not a bare cluster URL",
    f"daxs://{DAX_HOST}:99999": "invalid port",
    f"daxs://{DAX_HOST}:9111/orders": "not a bare cluster URL",
    f"daxs://user:pw@{DAX_HOST}:9111": "not a bare cluster URL",
}


@pytest.mark.parametrize("value", sorted(BAD_DAX))
def test_non_tls_dax_endpoint_is_refused_and_never_reaches_the_client(env, fresh_env, monkeypatch, value):
    fresh_env.setenv("DAX_ENDPOINT", value)
    made = []
    monkeypatch.setitem(sys.modules, "amazondax",
                        types.SimpleNamespace(AmazonDaxClient=lambda **kw: made.append(kw)))
    app = env["app"]
    with pytest.raises(app.ApiError) as info:
        app.load_config()
    assert "DAX_ENDPOINT" in info.value.message and BAD_DAX[value] in info.value.message
    assert "daxs://<cluster address>:9111" in info.value.message
    status, body = app.handle("GET", "/items/o1", None, {})
    assert status == 500 and "DAX_ENDPOINT" in body["message"]
    assert made == []


def test_container_refuses_to_start_with_a_plaintext_dax_endpoint(fresh_env):
    import subprocess
    import os as _os
    env = {k: v for k, v in _os.environ.items() if k != "DAX_ENDPOINT"}
    env.update(TABLE_NAME=TABLE, PARTITION_KEY="orderId", DAX_ENDPOINT=f"{DAX_HOST}:9111", PORT="0",
               AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.run([sys.executable, "-m", "server"], cwd=str(FUNCTIONS_DIR / "ods_api"), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    error = json.loads(proc.stderr.strip().splitlines()[-1])
    assert error["message"] == "not starting" and "DAX_ENDPOINT" in error["error"]
    assert "listening" not in proc.stdout


def test_lambda_init_fails_on_a_plaintext_dax_endpoint(env, fresh_env):
    fresh_env.setenv("DAX_ENDPOINT", f"{DAX_HOST}:9111")
    with pytest.raises(ValueError, match="DAX_ENDPOINT .* has no scheme"):
        load_function("ods_api", "lambda_handler")
    fresh_env.setenv("DAX_ENDPOINT", f"daxs://{DAX_HOST}:9111")
    assert load_function("ods_api", "lambda_handler").handler  # a TLS URL loads


def test_accepted_endpoints_are_tls_for_the_real_dax_client_and_bare_ones_are_not(env):
    """The reason for the check, against amazondax's own endpoint parser (when installed)."""
    cluster = pytest.importorskip("amazondax.Cluster")
    app = env["app"]
    for value in (f"daxs://{DAX_HOST}:9111", f"daxs://{DAX_HOST}"):
        assert cluster._parse_host_ports(app.parse_dax_endpoint(value)) == ("daxs", DAX_HOST, 9111)
    # what the provider's configurationEndpoint looks like: the client would use plaintext
    assert cluster._parse_host_ports(f"{DAX_HOST}:9111")[0] == "dax"


# --- public services: only requests the load balancer signed -----------------------------------
# The ALB signs x-amzn-oidc-data with ES256 and publishes the public key per kid at its region's
# endpoint; here a locally generated P-256 key stands in, served by an injected fetcher.

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402

ALB = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/retail-dev-orders-api/0123456789abcdef"
OTHER_ALB = "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/attacker/fedcba9876543210"
KID = "5c1f3f8e-1111-4a2b-9c3d-0123456789ab"
ALB_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(data: bytes, pad: bool = True) -> str:
    # the ALB keeps base64's padding (most JWT libraries refuse it); the verifier takes both
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


def alb_token(key=ALB_KEY, *, signer=ALB, kid=KID, alg="ES256", exp_in=60, sub="user-42", extra=None, pad=True):
    import time as _time
    exp = int(_time.time()) + exp_in
    head = {"typ": "JWT", "kid": kid, "alg": alg, "iss": "https://login.retail.example.com",
            "client": "orders-api-dev", "signer": signer, "exp": exp}
    claims = {"sub": sub, "email": "ana@example.com", "exp": exp, **(extra or {})}
    signing_input = f"{b64(json.dumps(head).encode(), pad)}.{b64(json.dumps(claims).encode(), pad)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), pad)}"


@pytest.fixture
def public_env(env, fresh_env, monkeypatch):
    """The orders service as a public service behind ALB; key fetches are recorded, never networked."""
    fresh_env.setenv("ALB_ARN", ALB)
    app = env["app"]
    fetched = []

    def fetch(region, kid):
        fetched.append((region, kid))
        if kid != KID:
            raise KeyError(kid)
        return pem(ALB_KEY)

    monkeypatch.setattr(app, "KEY_FETCHER", fetch)
    app._verifiers.clear()
    return {**env, "fetched": fetched}


def signed(token=None, identity="user-42", **kw):
    headers = dict(JSON)
    headers["x-amzn-oidc-data"] = token if token is not None else alb_token(**kw)
    if identity is not None:
        headers["x-amzn-oidc-identity"] = identity
    return headers


def test_signed_request_is_served_and_the_caller_recorded(public_env):
    app = public_env["app"]
    status, body = app.handle("PUT", "/items/o-1", json.dumps({"status": "NEW"}), signed())
    assert status == 200, body
    assert app.handle("GET", "/items/o-1", None, signed())[0] == 200
    [event] = captured(public_env["queue"])
    assert event["detail"]["caller"] == "user-42"
    # the key came from the ALB's region, once per kid
    assert public_env["fetched"] == [("us-east-1", KID)]


UNSIGNED = [
    ("missing header", {**JSON}, "missing x-amzn-oidc-data"),
    ("not a JWT", {**JSON, "x-amzn-oidc-data": "abc.def"}, "not a signed JWT"),
    ("wrong signer", "signer", "not this service's load balancer"),
    ("bad signature", "key", "does not verify"),
    ("tampered claims", "tamper", "does not verify"),
    ("alg none", "alg", "not ES256"),
    ("expired", "exp", "expired"),
    ("unknown kid", "kid", "no public key"),
    ("identity mismatch", "identity", "does not match"),
]


def _unsigned_headers(how):
    if isinstance(how, dict):
        return how
    if how == "signer":
        return signed(signer=OTHER_ALB)
    if how == "key":  # right header, signed by someone else's key
        return signed(key=OTHER_KEY)
    if how == "tamper":
        head, claims, sig = alb_token().split(".")
        forged = b64(json.dumps({"sub": "admin", "exp": 4102444800}).encode())
        return signed(token=f"{head}.{forged}.{sig}", identity="admin")
    if how == "alg":
        return signed(alg="none")
    if how == "exp":
        return signed(exp_in=-3600)
    if how == "kid":
        return signed(kid="0000-unknown")
    if how == "identity":
        return signed(identity="someone-else")
    raise AssertionError(how)


@pytest.mark.parametrize("label,how,message", UNSIGNED, ids=[u[0] for u in UNSIGNED])
def test_requests_around_the_load_balancer_are_refused(public_env, label, how, message):
    app = public_env["app"]
    for method, path, body in (("PUT", "/items/o-1", '{"a": 1}'), ("GET", "/items/o-1", None),
                               ("GET", "/anything", None)):
        status, got = app.handle(method, path, body, _unsigned_headers(how))
        assert status == 401, (label, method, path, got)
        assert message in got["message"], got
    assert table_items() == [] and captured(public_env["queue"]) == []


def test_wrong_signer_is_refused_before_any_key_fetch(public_env):
    assert public_env["app"].handle("GET", "/items/o-1", None, signed(signer=OTHER_ALB))[0] == 401
    assert public_env["fetched"] == []


def test_health_check_needs_no_login(public_env):
    # ALB health checks do not pass through the login
    assert public_env["app"].handle("GET", "/health", None, {}) == (200, {"status": "ok"})


def test_without_alb_arn_no_header_is_needed(env):
    # internal services: the security group admits only the load balancer
    assert env["app"].handle("PUT", "/items/o-1", '{"a": 1}', JSON)[0] == 200
    [event] = captured(env["queue"])
    assert "caller" not in event["detail"]


def test_malformed_alb_arn_is_a_misconfiguration(env, fresh_env):
    fresh_env.setenv("ALB_ARN", "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/x/1")
    status, body = env["app"].handle("GET", "/health", None, {})
    assert status == 503 and "not an application load balancer ARN" in body["message"]


def test_verifier_accepts_unpadded_parts_and_default_fetcher_url(monkeypatch):
    alb_auth = load_function("ods_api", "alb_auth")
    token, unpadded = alb_token(), alb_token(pad=False)
    assert "=" in token.rsplit(".", 1)[0] and "=" not in unpadded
    verifier = alb_auth.AlbVerifier(ALB, fetch=lambda region, kid: pem(ALB_KEY))
    assert verifier.verify({"X-Amzn-Oidc-Data": token}).subject == "user-42"
    assert verifier.verify({"X-Amzn-Oidc-Data": unpadded}).subject == "user-42"
    # the signature covers the parts exactly as sent: re-encoding them breaks it
    stripped = ".".join(p.rstrip("=") for p in token.split("."))
    with pytest.raises(alb_auth.Unauthenticated, match="does not verify"):
        verifier.verify({"X-Amzn-Oidc-Data": stripped})
    # the real fetcher asks the ALB's regional key endpoint for exactly that kid
    seen = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return pem(ALB_KEY)

    monkeypatch.setattr(alb_auth.urllib.request, "urlopen", lambda url, timeout: seen.append((url, timeout)) or Response())
    assert alb_auth.fetch_public_key("eu-west-1", KID) == pem(ALB_KEY)
    assert seen == [(f"https://public-keys.auth.elb.eu-west-1.amazonaws.com/{KID}", 3)]


# --- issue 13: raw UTF-8 paths, exact numbers on the wire, refusals before the write -------------

def raw_request(port, request: bytes) -> tuple[int, dict]:
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_http_server_reads_raw_utf8_paths_as_utf8_and_refuses_other_bytes(server, env):
    """http.server decodes the request line as Latin-1: before, /items/café was stored as 'cafÃ©'."""
    body = b'{"a": 1}'
    put = b"PUT /items/caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\n" \
          b"Connection: close\r\n\r\n" + body
    status, answer = raw_request(server, put)
    assert status == 200 and answer["item"]["orderId"] == "café"
    assert request(server, "GET", "/items/caf%C3%A9")[2]["item"]["orderId"] == "café"   # the same item
    latin1 = put.replace(b"caf\xc3\xa9", b"caf\xe9")
    status, answer = raw_request(server, latin1)
    assert status == 400 and "UTF-8" in answer["message"]
    assert [i["orderId"] for i in table_items()] == ["café"]


def test_numbers_are_exact_in_answers_events_and_the_lambda_response(env):
    app = env["app"]
    sent = {"amount": "0.1000000000000000000001", "big": "1234567890123456789.0123456789012345678"}
    body = '{"amount": 0.1000000000000000000001, "big": 1234567890123456789.0123456789012345678}'
    status, answer = app.handle("PUT", "/items/p1", body, JSON)
    assert status == 200
    wire = json.loads(app.dumps(answer), parse_float=str)
    assert wire["item"]["amount"] == sent["amount"] and wire["item"]["big"] == sent["big"]
    lam = load_function("ods_api", "lambda_handler")
    got = json.loads(lam.handler(http_api_event("GET", "/items/p1"), None)["body"], parse_float=str)
    assert got["item"]["amount"] == sent["amount"] and got["item"]["big"] == sent["big"]
    # ordinary numbers stay plain floats in handle()'s dict
    assert app.handle("PUT", "/items/p2", '{"x": 12.5}', JSON)[1]["item"]["x"] == 12.5


def test_put_events_entry_carries_the_write_time_and_exact_detail(env, monkeypatch):
    app = env["app"]
    entries = []
    real = app._client

    def recording(service):
        client = real(service)
        if service == "events":
            client.meta.events.register("before-parameter-build.events.PutEvents",
                                        lambda params, **_: entries.extend(params["Entries"]), unique_id="rec")
        return client

    monkeypatch.setattr(app, "_client", recording)
    status, answer = app.handle("PUT", "/items/t1", '{"amount": 0.1000000000000000000001}', JSON)
    assert status == 200
    [entry] = entries
    detail = json.loads(entry["Detail"], parse_float=str)
    assert detail["item"]["amount"] == "0.1000000000000000000001"
    assert detail["eventId"] == answer["eventId"]
    assert entry["Time"].isoformat(timespec="milliseconds").replace("+00:00", "Z") == detail["occurredAt"]
    assert app.entry_size(entry) == 14 + len(entry["Source"]) + len(entry["DetailType"]) + len(
        entry["Detail"].encode("utf-8"))


def test_eventbridge_event_with_an_unusable_key_is_invalid_not_a_crash(env):
    lam = load_function("ods_api", "lambda_handler")
    with pytest.raises(lam.InvalidEvent, match="cannot be applied"):
        lam.handler(eventbridge_event({"item": {"orderId": "\ud800"}}), None)
    with pytest.raises(lam.InvalidEvent, match="integer"):
        lam.handler(eventbridge_event({"item": {"orderId": "o1", "n": 2 ** 64}}), None)
    assert table_items() == [] and captured(env["queue"]) == []
