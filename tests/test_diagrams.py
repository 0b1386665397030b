"""Data-flow diagrams: derived from the recorded graph, deterministic, and committed up to date."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from offline import diagram
from offline.diagram.references import ReferenceIndex, raw_edges
from offline.runner import load_stack_config, run_stack, shipped_run
from stackconfig.loader import PROJECT

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "diagrams"
SHIPPED = ("dev", "dr", "marketing")


@pytest.mark.parametrize("stack", SHIPPED)
def test_committed_diagrams_are_up_to_date(stack):
    d = diagram.build(shipped_run(stack))
    refresh = f"refresh with: .venv/bin/python -m offline.preview {stack} --diagram docs/diagrams"
    for suffix, text in ((".dot", d.to_dot()), (".mmd", d.to_mermaid())):
        path = COMMITTED / f"{stack}{suffix}"
        assert path.exists(), f"{path.relative_to(ROOT)} is missing; {refresh}"
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is out of date with the stack; {refresh}"


def test_output_is_deterministic():
    run = shipped_run("dev")
    assert diagram.build(run).to_dot() == diagram.build(run).to_dot()
    assert diagram.build(run).to_mermaid() == diagram.build(run).to_mermaid()


def flows(run) -> set[tuple[str, str, str]]:
    return diagram.build(run).edge_labels()


def test_dev_ingestion_zones_catalog_and_sharing_flows():
    edges = flows(shipped_run("dev"))
    expected = {
        # streaming: stream -> firehose -> raw (with the record processor as transform)
        ("Kinesis stream orders", "Firehose orders", "records"),
        ("Firehose orders", "S3 bucket raw", "deliver"),
        ("Firehose orders", "Lambda record-processor", "transform"),
        # sftp, batch, events
        ("SFTP server sftp", "S3 bucket raw", "sftp upload"),
        ("S3 bucket raw", "Lambda arrival-handler", "object created"),
        ("Lambda arrival-handler", "Glue job etl", "start"),
        ("S3 bucket raw", "Glue job etl", "read"),
        ("Glue job etl", "S3 bucket curated", "write"),
        ("Event bus orders", "Lambda ods-writer", "events"),
        ("Lambda ods-writer", "DynamoDB table ods", "items"),
        # datasets: the reportable job runs after each successful ETL run (its conditional trigger),
        # reads curated, writes Iceberg tables into the reportable zone and the shared database,
        # and announces each published dataset on the product's bus
        ("Glue job etl", "Glue job reportable", "trigger"),
        ("S3 bucket curated", "Glue job reportable", "read"),
        ("Glue job reportable", "S3 bucket reportable", "write"),
        ("Glue job reportable", "Glue database catalog", "tables"),
        ("Glue job reportable", "Event bus orders", "publish"),
        # the datasets' Iceberg tables are drawn as their database: their data lives in the reportable zone
        ("S3 bucket reportable", "Glue database catalog", "Iceberg data"),
        # catalog and sharing
        ("S3 bucket raw", "Glue crawler raw-crawler", "crawl"),
        ("Glue crawler raw-crawler", "Glue database catalog-internal", "tables"),
        ("S3 bucket curated", "Lake Formation location curated-lf", "register"),
        ("Glue database catalog", "account 222222222222", "LF grant"),
        # the producer targets the consumer's inbox bus (the consumer puts nothing on the product's bus)
        ("Event bus orders", "account 222222222222", "events"),
        # services -> store -> events (the listener's actions are a secret: they carry the OIDC client secret)
        ("ALB orders-api", "ECS service orders-api", "HTTPS"),
        ("ECS service orders-api", "DynamoDB table ods", "items"),
        ("ECS service orders-api", "DAX cluster dax", "cached reads"),
        ("ECS service orders-api", "Event bus orders", "publish"),
        ("HTTP API order-events", "Lambda order-events", "HTTPS"),
        # replication into the DR region
        ("S3 bucket raw", "S3 bucket raw-replica (us-west-2)", "replicate"),
        ("DynamoDB table ods", "DynamoDB replica ods-replica (us-west-2)", "global table replica"),
    }
    assert expected <= edges, sorted(expected - edges)
    assert ("account 222222222222", "Event bus orders", "events") not in edges
    # Nothing crawls the reportable zone any more: the reportable job owns its tables.
    assert not {edge for edge in edges if "reportable" in edge[0] and edge[1].startswith("Glue crawler")}


def test_the_etl_trigger_is_drawn_dashed_and_only_the_conditional_one():
    d = diagram.build(shipped_run("dev"))
    label_of = {n.id: n.label.replace("\n", " ") for n in d.nodes}
    triggers = {(label_of[e.src], label_of[e.dst]): e.dashed for e in d.edges if e.label == "trigger"}
    # The ETL's schedule starts it from no resource: only the job -> job trigger is an edge.
    assert triggers == {("Glue job etl", "Glue job reportable"): True}


def _with_records(run, keep=lambda record: True, change=lambda record: record):
    return dataclasses.replace(run, records=[change(r) for r in run.records if keep(r)])


LF_GRANT = ("Glue database catalog", "account 222222222222", "LF grant")
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
TAG_ASSIGNMENT = "aws:lakeformation/resourceLfTags:ResourceLfTags"


def _tag_policy(record):
    return record.inputs.get("lfTagPolicy") if record.type == PERMISSIONS else None


def test_lf_tag_grants_are_drawn_from_what_their_expression_matches():
    run = shipped_run("dev")
    assert {(_tag_policy(r) or {}).get("resourceType") for r in run.records} >= {"DATABASE", "TABLE"}
    # Each of the consumer's grants alone reaches the shared database: the DATABASE grant by the
    # database's own tags, the TABLE grant by the orders table (drawn as its database).
    for kind in ("DATABASE", "TABLE"):
        only = _with_records(run, keep=lambda r: _tag_policy(r) is None or _tag_policy(r)["resourceType"] == kind)
        assert LF_GRANT in flows(only), kind
    # Without the tags there is nothing for the expressions to match, so nothing is granted.
    assert LF_GRANT not in flows(_with_records(run, keep=lambda r: r.type != TAG_ASSIGNMENT))

    # A TABLE grant whose expression matches no table grants nothing.
    def no_such_dataset(record):
        policy = _tag_policy(record)
        if policy is None:
            return record
        expressions = [{**e, "values": ["no_such_dataset"]} if e["key"] == "ddp:dataset" else e
                       for e in policy["expressions"]]
        return dataclasses.replace(record, inputs={**record.inputs,
                                                   "lfTagPolicy": {**policy, "expressions": expressions}})

    tables_only = _with_records(run, keep=lambda r: _tag_policy(r) is None or _tag_policy(r)["resourceType"] == "TABLE")
    assert LF_GRANT in flows(tables_only)
    assert LF_GRANT not in flows(_with_records(tables_only, change=no_such_dataset))


def test_components_are_clusters_with_their_children():
    d = diagram.build(shipped_run("dev"))
    labels = {c.label for c in d.clusters}
    assert {"DataProduct orders", "OperationalService orders-api", "OperationalService order-events",
            "DrReplication orders-dr", "Network retail-dev", "Vpc retail-dev-vpc"} <= labels
    clusters = {c.id: c for c in d.clusters}
    vpc = next(c for c in d.clusters if c.label == "Vpc retail-dev-vpc")
    assert clusters[vpc.parent].label == "Network retail-dev"
    in_product = {n.label.replace("\n", " ") for n in d.nodes if clusters.get(n.cluster, vpc).label == "DataProduct orders"}
    assert {"S3 bucket raw", "S3 bucket curated", "S3 bucket reportable", "DynamoDB table ods", "DAX cluster dax",
            "Event bus orders", "Glue database catalog", "Glue job etl", "Glue job reportable"} <= in_product
    # Log buckets carry no data flow, so they are left out.
    assert not any("logs" in n.label for n in d.nodes if n.label.startswith("S3 bucket"))


def test_cross_stack_references_are_external_nodes():
    dev = "stack dev organization/data-delivery-platform"
    dr = flows(shipped_run("dr"))
    # The DR catalog mirrors the primary's over the replica buckets the primary exports: raw and
    # curated crawled into the internal database, the datasets' Iceberg tables in the shared one
    # over the reportable replica (shared by the same LF-tag grants), Lake Formation locations for
    # the shared zones.
    assert {(dev, "Glue crawler raw-crawler", "crawl"), (dev, "Glue crawler curated-crawler", "crawl"),
            ("Glue crawler raw-crawler", "Glue database catalog-internal", "tables"),
            ("Glue crawler curated-crawler", "Glue database catalog-internal", "tables"),
            (dev, "Glue database catalog", "Iceberg data"),
            LF_GRANT,
            (dev, "Lake Formation location curated-lf", "register"),
            (dev, "Lake Formation location reportable-lf", "register")} <= dr
    dr_nodes = {n.label.replace("\n", " ") for n in diagram.build(shipped_run("dr")).nodes}
    assert {"Glue crawler curated-crawler", "Glue database catalog"} <= dr_nodes
    assert not {"Glue crawler reportable-crawler", "Glue job reportable"} & dr_nodes  # the pilot light builds nothing
    assert ("ECS service orders-api", dev, "items") in dr
    assert ("ALB orders-api", "ECS service orders-api", "HTTPS") in dr
    mk = flows(shipped_run("marketing"))
    assert (dev, "Glue database link", "resource link") in mk
    # The analyst's column grant names the producer's table: its database is the producer stack's
    # (an external node), not the local link. The grant itself is not drawn: its principal is a
    # role of this account, which the diagram does not show.
    marketing = ReferenceIndex(shipped_run("marketing"))
    analyst_grants = {r.urn for r in marketing.records if r.type == PERMISSIONS and "tableWithColumns" in r.inputs}
    assert analyst_grants
    into_grants = {(source, target) for source, target, _ in raw_edges(marketing) if target in analyst_grants}
    assert into_grants == {("stack:organization/data-delivery-platform/dev", urn) for urn in analyst_grants}
    # The producer's account reaches the inbox through the inbox's bus policy (the producer targets the
    # inbox directly): no rule on the consumer's default bus carries it.
    assert ("account 111111111111", "Event bus inbox", "events") in mk
    assert not [r for r in shipped_run("marketing").records if r.type == "aws:cloudwatch/eventRule:EventRule"]
    ext = [n for n in diagram.build(shipped_run("marketing")).nodes if n.external]
    assert {n.cluster for n in ext} == {diagram.EXTERNAL_CLUSTER.id}


def _dev_without(mode: str):
    cfg = load_stack_config("dev")
    products = json.loads(cfg[f"{PROJECT}:dataProducts"])
    for p in products:
        p["ingestion"].pop(mode)
        if mode == "batch":  # datasets are built from the batch ETL's output (the loader refuses them without it)
            p.pop("datasets", None)
            p.pop("consumers", None)
    cfg[f"{PROJECT}:dataProducts"] = json.dumps(products)
    run = run_stack("dev", config=cfg)
    assert run.ok, run.error
    return run


# The datasets' pipeline and their sharing: built from the batch ETL's output.
DATASETS = {("Glue job etl", "Glue job reportable", "trigger"), ("S3 bucket curated", "Glue job reportable", "read"),
            ("Glue job reportable", "S3 bucket reportable", "write"),
            ("Glue job reportable", "Glue database catalog", "tables"),
            ("S3 bucket reportable", "Glue database catalog", "Iceberg data"), LF_GRANT}
# What no ingestion mode carries: the curated zone's catalog and registration, the API over the ODS.
ALWAYS = {("S3 bucket curated", "Glue crawler curated-crawler", "crawl"),
          ("Glue crawler curated-crawler", "Glue database catalog-internal", "tables"),
          ("S3 bucket curated", "Lake Formation location curated-lf", "register"),
          ("ECS service orders-api", "DynamoDB table ods", "items")}


@pytest.mark.parametrize("mode, gone", [
    ("streaming", {("Kinesis stream orders", "Firehose orders", "records"),
                   ("Firehose orders", "S3 bucket raw", "deliver")}),
    ("sftp", {("SFTP server sftp", "S3 bucket raw", "sftp upload")}),
    ("events", {("Event bus orders", "Lambda ods-writer", "events"),
                ("Lambda ods-writer", "DynamoDB table ods", "items")}),
    ("batch", {("S3 bucket raw", "Glue job etl", "read"), ("Glue job etl", "S3 bucket curated", "write"), *DATASETS}),
])
def test_removing_an_ingestion_mode_removes_its_edges(mode, gone):
    full = flows(shipped_run("dev"))
    assert gone <= full
    without = flows(_dev_without(mode))
    assert not gone & without, sorted(gone & without)
    # Everything else still flows: the curated zone is still crawled and registered, and without
    # another mode than batch the datasets are still built and shared.
    still = ALWAYS if mode == "batch" else ALWAYS | DATASETS
    assert still <= without, sorted(still - without)


def test_rendered_files(tmp_path, monkeypatch):
    run = shipped_run("marketing")
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no Graphviz: .dot and .mmd only
    written = diagram.write(run, tmp_path)
    assert [p.name for p in written] == ["marketing.dot", "marketing.mmd"]
    text = (tmp_path / "marketing.mmd").read_text()
    assert text.splitlines()[1] == "flowchart LR"
    assert "rankdir=LR" in (tmp_path / "marketing.dot").read_text()
