"""Glue job runs in moto: each run executes the job's own script, fetched from where the job's
ScriptLocation and `--extra-py-files` point, with the job's default arguments merged with the
run's, as Glue would, minus Spark.

moto records StartJobRun but runs nothing. `GlueRunner.run_pending` takes every run it has not
executed yet, recognises which of the platform's jobs the uploaded script is (byte for byte one
of `functions/*/job.py`), and runs that job's steps with the module's own functions. Spark's part
is done here in plain Python: reading CSV/JSON (CSV empty fields are null, as in Spark), writing
partitioned output. Output files are JSON lines where the real jobs write Parquet (pyarrow is not
a dependency) and Iceberg tables get plain JSON data files under their location, without
metadata. Glue Data Quality is not in moto: every dataset scores 1.0. The job bookmark is kept
per job (each object is read once). A finished run gets its state in moto, a "Glue Job State
Change" event on the default bus, and fires the conditional triggers waiting for it.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Optional

from offline.runner import ROOT
from smoke import aws_shapes
from smoke.functions import environment, load_module

if TYPE_CHECKING:  # pragma: no cover
    from smoke.moto_platform import MotoPlatform
    from smoke.moto_world import Graph

FUNCTIONS_DIR = ROOT / "functions"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR")


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


@dataclass
class JobRun:
    """One run being executed: the job, its merged arguments, its clients and its code."""

    runner: "GlueRunner"
    graph: "Graph"
    job: dict[str, Any]
    run_id: str
    args: dict[str, str]
    aws: Any
    code: Path
    modules: dict[str, ModuleType] = field(default_factory=dict)

    def module(self, name: str) -> ModuleType:
        if name not in self.modules:
            self.modules[name] = load_module(self.code, name)
        return self.modules[name]

    def list(self, uri: str) -> list[str]:
        bucket, prefix = _split(uri)
        keys: list[str] = []
        for page in self.aws.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def unread(self, uri: str, excluded: Callable[[str], bool] = lambda key: False) -> list[str]:
        """Objects under `uri` the job bookmark has not seen; marks them seen."""
        bucket, _ = _split(uri)
        seen = self.runner.bookmarks[(self.graph.account, self.job["Name"])]
        fresh = [k for k in self.list(uri) if (bucket, k) not in seen and not excluded(k)]
        seen.update((bucket, k) for k in fresh)
        return fresh

    def read(self, bucket: str, key: str) -> str:
        return self.aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")

    def write(self, uri: str, lines: list[str]) -> None:
        bucket, key = _split(uri)
        self.aws.s3.put_object(Bucket=bucket, Key=key, Body=("".join(f"{line}\n" for line in lines)).encode())


def _partition_values(relative_key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in relative_key.split("/")[:-1] if "=" in part)


def batch_etl(run: JobRun) -> str:
    """functions/batch_etl/job.py main(), Spark replaced: read, transform, stage, commit, publish."""
    job = run.module("job")
    transform = job.transform
    args = run.args
    fmt = job.infer_format(args["source_path"], args.get("source_format"))
    required = transform.parse_list(args.get("required_fields"))
    outputs = job.output_paths(args)
    s3 = run.aws.s3
    job.recover(s3, outputs)
    bucket, _ = _split(args["source_path"])
    rows: list[dict[str, Any]] = []
    for key in run.unread(args["source_path"]):
        text = run.read(bucket, key)
        if fmt == "csv":
            rows += [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]
        else:
            stripped = text.strip()
            parsed = json.loads(stripped) if stripped.startswith("[") else [json.loads(line) for line in text.splitlines()
                                                                             if line.strip()]
            rows += parsed
    if not rows:
        return "no new input (bookmark up to date)"
    tagged = list(job.apply_transform(rows, required, args.get("timestamp_field") or None,
                                      datetime.now(timezone.utc).isoformat()))
    valid = [json.loads(line) for ok, line in tagged if ok]
    rejected = [line for ok, line in tagged if not ok]
    staging = job.run_staging(args["target_path"], run.run_id)
    by_date: dict[str, list[str]] = defaultdict(list)
    for record in valid:
        day = record.pop(transform.INGEST_DATE)
        by_date[day].append(json.dumps(record))
    part = uuid.uuid4().hex
    for day, lines in by_date.items():
        run.write(f"{staging}{transform.INGEST_DATE}={day}/part-00000-{part}.c000.json", lines)
    if rejected and args.get("rejected_path"):
        run.write(f"{job.run_staging(args['rejected_path'], run.run_id)}part-00000-{part}.c000.json", rejected)
    published = job.commit_run(s3, _Bookmark(), run.run_id, outputs)
    return f"{len(valid)} valid, {len(rejected)} rejected, {published} object(s) published"


class _Bookmark:
    """Job.commit(): the runner's bookmark is already advanced when the input is read."""

    def commit(self) -> None:
        return None


_ICEBERG_TO_SPARK = {"timestamptz": "timestamp", "long": "bigint", "integer": "int"}


def reportable(run: JobRun) -> str:
    """functions/reportable/job.py main(), Spark and Glue Data Quality replaced (see the module)."""
    job = run.module("job")
    transform = job.transform
    args = run.args
    datasets = transform.parse_datasets(args["datasets"])
    job.quarantine_prefix(args["quarantine_path"], datasets[0].name, run.run_id)
    locations, changes = {}, []
    for dataset in datasets:  # evolve_schemas: every dataset's DDL is worked out before any runs
        table = run.aws.glue.get_table(DatabaseName=args["database"], Name=dataset.table)["Table"]
        columns = [(c["Name"], _ICEBERG_TO_SPARK.get(c["Type"], c["Type"]),
                    (c.get("Parameters") or {}).get("iceberg.field.optional", "true") == "true")
                   for c in table["StorageDescriptor"]["Columns"]]
        ddl = transform.schema_changes(columns, dataset, (table.get("Parameters") or {}).get(transform.VERSION_PROPERTY),
                                       args["database"])
        if ddl:  # the catalog table the program made differs from the declared dataset
            changes.append(f"{dataset.name}: {'; '.join(ddl)}")
        locations[dataset.name] = table["StorageDescriptor"]["Location"]
    bucket, prefix = _split(args["source_path"])

    def excluded(key: str) -> bool:
        return any(fnmatchcase(f"s3://{bucket}/{key}", pattern) for pattern in job.SOURCE_EXCLUSIONS)
    records: list[dict[str, Any]] = []
    for key in run.unread(args["source_path"], excluded):
        partition = _partition_values(key[len(prefix):])
        records += [{**json.loads(line), **partition} for line in run.read(bucket, key).splitlines() if line.strip()]
    if not records:
        return "no new input (bookmark up to date)"
    summary = []
    for dataset in datasets:
        tagged = list(transform.tag_records(records, dataset))
        good = [values for ok, values in tagged if ok]
        rejected = [line for ok, line in tagged if not ok]
        score = transform.quality_score([])  # Glue Data Quality is not in moto
        if rejected:
            run.write(f"{job.quarantine_prefix(args['quarantine_path'], dataset.name, run.run_id)}"
                      f"part-00000-{uuid.uuid4().hex}-c000.txt", rejected)
        if good:
            names = [c.name for c in dataset.columns]
            by_partition: dict[str, list[str]] = defaultdict(list)
            for values in good:
                row = dict(zip(names, values))
                path = "/".join(f"{p}={row[p]}" for p in dataset.partitioning)
                by_partition[path].append(json.dumps(row, default=str))
            for path, lines in by_partition.items():
                run.write(f"{locations[dataset.name].rstrip('/')}/data/{path + '/' if path else ''}"
                          f"{uuid.uuid4().hex}.json", lines)
        metrics = transform.publish_metrics(args["data_product"], dataset.name, len(good), len(rejected))
        if good:
            metrics += transform.quality_metrics(args["data_product"], dataset.name, score)
        entry = transform.published_event(
            bus_name=args["event_bus_name"], source=args["event_source"], dataset=dataset,
            table=f"{args['database']}.{dataset.table}", row_count=len(good), rejected_count=len(rejected),
            run_id=run.run_id, quality_score=score) if good else None
        job.publish(run.aws.events, run.aws.cloudwatch, namespace=args["metric_namespace"], metric_data=metrics,
                    entry=entry)
        summary.append(f"{dataset.name}: {len(good)} published, {len(rejected)} rejected")
    return "; ".join(changes + summary)


EMULATIONS: dict[str, Callable[[JobRun], str]] = {"batch_etl": batch_etl, "reportable": reportable}


def script_folder(script: bytes) -> Optional[str]:
    """Which function folder's job.py this uploaded script is."""
    for folder in sorted(FUNCTIONS_DIR.iterdir()):
        candidate = folder / "job.py"
        if candidate.is_file() and candidate.read_bytes() == script:
            return folder.name
    return None


class GlueRunner:
    def __init__(self, platform: "MotoPlatform"):
        self.platform = platform
        self.executed: set[tuple[str, str]] = set()
        self.bookmarks: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.errors: dict[str, str] = {}
        self.log: list[dict[str, str]] = []
        self.last_state: dict[tuple[str, str], str] = {}

    def run_pending(self) -> bool:
        progressed = False
        for graph in self.platform.graphs.values():
            for record in graph.local("aws:glue/job:Job"):
                name = record.inputs["name"]
                with self.platform.clients(graph.account) as aws:
                    runs = aws.glue.get_job_runs(JobName=name)["JobRuns"]
                for run in sorted(runs, key=lambda r: r["StartedOn"]):
                    if (graph.account, run["Id"]) in self.executed:
                        continue
                    self.executed.add((graph.account, run["Id"]))
                    self._execute(graph, name, run)
                    progressed = True
        return progressed

    def _execute(self, graph: "Graph", name: str, run: dict[str, Any]) -> None:
        from moto.glue.models import glue_backends  # noqa: PLC0415 - moto internals, moto platform only
        from moto.core.utils import utcnow  # noqa: PLC0415

        state, message = "SUCCEEDED", ""
        with self.platform.clients(graph.account) as aws, tempfile.TemporaryDirectory(prefix="ddp-glue-") as tmp, \
                environment({"AWS_REGION": graph.region, "AWS_DEFAULT_REGION": graph.region}):
            job = aws.glue.get_job(JobName=name)["Job"]
            merged = {**(job.get("DefaultArguments") or {}), **(run.get("Arguments") or {}),
                      "--JOB_NAME": name, "--JOB_RUN_ID": run["Id"]}
            try:
                code = Path(tmp)
                script_uri = job["Command"]["ScriptLocation"]
                script = aws.s3.get_object(Bucket=_split(script_uri)[0], Key=_split(script_uri)[1])["Body"].read()
                (code / "job.py").write_bytes(script)
                for extra in filter(None, (merged.get("--extra-py-files") or "").split(",")):
                    bucket, key = _split(extra.strip())
                    (code / Path(key).name).write_bytes(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                folder = script_folder(script)
                if folder not in EMULATIONS:
                    raise RuntimeError(f"{script_uri} is not a job script of this repository")
                job_run = JobRun(self, graph, job, run["Id"], {k.removeprefix("--"): v for k, v in merged.items()},
                                 aws, code)
                message = EMULATIONS[folder](job_run)
            except Exception as exc:  # noqa: BLE001 - a failing job fails its run, as in Glue
                state, message = "FAILED", f"{type(exc).__name__}: {exc}"
                self.errors[run["Id"]] = message
        fake = glue_backends[graph.account][graph.region].get_job_run(name, run["Id"])
        fake.status = state
        fake.completed_on = utcnow()
        self.last_state[(graph.account, name)] = state
        self.log.append({"job": name, "run": run["Id"], "state": state, "message": message})
        self.platform.send_on_bus(graph.account, graph.region, "default", aws_shapes.glue_job_state_change(
            account=graph.account, region=graph.region, job_name=name, run_id=run["Id"], state=state, message=message))
        self._fire_triggers(graph, name, state)

    def _fire_triggers(self, graph: "Graph", name: str, state: str) -> None:
        with self.platform.clients(graph.account) as aws:
            for trigger in aws.glue.get_triggers().get("Triggers", []):
                if trigger.get("Type") != "CONDITIONAL" or trigger.get("State") != "ACTIVATED":
                    continue  # only an activated trigger fires (startOnCreation, or StartTrigger later)
                predicate = trigger.get("Predicate") or {}
                conditions = predicate.get("Conditions") or []
                if not any(c.get("JobName") == name for c in conditions):
                    continue
                met = [self.last_state.get((graph.account, c.get("JobName"))) == c.get("State") for c in conditions]
                if all(met) if predicate.get("Logical", "AND") == "AND" else any(met):
                    for action in trigger.get("Actions", []):
                        aws.glue.start_job_run(JobName=action["JobName"], Arguments=action.get("Arguments") or {})
