"""The pack as a whole: loading (both import styles and the real CLI entry point), analyzer info,
config handling, the report and the CLI."""
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies import cli
from policies.offline import PolicyConfigError, analyze, new_servicer
from policies.pack import ALL_POLICIES, PACK_NAME
from policy_cases import CASES, KEY, KEY_GOOD, LOG_GOOD, LOG_GROUP
from policy_fixtures import messages, provider, res, run

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def test_analyzer_info_lists_at_least_60_policies_with_metadata():
    info = new_servicer().GetAnalyzerInfo(empty_pb2.Empty(), None)
    assert info.name == PACK_NAME
    assert len(info.policies) >= 60
    for p in info.policies:
        assert p.description and p.remediation_steps and p.tags
        assert p.enforcementLevel in (pb.MANDATORY, pb.ADVISORY)
        assert p.severity != pb.POLICY_SEVERITY_UNSPECIFIED
        assert p.framework.name in ("aws-foundational-security-best-practices", "aws-security-hub",
                                    "ddp-org-blueprint")
    controls = {p.name: (p.framework.name, p.framework.reference) for p in info.policies}
    assert controls["dynamodb-table-pitr-enabled"] == ("aws-foundational-security-best-practices", "DynamoDB.2")
    # S3.17 is a NIST 800-53 control, not FSBP: never labelled FSBP
    assert controls["s3-bucket-encrypted-with-cmk"] == ("aws-security-hub", "S3.17")


def test_policy_names_read_as_demands():
    for p in ALL_POLICIES:
        assert p.name == p.name.lower() and " " not in p.name and len(p.name) <= 60


def test_import_as_project_package():
    import policies.rules.s3 as s3
    assert s3.POLICIES[0] in ALL_POLICIES


def test_import_as_cli_does_from_policies_dir():
    code = "import pack, rules.s3; print(len(pack.ALL_POLICIES), pack.PACK_NAME)"
    out = subprocess.run([sys.executable, "-c", code], cwd=POLICIES_DIR, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(POLICIES_DIR)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(len(ALL_POLICIES)), PACK_NAME]


def test_main_serves_the_pack_over_grpc_like_under_the_cli():
    """Run policies/__main__.py as the CLI does (cwd=policies/), read the port it prints, ask it."""
    proc = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=POLICIES_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={k: v for k, v in os.environ.items()
                                                                     if k != "PYTHONPATH"})
    try:
        port = int(proc.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == PACK_NAME and len(info.policies) == len(ALL_POLICIES)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_config_overrides_enforcement_level():
    bad_key = res(KEY, "orders", {**KEY_GOOD, "enableKeyRotation": False})
    assert {v.level for v in run(bad_key).for_policy("kms-key-rotation-enabled")} == {"mandatory"}
    report = run(bad_key, config={"kms-key-rotation-enabled": "advisory"})
    assert {v.level for v in report.for_policy("kms-key-rotation-enabled")} == {"advisory"}
    assert report.policies["kms-key-rotation-enabled"].level == "advisory"
    disabled = run(bad_key, config={"kms-key-rotation-enabled": {"enforcementLevel": "disabled"}})
    assert disabled.for_policy("kms-key-rotation-enabled") == []


def test_config_all_level_then_policy_specific():
    short = res(LOG_GROUP, "app", {**LOG_GOOD, "retentionInDays": 30})
    report = run(short, config={"all": "mandatory", "cloudwatch-log-group-retention-minimum":
                                {"minimumLogRetentionDays": 14}})
    assert report.for_policy("cloudwatch-log-group-retention-minimum") == []
    assert report.policies["cloudwatch-log-group-retention-minimum"].level == "mandatory"


def test_config_properties_without_level_keep_the_default_level():
    short = res(LOG_GROUP, "app", {**LOG_GOOD, "retentionInDays": 30})
    report = run(short, config={"cloudwatch-log-group-retention-minimum": {"minimumLogRetentionDays": 90}})
    assert [v.level for v in report.for_policy("cloudwatch-log-group-retention-minimum")] == ["advisory"]


@pytest.mark.parametrize("config,error", [
    ({"kms-key-rotation-enabled": "strict"}, "not a valid enforcement level"),
    ({"no-such-policy": "advisory"}, "unknown policies"),
    ({"cloudwatch-log-group-retention-minimum": {"minimumLogRetentionDays": "a year"}}, "is not of type"),
])
def test_invalid_config_is_rejected(config, error):
    with pytest.raises(PolicyConfigError, match=error):
        run(config=config)


def test_example_config_is_valid():
    config = json.loads((POLICIES_DIR / "policy-config.example.json").read_text())
    run(config=config)


def test_components_and_providers_are_analyzed_like_the_engine_does():
    component = res("ddp:index:DataProduct", "orders", {}, custom=False)
    report = run(component, res(LOG_GROUP, "app", LOG_GOOD, parent=component["urn"]))
    # explicit-provider applies to aws: types only: a component is not flagged
    assert report.for_policy("aws-resource-explicit-provider") == []
    assert report.mandatory == 0


def test_stack_policies_see_outputs_and_protect():
    key = res(KEY, "orders", KEY_GOOD, protect=False)
    assert messages(run(key), "stateful-resources-protected")
    assert not messages(run(key, config={"stateful-resources-protected": {"allowDataDestroy": True}}),
                        "stateful-resources-protected")


def test_missing_provider_is_reported():
    report = run(res(LOG_GROUP, "app", LOG_GOOD, provider_ref=""), with_provider=False)
    assert any("uses the default AWS provider (none)" in m for m in messages(report, "aws-resource-explicit-provider"))


def test_report_format_and_compliance_summary():
    report = run(res(KEY, "orders", {**KEY_GOOD, "enableKeyRotation": False}))
    text = report.format()
    assert text.index("MANDATORY") < text.index("kms-key-rotation-enabled [KMS.4]")
    summary = {row["policy"]: row for row in report.compliance_summary()}
    assert summary["kms-key-rotation-enabled"] == {"policy": "kms-key-rotation-enabled", "level": "mandatory",
                                                   "control": "KMS.4", "status": "fail"}
    assert summary["kms-key-policy-not-public"]["status"] == "pass"
    assert summary["dynamodb-table-pitr-enabled"]["status"] == "not-applicable"
    assert report.mandatory == 1


def test_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps([provider(), res(LOG_GROUP, "app", LOG_GOOD)]))
    assert cli.main([str(good)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resources": [provider(), res(LOG_GROUP, "app", {"retentionInDays": 365})]}))
    assert cli.main([str(bad), "--summary"]) == 1
    out = capsys.readouterr().out
    assert "cloudwatch-log-group-encrypted-with-cmk" in out and "MANDATORY" in out
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"cloudwatch-log-group-encrypted-with-cmk": "advisory"}))
    assert cli.main([str(bad), "--config", str(config)]) == 0


def test_all_cases_together_run_fast():
    """One big stack: every violating fixture at once still analyses in well under a second or two."""
    resources = [provider()]
    seen = {provider()["urn"]}
    for case in CASES.values():
        for r in case.violating:
            if r["urn"] not in seen:
                seen.add(r["urn"])
                resources.append(r)
    report = analyze(resources)
    assert report.mandatory > 0


def test_readme_rule_table_is_not_stale():
    from policies import gen_docs
    current = gen_docs.README.read_text(encoding="utf-8")
    assert gen_docs.render(current) == current, "run: python -m policies.gen_docs"
    for p in ALL_POLICIES:
        assert f"`{p.name}`" in current


def test_type_dispatch_gives_the_stock_servicer_results_on_every_shipped_stack():
    """analyze() routes resources to their type's policies for speed; the engine's stock
    servicer (dispatch=False) must report exactly the same violations and applicability."""
    from offline.preview import stack_policy_config
    from offline.runner import shipped_run
    from policies.offline import analyze

    for name in ("dev", "dr", "marketing"):
        run = shipped_run(name)
        cfg = stack_policy_config(run)
        fast, stock = analyze(run.resources(), config=cfg), analyze(run.resources(), config=cfg, dispatch=False)
        key = lambda r: sorted((v.policy, v.urn, v.level, v.message) for v in r.violations)  # noqa: E731
        assert key(fast) == key(stock)
        assert fast.compliance_summary() == stock.compliance_summary()


def test_each_stack_rule_reads_only_the_types_it_declares():
    """A stack rule's ``reads`` (with its ``applies_to`` and providers) lists every type its check
    looks at: handed only resources of those types, it reports exactly what it reports on the
    whole fixture. A type read but not declared would lose (or invent) a violation here."""
    from policies.offline import analyze
    from policies.pack import ALL_POLICIES
    from policies.rules._base import type_matches
    from policy_cases import CASES
    from policy_fixtures import provider
    from test_deployability import DEPLOYABILITY_CASES

    stack_rules = [p for p in ALL_POLICIES if hasattr(p, "reads")]
    fixtures = [(name, ([provider()] if case.with_provider else []) + list(resources), case.config)
                for name, case in CASES.items() for resources in (case.compliant, case.violating)]
    fixtures += [(name, [provider(), *case[kind]], None)
                 for name, case in DEPLOYABILITY_CASES.items() for kind in ("compliant", "violating")]
    checked = 0
    for name, stack, config in fixtures:
        full = analyze(stack, config=config)
        for rule in stack_rules:
            subset = [r for r in stack if type_matches(r["type"], rule.reads)]
            if len(subset) == len(stack) or not any(type_matches(r["type"], rule.applies_to) for r in subset):
                continue
            part = analyze(subset, config=config)
            found = lambda report: sorted(v.message for v in report.for_policy(rule.name))  # noqa: E731
            assert found(part) == found(full), (rule.name, name)
            checked += 1
    assert checked > 20


def test_routing_gives_the_stock_results_on_every_policy_fixture():
    """The routed check reports what the stock servicer reports, on every rule's fixtures."""
    from policies.offline import analyze
    from policy_cases import CASES
    from policy_fixtures import provider

    key = lambda r: sorted((v.policy, v.urn, v.level, v.message) for v in r.violations)  # noqa: E731
    for name, case in sorted(CASES.items()):
        for resources in (case.compliant, case.violating):
            stack = ([provider()] if case.with_provider else []) + list(resources)
            fast = analyze(stack, config=case.config)
            stock = analyze(stack, config=case.config, dispatch=False)
            assert key(fast) == key(stock), name
            assert fast.applicable == stock.applicable, name
