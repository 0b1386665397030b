"""Realistic Pulumi mocks that record everything the program registers.

One implementation serves the test suite, the offline preview, the policy check and the
benchmark. The mocks answer like AWS would: ids in the provider's formats, ARNs in the stack's
account, region and partition, the awsx VPC's subnets per AZ, and StackReference outputs taken
from the referenced stack's own offline run. Everything is deterministic (ids derive from the
resource's type and name), so two runs of the same stack give the same graph.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
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
        self.stack_outputs = dict(stack_outputs or {})
        self.stack_output_loader = stack_output_loader
        # provider resource name -> region, so multi-region stacks get ARNs in the right region
        self.provider_regions: dict[str, str] = {}

    # --- helpers -------------------------------------------------------------------------
    def _region_of(self, args: pmocks.MockResourceArgs) -> str:
        inputs_region = args.inputs.get("region")
        if inputs_region:
            return inputs_region
        if args.provider:
            urn = args.provider.split("::")
            if len(urn) >= 4:
                prov_name = "::".join(urn[3:]).rsplit("::", 1)[0]
                return self.provider_regions.get(prov_name, self.region)
        return self.region

    def arn(self, service: str, resource: str, *, region: Optional[str] = None, account: bool = True) -> str:
        reg = self.region if region is None else region
        acct = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}"

    # --- Mocks API -----------------------------------------------------------------------
    def new_resource(self, args: pmocks.MockResourceArgs):
        t, name, inputs = args.typ, args.name, dict(args.inputs)
        if t == "pulumi:providers:aws":
            self.provider_regions[name] = inputs.get("region", self.region)
            return f"{name}-provider-id", inputs
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

    def call(self, args: pmocks.MockCallArgs):
        tok, a = args.token, args.args
        if tok == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": f"arn:{self.partition}:iam::{self.account_id}:root",
                    "userId": "AIDAMOCK", "id": self.account_id}
        if tok == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if tok == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "dnsSuffix": "amazonaws.com", "id": self.partition}
        if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": [f"{self.region}{z}" for z in "abc"], "zoneIds": [f"use1-az{i}" for i in (1, 2, 4)]}
        if tok == "aws:ec2/getRouteTables:getRouteTables":
            vpc = a.get("vpcId", "vpc")
            kind = ((a.get("filters") or [{}])[0].get("values") or ["Private"])[0]
            return {"id": vpc, "vpcId": vpc, "ids": [f"rtb-{_hex(f'{vpc}|{kind}|{z}', 17)}" for z in "abc"]}
        return a


def _name(inputs: dict, key: str, fallback: str, seed: str) -> str:
    v = inputs.get(key)
    return v if isinstance(v, str) and v else f"{fallback}-{_hex(seed, 7)}"


def _bucket(m, name, inputs, region, seed):
    b = _name(inputs, "bucket", name, seed)
    return b, {"bucket": b, "arn": f"arn:{m.partition}:s3:::{b}", "bucketDomainName": f"{b}.s3.amazonaws.com",
               "bucketRegionalDomainName": f"{b}.s3.{region}.amazonaws.com", "region": region,
               "hostedZoneId": "Z3AQBSTGFYJSTF"}


def _kms_key(m, name, inputs, region, seed):
    kid = f"{_hex(seed, 8)}-{_hex(seed + '1', 4)}-{_hex(seed + '2', 4)}-{_hex(seed + '3', 4)}-{_hex(seed + '4', 12)}"
    return kid, {"keyId": kid, "arn": m.arn("kms", f"key/{kid}", region=region)}


def _kms_alias(m, name, inputs, region, seed):
    a = inputs.get("name", f"alias/{name}")
    return a, {"arn": m.arn("kms", a, region=region), "targetKeyArn": m.arn("kms", f"key/{inputs.get('targetKeyId')}", region=region)}


def _table(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("dynamodb", f"table/{n}", region=region)
    extra = {"arn": arn, "name": n}
    if inputs.get("streamEnabled"):
        extra.update(streamArn=f"{arn}/stream/2026-11-26T00:00:00.000", streamLabel="2026-11-26T00:00:00.000")
    return n, extra


def _role(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": f"arn:{m.partition}:iam::{m.account_id}:role/{n}", "uniqueId": f"AROA{_hex(seed, 16).upper()}"}


def _policy(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = f"arn:{m.partition}:iam::{m.account_id}:policy/{n}"
    return arn, {"name": n, "arn": arn, "policyId": f"ANPA{_hex(seed, 16).upper()}"}


def _log_group(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("logs", f"log-group:{n}", region=region)}


def _queue(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    url = f"https://sqs.{region}.amazonaws.com/{m.account_id}/{n}"
    return url, {"name": n, "arn": m.arn("sqs", n, region=region), "url": url}


def _topic(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("sns", n, region=region)
    return arn, {"name": n, "arn": arn}


def _lambda(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("lambda", f"function:{n}", region=region)
    return n, {"name": n, "arn": arn, "qualifiedArn": f"{arn}:$LATEST", "version": "$LATEST",
               "invokeArn": f"arn:{m.partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"}


def _dax(m, name, inputs, region, seed):
    n = inputs.get("clusterName", name)
    host = f"{n}.{_hex(seed, 6)}.dax-clusters.{region}.amazonaws.com"
    return n, {"arn": m.arn("dax", f"cache/{n}", region=region), "clusterAddress": host, "port": 9111,
               "configurationEndpoint": f"daxs://{host}",
               "nodes": [{"id": f"{n}-{chr(97 + i)}", "availabilityZone": f"{region}{'abc'[i % 3]}",
                          "address": f"{n}-{chr(97 + i)}.{host}", "port": 9111}
                         for i in range(int(inputs.get("replicationFactor", 3)))]}


def _transfer(m, name, inputs, region, seed):
    sid = f"s-{_hex(seed, 17)}"
    return sid, {"arn": m.arn("transfer", f"server/{sid}", region=region), "endpoint": f"{sid}.server.transfer.{region}.amazonaws.com",
                 "hostKeyFingerprint": f"SHA256:{_hex(seed, 43)}"}


def _sg(m, name, inputs, region, seed):
    sid = f"sg-{_hex(seed, 17)}"
    return sid, {"arn": m.arn("ec2", f"security-group/{sid}", region=region), "name": inputs.get("name", f"{name}-{_hex(seed, 7)}")}


def _prefixed_id(prefix: str):
    def build(m, name, inputs, region, seed):
        return f"{prefix}-{_hex(seed, 17)}", {}
    return build


def _lb(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    suffix = f"app/{n}/{_hex(seed, 16)}"
    arn = m.arn("elasticloadbalancing", f"loadbalancer/{suffix}", region=region)
    return arn, {"arn": arn, "arnSuffix": suffix, "dnsName": f"{n}-{_hex(seed, 10)}.{region}.elb.amazonaws.com",
                 "zoneId": "Z35SXDOTRQ7X7K", "name": n}


def _tg(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    suffix = f"targetgroup/{n}/{_hex(seed, 16)}"
    arn = m.arn("elasticloadbalancing", suffix, region=region)
    return arn, {"arn": arn, "arnSuffix": suffix, "name": n}


def _listener(m, name, inputs, region, seed):
    arn = m.arn("elasticloadbalancing", f"listener/app/{name}/{_hex(seed, 16)}/{_hex(seed + 'l', 16)}", region=region)
    return arn, {"arn": arn}


def _ecs_cluster(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("ecs", f"cluster/{n}", region=region)
    return arn, {"arn": arn, "name": n}


def _task_def(m, name, inputs, region, seed):
    fam = inputs.get("family", name)
    arn = m.arn("ecs", f"task-definition/{fam}:1", region=region)
    return arn, {"arn": arn, "revision": 1, "arnWithoutRevision": m.arn("ecs", f"task-definition/{fam}", region=region)}


def _ecs_service(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("ecs", f"service/{n}", region=region)
    return arn, {"name": n, "arn": arn}


def _ecr(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    return n, {"name": n, "arn": m.arn("ecr", f"repository/{n}", region=region), "registryId": m.account_id,
               "repositoryUrl": f"{m.account_id}.dkr.ecr.{region}.amazonaws.com/{n}"}


def _http_api(m, name, inputs, region, seed):
    aid = _hex(seed, 10)
    return aid, {"apiEndpoint": f"https://{aid}.execute-api.{region}.amazonaws.com",
                 "arn": f"arn:{m.partition}:apigateway:{region}::/apis/{aid}",
                 "executionArn": m.arn("execute-api", aid, region=region)}


def _stage(m, name, inputs, region, seed):
    n = inputs.get("name", "$default")
    return n, {"invokeUrl": f"https://{inputs.get('apiId', 'api')}.execute-api.{region}.amazonaws.com/",
               "arn": f"arn:{m.partition}:apigateway:{region}::/apis/{inputs.get('apiId')}/stages/{n}"}


def _glue_db(m, name, inputs, region, seed):
    n = inputs.get("name", name)
    return f"{m.account_id}:{n}", {"arn": m.arn("glue", f"database/{n}", region=region), "catalogId": m.account_id}


def _event_bus(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("events", f"event-bus/{n}", region=region)
    return n, {"name": n, "arn": arn}


def _kinesis(m, name, inputs, region, seed):
    n = _name(inputs, "name", name, seed)
    arn = m.arn("kinesis", f"stream/{n}", region=region)
    return arn, {"name": n, "arn": arn}


def _awsx_vpc(m, name, inputs, region, seed):
    vpc_id = f"vpc-{_hex(seed, 17)}"
    types = [s.get("type") for s in inputs.get("subnetSpecs") or [{"type": "Private"}, {"type": "Public"}]]
    count = int(inputs.get("numberOfAvailabilityZones") or 3)
    azs = [f"{region}{z}" for z in "abcdef"[:count]]
    ids = {t: [f"subnet-{_hex(f'{vpc_id}|{t}|{az}', 17)}" for az in azs] for t in types}
    layout = [{"type": t, "cidrMask": s.get("cidrMask")} for t, s in zip(types, inputs.get("subnetSpecs") or [])]
    return vpc_id, {
        "vpcId": vpc_id,
        "privateSubnetIds": ids.get("Private", []),
        "publicSubnetIds": ids.get("Public", []),
        "isolatedSubnetIds": ids.get("Isolated", []),
        "subnetLayout": layout,
        "availabilityZones": azs,
    }


def _arn_id(service: str, kind: str):
    def build(m, name, inputs, region, seed):
        n = inputs.get("name") or f"{name}-{_hex(seed, 7)}"
        arn = m.arn(service, f"{kind}/{n}" if kind else n, region=region)
        return n, {"arn": arn, "name": n}
    return build


def _table_replica(m, name, inputs, region, seed):
    source = str(inputs.get("globalTableArn", ""))
    table = source.rsplit("/", 1)[-1] or name
    arn = m.arn("dynamodb", f"table/{table}", region=region)
    return f"{table}:{region}", {"arn": arn}


def _layer(m, name, inputs, region, seed):
    n = inputs.get("layerName", name)
    arn = m.arn("lambda", f"layer:{n}", region=region)
    return f"{arn}:1", {"arn": f"{arn}:1", "layerArn": arn, "version": "1"}


_BUILDERS: dict[str, Callable] = {
    "aws:lambda/layerVersion:LayerVersion": _layer,
    "aws:dynamodb/tableReplica:TableReplica": _table_replica,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:dynamodb/table:Table": _table,
    "aws:iam/role:Role": _role,
    "aws:iam/policy:Policy": _policy,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _topic,
    "aws:lambda/function:Function": _lambda,
    "aws:dax/cluster:Cluster": _dax,
    "aws:dax/subnetGroup:SubnetGroup": _arn_id("dax", "subnetgroup"),
    "aws:dax/parameterGroup:ParameterGroup": _arn_id("dax", "parametergroup"),
    "aws:transfer/server:Server": _transfer,
    "aws:transfer/user:User": _arn_id("transfer", "user"),
    "aws:ec2/securityGroup:SecurityGroup": _sg,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _prefixed_id("vpce"),
    "aws:ec2/flowLog:FlowLog": _prefixed_id("fl"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _sg,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _prefixed_id("sgr"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _prefixed_id("sgr"),
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
    "aws:glue/crawler:Crawler": _arn_id("glue", "crawler"),
    "aws:glue/job:Job": _arn_id("glue", "job"),
    "aws:glue/trigger:Trigger": _arn_id("glue", "trigger"),
    "aws:glue/securityConfiguration:SecurityConfiguration": _arn_id("glue", "securityConfiguration"),
    "aws:cloudwatch/eventBus:EventBus": _event_bus,
    "aws:cloudwatch/eventRule:EventRule": _arn_id("events", "rule"),
    "aws:cloudwatch/eventArchive:EventArchive": _arn_id("events", "archive"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _arn_id("cloudwatch", "alarm"),
    "aws:kinesis/stream:Stream": _kinesis,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _arn_id("firehose", "deliverystream"),
    "aws:route53/healthCheck:HealthCheck": _prefixed_id("hc"),
    "awsx:ec2:Vpc": _awsx_vpc,
}


# --- the recording monitor ----------------------------------------------------------------

class RecordingMonitor(pmocks.MockMonitor):
    """A MockMonitor that keeps what the engine would know of each resource: parent, provider,
    protect/retainOnDelete and dependencies, which the plain mocks API does not pass on."""

    def __init__(self, mocks: PlatformMocks):
        super().__init__(mocks)
        self.records: list[Record] = []
        self.by_urn: dict[str, Record] = {}

    def RegisterResource(self, request):
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
