"""Realistic Pulumi mocks that record everything the program registers.

One implementation serves the test suite, the offline preview, the policy check and the
benchmark. The mocks answer like AWS would: ids in the provider's formats, ARNs in the stack's
account, region and partition, the awsx VPC's subnets per AZ, and StackReference outputs taken
from the referenced stack's own offline run. Everything is deterministic (ids derive from the
resource's type and name), so two runs of the same stack give the same graph.

Each builder returns what the provider reports for that resource type -- the id and every computed
attribute in the provider's own format -- and names the provider source it follows. A type without
a builder gets its inputs back and nothing else: no attribute is invented. Like the engine, the
recording monitor refuses a second resource with the same URN.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


@dataclass
class Record:
    """One registered resource as the engine would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    providers: dict[str, str]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    remote: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn, "type": self.type, "name": self.name, "custom": self.custom,
            "parent": self.parent or None, "provider": self.provider, "providers": self.providers,
            "protect": self.protect, "retain_on_delete": self.retain_on_delete,
            "dependencies": self.dependencies, "id": self.id,
            "inputs": plain(self.inputs), "outputs": plain(self.outputs), "remote": self.remote,
            "ignore_changes": list(self.ignore_changes), "property_dependencies": dict(self.property_dependencies),
        }


def decoded_provider_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Providers receive nested config as JSON text (the engine sends it so); decode it to read it."""
    out = {}
    for k, v in inputs.items():
        if isinstance(v, str) and v[:1] in "[{":
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[k] = v
    return out


def plain(value: Any) -> Any:
    """JSON-safe copy of deserialized property values (resources become their URN)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        path = getattr(value, "path", None) or getattr(value, "text", None)
        return f"<{type(value).__name__} {path}>" if path else f"<{type(value).__name__}>"
    return str(value)


# --- provider facts ---------------------------------------------------------------------------
# Values AWS assigns per region that the provider reports verbatim. Unknown regions raise: a mock
# that guessed would hide exactly the kind of defect these mocks exist to catch.

# terraform-provider-aws internal/service/elbv2/hosted_zone_id_data_source.go: hostedZoneIDPerRegionALBMap
# (the CanonicalHostedZoneId DescribeLoadBalancers returns for an application load balancer)
ALB_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z268VQBMOI5EKX", "ap-east-1": "Z3DQVH9N71FHZ0", "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX", "ap-northeast-3": "Z5LXEXXYW11ES", "ap-south-1": "ZP97RAFLXTNZK",
    "ap-south-2": "Z0173938T07WNTVAEPZN", "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65",
    "ap-southeast-3": "Z08888821HLRG5A9ZRTER", "ap-southeast-4": "Z09517862IB2WZLPXG76F",
    "ca-central-1": "ZQSVJUPU6J1EY", "ca-west-1": "Z06473681N0SF6OS049SD", "cn-north-1": "Z1GDH35T77C1KE",
    "cn-northwest-1": "ZM7IZAIOVVDZF", "eu-central-1": "Z215JYRZR1TBD5", "eu-central-2": "Z06391101F2ZOEP8P5EB3",
    "eu-north-1": "Z23TAZ6LKFMNIO", "eu-south-1": "Z3ULH7SSC9OV64", "eu-south-2": "Z0956581394HF5D5LXGAP",
    "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8", "eu-west-3": "Z3Q77PNBQS71R4",
    "il-central-1": "Z09170902867EHPV2DABU", "me-central-1": "Z08230872XQRWHG2XF6I", "me-south-1": "ZS929ML54UICD",
    "sa-east-1": "Z2P70J7HTTTPLU", "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2",
    "us-gov-east-1": "Z166TLBEWOO7G0", "us-gov-west-1": "Z33AYJ8TM3BH4J", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
}
# same file: hostedZoneIDPerRegionNLBMap
NLB_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z203XCE67M25HM", "ap-east-1": "Z12Y7K3UBGUAD1", "ap-northeast-1": "Z31USIVHYNEOWT",
    "ap-northeast-2": "ZIBE1TIR4HY56", "ap-northeast-3": "Z1GWIQ4HH19I5X", "ap-south-1": "ZVDDRBQ08TROA",
    "ap-south-2": "Z0711778386UTO08407HT", "ap-southeast-1": "ZKVM4W9LS7TM", "ap-southeast-2": "ZCT6FZBF4DROD",
    "ap-southeast-3": "Z01971771FYVNCOVWJU1G", "ap-southeast-4": "Z01156963G8MIIL7X90IV",
    "ca-central-1": "Z2EPGBW3API2WT", "ca-west-1": "Z02754302KBB00W2LKWZ9", "cn-north-1": "Z3QFB96KMJ7ED6",
    "cn-northwest-1": "ZQEIKTCZ8352D", "eu-central-1": "Z3F0SRJ5LGBH90", "eu-central-2": "Z02239872DOALSIDCX66S",
    "eu-north-1": "Z1UDT6IFJ4EJM", "eu-south-1": "Z23146JA1KNAFP", "eu-south-2": "Z1011216NVTVYADP1SSV",
    "eu-west-1": "Z2IFOLAFXWLO4F", "eu-west-2": "ZD4D7Y8KGAS4G", "eu-west-3": "Z1CMS0P5QUZ6D5",
    "il-central-1": "Z0313266YDI6ZRHTGQY4", "me-central-1": "Z00282643NTTLPANJJG2P", "me-south-1": "Z3QSRYVP46NYYV",
    "sa-east-1": "ZTK26PT1VY4CU", "us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP",
    "us-gov-east-1": "Z1ZSMQQ6Q24QQ8", "us-gov-west-1": "ZMG1MZ2THAWF1", "us-west-1": "Z24FKFUX50B4VW",
    "us-west-2": "Z18D5FSROUN65G",
}
# terraform-provider-aws internal/service/s3/hosted_zones.go: hostedZoneIDsMap (aws_s3_bucket.hosted_zone_id)
S3_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z83WF9RJE8B12", "ap-east-1": "ZNB98KWMFR0R6", "ap-northeast-1": "Z2M4EHUR26P7ZW",
    "ap-northeast-2": "Z3W03O7B5YMIYP", "ap-northeast-3": "Z2YQB5RD63NC85", "ap-south-1": "Z11RGJOFQNVJUP",
    "ap-south-2": "Z02976202B4EZMXIPMXF7", "ap-southeast-1": "Z3O0J2DXBE1FTB", "ap-southeast-2": "Z1WCIGYICN2BYD",
    "ap-southeast-3": "Z01846753K324LI26A3VV", "ap-southeast-4": "Z0312387243XT5FE14WFO",
    "ap-southeast-5": "Z08660063OXLMA7F1FJHU", "ca-central-1": "Z1QDHH18159H29", "ca-west-1": "Z03565811Z33SLEZTHOUL",
    "cn-north-1": "Z5CN8UMXT92WN", "cn-northwest-1": "Z282HJ1KT0DH03", "eu-central-1": "Z21DNDUVLTQW6Q",
    "eu-central-2": "Z030506016YDQGETNASS", "eu-north-1": "Z3BAZG2TWCNX0D", "eu-south-1": "Z30OZKI7KPW7MI",
    "eu-south-2": "Z0081959F7139GRJC19J", "eu-west-1": "Z1BKCTXD74EZPE", "eu-west-2": "Z3GKZC51ZF0DB4",
    "eu-west-3": "Z3R1K369G5AVDG", "il-central-1": "Z09640613K4A3MN55U7GU", "me-central-1": "Z06143092I8HRXZRUZROF",
    "me-south-1": "Z1MPMWCPA7YB62", "sa-east-1": "Z7KQH4QJS55SO", "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX", "us-gov-east-1": "Z2NIFVYYW2VKV1", "us-gov-west-1": "Z31GFT0UA1I2HV",
    "us-west-1": "Z2F56UZL2M1ACD", "us-west-2": "Z3BJ6K6RIION7M",
}
# AZ IDs are <region code>-az<n> (use1-az1, usw2-az1); GovCloud's codes differ from our name codes.
_AZ_ID_PREFIX_OVERRIDES = {"us-gov-west-1": "usgw1", "us-gov-east-1": "usge1"}

# DAX serves plaintext on 8111 ("dax" scheme) and TLS on 9111 ("daxs"): AWS DAX API reference, Endpoint.URL.
DAX_PORT_PLAINTEXT = 8111
DAX_PORT_TLS = 9111


def _fact(table: dict[str, str], region: str, what: str) -> str:
    try:
        return table[region]
    except KeyError:
        raise KeyError(f"offline mocks: no {what} known for region '{region}'") from None


def az_id_prefix(region: str) -> str:
    from stackconfig.regions import short_code

    return _AZ_ID_PREFIX_OVERRIDES.get(region) or short_code(region)


def _alnum(seed: str, n: int) -> str:
    """n lowercase base-36 characters derived from seed (API Gateway ids, DAX cluster DNS labels)."""
    num = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(n):
        num, r = divmod(num, 36)
        out.append(chars[r])
    return "".join(out)


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _iam_unique_id(prefix: str, seed: str) -> str:
    # IAM unique ids: a 4-letter type prefix (AROA role, ANPA managed policy) + 17 characters.
    return prefix + _hex(seed, 17).upper()


def _last(arn_or_name: Any) -> str:
    return str(arn_or_name or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


class PlatformMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes like AWS for one account and region."""

    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        partition: str = "aws",
        stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
        stack_output_loader: Optional[Callable[[str], dict[str, Any]]] = None,
    ):
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        self.stack_outputs = dict(stack_outputs or {})
        self.stack_output_loader = stack_output_loader
        # provider resource name -> region / decoded inputs, so multi-region stacks get ARNs in the
        # right region and invokes answer for the provider they were sent to
        self.provider_regions: dict[str, str] = {}
        self.provider_inputs: dict[str, dict[str, Any]] = {}
        # what later registrations and invokes read back from earlier ones
        self.vpc_cidrs: dict[str, str] = {}
        self.api_protocols: dict[str, str] = {}

    # --- helpers -------------------------------------------------------------------------
    @staticmethod
    def _provider_name(ref: Optional[str]) -> Optional[str]:
        # a provider reference is "<provider urn>::<provider id>"; the urn ends with "::<name>"
        if not ref:
            return None
        parts = ref.split("::")
        return parts[-2] if len(parts) >= 5 else None

    def _region_of(self, args: pmocks.MockResourceArgs) -> str:
        inputs_region = args.inputs.get("region")
        if inputs_region:
            return inputs_region
        prov = self._provider_name(args.provider)
        return self.provider_regions.get(prov, self.region) if prov else self.region

    def arn(self, service: str, resource: str, *, region: Optional[str] = None, account: bool = True) -> str:
        reg = self.region if region is None else region
        acct = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}"

    # --- Mocks API -----------------------------------------------------------------------
    def new_resource(self, args: pmocks.MockResourceArgs):
        t, name, inputs = args.typ, args.name, dict(args.inputs)
        if t == "pulumi:providers:aws":
            self.provider_regions[name] = inputs.get("region", self.region)
            self.provider_inputs[name] = decoded_provider_inputs(inputs)
            # The engine gives providers a UUID id.
            return _uuid(f"provider|{name}"), inputs
        if t == "pulumi:pulumi:StackReference":
            ref = inputs.get("name", name)
            outputs = self._stack_reference(ref)
            return ref, {"name": ref, "outputs": outputs, "secretOutputNames": []}
        if not args.custom and not t.startswith("awsx:"):
            return "", {}
        region = self._region_of(args)
        builder = _BUILDERS.get(t)
        seed = f"{t}|{name}"
        if builder is None:
            # A type nobody taught the mocks: state is the inputs only. Computed attributes stay
            # absent rather than invented, so code that reads one fails here instead of in AWS.
            return f"{name}-{_hex(seed, 8)}", inputs
        rid, extra = builder(self, name, inputs, region, seed)
        if not args.custom:
            # A remote component's state is its outputs only (inputs such as awsx's natGateways
            # config share names with resource-typed outputs).
            return rid, extra
        return rid, {**inputs, **extra}

    def _stack_reference(self, ref: str) -> dict[str, Any]:
        if ref not in self.stack_outputs and self.stack_output_loader is not None:
            self.stack_outputs[ref] = self.stack_output_loader(ref)
        if ref not in self.stack_outputs:
            raise KeyError(f"no outputs known for stack reference '{ref}'")
        return self.stack_outputs[ref]

    def _caller(self, provider_ref: Optional[str]) -> dict[str, Any]:
        """aws:index/getCallerIdentity for the provider the invoke went to: with assumeRoles the
        caller is the assumed-role session (STS GetCallerIdentity), else the account root."""
        prov = self.provider_inputs.get(self._provider_name(provider_ref) or "", {})
        roles = prov.get("assumeRoles") or []
        if isinstance(roles, dict):
            roles = [roles]
        role_arn = roles[0].get("roleArn") if roles else None
        if role_arn:
            account = role_arn.split(":")[4]
            role_name = role_arn.rsplit("/", 1)[-1]
            session = roles[0].get("sessionName") or "aws-go-sdk-1700000000000000000"
            role_id = _iam_unique_id("AROA", f"role|{role_arn}")
            return {"accountId": account, "arn": f"arn:{self.partition}:sts::{account}:assumed-role/{role_name}/{session}",
                    "userId": f"{role_id}:{session}", "id": account}
        return {"accountId": self.account_id, "arn": f"arn:{self.partition}:iam::{self.account_id}:root",
                "userId": self.account_id, "id": self.account_id}

    def call(self, args: pmocks.MockCallArgs):
        tok, a = args.token, args.args
        prov = self._provider_name(getattr(args, "provider", None))
        region = self.provider_regions.get(prov, self.region) if prov else self.region
        if tok == "aws:index/getCallerIdentity:getCallerIdentity":
            return self._caller(getattr(args, "provider", None))
        if tok == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.{self.dns_suffix}"}
        if tok == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "dnsSuffix": self.dns_suffix, "id": self.partition,
                    "reverseDnsPrefix": ".".join(reversed(self.dns_suffix.split(".")))}
        if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
            prefix = az_id_prefix(region)
            return {"id": region, "names": [f"{region}{z}" for z in "abc"],
                    "zoneIds": [f"{prefix}-az{i}" for i in (1, 2, 3)], "groupNames": [region] * 3}
        if tok == "aws:ec2/getVpc:getVpc":
            vpc_id = a.get("id")
            if vpc_id not in self.vpc_cidrs:
                return a  # not a VPC this run created: nothing to report but what was asked
            return {**a, "id": vpc_id, "cidrBlock": self.vpc_cidrs[vpc_id], "ownerId": self.account_id,
                    "arn": self.arn("ec2", f"vpc/{vpc_id}", region=region), "state": "available",
                    "instanceTenancy": "default", "default": False}
        if tok == "aws:ec2/getRouteTables:getRouteTables":
            vpc = a.get("vpcId", "vpc")
            kind = ((a.get("filters") or [{}])[0].get("values") or ["Private"])[0]
            return {"id": region, "vpcId": vpc, "ids": [f"rtb-{_hex(f'{vpc}|{kind}|{z}', 17)}" for z in "abc"]}
        return a


def _name(inputs: dict, key: str, fallback: str, seed: str) -> str:
    """The physical name: the input when given, else the provider's autoname
    (pulumi-terraform-bridge: the resource name, "-", 7 random hex characters)."""
    v = inputs.get(key)
    return v if isinstance(v, str) and v else f"{fallback}-{_hex(seed, 7)}"


# terraform-provider-aws internal/service/s3/bucket.go: id = bucket; arn = arn:<p>:s3:::<bucket>;
# bucket_domain_name = "<bucket>.s3.<dns suffix>"; bucketRegionalDomainName = "%s.s3.%s.%s" (bucket,
# region, dns suffix) for every region, us-east-1 included; hosted_zone_id from hosted_zones.go.
def _bucket(m, name, inputs, region, seed):
    b = _name(inputs, "bucket", name, seed)
    return b, {"bucket": b, "arn": f"arn:{m.partition}:s3:::{b}", "bucketDomainName": f"{b}.s3.{m.dns_suffix}",
               "bucketRegionalDomainName": f"{b}.s3.{region}.{m.dns_suffix}", "region": region,
               "hostedZoneId": _fact(S3_HOSTED_ZONE_IDS, region, "S3 hosted zone id")}


# terraform-provider-aws internal/service/kms/key.go: id = key_id (a UUID); arn = arn:<p>:kms:<region>:<acct>:key/<key id>
def _kms_key(m, name, inputs, region, seed):
    kid = _uuid(seed)
    return kid, {"keyId": kid, "arn": m.arn("kms", f"key/{kid}", region=region)}


# terraform-provider-aws internal/service/kms/alias.go: id = name; arn = arn:...:<alias name>;
# target_key_arn = the key's ARN (aliasARNToKeyARN: the alias ARN with "key/<target_key_id>" as resource)
def _kms_alias(m, name, inputs, region, seed):
    a = inputs.get("name") or f"alias/{name}-{_hex(seed, 7)}"
    target = str(inputs.get("targetKeyId") or "")
    target_arn = target if target.startswith("arn:") else m.arn("kms", f"key/{target}", region=region)
    return a, {"name": a, "arn": m.arn("kms", a, region=region), "targetKeyArn": target_arn}


# terraform-provider-aws internal/service/dynamodb/table.go: id = name; arn = table ARN;
# stream_arn = LatestStreamArn = "<table arn>/stream/<label>", stream_label = LatestStreamLabel, an
# ISO 8601 timestamp with milliseconds (e.g. 2015-05-11T21:21:33.291); both only when streams are on.
def _table(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("dynamodb", f"table/{n}", region=region)
    extra: dict[str, Any] = {"arn": arn, "name": n}
    if inputs.get("streamEnabled"):
        label = "2025-01-15T09:30:12.345"
        extra.update(streamArn=f"{arn}/stream/{label}", streamLabel=label)
    return n, extra


# terraform-provider-aws internal/service/dynamodb/table_replica.go: id = tableReplicaCreateResourceID
# (table name, main region) = "<table>:<main region>"; arn = the replica table's ARN in its own region.
def _table_replica(m, name, inputs, region, seed):
    source = str(inputs.get("globalTableArn", ""))
    table = source.rsplit("/", 1)[-1] or name
    main_region = source.split(":")[3] if source.count(":") >= 5 else m.region
    return f"{table}:{main_region}", {"arn": m.arn("dynamodb", f"table/{table}", region=region)}


# terraform-provider-aws internal/service/iam/role.go: id = name; arn = arn:<p>:iam::<acct>:role<path><name>;
# unique_id = RoleId ("AROA" + 17 characters)
def _role(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    path = inputs.get("path") or "/"
    return n, {"name": n, "arn": f"arn:{m.partition}:iam::{m.account_id}:role{path}{n}",
               "uniqueId": _iam_unique_id("AROA", seed)}


# terraform-provider-aws internal/service/iam/role_policy.go: id = "<role name>:<policy name>"
def _role_policy(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return f"{_last(inputs.get('role'))}:{n}", {"name": n}


# terraform-provider-aws internal/service/iam/policy.go: id = arn; policy_id = "ANPA" + 17 characters
def _policy(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    path = inputs.get("path") or "/"
    arn = f"arn:{m.partition}:iam::{m.account_id}:policy{path}{n}"
    return arn, {"name": n, "arn": arn, "policyId": _iam_unique_id("ANPA", seed)}


# terraform-provider-aws internal/service/logs/group.go: id = name; arn without the trailing ":*"
# (trimLogGroupARNWildcardSuffix)
def _log_group(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("logs", f"log-group:{n}", region=region)}


# terraform-provider-aws internal/service/sqs/queue.go: id = url (GetQueueUrl:
# https://sqs.<region>.<dns suffix>/<acct>/<name>); arn = arn:<p>:sqs:<region>:<acct>:<name>
def _queue(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    if inputs.get("fifoQueue") and not n.endswith(".fifo"):
        n += ".fifo"
    url = f"https://sqs.{region}.{m.dns_suffix}/{m.account_id}/{n}"
    return url, {"name": n, "arn": m.arn("sqs", n, region=region), "url": url}


# terraform-provider-aws internal/service/sns/topic.go: id = arn = arn:<p>:sns:<region>:<acct>:<name>
def _topic(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("sns", n, region=region)
    return arn, {"name": n, "arn": arn}


# terraform-provider-aws internal/service/lambda/function.go: id = function_name; qualified_arn and
# version are those of the latest version (findLatestFunctionVersionByName): "$LATEST" unless publish
# is set, then "1" for a new function; invoke_arn (invokeARN) =
# arn:<p>:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
def _lambda(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("lambda", f"function:{n}", region=region)
    version = "1" if inputs.get("publish") else "$LATEST"

    def invoke(target: str) -> str:
        return f"arn:{m.partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{target}/invocations"

    return n, {"name": n, "arn": arn, "qualifiedArn": f"{arn}:{version}", "version": version,
               "invokeArn": invoke(arn), "qualifiedInvokeArn": invoke(f"{arn}:{version}")}


# terraform-provider-aws internal/service/lambda/layer_version.go: id = arn = LayerVersionArn
# (arn:<p>:lambda:<region>:<acct>:layer:<name>:<version>); layer_arn without the version; version is
# the number as a string ("1" for the first version)
def _layer(m, name, inputs, region, seed):
    n = inputs.get("layerName") or name
    layer_arn = m.arn("lambda", f"layer:{n}", region=region)
    return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}


# terraform-provider-aws internal/service/dax/cluster.go: id = lower(cluster_name); port and
# cluster_address from ClusterDiscoveryEndpoint; configuration_endpoint = fmt.Sprintf("%s:%d", address,
# port) -- host:port, no scheme. The port is 9111 for a TLS cluster (cluster_endpoint_encryption_type
# TLS), else 8111. Discovery host: <name>.<id>.dax-clusters.<region>.amazonaws.com; node hosts:
# <name>-<a..>.<id>.nodes.dax-clusters.<region>.amazonaws.com (DAX developer guide, cluster components).
def _dax(m, name, inputs, region, seed):
    n = str(inputs.get("clusterName") or name).lower()
    label = _alnum(seed, 6)
    port = DAX_PORT_TLS if inputs.get("clusterEndpointEncryptionType") == "TLS" else DAX_PORT_PLAINTEXT
    host = f"{n}.{label}.dax-clusters.{region}.{m.dns_suffix}"
    azs = list(inputs.get("availabilityZones") or [])
    count = int(inputs.get("replicationFactor") or 1)
    nodes = [{"id": f"{n}-{chr(97 + i)}", "address": f"{n}-{chr(97 + i)}.{label}.nodes.dax-clusters.{region}.{m.dns_suffix}",
              "port": port, "availabilityZone": azs[i] if i < len(azs) else f"{region}{'abc'[i % 3]}"}
             for i in range(count)]
    return n, {"arn": m.arn("dax", f"cache/{n}", region=region), "clusterAddress": host, "port": port,
               "configurationEndpoint": f"{host}:{port}", "nodes": nodes}


# terraform-provider-aws internal/service/dax/subnet_group.go and parameter_group.go: id = name; the
# subnet group also reports vpc_id. Neither has an ARN attribute.
def _dax_subnet_group(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n}


def _dax_parameter_group(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n}


# terraform-provider-aws internal/service/transfer/server.go: id = ServerId ("s-" + 17 hex); endpoint =
# RegionalHostname("<id>.server.transfer") = <id>.server.transfer.<region>.amazonaws.com;
# host_key_fingerprint = "SHA256:" + unpadded base64 of the host key's SHA-256
def _transfer(m, name, inputs, region, seed):
    sid = f"s-{_hex(seed, 17)}"
    fingerprint = base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
    return sid, {"arn": m.arn("transfer", f"server/{sid}", region=region),
                 "endpoint": f"{sid}.server.transfer.{region}.{m.dns_suffix}",
                 "hostKeyFingerprint": f"SHA256:{fingerprint}"}


# terraform-provider-aws internal/service/transfer/user.go: id = "<server id>/<user name>"
# (userCreateResourceID); arn = arn:<p>:transfer:<region>:<acct>:user/<server id>/<user name>
def _transfer_user(m, name, inputs, region, seed):
    sid, user = inputs.get("serverId"), inputs.get("userName")
    return f"{sid}/{user}", {"arn": m.arn("transfer", f"user/{sid}/{user}", region=region)}


# terraform-provider-aws internal/service/transfer/ssh_key.go: id = "<server id>/<user name>/<key id>"
def _transfer_ssh_key(m, name, inputs, region, seed):
    key_id = f"key-{_hex(seed, 17)}"
    return f"{inputs.get('serverId')}/{inputs.get('userName')}/{key_id}", {"sshKeyId": key_id}


# terraform-provider-aws internal/service/ec2/vpc_security_group.go: id = GroupId ("sg-" + 17 hex);
# arn = arn:<p>:ec2:<region>:<acct>:security-group/<id>; owner_id = account
def _sg(m, name, inputs, region, seed):
    sid = f"sg-{_hex(seed, 17)}"
    return sid, {"arn": m.arn("ec2", f"security-group/{sid}", region=region),
                 "name": _name(inputs, "name", name, seed), "ownerId": m.account_id}


# terraform-provider-aws internal/service/ec2/vpc_security_group_{ingress,egress}_rule.go: id =
# security_group_rule_id ("sgr-" + 17 hex); arn = arn:...:security-group-rule/<id>
def _sg_rule(m, name, inputs, region, seed):
    rid = f"sgr-{_hex(seed, 17)}"
    return rid, {"securityGroupRuleId": rid, "arn": m.arn("ec2", f"security-group-rule/{rid}", region=region)}


# terraform-provider-aws internal/service/ec2/vpc_endpoint.go: id = "vpce-" + 17 hex;
# arn = arn:...:vpc-endpoint/<id>; gateway endpoints report their service's prefix list ("pl-" + 8 hex)
def _vpc_endpoint(m, name, inputs, region, seed):
    vid = f"vpce-{_hex(seed, 17)}"
    extra = {"arn": m.arn("ec2", f"vpc-endpoint/{vid}", region=region), "ownerId": m.account_id}
    if inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        extra["prefixListId"] = f"pl-{_hex(str(inputs.get('serviceName')), 8)}"
    return vid, extra


# terraform-provider-aws internal/service/ec2/vpc_flow_log.go: id = "fl-" + 17 hex;
# arn = arn:...:vpc-flow-log/<id>
def _flow_log(m, name, inputs, region, seed):
    fid = f"fl-{_hex(seed, 17)}"
    return fid, {"arn": m.arn("ec2", f"vpc-flow-log/{fid}", region=region)}


# terraform-provider-aws internal/service/elbv2/load_balancer.go: id = arn
# (arn:...:loadbalancer/<app|net>/<name>/<16 hex>); arn_suffix = the part after "loadbalancer/";
# dns_name and zone_id are DescribeLoadBalancers' DNSName / CanonicalHostedZoneId: an ALB is
# "<name>-<digits>.<region>.elb.amazonaws.com" ("internal-" first when internal), an NLB
# "<name>-<16 hex>.elb.<region>.amazonaws.com"; zone ids per region from hosted_zone_id_data_source.go.
def _lb(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    network = inputs.get("loadBalancerType") == "network"
    suffix = f"{'net' if network else 'app'}/{n}/{_hex(seed, 16)}"
    arn = m.arn("elasticloadbalancing", f"loadbalancer/{suffix}", region=region)
    prefix = "internal-" if inputs.get("internal") else ""
    if network:
        dns = f"{prefix}{n}-{_hex(seed + 'dns', 16)}.elb.{region}.{m.dns_suffix}"
        zone = _fact(NLB_HOSTED_ZONE_IDS, region, "NLB hosted zone id")
    else:
        dns = f"{prefix}{n}-{_digits(seed, 10)}.{region}.elb.{m.dns_suffix}"
        zone = _fact(ALB_HOSTED_ZONE_IDS, region, "ALB hosted zone id")
    return arn, {"arn": arn, "arnSuffix": suffix, "dnsName": dns, "zoneId": zone, "name": n}


# terraform-provider-aws internal/service/elbv2/target_group.go: id = arn
# (arn:...:targetgroup/<name>/<16 hex>); arn_suffix = "targetgroup/<name>/<16 hex>"
def _tg(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    suffix = f"targetgroup/{n}/{_hex(seed, 16)}"
    arn = m.arn("elasticloadbalancing", suffix, region=region)
    return arn, {"arn": arn, "arnSuffix": suffix, "name": n}


# terraform-provider-aws internal/service/elbv2/listener.go: id = arn =
# arn:...:listener/<app|net>/<load balancer name>/<lb 16 hex>/<listener 16 hex>
def _listener(m, name, inputs, region, seed):
    lb_arn = str(inputs.get("loadBalancerArn") or "")
    lb_part = lb_arn.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in lb_arn else f"app/{name}/{_hex(seed, 16)}"
    arn = m.arn("elasticloadbalancing", f"listener/{lb_part}/{_hex(seed + 'l', 16)}", region=region)
    return arn, {"arn": arn}


# terraform-provider-aws internal/service/ecs/cluster.go: id = arn = arn:...:cluster/<name>
def _ecs_cluster(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("ecs", f"cluster/{n}", region=region)
    return arn, {"arn": arn, "name": n}


# terraform-provider-aws internal/service/ecs/task_definition.go: id = family; arn =
# arn:...:task-definition/<family>:<revision> (1 for a new family); arn_without_revision
def _task_def(m, name, inputs, region, seed):
    fam = inputs.get("family") or name
    base = m.arn("ecs", f"task-definition/{fam}", region=region)
    return fam, {"arn": f"{base}:1", "revision": 1, "arnWithoutRevision": base}


# terraform-provider-aws internal/service/ecs/service.go: id = ServiceArn, in the long format ECS uses
# by default: arn:...:service/<cluster name>/<service name>
def _ecs_service(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    cluster = _last(inputs.get("cluster")) or "default"
    arn = m.arn("ecs", f"service/{cluster}/{n}", region=region)
    return arn, {"name": n, "arn": arn}


# terraform-provider-aws internal/service/ecr/repository.go: id = name; registry_id = account;
# repository_url = RepositoryUri = <registry id>.dkr.ecr.<region>.amazonaws.com/<name>
def _ecr(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("ecr", f"repository/{n}", region=region), "registryId": m.account_id,
               "repositoryUrl": f"{m.account_id}.dkr.ecr.{region}.{m.dns_suffix}/{n}"}


# pulumi-awsx awsx/ecr/image.ts: imageUri = `${repositoryUrl}@${digest}` of the pushed image (the
# docker-build Image's digest, "sha256:" + 64 hex). Offline nothing is built: the digest is derived
# from the build inputs and the Dockerfile and context contents, so it changes when the image would.
def _awsx_image(m, name, inputs, region, seed):
    h = hashlib.sha256(seed.encode())
    # The digest depends on what is built (the context's files), not on where the checkout lives.
    where = {k: v for k, v in inputs.items() if k not in ("dockerfile", "context")}
    h.update(json.dumps(plain(where), sort_keys=True, default=str).encode())
    for key in ("dockerfile", "context"):
        path = inputs.get(key)
        if isinstance(path, str) and path:
            _hash_tree(h, Path(path))
    return f"{name}-{_hex(seed, 8)}", {"imageUri": f"{inputs.get('repositoryUrl')}@sha256:{h.hexdigest()}"}


def _hash_tree(h: Any, root: Path, limit: int = 5000) -> None:
    if root.is_file():
        h.update(root.read_bytes())
        return
    if not root.is_dir():
        return
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for f in sorted(filenames):
            p = Path(dirpath) / f
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
            seen += 1
            if seen >= limit:
                return


# terraform-provider-aws internal/service/apigatewayv2/api.go: id = ApiId (10 lowercase alphanumerics);
# api_endpoint = https://<id>.execute-api.<region>.amazonaws.com (wss:// for WEBSOCKET);
# arn = arn:<p>:apigateway:<region>::/apis/<id>; execution_arn = arn:<p>:execute-api:<region>:<acct>:<id>
def _http_api(m, name, inputs, region, seed):
    aid = _alnum(seed, 10)
    protocol = inputs.get("protocolType") or "HTTP"
    m.api_protocols[aid] = protocol
    scheme = "wss" if protocol == "WEBSOCKET" else "https"
    return aid, {"apiEndpoint": f"{scheme}://{aid}.execute-api.{region}.{m.dns_suffix}",
                 "arn": f"arn:{m.partition}:apigateway:{region}::/apis/{aid}",
                 "executionArn": m.arn("execute-api", aid, region=region)}


# terraform-provider-aws internal/service/apigatewayv2/stage.go: id = stage name; invoke_url =
# APIGatewayV2InvokeURL: "https://<api>.execute-api.<region>.amazonaws.com/" for $default,
# ".../<stage>" otherwise, "wss://.../<stage>" for WebSocket APIs; arn = .../apis/<api>/stages/<stage>;
# execution_arn = arn:<p>:execute-api:<region>:<acct>:<api>/<stage>
def _stage(m, name, inputs, region, seed):
    n = inputs.get("name") or f"{name}-{_hex(seed, 7)}"
    api = inputs.get("apiId")
    host = f"{api}.execute-api.{region}.{m.dns_suffix}"
    if m.api_protocols.get(api) == "WEBSOCKET":
        url = f"wss://{host}/{n}"
    else:
        url = f"https://{host}/" if n == "$default" else f"https://{host}/{n}"
    return n, {"invokeUrl": url, "arn": f"arn:{m.partition}:apigateway:{region}::/apis/{api}/stages/{n}",
               "executionArn": m.arn("execute-api", f"{api}/{n}", region=region)}


# terraform-provider-aws internal/service/glue/catalog_database.go: id = "<catalog id>:<name>";
# arn = arn:...:database/<name>
def _glue_db(m, name, inputs, region, seed):
    n = inputs.get("name") or f"{name}-{_hex(seed, 7)}"
    catalog = inputs.get("catalogId") or m.account_id
    return f"{catalog}:{n}", {"name": n, "arn": m.arn("glue", f"database/{n}", region=region), "catalogId": catalog}


# terraform-provider-aws internal/service/glue/{crawler,job,trigger}.go: id = name;
# arn = arn:<p>:glue:<region>:<acct>:<crawler|job|trigger>/<name>
def _glue_named(kind: str):
    def build(m, name, inputs, region, seed):
        n = _name(inputs, "name", name, seed)
        return n, {"name": n, "arn": m.arn("glue", f"{kind}/{n}", region=region)}
    return build


# terraform-provider-aws internal/service/glue/security_configuration.go: id = name (no ARN attribute)
def _glue_security_configuration(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n}


# terraform-provider-aws internal/service/events/bus.go: id = name; arn = arn:...:event-bus/<name>
def _event_bus(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("events", f"event-bus/{n}", region=region)}


# terraform-provider-aws internal/service/events/rule.go: id = ruleCreateResourceID(bus, rule): the rule
# name on the default bus, "<bus>/<rule>" otherwise; arn (PutRule's RuleArn) =
# arn:...:rule/<rule> on the default bus, arn:...:rule/<bus name>/<rule> on a custom bus
def _event_rule(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    bus = str(inputs.get("eventBusName") or "default")
    if bus == "default":
        return n, {"name": n, "arn": m.arn("events", f"rule/{n}", region=region)}
    return f"{bus}/{n}", {"name": n, "arn": m.arn("events", f"rule/{_last(bus)}/{n}", region=region)}


# terraform-provider-aws internal/service/events/archive.go: id = name; arn = arn:...:archive/<name>
def _event_archive(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("events", f"archive/{n}", region=region)}


# terraform-provider-aws internal/service/events/target.go: id = "<bus>-<rule>-<target id>" on custom
# buses, "<rule>-<target id>" on the default bus (targetCreateResourceID)
def _event_target(m, name, inputs, region, seed):
    tid = inputs.get("targetId") or f"{name}-{_hex(seed, 7)}"
    bus = str(inputs.get("eventBusName") or "default")
    rule = inputs.get("rule")
    rid = f"{rule}-{tid}" if bus == "default" else f"{bus}-{rule}-{tid}"
    return rid, {"targetId": tid}


# terraform-provider-aws internal/service/cloudwatch/metric_alarm.go: id = alarm_name;
# arn = arn:<p>:cloudwatch:<region>:<acct>:alarm:<name> (":" before the name, not "/")
def _alarm(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("cloudwatch", f"alarm:{n}", region=region)}


# terraform-provider-aws internal/service/kinesis/stream.go: id = arn = arn:...:stream/<name>
def _kinesis(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("kinesis", f"stream/{n}", region=region)
    return arn, {"name": n, "arn": arn}


# terraform-provider-aws internal/service/firehose/delivery_stream.go: id = arn =
# arn:<p>:firehose:<region>:<acct>:deliverystream/<name>
def _firehose(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("firehose", f"deliverystream/{n}", region=region)
    return arn, {"name": n, "arn": arn}


# terraform-provider-aws internal/service/route53/health_check.go: id = HealthCheck.Id (a UUID);
# arn = arn:<p>:route53:::healthcheck/<id> (global: no region, no account)
def _health_check(m, name, inputs, region, seed):
    hid = _uuid(seed)
    return hid, {"arn": f"arn:{m.partition}:route53:::healthcheck/{hid}"}


# terraform-provider-aws internal/service/route53/record.go: id = "<zone id>_<name>_<type>"
def _route53_record(m, name, inputs, region, seed):
    rid = f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}"
    if inputs.get("setIdentifier"):
        rid += f"_{inputs.get('setIdentifier')}"
    return rid, {"fqdn": str(inputs.get("name") or "").rstrip(".")}


# terraform-provider-aws internal/service/lakeformation/resource.go: id = the registered resource ARN
def _lf_resource(m, name, inputs, region, seed):
    return str(inputs.get("arn")), {}


# terraform-provider-aws internal/service/lakeformation/{permissions,data_lake_settings}.go:
# id = fmt.Sprintf("%d", create.StringHashcode(input.String())) -- a decimal hash of the request
def _lf_hash_id(m, name, inputs, region, seed):
    payload = json.dumps(plain(inputs), sort_keys=True, default=str)
    return str(zlib.crc32(payload.encode())), {}


# Resources whose id is one of their own inputs (terraform-provider-aws, each resource's Create):
# internal/service/s3/bucket_{public_access_block,ownership_controls,versioning,server_side_encryption_
# configuration,lifecycle_configuration,policy,logging,notification,replication_configuration}.go: the
# bucket name; s3/object.go: the key; sqs/queue_policy.go: the queue URL; sns/topic_policy.go: the topic
# ARN; events/bus_policy.go: the bus name; lambda/permission.go: the statement id; logs/stream.go: the
# stream name; ecr/lifecycle_policy.go: the repository name.
def _id_from(key: str, *, generated: Optional[Callable[[str], str]] = None):
    def build(m, name, inputs, region, seed):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value, {}
        if generated is None:
            raise KeyError(f"offline mocks: {name} has no '{key}' to take its id from")
        value = generated(seed)
        return value, {key: value}
    return build


def _terraform_unique_id(seed: str) -> str:
    # terraform-plugin-sdk helper/id.UniqueId: "terraform-" + a 26-digit timestamp and counter; what
    # lambda/permission.go uses as statement_id when none is given
    return "terraform-" + _digits(seed, 26).rjust(26, "0")


# pulumi-awsx awsx/ec2/vpc.ts: the component's outputs. vpcId and the subnet id lists (public,
# private, isolated: one subnet per AZ and type, in AZ order) are plain values; subnetLayout is the
# resolved spec list (vpcConverters.toResolvedSubnetSpecOutputs: type, cidrMask, name, size,
# cidrBlocks as given). The resource-typed outputs (vpc, subnets, routeTables, natGateways, eips,
# internetGateway, ...) are references to children the mock does not create, so they are left unset.
def _awsx_vpc(m, name, inputs, region, seed):
    vpc_id = f"vpc-{_hex(seed, 17)}"
    m.vpc_cidrs[vpc_id] = inputs.get("cidrBlock") or "10.0.0.0/16"
    specs = inputs.get("subnetSpecs") or [{"type": "Private"}, {"type": "Public"}]
    types = [s.get("type") for s in specs]
    count = int(inputs.get("numberOfAvailabilityZones") or 3)
    azs = list(inputs.get("availabilityZoneNames") or [f"{region}{z}" for z in "abcdef"[:count]])
    ids = {t: [f"subnet-{_hex(f'{vpc_id}|{t}|{az}', 17)}" for az in azs] for t in types}
    layout = [{k: (int(v) if k in ("cidrMask", "size") and v is not None else v)
               for k, v in s.items() if k in ("type", "cidrMask", "name", "size", "cidrBlocks")} for s in specs]
    return vpc_id, {
        "vpcId": vpc_id,
        "privateSubnetIds": ids.get("Private", []),
        "publicSubnetIds": ids.get("Public", []),
        "isolatedSubnetIds": ids.get("Isolated", []),
        "subnetLayout": layout,
    }


_BUILDERS: dict[str, Callable] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:dynamodb/table:Table": _table,
    "aws:dynamodb/tableReplica:TableReplica": _table_replica,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/policy:Policy": _policy,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _topic,
    "aws:lambda/function:Function": _lambda,
    "aws:lambda/layerVersion:LayerVersion": _layer,
    "aws:dax/cluster:Cluster": _dax,
    "aws:dax/subnetGroup:SubnetGroup": _dax_subnet_group,
    "aws:dax/parameterGroup:ParameterGroup": _dax_parameter_group,
    "aws:transfer/server:Server": _transfer,
    "aws:transfer/user:User": _transfer_user,
    "aws:transfer/sshKey:SshKey": _transfer_ssh_key,
    "aws:ec2/securityGroup:SecurityGroup": _sg,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _sg,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": _flow_log,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule,
    "aws:lb/loadBalancer:LoadBalancer": _lb,
    "aws:lb/targetGroup:TargetGroup": _tg,
    "aws:lb/listener:Listener": _listener,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_def,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecr/repository:Repository": _ecr,
    "aws:apigatewayv2/api:Api": _http_api,
    "aws:apigatewayv2/stage:Stage": _stage,
    "aws:glue/catalogDatabase:CatalogDatabase": _glue_db,
    "aws:glue/crawler:Crawler": _glue_named("crawler"),
    "aws:glue/job:Job": _glue_named("job"),
    "aws:glue/trigger:Trigger": _glue_named("trigger"),
    "aws:glue/securityConfiguration:SecurityConfiguration": _glue_security_configuration,
    "aws:cloudwatch/eventBus:EventBus": _event_bus,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:cloudwatch/eventArchive:EventArchive": _event_archive,
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:kinesis/stream:Stream": _kinesis,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/record:Record": _route53_record,
    "aws:lakeformation/resource:Resource": _lf_resource,
    "aws:lakeformation/permissions:Permissions": _lf_hash_id,
    "aws:lakeformation/dataLakeSettings:DataLakeSettings": _lf_hash_id,
    "awsx:ec2:Vpc": _awsx_vpc,
    "awsx:ecr:Image": _awsx_image,
    **{f"aws:s3/{t[0].lower()}{t[1:]}:{t}": _id_from("bucket") for t in (
        "BucketPublicAccessBlock", "BucketOwnershipControls", "BucketVersioning",
        "BucketServerSideEncryptionConfiguration", "BucketLifecycleConfiguration", "BucketPolicy",
        "BucketLogging", "BucketNotification", "BucketReplicationConfig")},
    "aws:s3/bucketObjectv2:BucketObjectv2": _id_from("key"),
    "aws:sqs/queuePolicy:QueuePolicy": _id_from("queueUrl"),
    "aws:sns/topicPolicy:TopicPolicy": _id_from("arn"),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": _id_from("eventBusName"),
    "aws:lambda/permission:Permission": _id_from("statementId", generated=_terraform_unique_id),
    "aws:cloudwatch/logStream:LogStream": _id_from("name"),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _id_from("repository"),
}


# --- the recording monitor ----------------------------------------------------------------

class DuplicateUrnError(Exception):
    """Two registrations with one URN: the engine refuses the second (pulumi pkg/diag/errors.go,
    GetDuplicateResourceURNError, code 2001); the stock MockMonitor would silently overwrite."""

    def __init__(self, urn: str):
        super().__init__(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        self.urn = urn


class RecordingMonitor(pmocks.MockMonitor):
    """A MockMonitor that keeps what the engine would know of each resource: parent, provider,
    protect/retainOnDelete and dependencies, which the plain mocks API does not pass on. Like the
    engine, it refuses a second registration of a URN it has already seen."""

    def __init__(self, mocks: PlatformMocks):
        super().__init__(mocks)
        self.records: list[Record] = []
        self.by_urn: dict[str, Record] = {}
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def _claim(self, parent: str, type_: str, name: str) -> None:
        # Registrations run on worker threads: claim the URN before the (slow) mock call, so a
        # twin registered concurrently is refused too.
        urn = self.make_urn(parent, type_, name)
        with self._lock:
            if urn in self._claimed:
                raise DuplicateUrnError(urn)
            self._claimed.add(urn)

    def RegisterResource(self, request):
        self._claim(request.parent, request.type, request.name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            rec = Record(urn=response.urn, type=request.type, name=request.name, custom=False, parent="",
                         provider="", providers={}, protect=False, retain_on_delete=False, dependencies=[], inputs={})
        else:
            reg = self.resources[response.urn]
            rec = Record(
                urn=response.urn, type=request.type, name=request.name, custom=bool(request.custom),
                parent=request.parent, provider=request.provider, providers=dict(request.providers),
                protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
                dependencies=list(request.dependencies), inputs=rpc.deserialize_properties(request.object),
                id=reg.id, outputs=dict(reg.state), remote=bool(request.remote),
                ignore_changes=list(request.ignoreChanges),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            )
        self.records.append(rec)
        self.by_urn[rec.urn] = rec
        return response

    def ReadResource(self, request):
        self._claim(request.parent, request.type, request.name)
        response = super().ReadResource(request)
        reg = self.resources[response.urn]
        rec = Record(urn=response.urn, type=request.type, name=request.name, custom=True, parent=request.parent,
                     provider=request.provider, providers={}, protect=False, retain_on_delete=False,
                     dependencies=list(request.dependencies), inputs={}, id=reg.id, outputs=dict(reg.state))
        self.records.append(rec)
        self.by_urn[rec.urn] = rec
        return response

    def RegisterResourceOutputs(self, request):
        rec = self.by_urn.get(request.urn)
        if rec is not None and not rec.custom:
            rec.outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)
