"""The platform's flows, end to end, on the offline graphs materialised in moto (smoke/).

Each test puts records in where a producer would (a file in the raw zone, records on the stream,
events on the bus, requests to a service) and asserts where every record ends up. The graph
decides everything between: bucket, queue, bus and table names, the functions' environment, the
rules' patterns, the tags the jobs are found by, the bus policies. Nothing here repeats one of
them: expectations come from the stack outputs, the graph, or the records the flow sent.

The `tampered` tests change one recorded input the way a careless edit of a component would and
show the flow catching it (the issue this harness was built for: the service's own change events
were routed back into the ODS writer).
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator, Optional

import boto3
import pytest

from offline.mocks import Record
from offline.runner import StackRun, shipped_run
from smoke import flows, samples
from smoke.__main__ import main as smoke_main
from smoke.aws_platform import AwsPlatform
from smoke.contract import TAG_DATA_PRODUCT
from smoke.firehose_prefix import expand
from smoke.moto_platform import MotoPlatform

STACKS = ("dev", "marketing")


@pytest.fixture(scope="module")
def runs() -> dict[str, StackRun]:
    return {stack: shipped_run(stack) for stack in STACKS}


@contextmanager
def platform(runs: dict[str, StackRun], stack: str,
             tamper: Optional[Callable[[StackRun], StackRun]] = None) -> Iterator[MotoPlatform]:
    """Every shipped graph in moto, acting for `stack`; `tamper` edits the producer's (dev) graph."""
    chosen = [tamper(run) if tamper and name == "dev" else run for name, run in runs.items()]
    with MotoPlatform.started(chosen, stack) as started:
        yield started


def run_flow(p: MotoPlatform, kind: str, pick: Callable[[flows.Flow], bool] = lambda f: True) -> flows.FlowResult:
    chosen = [f for f in flows.plan(p.contract) if f.kind == kind and pick(f)]
    assert len(chosen) == 1, [f.name for f in flows.plan(p.contract)]
    return flows.run(p, chosen[0])


def passed(result: flows.FlowResult) -> flows.FlowResult:
    assert result.status == "PASS", result.line() + "\n" + "\n".join(result.notes)
    return result


def only_product(p: MotoPlatform):
    [product] = p.contract.products.values()
    return product


# --- batch ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_batch_file_rows_end_up_in_curated_rejected_quarantine_and_each_dataset(runs, fmt):
    with platform(runs, "dev") as p:
        product = only_product(p)
        result = passed(flows.run(p, flows.Flow(f"batch {product.name} {fmt}", "batch",
                                                lambda ctx: flows.batch(ctx, product, fmt=fmt))))
        where, sample = result.where, result.where["sample"]
        # The file stays where it landed; its ETL run is the job the arrival function names.
        assert where["file"].startswith(f"s3://{product.raw_bucket}/")
        arrivals = [d for d in p.deliveries if d.source == "aws.s3" and d.outcome == "invoked"]
        assert len(arrivals) == 1 and where["file"].split("/", 3)[3] in arrivals[0].note
        assert where["etlRun"].split("/")[0] in p.function_environment(arrivals[0].target_arn).values()
        # Good rows and the row only a dataset refuses reach curated; the row missing a required field does not.
        assert sorted(where["curated"]) == sorted(sample["good"] + [sample["shapeReject"]])
        assert all(uri.startswith(f"s3://{product.curated_bucket}/") for uri in where["curated"].values())
        assert list(where["etlRejected"]) == [sample["etlReject"]]
        # Each dataset: exactly its rows appended, its rejects quarantined, one event with those counts.
        for dataset, rows in sample["expectedRows"].items():
            rejects = sample["expectedRejects"][dataset]
            assert sorted(where["tables"][dataset]) == sorted(rows)
            assert all(uri.startswith(f"s3://{product.reportable_bucket}/") for uri in where["tables"][dataset].values())
            assert sorted(where["quarantined"].get(dataset, {})) == sorted(rejects)
            assert (where["published"][dataset]["rowCount"], where["published"][dataset]["rejectedCount"]) == \
                (len(rows), len(rejects))
        assert any(sample["expectedRejects"].values()), "the sample must exercise a dataset's rejection"
        # No Glue run failed: nothing reached an alarm topic.
        assert [d for d in p.deliveries if d.kind == "sns"] == []


def test_tampered_arrival_environment_stops_the_batch_flow(runs):
    """The arrival function's variable naming the ETL job is renamed: the file is never processed."""
    def tamper(run: StackRun) -> StackRun:
        jobs = {r.inputs["name"] for r in run.by_type("aws:glue/job:Job")}
        return _edit(run, "aws:lambda/function:Function", lambda r: _rename_variables(r, lambda k, v: v in jobs))

    with platform(runs, "dev", tamper) as p:
        result = run_flow(p, "batch")
        assert result.status == "FAIL"
        assert "a run of Glue job" in result.reason
        failed = [d for d in p.deliveries if d.source == "aws.s3"]
        assert [d.outcome for d in failed] == ["failed"]
        # Lambda gave the event to the function's dead-letter queue.
        dlq = _function(p, failed[0].target_arn).inputs["deadLetterConfig"]["targetArn"]
        assert _queue_bodies(p, dlq)[0]["detail"]["object"]["key"] in result.where["file"]


def test_tampered_product_tag_hides_the_jobs_from_the_flow(runs):
    def tamper(run: StackRun) -> StackRun:
        return _edit(run, "aws:glue/job:Job", lambda r: replace(r, inputs={**r.inputs, "tags": {
            (f"{k}-renamed" if k == TAG_DATA_PRODUCT else k): v for k, v in r.inputs["tags"].items()}}))

    with platform(runs, "dev", tamper) as p:
        result = run_flow(p, "batch")
        assert result.status == "FAIL" and "Glue job tagged for" in result.reason
        # The flow stopped before sending anything: no event was routed, no job ran.
        assert p.deliveries == [] and p.glue.log == []


# --- streaming --------------------------------------------------------------------------------------

def test_stream_records_land_under_the_delivery_stream_prefixes(runs):
    with platform(runs, "dev") as p:
        product = only_product(p)
        result = passed(run_flow(p, "streaming"))
        [stream] = [r for r in p.graph.local("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
                    if r.inputs["kinesisSourceConfiguration"]["kinesisStreamArn"] == product.stream_arn]
        config = stream.inputs["extendedS3Configuration"]
        moment = samples.event_moment(days_ago=flows.STREAM_EVENT_DAYS_AGO)
        day = {"year": f"{moment.year:04d}", "month": f"{moment.month:02d}", "day": f"{moment.day:02d}"}
        good_prefix = f"s3://{product.raw_bucket}/" + expand(config["prefix"], when=moment, keys=day)
        assert len(result.where["delivered"]) == 2
        assert all(uri.startswith(good_prefix) for uri in result.where["delivered"].values())
        error_root = f"s3://{product.raw_bucket}/" + config["errorOutputPrefix"].split("!{", 1)[0]
        assert len(result.where["failed"]) == 2
        assert all(uri.startswith(error_root) and "/processing-failed/" in uri for uri in result.where["failed"].values())


# --- events -----------------------------------------------------------------------------------------

def test_ingested_events_reach_the_table_and_invalid_ones_the_dead_letter_queue(runs):
    with platform(runs, "dev") as p:
        product = only_product(p)
        result = passed(run_flow(p, "events"))
        assert sorted(result.where["written"]) == sorted(product.event_sources)
        for source, written in result.where["written"].items():
            assert written["table"] == product.table_name
            # rule -> the writer's queue -> the mapping invokes the writer, once
            [sent, delivery] = p.routed(written["eventId"])
            assert (sent.kind, sent.outcome) == ("sqs", "sent")
            assert delivery.rule_arn.split(":")[5] == "event-source-mapping"
            assert p.queue_consumers(sent.target_arn) == [delivery.target_arn]
            variables = p.function_environment(delivery.target_arn)
            assert delivery.outcome == "invoked" and product.table_name in variables.values()
        [(event_id, queues)] = [(k, v) for k, v in result.where["deadLettered"].items() if k != "reason"]
        [_, delivery] = p.routed(event_id)
        assert queues == [v for v in p.function_environment(delivery.target_arn).values() if v in queues]
        # A consumer's event with an ingestion source: the bus refuses it.
        [(consumer, fate)] = result.where["foreign"].items()
        assert consumer in product.consumers and fate == "refused by the bus: AccessDeniedException"


def test_numbers_keep_every_digit_from_the_writer_queue_to_the_table(runs):
    """The writer reads events from its queue as text: a 38-digit number (DynamoDB's maximum) is
    stored exactly. (Invoked by EventBridge directly, the Lambda runtime would have parsed it into
    a float first.) The event is put on the queue the bus's rule targets, as EventBridge would."""
    with platform(runs, "dev") as p:
        product = only_product(p)
        source = product.event_sources[0]
        [queue_arn] = {t.target_arn for t in p.rule_targets(product.bus_name)
                       if source in (t.pattern.get("source") or []) and ":sqs:" in t.target_arn}
        keys = {product.partition_key: "digits"} | ({product.sort_key: "1"} if product.sort_key else {})
        exact = "12345678901234567890.123456789012345678"
        detail = json.dumps(keys)[:-1] + f', "amount": {exact}}}'
        event_id = "0190b7c1-digits"
        body = (f'{{"version": "0", "id": "{event_id}", "detail-type": "Order Placed", "source": "{source}", '
                f'"account": "{p.contract.account}", "time": "{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}", '
                f'"region": "{p.graph.region}", "resources": [], "detail": {detail}}}')
        with p.clients() as aws:
            url = aws.sqs.get_queue_url(QueueName=queue_arn.split(":")[5])["QueueUrl"]
            aws.sqs.send_message(QueueUrl=url, MessageBody=body)
            p.settle()
            item = aws.dynamodb.get_item(TableName=product.table_name, ConsistentRead=True,
                                         Key={k: {"S": v} for k, v in keys.items()})["Item"]
        assert item["amount"] == {"N": exact}
        assert item["_last_event_id"] == {"S": event_id}
        assert [d.outcome for d in p.routed(event_id)] == ["invoked"]


# --- services ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime", ["fargate", "lambda"])
def test_service_write_reaches_the_table_and_only_the_consumers_inboxes(runs, runtime):
    with platform(runs, "dev") as p:
        product = only_product(p)
        result = passed(run_flow(p, "service", lambda f: p.contract.services[f.name.split(" ", 1)[1]].runtime == runtime))
        where = result.where
        assert where["stored"]["table"] == product.table_name
        [change] = where["changeEvents"]
        assert change["bus"] == product.bus_name
        assert where["inboxes"] == {c: [change["eventId"]] for c in product.consumers}
        assert where["routed"] == sorted(("event-bus", product.inbox_arn(c), "admitted") for c in product.consumers)


def test_tampered_writer_rules_taking_change_events_are_caught(runs):
    """The regression behind issue 13: the product bus's rules to the ODS writer also match the
    services' own change events, which then loop back into the writer."""
    dev = runs["dev"]
    source = dev.outputs["dataProducts"][next(iter(dev.outputs["dataProducts"]))]["eventSource"]

    def tamper(run: StackRun) -> StackRun:
        def widen(rule: Record) -> Record:
            pattern = json.loads(rule.inputs.get("eventPattern") or "{}")
            if rule.inputs.get("eventBusName") and any(s != source for s in pattern.get("source", [])):
                pattern["source"] = sorted(set(pattern["source"]) | {source})
            return replace(rule, inputs={**rule.inputs, "eventPattern": json.dumps(pattern)})
        return _edit(run, "aws:cloudwatch/eventRule:EventRule", widen)

    with platform(runs, "dev", tamper) as p:
        result = run_flow(p, "service", lambda f: p.contract.services[f.name.split(" ", 1)[1]].runtime == "lambda")
        assert result.status == "FAIL" and "looped into the ODS writer" in result.reason
        writer_hits = [d for d in p.deliveries if d.source == source and d.kind == "lambda" and d.outcome == "invoked"]
        assert writer_hits, "the change event must have reached the writer in the tampered graph"


# --- consumers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_consumer_inbox_admits_the_producers_change_events_only(runs, stack):
    with platform(runs, stack) as p:
        result = passed(run_flow(p, "consumer"))
        [(source, inbox)] = result.where["admitted"].items()
        producer = next(c for c in (p.contract_of(s) for s in STACKS) if c.products)
        product = only_product_of(producer)
        assert source == product.event_source
        assert inbox in [product.inbox_arn(c) for c in product.consumers]
        refused = result.where["refused"]
        assert len(refused) == 2 and set(refused.values()) == {"AccessDeniedException"}
        assert any(k.startswith(product.account) for k in refused)  # the producer's ungranted source
        assert any(not k.startswith(product.account) for k in refused)  # an account no stack granted


def test_tampered_inbox_policy_sends_forwarded_events_to_the_sharing_dead_letter_queue(runs):
    """The consumer's inbox grants the producer's ingestion source instead of its change events."""
    marketing = runs["marketing"]
    granted = next(iter(runs["dev"].outputs["dataProducts"].values()))["spec"]["ingestion"]["events"]["sources"][0]

    def narrow(policy: Record) -> Record:
        document = json.loads(policy.inputs["policy"])
        for statement in document["Statement"]:
            for clause in (statement.get("Condition") or {}).values():
                for key in clause:
                    clause[key] = [granted]
        return replace(policy, inputs={**policy.inputs, "policy": json.dumps(document)})

    tampered = dict(runs, marketing=_edit(marketing, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", narrow))
    with platform(tampered, "dev") as p:
        result = run_flow(p, "consumer")
        assert result.status == "FAIL" and "forwarded" in result.reason
        [refusal] = [d for d in p.deliveries if d.kind == "event-bus"]
        assert refusal.outcome == "refused"
        [target] = [t for t in p.rule_targets(only_product(p).bus_name) if t.target_arn == refusal.target_arn]
        assert [b["detail"].get("case") for b in _queue_bodies(p, target.dead_letter_arn)] == ["forwarded"]


# --- the deployed platform's code ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["batch", "streaming"])
def test_deployed_platform_code_finds_the_records_by_polling(runs, kind):
    """The AWS platform (no synchronous routing: it puts, then polls) on the moto world, whose
    routing runs only when the AWS platform waits: the flows do not lean on moto's settling."""
    with platform(runs, "dev") as world:
        deployed = AwsPlatform(world.contract, {world.contract.account: boto3.Session(region_name=world.contract.region)},
                               run_id="polled", poll_interval=0, timeout_scale=0.01, rule_delay=0,
                               sleep=lambda seconds: world.settle())
        deployed.captured = world.captured  # moto leaves `account` out of the events it renders; AWS does not
        result = passed(run_flow(deployed, kind))
        product = only_product(world)
        if kind == "batch":
            for dataset, rows in result.where["sample"]["expectedRows"].items():
                assert sorted(result.where["tables"][dataset]) == sorted(rows)
            assert all(uri.startswith(f"s3://{product.curated_bucket}/") for uri in result.where["curated"].values())
        else:
            assert len(result.where["delivered"]) == 2 and len(result.where["failed"]) == 2
            assert all(uri.startswith(f"s3://{product.raw_bucket}/") for uri in result.where["delivered"].values())


# --- the command line ---------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_offline_smoke_command_passes_every_flow_of_the_stack(runs, stack):
    out = io.StringIO()
    assert smoke_main([stack, "--offline"], out=out) == 0, out.getvalue()
    reported = [re.match(r"(PASS|FAIL|SKIP) (.+?) \d+\.\ds", line).groups() for line in out.getvalue().splitlines()]
    assert reported == [("PASS", f.name) for f in flows.plan(_contract(runs[stack]))]


# --- helpers ------------------------------------------------------------------------------------------

def only_product_of(contract):
    [product] = contract.products.values()
    return product


def _contract(run: StackRun):
    from smoke.contract import StackContract

    return StackContract.from_outputs(run.stack, run.outputs)


def _edit(run: StackRun, type_: str, change: Callable[[Record], Record]) -> StackRun:
    return replace(run, records=[change(r) if r.type == type_ else r for r in run.records])


def _rename_variables(function: Record, which: Callable[[str, str], bool]) -> Record:
    variables = (function.inputs.get("environment") or {}).get("variables") or {}
    renamed = {(f"{k}_RENAMED" if which(k, v) else k): v for k, v in variables.items()}
    return replace(function, inputs={**function.inputs, "environment": {"variables": renamed}})


def _function(p: MotoPlatform, arn: str) -> Record:
    _, function = p.function(arn)
    assert function is not None
    return function


def _queue_bodies(p: MotoPlatform, queue_arn: str) -> list[dict]:
    account, name = queue_arn.split(":")[4], queue_arn.split(":")[5]
    with p.clients(account) as aws:
        url = aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]
