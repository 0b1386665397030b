"""Declared datasets and tag-based sharing: the grant register's "today", exact messages, and
unknown (first-preview) values. The per-rule cases live in policy_cases, the forms in policy_forms."""
import json

import pytest

import policies.rules.lakeformation as lakeformation
from policies.offline import PolicyConfigError
from policy_cases import (CATALOG_DB, CATALOG_TABLE, CONSUMER, DATASET, DQ_RULESET, EXPIRY, GRANT, GRANT_GOOD,
                          GRANT_REGISTER, ICEBERG_TABLE, LF_TAGS, LOG_GOOD, LOG_GROUP, REGISTER_GOOD, RULESET_GOOD,
                          STREAM, STREAM_GOOD, TABLE_TAGS, classify, register_entry)
from policy_fixtures import ORG_TAGS, changed, provider, res, run, urn
from policy_forms import UNKNOWN

WILDCARD = "lakeformation-permissions-no-table-wildcard"
QUALITY = "glue-sensitive-dataset-has-quality-ruleset"


def _found(report, policy):
    return [(v.level, v.message) for v in report.for_policy(policy)]


def _no_preview_advisory(report):
    return not [v for v in report.violations if "can't run policy" in v.message]


# --- the grant register's "today" -----------------------------------------------------------------

def _expires(day: str) -> dict:
    return res(GRANT_REGISTER, "orders-grant", register_entry(**{"ddp:grant-expires": day}))


@pytest.mark.parametrize("today,expired", [("2025-05-30", False), ("2025-05-31", False), ("2025-06-01", True),
                                           ("2031-01-01", True)])
def test_today_comes_from_the_config(today, expired):
    found = _found(run(_expires("2025-05-31"), config={EXPIRY: {"today": today}}), EXPIRY)
    if expired:
        assert found == [("mandatory", f"Grant to account {CONSUMER} on data product orders expired on 2025-05-31 "
                                       f"(its last valid day; today is {today} UTC): revoke the Lake Formation "
                                       "grant and remove its register entry, or renew it with a new expiry.")]
    else:
        assert found == []


def test_without_config_today_is_the_current_utc_date(monkeypatch):
    """The default reads the pack's clock (utc_today), here pinned: no test depends on the wall clock."""
    from datetime import date
    monkeypatch.setattr(lakeformation, "utc_today", lambda: date(2025, 6, 1))
    assert [m for _, m in _found(run(_expires("2025-05-31")), EXPIRY)] == [
        f"Grant to account {CONSUMER} on data product orders expired on 2025-05-31 (its last valid day; today is "
        "2025-06-01 UTC): revoke the Lake Formation grant and remove its register entry, or renew it with a new "
        "expiry."]
    monkeypatch.setattr(lakeformation, "utc_today", lambda: date(2025, 5, 31))
    assert _found(run(_expires("2025-05-31")), EXPIRY) == []


@pytest.mark.parametrize("today", ["01/06/2025", "2025-6-1", "tomorrow"])
def test_a_malformed_today_is_rejected_by_the_config_schema(today):
    with pytest.raises(PolicyConfigError, match="does not match"):
        run(config={EXPIRY: {"today": today}})


def test_an_impossible_today_fails_loudly():
    with pytest.raises(ValueError, match="config 'today' '2025-02-30' is not a day YYYY-MM-DD"):
        run(_expires("2025-05-31"), config={EXPIRY: {"today": "2025-02-30"}})


def test_a_malformed_expiry_names_the_grant():
    report = run(_expires("2025-13-01"), config={EXPIRY: {"today": "2025-06-01"}})
    assert _found(report, EXPIRY) == [(
        "mandatory", f"Grant register entry for account {CONSUMER} on data product orders: ddp:grant-expires "
                     "'2025-13-01' is not a day YYYY-MM-DD, so the grant's expiry cannot be enforced.")]


def test_register_tags_read_from_tags_all_when_tags_are_absent():
    entry = changed(REGISTER_GOOD, tags=None, tagsAll={**REGISTER_GOOD["tags"], "ddp:grant-expires": "2025-01-01"})
    report = run(res(GRANT_REGISTER, "orders-grant", entry), config={EXPIRY: {"today": "2025-06-01"}})
    assert [m for _, m in _found(report, EXPIRY)] and "expired on 2025-01-01" in _found(report, EXPIRY)[0][1]


def test_an_unknown_expiry_is_judged_at_update_and_an_unknown_product_still_fails():
    pending = run(res(GRANT_REGISTER, "g", register_entry(**{"ddp:grant-expires": UNKNOWN})),
                  config={EXPIRY: {"today": "2025-06-01"}})
    assert _found(pending, EXPIRY) == [] and _no_preview_advisory(pending)
    expired = run(res(GRANT_REGISTER, "g", register_entry(**{"ddp:data-product": UNKNOWN,
                                                               "ddp:grant-expires": "2024-01-31"})),
                  config={EXPIRY: {"today": "2025-06-01"}})
    assert [level for level, _ in _found(expired, EXPIRY)] == ["mandatory"]
    assert "on data product (known after apply) expired on 2024-01-31" in _found(expired, EXPIRY)[0][1]
    assert _no_preview_advisory(expired)


# --- table wildcards ------------------------------------------------------------------------------

def _grant(**resource) -> dict:
    return res(GRANT, "consumer", {**{k: v for k, v in GRANT_GOOD.items() if k != "table"}, **resource})


def test_table_wildcard_message():
    assert _found(run(_grant(table={"databaseName": "retail_dev_orders", "wildcard": True})), WILDCARD) == [(
        "mandatory", "Grant uses a table wildcard (table.wildcard); grant named tables or an LF-tag expression "
                     "(lfTagPolicy) so tables added to the database later are not shared by default.")]


@pytest.mark.parametrize("resource", [
    {"table": {"databaseName": "retail_dev_orders", "name": "orders"}},
    {"tableWithColumns": {"databaseName": "retail_dev_orders", "name": "orders", "columnNames": ["order_id"]}},
    {"tableWithColumns": {"databaseName": "retail_dev_orders", "name": "orders", "wildcard": True,
                          "excludedColumnNames": ["email"]}},
    {"database": {"name": "retail_dev_orders"}},
    {"lfTagPolicy": {"resourceType": "DATABASE", "expressions": [{"key": "ddp:domain", "values": ["retail"]}]}},
    {"tableWithColumns": {"databaseName": "retail_dev_orders", "name": UNKNOWN, "wildcard": True}},
])
def test_named_tables_and_tag_expressions_are_not_wildcards(resource):
    report = run(_grant(**resource))
    assert _found(report, WILDCARD) == [] and _no_preview_advisory(report)


def test_a_column_list_without_a_table_is_a_wildcard():
    found = _found(run(_grant(tableWithColumns={"databaseName": "d", "columnNames": ["a"]})), WILDCARD)
    assert [m.split(";")[0] for _, m in found] == [
        "Grant uses a table wildcard (tableWithColumns.columnNames on no named table)"]


# --- sensitive datasets ---------------------------------------------------------------------------

def test_quality_rule_is_not_applicable_without_catalog_tables():
    report = run(classify("db-tags", "restricted", database={"name": "retail_dev_orders"}))
    assert QUALITY not in report.applicable


def test_the_message_names_every_tagging_that_sets_the_top_classification():
    report = run(*DATASET, classify("db-tags", "restricted", database={"name": "retail_dev_orders"}))
    assert _found(report, QUALITY) == [(
        "mandatory", "Iceberg table 'retail_dev_orders.orders' ('orders') is classified 'restricted' "
                     "(ddp:classification from ResourceLfTags 'db-tags', 'orders-tags') but no Glue Data Quality "
                     "ruleset targets it.")]


def test_classification_values_and_keys_are_case_insensitive():
    tags = res(LF_TAGS, "orders-tags", {"lfTags": [{"key": "DDP:Classification", "value": "Confidential"}],
                                        **TABLE_TAGS})
    assert [lvl for lvl, _ in _found(run(*DATASET[:2], tags), QUALITY)] == ["mandatory"]


def test_an_unknown_classification_value_is_judged_at_update():
    tags = res(LF_TAGS, "orders-tags", {"lfTags": [{"key": "ddp:classification", "value": UNKNOWN}], **TABLE_TAGS})
    report = run(*DATASET[:2], tags)
    assert _found(report, QUALITY) == [] and _no_preview_advisory(report)


def test_tags_wired_from_the_table_itself_classify_it():
    """table=ResourceLfTagsTableArgs(database_name=table.database_name, name=table.name): both unknown."""
    table_urn = urn(CATALOG_TABLE, "orders")
    tags = res(LF_TAGS, "orders-tags", {"lfTags": [{"key": "ddp:classification", "value": "restricted"}],
                                        "table": {"databaseName": UNKNOWN, "name": UNKNOWN}},
               property_dependencies={"table": [table_urn]})
    table = res(CATALOG_TABLE, "orders", changed(ICEBERG_TABLE, databaseName=UNKNOWN, name=UNKNOWN))
    ruleset = res(DQ_RULESET, "orders-quality", changed(RULESET_GOOD, targetTable={
        "databaseName": UNKNOWN, "tableName": UNKNOWN}), property_dependencies={"targetTable": [table_urn]})
    db = res(CATALOG_DB, "orders-db", {"name": UNKNOWN})
    bad = run(db, table, tags)
    assert [lvl for lvl, _ in _found(bad, QUALITY)] == ["mandatory"] and _no_preview_advisory(bad)
    assert "Iceberg table '(known after apply).(known after apply)' ('orders')" in _found(bad, QUALITY)[0][1]
    good = run(db, table, tags, ruleset)
    assert _found(good, QUALITY) == [] and _no_preview_advisory(good)


def test_a_known_name_on_another_wired_database_does_not_count():
    """The tagging is wired from a database whose known name differs from the table's."""
    other = res(CATALOG_DB, "customers-db", {"name": "retail_dev_customers"})
    tags = res(LF_TAGS, "db-tags", {"lfTags": [{"key": "ddp:classification", "value": "restricted"}],
                                    "database": {"name": UNKNOWN}},
               property_dependencies={"database": [other["urn"]]})
    report = run(*DATASET[:2], other, tags)
    assert _found(report, QUALITY) == []


def test_two_tables_each_need_their_own_ruleset():
    customers = res(CATALOG_TABLE, "customers", changed(ICEBERG_TABLE, name="customers"))
    db_tags = classify("db-tags", "confidential", database={"name": "retail_dev_orders"})
    report = run(*DATASET[:2], customers, db_tags, res(DQ_RULESET, "orders-quality", RULESET_GOOD))
    assert [m.split(" is classified")[0] for _, m in _found(report, QUALITY)] == [
        "Iceberg table 'retail_dev_orders.customers' ('customers')"]


# --- an unknown tag value keeps the tag rules mandatory -------------------------------------------------

def _provider_without(key: str) -> dict:
    return provider(defaultTags=json.dumps({"tags": {k: v for k, v in ORG_TAGS.items() if k != key}}))


def test_an_unknown_tag_value_does_not_turn_mandatory_tags_advisory():
    report = run(_provider_without("cost-center"),
                 res(LOG_GROUP, "app", {**LOG_GOOD, "tags": {"ddp:grant-expires": UNKNOWN}}), with_provider=False)
    assert _found(report, "aws-resource-mandatory-tags") == [
        ("mandatory", "'app' (aws:cloudwatch/logGroup:LogGroup) is missing tags: cost-center.")]
    assert _no_preview_advisory(report)


def test_a_required_tag_with_an_unknown_value_is_set():
    log_group = res(LOG_GROUP, "app", {**LOG_GOOD, "tags": {"cost-center": UNKNOWN}})
    report = run(_provider_without("cost-center"), log_group, with_provider=False)
    assert _found(report, "aws-resource-mandatory-tags") == [] and _no_preview_advisory(report)


def test_an_unknown_classification_tag_is_judged_at_update():
    report = run(res(STREAM, "events", changed(STREAM_GOOD, tags={"data-classification": UNKNOWN})))
    assert _found(report, "data-store-classification-tag") == [] and _no_preview_advisory(report)
