"""The platform the failover runbook acts on, built in moto from the program's recorded graphs.

A `Deployment` is one business unit's pair of stacks as the offline runner records them: the DR
stack's graph (`shipped_run("dr")`) and its primary's (`shipped_run("dev")`). `materialise`
creates in moto, for every resource kind the runbook reads or writes, what those graphs declare:
physical names and ARNs, each resource's tags merged over its provider's default tags (how the AWS
provider computes `tags_all`), in the region of the provider that owns it, in the stack's account
(MOTO_ACCOUNT_ID, set by the `aws` fixture), with the declared settings: ECS services at their
declared desired count (0 in the pilot light) with their task definitions and Application Auto
Scaling targets (min/max) and target-tracking policies, Lambda functions with their declared
reserved concurrency, Glue crawlers with their schedules, EventBridge buses and rules in their
declared state, the Route 53 failover records of both stacks with their health checks in the
hosted zone the stacks name (the zone keeps its declared id), the S3 buckets with versioning and
replication, and the DynamoDB table with its replica.

Materialising checks itself: every ARN moto hands back must be the one the graph recorded, or
`MaterialiseError` says which differs. Nothing here knows a name: tests ask the platform.

Approximations (moto 5.2.5 cannot model these; see also conftest.py):
- Lambda code is a one-line stub (the runbook never invokes), layers are left out (moto would
  look the layer up), and KMS keys named by the graph are not created: SSE settings of the
  functions, tables, buses and buckets are omitted, the runbook reads none of them.
- Global tables: the replica is a same-named table in the DR region (conftest's
  `dynamodb_replicas` makes DescribeTable report it); items do not replicate.
- Route 53 health checks get moto's ids: the graph's are the offline mocks' (the same id in both
  stacks), so records are wired to the health check the graph wires them to, by its record.
- The network is not built: moto checks the subnets of a service's or function's VPC settings,
  and the graph's subnet ids are the offline mocks'. Services and functions are created without
  their network configuration (the runbook reads none of it). Glue databases, ALBs and target
  groups are referenced but not created: moto does not check those references.
- The offline mocks auto-name a resource alike in every stack (`<logical name>-<hash>`), where AWS
  adds a random suffix: two business units materialised in one account would declare the same
  auto-named rule. It is created once, for the first; `Platform.shared` lists such resources.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

import boto3

from components.operational_service.defaults import PILOT_LIGHT_TAG
from offline.mocks import Record
from offline.runner import StackRun, fully_qualified, load_stack_config, run_stack, shipped_run
from smoke.moto_world import Graph as StackGraph, tag_list
from stackconfig.loader import PROJECT

DEFAULT_RULE_STATE = "ENABLED"    # pulumi-aws EventRule `state` default (provider docs: "Defaults to ENABLED")
DEFAULT_BUS = "default"           # EventRule `eventBusName` omitted: the account's default bus


class MaterialiseError(AssertionError):
    """moto's answer differs from what the graph recorded (a name, an ARN, a reference)."""


@dataclass(frozen=True)
class Placed:
    """A graph record where the program put it: its stack, region and effective tags."""

    stack: str
    record: Record
    region: str
    tags: dict[str, str]

    @property
    def inputs(self) -> dict[str, Any]:
        return self.record.inputs

    @property
    def outputs(self) -> dict[str, Any]:
        return self.record.outputs

    @property
    def arn(self) -> str:
        return self.record.outputs["arn"]

    @property
    def name(self) -> str:
        return self.record.inputs.get("name") or self.record.outputs.get("name") or self.record.id

    @property
    def is_light(self) -> bool:
        return self.tags.get(PILOT_LIGHT_TAG) == "true"   # the program's marker, not the runbook's


class Graph:
    """One stack's recorded graph, with each custom resource placed by its provider (region and
    effective tags as `smoke.moto_world.Graph` reads them for the flows)."""

    def __init__(self, run: StackRun):
        if not run.ok:
            raise MaterialiseError(f"stack {run.stack} did not run: {run.error}")
        self.run = run
        self.stack = run.stack
        self._view = StackGraph(run)

    @property
    def account(self) -> dict[str, str]:
        return self.run.outputs["account"]

    def placed(self, type_: str) -> list[Placed]:
        return [Placed(self.stack, record, self._view.region_of(record), self._view.tags(record))
                for record in self.run.by_type(type_)]


@dataclass(frozen=True)
class Deployment:
    """One business unit's DR stack and the primary it mirrors."""

    primary: Graph
    dr: Graph

    @classmethod
    def of(cls, primary: StackRun, dr: StackRun) -> "Deployment":
        return cls(Graph(primary), Graph(dr))

    @classmethod
    def shipped(cls, dr_stack: str) -> "Deployment":
        """A shipped DR stack and the primary its config references (`primaryStack`)."""
        dr = shipped_run(dr_stack)
        return cls.of(shipped_run(primary_of(dr)), dr)

    @property
    def graphs(self) -> tuple[Graph, Graph]:
        return (self.primary, self.dr)

    def placed(self, type_: str) -> list[Placed]:
        return [p for graph in self.graphs for p in graph.placed(type_)]

    @property
    def account_id(self) -> str:
        return self.dr.account["id"]

    @property
    def scope(self) -> dict[str, str]:
        """The runbook's scope arguments, as the stacks export them."""
        return {"business_unit": self.dr.account["businessUnit"], "environment": self.dr.account["environment"],
                "primary_region": self.primary.account["region"], "dr_region": self.dr.account["region"]}

    def cli_scope(self) -> list[str]:
        return [arg for key, value in self.scope.items() for arg in (f"--{key.replace('_', '-')}", value)]

    @property
    def failover_records(self) -> list[Placed]:
        return self.placed("aws:route53/record:Record")

    @property
    def dr_record(self) -> Placed:
        [record] = self.dr.placed("aws:route53/record:Record")
        return record

    @property
    def dns(self) -> dict[str, str]:
        """--hosted-zone-id / --record-name of the DR stack's failover record."""
        return {"hosted_zone_id": self.dr_record.inputs["zoneId"], "record_name": self.dr_record.inputs["name"]}

    @property
    def deploy_role_arn(self) -> str:
        """The role the DR stack's provider assumes: what the runbook's --role-arn names."""
        [provider] = self.dr.run.by_type("pulumi:providers:aws")
        [role] = json.loads(provider.inputs["assumeRoles"])
        return role["roleArn"]

    def light(self, type_: str) -> list[Placed]:
        """The DR stack's resources of `type_` tagged part of the pilot light."""
        return [p for p in self.dr.placed(type_) if p.is_light]

    def counterpart(self, p: Placed) -> Placed:
        """The primary's resource of the same type and physical name as the DR resource `p`."""
        found = [q for q in self.primary.placed(p.record.type) if q.name == p.name]
        if len(found) != 1:
            raise MaterialiseError(f"{p.name}: no single counterpart in the primary's graph")
        return found[0]

    def target_of(self, service: Placed) -> Placed:
        """The scalable target of an ECS service, in the service's stack."""
        graph = self.dr if service.stack == self.dr.stack else self.primary
        [target] = [t for t in graph.placed("aws:appautoscaling/target:Target")
                    if t.inputs["resourceId"] == service.arn.split(":", 5)[-1]]
        return target

    def hosted_zone_domain(self) -> str:
        """The hosted zone's domain, from the DR stack's `dr` settings (the zone is not the program's)."""
        return json.loads(self.dr.run.config[f"{_CONFIG}dr"])["domainName"]


# A second business unit, deployed by the same program from the shipped stack files with three
# settings changed: its name (and so every physical name and the business-unit tag), its failover
# records' domain (a subdomain in the same hosted zone), and its Lambda service: triggered by
# events (the program then creates the trigger rule DISABLED and tagged part of the light) and
# reserved concurrency 0, which the program allows (`reservedConcurrency` >= 0): a function the
# primary throttles on purpose.
OTHER_BUSINESS_UNIT = "wholesale"
_CONFIG = f"{PROJECT}:"
_SECOND: list[Deployment] = []


def _second_config(stack: str) -> dict[str, str]:
    config = load_stack_config(stack)
    config[f"{_CONFIG}businessUnit"] = OTHER_BUSINESS_UNIT
    dr = json.loads(config[f"{_CONFIG}dr"])
    config[f"{_CONFIG}dr"] = json.dumps({**dr, "domainName": f"{OTHER_BUSINESS_UNIT}.{dr['domainName']}"})
    if f"{_CONFIG}services" in config:
        services = json.loads(config[f"{_CONFIG}services"])
        for service in services:
            if service["runtime"] == "lambda":
                service.pop("authorizer", None)   # an HTTP API setting
                service.update(trigger="events", reservedConcurrency=0)
        config[f"{_CONFIG}services"] = json.dumps(services)
    return config


def primary_of(dr: StackRun) -> str:
    return dr.outputs["primaryStack"].rsplit("/", 1)[-1]


def second_business_unit(dr_stack: str) -> Deployment:
    """A second business unit's primary and DR stacks, like `dr_stack` and its primary (run once
    per process)."""
    if not _SECOND:
        primary_stack = primary_of(shipped_run(dr_stack))
        primary = run_stack(primary_stack, config=_second_config(primary_stack))
        if not primary.ok:
            raise MaterialiseError(primary.error)
        dr = run_stack(dr_stack, config=_second_config(dr_stack),
                       stack_outputs={fully_qualified(primary_stack): primary.outputs})
        _SECOND.append(Deployment.of(primary, dr))
    return _SECOND[0]


# ---- observable state ---------------------------------------------------------------------------

Key = tuple[str, str, str]   # (kind, region or zone, identifier)


def count_key(p: Placed) -> Key:
    return ("ecs desired count", p.region, p.arn)


def capacity_key(p: Placed) -> Key:
    return ("scalable target min/max", p.region, p.inputs["resourceId"])


def reservation_key(p: Placed) -> Key:
    return ("lambda reserved concurrency", p.region, p.arn)


def schedule_key(p: Placed) -> Key:
    return ("crawler schedule", p.region, p.name)


def rule_key(p: Placed) -> Key:
    return ("rule state", p.region, p.arn)


def role_key(p: Placed) -> Key:
    return ("failover role", p.inputs["zoneId"], f"{p.inputs['name']} {p.inputs['setIdentifier']}")


def _reservation(p: Placed) -> Optional[int]:
    value = p.inputs.get("reservedConcurrentExecutions")
    return None if value is None or value < 0 else int(value)


def _failover_role(p: Placed) -> str:
    [policy] = p.inputs["failoverRoutingPolicies"]
    return policy["type"]


def _bus(p: Placed) -> str:
    return p.inputs.get("eventBusName") or DEFAULT_BUS


def declared_state(deployments: Iterable[Deployment]) -> dict[Key, Any]:
    """What every resource the runbook may touch looks like as the graphs declare it."""
    state: dict[Key, Any] = {}
    for d in deployments:
        for p in d.placed("aws:ecs/service:Service"):
            state[count_key(p)] = int(p.inputs["desiredCount"])
        for p in d.placed("aws:appautoscaling/target:Target"):
            state[capacity_key(p)] = (int(p.inputs["minCapacity"]), int(p.inputs["maxCapacity"]))
        for p in d.placed("aws:lambda/function:Function"):
            state[reservation_key(p)] = _reservation(p)
        for p in d.placed("aws:glue/crawler:Crawler"):
            # AWS starts a crawler created with a schedule in SCHEDULED.
            state[schedule_key(p)] = "SCHEDULED" if p.inputs.get("schedule") else None
        for p in d.placed("aws:cloudwatch/eventRule:EventRule"):
            state[rule_key(p)] = p.inputs.get("state") or DEFAULT_RULE_STATE
        for p in d.failover_records:
            state[role_key(p)] = _failover_role(p)
    return state


def light_on_state(deployment: Deployment, others: Iterable[Deployment] = ()) -> dict[Key, Any]:
    """The declared state with `deployment`'s pilot light on: each DR resource tagged part of the
    light runs as its primary counterpart (same physical name) is declared, and the DR failover
    record is the PRIMARY one. Worked out from the primary's graph, not from the DR tags, so a tag
    that disagrees with the primary's settings shows."""
    state = declared_state([deployment, *others])
    d = deployment
    for p in d.light("aws:ecs/service:Service"):
        primary = d.counterpart(p)
        desired = int(primary.inputs["desiredCount"])
        state[count_key(p)] = desired
        target = d.target_of(p)
        low = int(d.target_of(primary).inputs["minCapacity"])
        state[capacity_key(target)] = (low, max(int(target.inputs["maxCapacity"]), desired, low))
    for p in d.light("aws:lambda/function:Function"):
        state[reservation_key(p)] = _reservation(d.counterpart(p))
    for p in d.light("aws:cloudwatch/eventRule:EventRule"):
        state[rule_key(p)] = d.counterpart(p).inputs.get("state") or DEFAULT_RULE_STATE
    for p in d.light("aws:glue/crawler:Crawler"):
        state[schedule_key(p)] = "SCHEDULED"
    dr_set = d.dr_record.inputs["setIdentifier"]
    for p in d.failover_records:
        if p.inputs["name"] == d.dns["record_name"]:
            state[role_key(p)] = "PRIMARY" if p.inputs["setIdentifier"] == dr_set else "SECONDARY"
    return state


def observe(deployments: Iterable[Deployment], session: Optional[boto3.Session] = None) -> dict[Key, Any]:
    """The same keys as `declared_state`, read from moto."""
    session = session or boto3.Session()
    state: dict[Key, Any] = {}
    for d in deployments:
        for p in d.placed("aws:ecs/service:Service"):
            ecs = session.client("ecs", region_name=p.region)
            [svc] = ecs.describe_services(cluster=p.inputs["cluster"], services=[p.name])["services"]
            state[count_key(p)] = svc["desiredCount"]
        for p in d.placed("aws:appautoscaling/target:Target"):
            scaling = session.client("application-autoscaling", region_name=p.region)
            [target] = scaling.describe_scalable_targets(
                ServiceNamespace=p.inputs["serviceNamespace"], ResourceIds=[p.inputs["resourceId"]],
                ScalableDimension=p.inputs["scalableDimension"])["ScalableTargets"]
            state[capacity_key(p)] = (target["MinCapacity"], target["MaxCapacity"])
        for p in d.placed("aws:lambda/function:Function"):
            lam = session.client("lambda", region_name=p.region)
            state[reservation_key(p)] = lam.get_function_concurrency(FunctionName=p.arn).get("ReservedConcurrentExecutions")
        for p in d.placed("aws:glue/crawler:Crawler"):
            schedule = session.client("glue", region_name=p.region).get_crawler(Name=p.name)["Crawler"].get("Schedule")
            state[schedule_key(p)] = schedule.get("State") if schedule else None
        for p in d.placed("aws:cloudwatch/eventRule:EventRule"):
            events = session.client("events", region_name=p.region)
            state[rule_key(p)] = events.describe_rule(Name=p.outputs["name"], EventBusName=_bus(p))["State"]
        route53 = session.client("route53", region_name=d.scope["dr_region"])
        for p in d.failover_records:
            sets = route53.list_resource_record_sets(HostedZoneId=p.inputs["zoneId"])["ResourceRecordSets"]
            [live] = [r for r in sets if r.get("SetIdentifier") == p.inputs["setIdentifier"]
                      and r["Name"].rstrip(".") == p.inputs["name"]]
            state[role_key(p)] = live["Failover"]
    return state


# ---- materialising -------------------------------------------------------------------------------

def _stub_code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("stub.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def _same(what: str, got: str, recorded: str) -> None:
    if got != recorded:
        raise MaterialiseError(f"{what}: moto says {got}, the graph recorded {recorded}")


@dataclass
class Platform:
    """The deployments materialised in one moto account, and what was made of them."""

    deployments: list[Deployment]
    session: boto3.Session
    shared: list[str] = field(default_factory=list)   # physical resources two deployments both declare

    @property
    def main(self) -> Deployment:
        return self.deployments[0]

    def client(self, service: str, region: str):
        return self.session.client(service, region_name=region)

    def observe(self) -> dict[Key, Any]:
        return observe(self.deployments, self.session)

    def declared(self) -> dict[Key, Any]:
        return declared_state(self.deployments)

    def light_on(self, deployment: Optional[Deployment] = None) -> dict[Key, Any]:
        deployment = deployment or self.main
        return light_on_state(deployment, [d for d in self.deployments if d is not deployment])

    def restore(self) -> None:
        """Write the declared value back into everything `observe` reads: a cheap way back to the
        materialised state (the hypothesis drill starts every example there)."""
        for d in self.deployments:
            for p in d.placed("aws:ecs/service:Service"):
                self.client("ecs", p.region).update_service(
                    cluster=p.inputs["cluster"], service=p.name, desiredCount=int(p.inputs["desiredCount"]))
            for p in d.placed("aws:appautoscaling/target:Target"):
                self.client("application-autoscaling", p.region).register_scalable_target(
                    ServiceNamespace=p.inputs["serviceNamespace"], ResourceId=p.inputs["resourceId"],
                    ScalableDimension=p.inputs["scalableDimension"], MinCapacity=int(p.inputs["minCapacity"]),
                    MaxCapacity=int(p.inputs["maxCapacity"]))
            for p in d.placed("aws:lambda/function:Function"):
                lam, reserved = self.client("lambda", p.region), _reservation(p)
                if reserved is None:
                    lam.delete_function_concurrency(FunctionName=p.arn)
                else:
                    lam.put_function_concurrency(FunctionName=p.arn, ReservedConcurrentExecutions=reserved)
            for p in d.placed("aws:glue/crawler:Crawler"):
                glue = self.client("glue", p.region)
                schedule = glue.get_crawler(Name=p.name)["Crawler"].get("Schedule")
                if schedule and schedule.get("State") != "SCHEDULED":
                    glue.start_crawler_schedule(CrawlerName=p.name)
            for p in d.placed("aws:cloudwatch/eventRule:EventRule"):
                events = self.client("events", p.region)
                enabled = (p.inputs.get("state") or DEFAULT_RULE_STATE) == "ENABLED"
                (events.enable_rule if enabled else events.disable_rule)(Name=p.outputs["name"], EventBusName=_bus(p))
            route53 = self.client("route53", d.scope["dr_region"])
            for p in d.failover_records:
                sets = route53.list_resource_record_sets(HostedZoneId=p.inputs["zoneId"])["ResourceRecordSets"]
                [live] = [r for r in sets if r.get("SetIdentifier") == p.inputs["setIdentifier"]
                          and r["Name"].rstrip(".") == p.inputs["name"]]
                if live["Failover"] != _failover_role(p):
                    route53.change_resource_record_sets(HostedZoneId=p.inputs["zoneId"], ChangeBatch={"Changes": [
                        {"Action": "UPSERT", "ResourceRecordSet": {**live, "Failover": _failover_role(p)}}]})


def materialise(deployments: list[Deployment], session: Optional[boto3.Session] = None) -> Platform:
    """Create every deployment in moto (the caller has started `mock_aws` in the stacks' account)."""
    platform = Platform(list(deployments), session or boto3.Session())
    created: set[str] = set()
    for d in deployments:
        _Materialiser(platform, d, created).run()
    return platform


class _Materialiser:
    def __init__(self, platform: Platform, deployment: Deployment, created: set[str]):
        self.p = platform
        self.d = deployment
        self.created = created

    def _first(self, key: str) -> bool:
        """False (and noted) when another deployment already created this physical resource: the
        offline mocks auto-name alike in every stack (`<name>-<hash of the logical name>`), where
        AWS would add a random suffix."""
        if key in self.created:
            self.p.shared.append(key)
            return False
        self.created.add(key)
        return True

    def run(self) -> None:
        self.roles()
        self.buckets()
        self.tables()
        self.ecs()
        self.scaling()
        self.functions()
        self.crawlers()
        self.events()
        self.dns()

    # IAM roles the created resources name (Lambda and S3 replication check them).
    def roles(self) -> None:
        iam = self.p.client("iam", self.d.scope["dr_region"])
        wanted = {p.inputs["role"] for p in self.d.placed("aws:lambda/function:Function")}
        wanted |= {p.inputs["role"] for p in self.d.placed("aws:glue/crawler:Crawler")}
        wanted |= {p.inputs["role"] for p in self.d.placed("aws:s3/bucketReplicationConfig:BucketReplicationConfig")}
        for p in self.d.placed("aws:iam/role:Role"):
            if p.arn in wanted and self._first(p.arn):
                got = iam.create_role(RoleName=p.name, AssumeRolePolicyDocument=p.inputs["assumeRolePolicy"],
                                      Tags=tag_list(p.tags))["Role"]["Arn"]
                _same(f"iam role {p.name}", got, p.arn)

    def buckets(self) -> None:
        for p in self.d.placed("aws:s3/bucket:Bucket"):
            s3 = self.p.client("s3", p.region)
            location = {} if p.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": p.region}}
            s3.create_bucket(Bucket=p.inputs["bucket"], **location)
            s3.put_bucket_tagging(Bucket=p.inputs["bucket"], Tagging={"TagSet": tag_list(p.tags)})
        for p in self.d.placed("aws:s3/bucketVersioning:BucketVersioning"):
            self.p.client("s3", p.region).put_bucket_versioning(
                Bucket=p.inputs["bucket"],
                VersioningConfiguration={"Status": p.inputs["versioningConfiguration"]["status"]})
        for p in self.d.placed("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            rules = []
            for rule in p.inputs["rules"]:
                dest = rule["destination"]
                destination = {"Bucket": dest["bucket"], "StorageClass": dest.get("storageClass", "STANDARD")}
                if "encryptionConfiguration" in dest:
                    destination["EncryptionConfiguration"] = {
                        "ReplicaKmsKeyID": dest["encryptionConfiguration"]["replicaKmsKeyId"]}
                if "replicationTime" in dest:
                    destination["ReplicationTime"] = {"Status": dest["replicationTime"]["status"],
                                                      "Time": {"Minutes": int(dest["replicationTime"]["time"]["minutes"])}}
                rules.append({
                    "ID": rule["id"], "Status": rule["status"], "Priority": int(rule.get("priority", 0)),
                    "Filter": {"Prefix": rule.get("filter", {}).get("prefix", "")},
                    "DeleteMarkerReplication": {"Status": rule["deleteMarkerReplication"]["status"]},
                    "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {
                        "Status": rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"]}},
                    "Destination": destination,
                })
            self.p.client("s3", p.region).put_bucket_replication(
                Bucket=p.inputs["bucket"], ReplicationConfiguration={"Role": p.inputs["role"], "Rules": rules})

    def tables(self) -> None:
        tables = {}
        for p in self.d.placed("aws:dynamodb/table:Table"):
            tables[p.arn] = p
            self._table(p, p.region, p.tags)
        for p in self.d.placed("aws:dynamodb/tableReplica:TableReplica"):
            # moto has no global tables: the replica is a same-named table in its region.
            self._table(tables[p.inputs["globalTableArn"]], p.region, p.tags)

    def _table(self, p: Placed, region: str, tags: dict[str, str]) -> None:
        keys = [{"AttributeName": p.inputs["hashKey"], "KeyType": "HASH"}]
        if p.inputs.get("rangeKey"):
            keys.append({"AttributeName": p.inputs["rangeKey"], "KeyType": "RANGE"})
        ddb = self.p.client("dynamodb", region)
        extra = {}
        if p.inputs.get("streamEnabled"):
            extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": p.inputs["streamViewType"]}
        got = ddb.create_table(
            TableName=p.name, KeySchema=keys, BillingMode=p.inputs["billingMode"],
            AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in p.inputs["attributes"]],
            DeletionProtectionEnabled=bool(p.inputs.get("deletionProtectionEnabled")), Tags=tag_list(tags), **extra,
        )["TableDescription"]["TableArn"]
        _same(f"dynamodb table {p.name} in {region}", got, p.arn.replace(f":{p.region}:", f":{region}:"))
        if p.inputs.get("pointInTimeRecovery", {}).get("enabled"):
            ddb.update_continuous_backups(TableName=p.name,
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    def ecs(self) -> None:
        for p in self.d.placed("aws:ecs/taskDefinition:TaskDefinition"):
            ecs = self.p.client("ecs", p.region)
            i = p.inputs
            got = ecs.register_task_definition(
                family=i["family"], containerDefinitions=json.loads(i["containerDefinitions"]),
                cpu=i["cpu"], memory=i["memory"], networkMode=i["networkMode"],
                requiresCompatibilities=i["requiresCompatibilities"], taskRoleArn=i["taskRoleArn"],
                executionRoleArn=i["executionRoleArn"], volumes=[{"name": v["name"]} for v in i.get("volumes", [])],
                tags=tag_list(p.tags, "key", "value"),
            )["taskDefinition"]["taskDefinitionArn"]
            _same(f"task definition {i['family']}", got, p.arn)
        for p in self.d.placed("aws:ecs/cluster:Cluster"):
            got = self.p.client("ecs", p.region).create_cluster(
                clusterName=p.name, tags=tag_list(p.tags, "key", "value"),
                settings=[{"name": s["name"], "value": s["value"]} for s in p.inputs.get("settings", [])],
            )["cluster"]["clusterArn"]
            _same(f"ecs cluster {p.name}", got, p.arn)
        for p in self.d.placed("aws:ecs/service:Service"):
            i = p.inputs
            got = self.p.client("ecs", p.region).create_service(
                cluster=i["cluster"], serviceName=p.name, taskDefinition=i["taskDefinition"],
                desiredCount=int(i["desiredCount"]), launchType=i["launchType"], platformVersion=i["platformVersion"],
                loadBalancers=[{"targetGroupArn": lb["targetGroupArn"], "containerName": lb["containerName"],
                                "containerPort": int(lb["containerPort"])} for lb in i.get("loadBalancers", [])],
                healthCheckGracePeriodSeconds=int(i["healthCheckGracePeriodSeconds"]),
                deploymentConfiguration={
                    "maximumPercent": int(i["deploymentMaximumPercent"]),
                    "minimumHealthyPercent": int(i["deploymentMinimumHealthyPercent"]),
                    "deploymentCircuitBreaker": {"enable": bool(i["deploymentCircuitBreaker"]["enable"]),
                                                 "rollback": bool(i["deploymentCircuitBreaker"]["rollback"])}},
                propagateTags=i["propagateTags"], enableECSManagedTags=bool(i["enableEcsManagedTags"]),
                enableExecuteCommand=bool(i["enableExecuteCommand"]), tags=tag_list(p.tags, "key", "value"),
            )["service"]["serviceArn"]
            _same(f"ecs service {p.name}", got, p.arn)

    def scaling(self) -> None:
        for p in self.d.placed("aws:appautoscaling/target:Target"):
            i = p.inputs
            self.p.client("application-autoscaling", p.region).register_scalable_target(
                ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
                ScalableDimension=i["scalableDimension"], MinCapacity=int(i["minCapacity"]),
                MaxCapacity=int(i["maxCapacity"]), Tags=p.tags)
        for p in self.d.placed("aws:appautoscaling/policy:Policy"):
            i, conf = p.inputs, p.inputs["targetTrackingScalingPolicyConfiguration"]
            metric = {"PredefinedMetricType": conf["predefinedMetricSpecification"]["predefinedMetricType"]}
            if conf["predefinedMetricSpecification"].get("resourceLabel"):
                metric["ResourceLabel"] = conf["predefinedMetricSpecification"]["resourceLabel"]
            self.p.client("application-autoscaling", p.region).put_scaling_policy(
                PolicyName=p.name, ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
                ScalableDimension=i["scalableDimension"], PolicyType=i["policyType"],
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": float(conf["targetValue"]), "PredefinedMetricSpecification": metric,
                    "ScaleInCooldown": int(conf["scaleInCooldown"]), "ScaleOutCooldown": int(conf["scaleOutCooldown"])})

    def functions(self) -> None:
        for p in self.d.placed("aws:lambda/function:Function"):
            i = p.inputs
            lam = self.p.client("lambda", p.region)
            extra: dict[str, Any] = {}
            if i.get("environment"):
                extra["Environment"] = {"Variables": i["environment"]["variables"]}
            if i.get("deadLetterConfig"):
                extra["DeadLetterConfig"] = {"TargetArn": i["deadLetterConfig"]["targetArn"]}
            if i.get("description"):
                extra["Description"] = i["description"]
            got = lam.create_function(
                FunctionName=p.name, Runtime=i["runtime"], Role=i["role"], Handler=i["handler"],
                Code={"ZipFile": _stub_code()}, MemorySize=int(i["memorySize"]), Timeout=int(i["timeout"]),
                Architectures=i.get("architectures", ["x86_64"]), TracingConfig={"Mode": i["tracingConfig"]["mode"]},
                Tags=p.tags, **extra,
            )["FunctionArn"]
            _same(f"lambda function {p.name}", got, p.arn)
            reserved = _reservation(p)
            if reserved is not None:
                lam.put_function_concurrency(FunctionName=p.name, ReservedConcurrentExecutions=reserved)

    def crawlers(self) -> None:
        for p in self.d.placed("aws:glue/crawler:Crawler"):
            i = p.inputs
            targets = [{"Path": t["path"], **({"Exclusions": t["exclusions"]} if t.get("exclusions") else {})}
                       for t in i.get("s3Targets", [])]
            extra: dict[str, Any] = {}
            if i.get("schedule"):
                extra["Schedule"] = i["schedule"]
            if i.get("tablePrefix"):
                extra["TablePrefix"] = i["tablePrefix"]
            self.p.client("glue", p.region).create_crawler(
                Name=p.name, Role=i["role"], DatabaseName=i["databaseName"], Description=i.get("description", ""),
                Targets={"S3Targets": targets}, Configuration=i.get("configuration", ""),
                SchemaChangePolicy={"UpdateBehavior": i["schemaChangePolicy"]["updateBehavior"],
                                    "DeleteBehavior": i["schemaChangePolicy"]["deleteBehavior"]},
                RecrawlPolicy={"RecrawlBehavior": i["recrawlPolicy"]["recrawlBehavior"]},
                CrawlerSecurityConfiguration=i.get("securityConfiguration", ""), Tags=p.tags, **extra)

    def events(self) -> None:
        for p in self.d.placed("aws:cloudwatch/eventBus:EventBus"):
            got = self.p.client("events", p.region).create_event_bus(
                Name=p.name, Description=p.inputs.get("description", ""), Tags=tag_list(p.tags))["EventBusArn"]
            _same(f"event bus {p.name}", got, p.arn)
        for p in self.d.placed("aws:cloudwatch/eventRule:EventRule"):
            if not self._first(p.arn):
                continue
            i = p.inputs
            extra = ({"EventPattern": i["eventPattern"]} if i.get("eventPattern")
                     else {"ScheduleExpression": i["scheduleExpression"]})
            got = self.p.client("events", p.region).put_rule(
                Name=p.outputs["name"], EventBusName=_bus(p), State=i.get("state") or DEFAULT_RULE_STATE,
                Description=i.get("description", ""), Tags=tag_list(p.tags), **extra)["RuleArn"]
            _same(f"event rule {p.outputs['name']}", got, p.arn)

    def dns(self) -> None:
        from moto.route53.models import HostedZoneIdentifier
        from moto.utilities.id_generator import moto_id_manager

        route53 = self.p.client("route53", self.d.scope["dr_region"])
        zone_id = self.d.dns["hosted_zone_id"]
        if self._first(f"hostedzone/{zone_id}"):
            # The zone is not the program's (stacks name it by id); it keeps that id here.
            domain = self.d.hosted_zone_domain()
            moto_id_manager.set_custom_id(HostedZoneIdentifier(self.d.account_id, f"{domain}.", None), zone_id)
            got = route53.create_hosted_zone(Name=domain, CallerReference=f"{self.d.dr.stack}-{domain}")["HostedZone"]["Id"]
            _same(f"hosted zone {domain}", got.rsplit("/", 1)[-1], zone_id)
        for graph in self.d.graphs:
            health_checks: dict[str, str] = {}   # the graph's id -> moto's
            for p in graph.placed("aws:route53/healthCheck:HealthCheck"):
                i = p.inputs
                created = route53.create_health_check(CallerReference=p.record.urn, HealthCheckConfig={
                    "Type": i["type"], "FullyQualifiedDomainName": i["fqdn"], "Port": int(i["port"]),
                    "ResourcePath": i["resourcePath"], "RequestInterval": int(i["requestInterval"]),
                    "FailureThreshold": int(i["failureThreshold"]), "EnableSNI": bool(i["enableSni"]),
                    "MeasureLatency": bool(i["measureLatency"])})["HealthCheck"]["Id"]
                route53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=created, AddTags=tag_list(p.tags))
                health_checks[p.record.id] = created
            for p in graph.placed("aws:route53/record:Record"):
                i = p.inputs
                [alias] = i["aliases"]
                record = {
                    "Name": i["name"], "Type": i["type"], "SetIdentifier": i["setIdentifier"],
                    "Failover": _failover_role(p),
                    "AliasTarget": {"HostedZoneId": alias["zoneId"], "DNSName": alias["name"],
                                    "EvaluateTargetHealth": bool(alias["evaluateTargetHealth"])},
                }
                if i.get("healthCheckId"):
                    record["HealthCheckId"] = health_checks[i["healthCheckId"]]
                route53.change_resource_record_sets(HostedZoneId=i["zoneId"], ChangeBatch={
                    "Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]})
