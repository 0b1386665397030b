"""The bootstrap template for a BU account's deploy role is valid and trusts only what it says."""

from __future__ import annotations

from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "bootstrap" / "deploy-role.yaml"


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, …) as {'Fn::X': value}."""


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def test_role_trusts_only_the_given_principal_with_optional_external_id():
    role = load()["Resources"]["DeployRole"]["Properties"]
    st = role["AssumeRolePolicyDocument"]["Statement"]
    assert len(st) == 1 and st[0]["Effect"] == "Allow"
    assert st[0]["Principal"] == {"AWS": {"Ref": "TrustedPrincipalArn"}}
    cond = st[0]["Condition"]["Fn::If"]
    assert cond[0] == "HasExternalId" and cond[1] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert role["RoleName"] == {"Ref": "RoleName"}


def test_defaults_match_the_shipped_stacks():
    tpl = load()
    assert tpl["Parameters"]["RoleName"]["Default"] == "PlatformDeployer"
    for stack in Path(TEMPLATE).parent.parent.glob("Pulumi.*.yaml"):
        assert "deployRole: PlatformDeployer" in stack.read_text(), stack.name
    assert "DeployRoleArn" in tpl["Outputs"]
