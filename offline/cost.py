"""Offline cost estimate of a recorded stack graph: what `pulumi up` would cost per month.

    python -m offline.cost dev                      # report: fixed monthly, usage unit prices, DR, switches
    python -m offline.cost dev --usage usage.yaml   # turn usage-based lines into numbers
    python -m offline.cost dev --json out/cost.json
    python -m offline.cost --write-expected         # regenerate offline/pricing/expected-totals.json
    python -m offline.preview dev --cost            # the same report after the preview (and in --json)

Prices come from the committed, dated tables `offline/pricing/<region>.json` (refresh them with
`python tools/refresh_prices.py`, which reads the AWS Price List API). Every resource of the graph
is one of:
- **fixed**: billed while it exists (hours x hourly rate, or a monthly rate): DAX nodes, NAT
  gateways and their public IPv4, ALBs, Transfer endpoints, Kinesis shards, Fargate tasks at their
  desired count, interface endpoints, KMS keys, Route 53 health checks, alarms;
- **usage**: billed per GB / request / event; shown with its unit price, and priced when a usage
  profile gives a monthly quantity;
- **free**: no charge of its own (IAM, security groups, policies, ...);
- **not priced**: a type this module does not know, or a fixed-cost resource whose price is
  missing from the region's table. Never counted as zero: the estimate says it is incomplete.

A month is 730 hours (AWS's convention). Prices are on-demand list prices in USD, before the
free tier, taxes, credits and savings plans.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from offline.mocks import Record, decoded_provider_inputs

PRICING_DIR = Path(__file__).resolve().parent / "pricing"
EXPECTED_FILE = PRICING_DIR / "expected-totals.json"
HOURS_PER_MONTH = 730
PROJECT = "data-delivery-platform"
SHIPPED_STACKS = ("dev", "dr", "marketing")


# --- price tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Price:
    id: str
    usd: float
    unit: str
    description: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    source: str
    prices: Mapping[str, Price]

    def get(self, price_id: str) -> Optional[Price]:
        return self.prices.get(price_id)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "PriceTable":
        prices = {k: Price(k, float(v["usd"]), v["unit"], v.get("description", "")) for k, v in doc["prices"].items()}
        return cls(region=doc["region"], as_of=doc["asOf"], source=doc["source"], prices=prices)


def load_table(region: str, directory: Path = PRICING_DIR) -> Optional[PriceTable]:
    path = directory / f"{region}.json"
    if not path.exists():
        return None
    return PriceTable.from_doc(json.loads(path.read_text()))


# --- what each resource type costs ----------------------------------------------------------------

@dataclass(frozen=True)
class Meter:
    """One billed dimension of a resource. Fixed meters carry their monthly quantity."""
    price_id: str
    kind: str                      # "fixed" | "usage"
    quantity: Optional[float] = None
    note: str = ""


class Unpriceable(Exception):
    """A resource of a known type whose settings this module cannot price (e.g. EC2 launch type)."""


@dataclass
class Graph:
    """Lookups a meter function may need beyond its own record."""
    records: Sequence[Record]

    def task_definition(self, arn: str) -> Optional[Record]:
        family = str(arn).rsplit("/", 1)[-1].split(":")[0]
        for r in self.records:
            if r.type == "aws:ecs/taskDefinition:TaskDefinition" and r.inputs.get("family") == family:
                return r
        return None


def _num(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    return float(value)


def _hours(count: float) -> float:
    return count * HOURS_PER_MONTH


def _dax(rec: Record, g: Graph) -> list[Meter]:
    nodes = _num(rec.inputs.get("replicationFactor"), 1)
    node_type = rec.inputs.get("nodeType")
    return [Meter(f"dax.node-hour.{node_type}", "fixed", _hours(nodes), f"{int(nodes)} x {node_type}")]


NAT_COUNT = {"None": 0, "Single": 1}


def _awsx_vpc(rec: Record, g: Graph) -> list[Meter]:
    # The awsx Vpc's NAT gateways (and their Elastic IPs) are children of a remote component and
    # not in the graph: count them from the component's own natGateways strategy.
    azs = int(_num(rec.inputs.get("numberOfAvailabilityZones"), 3))
    strategy = ((rec.inputs.get("natGateways") or {}).get("strategy")) or "OnePerAz"
    nats = NAT_COUNT.get(strategy, azs)
    if not nats:
        return []
    return [Meter("ec2.nat-gateway-hour", "fixed", _hours(nats), f"{nats} NAT gateway(s), strategy {strategy}"),
            Meter("ec2.public-ipv4-hour", "fixed", _hours(nats), f"{nats} Elastic IP(s) of the NAT gateways"),
            Meter("ec2.nat-data-gb", "usage")]


def _lb(rec: Record, g: Graph) -> list[Meter]:
    kind = rec.inputs.get("loadBalancerType") or "application"
    if kind != "application":
        raise Unpriceable(f"load balancer type {kind}")
    meters = [Meter("elb.alb-hour", "fixed", _hours(1), "1 ALB")]
    if not rec.inputs.get("internal"):
        azs = len(rec.inputs.get("subnets") or rec.inputs.get("subnetMappings") or []) or 1
        meters.append(Meter("ec2.public-ipv4-hour", "fixed", _hours(azs), f"{azs} public IPv4 (one per AZ)"))
    return meters + [Meter("elb.alb-lcu-hour", "usage")]


def _transfer(rec: Record, g: Graph) -> list[Meter]:
    protocols = rec.inputs.get("protocols") or ["SFTP"]
    meters = [Meter("transfer.protocol-hour", "fixed", _hours(len(protocols)), f"{'+'.join(protocols)} endpoint")]
    if rec.inputs.get("endpointType") == "VPC" and (rec.inputs.get("endpointDetails") or {}).get("addressAllocationIds"):
        n = len(rec.inputs["endpointDetails"]["addressAllocationIds"])
        meters.append(Meter("ec2.public-ipv4-hour", "fixed", _hours(n), f"{n} Elastic IP(s) of the endpoint"))
    return meters + [Meter("transfer.data-gb", "usage")]


def _kinesis(rec: Record, g: Graph) -> list[Meter]:
    mode = ((rec.inputs.get("streamModeDetails") or {}).get("streamMode")) or "PROVISIONED"
    extended = _num(rec.inputs.get("retentionPeriod"), 24) > 24
    if mode == "ON_DEMAND":
        meters = [Meter("kinesis.on-demand-stream-hour", "fixed", _hours(1), "on-demand stream"),
                  Meter("kinesis.on-demand-ingest-gb", "usage"), Meter("kinesis.on-demand-retrieval-gb", "usage")]
        return meters + ([Meter("kinesis.on-demand-retention-gb-month", "usage")] if extended else [])
    shards = _num(rec.inputs.get("shardCount"), 1)
    meters = [Meter("kinesis.shard-hour", "fixed", _hours(shards), f"{int(shards)} shard(s)")]
    if extended:
        meters.append(Meter("kinesis.extended-retention-shard-hour", "fixed", _hours(shards),
                            f"retention {int(_num(rec.inputs.get('retentionPeriod')))} h"))
    return meters + [Meter("kinesis.put-unit-million", "usage")]


def _ecs_service(rec: Record, g: Graph) -> list[Meter]:
    launch = rec.inputs.get("launchType") or "FARGATE"
    if launch != "FARGATE":
        raise Unpriceable(f"launch type {launch}")
    task = g.task_definition(rec.inputs.get("taskDefinition", ""))
    if task is None:
        raise Unpriceable("its task definition is not in the graph")
    tasks = _num(rec.inputs.get("desiredCount"), 1)
    vcpu = _num(task.inputs.get("cpu")) / 1024
    gb = _num(task.inputs.get("memory")) / 1024
    arch = ((task.inputs.get("runtimePlatform") or {}).get("cpuArchitecture")) or "X86_64"
    suffix = "arm" if arch == "ARM64" else "x86"
    what = f"{int(tasks)} task(s) x {vcpu:g} vCPU / {gb:g} GB {arch}"
    return [Meter(f"fargate.vcpu-hour.{suffix}", "fixed", _hours(tasks * vcpu), what),
            Meter(f"fargate.gb-hour.{suffix}", "fixed", _hours(tasks * gb), what)]


def _vpc_endpoint(rec: Record, g: Graph) -> list[Meter]:
    kind = rec.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return []
    if kind != "Interface":
        raise Unpriceable(f"endpoint type {kind}")
    azs = len(rec.inputs.get("subnetIds") or []) or 1
    return [Meter("ec2.interface-endpoint-hour", "fixed", _hours(azs), f"{azs} AZ(s)"),
            Meter("ec2.interface-endpoint-data-gb", "usage")]


def _kms_key(rec: Record, g: Graph) -> list[Meter]:
    return [Meter("kms.key-month", "fixed", 1, "1 key"), Meter("kms.request-10k", "usage")]


def _health_check(rec: Record, g: Graph) -> list[Meter]:
    i = rec.inputs
    target = str(i.get("fqdn") or "")
    aws_endpoint = target.endswith(".amazonaws.com")  # ELB, API Gateway, ... in AWS
    features = []
    kind = str(i.get("type") or "")
    if kind.startswith("HTTPS"):
        features.append("HTTPS")
    if kind.endswith("STR_MATCH"):
        features.append("string match")
    if _num(i.get("requestInterval"), 30) < 30:
        features.append("fast interval")
    if i.get("measureLatency"):
        features.append("latency")
    where = "aws" if aws_endpoint else "other"
    meters = [Meter(f"route53.health-check-{where}-month", "fixed", 1, f"{kind} check of {'an AWS' if aws_endpoint else 'a non-AWS'} endpoint")]
    if features:
        meters.append(Meter(f"route53.health-check-feature-{where}-month", "fixed", len(features), ", ".join(features)))
    return meters


def _alarm(rec: Record, g: Graph) -> list[Meter]:
    metrics = rec.inputs.get("metricQueries") or []
    count = max(1, sum(1 for q in metrics if q.get("metric"))) if metrics else 1
    high_res = _num(rec.inputs.get("period"), 60) < 60
    price = "cloudwatch.alarm-high-resolution-month" if high_res else "cloudwatch.alarm-standard-month"
    return [Meter(price, "fixed", count, f"{count} metric(s)")]


def _table(rec: Record, g: Graph) -> list[Meter]:
    i = rec.inputs
    meters: list[Meter] = []
    if (i.get("billingMode") or "PROVISIONED") == "PROVISIONED":
        meters += [Meter("dynamodb.provisioned-rcu-hour", "fixed", _hours(_num(i.get("readCapacity"))), "provisioned reads"),
                   Meter("dynamodb.provisioned-wcu-hour", "fixed", _hours(_num(i.get("writeCapacity"))), "provisioned writes")]
    else:
        meters += [Meter("dynamodb.write-million", "usage"), Meter("dynamodb.read-million", "usage")]
    meters.append(Meter("dynamodb.storage-gb-month", "usage"))
    if (i.get("pointInTimeRecovery") or {}).get("enabled"):
        meters.append(Meter("dynamodb.pitr-gb-month", "usage"))
    return meters


def _table_replica(rec: Record, g: Graph) -> list[Meter]:
    meters = [Meter("dynamodb.replicated-write-million", "usage"), Meter("dynamodb.storage-gb-month", "usage")]
    return meters + ([Meter("dynamodb.pitr-gb-month", "usage")] if rec.inputs.get("pointInTimeRecovery") else [])


def _lambda(rec: Record, g: Graph) -> list[Meter]:
    arch = "arm" if "arm64" in (rec.inputs.get("architectures") or []) else "x86"
    meters = [Meter("lambda.request-million", "usage"), Meter(f"lambda.gb-second.{arch}", "usage",
                                                               note=f"{_num(rec.inputs.get('memorySize'), 128) / 1024:g} GB")]
    if (rec.inputs.get("tracingConfig") or {}).get("mode") == "Active":
        meters.append(Meter("xray.trace-million", "usage"))
    return meters


def _firehose(rec: Record, g: Graph) -> list[Meter]:
    s3 = rec.inputs.get("extendedS3Configuration") or {}
    meters = [Meter("firehose.ingest-gb", "usage")]
    return meters + ([Meter("firehose.dynamic-partitioning-gb", "usage")]
                     if (s3.get("dynamicPartitioningConfiguration") or {}).get("enabled") else [])


def _ecs_cluster(rec: Record, g: Graph) -> list[Meter]:
    insights = any(s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced")
                   for s in rec.inputs.get("settings") or [])
    return [Meter("cloudwatch.metric-month", "usage", note="Container Insights metrics")] if insights else []


def _route53_record(rec: Record, g: Graph) -> list[Meter]:
    return [] if rec.inputs.get("aliases") else [Meter("route53.query-million", "usage")]


def _usage(*price_ids: str) -> Callable[[Record, Graph], list[Meter]]:
    return lambda rec, g: [Meter(p, "usage") for p in price_ids]


METERS: dict[str, Callable[[Record, Graph], list[Meter]]] = {
    # fixed
    "aws:dax/cluster:Cluster": _dax,
    "awsx:ec2:Vpc": _awsx_vpc,
    "aws:lb/loadBalancer:LoadBalancer": _lb,
    "aws:transfer/server:Server": _transfer,
    "aws:kinesis/stream:Stream": _kinesis,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:kms/key:Key": _kms_key,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:dynamodb/table:Table": _table,
    # usage
    "aws:dynamodb/tableReplica:TableReplica": _table_replica,
    "aws:lambda/function:Function": _lambda,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:route53/record:Record": _route53_record,
    "aws:s3/bucket:Bucket": _usage("s3.standard-gb-month", "s3.put-1k", "s3.get-1k"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _usage("transfer.inter-region-gb"),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _usage("transfer.inter-region-gb"),
    "aws:ecr/repository:Repository": _usage("ecr.storage-gb-month"),
    "aws:glue/job:Job": _usage("glue.etl-dpu-hour"),
    "aws:glue/crawler:Crawler": _usage("glue.crawler-dpu-hour"),
    "aws:cloudwatch/eventBus:EventBus": _usage("events.custom-event-million"),
    "aws:cloudwatch/eventArchive:EventArchive": _usage("events.archive-gb", "s3.standard-gb-month"),
    "aws:sqs/queue:Queue": _usage("sqs.request-million"),
    "aws:sns/topic:Topic": _usage("sns.publish-million"),
    "aws:apigatewayv2/api:Api": _usage("apigw.http-request-million"),
    "aws:cloudwatch/logGroup:LogGroup": _usage("logs.ingest-gb", "logs.storage-gb-month"),
    "aws:ec2/flowLog:FlowLog": _usage("logs.vended-ingest-gb"),
}

# Types that bill nothing of their own (their traffic is billed on the resources above).
FREE: frozenset[str] = frozenset({
    "aws:apigatewayv2/integration:Integration", "aws:apigatewayv2/route:Route", "aws:apigatewayv2/stage:Stage",
    "aws:appautoscaling/policy:Policy", "aws:appautoscaling/target:Target",
    "aws:budgets/budget:Budget",  # budgets without actions are free
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "aws:cloudwatch/eventPermission:EventPermission",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:cloudwatch/logStream:LogStream",
    "aws:dax/parameterGroup:ParameterGroup", "aws:dax/subnetGroup:SubnetGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:glue/catalogDatabase:CatalogDatabase",  # first million catalog objects free
    "aws:glue/securityConfiguration:SecurityConfiguration", "aws:glue/trigger:Trigger",
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "aws:lakeformation/dataLakeSettings:DataLakeSettings", "aws:lakeformation/permissions:Permissions",
    "aws:lakeformation/resource:Resource",
    "aws:lambda/layerVersion:LayerVersion",  # counts toward the free 75 GB of code storage
    "aws:lambda/permission:Permission", "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketNotification:BucketNotification", "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription",
    "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redrivePolicy:RedrivePolicy",
    "aws:transfer/sshKey:SshKey", "aws:transfer/user:User",
    "awsx:ecr:Image",  # built and pushed by the CLI; its storage is priced on the repository
})

# Engine bookkeeping and our own components: not AWS resources.
NOT_RESOURCES = ("pulumi:", "ddp:")


# Types whose meters include an always-on charge (for some settings): a shipped stack may not
# leave any of these unpriced (tests/test_cost.py).
FIXED_COST_TYPES: frozenset[str] = frozenset({
    "aws:dax/cluster:Cluster", "awsx:ec2:Vpc", "aws:lb/loadBalancer:LoadBalancer", "aws:transfer/server:Server",
    "aws:kinesis/stream:Stream", "aws:ecs/service:Service", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:kms/key:Key",
    "aws:route53/healthCheck:HealthCheck", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:dynamodb/table:Table",
})


# --- the estimate ----------------------------------------------------------------------------------

@dataclass
class Line:
    resource: str
    type: str
    group: str
    region: str
    kind: str                       # fixed | usage
    price_id: str
    unit: str
    unit_usd: float
    quantity: Optional[float]       # per month; None = usage not given
    monthly_usd: Optional[float]
    note: str = ""


@dataclass
class NotPriced:
    resource: str
    type: str
    group: str
    region: str
    reason: str


@dataclass
class Estimate:
    stack: str
    region: str
    lines: list[Line] = field(default_factory=list)
    not_priced: list[NotPriced] = field(default_factory=list)
    free: dict[str, int] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    usage_profile: Optional[str] = None

    @property
    def complete(self) -> bool:
        return not self.not_priced

    @property
    def fixed_usd(self) -> float:
        return _round(sum(l.monthly_usd or 0.0 for l in self.lines if l.kind == "fixed"))

    @property
    def usage_usd(self) -> float:
        return _round(sum(l.monthly_usd or 0.0 for l in self.lines if l.kind == "usage"))

    def fixed_by(self, key: Callable[[Line], str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for l in self.lines:
            if l.kind == "fixed":
                out[key(l)] = out.get(key(l), 0.0) + (l.monthly_usd or 0.0)
        return {k: _round(v) for k, v in sorted(out.items())}

    def fixed_outside_home_region(self) -> float:
        return _round(sum(v for r, v in self.fixed_by(lambda l: l.region).items() if r != self.region))

    def summary(self) -> dict[str, Any]:
        """The committed, deterministic figures (expected-totals.json)."""
        return {"fixedMonthlyUsd": self.fixed_usd, "fixedByRegion": self.fixed_by(lambda l: l.region),
                "fixedByGroup": self.fixed_by(lambda l: l.group),
                "fixedByType": self.fixed_by(lambda l: l.type),
                "notPriced": sorted(f"{n.type} {n.resource}" for n in self.not_priced)}

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "region": self.region, "currency": "USD", "hoursPerMonth": HOURS_PER_MONTH,
            "complete": self.complete, "fixedMonthlyUsd": self.fixed_usd,
            "usageMonthlyUsd": self.usage_usd, "usageProfile": self.usage_profile,
            "fixedByRegion": self.fixed_by(lambda l: l.region), "fixedByGroup": self.fixed_by(lambda l: l.group),
            "priceTables": self.tables,
            "lines": [asdict(l) for l in self.lines],
            "notPriced": [asdict(n) for n in self.not_priced],
            "free": self.free,
        }


def _round(x: float) -> float:
    return round(x + 0.0, 2)


UsageProfile = Mapping[str, Mapping[str, float]]


def _usage_quantity(profile: Optional[UsageProfile], resource: str, price_id: str) -> Optional[float]:
    if not profile:
        return None
    for key in (resource, "*"):
        value = (profile.get(key) or {}).get(price_id)
        if value is not None:
            return float(value)
    return None


def _group_label(rec: Record, by_urn: Mapping[str, Record]) -> str:
    top, cur = None, rec
    while cur is not None and cur.parent:
        parent = by_urn.get(cur.parent)
        if parent is None or parent.type == "pulumi:pulumi:Stack":
            top = cur
            break
        cur = parent
    if top is None or top is rec and rec.custom:
        return "stack"
    return f"{top.type.rsplit(':', 1)[-1]} {top.name}"


def _region_resolver(records: Sequence[Record], default: str) -> Callable[[Record], str]:
    regions = {r.urn: decoded_provider_inputs(r.inputs).get("region") or default
               for r in records if r.type == "pulumi:providers:aws"}

    def region(rec: Record) -> str:
        ref = rec.provider or (rec.providers or {}).get("aws", "")
        return regions.get(ref.rsplit("::", 1)[0], default) if ref else default
    return region


def estimate(records: Sequence[Record], *, stack: str, region: str, usage: Optional[UsageProfile] = None,
             usage_name: Optional[str] = None,
             tables: Optional[Mapping[str, PriceTable]] = None) -> Estimate:
    """Price a recorded graph. `tables` maps region -> PriceTable (default: the committed tables)."""
    by_urn = {r.urn: r for r in records}
    region_of = _region_resolver(records, region)
    graph = Graph(records)
    loaded: dict[str, Optional[PriceTable]] = dict(tables or {})
    est = Estimate(stack=stack, region=region, usage_profile=usage_name)

    def table(reg: str) -> Optional[PriceTable]:
        if reg not in loaded:
            loaded[reg] = load_table(reg)
        return loaded[reg]

    for rec in records:
        if rec.type.startswith(NOT_RESOURCES) or (not rec.custom and not rec.type.startswith("awsx:")):
            continue
        group, reg = _group_label(rec, by_urn), region_of(rec)
        if rec.type in FREE:
            est.free[rec.type] = est.free.get(rec.type, 0) + 1
            continue
        meter_fn = METERS.get(rec.type)
        if meter_fn is None:
            est.not_priced.append(NotPriced(rec.name, rec.type, group, reg, "no price rule for this resource type"))
            continue
        try:
            meters = meter_fn(rec, graph)
        except Unpriceable as exc:
            est.not_priced.append(NotPriced(rec.name, rec.type, group, reg, f"cannot price {exc}"))
            continue
        tbl = table(reg)
        missing = [m for m in meters if tbl is None or tbl.get(m.price_id) is None]
        if missing:
            where = f"offline/pricing/{reg}.json" if tbl is not None else f"no price table for {reg}"
            est.not_priced.append(NotPriced(rec.name, rec.type, group, reg,
                                            f"{', '.join(m.price_id for m in missing)} missing ({where})"))
            meters = [m for m in meters if m not in missing and m.kind == "usage"]
            if any(m.kind == "fixed" for m in missing):
                continue
        for m in meters:
            price = tbl.get(m.price_id)  # type: ignore[union-attr]
            qty = m.quantity if m.kind == "fixed" else _usage_quantity(usage, rec.name, m.price_id)
            cost = None if qty is None else qty * price.usd
            est.lines.append(Line(rec.name, rec.type, group, reg, m.kind, m.price_id, price.unit, price.usd,
                                  qty, cost, m.note))
    est.tables = {reg: {"asOf": t.as_of, "source": t.source} for reg, t in sorted(loaded.items()) if t is not None}
    return est


# --- cost switches: re-run the stack offline with one setting flipped --------------------------------

ConfigEdit = Callable[[dict[str, str]], Optional[dict[str, str]]]


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def _edit_products(cfg: dict[str, str], change: Callable[[dict], bool]) -> Optional[dict[str, str]]:
    raw = cfg.get(_key("dataProducts"))
    if not raw:
        return None
    products = json.loads(raw)
    changed = [change(p) for p in products]
    if not any(changed):
        return None
    out = dict(cfg)
    out[_key("dataProducts")] = json.dumps(products)
    return out


def _dax_off(cfg: dict[str, str]) -> Optional[dict[str, str]]:
    def change(p: dict) -> bool:
        dax = (p.get("operationalStore") or {}).get("dax") or {}
        if dax.get("enabled", True) is False:
            return False
        p.setdefault("operationalStore", {})["dax"] = {**dax, "enabled": False}
        return True
    out = _edit_products(cfg, change)
    dr = json.loads(cfg.get(_key("dr")) or "{}")
    if dr.get("daxEnabled"):
        out = dict(out or cfg)
        out[_key("dr")] = json.dumps({**dr, "daxEnabled": False})
    return out


def _kinesis_on_demand(cfg: dict[str, str]) -> Optional[dict[str, str]]:
    def change(p: dict) -> bool:
        streaming = (p.get("ingestion") or {}).get("streaming")
        if not streaming or streaming.get("shards") is None:
            return False
        streaming.pop("shards")
        return True
    return _edit_products(cfg, change)


def _sftp_off(cfg: dict[str, str]) -> Optional[dict[str, str]]:
    def change(p: dict) -> bool:
        return (p.get("ingestion") or {}).pop("sftp", None) is not None
    return _edit_products(cfg, change)


def _nat(strategy: str) -> ConfigEdit:
    def edit(cfg: dict[str, str]) -> Optional[dict[str, str]]:
        network = json.loads(cfg.get(_key("network")) or "{}")
        if network.get("natGateways") == strategy:
            return None
        out = dict(cfg)
        out[_key("network")] = json.dumps({**network, "natGateways": strategy})
        return out
    return edit


SWITCHES: dict[str, tuple[str, ConfigEdit]] = {
    "dax-off": ("DAX off (operationalStore.dax.enabled: false; dr.daxEnabled: false)", _dax_off),
    "nat-one-per-az": ("NAT gateway per AZ (network.natGateways: one-per-az, the prod default)", _nat("one-per-az")),
    "nat-single": ("one NAT gateway (network.natGateways: single)", _nat("single")),
    "nat-none": ("no NAT gateway (network.natGateways: none)", _nat("none")),
    "kinesis-on-demand": ("on-demand Kinesis (ingestion.streaming.shards omitted)", _kinesis_on_demand),
    "sftp-off": ("SFTP off (ingestion.sftp omitted)", _sftp_off),
}


@dataclass
class SwitchResult:
    id: str
    label: str
    applicable: bool
    fixed_usd: Optional[float] = None
    saving_usd: Optional[float] = None
    error: Optional[str] = None
    removed: list[str] = field(default_factory=list)   # fixed lines gone or cheaper, for the report

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _referenced_outputs(cfg: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Outputs of the shipped stacks this config references (so a switch run does not redo them)."""
    from offline.runner import ROOT, referenced_stacks, shipped_run, stack_file

    known = {}
    for ref in referenced_stacks(cfg):
        name = ref.rsplit("/", 1)[-1]
        if stack_file(name, ROOT).exists():
            known[ref] = shipped_run(name).outputs
    return known


def switch_savings(stack: str, config: dict[str, str], base: Estimate, *,
                   stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
                   only: Optional[Iterable[str]] = None) -> list[SwitchResult]:
    """Each cost switch's saving: the stack re-run offline with the switch flipped, priced again."""
    from offline.runner import run_stack

    known = stack_outputs if stack_outputs is not None else _referenced_outputs(config)
    results = []
    for sid, (label, edit) in SWITCHES.items():
        if only is not None and sid not in only:
            continue
        cfg = edit(copy.deepcopy(config))
        if cfg is None:
            results.append(SwitchResult(sid, label, applicable=False))
            continue
        run = run_stack(stack, config=cfg, stack_outputs=known)
        if not run.ok:
            results.append(SwitchResult(sid, label, applicable=False, error=run.error))
            continue
        flipped = estimate(run.records, stack=stack, region=base.region)
        before = _fixed_by_resource(base)
        after = _fixed_by_resource(flipped)
        removed = [f"{k} ({before[k] - after.get(k, 0.0):.2f})" for k in sorted(before)
                   if before[k] - after.get(k, 0.0) > 0.005]
        results.append(SwitchResult(sid, label, applicable=True, fixed_usd=flipped.fixed_usd,
                                    saving_usd=_round(base.fixed_usd - flipped.fixed_usd), removed=removed))
    return results


def _fixed_by_resource(est: Estimate) -> dict[str, float]:
    return est.fixed_by(lambda l: f"{l.type.split(':')[-1]} {l.resource}")


# --- DR against primary -------------------------------------------------------------------------------

@dataclass
class DrComparison:
    primary_stack: str
    primary_region_fixed_usd: float       # what the primary runs in its own region
    primary_dr_resources_usd: float       # DR-region resources the primary owns (replicas, keys)
    dr_stack: Optional[str]
    dr_stack_fixed_usd: Optional[float]

    @property
    def dr_fixed_usd(self) -> float:
        return _round(self.primary_dr_resources_usd + (self.dr_stack_fixed_usd or 0.0))

    @property
    def share(self) -> Optional[float]:
        if not self.primary_region_fixed_usd:
            return None
        return self.dr_fixed_usd / self.primary_region_fixed_usd

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "drFixedUsd": self.dr_fixed_usd,
                "shareOfPrimary": None if self.share is None else round(self.share, 4)}


def dr_comparison(primary: Estimate, dr: Optional[Estimate]) -> DrComparison:
    home = primary.fixed_by(lambda l: l.region).get(primary.region, 0.0)
    return DrComparison(primary_stack=primary.stack, primary_region_fixed_usd=home,
                        primary_dr_resources_usd=primary.fixed_outside_home_region(),
                        dr_stack=dr.stack if dr else None, dr_stack_fixed_usd=dr.fixed_usd if dr else None)


def _dr_pair(run) -> tuple[Optional[str], Optional[str]]:
    """(primary stack name, dr stack name) for a run, from its config and the shipped stack files."""
    from offline.runner import ROOT, load_stack_config

    cfg = run.config
    if cfg.get(_key("regionRole")) == "dr":
        primary = (cfg.get(_key("primaryStack")) or "").rsplit("/", 1)[-1] or None
        return primary, run.stack
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi."):-len(".yaml")]
        other = load_stack_config(name)
        if other.get(_key("regionRole")) == "dr" and (other.get(_key("primaryStack")) or "").endswith(f"/{run.stack}"):
            return run.stack, name
    return (run.stack, None) if cfg.get(_key("drRegion")) else (None, None)


# --- report --------------------------------------------------------------------------------------------

@dataclass
class CostReport:
    estimate: Estimate
    switches: list[SwitchResult] = field(default_factory=list)
    dr: Optional[DrComparison] = None
    dr_error: Optional[str] = None

    def as_json(self) -> dict[str, Any]:
        return {**self.estimate.as_json(), "switches": [s.as_json() for s in self.switches],
                "dr": self.dr.as_json() if self.dr else None, "drError": self.dr_error}


def build_report(run, *, usage: Optional[UsageProfile] = None, usage_name: Optional[str] = None,
                 stack_outputs: Optional[dict[str, dict[str, Any]]] = None, switches: bool = True) -> CostReport:
    """The whole report for an offline run: estimate, DR against primary, and the switches' savings."""
    from offline.runner import shipped_run

    region = run.config.get("aws:region") or _first_provider_region(run.records) or "us-east-1"
    est = estimate(run.records, stack=run.stack, region=region, usage=usage, usage_name=usage_name)
    report = CostReport(est)
    primary, dr = _dr_pair(run)
    try:
        if primary and dr:
            p_est = est if primary == run.stack else _shipped_estimate(primary)
            d_est = est if dr == run.stack else _shipped_estimate(dr)
            report.dr = dr_comparison(p_est, d_est)
        elif primary:
            report.dr = dr_comparison(est, None)
    except Exception as exc:  # noqa: BLE001 - the other stack failing must not hide this stack's estimate
        report.dr_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if switches:
        report.switches = switch_savings(run.stack, run.config, est, stack_outputs=stack_outputs)
    return report


def _shipped_estimate(stack: str) -> Estimate:
    from offline.runner import shipped_run

    run = shipped_run(stack)
    return estimate(run.records, stack=stack, region=run.config.get("aws:region") or "us-east-1")


def _first_provider_region(records: Sequence[Record]) -> Optional[str]:
    for r in records:
        if r.type == "pulumi:providers:aws":
            return decoded_provider_inputs(r.inputs).get("region")
    return None


def _usd(x: Optional[float]) -> str:
    return "-" if x is None else f"${x:,.2f}"


def render(report: CostReport) -> str:
    est = report.estimate
    out = [f"Cost estimate of stack '{est.stack}' ({est.region}), USD per month of {HOURS_PER_MONTH} h, "
           f"on-demand list prices"]
    for reg, t in est.tables.items():
        out.append(f"  prices {reg}: offline/pricing/{reg}.json, as of {t['asOf']}")
    out += ["", "Fixed monthly (billed while deployed):"]
    groups: dict[str, list[Line]] = {}
    for l in est.lines:
        if l.kind == "fixed":
            groups.setdefault(l.group, []).append(l)
    for group in sorted(groups):
        lines = groups[group]
        out.append(f"  {group}: {_usd(sum(l.monthly_usd or 0 for l in lines))}")
        for l in lines:
            region = "" if l.region == est.region else f" [{l.region}]"
            out.append(f"    {l.type.split(':')[-1]} {l.resource}{region}: {l.quantity:,.2f} {l.unit} x "
                       f"${l.unit_usd:g} = {_usd(l.monthly_usd)}  {l.note}")
    out.append(f"  TOTAL fixed: {_usd(est.fixed_usd)}")
    by_region = est.fixed_by(lambda l: l.region)
    if len(by_region) > 1:
        out.append("  by region: " + ", ".join(f"{r} {_usd(v)}" for r, v in by_region.items()))

    usage_lines = [l for l in est.lines if l.kind == "usage"]
    priced = [l for l in usage_lines if l.monthly_usd is not None]
    out += ["", "Usage-based (unit prices; give monthly quantities with --usage FILE to price them):"]
    seen: dict[str, list[str]] = {}
    for l in usage_lines:
        seen.setdefault(l.price_id, []).append(l.resource)
    for pid, resources in sorted(seen.items()):
        sample = next(l for l in usage_lines if l.price_id == pid)
        names = ", ".join(sorted(set(resources))[:4]) + (", ..." if len(set(resources)) > 4 else "")
        out.append(f"  {pid}: ${sample.unit_usd:g} per {sample.unit}  ({len(resources)} resource(s): {names})")
    if priced:
        out.append(f"  priced from {est.usage_profile}:")
        out += [f"    {l.resource} {l.price_id}: {l.quantity:g} {l.unit} x ${l.unit_usd:g} = {_usd(l.monthly_usd)}"
                for l in priced]
        out.append(f"  TOTAL usage: {_usd(est.usage_usd)}    TOTAL: {_usd(est.fixed_usd + est.usage_usd)}")

    out += ["", f"Not priced: {len(est.not_priced)}" + ("" if est.complete else "  (the estimate is INCOMPLETE)")]
    out += [f"  {n.type} {n.resource} [{n.region}]: {n.reason}" for n in est.not_priced]
    out.append(f"Free (no charge of their own): {sum(est.free.values())} resources of {len(est.free)} types")

    if report.dr is not None:
        d = report.dr
        out += ["", "DR against primary (fixed monthly):",
                f"  primary '{d.primary_stack}' in its region: {_usd(d.primary_region_fixed_usd)}",
                f"  DR-region resources the primary owns (replica keys, ...): {_usd(d.primary_dr_resources_usd)}"]
        if d.dr_stack:
            out.append(f"  pilot-light stack '{d.dr_stack}': {_usd(d.dr_stack_fixed_usd)}")
        if d.share is not None:
            out.append(f"  DR total {_usd(d.dr_fixed_usd)} = {d.share:.1%} of the primary"
                       + ("" if d.share < 0.10 else "  (above the 10% pilot-light target)"))
    if report.dr_error:
        out += ["", f"DR against primary: not available ({report.dr_error})"]
    if report.switches:
        out += ["", "Cost switches (stack re-run offline with the switch flipped; fixed monthly):"]
        for s in report.switches:
            if s.applicable:
                verb = "saves" if (s.saving_usd or 0) >= 0 else "costs more:"
                out.append(f"  {s.label}: {verb} {_usd(abs(s.saving_usd or 0))} -> {_usd(s.fixed_usd)}"
                           + (f"  [{'; '.join(s.removed)}]" if s.removed else ""))
            else:
                out.append(f"  {s.label}: " + (f"not allowed here: {s.error}" if s.error else "not applicable (already so, or not used)"))
    return "\n".join(out)


# --- usage profiles and committed totals ---------------------------------------------------------------

def load_usage(path: str) -> UsageProfile:
    """A usage profile: {resource name or "*": {price id: monthly quantity}} (YAML or JSON)."""
    import yaml

    doc = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise ValueError(f"{path}: must map resource names (or '*') to {{price id: monthly quantity}}")
    for res, items in doc.items():
        for pid, qty in items.items():
            if not isinstance(qty, (int, float)) or qty < 0:
                raise ValueError(f"{path}: {res}.{pid}: quantity must be a number >= 0, got {qty!r}")
    return doc


def committed_totals(path: Path = EXPECTED_FILE) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def committed_fixed_estimate(stack: str, path: Path = EXPECTED_FILE) -> Optional[float]:
    """The committed fixed monthly estimate of a shipped stack (the budget's default base)."""
    from stackconfig.budget import committed_estimate

    return committed_estimate(stack, path)


def write_expected(path: Path = EXPECTED_FILE, stacks: Sequence[str] = SHIPPED_STACKS) -> dict[str, Any]:
    from offline.runner import shipped_run

    doc = {"note": "Regenerate with: .venv/bin/python -m offline.cost --write-expected "
                   "(after a price refresh or a change to the shipped stacks' graph).",
           "stacks": {}}
    for s in stacks:
        run = shipped_run(s)
        doc["stacks"][s] = estimate(run.records, stack=s, region=run.config.get("aws:region") or "us-east-1").summary()
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m offline.cost", description=__doc__.splitlines()[0])
    ap.add_argument("stack", nargs="?", default="dev", help="shipped stack name (Pulumi.<stack>.yaml), default dev")
    ap.add_argument("--usage", metavar="FILE", help="usage profile: {resource|'*': {price id: monthly quantity}}")
    ap.add_argument("--json", metavar="FILE", help="write the estimate as JSON")
    ap.add_argument("--no-switches", action="store_true", help="skip the switch re-runs")
    ap.add_argument("--write-expected", action="store_true",
                    help=f"regenerate {EXPECTED_FILE.relative_to(PRICING_DIR.parent.parent)} for the shipped stacks")
    args = ap.parse_args(argv)

    if args.write_expected:
        doc = write_expected()
        for s, e in doc["stacks"].items():
            print(f"{s}: fixed {_usd(e['fixedMonthlyUsd'])}/month, not priced {len(e['notPriced'])}")
        return 0
    from offline.runner import run_stack

    try:
        usage = load_usage(args.usage) if args.usage else None
    except (OSError, ValueError) as exc:
        print(f"--usage: {exc}", file=sys.stderr)
        return 2
    run = run_stack(args.stack)
    if not run.ok:
        print(f"error: {run.error}", file=sys.stderr)
        return 2
    report = build_report(run, usage=usage, usage_name=args.usage, switches=not args.no_switches)
    print(render(report))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2, sort_keys=True))
    return 0 if report.estimate.complete else 1


if __name__ == "__main__":
    sys.exit(main())
