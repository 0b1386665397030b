"""Datasets as contracts: Iceberg tables, LF-tags and tag-based grants, the reportable stage, quality,
expiring grants, the breaking-change gate and consumer pins. Expected values come from the stack
files and the program's own graph, not from names written again here."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.data_product.datasets import ICEBERG_OWNED_PROPERTIES, iceberg_type
from components.data_product.spec import levels_up_to
from pathlib import Path
from offline.lf_access import visible_columns
from smoke.functions import load_module
from offline.runner import PROJECT, fully_qualified, load_stack_config, run_stack, shipped_run
from stackconfig import SettingsError, parse_settings
from stackconfig.args import data_product_spec
from stackconfig.datasets import breaking_changes

DP = f"{PROJECT}:dataProducts"
T_TABLE = "aws:glue/catalogTable:CatalogTable"
T_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
T_LF_TAG = "aws:lakeformation/lfTag:LfTag"
T_PERMS = "aws:lakeformation/permissions:Permissions"
T_DQ = "aws:glue/dataQualityRuleset:DataQualityRuleset"
T_JOB = "aws:glue/job:Job"
T_SSM = "aws:ssm/parameter:Parameter"

# functions/reportable/transform.py, the module the Glue job ships (standard library only).
reportable_transform = load_module(Path(__file__).resolve().parents[2] / "functions" / "reportable", "transform")


@pytest.fixture(scope="module")
def dev():
    return shipped_run("dev")


def products(cfg: dict[str, str]) -> list[dict]:
    return json.loads(cfg[DP])


def declared(run) -> dict:
    """The orders product as the stack file declares it."""
    return products(run.config)[0]


def with_products(change, stack: str = "dev") -> dict[str, str]:
    cfg = load_stack_config(stack)
    items = products(cfg)
    change(items[0])
    cfg[DP] = json.dumps(items)
    return cfg


def creates_nothing(run) -> bool:
    """A refused run declared nothing `pulumi up` would create (reads of other stacks only)."""
    return all(r.type in ("pulumi:pulumi:Stack", "pulumi:pulumi:StackReference") for r in run.declared_before_error)


# --- the tables ------------------------------------------------------------------------------------

def test_each_dataset_is_an_iceberg_table_with_its_declared_schema(dev):
    tables = {t.inputs["name"]: t for t in dev.by_type(T_TABLE)}
    datasets = declared(dev)["datasets"]
    assert sorted(tables) == sorted(d["name"] for d in datasets) and len(datasets) >= 2
    reportable = dev.outputs["dataProducts"]["orders"]["buckets"]["reportable"]["name"]
    for d in datasets:
        table = tables[d["name"]]
        assert table.inputs["databaseName"] == dev.outputs["dataProducts"]["orders"]["catalogDatabase"]
        iceberg = table.inputs["openTableFormatInput"]["icebergInput"]
        assert (iceberg["metadataOperation"], iceberg["version"]) == ("CREATE", "2")
        spec = iceberg["icebergTableInput"]
        assert spec["location"] == f"s3://{reportable}/{d['name']}/"
        fields = spec["schema"]["fields"]
        assert [(f["id"], f["name"], json.loads(f["type"]), f["required"]) for f in fields] == [
            (i, c["name"], iceberg_type(c["type"].replace(" ", "")), not c.get("nullable", True))
            for i, c in enumerate(d["columns"], start=1)]
        ids = {f["name"]: f["id"] for f in fields}
        assert [(p["name"], p["sourceId"], p["transform"]) for p in spec["partitionSpec"]["fields"]] == [
            (c, ids[c], "identity") for c in d["partitioning"]]
        assert spec["properties"]["ddp.dataset_version"] == d["version"]
        # Iceberg owns the table after creation; the table is protected like the data it holds.
        assert table.protect and table.retain_on_delete
        rec = next(r for r in dev.resources() if r["urn"] == table.urn)
        assert set(ICEBERG_OWNED_PROPERTIES) <= set(rec["ignore_changes"])


def test_iceberg_types_cover_every_declared_column_type():
    assert [iceberg_type(t) for t in ("string", "bigint", "int", "timestamp", "decimal(12,2)")] == [
        "string", "long", "int", "timestamptz", "decimal(12,2)"]


def test_no_table_is_crawled_or_granted_by_wildcard(dev):
    for stack in ("dev", "dr", "marketing"):
        run = shipped_run(stack)
        assert not [p.name for p in run.by_type(T_PERMS) if (p.inputs.get("table") or {}).get("wildcard")
                    or (p.inputs.get("tableWithColumns") or {}).get("wildcard")]
    shared = dev.outputs["dataProducts"]["orders"]["catalogDatabase"]
    assert not [c for c in dev.by_type("aws:glue/crawler:Crawler") if c.inputs["databaseName"] == shared]


# --- LF-tags and what each principal sees ----------------------------------------------------------

def test_lf_tags_cover_the_domain_products_datasets_and_classifications(dev):
    tags = {t.inputs["key"]: t.inputs["values"] for t in dev.by_type(T_LF_TAG)}
    assert tags == {"ddp:domain": ["retail"], "ddp:product": ["orders"],
                    "ddp:dataset": sorted(d["name"] for d in declared(dev)["datasets"]),
                    "ddp:classification": ["public", "internal", "confidential", "restricted"]}
    # Every assigned value exists on its tag (Lake Formation refuses others).
    for a in dev.by_type(T_TAGS):
        for t in a.inputs["lfTags"]:
            assert t["value"] in tags[t["key"]]


def test_a_column_classified_above_the_consumer_clearance_is_hidden(dev):
    grant = declared(dev)["consumers"][0]
    db = dev.outputs["dataProducts"]["orders"]["catalogDatabase"]
    seen = visible_columns(dev.records, grant["account"], databases=[db])
    granted = {d["name"]: d for d in declared(dev)["datasets"] if d["name"] in grant["datasets"]}
    assert set(seen) == {(db, name) for name in granted}  # order_lines is not granted
    allowed = levels_up_to(grant["clearance"])
    for name, d in granted.items():
        default = d.get("classification") or declared(dev)["classification"]
        expected = [c["name"] for c in d["columns"] if (c.get("classification") or default) in allowed]
        assert seen[(db, name)] == expected
        assert len(expected) < len(d["columns"])  # the shipped stack hides at least one column


def test_raising_the_clearance_reveals_the_column():
    def confidential(p: dict) -> None:
        p["consumers"][0]["clearance"] = "confidential"
    run = run_stack("dev", config=with_products(confidential))
    assert run.ok, run.error
    grant = products(run.config)[0]["consumers"][0]
    seen = visible_columns(run.records, grant["account"])
    orders = next(d for d in products(run.config)[0]["datasets"] if d["name"] == grant["datasets"][0])
    [(_, columns)] = seen.items()
    assert columns == [c["name"] for c in orders["columns"]]


def test_marketing_passes_on_exactly_the_columns_it_received(dev):
    """Lake Formation refuses a consumer's grant of columns it did not receive: the analyst's
    named-column grant equals what the producer's tag grant gives the account."""
    marketing = shipped_run("marketing")
    received = visible_columns(dev.records, json.loads(marketing.config[f"{PROJECT}:account"])["id"])
    analyst = [p for p in marketing.by_type(T_PERMS) if "tableWithColumns" in p.inputs]
    assert analyst
    for p in analyst:
        t = p.inputs["tableWithColumns"]
        assert t["columnNames"] == received[(t["databaseName"], t["name"])]


# --- the reportable stage ----------------------------------------------------------------------------

def test_the_reportable_job_gets_the_datasets_the_stack_declares(dev):
    job = dev.one(T_JOB, "orders-reportable").inputs
    args = job["defaultArguments"]
    parsed = reportable_transform.parse_datasets(args["--datasets"])
    assert [(d.name, d.version, tuple(c.name for c in d.columns), tuple(d.partitioning)) for d in parsed] == [
        (d["name"], d["version"], tuple(c["name"] for c in d["columns"]), tuple(d["partitioning"]))
        for d in declared(dev)["datasets"]]
    sources = {c.name: c.source for d in parsed for c in d.columns}
    assert sources["order_date"] == "order_ts"
    rulesets = {r.inputs["name"] for r in dev.by_type(T_DQ)}
    assert {d.ruleset for d in parsed if d.ruleset} == rulesets
    assert args["--database"] == dev.outputs["dataProducts"]["orders"]["catalogDatabase"]
    assert args["--event_bus_name"] == dev.outputs["dataProducts"]["orders"]["eventBusName"]
    assert args["--datalake-formats"] == "iceberg" and args["--job-bookmark-option"] == "job-bookmark-enable"
    assert job["securityConfiguration"] and job["executionProperty"] == {"maxConcurrentRuns": 1}
    # Started by the ETL's success, not by a clock.
    trigger = dev.one("aws:glue/trigger:Trigger", "orders-reportable-after-etl").inputs
    assert trigger["type"] == "CONDITIONAL"
    assert trigger["predicate"]["conditions"] == [{"jobName": dev.one(T_JOB, "orders-etl").inputs["name"],
                                                   "state": "SUCCEEDED", "logicalOperator": "EQUALS"}]
    assert trigger["actions"] == [{"jobName": job["name"]}]


def _writers(run, bucket_arn: str) -> set[str]:
    """Roles whose inline policies allow s3:PutObject somewhere in `bucket_arn`."""
    out = set()
    for p in run.by_type("aws:iam/rolePolicy:RolePolicy"):
        for st in json.loads(p.inputs["policy"])["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if st["Effect"] == "Allow" and any(a in ("s3:PutObject", "s3:*", "*") for a in actions) and \
                    any(r == "*" or r.startswith(bucket_arn) for r in resources):
                out.add(p.name)
    return out


def test_only_the_reportable_job_and_lake_formation_write_the_reportable_zone(dev):
    arn = dev.outputs["dataProducts"]["orders"]["buckets"]["reportable"]["arn"]
    assert _writers(dev, arn) == {"orders-reportable-policy", "orders-lakeformation-policy"}


def test_quality_and_freshness_alarms_per_dataset(dev):
    alarms = {a.name: a.inputs for a in dev.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    topic = dev.outputs["dataProducts"]["orders"]["alarmTopicArn"]
    for d in declared(dev)["datasets"]:
        part = d["name"].replace("_", "-")
        fresh = alarms[f"orders-{part}-freshness-alarm"]
        assert (fresh["metricName"], fresh["period"], fresh["treatMissingData"]) == (
            "RowsPublished", d.get("freshnessHours", 24) * 3600, "breaching")
        assert fresh["dimensions"] == {"DataProduct": "orders", "Dataset": d["name"]}
        if d.get("quality"):
            q = alarms[f"orders-{part}-quality-alarm"]
            assert (q["metricName"], q["comparisonOperator"], q["threshold"]) == (
                "QualityScore", "LessThanThreshold", d.get("minQualityScore", 1.0))
            assert q["alarmActions"] == [topic]


def test_each_declared_ruleset_targets_its_table(dev):
    rulesets = {r.inputs["targetTable"]["tableName"]: r.inputs for r in dev.by_type(T_DQ)}
    for d in declared(dev)["datasets"]:
        if d.get("quality"):
            assert rulesets[d["name"]]["ruleset"] == d["quality"]
            assert rulesets[d["name"]]["targetTable"]["databaseName"] == dev.outputs["dataProducts"]["orders"]["catalogDatabase"]


# --- expiring grants -----------------------------------------------------------------------------------

def test_a_grant_is_declared_through_its_last_day_and_not_after(monkeypatch):
    cfg = load_stack_config("dev")
    grant = products(cfg)[0]["consumers"][0]
    last_day = grant["expires"]
    monkeypatch.setenv("DDP_TODAY", last_day)
    on_the_day = run_stack("dev", config=cfg)
    assert on_the_day.ok
    names = {p.name for p in on_the_day.by_type(T_PERMS)}
    assert f"orders-consumer-{grant['account']}-datasets" in names
    [register] = on_the_day.by_type(T_SSM)
    assert register.inputs["tags"]["ddp:grant-expires"] == last_day
    day, month, year = last_day[8:], last_day[5:7], last_day[:4]
    after = f"{int(year) + 1}-01-01" if (month, day) == ("12", "31") else None
    assert after, "the shipped grant expires on 31 December; pick the next day accordingly"
    monkeypatch.setenv("DDP_TODAY", after)
    expired = run_stack("dev", config=cfg)
    assert expired.ok
    assert not [p for p in expired.by_type(T_PERMS) if p.name.startswith("orders-consumer-")]
    assert not expired.by_type(T_SSM)
    assert grant["account"] not in expired.outputs["dataProducts"]["orders"]["consumers"]


def test_expired_grants_are_left_out_of_the_spec_with_a_warning(monkeypatch):
    import datetime
    warnings = []
    monkeypatch.setattr("pulumi.log.warn", lambda msg, *a, **k: warnings.append(msg))
    settings = parse_settings(load_stack_config("dev"), source="Pulumi.dev.yaml")
    product = settings.data_products[0]
    expires = product.consumers[0].expires
    assert data_product_spec(product, today=expires).consumers == (product.consumers[0].account,)
    spec = data_product_spec(product, today=expires + datetime.timedelta(days=1))
    assert spec.consumers == () and spec.grants == ()
    assert len(warnings) == 1 and "expired on" in warnings[0] and product.consumers[0].account in warnings[0]


# --- the breaking-change gate -----------------------------------------------------------------------------

def _published(dev, change) -> dict[str, Any]:
    """dev's outputs as if the published orders datasets had been `change`d."""
    outputs = copy.deepcopy(dev.outputs)
    change(outputs["dataProducts"]["orders"]["spec"]["datasets"][0])
    return {fully_qualified("dev"): outputs}


def test_a_removed_column_without_a_new_major_version_is_refused(dev):
    published = _published(dev, lambda d: d["columns"].append(
        {"name": "loyalty_tier", "type": "string", "nullable": True, "description": "", "classification": None,
         "source": None}))
    run = run_stack("dev", stack_outputs=published)
    assert not run.ok and creates_nothing(run)
    assert run.error == (
        f"Pulumi.dev.yaml: {PROJECT}:dataProducts[0].datasets[0].version: orders.orders: column 'loyalty_tier' "
        "removed, a breaking change for consumers of 1.0.0; publish it as 2.0.0 (consumers then move their pin to "
        "orders@2)")


def test_the_same_change_with_a_major_bump_is_accepted(dev):
    published = _published(dev, lambda d: d["columns"].append(
        {"name": "loyalty_tier", "type": "string", "nullable": True, "description": "", "classification": None,
         "source": None}))

    def bump(p: dict) -> None:
        p["datasets"][0]["version"] = "2.0.0"
    run = run_stack("dev", config=with_products(bump), stack_outputs=published)
    assert run.ok, run.error


def test_additive_changes_need_only_a_new_minor_version(dev):
    def add(p: dict) -> None:
        p["datasets"][0]["columns"].append({"name": "coupon", "type": "string"})
    assert "differs from the published" in run_stack(
        "dev", config=with_products(add), stack_outputs=_published(dev, lambda d: None)).error

    def add_and_bump(p: dict) -> None:
        add(p)
        p["datasets"][0]["version"] = "1.1.0"
    assert run_stack("dev", config=with_products(add_and_bump), stack_outputs=_published(dev, lambda d: None)).ok


def test_a_version_lower_than_published_is_refused(dev):
    run = run_stack("dev", stack_outputs=_published(dev, lambda d: d.update(version="1.2.0")))
    assert "1.0.0 is lower than the published 1.2.0" in run.error and creates_nothing(run)


@pytest.mark.parametrize("change, phrase", [
    (lambda d: d["columns"][1].update(type="date"), "retyped"),
    (lambda d: d["columns"][0].update(nullable=True), "made nullable"),
    (lambda d: d["columns"][3].update(classification="restricted"), "classified internal -> restricted"),
    (lambda d: d.update(partitioning=[]), "partitioning changed"),
])
def test_breaking_changes_are_named(dev, change, phrase):
    settings = parse_settings(load_stack_config("dev"), source="Pulumi.dev.yaml")
    old = data_product_spec(settings.data_products[0]).datasets[0]
    raw = copy.deepcopy(declared(dev)["datasets"][0])
    change(raw)
    cfg = with_products(lambda p: p["datasets"].__setitem__(0, raw))
    new = data_product_spec(parse_settings(cfg, source="Pulumi.dev.yaml").data_products[0]).datasets[0]
    problems = breaking_changes(old, new, product_classification="confidential")
    assert problems and phrase in problems[0]
    # ... and the reverse direction of a widening is compatible.
    assert breaking_changes(new, new, product_classification="confidential") == []


def test_widening_is_compatible(dev):
    settings = parse_settings(load_stack_config("dev"), source="Pulumi.dev.yaml")
    lines = data_product_spec(settings.data_products[0]).datasets[1]
    raw = copy.deepcopy(declared(dev)["datasets"][1])
    quantity = next(c for c in raw["columns"] if c["name"] == "quantity")
    assert quantity["type"] == "int"
    quantity["type"] = "bigint"
    cfg = with_products(lambda p: p["datasets"].__setitem__(1, raw))
    wider = data_product_spec(parse_settings(cfg, source="Pulumi.dev.yaml").data_products[0]).datasets[1]
    assert breaking_changes(lines, wider, product_classification="confidential") == []
    assert breaking_changes(wider, lines, product_classification="confidential") == [
        "column 'quantity' retyped bigint -> int"]


# --- consumer pins -------------------------------------------------------------------------------------------

def _marketing(pins: list[str]):
    cfg = load_stack_config("marketing")
    consumes = json.loads(cfg[f"{PROJECT}:consumes"])
    consumes[0]["datasets"] = pins
    cfg[f"{PROJECT}:consumes"] = json.dumps(consumes)
    return run_stack("marketing", config=cfg, stack_outputs={fully_qualified("dev"): shipped_run("dev").outputs})


@pytest.mark.parametrize("pins, says", [
    (["orders@2"], "orders@2 no longer exists: organization/data-delivery-platform/dev publishes orders version "
                   "1.0.0; review its changes and pin orders@1"),
    (["order_lines@1"], "has not granted dataset 'order_lines' to account 222222222222 (granted: orders)"),
    (["returns@1"], "publishes no dataset 'returns' in orders (it publishes: orders@1, order_lines@1)"),
])
def test_a_pin_that_does_not_exist_is_refused_before_anything_is_declared(pins, says):
    run = _marketing(pins)
    assert not run.ok and creates_nothing(run)
    assert run.error.startswith(f"Pulumi.marketing.yaml: {PROJECT}:consumes[0].datasets[0]: ") and says in run.error


def test_the_shipped_pin_reads_the_granted_dataset():
    run = _marketing(["orders@1"])
    assert run.ok, run.error


# --- the dataset settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("change, key, says", [
    (lambda d: d["columns"][0].update(type="varchar"), "datasets[0].columns[0].type", "is not a column type"),
    (lambda d: d["columns"][0].update(type="decimal(39,2)"), "datasets[0].columns[0].type", "p <= 38"),
    (lambda d: d["columns"][0].update(name="Order-Id"), "datasets[0].columns[0].name", "pattern"),
    (lambda d: d.update(name="Orders"), "datasets[0].name", "pattern"),
    (lambda d: d.update(version="1.0"), "datasets[0].version", "pattern"),
    (lambda d: d.update(partitioning=["nope"]), "datasets[0].partitioning[0]", "'nope' is not a column of orders"),
    (lambda d: d.update(partitioning=["store_id"]), "datasets[0].partitioning[0]", "must be nullable: false"),
    (lambda d: d["columns"].append(dict(d["columns"][0])), "datasets[0].columns[7].name", "duplicate column"),
    (lambda d: d.update(quality='Rules = [ IsComplete "emial" ]'), "datasets[0].quality", '"emial" is not a column'),
    (lambda d: d.update(freshnessHours=25), "datasets[0].freshnessHours", "less than or equal to 24"),
])
def test_a_wrong_dataset_is_one_line_naming_the_key(change, key, says):
    cfg = with_products(lambda p: change(p["datasets"][0]))
    with pytest.raises(SettingsError) as exc:
        parse_settings(cfg, source="Pulumi.dev.yaml")
    line = str(exc.value)
    assert "\n" not in line and line.startswith(f"Pulumi.dev.yaml: {PROJECT}:dataProducts[0].{key}: ") and says in line


def test_a_grant_of_an_undeclared_dataset_is_refused():
    cfg = with_products(lambda p: p["consumers"][0].update(datasets=["refunds"]))
    with pytest.raises(SettingsError, match=r"consumers\[0\]\.datasets\[0\]: 'refunds' is not a dataset of orders"):
        parse_settings(cfg, source="Pulumi.dev.yaml")
