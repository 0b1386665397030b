"""The flows: a record goes in where a producer would put it, and each check says where it must
end up. The same code runs against moto (CI, from the offline graph) and a deployed stack.

Everything a flow needs comes from the stack outputs or the platform itself: the product's Glue
jobs and delivery stream are found by the product's tags, the file prefix from the ETL job's
arguments, the datasets from the reportable job's `--datasets`, record fields from the contract's
spec. A flow returns `where`: each record it sent and the place it ended up.

- batch: a file into raw -> arrival rule -> arrival handler -> the ETL job run for that file ->
  curated (and the ETL's rejects) -> the reportable job -> each dataset's table, its rejects in
  quarantine, and one "Dataset Published" event per dataset on the product bus.
- streaming: records into the Kinesis stream -> Firehose + record processor -> good records under
  the delivery stream's prefix for their event time, bad ones under its error prefix.
- events: an event per ingestion source -> the bus's rules -> the writer's queue -> ODS writer ->
  the table; an invalid one -> the writer's dead-letter queue; a consumer account's event ->
  refused by the bus, nowhere near the table.
- service: PUT/GET through the service's front door -> the table -> exactly one change event on
  the bus -> only the consumers' inboxes, never the ODS writer.
- consumer: the producer's change events reach the consumer's inbox; the bus policy refuses the
  producer's other sources and any other account.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Optional

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from smoke import samples
from smoke.contract import Product, Service, StackContract
from smoke.firehose_prefix import expand
from smoke.platform import FlowFailed, FlowSkipped, Platform, check

SMOKE_DETAIL_TYPE = "DDP Smoke Test"
_to_ddb = TypeSerializer().serialize
_from_ddb = TypeDeserializer().deserialize

# How long a deployed platform may take (seconds); moto settles synchronously and ignores them.
TIMEOUTS = {"batch": 1800.0, "streaming": 900.0, "events": 120.0, "service": 120.0, "consumer": 120.0}
QUIET_SECONDS = 20.0
# Streamed records carry an event time this many days back: landing in that day's partition, not
# the arrival day's, shows the processor read the timestamp field.
STREAM_EVENT_DAYS_AGO = 2


@dataclass
class FlowContext:
    platform: Platform
    kind: str
    where: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _cleanups: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    @property
    def timeout(self) -> float:
        return TIMEOUTS[self.kind] * getattr(self.platform, "timeout_scale", 1.0)

    def cleanup(self, what: str, action: Callable[[], Any]) -> None:
        self._cleanups.append((what, action))

    def run_cleanups(self) -> list[str]:
        failed = []
        for what, action in reversed(self._cleanups):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - report every leftover, keep cleaning
                failed.append(f"{what}: {exc}")
        return failed


@dataclass
class FlowResult:
    flow: str
    status: str  # PASS | FAIL | SKIP
    seconds: float
    reason: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.status} {self.flow} {self.seconds:.1f}s"
        if self.reason:
            text += f" {self.reason}"
        if self.notes and self.status == "PASS":
            text += f" ({'; '.join(self.notes)})"
        return text


@dataclass(frozen=True)
class Flow:
    name: str
    kind: str
    body: Callable[[FlowContext], None]


def plan(contract: StackContract) -> list[Flow]:
    """The flows a stack has, from its outputs."""
    flows: list[Flow] = []
    for product in contract.products.values():
        ingestion = product.ingestion
        if ingestion.get("batch"):
            flows.append(Flow(f"batch {product.name}", "batch", lambda ctx, p=product: batch(ctx, p)))
        if ingestion.get("streaming") and product.stream_arn:
            flows.append(Flow(f"streaming {product.name}", "streaming", lambda ctx, p=product: streaming(ctx, p)))
        if product.event_sources:
            flows.append(Flow(f"events {product.name}", "events", lambda ctx, p=product: events(ctx, p)))
    for service_ in contract.services.values():
        flows.append(Flow(f"service {service_.name}", "service", lambda ctx, s=service_: service(ctx, s)))
    for product in contract.products.values():
        for consumer_account in product.consumers if product.share_bus_name else ():
            flows.append(Flow(f"consumer {product.name} {consumer_account}", "consumer",
                              lambda ctx, p=product, c=consumer_account: consumer(ctx, p, c, p.inbox_arn(c))))
    for consumed in contract.consumes.values():
        flows.append(Flow(f"consumer {consumed.data_product} {consumed.account}", "consumer",
                          lambda ctx, c=consumed: consumer(ctx, _producer_product(ctx.platform, c.producer_stack,
                                                                                  c.data_product),
                                                           c.account, c.inbox_bus_arn)))
    return flows


def run(platform: Platform, flow: Flow) -> FlowResult:
    ctx = FlowContext(platform, flow.kind)
    started = time.monotonic()
    status, reason = "PASS", ""
    try:
        flow.body(ctx)
    except FlowSkipped as exc:
        status, reason = "SKIP", str(exc)
    except FlowFailed as exc:
        status, reason = "FAIL", str(exc)
    except Exception as exc:  # noqa: BLE001 - one line per flow, whatever broke
        status, reason = "FAIL", f"{type(exc).__name__}: {exc}"
        ctx.notes.append(traceback.format_exc(limit=6))
    leftovers = ctx.run_cleanups()
    if leftovers:
        ctx.notes.append("not cleaned up: " + "; ".join(leftovers))
    return FlowResult(flow.name, status, time.monotonic() - started, reason, ctx.where, ctx.notes)


def _producer_product(platform: Platform, stack: str, product: str) -> Product:
    producer = platform.contract_of(stack)
    if product not in producer.products:
        raise FlowFailed(f"stack {stack} does not export data product {product}")
    return producer.products[product]


def _s3_uri(uri: str) -> tuple[str, str]:
    check(uri.startswith("s3://"), f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def _args(job: Mapping[str, Any]) -> dict[str, str]:
    return dict(job.get("DefaultArguments") or {})


def _terminal(platform: Platform, job: str, run_id: str) -> Optional[dict]:
    with platform.clients() as aws:
        run_ = aws.glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
    return run_ if run_["JobRunState"] in ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR") else None


def _job_runs(platform: Platform, job: str) -> list[dict]:
    with platform.clients() as aws:
        return aws.glue.get_job_runs(JobName=job, MaxResults=50)["JobRuns"]


def _ours(platform: Platform, bucket: str, key: str, marker: str) -> bool:
    """Does every record of the object carry the run's marker (so deleting it loses nobody's data)?"""
    records = platform.read_records(bucket, key)
    return bool(records) and all(marker in json.dumps(r) for r in records)


def _encrypted_with(platform: Platform, bucket: str, key: str, key_arn: str) -> None:
    with platform.clients() as aws:
        head = aws.s3.head_object(Bucket=bucket, Key=key)
    check(head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == key_arn,
          f"s3://{bucket}/{key} is encrypted with {head.get('SSEKMSKeyId') or head.get('ServerSideEncryption')}, "
          f"not the product key {key_arn}")


# --- batch ------------------------------------------------------------------------------------

def _product_jobs(platform: Platform, product: Product) -> tuple[dict, dict]:
    """The ETL job (raw -> curated) and the reportable job (curated -> reportable) of the product,
    found by its tags and told apart by where their arguments read and write."""
    jobs = []
    with platform.clients() as aws:
        for arn in platform.tagged(product, "glue:job"):
            jobs.append(aws.glue.get_job(JobName=arn.rsplit("/", 1)[1])["Job"])
    etl = [j for j in jobs if _args(j).get("--source_path", "").startswith(f"s3://{product.raw_bucket}/")
           and _args(j).get("--target_path", "").startswith(f"s3://{product.curated_bucket}/")]
    reportable = [j for j in jobs if _args(j).get("--warehouse", "").startswith(f"s3://{product.reportable_bucket}/")]
    names = sorted(j["Name"] for j in jobs)
    check(len(etl) == 1, f"expected one Glue job tagged for {product.name} reading raw and writing curated, "
                         f"found {len(etl)} among {names}")
    check(len(reportable) == 1, f"expected one Glue job tagged for {product.name} writing the reportable zone, "
                                f"found {len(reportable)} among {names}")
    check(_args(reportable[0]).get("--source_path") == _args(etl[0])["--target_path"],
          f"the reportable job reads {_args(reportable[0]).get('--source_path')}, the ETL job writes "
          f"{_args(etl[0])['--target_path']}")
    return etl[0], reportable[0]


def batch(ctx: FlowContext, product: Product, fmt: str = "csv") -> None:
    p, run_id = ctx.platform, ctx.platform.run_id
    etl, reportable = _product_jobs(p, product)
    etl_args, rep_args = _args(etl), _args(reportable)
    raw_bucket, source_prefix = _s3_uri(etl_args["--source_path"])
    datasets = json.loads(rep_args["--datasets"])
    required = [f for f in etl_args.get("--required_fields", "").split(",") if f]
    sample = samples.batch_file(datasets, required, run_id, fmt=fmt)
    key = f"{source_prefix}smoke-{run_id}/{product.name}{sample.suffix}"
    ctx.where["file"] = f"s3://{raw_bucket}/{key}"
    ctx.where["sample"] = {"good": sample.good, "etlReject": sample.etl_reject, "shapeReject": sample.shape_reject,
                           "expectedRows": sample.expected_rows, "expectedRejects": sample.expected_rejects}
    published_pattern = {"source": [rep_args["--event_source"]], "detail-type": ["Dataset Published"]}
    with p.capture(rep_args["--event_bus_name"], published_pattern) as published:
        p.put_object(raw_bucket, key, sample.body, sample.content_type)
        ctx.cleanup(f"s3://{raw_bucket}/{key}", lambda: p.delete_object_versions(raw_bucket, key))

        # The arrival handler starts the ETL job for exactly this file.
        def etl_run() -> Optional[dict]:
            return next((r for r in _job_runs(p, etl["Name"])
                         if (r.get("Arguments") or {}).get("--source_path") == f"s3://{raw_bucket}/{key}"), None)
        started = p.wait(f"a run of Glue job {etl['Name']} for {ctx.where['file']}", etl_run, ctx.timeout)
        check((started.get("Arguments") or {}).get("--source_key") == key,
              f"ETL run {started['Id']} got --source_key {(started.get('Arguments') or {}).get('--source_key')!r}")
        done = p.wait(f"ETL run {started['Id']} to finish", lambda: _terminal(p, etl["Name"], started["Id"]), ctx.timeout)
        check(done["JobRunState"] == "SUCCEEDED",
              f"ETL run {done['Id']} {done['JobRunState']}: {p.job_run_error(etl['Name'], done)}")
        ctx.where["etlRun"] = f"{etl['Name']}/{done['Id']}"
        with p.clients() as aws:
            aws.s3.head_object(Bucket=raw_bucket, Key=key)  # accepted files stay where they landed
        _encrypted_with(p, raw_bucket, key, product.key_arn)
        _check_curated(ctx, product, etl_args, done, sample)
        _check_etl_rejects(ctx, etl_args, done, sample)

        # The reportable job runs after the ETL run (conditional trigger) and publishes each dataset.
        def reportable_run() -> Optional[dict]:
            after = [r for r in _job_runs(p, reportable["Name"]) if r["StartedOn"] >= done["StartedOn"]]
            return min(after, key=lambda r: r["StartedOn"]) if after else None
        rep_started = p.wait(f"a run of Glue job {reportable['Name']} after ETL run {done['Id']}", reportable_run,
                             ctx.timeout)
        rep_done = p.wait(f"reportable run {rep_started['Id']} to finish",
                          lambda: _terminal(p, reportable["Name"], rep_started["Id"]), ctx.timeout)
        check(rep_done["JobRunState"] == "SUCCEEDED",
              f"reportable run {rep_done['Id']} {rep_done['JobRunState']}: "
              f"{p.job_run_error(reportable['Name'], rep_done)}")
        ctx.where["reportableRun"] = f"{reportable['Name']}/{rep_done['Id']}"
        names = [d["name"] for d in datasets if sample.expected_rows[d["name"]]]
        events = published.wait_for(f"'Dataset Published' for {', '.join(names)} from run {rep_done['Id']}",
                                    lambda e: e["detail"].get("runId") == rep_done["Id"], ctx.timeout, count=len(names))
    _check_published(ctx, product, rep_args, events, sample)
    _check_quarantine(ctx, product, rep_args, rep_done["Id"], sample)
    _check_tables(ctx, rep_done, sample, datasets)


def _written_by(platform: Platform, uri: str, run_: dict) -> list[dict]:
    """Objects under `uri` (staging and markers aside) written while the run ran."""
    bucket, prefix = _s3_uri(uri)
    start, end = run_["StartedOn"] - timedelta(seconds=5), run_["CompletedOn"] + timedelta(seconds=5)
    return [o for o in platform.list_keys(bucket, prefix)
            if "/_" not in "/" + o["Key"][len(prefix):] and start <= o["LastModified"] <= end]


def _check_curated(ctx: FlowContext, product: Product, etl_args: dict, run_: dict, sample: samples.BatchSample) -> None:
    p = ctx.platform
    bucket, prefix = _s3_uri(etl_args["--target_path"])
    written = _written_by(p, etl_args["--target_path"], run_)
    check(written, f"ETL run {run_['Id']} published nothing under {etl_args['--target_path']}")
    found: dict[str, str] = {}
    unreadable = 0
    for obj in written:
        _encrypted_with(p, bucket, obj["Key"], product.key_arn)
        records = p.read_records(bucket, obj["Key"])
        if records is None:
            unreadable += 1
            continue
        for row_id in sample.rows:
            if any(samples.mentions(r, row_id) for r in records):
                found[row_id] = f"s3://{bucket}/{obj['Key']}"
    if unreadable == len(written):
        ctx.notes.append(f"{len(written)} curated Parquet object(s) checked by key and key only (install pyarrow to read them)")
    else:
        expected = sample.good + ([sample.shape_reject] if sample.shape_reject else [])
        missing = [r for r in expected if r not in found]
        check(not missing, f"curated zone lacks row(s) {missing} (objects: {[o['Key'] for o in written]})")
        check(sample.etl_reject not in found, f"row {sample.etl_reject} (blank {sample.etl_reject_field}) reached "
                                              f"curated: {found.get(sample.etl_reject)}")
        check(all("ingest_date=" in uri for uri in found.values()), f"curated objects not partitioned by ingest_date: {found}")
    ctx.where["curated"] = found or [f"s3://{bucket}/{o['Key']}" for o in written]
    # The ETL run read only this file (the arrival handler's --source_path): all it wrote is ours.
    for obj in written:
        ctx.cleanup(f"s3://{bucket}/{obj['Key']}", lambda k=obj["Key"]: p.delete_object_versions(bucket, k))


def _check_etl_rejects(ctx: FlowContext, etl_args: dict, run_: dict, sample: samples.BatchSample) -> None:
    p = ctx.platform
    if not etl_args.get("--rejected_path"):
        ctx.notes.append("the ETL job keeps no rejected records (no --rejected_path)")
        return
    bucket, _ = _s3_uri(etl_args["--rejected_path"])
    for obj in _written_by(p, etl_args["--rejected_path"], run_):
        for line in p.read_records(bucket, obj["Key"]) or []:
            if samples.mentions(line.get("record"), sample.etl_reject):
                check(sample.etl_reject_field in line.get("reason", ""),
                      f"ETL reject of {sample.etl_reject} says {line.get('reason')!r}, not the blank "
                      f"{sample.etl_reject_field}")
                ctx.where["etlRejected"] = {sample.etl_reject: f"s3://{bucket}/{obj['Key']}"}
                if _ours(p, bucket, obj["Key"], f"smoke-{p.run_id}-"):
                    ctx.cleanup(f"s3://{bucket}/{obj['Key']}", lambda k=obj["Key"]: p.delete_object_versions(bucket, k))
                return
    raise FlowFailed(f"row {sample.etl_reject} (blank {sample.etl_reject_field}) is not among the ETL's rejects "
                     f"under {etl_args['--rejected_path']}")


def _check_published(ctx: FlowContext, product: Product, rep_args: dict, events: list[dict],
                     sample: samples.BatchSample) -> None:
    p = ctx.platform
    by_dataset = {e["detail"]["dataset"]: e for e in events}
    ctx.where["published"] = {}
    for dataset, rows in sample.expected_rows.items():
        if not rows:
            continue
        event = by_dataset.get(dataset)
        check(event is not None, f"no 'Dataset Published' for {dataset} (got {sorted(by_dataset)})")
        detail = event["detail"]
        check(event["account"] == product.account, f"{dataset}: published from account {event['account']}")
        check(detail["rowCount"] >= len(rows), f"{dataset}: {detail['rowCount']} rows published, sent {len(rows)}")
        rejects = len(sample.expected_rejects[dataset])
        check(detail["rejectedCount"] >= rejects, f"{dataset}: {detail['rejectedCount']} rejected, expected {rejects}")
        database, _, table = detail["table"].partition(".")
        with p.clients() as aws:
            try:
                location = aws.glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]["Location"]
            except ClientError as exc:
                raise FlowFailed(f"{dataset}: published table {detail['table']} is not in the catalog: {exc}") from None
        check(location.startswith(f"s3://{product.reportable_bucket}/"),
              f"{dataset}: table {detail['table']} lives at {location}, outside the reportable zone")
        ctx.where["published"][dataset] = {"table": detail["table"], "rowCount": detail["rowCount"],
                                           "rejectedCount": detail["rejectedCount"], "location": location}


def _check_quarantine(ctx: FlowContext, product: Product, rep_args: dict, run_id: str,
                      sample: samples.BatchSample) -> None:
    p = ctx.platform
    ctx.where["quarantined"] = {}
    for dataset, rejects in sample.expected_rejects.items():
        if not rejects:
            continue
        bucket, prefix = _s3_uri(f"{rep_args['--quarantine_path'].rstrip('/')}/{dataset}/run={run_id}/")
        found = {}
        for obj in p.list_keys(bucket, prefix):
            for line in p.read_records(bucket, obj["Key"]) or []:
                if samples.mentions(line.get("record"), rejects[0]):
                    check(sample.shape_reject_field in line.get("reason", ""),
                          f"{dataset} rejected {rejects[0]} for {line.get('reason')!r}, not its "
                          f"{sample.shape_reject_field}")
                    found[rejects[0]] = f"s3://{bucket}/{obj['Key']}"
                    _encrypted_with(p, bucket, obj["Key"], product.key_arn)
            if _ours(p, bucket, obj["Key"], f"smoke-{p.run_id}-"):
                ctx.cleanup(f"s3://{bucket}/{obj['Key']}", lambda k=obj["Key"]: p.delete_object_versions(bucket, k))
        check(rejects[0] in found, f"{dataset}: row {rejects[0]} (bad {sample.shape_reject_field}) is not "
                                   f"quarantined under s3://{bucket}/{prefix}")
        ctx.where["quarantined"][dataset] = found


def _check_tables(ctx: FlowContext, run_: dict, sample: samples.BatchSample, datasets: list[dict]) -> None:
    """Rows the run appended to each dataset's table. The moto platform's job writes JSON rows;
    Iceberg data files in AWS are Parquet, not read here, and their rows are not deleted (that
    needs an engine: Athena or Spark)."""
    p = ctx.platform
    ctx.where["tables"] = {}
    for dataset, info in ctx.where["published"].items():
        bucket, _ = _s3_uri(info["location"])
        found: dict[str, str] = {}
        readable = False
        for obj in _written_by(p, info["location"].rstrip("/") + "/data/", run_):
            records = p.read_records(bucket, obj["Key"])
            if records is None:
                continue
            readable = True
            for row_id in sample.expected_rows[dataset] + sample.expected_rejects[dataset] + [sample.etl_reject]:
                if any(samples.mentions(r, row_id) for r in records):
                    found[row_id] = f"s3://{bucket}/{obj['Key']}"
            if _ours(p, bucket, obj["Key"], f"smoke-{p.run_id}-"):
                ctx.cleanup(f"s3://{bucket}/{obj['Key']}", lambda k=obj["Key"]: p.delete_object_versions(bucket, k))
        if not readable:
            declared = next(d for d in datasets if d["name"] == dataset)
            column = next((c["name"] for c in declared["columns"] if c["type"] == "string"), "<a string column>")
            ctx.notes.append(f"{len(sample.expected_rows[dataset])} row(s) left in {info['table']}: delete them with "
                             f"Athena, DELETE FROM {info['table']} WHERE {column} LIKE 'smoke-{p.run_id}-%'")
            continue
        expected = sample.expected_rows[dataset]
        check(sorted(found) == sorted(expected), f"{dataset}: table holds {sorted(found)}, expected {sorted(expected)}")
        ctx.where["tables"][dataset] = found


# --- streaming --------------------------------------------------------------------------------

def _delivery_stream(platform: Platform, product: Product) -> dict:
    found = []
    with platform.clients() as aws:
        for arn in platform.tagged(product, "firehose:deliverystream"):
            described = aws.firehose.describe_delivery_stream(DeliveryStreamName=arn.rsplit("/", 1)[1])
            description = described["DeliveryStreamDescription"]
            source = (description.get("Source") or {}).get("KinesisStreamSourceDescription") or {}
            if source.get("KinesisStreamARN") == product.stream_arn:
                found.append(description)
    check(len(found) == 1, f"expected one delivery stream tagged for {product.name} reading {product.stream_arn}, "
                           f"found {len(found)}")
    return found[0]


def streaming(ctx: FlowContext, product: Product) -> None:
    p, run_id = ctx.platform, ctx.platform.run_id
    settings = product.ingestion["streaming"]
    required = list(settings.get("required_fields") or [])
    timestamp_field = settings.get("timestamp_field")
    stream = _delivery_stream(p, product)
    destination = stream["Destinations"][0]["ExtendedS3DestinationDescription"]
    bucket = destination["BucketARN"].split(":::", 1)[1]
    check(bucket == product.raw_bucket, f"delivery stream {stream['DeliveryStreamName']} writes to {bucket}, "
                                        f"not the raw zone {product.raw_bucket}")
    moment = samples.event_moment(days_ago=STREAM_EVENT_DAYS_AGO)
    good_ids = [f"smoke-{run_id}-s{n}" for n in range(2)]
    good = []
    for row_id in good_ids:
        record = {name: row_id for name in required}
        record["smokeRun"] = run_id
        if timestamp_field:
            record[timestamp_field] = samples.iso(moment)
        good.append(record)
    bad_missing = f"smoke-{run_id}-s-missing"
    bad = {name: bad_missing for name in required[1:]} | {"smokeRun": run_id}
    bad_text = f"smoke-{run_id}-s-notjson"
    payloads = [json.dumps(r).encode() for r in good] + [json.dumps(bad).encode(), f"{bad_text} is not JSON".encode()]
    sent_at = datetime.now(timezone.utc)
    p.put_stream_records(product.stream_arn, payloads, partition_key=f"smoke-{run_id}")
    event_day = moment if timestamp_field else sent_at
    ok_prefix = expand(destination["Prefix"], when=sent_at, keys={
        "year": f"{event_day.year:04d}", "month": f"{event_day.month:02d}", "day": f"{event_day.day:02d}"})
    error_prefixes = sorted({expand(destination["ErrorOutputPrefix"], when=moment_, error_type="processing-failed")
                             for moment_ in (sent_at, datetime.now(timezone.utc) + timedelta(minutes=30))})

    def delivered() -> Optional[dict[str, str]]:
        where = {}
        for obj in p.list_keys(bucket, ok_prefix):
            for record in p.read_records(bucket, obj["Key"]) or []:
                if record.get("smokeRun") == run_id and record.get(required[0]) in good_ids:
                    check("_ingested_at" in record, f"{record[required[0]]} was delivered unprocessed: {record}")
                    where[record[required[0]]] = f"s3://{bucket}/{obj['Key']}"
        return where if sorted(where) == good_ids else None
    ctx.where["delivered"] = p.wait(f"records {good_ids} under s3://{bucket}/{ok_prefix}", delivered, ctx.timeout)

    def failed() -> Optional[dict[str, str]]:
        where = {}
        for prefix in error_prefixes:
            for obj in p.list_keys(bucket, prefix):
                for record in p.read_records(bucket, obj["Key"]) or []:
                    raw = base64.b64decode(record.get("rawData", "")).decode("utf-8", "replace")
                    for marker in (bad_missing, bad_text):
                        if marker in raw:
                            where[marker] = f"s3://{bucket}/{obj['Key']}"
        return where if len(where) == 2 else None
    ctx.where["failed"] = p.wait(f"the two bad records under s3://{bucket}/{error_prefixes[0]}", failed, ctx.timeout)
    for uri in set(ctx.where["delivered"].values()) | set(ctx.where["failed"].values()):
        key = uri.split("/", 3)[3]
        records = p.read_records(bucket, key) or []
        if records and all(r.get("smokeRun") == run_id or run_id in base64.b64decode(r.get("rawData", "")).decode(
                "utf-8", "replace") for r in records):
            ctx.cleanup(uri, lambda k=key: p.delete_object_versions(bucket, k))
        else:
            ctx.notes.append(f"{uri} also holds others' records: left in place")


# --- events -----------------------------------------------------------------------------------

def _keys(product: Product, text: str) -> dict[str, Any]:
    keys = {product.partition_key: samples.key_value(product.key_type("partition"), text)}
    if product.sort_key:
        keys[product.sort_key] = samples.key_value(product.key_type("sort"), "1")
    return keys


def _get_item(platform: Platform, product: Product, keys: Mapping[str, Any]) -> Optional[dict]:
    with platform.clients() as aws:
        item = aws.dynamodb.get_item(TableName=product.table_name, Key={k: _to_ddb(v) for k, v in keys.items()},
                                     ConsistentRead=True).get("Item")
    return {k: _from_ddb(v) for k, v in item.items()} if item else None


def _delete_item(platform: Platform, product: Product, keys: Mapping[str, Any]) -> None:
    with platform.clients() as aws:
        aws.dynamodb.delete_item(TableName=product.table_name, Key={k: _to_ddb(v) for k, v in keys.items()})


def _writers(platform: Platform, product: Product, source: str) -> list[str]:
    """The functions the bus's rules feed `source` to: targets, or consumers of a target queue."""
    functions: set[str] = set()
    for target in platform.rule_targets(product.bus_name):
        if source in (target.pattern.get("source") or []):
            if ":lambda:" in target.target_arn:
                functions.add(target.target_arn)
            elif ":sqs:" in target.target_arn:
                functions.update(platform.queue_consumers(target.target_arn))
    return sorted(functions)


def _writer_dead_letters(platform: Platform, product: Product, source: str) -> list[str]:
    """The dead-letter queues (DLQ_URL) of the functions the bus's rules feed `source` to."""
    urls = {platform.function_environment(fn).get("DLQ_URL") for fn in _writers(platform, product, source)}
    return sorted(url for url in urls if url)


def _find_dead_letter(platform: Platform, url: str, event_id: str) -> Optional[dict]:
    """Our event's message in a dead-letter queue (removed; others' messages are put back)."""
    with platform.clients() as aws:
        for _ in range(10):
            messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                               WaitTimeSeconds=1).get("Messages", [])
            if not messages:
                return None
            for message in messages:
                body = json.loads(message["Body"])
                if (body.get("event") or {}).get("id") == event_id:
                    aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    return body
                aws.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=0)
    return None


def events(ctx: FlowContext, product: Product) -> None:
    p, run_id = ctx.platform, ctx.platform.run_id
    ctx.where["written"] = {}
    for source in product.event_sources:
        keys = _keys(product, f"smoke-{run_id}-{source}")
        [result] = p.put_events([{"Source": source, "DetailType": SMOKE_DETAIL_TYPE, "EventBusName": product.bus_name,
                                  "Detail": json.dumps({**keys, "smokeRun": run_id})}])
        check("EventId" in result, f"{source}: the bus refused the event: {result}")
        ctx.cleanup(f"{product.table_name} item {keys}", lambda k=keys: _delete_item(p, product, k))
        item = p.wait(f"the {source} event {result['EventId']} in {product.table_name}",
                      lambda k=keys, r=result: (lambda i: i if i and i.get("_last_event_id") == r["EventId"] else None)(
                          _get_item(p, product, k)), ctx.timeout)
        check(item.get("smokeRun") == run_id, f"{source}: stored item lacks the event's attributes: {item}")
        routed = p.routed(result["EventId"])
        if routed is not None:
            invoked = [d for d in routed if d.kind == "lambda" and d.outcome == "invoked"]
            check(len(invoked) == 1, f"{source}: event reached {[(d.rule_arn, d.target_arn, d.outcome) for d in routed]}")
        ctx.where["written"][source] = {"table": product.table_name, "keys": keys, "eventId": result["EventId"]}

    # An event that cannot be stored: the writer's dead-letter queue, not the table.
    source = product.event_sources[0]
    keys = _keys(product, f"smoke-{run_id}-invalid")
    detail = {k: v for k, v in keys.items() if k != (product.sort_key or product.partition_key)}
    [invalid] = p.put_events([{"Source": source, "DetailType": SMOKE_DETAIL_TYPE, "EventBusName": product.bus_name,
                               "Detail": json.dumps({**detail, "smokeRun": run_id})}])
    check("EventId" in invalid, f"the bus refused the invalid event: {invalid}")
    queues = _writer_dead_letters(p, product, source)
    check(queues, f"no function behind {product.bus_name}'s rules for {source} has a DLQ_URL")
    letter = p.wait(f"invalid event {invalid['EventId']} in {queues}",
                    lambda: next((b for b in (_find_dead_letter(p, q, invalid["EventId"]) for q in queues) if b), None),
                    ctx.timeout)
    left_out = product.sort_key or product.partition_key
    check(left_out in letter.get("reason", ""), f"dead letter of the event without {left_out}: {letter}")
    check(_get_item(p, product, keys) is None, f"the invalid event was stored: {keys}")
    ctx.where["deadLettered"] = {invalid["EventId"]: queues, "reason": letter.get("reason")}

    # Another account's event with a declared source never reaches the store (the rules take only
    # this account's), whether or not the bus policy admits it.
    others = [c for c in product.consumers if p.has_account(c)]
    if not others:
        ctx.notes.append("no consumer account's credentials: other accounts' events not tried")
        return
    keys = _keys(product, f"smoke-{run_id}-foreign")
    [foreign] = p.put_events([{"Source": source, "DetailType": SMOKE_DETAIL_TYPE, "EventBusName": product.bus_arn,
                               "Detail": json.dumps({**keys, "smokeRun": run_id})}], account=others[0])
    p.quiet(QUIET_SECONDS)
    check(_get_item(p, product, keys) is None, f"account {others[0]}'s {source} event was stored in {product.table_name}")
    routed = p.routed(foreign["EventId"]) if "EventId" in foreign else []
    check(not routed, f"account {others[0]}'s event reached {[(d.rule_arn, d.target_arn) for d in routed or []]}")
    ctx.where["foreign"] = {others[0]: "admitted by the bus policy, stored nowhere" if "EventId" in foreign
                            else f"refused by the bus: {foreign.get('ErrorCode')}"}


# --- services ---------------------------------------------------------------------------------

def service(ctx: FlowContext, svc: Service) -> None:
    p, run_id = ctx.platform, ctx.platform.run_id
    product = p.contract.products[svc.data_product]
    keys = _keys(product, f"smoke-{run_id}-{svc.name}")
    path = "/items/" + "/".join(str(keys[k]) for k in (product.partition_key, product.sort_key) if k)
    status, health = p.call_service(svc, "GET", "/health")
    check(status == 200, f"GET /health answered {status}: {health}")
    inboxes = {c: product.inbox_arn(c) for c in product.consumers if product.share_bus_name}
    change = {"source": [product.event_source], "detail-type": ["ItemUpserted"],
              "detail": {"keys": {product.partition_key: [keys[product.partition_key]]}}}
    with ExitStack() as stack:
        on_bus = stack.enter_context(p.capture(product.bus_name, change))
        in_inbox = {c: stack.enter_context(p.capture(arn, change)) for c, arn in inboxes.items() if p.has_account(c)}
        status, put = p.call_service(svc, "PUT", path, json.dumps({"status": "smoke", "smokeRun": run_id}))
        check(status == 200, f"PUT {path} answered {status}: {put}")
        ctx.cleanup(f"{product.table_name} item {keys}", lambda: _delete_item(p, product, keys))
        status, got = p.call_service(svc, "GET", path)
        check(status == 200 and got.get("item", {}).get("smokeRun") == run_id, f"GET {path} answered {status}: {got}")
        on_bus.wait_for(f"the ItemUpserted event {put.get('eventId')} on {product.bus_name}",
                        lambda e: e["detail"].get("eventId") == put.get("eventId"), ctx.timeout)
        for consumer_account, capture in in_inbox.items():
            capture.wait_for(f"the ItemUpserted event in {inboxes[consumer_account]}",
                             lambda e: e["detail"].get("eventId") == put.get("eventId"), ctx.timeout)
        p.quiet(QUIET_SECONDS)
        changes = on_bus.drain()
        check(len(changes) == 1, f"PUT {path} put {len(changes)} change events on {product.bus_name}, not one")
        stored = _get_item(p, product, keys)
        check(stored and stored.get("smokeRun") == run_id, f"{product.table_name} holds {stored} for {keys}")
        # The writer stamps what it writes; the service's own change event must never come back to it.
        check("_last_event_id" not in stored, f"the service's change event looped into the ODS writer: {stored}")
        # The store's revision: answered by PUT and GET alike, published as the event's version.
        check(isinstance(put.get("version"), int) and got.get("version") == put["version"],
              f"PUT answered version {put.get('version')!r}, GET {got.get('version')!r}")
        check(changes[0]["detail"].get("version") == put["version"],
              f"the change event's version {changes[0]['detail'].get('version')!r} is not the PUT's {put['version']}")
        ctx.where["stored"] = {"table": product.table_name, "keys": keys}
        ctx.where["changeEvents"] = [{"bus": product.bus_name, "eventId": e["detail"]["eventId"]} for e in changes]
        ctx.where["inboxes"] = {c: [e["detail"]["eventId"] for e in cap.drain()] for c, cap in in_inbox.items()}
        for consumer_account, got_events in ctx.where["inboxes"].items():
            check(len(got_events) == 1, f"inbox of {consumer_account} got {len(got_events)} change events, not one")
        missing = sorted(set(inboxes) - set(in_inbox))
        if missing:
            ctx.notes.append(f"inboxes of {missing} not checked (no credentials)")
    routed = p.routed(put["eventId"])
    if routed is not None:
        reached = sorted((d.kind, d.target_arn, d.outcome) for d in routed)
        check(reached == sorted(("event-bus", arn, "admitted") for arn in inboxes.values()),
              f"the change event reached {reached}; only the consumers' inboxes {sorted(inboxes.values())} may")
        ctx.where["routed"] = reached


# --- consumers --------------------------------------------------------------------------------

def consumer(ctx: FlowContext, product: Product, consumer_account: str, inbox_arn: str) -> None:
    p, run_id = ctx.platform, ctx.platform.run_id
    for account, role in ((product.account, "producer"), (consumer_account, "consumer")):
        if not p.has_account(account):
            raise FlowSkipped(f"needs credentials for the {role} account {account}")
    marker = {"smokeRun": [run_id]}
    with p.capture(inbox_arn, {"detail": marker}) as inbox:
        # The producer's change events are forwarded by its sharing rule.
        [forwarded] = p.put_events([{"Source": product.event_source, "DetailType": SMOKE_DETAIL_TYPE,
                                     "EventBusName": product.bus_name,
                                     "Detail": json.dumps({"smokeRun": run_id, "case": "forwarded"})}],
                                   account=product.account)
        check("EventId" in forwarded, f"the producer bus refused {product.event_source}: {forwarded}")
        got = inbox.wait_for(f"the forwarded {product.event_source} event in {inbox_arn}",
                             lambda e: e["detail"].get("case") == "forwarded", ctx.timeout)
        check(got[0]["account"] == product.account and got[0]["source"] == product.event_source,
              f"inbox got {got[0]['source']} from account {got[0]['account']}")
        ctx.where["admitted"] = {product.event_source: inbox_arn}
        # What the inbox refuses: the producer's other sources, and every other account.
        refused = {}
        not_granted = next((s for s in product.event_sources if s != product.event_source),
                           f"{product.event_source}.not-granted")
        [result] = p.put_events([{"Source": not_granted, "DetailType": SMOKE_DETAIL_TYPE, "EventBusName": inbox_arn,
                                  "Detail": json.dumps({"smokeRun": run_id, "case": "not-granted"})}],
                                account=product.account)
        check("EventId" not in result, f"the inbox admitted the producer's {not_granted} events")
        refused[f"{product.account}:{not_granted}"] = result.get("ErrorCode")
        foreign = next((a for a in ("999999999999", "888888888888") if a not in (product.account, consumer_account)))
        if p.has_account(foreign):
            [result] = p.put_events([{"Source": product.event_source, "DetailType": SMOKE_DETAIL_TYPE,
                                      "EventBusName": inbox_arn,
                                      "Detail": json.dumps({"smokeRun": run_id, "case": "foreign"})}], account=foreign)
            check("EventId" not in result, f"the inbox admitted account {foreign}'s {product.event_source} events")
            refused[f"{foreign}:{product.event_source}"] = result.get("ErrorCode")
        else:
            ctx.notes.append("no third account to try: only the producer's ungranted source was refused")
        p.quiet(QUIET_SECONDS)
        cases = sorted(e["detail"].get("case") for e in inbox.drain())
        check(cases == ["forwarded"], f"the inbox holds {cases}, expected only the forwarded event")
        ctx.where["refused"] = refused
    routed = p.routed(forwarded["EventId"])
    if routed is not None:
        reached = sorted((d.kind, d.target_arn, d.outcome) for d in routed)
        check(("event-bus", inbox_arn, "admitted") in reached and all(d.kind == "event-bus" for d in routed),
              f"the producer's event reached {reached}")
