"""What the Pulumi program deploys, in moto, for the failover runbook tests; and call recording."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import EndpointConnectionError

PRIMARY = "us-east-1"
DR = "us-west-2"
ACCOUNT = "123456789012"

READ_PREFIXES = ("Describe", "List", "Get")


@dataclass
class CallLog:
    """Every API call made through a session: (region, service, operation)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, model, request_signer, **_):
        self.calls.append((request_signer.region_name, model.service_model.service_name, model.name))

    @property
    def writes(self) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if not c[2].startswith(READ_PREFIXES)]


def recording_session() -> tuple[boto3.Session, CallLog]:
    session = boto3.Session(region_name=DR)
    log = CallLog()
    session.events.register("before-call", log)
    return session, log


def primary_down(session: boto3.Session, region: str = PRIMARY) -> None:
    """Every call to `region` fails as it does when the region's endpoints are unreachable."""

    def refuse(model, request_signer, **_):
        if request_signer.region_name == region and model.service_model.service_name != "route53":
            raise EndpointConnectionError(endpoint_url=f"https://{model.service_model.endpoint_prefix}.{region}.amazonaws.com")

    session.events.register("before-call", refuse)


# ---- what the Pulumi program deploys -----------------------------------------------------------

def org_tags(bu: str, role: str, env: str = "dev") -> dict[str, str]:
    return {
        "business-unit": bu, "environment": env, "region-role": role, "owner": f"{bu}-data-platform@example.com",
        "cost-center": "CC-1001", "managed-by": "pulumi/data-delivery-platform",
    }


def _kv(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def deploy_primary(bu: str = "retail", env: str = "dev") -> None:
    """Primary stack: ODS table with streams + DR replica, raw zone bucket replicated to DR."""
    tags = org_tags(bu, "primary", env)
    table = f"{bu}-{env}-orders-ods"
    for region in (PRIMARY, DR):  # global table: a replica table exists in DR (see docstring)
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            Tags=_kv(tags),
        )
    s3p = boto3.client("s3", region_name=PRIMARY)
    s3d = boto3.client("s3", region_name=DR)
    src, dst = f"{bu}-{env}-orders-raw-{PRIMARY}", f"{bu}-{env}-orders-raw-{DR}"
    s3p.create_bucket(Bucket=src)
    s3d.create_bucket(Bucket=dst, CreateBucketConfiguration={"LocationConstraint": DR})
    for client, bucket in ((s3p, src), (s3d, dst)):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        # The DR replica bucket is declared by the primary stack's DR provider: same default tags.
        client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _kv(tags)})
    iam = boto3.client("iam", region_name=PRIMARY)
    role = iam.create_role(RoleName=f"{bu}-{env}-s3-replication", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    s3p.put_bucket_replication(Bucket=src, ReplicationConfiguration={
        "Role": role,
        "Rules": [{
            "ID": "to-dr", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{dst}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:{DR}:{ACCOUNT}:key/dr-key"},
            },
        }],
    })


@dataclass(frozen=True)
class DrNames:
    cluster: str
    service: str
    function: str
    plain_function: str
    crawler: str
    bus: str
    rule: str


def deploy_dr(bu: str = "retail", env: str = "dev", desired: int = 3, reserved: str | None = "20",
              min_count: int | None = None) -> DrNames:
    """DR stack: the pilot light, everything at zero / paused. `reserved` is the function's
    `ddp:primary-reserved-concurrency` tag (None: no tag); `min_count` its `ddp:primary-min-count`."""
    tags = org_tags(bu, "dr", env)
    pilot = {**tags, "ddp:pilot-light": "true", "ddp:primary-desired-count": str(desired)}
    if min_count is not None:
        pilot["ddp:primary-min-count"] = str(min_count)
    n = DrNames(
        cluster=f"{bu}-{env}", service=f"{bu}-{env}-orders-api", function=f"{bu}-{env}-order-events",
        plain_function=f"{bu}-{env}-order-audit", crawler=f"{bu}-{env}-orders-raw",
        bus=f"{bu}-{env}-events", rule=f"{bu}-{env}-orders-nightly",
    )
    ecs = boto3.client("ecs", region_name=DR)
    ecs.create_cluster(clusterName=n.cluster, tags=[{"key": k, "value": v} for k, v in tags.items()])
    ecs.create_service(cluster=n.cluster, serviceName=n.service, desiredCount=0, launchType="FARGATE",
                       tags=[{"key": k, "value": v} for k, v in pilot.items()])
    boto3.client("application-autoscaling", region_name=DR).register_scalable_target(
        ServiceNamespace="ecs", ResourceId=f"service/{n.cluster}/{n.service}",
        ScalableDimension="ecs:service:DesiredCount", MinCapacity=0, MaxCapacity=6,
    )
    role = boto3.client("iam", region_name=DR).create_role(
        RoleName=f"{bu}-{env}-lambda-dr", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=DR)
    fn_tags = dict(pilot)
    for key in ("ddp:primary-desired-count", "ddp:primary-min-count"):
        fn_tags.pop(key, None)
    if reserved is not None:
        fn_tags["ddp:primary-reserved-concurrency"] = reserved
    for name, t in ((n.function, fn_tags), (n.plain_function, {**tags, "ddp:pilot-light": "true"})):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": _lambda_zip()}, Tags=t)
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    glue = boto3.client("glue", region_name=DR)
    glue.create_database(DatabaseInput={"Name": f"{bu}_{env}_orders"})
    glue.create_crawler(Name=n.crawler, Role=role, DatabaseName=f"{bu}_{env}_orders",
                        Targets={"S3Targets": [{"Path": f"s3://{bu}-{env}-orders-raw-{DR}/"}]},
                        Schedule="cron(0 3 * * ? *)", Tags=tags)
    glue.stop_crawler_schedule(CrawlerName=n.crawler)  # the light is off: schedule paused
    events = boto3.client("events", region_name=DR)
    events.create_event_bus(Name=n.bus, Tags=_kv(tags))
    events.put_rule(Name=n.rule, EventBusName=n.bus, EventPattern=json.dumps({"source": [f"{bu}.orders"]}),
                    State="DISABLED", Tags=_kv(tags))
    return n


def dr_state(n: DrNames) -> dict:
    """The observable pilot-light state in DR (what the assertions compare)."""
    ecs = boto3.client("ecs", region_name=DR)
    scaling = boto3.client("application-autoscaling", region_name=DR)
    lam = boto3.client("lambda", region_name=DR)
    glue = boto3.client("glue", region_name=DR)
    events = boto3.client("events", region_name=DR)
    target = scaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{n.cluster}/{n.service}"])["ScalableTargets"][0]
    return {
        "desired": ecs.describe_services(cluster=n.cluster, services=[n.service])["services"][0]["desiredCount"],
        "min": target["MinCapacity"],
        "max": target["MaxCapacity"],
        "reserved": lam.get_function_concurrency(FunctionName=n.function).get("ReservedConcurrentExecutions"),
        "plain_reserved": lam.get_function_concurrency(FunctionName=n.plain_function).get("ReservedConcurrentExecutions"),
        "crawler": glue.get_crawler(Name=n.crawler)["Crawler"]["Schedule"]["State"],
        "rule": events.describe_rule(Name=n.rule, EventBusName=n.bus)["State"],
    }


LIGHT_OFF = {"desired": 0, "min": 0, "max": 6, "reserved": 0, "plain_reserved": 0,
             "crawler": "NOT_SCHEDULED", "rule": "DISABLED"}
