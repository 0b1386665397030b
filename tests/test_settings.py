"""Stack settings: every bad value stops the run with one line naming file, key and what is allowed."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from offline.runner import load_stack_config
from stackconfig import SettingsError, parse_settings
from stackconfig.loader import OFFLINE_SECRET, PROJECT

SOURCE = "Pulumi.dev.yaml"
BASE = load_stack_config("dev")


def cfg_with(**changes) -> dict[str, str]:
    """The dev config with top-level keys replaced (values are Python, JSON-encoded like the engine)."""
    cfg = dict(BASE)
    for key, value in changes.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            cfg.pop(full, None)
        else:
            cfg[full] = value if isinstance(value, str) else json.dumps(value)
    return cfg


def products(mutate) -> list:
    items = json.loads(BASE[f"{PROJECT}:dataProducts"])
    mutate(items)
    return items


def services(mutate) -> list:
    items = json.loads(BASE[f"{PROJECT}:services"])
    mutate(items)
    return items


def error_of(cfg: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as exc:
        parse_settings(cfg, source=SOURCE)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"{SOURCE}: "), msg
    return msg


def test_dev_stack_is_valid_and_typed():
    s = parse_settings(BASE, source=SOURCE)
    assert (s.business_unit, s.environment, s.account.id, s.region) == ("retail", "dev", "111111111111", "us-east-1")
    orders = s.data_products[0]
    assert orders.operational_store.dax.enabled and orders.operational_store.dax.nodes == 3
    assert {m for m in ("batch", "streaming", "sftp", "events") if getattr(orders.ingestion, m)} == {
        "batch", "streaming", "sftp", "events"}
    assert [x.runtime for x in s.services] == ["fargate", "lambda"]
    assert s.nat_strategy == "single"


@pytest.mark.parametrize(
    "changes, key, allowed",
    [
        ({"businessUnit": None}, f"{PROJECT}:businessUnit", "Field required"),
        ({"account": None}, f"{PROJECT}:account", "Field required"),
        ({"aws:region": None}, "aws:region", "required"),
        ({"account": {"id": "12345", "deployRole": "PlatformDeployer"}}, f"{PROJECT}:account.id", "12-digit"),
        ({"account": {"id": 111111111111, "deployRole": "PlatformDeployer"}}, f"{PROJECT}:account.id", "in quotes"),
        ({"aws:region": "us-east-9"}, "aws:region", "unknown AWS region 'us-east-9'; allowed: af-south-1"),
        ({"drRegion": "mars-1"}, f"{PROJECT}:drRegion", "unknown AWS region"),
        ({"drRegion": "us-east-1"}, f"{PROJECT}:drRegion", "must differ from aws:region (us-east-1)"),
        ({"environment": "qa"}, f"{PROJECT}:environment", "'dev', 'test', 'staging' or 'prod'"),
        ({"allowDataDestroy": "maybe"}, f"{PROJECT}:allowDataDestroy", "valid boolean"),
        ({"dataProducts": {"name": "orders"}}, f"{PROJECT}:dataProducts", "valid list"),
        ({"dataProduct": []}, f"{PROJECT}:dataProduct", "unknown key; did you mean dataProducts? allowed: account,"),
        ({"network": {"cidr": "10.0.0.0/8"}}, f"{PROJECT}:network.cidr", "between /16 and /20"),
        ({"network": {"natGateways": "two"}}, f"{PROJECT}:network.natGateways", "'one-per-az', 'single' or 'none'"),
        ({"network": {"flowLogRetentionDays": 42}}, f"{PROJECT}:network.flowLogRetentionDays", "CloudWatch retention values"),
        ({"regionRole": "dr"}, f"{PROJECT}:primaryStack", "required in a dr stack"),
    ],
)
def test_top_level_errors(changes, key, allowed):
    renamed = {k.replace("aws:region", "aws:region"): v for k, v in changes.items()}
    msg = error_of(cfg_with(**renamed))
    assert f"{SOURCE}: {key}" in msg
    assert allowed in msg


def test_duplicate_data_product_names():
    dup = products(lambda ps: ps.append(copy.deepcopy(ps[0])))
    msg = error_of(cfg_with(dataProducts=dup))
    assert "duplicate data product name 'orders'" in msg


def test_duplicate_service_names():
    dup = services(lambda ss: ss.append(copy.deepcopy(ss[0])))
    assert "duplicate service name 'orders-api'" in error_of(cfg_with(services=dup))


def test_unknown_ingestion_mode_names_the_path():
    bad = products(lambda ps: ps[0]["ingestion"].update(ftp={"users": []}))
    msg = error_of(cfg_with(dataProducts=bad))
    assert f"{PROJECT}:dataProducts[0].ingestion.ftp: unknown key" in msg


def test_no_ingestion_mode():
    bad = products(lambda ps: ps[0].update(ingestion={}))
    assert "declare at least one of batch, streaming, sftp, events" in error_of(cfg_with(dataProducts=bad))


@pytest.mark.parametrize("cpu, memory, allowed", [(256, 4096, "allowed: 512, 1024, 2048"), (512, 512, "allowed: 1024..4096"),
                                                 (300, 1024, "not a Fargate size")])
def test_fargate_cpu_memory_pairs_aws_rejects(cpu, memory, allowed):
    bad = services(lambda ss: ss[0].update(cpu=cpu, memory=memory))
    msg = error_of(cfg_with(services=bad))
    assert f"{PROJECT}:services[0]" in msg and allowed in msg


@pytest.mark.parametrize("field, value", [("desiredCount", -1), ("minCount", -2), ("maxCount", 0)])
def test_negative_counts(field, value):
    bad = services(lambda ss: ss[0].update({field: value}))
    msg = error_of(cfg_with(services=bad))
    assert f"{PROJECT}:services[0].{field}" in msg and "greater than or equal" in msg


def test_negative_shards_and_dax_nodes():
    bad = products(lambda ps: ps[0]["ingestion"]["streaming"].update(shards=-3))
    assert f"{PROJECT}:dataProducts[0].ingestion.streaming.shards" in error_of(cfg_with(dataProducts=bad))
    bad = products(lambda ps: ps[0]["operationalStore"]["dax"].update(nodes=1))
    assert "dax.nodes: Input should be greater than or equal to 3" in error_of(cfg_with(dataProducts=bad))


def test_bucket_name_too_long_after_prefixes():
    # 24-char product + 'reportable' + account + region code goes past S3's 63 characters.
    long = "a" * 22 + "-x"
    bad = products(lambda ps: ps[0].update(name=long))
    svcs = services(lambda ss: [s.update(dataProduct=long) for s in ss])
    msg = error_of(cfg_with(dataProducts=bad, services=svcs))
    assert f"{PROJECT}:dataProducts[0].name" in msg
    assert "AWS allows at most 63" in msg and "shorten" in msg


def test_name_charset():
    bad = products(lambda ps: ps[0].update(name="Orders_2024"))
    msg = error_of(cfg_with(dataProducts=bad))
    assert f"{PROJECT}:dataProducts[0].name" in msg and "pattern" in msg


def test_service_must_serve_a_declared_product():
    bad = services(lambda ss: ss[0].update(dataProduct="invoices"))
    assert "serves dataProduct 'invoices', which this stack does not declare" in error_of(cfg_with(services=bad))


def test_runtime_specific_fields():
    bad = services(lambda ss: ss[1].update(cpu=256))
    assert "cpu does not apply to runtime lambda" in error_of(cfg_with(services=bad))
    bad = services(lambda ss: ss[0].pop("certificateArn"))
    assert "need certificateArn" in error_of(cfg_with(services=bad))


def test_consumer_accounts_are_validated():
    bad = products(lambda ps: ps[0].update(consumers=["2222"]))
    assert "12-digit" in error_of(cfg_with(dataProducts=bad))
    own = products(lambda ps: ps[0].update(consumers=["111111111111"]))
    assert f"{PROJECT}:dataProducts[0].consumers[0]: 111111111111 is this stack's own account" in error_of(
        cfg_with(dataProducts=own))


def test_sftp_key_must_be_openssh():
    bad = products(lambda ps: ps[0]["ingestion"]["sftp"]["users"][0].update(sshPublicKey="hunter2"))
    assert "OpenSSH public key line" in error_of(cfg_with(dataProducts=bad))


@pytest.mark.parametrize("cfg, blamed", [
    # An unknown key with a line break inside a data product.
    (lambda: cfg_with(dataProducts=products(lambda ps: ps[0].update({"bad\nkey": 1}))),
     "dataProducts[0].bad\\nkey: unknown key"),
    # A top-level key of this program with a line break.
    (lambda: {**BASE, f"{PROJECT}:own\rer": "x"}, f"{PROJECT}:own\\rer: unknown key"),
    # A value quoted in the message (an event source) with a line break and an escape character.
    (lambda: cfg_with(dataProducts=products(lambda ps: ps[0]["ingestion"]["events"].update(sources=["a\n\x1bb"]))),
     "event source 'a\\n\\x1bb'"),
], ids=["unknown-key", "top-level-key", "quoted-value"])
def test_control_characters_from_the_stack_file_stay_on_the_one_line(cfg, blamed):
    msg = error_of(cfg())  # asserts one line
    assert blamed in msg, msg


# --- property test: many generated bad configs, never a traceback -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**13) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


# The offline runner's placeholder for a `secure:` value stays a string (it is no JSON).
DOC = {k: json.loads(v) if v[:1] in "[{" and v != OFFLINE_SECRET else v for k, v in BASE.items()}
ALL_PATHS = [p for p in _paths(DOC) if p]


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=json_values, drop=st.booleans())
def test_generated_bad_configs_never_traceback(path, value, drop):
    doc = copy.deepcopy(DOC)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if drop and isinstance(node, dict):
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    cfg = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in doc.items() if v is not None}
    try:
        parse_settings(cfg, source=SOURCE)
    except SettingsError as exc:
        msg = str(exc)
        assert msg.startswith(f"{SOURCE}: ") and "\n" not in msg and "Traceback" not in msg


def test_sftp_user_role_name_limit():
    long_user = "partner-" + "x" * 50
    bad = products(lambda ps: ps[0]["ingestion"]["sftp"]["users"][0].update(name=long_user))
    msg = error_of(cfg_with(dataProducts=bad))
    assert f"{PROJECT}:dataProducts[0].ingestion.sftp.users[0].name" in msg
    assert "AWS allows at most 64" in msg and "shorten the SFTP user name" in msg


def test_service_log_bucket_name_limit():
    long = "orders-api-" + "y" * 13
    bad = services(lambda ss: ss[0].update(name=long))
    msg = error_of(cfg_with(services=bad, businessUnit="retailgroup1"))
    assert f"{PROJECT}:services[0].name" in msg and "alb-logs" in msg and "at most 63" in msg


@pytest.mark.parametrize("admins, fragment", [
    (["arn:aws:iam::222222222222:role/X"], "lakeFormationAdmins[0]: 'arn:aws:iam::222222222222:role/X' is not in this "
                                           "stack's account 111111111111"),
    (["DataLakeAdmin"], "lakeFormationAdmins[0]: 'DataLakeAdmin' is not an IAM role or user ARN"),
    (["arn:aws:iam::111111111111:role/A", "arn:aws:iam::111111111111:role/A"], "lakeFormationAdmins[1]: "
                                                                               "'arn:aws:iam::111111111111:role/A' is listed twice"),
])
def test_lake_formation_admins_are_this_accounts_principals(admins, fragment):
    from offline.runner import load_stack_config
    cfg = load_stack_config("dev")
    cfg["data-delivery-platform:lakeFormationAdmins"] = json.dumps(admins)
    with pytest.raises(SettingsError) as err:
        parse_settings(cfg, source="Pulumi.dev.yaml")
    assert str(err.value).startswith("Pulumi.dev.yaml: data-delivery-platform:" + fragment)
    cfg["data-delivery-platform:lakeFormationAdmins"] = json.dumps(["arn:aws:iam::111111111111:user/ops/alice"])
    assert parse_settings(cfg, source="Pulumi.dev.yaml").lake_formation_admins == ["arn:aws:iam::111111111111:user/ops/alice"]
