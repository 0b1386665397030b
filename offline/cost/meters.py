"""What each resource type costs: its meters (billed dimensions), and the types that cost nothing.

A meter function reads one recorded resource (and, where needed, the rest of the graph) and returns
its meters: **fixed** meters carry a monthly quantity (hours x count, or a monthly unit), **usage**
meters are priced only when a usage profile gives a quantity. `FREE` lists the types that bill
nothing of their own; a type in neither is reported as not priced, never counted as zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from offline.cost.prices import HOURS_PER_MONTH
from offline.mocks import Record

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
        for record in self.records:
            if record.type == "aws:ecs/taskDefinition:TaskDefinition" and record.inputs.get("family") == family:
                return record
        return None


def _number(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    return float(value)


def _monthly_hours(count: float) -> float:
    return count * HOURS_PER_MONTH


def _dax_cluster(record: Record, graph: Graph) -> list[Meter]:
    nodes = _number(record.inputs.get("replicationFactor"), 1)
    node_type = record.inputs.get("nodeType")
    return [Meter(f"dax.node-hour.{node_type}", "fixed", _monthly_hours(nodes), f"{int(nodes)} x {node_type}")]


NAT_COUNT = {"None": 0, "Single": 1}


def _awsx_vpc(record: Record, graph: Graph) -> list[Meter]:
    # The awsx Vpc's NAT gateways (and their Elastic IPs) are children of a remote component and
    # not in the graph: count them from the component's own natGateways strategy.
    azs = int(_number(record.inputs.get("numberOfAvailabilityZones"), 3))
    strategy = ((record.inputs.get("natGateways") or {}).get("strategy")) or "OnePerAz"
    nats = NAT_COUNT.get(strategy, azs)
    if not nats:
        return []
    return [Meter("ec2.nat-gateway-hour", "fixed", _monthly_hours(nats), f"{nats} NAT gateway(s), strategy {strategy}"),
            Meter("ec2.public-ipv4-hour", "fixed", _monthly_hours(nats), f"{nats} Elastic IP(s) of the NAT gateways"),
            Meter("ec2.nat-data-gb", "usage")]


def _load_balancer(record: Record, graph: Graph) -> list[Meter]:
    kind = record.inputs.get("loadBalancerType") or "application"
    if kind != "application":
        raise Unpriceable(f"load balancer type {kind}")
    meters = [Meter("elb.alb-hour", "fixed", _monthly_hours(1), "1 ALB")]
    if not record.inputs.get("internal"):
        azs = len(record.inputs.get("subnets") or record.inputs.get("subnetMappings") or []) or 1
        meters.append(Meter("ec2.public-ipv4-hour", "fixed", _monthly_hours(azs), f"{azs} public IPv4 (one per AZ)"))
    return meters + [Meter("elb.alb-lcu-hour", "usage")]


def _transfer_server(record: Record, graph: Graph) -> list[Meter]:
    protocols = record.inputs.get("protocols") or ["SFTP"]
    meters = [Meter("transfer.protocol-hour", "fixed", _monthly_hours(len(protocols)),
                    f"{'+'.join(protocols)} endpoint")]
    elastic_ips = (record.inputs.get("endpointDetails") or {}).get("addressAllocationIds")
    if record.inputs.get("endpointType") == "VPC" and elastic_ips:
        meters.append(Meter("ec2.public-ipv4-hour", "fixed", _monthly_hours(len(elastic_ips)),
                            f"{len(elastic_ips)} Elastic IP(s) of the endpoint"))
    return meters + [Meter("transfer.data-gb", "usage")]


def _kinesis_stream(record: Record, graph: Graph) -> list[Meter]:
    mode = ((record.inputs.get("streamModeDetails") or {}).get("streamMode")) or "PROVISIONED"
    extended = _number(record.inputs.get("retentionPeriod"), 24) > 24
    if mode == "ON_DEMAND":
        meters = [Meter("kinesis.on-demand-stream-hour", "fixed", _monthly_hours(1), "on-demand stream"),
                  Meter("kinesis.on-demand-ingest-gb", "usage"), Meter("kinesis.on-demand-retrieval-gb", "usage")]
        return meters + ([Meter("kinesis.on-demand-retention-gb-month", "usage")] if extended else [])
    shards = _number(record.inputs.get("shardCount"), 1)
    meters = [Meter("kinesis.shard-hour", "fixed", _monthly_hours(shards), f"{int(shards)} shard(s)")]
    if extended:
        meters.append(Meter("kinesis.extended-retention-shard-hour", "fixed", _monthly_hours(shards),
                            f"retention {int(_number(record.inputs.get('retentionPeriod')))} h"))
    return meters + [Meter("kinesis.put-unit-million", "usage")]


def _ecs_service(record: Record, graph: Graph) -> list[Meter]:
    launch = record.inputs.get("launchType") or "FARGATE"
    if launch != "FARGATE":
        raise Unpriceable(f"launch type {launch}")
    task = graph.task_definition(record.inputs.get("taskDefinition", ""))
    if task is None:
        raise Unpriceable("its task definition is not in the graph")
    tasks = _number(record.inputs.get("desiredCount"), 1)
    vcpu = _number(task.inputs.get("cpu")) / 1024
    memory_gb = _number(task.inputs.get("memory")) / 1024
    arch = ((task.inputs.get("runtimePlatform") or {}).get("cpuArchitecture")) or "X86_64"
    suffix = "arm" if arch == "ARM64" else "x86"
    what = f"{int(tasks)} task(s) x {vcpu:g} vCPU / {memory_gb:g} GB {arch}"
    return [Meter(f"fargate.vcpu-hour.{suffix}", "fixed", _monthly_hours(tasks * vcpu), what),
            Meter(f"fargate.gb-hour.{suffix}", "fixed", _monthly_hours(tasks * memory_gb), what)]


def _vpc_endpoint(record: Record, graph: Graph) -> list[Meter]:
    kind = record.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return []
    if kind != "Interface":
        raise Unpriceable(f"endpoint type {kind}")
    azs = len(record.inputs.get("subnetIds") or []) or 1
    return [Meter("ec2.interface-endpoint-hour", "fixed", _monthly_hours(azs), f"{azs} AZ(s)"),
            Meter("ec2.interface-endpoint-data-gb", "usage")]


def _kms_key(record: Record, graph: Graph) -> list[Meter]:
    return [Meter("kms.key-month", "fixed", 1, "1 key"), Meter("kms.request-10k", "usage")]


def _route53_health_check(record: Record, graph: Graph) -> list[Meter]:
    inputs = record.inputs
    target = str(inputs.get("fqdn") or "")
    aws_endpoint = target.endswith(".amazonaws.com")  # ELB, API Gateway, ... in AWS
    features = []
    kind = str(inputs.get("type") or "")
    if kind.startswith("HTTPS"):
        features.append("HTTPS")
    if kind.endswith("STR_MATCH"):
        features.append("string match")
    if _number(inputs.get("requestInterval"), 30) < 30:
        features.append("fast interval")
    if inputs.get("measureLatency"):
        features.append("latency")
    where = "aws" if aws_endpoint else "other"
    endpoint = "an AWS" if aws_endpoint else "a non-AWS"
    meters = [Meter(f"route53.health-check-{where}-month", "fixed", 1, f"{kind} check of {endpoint} endpoint")]
    if features:
        meters.append(Meter(f"route53.health-check-feature-{where}-month", "fixed", len(features), ", ".join(features)))
    return meters


def _metric_alarm(record: Record, graph: Graph) -> list[Meter]:
    metrics = record.inputs.get("metricQueries") or []
    count = max(1, sum(1 for query in metrics if query.get("metric"))) if metrics else 1
    high_res = _number(record.inputs.get("period"), 60) < 60
    price = "cloudwatch.alarm-high-resolution-month" if high_res else "cloudwatch.alarm-standard-month"
    return [Meter(price, "fixed", count, f"{count} metric(s)")]


def _dynamodb_table(record: Record, graph: Graph) -> list[Meter]:
    inputs = record.inputs
    meters: list[Meter] = []
    if (inputs.get("billingMode") or "PROVISIONED") == "PROVISIONED":
        reads, writes = _number(inputs.get("readCapacity")), _number(inputs.get("writeCapacity"))
        meters += [Meter("dynamodb.provisioned-rcu-hour", "fixed", _monthly_hours(reads), "provisioned reads"),
                   Meter("dynamodb.provisioned-wcu-hour", "fixed", _monthly_hours(writes), "provisioned writes")]
    else:
        meters += [Meter("dynamodb.write-million", "usage"), Meter("dynamodb.read-million", "usage")]
    meters.append(Meter("dynamodb.storage-gb-month", "usage"))
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        meters.append(Meter("dynamodb.pitr-gb-month", "usage"))
    return meters


def _dynamodb_table_replica(record: Record, graph: Graph) -> list[Meter]:
    meters = [Meter("dynamodb.replicated-write-million", "usage"), Meter("dynamodb.storage-gb-month", "usage")]
    return meters + ([Meter("dynamodb.pitr-gb-month", "usage")] if record.inputs.get("pointInTimeRecovery") else [])


def _lambda_function(record: Record, graph: Graph) -> list[Meter]:
    arch = "arm" if "arm64" in (record.inputs.get("architectures") or []) else "x86"
    memory_gb = _number(record.inputs.get("memorySize"), 128) / 1024
    meters = [Meter("lambda.request-million", "usage"),
              Meter(f"lambda.gb-second.{arch}", "usage", note=f"{memory_gb:g} GB")]
    if (record.inputs.get("tracingConfig") or {}).get("mode") == "Active":
        meters.append(Meter("xray.trace-million", "usage"))
    return meters


def _firehose_delivery_stream(record: Record, graph: Graph) -> list[Meter]:
    destination = record.inputs.get("extendedS3Configuration") or {}
    meters = [Meter("firehose.ingest-gb", "usage")]
    return meters + ([Meter("firehose.dynamic-partitioning-gb", "usage")]
                     if (destination.get("dynamicPartitioningConfiguration") or {}).get("enabled") else [])


def _ecs_cluster(record: Record, graph: Graph) -> list[Meter]:
    insights = any(setting.get("name") == "containerInsights" and setting.get("value") in ("enabled", "enhanced")
                   for setting in record.inputs.get("settings") or [])
    return [Meter("cloudwatch.metric-month", "usage", note="Container Insights metrics")] if insights else []


def _route53_record(record: Record, graph: Graph) -> list[Meter]:
    return [] if record.inputs.get("aliases") else [Meter("route53.query-million", "usage")]


def _waf_web_acl(record: Record, graph: Graph) -> list[Meter]:
    # AWS WAF bills each web ACL and each rule in it per month (a managed rule group counts as one
    # rule; paid groups such as Bot Control add their own fees, not priced here), and inspected
    # requests per million.
    rules = record.inputs.get("rules") or []
    if not rules and record.inputs.get("ruleJson"):
        rules = json.loads(record.inputs["ruleJson"])
    meters = [Meter("waf.web-acl-month", "fixed", 1, "1 web ACL")]
    if rules:
        meters.append(Meter("waf.rule-month", "fixed", len(rules), f"{len(rules)} rule(s)"))
    return meters + [Meter("waf.request-million", "usage")]


def _usage_only(*price_ids: str) -> Callable[[Record, Graph], list[Meter]]:
    return lambda record, graph: [Meter(price_id, "usage") for price_id in price_ids]


METERS: dict[str, Callable[[Record, Graph], list[Meter]]] = {
    # fixed
    "aws:dax/cluster:Cluster": _dax_cluster,
    "awsx:ec2:Vpc": _awsx_vpc,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:transfer/server:Server": _transfer_server,
    "aws:kinesis/stream:Stream": _kinesis_stream,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:kms/key:Key": _kms_key,
    "aws:route53/healthCheck:HealthCheck": _route53_health_check,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:wafv2/webAcl:WebAcl": _waf_web_acl,
    # usage
    "aws:dynamodb/tableReplica:TableReplica": _dynamodb_table_replica,
    "aws:lambda/function:Function": _lambda_function,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose_delivery_stream,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:route53/record:Record": _route53_record,
    "aws:s3/bucket:Bucket": _usage_only("s3.standard-gb-month", "s3.put-1k", "s3.get-1k"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _usage_only("transfer.inter-region-gb"),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _usage_only("transfer.inter-region-gb"),
    "aws:ecr/repository:Repository": _usage_only("ecr.storage-gb-month"),
    "aws:glue/job:Job": _usage_only("glue.etl-dpu-hour"),
    "aws:glue/crawler:Crawler": _usage_only("glue.crawler-dpu-hour"),
    "aws:cloudwatch/eventBus:EventBus": _usage_only("events.custom-event-million"),
    "aws:cloudwatch/eventArchive:EventArchive": _usage_only("events.archive-gb", "s3.standard-gb-month"),
    "aws:sqs/queue:Queue": _usage_only("sqs.request-million"),
    "aws:sns/topic:Topic": _usage_only("sns.publish-million"),
    "aws:apigatewayv2/api:Api": _usage_only("apigw.http-request-million"),
    "aws:cloudwatch/logGroup:LogGroup": _usage_only("logs.ingest-gb", "logs.storage-gb-month"),
    "aws:ec2/flowLog:FlowLog": _usage_only("logs.vended-ingest-gb"),
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
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:glue/catalogDatabase:CatalogDatabase", "aws:glue/catalogTable:CatalogTable",  # first million catalog objects free
    # Ruleset definitions are free; their evaluation bills DPU-hours on the job that runs it.
    "aws:glue/dataQualityRuleset:DataQualityRuleset",
    "aws:glue/securityConfiguration:SecurityConfiguration", "aws:glue/trigger:Trigger",
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "aws:lakeformation/dataLakeSettings:DataLakeSettings", "aws:lakeformation/permissions:Permissions",
    "aws:lakeformation/resource:Resource", "aws:lakeformation/lfTag:LfTag",
    "aws:lakeformation/resourceLfTags:ResourceLfTags",
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
    "aws:ssm/parameter:Parameter",  # Standard tier: no charge for storage or standard throughput
    "aws:transfer/sshKey:SshKey", "aws:transfer/user:User",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # its log destination bills the logs
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
    "aws:wafv2/webAcl:WebAcl",
})
