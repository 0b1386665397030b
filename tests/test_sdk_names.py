"""The absence helper checks real SDK names, and no test asserts absence the unchecked way."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from sdk_names import assert_absent, input_names

TESTS = Path(__file__).resolve().parent


def test_input_names_come_from_the_pinned_sdk():
    names = input_names("aws:ec2/securityGroup:SecurityGroup")
    assert {"ingress", "egress", "vpcId", "description"} <= names
    assert "ingressRules" not in names
    assert {"permissionsWithGrantOptions", "principal"} <= input_names("aws:lakeformation/permissions:Permissions")
    assert "imageTag" in input_names("awsx:ecr:Image")


def test_absence_of_a_name_the_type_never_had_fails():
    sg = SimpleNamespace(type="aws:ec2/securityGroup:SecurityGroup", name="sg", inputs={})
    assert_absent(sg, "ingress")
    with pytest.raises(AssertionError, match="has no input"):
        assert_absent(sg, "ingressRules")
    with pytest.raises(AssertionError, match="sets"):
        assert_absent(SimpleNamespace(type=sg.type, name="sg", inputs={"ingress": [{}]}), "ingress")


def test_no_test_asserts_an_input_absent_without_the_helper():
    pattern = re.compile(r"""["'][A-Za-z]+["']\s+not\s+in\s+[\w.\[\]"'()]*\.inputs\b(?!\[)""")
    offenders = [f"{p.name}:{i}" for p in TESTS.rglob("test_*.py") if p.name != "test_sdk_names.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
