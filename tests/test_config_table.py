"""Bad config never reaches AWS: a table of wrong stack files, each stopped with one line.

Every case starts from a shipped stack file (dev, dr, marketing), applies one mutation and states
the key the error must blame and a fragment of what it must say. Most cases are generated from the
shipped stacks' own structure (an unknown key in every mapping, the snake_case spelling of every
camelCase key, every top-level key under a misspelt namespace or set to null, every leaf given the
wrong type); the rest are written out for each AWS limit and format, each bound on both sides (the
valid side is in VALID). All through `parse_settings`, pure and fast: nothing is declared.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic.alias_generators import to_snake

from offline.runner import load_stack_config
from stackconfig import SettingsError, StackSettings, parse_settings
from stackconfig import limits
from stackconfig.loader import OFFLINE_SECRET, PROJECT

STACKS = ("dev", "dr", "marketing")
RAW = {s: load_stack_config(s) for s in STACKS}


def _decode(v: str) -> Any:
    # A `secure:` value reaches the program as the offline runner's placeholder, which is no JSON.
    if v == OFFLINE_SECRET:
        return v
    return json.loads(v) if v[:1] in "[{" or v in ("true", "false") else v


DOCS = {s: {k: _decode(v) for k, v in cfg.items()} for s, cfg in RAW.items()}


# --- addressing and mutations ------------------------------------------------------------------

def parse_path(path: str) -> tuple:
    """'dataProducts[0].ingestion' -> ('data-delivery-platform:dataProducts', 0, 'ingestion');
    a first segment with ':' ('aws:region') is a full config key."""
    head = re.match(r"[^.\[]+", path).group(0)
    rest = path[len(head):]
    parts: list = [head if ":" in head else f"{PROJECT}:{head}"]
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", rest):
        parts.append(int(index) if index else name)
    return tuple(parts)


def show(parts: tuple) -> str:
    out = parts[0] if not str(parts[0]).startswith(f"{PROJECT}:") else parts[0]
    for p in parts[1:]:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _parent(doc: dict, parts: tuple) -> Any:
    node = doc
    for p in parts[:-1]:
        node = node[p]
    return node


def put(path: str, value: Any) -> Callable[[dict], None]:
    def op(doc: dict) -> None:
        parts = parse_path(path)
        parent = _parent(doc, parts)
        if isinstance(parent, list) and parts[-1] == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[parts[-1]] = copy.deepcopy(value)
    op.__doc__ = f"{path}={json.dumps(value)[:40]}"
    return op


def drop(path: str) -> Callable[[dict], None]:
    def op(doc: dict) -> None:
        parts = parse_path(path)
        parent = _parent(doc, parts)
        if isinstance(parent, dict):
            parent.pop(parts[-1], None)
        else:
            del parent[parts[-1]]
    op.__doc__ = f"drop {path}"
    return op


def rename(path: str, new: str) -> Callable[[dict], None]:
    def op(doc: dict) -> None:
        parts = parse_path(path)
        parent = _parent(doc, parts)
        items = list(parent.items())
        parent.clear()
        parent.update({(new if k == parts[-1] else k): v for k, v in items})
    op.__doc__ = f"rename {path}->{new}"
    return op


def config_of(doc: dict) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in doc.items()}


def apply(stack: str, ops: tuple) -> dict[str, str]:
    doc = copy.deepcopy(DOCS[stack])
    for op in ops:
        op(doc)
    return config_of(doc)


@dataclass
class Bad:
    stack: str
    ops: tuple
    key: str        # the key the error must blame (as in the stack file: camelCase, [i])
    fragment: str   # what the one line must say
    id: str = field(default="")

    def blamed(self) -> str:
        return self.key if ":" in self.key.split(".")[0].split("[")[0] else f"{PROJECT}:{self.key}"


def bad(stack: str, *ops, key: str, says: str) -> Bad:
    return Bad(stack, ops, key, says, f"{stack}:{';'.join(op.__doc__ or '?' for op in ops)}"[:120])


# --- test keys ---------------------------------------------------------------------------------

def openssh(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


ED25519 = openssh(ed25519.Ed25519PrivateKey.generate())
RSA2048 = openssh(rsa.generate_private_key(public_exponent=65537, key_size=2048))
RSA1024 = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024))
ECDSA = {c.name: openssh(ec.generate_private_key(c)) for c in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1())}


def wire(*fields: bytes) -> str:
    return base64.b64encode(b"".join(struct.pack(">I", len(f)) + f for f in fields)).decode()


ED_BLOB = ED25519.split()[1]
SSH_BAD = [
    ("hunter2", "OpenSSH public key line"),
    ("ssh-dss " + ED_BLOB, "key type 'ssh-dss' is not accepted by Transfer Family"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxampleKeyForPartnerAcmeOnly000000000000", "base64 does not decode"),
    ("ssh-ed25519 " + ED_BLOB[:-4], "the key blob is truncated"),
    ("ssh-rsa " + ED_BLOB, "the key blob says it is 'ssh-ed25519' but the line declares ssh-rsa"),
    ("ssh-ed25519 " + wire(b"ssh-ed25519", b"\x01" * 31), "exactly one 32-byte public point"),
    ("ssh-ed25519 " + wire(b"ssh-ed25519", b"\x01" * 32, b"extra"), "exactly one 32-byte public point"),
    (RSA1024, "the RSA modulus has 1024 bits; use at least 2048"),
    ("ecdsa-sha2-nistp384 " + ECDSA["secp256r1"].split()[1], "the key blob says it is 'ecdsa-sha2-nistp256'"),
    ("ecdsa-sha2-nistp256 " + wire(b"ecdsa-sha2-nistp256", b"nistp384", b"\x04" + b"\x01" * 64), "names curve 'nistp384'"),
    ("ecdsa-sha2-nistp256 " + wire(b"ecdsa-sha2-nistp256", b"nistp256", b"\x04" + b"\x01" * 64), "does not load"),
    (ED25519 + " " + "c" * 2048, "Transfer Family accepts at most 2048"),
    (ED25519 + "\nssh-ed25519 " + ED_BLOB, "one key on one line"),
]

USER = "dataProducts[0].ingestion.sftp.users[0]"
SVC = "services[0]"
FN = "services[1]"
ODS = "dataProducts[0].operationalStore"
CERT = "arn:aws:acm:us-east-1:111111111111:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def accounts(n: int, start: int = 300000000000) -> list[str]:
    return [str(start + i) for i in range(n)]


def cidrs4(n: int) -> list[str]:
    return [f"203.0.{i}.0/24" for i in range(n)]


def cidrs6(n: int) -> list[str]:
    return [f"2001:db8:{i:x}::/48" for i in range(n)]


def tags(n: int) -> dict[str, str]:
    return {f"team-{i}": "x" for i in range(n)}


ENV_BUDGET = limits.LAMBDA_ENV_BYTES - limits.LAMBDA_ENV_RESERVED


def fields_of_size(total: int) -> list[str]:
    """Field names whose environment entry (REQUIRED_FIELDS=a,b,... + TIMESTAMP_FIELD=order_ts) is `total`."""
    fixed = len("REQUIRED_FIELDS") + len("TIMESTAMP_FIELD") + len("order_ts")
    text_len = total - fixed
    names, used = [], 0
    while used + 101 <= text_len - 101:
        names.append(f"f{len(names):03d}" + "x" * 96)
        used += 101
    names.append("z" * (text_len - used))
    return names


# --- generated cases ---------------------------------------------------------------------------

def _walk(node: Any, parts: tuple):
    yield parts, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, parts + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, parts + (i,))


def _rel(parts: tuple) -> str:
    """The key path as the error names it, without the project namespace."""
    return show(parts).removeprefix(f"{PROJECT}:")


CUSTOM_TYPE_MESSAGES = {"sshPublicKey": "OpenSSH public key line", "id": "12-digit AWS account id",
                        "partitionKeyType": "must be S (string) or N", "sortKeyType": "must be S (string) or N"}


def generated() -> list[Bad]:
    cases: list[Bad] = []
    for stack in STACKS:
        doc = DOCS[stack]
        cases.append(bad(stack, put("bogusSetting", 1), key="bogusSetting", says="unknown key;"))
        for top, value in doc.items():
            if not top.startswith(f"{PROJECT}:"):
                continue
            key = top.split(":", 1)[1]
            # A misspelt project namespace would silently drop the key.
            cases.append(bad(stack, drop(key), put(f"data-delivery-plattform:{key}", value),
                             key=f"data-delivery-plattform:{key}", says=f"did you mean {PROJECT}:{key}?"))
            cases.append(bad(stack, put(key, None), key=key, says="null"))
            for parts, node in _walk(value, (top,)):
                rel = _rel(parts)
                if isinstance(node, dict):
                    path = f"{rel}.bogusSetting"
                    cases.append(bad(stack, put(path, 1), key=path, says="unknown key"))
                    cases.append(bad(stack, put(rel, ["not", "a", "mapping"]), key=rel, says="valid dictionary"))
                    for k in node:
                        snake = to_snake(k)
                        if snake != k:
                            cases.append(bad(stack, rename(f"{rel}.{k}", snake), key=f"{rel}.{snake}",
                                             says=f"keys are camelCase: did you mean {k}?"))
                elif isinstance(node, list):
                    last = parts[-1]
                    says = "must be a list of 12-digit" if last == "consumers" else "valid list"
                    cases.append(bad(stack, put(rel, {"wrong": "type"}), key=rel, says=says))
                elif len(parts) > 1:
                    last = parts[-1] if isinstance(parts[-1], str) else parts[-2]
                    says = CUSTOM_TYPE_MESSAGES.get(last, "12-digit" if last == "consumers" else "Input should be")
                    cases.append(bad(stack, put(rel, {"wrong": "type"}), key=rel, says=says))
            if key in ("businessUnit", "owner", "costCenter", "environment", "account"):
                cases.append(bad(stack, drop(key), key=key, says="Field required"))
    return cases


# --- written-out cases -------------------------------------------------------------------------

PRODUCT_MIN = {"name": "ledger", "owner": "o@example.com", "classification": "internal",
               "ingestion": {"events": {"sources": ["retail.ledger"]}}, "operationalStore": {"partitionKey": "id"}}

WRITTEN: list[Bad] = [
    # silent switches
    bad("dev", put("aws:profile", "prod"), key="aws:profile", says="not read by this program"),
    bad("dev", put("pulumi:tags", "x"), key="pulumi:tags", says="not read by this program"),
    bad("dev", put("data-delivery:drRegion", "us-west-2"), key="data-delivery:drRegion", says="unknown config namespace"),
    bad("dr", put("dataProducts", [PRODUCT_MIN]), key="dataProducts", says="does not apply to a dr stack"),
    bad("dr", put("services", []), key="services", says="does not apply to a dr stack"),
    bad("dr", put("consumes", [{"stack": "organization/data-delivery-platform/dev", "dataProduct": "orders",
                                "datasets": ["orders@1"]}]),
        key="consumes", says="does not apply to a dr stack"),
    bad("dr", put("drRegion", "us-east-1"), key="drRegion", says="does not apply to a dr stack"),
    bad("dr", put("dr.replicationTimeControl", True), key="dr.replicationTimeControl", says="applies to the primary"),
    bad("dev", put("primaryStack", "organization/data-delivery-platform/dr"), key="primaryStack",
        says="applies to dr stacks only"),
    bad("dev", put("dr.certificateArn", CERT), key="dr.certificateArn", says="applies to dr stacks only"),
    bad("dev", put("dr.daxEnabled", False), key="dr.daxEnabled", says="applies to dr stacks only"),
    bad("marketing", put("drRegion", "us-west-2"), key="drRegion", says="nothing to replicate"),
    bad("marketing", put("dr", {"replicationTimeControl": True}), key="dr.replicationTimeControl",
        says="applies only with drRegion"),
    bad("marketing", put("dr", {"hostedZoneId": "Z123", "domainName": "x.example.com"}), key="dr.hostedZoneId",
        says="declares none"),
    bad("dev", put("owner", None), key="owner", says="required: must not be null"),
    bad("dev", put("costCenter", None), key="costCenter", says="required: must not be null"),
    bad("dev", put("dataProducts[0].operationalStore.sort_key", "x"), key=f"{ODS}.sort_key",
        says="did you mean sortKey?"),
    bad("dev", put("services[0].desired_count", 3), key=f"{SVC}.desired_count", says="did you mean desiredCount?"),
    bad("dev", put("alarms.emails", ["a@example.com"]), key="alarms.emails", says="did you mean email?"),
    # tags
    bad("dev", put("tags", tags(limits.MAX_USER_TAGS + 1)), key="tags", says=f"at most {limits.MAX_USER_TAGS}"),
    bad("dev", put("tags", {"k" * 129: "v"}), key=f"tags.{'k' * 129}", says="must be 1-128 characters"),
    bad("dev", put("tags", {"team": "v" * 257}), key="tags.team", says="at most 256"),
    bad("dev", put("tags", {"team#1": "v"}), key="tags.team#1", says="only letters, digits"),
    bad("dev", put("tags", {"team": "a;b"}), key="tags.team", says="only letters, digits"),
    bad("dev", put("tags", {"AWS:team": "v"}), key="tags.AWS:team", says="must not start with 'aws:'"),
    bad("dev", put("tags", {"owner": "v"}), key="tags.owner", says="set by the platform"),
    bad("dev", put("tags", {"Cost-Center": "v"}), key="tags.Cost-Center", says="set by the platform"),
    bad("dev", put("tags", {"ddp:x": "v"}), key="tags.ddp:x", says="set by the platform"),
    bad("dev", put("tags", {"Name": "v"}), key="tags.Name", says="set by the platform"),
    bad("dev", put("tags", {"Team": "a", "team": "b"}), key="tags.team", says="differ only in case"),
    bad("dev", put("tags", {"team": None}), key="tags.team", says="valid string"),
    bad("dev", put("owner", "a;b"), key="owner", says="only letters, digits"),
    bad("dev", put("owner", "o" * 257), key="owner", says="at most 256"),
    bad("dev", put("costCenter", ""), key="costCenter", says="at least 1 character"),
    # Glue schedules
    bad("dev", put("dataProducts[0].ingestion.batch.schedule", "rate(1 day)"),
        key="dataProducts[0].ingestion.batch.schedule", says="Glue does not accept rate()"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "rate(12 hours)"), key="dataProducts[0].crawlerSchedule",
        says="Glue does not accept rate()"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 * * ?)"), key="dataProducts[0].crawlerSchedule",
        says="has 5 cron fields; Glue needs six"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 0 2 * * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="has 7 cron fields"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "0 2 * * ? *"), key="dataProducts[0].crawlerSchedule",
        says="must be a Glue schedule"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 ? * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="exactly one of day-of-month and day-of-week"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 * * MON *)"), key="dataProducts[0].crawlerSchedule",
        says="exactly one of day-of-month and day-of-week"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(60 2 * * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="minutes field '60'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 24 * * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="hours field '24'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 32 * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="day-of-month field '32'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 0 * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="day-of-month field '0'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 * 13 ? *)"), key="dataProducts[0].crawlerSchedule",
        says="month field '13'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 ? * 8 *)"), key="dataProducts[0].crawlerSchedule",
        says="day-of-week field '8'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 ? * FUNDAY *)"), key="dataProducts[0].crawlerSchedule",
        says="day-of-week field"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 * * ? 2200)"), key="dataProducts[0].crawlerSchedule",
        says="year field '2200'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(0 2 * * ? 1969)"), key="dataProducts[0].crawlerSchedule",
        says="year field '1969'"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(? 2 * * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="'?' is only allowed"),
    bad("dev", put("dataProducts[0].crawlerSchedule", "cron(*/0 2 * * ? *)"), key="dataProducts[0].crawlerSchedule",
        says="minutes field"),
    # DAX
    bad("dev", put(f"{ODS}.dax.nodeType", "dax.r5.huge"), key=f"{ODS}.dax.nodeType", says="not a DAX node type"),
    bad("dev", put(f"{ODS}.dax.nodeType", "dax.r6g.large"), key=f"{ODS}.dax.nodeType", says="allowed: dax.t3.small"),
    bad("dev", put(f"{ODS}.dax.nodeType", "cache.r5.large"), key=f"{ODS}.dax.nodeType", says="not a DAX node type"),
    bad("dev", put(f"{ODS}.dax.nodes", 2), key=f"{ODS}.dax.nodes", says="greater than or equal to 3"),
    bad("dev", put(f"{ODS}.dax.nodes", 12), key=f"{ODS}.dax.nodes", says="less than or equal to 11"),
    # ODS keys
    bad("dev", put(f"{ODS}.partitionKeyType", "B"), key=f"{ODS}.partitionKeyType", says="no binary (B) type"),
    bad("dev", put(f"{ODS}.sortKeyType", "B"), key=f"{ODS}.sortKeyType", says="no binary (B) type"),
    bad("dev", put(f"{ODS}.sortKeyType", "s"), key=f"{ODS}.sortKeyType", says="must be S (string) or N"),
    bad("dev", drop(f"{ODS}.sortKey"), put(f"{ODS}.sortKeyType", "N"), key=f"{ODS}.sortKeyType",
        says="applies only with a sortKey"),
    bad("dev", put(f"{ODS}.sortKey", "orderId"), key=f"{ODS}.sortKey", says="must differ from partitionKey"),
    bad("dev", put(f"{ODS}.partitionKey", ""), key=f"{ODS}.partitionKey", says="pattern"),
    bad("dev", put(f"{ODS}.partitionKey", "k" * 256), key=f"{ODS}.partitionKey", says="pattern"),
    # images
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", ""), key=f"{SVC}.image", says="must not be empty"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "my image:1"), key=f"{SVC}.image",
        says="is not an image reference"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "Orders-Api:1.0"), key=f"{SVC}.image",
        says="is not an image reference"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "public.ecr.aws/x/orders-api"), key=f"{SVC}.image",
        says="pin a version tag or a digest"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "orders-api:latest"), key=f"{SVC}.image",
        says="pin a version tag or a digest"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "orders-api:" + "t" * 129), key=f"{SVC}.image",
        says="is not an image reference"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "orders-api@sha256:abc"), key=f"{SVC}.image",
        says="is not an image reference"),
    bad("dev", drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "r.example.com/" + "a" * 242 + ":1"), key=f"{SVC}.image",
        says="at most 255"),
    bad("dev", put(f"{SVC}.image", "orders-api:1.0"), key=f"{SVC}.image", says="exactly one of image"),
    bad("dev", drop(f"{SVC}.buildImage"), key=f"{SVC}.buildImage", says="exactly one of image"),
    # certificates
    bad("dev", put(f"{SVC}.certificateArn", CERT.replace("us-east-1", "us-west-2")), key=f"{SVC}.certificateArn",
        says="certificates are regional"),
    bad("dev", put(f"{SVC}.certificateArn", CERT.replace("111111111111", "999999999999")), key=f"{SVC}.certificateArn",
        says="must be an ACM certificate of account 111111111111"),
    bad("dev", put(f"{SVC}.certificateArn", CERT.replace("arn:aws:", "arn:aws-cn:")), key=f"{SVC}.certificateArn",
        says="partition aws"),
    bad("dev", put(f"{SVC}.certificateArn", "arn:aws:iam::111111111111:server-certificate/x"),
        key=f"{SVC}.certificateArn", says="pattern"),
    bad("dr", put("dr.certificateArn", CERT.replace("us-east-1", "us-west-2").replace("111111111111", "999999999999")),
        key="dr.certificateArn", says="of account 111111111111"),
    bad("dr", put("dr.certificateArn", CERT), key="dr.certificateArn", says="of us-west-2"),
    bad("dr", drop("dr.domainName"), key="dr.domainName", says="give hostedZoneId and domainName together"),
    # quotas
    bad("dev", put(f"{SVC}.allowedCidrs", cidrs4(31)), key=f"{SVC}.allowedCidrs[30]", says="at most 30 IPv4 CIDRs"),
    bad("dev", put(f"{SVC}.allowedCidrs", cidrs6(31)), key=f"{SVC}.allowedCidrs[30]", says="at most 30 IPv6 CIDRs"),
    bad("dev", put("dataProducts[0].consumers", accounts(299)), key="dataProducts[0].consumers",
        says="would need 301 rules"),
    bad("dev", put("dataProducts[0].ingestion.events.sources", [f"retail.s{i}" for i in range(300)]),
        key="dataProducts[0].ingestion.events.sources", says="EventBridge allows 300 per bus"),
    bad("dev", put("dataProducts[0].ingestion.streaming.requiredFields", fields_of_size(ENV_BUDGET + 1)),
        key="dataProducts[0].ingestion.streaming.requiredFields", says=f"at most {ENV_BUDGET} fit"),
    bad("dev", put("dataProducts[0].ingestion.streaming.requiredFields", ["a,b"]),
        key="dataProducts[0].ingestion.streaming.requiredFields[0]", says="no commas"),
    bad("dev", put("dataProducts[0].ingestion.batch.requiredFields", ["order_id", "order_id"]),
        key="dataProducts[0].ingestion.batch.requiredFields[1]", says="duplicate field name"),
    # SSH keys: see SSH_BAD below, plus the user name
    bad("dev", put(f"{USER}.name", "ab"), key=f"{USER}.name", says="pattern"),
    bad("dev", put("dataProducts[0].ingestion.sftp.users", [{"name": "partner-acme", "sshPublicKey": ED25519}] * 2),
        key="dataProducts[0].ingestion.sftp.users[1].name", says="duplicate SFTP user name"),
    bad("dev", put("dataProducts[0].ingestion.sftp.users", []), key="dataProducts[0].ingestion.sftp.users",
        says="at least 1 item"),
    # networks
    bad("dev", put("network.cidr", "8.8.0.0/16"), key="network.cidr", says="must be a private range"),
    bad("dev", put("network.cidr", "100.64.0.0/16"), key="network.cidr", says="must be a private range"),
    bad("dev", put("network.cidr", "172.17.0.0/16"), key="network.cidr", says="must not overlap 172.17.0.0/16"),
    bad("dev", put("network.cidr", "172.16.0.0/15"), key="network.cidr", says="between /16 and /20"),
    bad("dev", put("network.cidr", "10.0.0.0/15"), key="network.cidr", says="between /16 and /20"),
    bad("dev", put("network.cidr", "10.0.0.0/21"), key="network.cidr", says="between /16 and /20"),
    bad("dev", put("network.cidr", "10.0.0.1/16"), key="network.cidr", says="has host bits set"),
    bad("dev", put("network.cidr", "fd00::/48"), key="network.cidr", says="IPv4 CIDR"),
    bad("dev", put("network.natGateways", "none"), key="network.natGateways", says="use single"),
    bad("dev", put("network.flowLogRetentionDays", 0), key="network.flowLogRetentionDays", says="retention values"),
    # cross-stack sense
    bad("marketing", put("consumes[1]", {"stack": "organization/data-delivery-platform/dev", "dataProduct": "orders",
                                         "datasets": ["orders@1"]}),
        key="consumes[1]", says="consumes orders from organization/data-delivery-platform/dev twice"),
    bad("marketing", put("consumes[0].stack", "organization/data-delivery-platform/marketing"), key="consumes[0].stack",
        says="is this stack itself"),
    bad("marketing", put("consumes[0].stack", "organization/other-project/dev"), key="consumes[0].stack",
        says="a stack of project 'other-project'"),
    bad("marketing", put("consumes[0].stack", "dev"), key="consumes[0].stack", says="pattern"),
    bad("dr", put("primaryStack", "organization/data-delivery-platform/dr"), key="primaryStack",
        says="is this stack itself"),
    bad("dr", put("primaryStack", "organization/legacy/dev"), key="primaryStack", says="a stack of project 'legacy'"),
    bad("dr", drop("primaryStack"), key="primaryStack", says="required in a dr stack"),
    bad("dev", put(f"{SVC}.allowedCidrs", ["0.0.0.0/0", "0.0.0.0/0"]), key=f"{SVC}.allowedCidrs[1]",
        says="listed twice"),
    bad("dev", put(f"{SVC}.allowedCidrs", ["2001:db8::/32", "2001:0db8::/32"]), key=f"{SVC}.allowedCidrs[1]",
        says="listed twice"),
    bad("dev", put(f"{SVC}.allowedCidrs", ["10.0.0.1/8"]), key=f"{SVC}.allowedCidrs[0]", says="host bits"),
    bad("dev", put("dataProducts[0].consumers", ["111111111111"]), key="dataProducts[0].consumers[0]",
        says="this stack's own account"),
    bad("dev", put("dataProducts[0].consumers", ["222222222222", "2222"]), key="dataProducts[0].consumers[1].account",
        says="12-digit"),
    bad("dev", put("dataProducts[0].consumers", ["222222222222", "222222222222"]), key="dataProducts[0].consumers[1].account",
        says="duplicate consumer account"),
    bad("dev", put("drRegion", "us-east-1"), key="drRegion", says="must differ from aws:region"),
    bad("dev", put("drRegion", "cn-north-1"), key="drRegion", says="must be in partition aws"),
    bad("dev", put(f"{SVC}.dataProduct", "invoices"), key=f"{SVC}.dataProduct", says="does not declare"),
    bad("dev", put("services[1]", {"name": "orders-api", "runtime": "lambda", "dataProduct": "orders"}),
        key="services[1].name", says="duplicate service name 'orders-api'"),
    bad("dev", put("dataProducts[1]", PRODUCT_MIN | {"name": "orders"}), key="dataProducts[1].name",
        says="duplicate data product name 'orders'"),
    # alarms
    bad("dev", drop("alarms"), key="alarms", says="required: this stack raises alarms"),
    bad("dr", drop("alarms"), key="alarms", says="required"),
    bad("marketing", put("alarms", {"email": ["a@example.com"]}), key="alarms", says="nothing raises alarms"),
    bad("dev", put("alarms", {}), key="alarms", says="at least one endpoint"),
    bad("dev", put("alarms", {"email": []}), key="alarms", says="at least one endpoint"),
    bad("dev", put("alarms.email", ["not-an-address"]), key="alarms.email[0]", says="not an email address"),
    bad("dev", put("alarms.email", ["a@example.com", "A@example.com"]), key="alarms.email[1]", says="duplicate email"),
    bad("dev", put("alarms.https", ["http://hooks.example.com/x"]), key="alarms.https[0]", says="not an https:// URL"),
    bad("dev", put("alarms.https", ["https://"]), key="alarms.https[0]", says="not an https:// URL"),
    bad("dev", put("alarms.https", ["https://a.example.com", "https://a.example.com"]), key="alarms.https[1]",
        says="duplicate https endpoint"),
    # counts: min <= desired <= max, each inequality broken
    bad("dev", put(f"{SVC}.minCount", 4), key=f"{SVC}.minCount", says="need minCount <= desiredCount"),
    bad("dev", put(f"{SVC}.desiredCount", 7), key=f"{SVC}.maxCount", says="need desiredCount <= maxCount"),
    bad("dev", put(f"{SVC}.minCount", 7), key=f"{SVC}.minCount", says="need minCount <= maxCount"),
    bad("dev", drop(f"{SVC}.desiredCount"), put(f"{SVC}.maxCount", 2), put(f"{SVC}.minCount", 1), key=f"{SVC}.maxCount",
        says="desiredCount 3"),
    bad("dev", put(f"{SVC}.desiredCount", 1001), key=f"{SVC}.desiredCount", says="less than or equal to 1000"),
    bad("dev", put(f"{SVC}.desiredCount", -1), key=f"{SVC}.desiredCount", says="greater than or equal to 0"),
    bad("dev", put(f"{SVC}.maxCount", 0), key=f"{SVC}.maxCount", says="greater than or equal to 1"),
    bad("dev", put(f"{SVC}.maxCount", 1001), key=f"{SVC}.maxCount", says="less than or equal to 1000"),
    # Fargate sizes
    bad("dev", put(f"{SVC}.cpu", 256), put(f"{SVC}.memory", 3072), key=f"{SVC}.memory", says="allowed: 512, 1024, 2048"),
    bad("dev", put(f"{SVC}.cpu", 128), key=f"{SVC}.cpu", says="not a Fargate size"),
    bad("dev", put(f"{SVC}.memory", 5120), key=f"{SVC}.memory", says="allowed: 1024..4096"),
    bad("dev", drop(f"{SVC}.cpu"), key=f"{SVC}.cpu", says="need cpu and memory"),
    bad("dev", put(f"{SVC}.containerPort", 0), key=f"{SVC}.containerPort", says="greater than or equal to 1"),
    bad("dev", put(f"{SVC}.containerPort", 65536), key=f"{SVC}.containerPort", says="less than or equal to 65535"),
    bad("dev", put(f"{SVC}.allowedCidrs", []), key=f"{SVC}.allowedCidrs", says="need allowedCidrs"),
    bad("dev", drop(f"{SVC}.certificateArn"), key=f"{SVC}.certificateArn", says="need certificateArn"),
    # Lambda services
    bad("dev", put(f"{FN}.memoryMb", 127), key=f"{FN}.memoryMb", says="greater than or equal to 128"),
    bad("dev", put(f"{FN}.memoryMb", 10241), key=f"{FN}.memoryMb", says="less than or equal to 10240"),
    bad("dev", put(f"{FN}.timeoutSeconds", 0), key=f"{FN}.timeoutSeconds", says="greater than or equal to 1"),
    bad("dev", put(f"{FN}.timeoutSeconds", 901), key=f"{FN}.timeoutSeconds", says="less than or equal to 900"),
    bad("dev", put(f"{FN}.reservedConcurrency", -1), key=f"{FN}.reservedConcurrency", says="greater than or equal to 0"),
    bad("dev", put(f"{FN}.cpu", 256), key=f"{FN}.cpu", says="does not apply to runtime lambda"),
    bad("dev", put(f"{FN}.containerPort", 8080), key=f"{FN}.containerPort", says="does not apply to runtime lambda"),
    bad("dev", put(f"{FN}.allowedCidrs", ["10.0.0.0/8"]), key=f"{FN}.allowedCidrs", says="does not apply to runtime lambda"),
    bad("dev", put(f"{FN}.buildImage", True), key=f"{FN}.buildImage", says="does not apply to runtime lambda"),
    bad("dev", put(f"{SVC}.memoryMb", 512), key=f"{SVC}.memoryMb", says="does not apply to runtime fargate"),
    bad("dev", put(f"{FN}.authorizer", "jwt"), key=f"{FN}.authorizer", says="authorizer jwt needs jwt"),
    bad("dev", put(f"{FN}.jwt", {"issuer": "https://id.example.com", "audience": ["a"]}), key=f"{FN}.jwt",
        says="only used with authorizer: jwt"),
    bad("dev", put(f"{FN}.trigger", "events"), key=f"{FN}.authorizer", says="applies to trigger http only"),
    # product-level bounds
    bad("dev", put("dataProducts[0].ingestion.streaming.shards", 0), key="dataProducts[0].ingestion.streaming.shards",
        says="greater than or equal to 1"),
    bad("dev", put("dataProducts[0].ingestion.streaming.shards", 501), key="dataProducts[0].ingestion.streaming.shards",
        says="less than or equal to 500"),
    bad("dev", put("dataProducts[0].ingestion.streaming.retentionHours", 167),
        key="dataProducts[0].ingestion.streaming.retentionHours", says="greater than or equal to 168"),
    bad("dev", put("dataProducts[0].ingestion.streaming.retentionHours", 8761),
        key="dataProducts[0].ingestion.streaming.retentionHours", says="less than or equal to 8760"),
    bad("dev", put("dataProducts[0].ingestion.streaming.bufferSeconds", 901),
        key="dataProducts[0].ingestion.streaming.bufferSeconds", says="less than or equal to 900"),
    bad("dev", put("dataProducts[0].ingestion.batch.workers", 1), key="dataProducts[0].ingestion.batch.workers",
        says="greater than or equal to 2"),
    bad("dev", put("dataProducts[0].ingestion.batch.workers", 300), key="dataProducts[0].ingestion.batch.workers",
        says="less than or equal to 299"),
    bad("dev", put("dataProducts[0].ingestion.batch.timeoutMinutes", 2881),
        key="dataProducts[0].ingestion.batch.timeoutMinutes", says="less than or equal to 2880"),
    bad("dev", put("dataProducts[0].ingestion.batch.onArrival", False), drop("dataProducts[0].ingestion.batch.schedule"),
        key="dataProducts[0].ingestion.batch", says="needs a schedule or onArrival"),
    bad("dev", put("dataProducts[0].ingestion.events.archiveRetentionDays", 3651),
        key="dataProducts[0].ingestion.events.archiveRetentionDays", says="less than or equal to 3650"),
    # The product's own publishing sources (naming.service_event_source / dataset_event_source).
    bad("dev", put("dataProducts[0].ingestion.events.sources", ["retail.pos", "retail.orders.ods"]),
        key="dataProducts[0].ingestion.events.sources[1]", says="publishes its own events under"),
    bad("dev", put("dataProducts[0].ingestion.events.sources", ["retail.orders.datasets"]),
        key="dataProducts[0].ingestion.events.sources[0]", says="publishes its own events under"),
    bad("dev", put("dataProducts[0].ingestion.events.sources", ["aws.s3"]),
        key="dataProducts[0].ingestion.events.sources[0]", says="not start with 'aws.'"),
    bad("dev", put("dataProducts[0].ingestion.events.sources", ["retail.orders", "retail.orders"]),
        key="dataProducts[0].ingestion.events.sources[1]", says="duplicate event source"),
    bad("dev", put("dataProducts[0].ingestion", {}), key="dataProducts[0].ingestion", says="at least one of batch"),
    bad("dev", put("dataProducts[0].lifecycle", {"transitionToIaDays": 29}),
        key="dataProducts[0].lifecycle.transitionToIaDays", says="greater than or equal to 30"),
    bad("dev", put("dataProducts[0].lifecycle", {"transitionToIaDays": 90, "transitionToGlacierDays": 90}),
        key="dataProducts[0].lifecycle.transitionToGlacierDays", says="must be after transitionToIaDays"),
    bad("dev", put("dataProducts[0].classification", "secret"), key="dataProducts[0].classification",
        says="'public', 'internal', 'confidential' or 'restricted'"),
    bad("dev", put("dataProducts[0].name", "o"), key="dataProducts[0].name", says="at least 2 characters"),
    bad("dev", put("dataProducts[0].name", "a" * 25), key="dataProducts[0].name", says="at most 24 characters"),
    # names and accounts
    bad("dev", put("businessUnit", "r"), key="businessUnit", says="pattern"),
    bad("dev", put("businessUnit", "r" * 13), key="businessUnit", says="pattern"),
    bad("dev", put("businessUnit", "Retail"), key="businessUnit", says="pattern"),
    bad("dev", put("account.id", "11111111111"), key="account.id", says="12-digit"),
    bad("dev", put("account.deployRole", "r" * 65), key="account.deployRole", says="pattern"),
    bad("dev", put("aws:region", "moon-1"), key="aws:region", says="unknown AWS region 'moon-1'"),
    bad("dev", put("regionRole", "secondary"), key="regionRole", says="'primary' or 'dr'"),
    bad("dev", put("dr.hostedZoneId", "123"), key="dr.hostedZoneId", says="pattern"),
]

WRITTEN += [bad("dev", put(f"{USER}.sshPublicKey", key), key=f"{USER}.sshPublicKey", says=says) for key, says in SSH_BAD]

CASES = generated() + WRITTEN


def test_the_table_is_big_enough():
    assert len(generated()) >= 200 and len(CASES) >= 350
    assert len(VALID) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_config_is_one_line_naming_the_key(case: Bad):
    cfg = apply(case.stack, case.ops)
    source = f"Pulumi.{case.stack}.yaml"
    with pytest.raises(SettingsError) as exc:
        parse_settings(cfg, source=source)
    msg = str(exc.value)
    assert "\n" not in msg, msg
    assert msg.startswith(f"{source}: {case.blamed()}: "), msg
    assert case.fragment in msg, msg


# --- valid variants ----------------------------------------------------------------------------

LONGEST_BU = "retailgroup1"   # 12 characters, the longest businessUnit
VALID: list[tuple[str, tuple, Optional[Callable[[StackSettings], bool]]]] = [
    ("dev", (), lambda s: s.nat_strategy == "single" and len(s.services) == 2),
    ("dr", (), lambda s: s.region_role == "dr"),
    ("marketing", (), lambda s: s.alarms is None and s.nat_strategy == "none"),
    ("dev", (put(f"{ODS}.dax", {"enabled": False}),), lambda s: not s.data_products[0].operational_store.dax.enabled),
    ("dev", (drop("services"), drop("dr")), lambda s: not s.services),
    ("dev", (put("services", [{"name": "order-events", "runtime": "lambda", "dataProduct": "orders"}]), drop("dr")),
     lambda s: [v.runtime for v in s.services] == ["lambda"]),
    ("dev", (put("dataProducts", [PRODUCT_MIN]), drop("services"), drop("dr")),
     lambda s: s.data_products[0].name == "ledger"),
    ("dev", (put("network.natGateways", "one-per-az"),), lambda s: s.nat_strategy == "one-per-az"),
    ("dev", (drop("network.natGateways"), put("environment", "prod")), lambda s: s.nat_strategy == "one-per-az"),
    ("dev", (drop("network.natGateways"),), lambda s: s.nat_strategy == "single"),
    ("dev", (drop("services"), drop("dr"), put("network.natGateways", "none")), lambda s: s.nat_strategy == "none"),
    ("marketing", (put("network.natGateways", "single"),), lambda s: s.nat_strategy == "single"),
    ("marketing", (put("network.natGateways", "one-per-az"),), lambda s: s.nat_strategy == "one-per-az"),
    ("dr", (put("network.natGateways", "none"),), lambda s: s.nat_strategy == "none"),
    ("dev", (put("businessUnit", LONGEST_BU), put("dataProducts[0].name", "orders-archive-x"),
             put("services[0].dataProduct", "orders-archive-x"), put("services[1].dataProduct", "orders-archive-x")),
     lambda s: s.business_unit == LONGEST_BU),
    ("dev", (put("businessUnit", "rt"),), lambda s: s.business_unit == "rt"),
    ("dev", (put("aws:region", "eu-west-1"), put("drRegion", "eu-central-1"),
             put(f"{SVC}.certificateArn", CERT.replace("us-east-1", "eu-west-1"))), lambda s: s.partition == "aws"),
    ("dev", (put("aws:region", "us-gov-west-1"), put("drRegion", "us-gov-east-1"),
             put(f"{SVC}.certificateArn", CERT.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1"))),
     lambda s: s.partition == "aws-us-gov"),
    ("dev", (put("aws:region", "cn-north-1"), put("drRegion", "cn-northwest-1"),
             put(f"{SVC}.certificateArn", CERT.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1"))),
     lambda s: s.partition == "aws-cn"),
    ("dr", (put("aws:region", "eu-west-1"), put("dr.certificateArn", CERT.replace("us-east-1", "eu-west-1"))), None),
    ("dev", (put("tags", tags(limits.MAX_USER_TAGS)),), lambda s: len(s.tags) == limits.MAX_USER_TAGS),
    ("dev", (put("tags", {"k" * 128: "v" * 256, "Équipe données": "été 2024/Q3 +x=y@z:w_"}),), None),
    ("dev", (put("owner", "o" * 256),), None),
    ("dev", (put("network.cidr", "10.0.0.0/20"),), None),
    ("dev", (put("network.cidr", "172.16.0.0/16"),), None),
    ("dev", (put("network.cidr", "192.168.0.0/16"),), None),
    ("dev", (put(f"{USER}.sshPublicKey", RSA2048),), None),
    ("dev", (put(f"{USER}.sshPublicKey", ECDSA["secp256r1"]),), None),
    ("dev", (put(f"{USER}.sshPublicKey", ECDSA["secp384r1"] + " partner key 2024"),), None),
    ("dev", (put(f"{USER}.sshPublicKey", ECDSA["secp521r1"]),), None),
    ("dev", (put(f"{USER}.sshPublicKey", ED25519),), None),
    ("dev", (drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "public.ecr.aws/docker/library/python:3.12-slim")), None),
    ("dev", (drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "111111111111.dkr.ecr.us-east-1.amazonaws.com/orders-api@sha256:"
                                                           + "a" * 64)), None),
    ("dev", (drop(f"{SVC}.buildImage"), put(f"{SVC}.image", "localhost:5000/team/orders_api:" + "t" * 128)), None),
    ("dev", (put("dataProducts[0].crawlerSchedule", "cron(15 6 ? * MON-FRI *)"),), None),
    ("dev", (put("dataProducts[0].crawlerSchedule", "cron(59 23 L JAN-MAR ? 2199)"),), None),
    ("dev", (put("dataProducts[0].crawlerSchedule", "cron(0/15 0 15W * ? 1970)"),), None),
    ("dev", (put("dataProducts[0].ingestion.batch.schedule", "cron(0 3 ? * 6#3 *)"),), None),
    ("dev", (put("dataProducts[0].ingestion.batch.schedule", "cron(0,30 1-5 ? * SUN,SAT *)"),), None),
    ("dev", (put(f"{SVC}.minCount", 0), put(f"{SVC}.desiredCount", 0), put(f"{SVC}.maxCount", 1)),
     lambda s: (s.services[0].minimum, s.services[0].desired, s.services[0].maximum) == (0, 0, 1)),
    ("dev", (put(f"{SVC}.minCount", 6), put(f"{SVC}.desiredCount", 6)), None),
    ("dev", (put(f"{SVC}.desiredCount", 1000), put(f"{SVC}.maxCount", 1000)), None),
    ("dev", (put(f"{SVC}.cpu", 256), put(f"{SVC}.memory", 512)), None),
    ("dev", (put(f"{SVC}.cpu", 16384), put(f"{SVC}.memory", 122880)), None),
    ("dev", (put(f"{SVC}.containerPort", 65535),), None),
    ("dev", (put(f"{SVC}.allowedCidrs", cidrs4(30) + cidrs6(30)),), lambda s: len(s.services[0].allowed_cidrs) == 60),
    ("dev", (put("dataProducts[0].consumers", accounts(298)),), None),  # 298 + 2 sources = 300 rules
    ("dev", (put("dataProducts[0].ingestion.streaming.requiredFields", fields_of_size(ENV_BUDGET)),), None),
    ("dev", (put("alarms", {"https": ["https://events.example.com/sns/retail?x=1"]}),),
     lambda s: s.alarms.endpoints == [("https", "https://events.example.com/sns/retail?x=1")]),
    ("dev", (put("alarms", {"email": ["a@example.com"], "https": ["https://hooks.example.com:8443/a"]}),),
     lambda s: [p for p, _ in s.alarms.endpoints] == ["email", "https"]),
    ("dev", (drop(f"{ODS}.sortKey"),), lambda s: s.data_products[0].operational_store.sort_key is None),
    ("dev", (put(f"{ODS}.partitionKeyType", "N"), put(f"{ODS}.sortKeyType", "N")), None),
    ("dev", (put(f"{ODS}.dax", {"nodeType": "dax.t3.small", "nodes": 11}),), None),
    ("dev", (put(f"{ODS}.dax.nodeType", "dax.r5.24xlarge"),), None),
    ("dev", (put("dataProducts[0].ingestion.streaming.shards", 500), put("dataProducts[0].ingestion.batch.workers", 299)),
     None),
    ("dev", (put(f"{FN}.memoryMb", 10240), put(f"{FN}.timeoutSeconds", 900)), None),
    ("dev", (put(f"{FN}.memoryMb", 128), put(f"{FN}.timeoutSeconds", 1)), None),
    ("marketing", (put("consumes[0].analystRole", "MarketingAnalyst"),), None),
    ("marketing", (put("consumes[1]", {"stack": "organization/data-delivery-platform/dev", "dataProduct": "customers",
                                       "datasets": ["customers@1"]}),),
     None),
    ("dr", (put("dr.daxEnabled", True),), lambda s: s.dr.dax_enabled),
    ("dev", (put("dr.replicationTimeControl", True),), None),
    ("dev", (put("tags", {"team": ""}),), None),
]


@pytest.mark.parametrize("stack, ops, check", VALID, ids=[f"{v[0]}:{';'.join(o.__doc__ or '' for o in v[1])}"[:120]
                                                           for v in VALID])
def test_valid_variants_keep_working(stack, ops, check):
    settings = parse_settings(apply(stack, ops), source=f"Pulumi.{stack}.yaml")
    if check is not None:
        assert check(settings)


# --- every numeric bound of the models, both sides ---------------------------------------------

from annotated_types import Ge, Le  # noqa: E402

from stackconfig import model as m  # noqa: E402

# Where each model lives in the dev stack, and what other keys a bound value needs to stay valid.
WHERE = {m.BatchIngestion: "dataProducts[0].ingestion.batch", m.StreamingIngestion: "dataProducts[0].ingestion.streaming",
         m.EventsIngestion: "dataProducts[0].ingestion.events", m.DaxSettings: f"{ODS}.dax",
         m.LifecycleSettings: "dataProducts[0].lifecycle", m.ServiceSettings: SVC}
LAMBDA_FIELDS = {"memory_mb", "timeout_seconds", "reserved_concurrency"}
COMPANIONS = {  # (field, bound) -> other keys set alongside
    ("desired_count", 0): {"minCount": 0}, ("desired_count", 1000): {"maxCount": 1000},
    ("min_count", 1000): {"desiredCount": 1000, "maxCount": 1000},
    ("max_count", 1): {"minCount": 1, "desiredCount": 1},
}


def _bounds() -> list[tuple[str, str, int, int, str]]:
    """(path, camel key, valid value, invalid value, expected fragment) for every ge/le bound."""
    out = []
    for model, path in WHERE.items():
        for name, f in model.model_fields.items():
            for meta in f.metadata:
                if not isinstance(meta, (Ge, Le)):
                    continue
                where = FN if name in LAMBDA_FIELDS else path
                if isinstance(meta, Ge):
                    out.append((where, name, meta.ge, meta.ge - 1, f"greater than or equal to {meta.ge}"))
                else:
                    out.append((where, name, meta.le, meta.le + 1, f"less than or equal to {meta.le}"))
    return out


BOUNDS = _bounds()


def test_every_bound_is_in_the_table():
    assert len(BOUNDS) >= 20
    fields = {(name, v) for _, name, v, _, _ in BOUNDS}
    assert ("nodes", 3) in fields and ("nodes", 11) in fields and ("container_port", 65535) in fields


@pytest.mark.parametrize("path, name, valid, invalid, says", BOUNDS, ids=[f"{b[1]}={b[2]}|{b[3]}" for b in BOUNDS])
def test_bound_both_sides(path, name, valid, invalid, says):
    from pydantic.alias_generators import to_camel

    key = f"{path}.{to_camel(name)}"
    extra = [put(path, {})] if path == "dataProducts[0].lifecycle" else []  # dev leaves lifecycle at defaults
    extra += [put(f"{path}.{k}", v) for k, v in COMPANIONS.get((name, valid), {}).items()]
    parse_settings(apply("dev", (*extra, put(key, valid))), source="Pulumi.dev.yaml")
    with pytest.raises(SettingsError) as exc:
        parse_settings(apply("dev", (*extra, put(key, invalid))), source="Pulumi.dev.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"Pulumi.dev.yaml: {PROJECT}:{key}: ") and says in msg, msg
