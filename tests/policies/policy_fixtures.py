"""Builders for recorded-resource dicts (the offline runner's input) and compliant baselines."""
from __future__ import annotations

import copy
import json
from typing import Any, Mapping, Optional

from policies.offline import Report, analyze

STACK, PROJECT = "dev", "data-delivery-platform"
ACCOUNT = "111111111111"
CONSUMER = "222222222222"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ORG_TAGS = {"business-unit": "retail", "environment": "dev", "owner": "data-platform",
            "cost-center": "cc-1234", "managed-by": "pulumi/data-delivery-platform"}
DELETE = object()  # marks a key to remove in ``changed``


def urn(type_: str, name: str, parent_type: Optional[str] = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


PROVIDER_URN = urn("pulumi:providers:aws", "retail")
PROVIDER_REF = f"{PROVIDER_URN}::04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def provider(name: str = "retail", **inputs: Any) -> dict:
    """The stack's explicit provider, with provider settings JSON-encoded as pulumi-aws sends them."""
    base = {"region": "us-east-1", "allowedAccountIds": json.dumps([ACCOUNT]),
            "defaultTags": json.dumps({"tags": ORG_TAGS}),
            "assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{ACCOUNT}:role/PlatformDeployer"}])}
    base.update(inputs)
    return res("pulumi:providers:aws", name, base, provider_ref="", protect=False)


def res(type_: str, name: str, inputs: Optional[Mapping[str, Any]] = None, *,
        outputs: Optional[Mapping[str, Any]] = None, provider_ref: str = PROVIDER_REF, protect: bool = True,
        parent: Optional[str] = None, custom: bool = True, dependencies=(),
        property_dependencies: Optional[Mapping[str, list]] = None) -> dict:
    """One recorded resource; outputs default to the inputs (what the mocks echo back)."""
    inputs = copy.deepcopy(dict(inputs or {}))
    r = {"urn": urn(type_, name), "type": type_, "name": name, "custom": custom, "parent": parent,
         "provider": provider_ref if custom else "", "inputs": inputs,
         "outputs": copy.deepcopy(dict(outputs)) if outputs is not None else copy.deepcopy(inputs),
         "protect": protect, "retain_on_delete": protect, "dependencies": list(dependencies)}
    if property_dependencies:
        r["property_dependencies"] = dict(property_dependencies)
    return r


def changed(base: Mapping[str, Any], **changes: Any) -> dict:
    """A copy of base with top-level changes; DELETE removes a key. Nested: pass the whole value."""
    out = copy.deepcopy(dict(base))
    for k, v in changes.items():
        if v is DELETE:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def run(*resources: dict, config: Optional[Mapping[str, Any]] = None, with_provider: bool = True) -> Report:
    stack = ([provider()] if with_provider else []) + list(resources)
    return analyze(stack, config=config)


def messages(report: Report, policy: str) -> list[str]:
    return [v.message for v in report.for_policy(policy)]


def doc(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TLS_ONLY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
PUBLIC_READ = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::raw-bucket/*"}
ACCOUNT_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*", "Resource": "*"}
