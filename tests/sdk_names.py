"""Property names the pinned SDKs really have, so a test that asserts a property is absent cannot
pass by checking a name the resource never had (a typo or a name from another provider version
would make `"x" not in inputs` true forever)."""

from __future__ import annotations

import importlib
import inspect
import re
from functools import lru_cache
from typing import Any


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@lru_cache(maxsize=None)
def input_names(type_token: str) -> frozenset[str]:
    """The engine-side (camelCase) input names of a resource type, e.g. `aws:ec2/securityGroup:SecurityGroup`."""
    package, module_path, cls_name = re.fullmatch(r"(\w+):([\w/]+):(\w+)", type_token).groups()
    module = module_path.split("/")[0] if package == "aws" else module_path
    sdk = {"aws": "pulumi_aws", "awsx": "pulumi_awsx"}[package]
    mod = importlib.import_module(f"{sdk}.{'lambda_' if module == 'lambda' else module}")
    cls = getattr(mod, cls_name)
    params = inspect.signature(cls._internal_init).parameters
    return frozenset(_camel(p) for p in params if p not in ("__self__", "resource_name", "opts"))


def assert_absent(record: Any, *props: str) -> None:
    """Each prop is a real input of the record's type, and the program did not set it."""
    known = input_names(record.type)
    unknown = [p for p in props if p not in known]
    assert not unknown, f"{record.type} has no input {unknown}: the absence check would always pass"
    present = [p for p in props if record.inputs.get(p) is not None]
    assert not present, f"{record.name} sets {present}"
