"""OperationalService under the platform mocks: exact security inputs, child counts, both runtimes,
every optional branch (DAX, build_image, sort key, authorizer, trigger, pilot light, prod).

Each test builds the component alone (a hand-made ServedStore/NetworkRefs and an explicit
provider), so these tests do not depend on DataProduct; the last tests check the shipped dev stack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pytest

from sdk_names import assert_absent
from components.foundation import blueprint, naming
from components.operational_service import names as svc_names
from components.operational_service import policies as svc_policies
from components.foundation.context import NetworkRefs, ServedStore, StackContext
from components.operational_service import (API_ACCESS_LOG_FORMAT, FUNCTION_SOURCE, OperationalService,
                                            OperationalServiceArgs, certificate_region_problem)
from offline.engine import is_secret, resolve, run_program, secret_value
from offline.mocks import PlatformMocks, Record, RecordingMonitor
from stackconfig.args import service_spec
from stackconfig.model import ServiceSettings

ACCOUNT = "111111111111"
REGION = "us-east-1"
CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/retail-dev-orders-ods"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/retail-dev-orders"
DAX_ARN = f"arn:aws:dax:{REGION}:{ACCOUNT}:cache/retail-dev-orders"
DAX_ENDPOINT = "daxs://retail-dev-orders.abc123.dax-clusters.us-east-1.amazonaws.com"
CLIENT_SG = "sg-0da7c11e471000000"
PRIVATE = ["subnet-priv-a", "subnet-priv-b", "subnet-priv-c"]
PUBLIC = ["subnet-pub-a", "subnet-pub-b", "subnet-pub-c"]

DEV = StackContext(business_unit="retail", environment="dev", account_id=ACCOUNT, region=REGION, partition="aws")
PROD = replace(DEV, environment="prod")
NET = NetworkRefs(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=PRIVATE, public_subnet_ids=PUBLIC)
STORE = ServedStore(
    data_product="orders", table_name="retail-dev-orders-ods", table_arn=TABLE_ARN, partition_key="orderId",
    sort_key="lineId", key_arn=KEY_ARN, event_bus_name="retail-dev-orders", event_bus_arn=BUS_ARN,
    event_source="retail.orders-api", dax_cluster_arn=DAX_ARN, dax_endpoint=DAX_ENDPOINT,
    client_security_group_id=CLIENT_SG,
)
ORG_TAGS = {"business-unit": "retail", "environment": "dev", "owner": "team@example.com", "cost-center": "CC-1",
            "managed-by": blueprint.MANAGED_BY, "region-role": "primary"}
NO_DAX = replace(STORE, sort_key=None, dax_cluster_arn=None, dax_endpoint=None, client_security_group_id=None)

T_FN = "aws:lambda/function:Function"
T_SVC = "aws:ecs/service:Service"
T_TASK = "aws:ecs/taskDefinition:TaskDefinition"
T_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
T_SG = "aws:ec2/securityGroup:SecurityGroup"
T_ROUTE = "aws:apigatewayv2/route:Route"
T_LOGS = "aws:cloudwatch/logGroup:LogGroup"
T_LB = "aws:lb/loadBalancer:LoadBalancer"
T_LISTENER = "aws:lb/listener:Listener"
T_ACL = "aws:wafv2/webAcl:WebAcl"
T_ACL_ALB = "aws:wafv2/webAclAssociation:WebAclAssociation"
T_ACL_LOGS = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


OIDC = {"issuer": "https://login.example.com", "authorizationEndpoint": "https://login.example.com/oauth2/v1/authorize",
        "tokenEndpoint": "https://login.example.com/oauth2/v1/token",
        "userInfoEndpoint": "https://login.example.com/oauth2/v1/userinfo",
        "clientId": "orders-api", "clientSecret": "ordersApiOidcClientSecret"}
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123"
COGNITO = {"userPoolArn": POOL_ARN, "clientId": "4example5client6id", "domain": "retail-auth"}
# What the test program's stack config holds for the secret key the OIDC settings name.
SECRET_CONFIG = {"ddp-test:ordersApiOidcClientSecret": "the-idp-client-secret"}


def fargate(**overrides: Any) -> ServiceSettings:
    """A public (OIDC) Fargate service unless overridden (public=None: internal)."""
    base = dict(name="orders-api", runtime="fargate", dataProduct="orders",
                image="public.ecr.aws/docker/library/python:3.12-slim", cpu=512, memory=1024,
                desiredCount=3, minCount=2, maxCount=6, certificateArn=CERT,
                public={"oidc": OIDC}, allowedCidrs=["203.0.113.0/24", "198.51.100.0/24"])
    base.update(overrides)
    return ServiceSettings.model_validate({k: v for k, v in base.items() if v is not None})


def internal(**overrides: Any) -> ServiceSettings:
    return fargate(**{"public": None, "allowedCidrs": None, **overrides})


def function(**overrides: Any) -> ServiceSettings:
    base = dict(name="order-events", runtime="lambda", dataProduct="orders")
    base.update(overrides)
    return ServiceSettings.model_validate(base)


VPC_CIDR = "10.10.0.0/16"


def unsecret(value: Any) -> Any:
    """A recorded secret's value (the engine's secret wrapper), asserting that it is one."""
    assert is_secret(value), f"not a secret: {value!r}"[:200]
    return secret_value(value)


@dataclass
class Built:
    component: OperationalService
    records: list[Record]
    outputs: dict[str, Any]

    def of(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.custom and r.type == type_]

    def one(self, type_: str, name: Optional[str] = None) -> Record:
        found = [r for r in self.of(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            if r.custom and r.type != "pulumi:providers:aws":
                out[r.type] = out.get(r.type, 0) + 1
        return out

    def policy(self, name: str) -> dict:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])


OUTPUT_NAMES = ("endpoint", "cluster_name", "service_name", "function_name", "log_group_name", "role_arn",
                "security_group_id")


def build(service: ServiceSettings, *, store: ServedStore = STORE, stack: StackContext = DEV,
          pilot_light: bool = False, config: Optional[dict[str, str]] = None) -> Built:
    """Run one OperationalService (with its own explicit provider) under the recording mocks."""
    mocks = PlatformMocks(account_id=stack.account_id, region=stack.region, partition=stack.partition)
    mocks.vpc_cidrs[str(NET.vpc_id)] = VPC_CIDR  # what getVpc reports for the hand-made VPC
    monitor = RecordingMonitor(mocks)
    holder: dict[str, OperationalService] = {}

    def program() -> None:
        provider = aws.Provider(  # like components.foundation.account: pinned account, mandatory org tags
            "test-provider", region=stack.region, allowed_account_ids=[stack.account_id],
            default_tags=aws.ProviderDefaultTagsArgs(tags=ORG_TAGS))
        holder["svc"] = OperationalService(
            service.name,
            OperationalServiceArgs(service=service_spec(service), stack=stack, network=NET, store=store,
                                   pilot_light=pilot_light),
            pulumi.ResourceOptions(providers=[provider]),
        )

    run_program(program, mocks=mocks, monitor=monitor, project="ddp-test", stack=stack.environment,
                config=dict(SECRET_CONFIG if config is None else config))
    svc = holder["svc"]
    outputs = {key: None if getattr(svc, key) is None else resolve(getattr(svc, key)) for key in OUTPUT_NAMES}
    return Built(svc, list(monitor.records), outputs)


def statement(doc: dict, sid: str) -> dict:
    found = [s for s in doc["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"no single statement {sid} in {doc}"
    return found[0]


@pytest.fixture(scope="module")
def svc() -> Built:
    return build(fargate())


@pytest.fixture(scope="module")
def fn() -> Built:
    return build(function(memoryMb=512, timeoutSeconds=20, reservedConcurrency=20))


# --- fargate -----------------------------------------------------------------------------------

def test_fargate_children(svc: Built):
    assert svc.counts() == {
        "aws:kms/key:Key": 1, "aws:kms/alias:Alias": 1, "aws:cloudwatch/logGroup:LogGroup": 2,  # app + WAF
        T_SG: 2, T_IN: 2 * 2 + 1, T_OUT: 2,
        T_ACL: 1, T_ACL_ALB: 1, T_ACL_LOGS: 1,
        "aws:s3/bucket:Bucket": 1, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1, "aws:s3/bucketVersioning:BucketVersioning": 1,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1, "aws:s3/bucketPolicy:BucketPolicy": 1,
        "aws:lb/loadBalancer:LoadBalancer": 1, "aws:lb/targetGroup:TargetGroup": 1, "aws:lb/listener:Listener": 2,
        "aws:iam/role:Role": 2, "aws:iam/rolePolicy:RolePolicy": 2,
        "aws:ecs/cluster:Cluster": 1, T_TASK: 1, T_SVC: 1,
        "aws:appautoscaling/target:Target": 1, "aws:appautoscaling/policy:Policy": 2,
    }
    comp = [r for r in svc.records if r.type == "ddp:index:OperationalService"]
    assert len(comp) == 1 and comp[0].name == "orders-api"
    # every child is parented by the component and named from it
    for r in svc.records:
        if r.custom and r.type != "pulumi:providers:aws":
            assert r.parent == comp[0].urn and r.name.startswith("orders-api-"), r.name
            assert r.provider.split("::")[-2] == "test-provider", r.name


def test_container_definition_is_hardened(svc: Built):
    task = svc.one(T_TASK)
    [c] = json.loads(task.inputs["containerDefinitions"])
    assert c["user"] == "10001"
    assert c["readonlyRootFilesystem"] is True
    assert c["privileged"] is False
    assert c["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert c["essential"] is True
    assert c["image"] == "public.ecr.aws/docker/library/python:3.12-slim"
    assert c["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "http",
                                  "appProtocol": "http"}]
    log_group = svc.one(T_LOGS, "orders-api-logs")
    assert c["logConfiguration"]["logDriver"] == "awslogs"
    assert c["logConfiguration"]["options"]["awslogs-group"] == log_group.outputs["name"] \
        == "/ddp/retail-dev/services/orders-api/app"
    assert c["logConfiguration"]["options"]["awslogs-region"] == REGION
    assert c["environment"] == [
        # public: ods_api refuses every request this load balancer did not sign
        {"name": "ALB_ARN", "value": svc.one(T_LB).outputs["arn"]},
        {"name": "DAX_ENDPOINT", "value": DAX_ENDPOINT},
        {"name": "EVENT_BUS_NAME", "value": "retail-dev-orders"},
        {"name": "EVENT_SOURCE", "value": "retail.orders-api"},
        {"name": "PARTITION_KEY", "value": "orderId"},
        {"name": "PARTITION_KEY_TYPE", "value": "S"},
        {"name": "PORT", "value": "8080"},
        {"name": "SORT_KEY", "value": "lineId"},
        {"name": "SORT_KEY_TYPE", "value": "S"},
        {"name": "TABLE_NAME", "value": "retail-dev-orders-ods"},
    ]
    assert c["secrets"] == []
    assert c["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    assert c["healthCheck"]["command"][:2] == ["CMD", "python"] and "127.0.0.1:8080/health" in c["healthCheck"]["command"][-1]
    assert task.inputs["volumes"] == [{"name": "tmp"}]


def test_log_group_encrypted_with_service_key(svc: Built):
    key = svc.one("aws:kms/key:Key")
    log_group = svc.one(T_LOGS, "orders-api-logs")
    assert log_group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert log_group.inputs["retentionInDays"] == blueprint.LOG_RETENTION_DAYS
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    logs = statement(policy, "CloudWatchLogs")
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    # CloudWatch Logs documents only the encryption context for this use (no aws:SourceAccount).
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ddp/retail-dev/services/orders-api/*",
                                               f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-waf-logs-retail-dev-orders-api"]}}
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountAdministers", "CloudWatchLogs"]


def test_task_definition(svc: Built):
    task = svc.one(T_TASK)
    roles = {r.name: r for r in svc.of("aws:iam/role:Role")}
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["networkMode"] == "awsvpc"
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
    assert task.inputs["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert task.inputs["executionRoleArn"] == roles["orders-api-execution-role"].outputs["arn"]
    assert task.inputs["taskRoleArn"] == roles["orders-api-task-role"].outputs["arn"]
    assert task.inputs["family"] == "retail-dev-orders-api"


def test_service_is_private_with_circuit_breaker(svc: Built):
    service = svc.one(T_SVC)
    task_sg = svc.one(T_SG, "orders-api-task-sg")
    net = service.inputs["networkConfiguration"]
    assert net["subnets"] == PRIVATE and len(net["subnets"]) == 3
    assert net["assignPublicIp"] is False
    assert net["securityGroups"] == [task_sg.id, CLIENT_SG]
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["desiredCount"] == 3
    assert service.inputs["launchType"] == "FARGATE"
    assert service.inputs["enableExecuteCommand"] is False
    assert service.inputs["propagateTags"] == "SERVICE"
    assert service.inputs["loadBalancers"] == [{"targetGroupArn": svc.one("aws:lb/targetGroup:TargetGroup").id,
                                                "containerName": "app", "containerPort": 8080}]
    assert service.inputs["taskDefinition"] == svc.one(T_TASK).outputs["arn"]
    assert service.inputs["tags"] == {"ddp:service": "orders-api", "data-product": "orders",
                                      "ddp:pilot-light": "false", "ddp:primary-desired-count": "3",
                                      "ddp:primary-min-count": "2"}
    cluster = svc.one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert service.inputs["cluster"] == cluster.outputs["arn"]


def _rules(built: Built, type_: str, sg_name: str) -> list[dict]:
    sg = built.one(T_SG, sg_name)
    rules = []
    for r in built.of(type_):
        if r.inputs["securityGroupId"] == sg.id:
            rules.append({k: v for k, v in r.inputs.items() if k not in ("description", "securityGroupId")})
    return sorted(rules, key=json.dumps)


def test_security_group_rules(svc: Built):
    alb_sg = svc.one(T_SG, "orders-api-alb-sg").id
    task_sg = svc.one(T_SG, "orders-api-task-sg").id
    assert _rules(svc, T_IN, "orders-api-alb-sg") == sorted([
        {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr}
        for cidr in ("203.0.113.0/24", "198.51.100.0/24") for port in (443, 80)
    ], key=json.dumps)
    assert _rules(svc, T_OUT, "orders-api-alb-sg") == [
        {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "referencedSecurityGroupId": task_sg}]
    assert _rules(svc, T_IN, "orders-api-task-sg") == [
        {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "referencedSecurityGroupId": alb_sg}]
    assert _rules(svc, T_OUT, "orders-api-task-sg") == [
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}]
    # rules are named by stable keys, not list positions
    assert {r.name for r in svc.of(T_IN)} == {
        "orders-api-alb-in-https-203-0-113-0-24", "orders-api-alb-in-http-203-0-113-0-24",
        "orders-api-alb-in-https-198-51-100-0-24", "orders-api-alb-in-http-198-51-100-0-24",
        "orders-api-task-in-alb"}
    for sg in svc.of(T_SG):  # no inline rules: the rule resources are the only rules
        assert_absent(sg, "ingress", "egress")


def test_load_balancer(svc: Built):
    lb = svc.one("aws:lb/loadBalancer:LoadBalancer")
    bucket = svc.one("aws:s3/bucket:Bucket")
    assert lb.inputs["internal"] is False
    assert lb.inputs["loadBalancerType"] == "application"
    assert lb.inputs["subnets"] == PUBLIC
    assert lb.inputs["securityGroups"] == [svc.one(T_SG, "orders-api-alb-sg").id]
    assert lb.inputs["dropInvalidHeaderFields"] is True
    assert lb.inputs["enableDeletionProtection"] is False  # dev
    assert lb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "orders-api", "enabled": True}
    assert lb.inputs["name"] == "retail-dev-orders-api"
    assert any(d.endswith("orders-api-alb-logs-policy") for d in lb.dependencies)


def test_deletion_protection_in_prod():
    built = build(fargate(), stack=PROD)
    assert built.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True


def test_listeners_tls_and_redirect(svc: Built):
    listeners = {r.name: r.inputs for r in svc.of("aws:lb/listener:Listener")}
    lb_arn = svc.one("aws:lb/loadBalancer:LoadBalancer").outputs["arn"]
    tg_arn = svc.one("aws:lb/targetGroup:TargetGroup").outputs["arn"]
    https = listeners["orders-api-https"]
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["sslPolicy"] == blueprint.ALB_TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificateArn"] == CERT
    assert https["loadBalancerArn"] == lb_arn
    # public: the login first, then the forward (exact inputs in test_public_oidc_listener_logs_in_first)
    actions = unsecret(https["defaultActions"])
    assert [(a["type"], a["order"]) for a in actions] == [("authenticate-oidc", 1), ("forward", 2)]
    assert actions[1]["targetGroupArn"] == tg_arn
    http = listeners["orders-api-http-redirect"]
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


def test_target_group(svc: Built):
    tg = svc.one("aws:lb/targetGroup:TargetGroup")
    assert tg.inputs["targetType"] == "ip"
    assert (tg.inputs["port"], tg.inputs["protocol"]) == (8080, "HTTP")
    assert tg.inputs["vpcId"] == NET.vpc_id
    assert tg.inputs["healthCheck"]["path"] == "/health"
    assert tg.inputs["healthCheck"]["matcher"] == "200"


def test_access_log_bucket(svc: Built):
    bucket = svc.one("aws:s3/bucket:Bucket")
    name = bucket.outputs["bucket"]
    assert name == f"retail-dev-orders-api-alb-logs-{ACCOUNT}-use1"
    assert bucket.protect is True and bucket.retain_on_delete is True
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == {"ddp:service": "orders-api", "data-product": "orders",
                                     "data-classification": "confidential", "ddp:log-target": "alb-access-logs"}
    pab = svc.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                        "restrictPublicBuckets"))
    assert svc.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    assert svc.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    sse = svc.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]  # ELB: SSE-S3 only
    rules = {r["id"]: r for r in svc.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]}
    assert set(rules) == {"abort-incomplete-multipart-uploads", "expire-access-logs"}
    assert rules["expire-access-logs"]["status"] == "Enabled" and rules["expire-access-logs"]["expiration"] == {"days": 90}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    policy = svc.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.inputs["bucket"] == name
    doc = json.loads(policy.inputs["policy"])
    arn = f"arn:aws:s3:::{name}"
    assert doc["Statement"] == [
        {"Effect": "Deny", "Action": ["s3:*"], "Resource": [arn, f"{arn}/*"], "Sid": "DenyInsecureTransport",
         "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{arn}/orders-api/AWSLogs/{ACCOUNT}/*"],
         "Sid": "ElbLogDelivery", "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}},
    ]


def test_access_log_bucket_unprotected_when_stack_allows_data_destroy():
    built = build(fargate(), stack=replace(DEV, allow_data_destroy=True))
    bucket = built.one("aws:s3/bucket:Bucket")
    assert bucket.protect is False and bucket.inputs["forceDestroy"] is True


def test_autoscaling(svc: Built):
    target = svc.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert target["resourceId"] == "service/retail-dev-orders-api/retail-dev-orders-api"
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    lb = svc.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    tg = svc.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    policies = {r.name: r.inputs for r in svc.of("aws:appautoscaling/policy:Policy")}
    cpu = policies["orders-api-scale-cpu"]["targetTrackingScalingPolicyConfiguration"]
    assert cpu["predefinedMetricSpecification"] == {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}
    req = policies["orders-api-scale-requests"]["targetTrackingScalingPolicyConfiguration"]
    assert req["predefinedMetricSpecification"] == {"predefinedMetricType": "ALBRequestCountPerTarget",
                                                    "resourceLabel": f"{lb}/{tg}"}
    for p in policies.values():
        assert p["policyType"] == "TargetTrackingScaling" and p["resourceId"] == target["resourceId"]


def test_task_role_policy_exact(svc: Built):
    assert svc.policy("orders-api-task-policy") == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Sid": "OdsItems", "Resource": [TABLE_ARN], "Action": [
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
            "dynamodb:ConditionCheckItem"]},
        {"Effect": "Allow", "Sid": "OdsIndexes", "Resource": [f"{TABLE_ARN}/index/*"], "Action": ["dynamodb:Query"]},
        {"Effect": "Allow", "Sid": "DaxItems", "Resource": [DAX_ARN],
         "Action": ["dax:GetItem", "dax:PutItem", "dax:UpdateItem", "dax:Query"]},
        {"Effect": "Allow", "Sid": "PublishEvents", "Resource": [BUS_ARN], "Action": ["events:PutEvents"]},
        {"Effect": "Allow", "Sid": "StoreKey", "Resource": [KEY_ARN],
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]},
    ]}


def test_execution_role_policy_public_image(svc: Built):
    log_arn = svc.one(T_LOGS, "orders-api-logs").outputs["arn"]
    assert svc.policy("orders-api-execution-policy")["Statement"] == [
        {"Effect": "Allow", "Sid": "ContainerLogs", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [log_arn, f"{log_arn}:log-stream:*"]}]


def test_roles_trust_ecs_tasks_of_this_account_only(svc: Built):
    for role in svc.of("aws:iam/role:Role"):
        [st] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert st["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                   "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"}}
    names = sorted(r.inputs["name"] for r in svc.of("aws:iam/role:Role"))
    assert names == ["retail-dev-orders-api-task", "retail-dev-orders-api-task-exec"]


def test_private_ecr_image_gets_pull_permissions_on_that_repository_only():
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shared/orders-api:1.4.2"
    built = build(fargate(image=image))
    doc = built.policy("orders-api-execution-policy")
    assert statement(doc, "EcrAuth") == {"Effect": "Allow", "Sid": "EcrAuth", "Action": ["ecr:GetAuthorizationToken"],
                                         "Resource": ["*"]}
    assert statement(doc, "EcrPull")["Resource"] == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shared/orders-api"]
    assert len(doc["Statement"]) == 3


def test_build_image_creates_hardened_repository():
    built = build(fargate(image=None, buildImage=True))
    repo = built.one("aws:ecr/repository:Repository")
    key_arn = built.one("aws:kms/key:Key").outputs["arn"]
    assert repo.inputs["name"] == "retail-dev/orders-api"
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key_arn}]
    lifecycle = json.loads(built.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]
    [c] = json.loads(built.one(T_TASK).inputs["containerDefinitions"])
    # `pulumi up` builds and pushes the image (awsx.ecr.Image), tagged with the source's content
    # hash, and the task runs the pushed digest, never a tag.
    [image] = [r for r in built.records if r.type == "awsx:ecr:Image"]  # a remote component
    tag = svc_names.source_tag(FUNCTION_SOURCE)
    assert image.inputs["repositoryUrl"] == repo.outputs["repositoryUrl"]
    assert (image.inputs["context"], image.inputs["platform"], image.inputs["imageTag"]) == (
        str(FUNCTION_SOURCE), "linux/amd64", tag)
    assert tag.startswith("src-")
    assert c["image"] == image.outputs["imageUri"]
    assert re.fullmatch(re.escape(repo.outputs["repositoryUrl"]) + r"@sha256:[0-9a-f]{64}", c["image"])
    doc = built.policy("orders-api-execution-policy")
    assert statement(doc, "EcrPull")["Resource"] == [repo.outputs["arn"]]
    assert statement(doc, "EcrPull")["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                                                   "ecr:BatchGetImage"]


def test_configured_image_has_no_repository(svc: Built):
    assert svc.of("aws:ecr/repository:Repository") == []


def test_fargate_without_dax():
    built = build(fargate(), store=NO_DAX)
    service = built.one(T_SVC)
    assert service.inputs["networkConfiguration"]["securityGroups"] == [built.one(T_SG, "orders-api-task-sg").id]
    [c] = json.loads(built.one(T_TASK).inputs["containerDefinitions"])
    names = [e["name"] for e in c["environment"]]
    assert names == ["ALB_ARN", "EVENT_BUS_NAME", "EVENT_SOURCE", "PARTITION_KEY", "PARTITION_KEY_TYPE", "PORT",
                     "TABLE_NAME"]
    sids = [s["Sid"] for s in built.policy("orders-api-task-policy")["Statement"]]
    assert sids == ["OdsItems", "OdsIndexes", "PublishEvents", "StoreKey"]


def test_fargate_pilot_light():
    built = build(fargate(), pilot_light=True)
    service = built.one(T_SVC).inputs
    assert service["desiredCount"] == 0
    assert service["tags"]["ddp:pilot-light"] == "true"
    assert service["tags"]["ddp:primary-desired-count"] == "3"
    assert service["tags"]["ddp:primary-min-count"] == "2"
    target = built.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 6)


def test_dr_stack_roles_do_not_collide_with_the_primarys():
    dr = replace(DEV, region="us-west-2", region_role="dr")
    built = build(fargate(), stack=dr, pilot_light=True)
    assert sorted(r.inputs["name"] for r in built.of("aws:iam/role:Role")) == [
        "retail-dev-orders-api-task-dr", "retail-dev-orders-api-task-exec-dr"]
    assert built.one(T_SVC).inputs["desiredCount"] == 0
    assert build(function(), stack=dr, pilot_light=True).one("aws:iam/role:Role").inputs["name"] \
        == "retail-dev-order-events-fn-dr"


def test_certificate_region_check():
    assert certificate_region_problem(CERT, REGION) is None
    problem = certificate_region_problem(CERT, "us-west-2")
    assert problem is not None and "is in us-east-1 but the load balancer is in us-west-2" in problem


def test_fargate_outputs(svc: Built):
    lb = svc.one("aws:lb/loadBalancer:LoadBalancer").outputs
    assert svc.outputs["endpoint"] == f"https://{lb['dnsName']}"
    assert svc.outputs["cluster_name"] == "retail-dev-orders-api"
    assert svc.outputs["service_name"] == "retail-dev-orders-api"
    assert svc.outputs["function_name"] is None
    assert svc.outputs["log_group_name"] == "/ddp/retail-dev/services/orders-api/app"
    assert svc.outputs["security_group_id"] == svc.one(T_SG, "orders-api-task-sg").id
    comp = [r for r in svc.records if r.type == "ddp:index:OperationalService"][0]
    assert comp.outputs["endpoint"] == svc.outputs["endpoint"]


def test_ipv6_cidr_uses_ipv6_rule():
    built = build(fargate(allowedCidrs=["2001:db8::/32"]))
    rules = {r.name: r.inputs for r in built.of(T_IN)}
    assert rules["orders-api-alb-in-https-ipv6-2001-db8-32"]["cidrIpv6"] == "2001:db8::/32"
    assert "cidrIpv4" not in rules["orders-api-alb-in-https-ipv6-2001-db8-32"]


# --- lambda ------------------------------------------------------------------------------------

def test_lambda_children(fn: Built):
    assert fn.counts() == {
        "aws:kms/key:Key": 1, "aws:kms/alias:Alias": 1, "aws:cloudwatch/logGroup:LogGroup": 2,
        "aws:sqs/queue:Queue": 1, "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1,
        T_SG: 1, T_OUT: 1, T_FN: 1,
        "aws:apigatewayv2/api:Api": 1, "aws:apigatewayv2/integration:Integration": 1, T_ROUTE: 5,
        "aws:apigatewayv2/stage:Stage": 1, "aws:lambda/permission:Permission": 1,
        "aws:lambda/layerVersion:LayerVersion": 1,  # the DAX client: this store has DAX
    }


def test_lambda_function(fn: Built):
    f = fn.one(T_FN).inputs
    key_arn = fn.one("aws:kms/key:Key").outputs["arn"]
    assert f["runtime"] == blueprint.LAMBDA_RUNTIME == "python3.12"
    assert f["handler"] == "lambda_handler.handler"
    assert f["architectures"] == ["arm64"]
    assert f["tracingConfig"] == {"mode": "Active"}
    assert (f["memorySize"], f["timeout"], f["reservedConcurrentExecutions"]) == (512, 20, 20)
    assert f["deadLetterConfig"] == {"targetArn": fn.one("aws:sqs/queue:Queue").outputs["arn"]}
    assert f["kmsKeyArn"] == key_arn
    assert f["environment"] == {"variables": {
        "TABLE_NAME": "retail-dev-orders-ods", "PARTITION_KEY": "orderId", "SORT_KEY": "lineId",
        "PARTITION_KEY_TYPE": "S", "SORT_KEY_TYPE": "S", "EVENT_BUS_NAME": "retail-dev-orders", "EVENT_SOURCE": "retail.orders-api", "DAX_ENDPOINT": DAX_ENDPOINT}}
    assert f["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/ddp/retail-dev/services/order-events/app",
                                  "applicationLogLevel": "INFO", "systemLogLevel": "WARN"}
    assert f["vpcConfig"] == {"subnetIds": PRIVATE, "securityGroupIds": [fn.one(T_SG).id, CLIENT_SG]}
    assert f["name"] == "retail-dev-order-events"
    assert f["role"] == fn.one("aws:iam/role:Role").outputs["arn"]
    assert isinstance(f["code"], pulumi.FileArchive) and f["code"].path == str(FUNCTION_SOURCE)
    assert f["tags"]["ddp:pilot-light"] == "false"
    assert f["tags"]["ddp:primary-reserved-concurrency"] == "20"
    queue = fn.one("aws:sqs/queue:Queue").inputs
    assert queue["kmsMasterKeyId"] == key_arn and queue["messageRetentionSeconds"] == 1209600
    assert _rules(fn, T_OUT, "order-events-function-sg") == [
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}]


def test_lambda_defaults_and_no_dax():
    built = build(function(), store=NO_DAX)
    f = built.one(T_FN).inputs
    assert (f["memorySize"], f["timeout"]) == (256, 10)
    assert "reservedConcurrentExecutions" not in f  # unreserved
    assert f["tags"]["ddp:primary-reserved-concurrency"] == "unreserved"
    assert f["vpcConfig"]["securityGroupIds"] == [built.one(T_SG).id]
    assert "DAX_ENDPOINT" not in f["environment"]["variables"] and "SORT_KEY" not in f["environment"]["variables"]
    assert sorted(r.inputs["routeKey"] for r in built.of(T_ROUTE)) == [
        "GET /health", "GET /items/{pk}", "PUT /items/{pk}"]
    sids = [s["Sid"] for s in built.policy("order-events-function-policy")["Statement"]]
    assert "DaxItems" not in sids


def test_function_role_policy_exact(fn: Built):
    log_arn = fn.one("aws:cloudwatch/logGroup:LogGroup", "order-events-logs").outputs["arn"]
    dlq_arn = fn.one("aws:sqs/queue:Queue").outputs["arn"]
    key_arn = fn.one("aws:kms/key:Key").outputs["arn"]
    doc = fn.policy("order-events-function-policy")
    assert doc["Statement"] == [
        {"Effect": "Allow", "Sid": "OdsItems", "Resource": [TABLE_ARN], "Action": [
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
            "dynamodb:ConditionCheckItem"]},
        {"Effect": "Allow", "Sid": "OdsIndexes", "Resource": [f"{TABLE_ARN}/index/*"], "Action": ["dynamodb:Query"]},
        {"Effect": "Allow", "Sid": "DaxItems", "Resource": [DAX_ARN],
         "Action": ["dax:GetItem", "dax:PutItem", "dax:UpdateItem", "dax:Query"]},
        {"Effect": "Allow", "Sid": "PublishEvents", "Resource": [BUS_ARN], "Action": ["events:PutEvents"]},
        {"Effect": "Allow", "Sid": "StoreKey", "Resource": [KEY_ARN],
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]},
        {"Effect": "Allow", "Sid": "FunctionLogs", "Resource": [log_arn, f"{log_arn}:log-stream:*"],
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"]},
        {"Effect": "Allow", "Sid": "DeadLetterQueue", "Resource": [dlq_arn], "Action": ["sqs:SendMessage"]},
        {"Effect": "Allow", "Sid": "DeadLetterQueueKey", "Resource": [key_arn],
         "Action": ["kms:Decrypt", "kms:GenerateDataKey"]},
        {"Effect": "Allow", "Sid": "XRayTraces", "Resource": ["*"],
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]},
        {"Effect": "Allow", "Sid": "VpcNetworkInterfaces", "Resource": ["*"], "Action": [
            "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]},
    ]
    # no wildcard action anywhere, and "*" only where IAM has no resource-level permission
    for st in doc["Statement"]:
        assert all("*" not in a for a in st["Action"])
        if st["Resource"] == ["*"]:
            assert st["Sid"] in ("XRayTraces", "VpcNetworkInterfaces")
    [trust] = json.loads(fn.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_http_api_with_iam_authorization(fn: Built):
    api = fn.one("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "HTTP"
    integration = fn.one("aws:apigatewayv2/integration:Integration").inputs
    assert integration["integrationType"] == "AWS_PROXY"
    assert integration["payloadFormatVersion"] == "2.0"
    assert integration["integrationUri"] == fn.one(T_FN).outputs["invokeArn"]
    routes = {r.inputs["routeKey"]: r.inputs for r in fn.of(T_ROUTE)}
    assert sorted(routes) == ["GET /health", "GET /items/{pk}", "GET /items/{pk}/{sk}", "PUT /items/{pk}",
                              "PUT /items/{pk}/{sk}"]
    integration_id = fn.one("aws:apigatewayv2/integration:Integration").id
    for route in routes.values():
        assert route["authorizationType"] == "AWS_IAM"
        assert "authorizerId" not in route
        assert route["target"] == f"integrations/{integration_id}"
    assert fn.of("aws:apigatewayv2/authorizer:Authorizer") == []
    stage = fn.one("aws:apigatewayv2/stage:Stage").inputs
    access_logs = fn.one("aws:cloudwatch/logGroup:LogGroup", "order-events-api-logs")
    assert stage["name"] == "$default" and stage["autoDeploy"] is True
    assert stage["accessLogSettings"] == {"destinationArn": access_logs.outputs["arn"], "format": API_ACCESS_LOG_FORMAT}
    assert json.loads(API_ACCESS_LOG_FORMAT)["requestId"] == "$context.requestId"
    assert stage["defaultRouteSettings"]["throttlingRateLimit"] == 100
    assert stage["defaultRouteSettings"]["throttlingBurstLimit"] == 200
    assert access_logs.inputs["kmsKeyId"] == fn.one("aws:kms/key:Key").outputs["arn"]
    assert access_logs.inputs["retentionInDays"] == 365
    permission = fn.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceArn"] == api.outputs["executionArn"] + "/*/*"
    assert fn.outputs["endpoint"] == api.outputs["apiEndpoint"]
    assert fn.outputs["function_name"] == "retail-dev-order-events"
    assert fn.outputs["cluster_name"] is None and fn.outputs["service_name"] is None


def test_http_api_with_jwt_authorizer():
    built = build(function(authorizer="jwt", jwt={"issuer": "https://login.example.com/", "audience": ["orders"]}))
    authorizer = built.one("aws:apigatewayv2/authorizer:Authorizer")
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["identitySources"] == ["$request.header.Authorization"]
    assert authorizer.inputs["jwtConfiguration"] == {"issuer": "https://login.example.com/", "audiences": ["orders"]}
    routes = built.of(T_ROUTE)
    assert len(routes) == 5
    for route in routes:
        assert route.inputs["authorizationType"] == "JWT"
        assert route.inputs["authorizerId"] == authorizer.id


def test_events_trigger():
    built = build(function(trigger="events"))
    assert built.of("aws:apigatewayv2/api:Api") == [] and built.of(T_ROUTE) == []
    rule = built.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["eventBusName"] == "retail-dev-orders"
    assert json.loads(rule.inputs["eventPattern"]) == {"source": [{"anything-but": ["retail.orders-api"]}],
                                                       "account": [ACCOUNT]}
    assert rule.inputs["state"] == "ENABLED"
    queues = {q.name: q for q in built.of("aws:sqs/queue:Queue")}
    assert sorted(queues) == ["order-events-dlq", "order-events-events-dlq", "order-events-events-queue"]
    fn = built.one(T_FN)
    dlq, queue = queues["order-events-events-dlq"], queues["order-events-events-queue"]
    # rule -> queue (not the function: the runtime would parse numbers into floats) -> mapping -> function
    target = built.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["arn"] == queue.outputs["arn"]
    assert target["rule"] == rule.outputs["name"] and target["eventBusName"] == "retail-dev-orders"
    assert target["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    assert target["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 8}
    assert built.of("aws:lambda/permission:Permission") == []
    assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
    assert queue.inputs["visibilityTimeoutSeconds"] == 6 * fn.inputs["timeout"]
    assert queue.inputs["kmsMasterKeyId"] == dlq.inputs["kmsMasterKeyId"] == built.one("aws:kms/key:Key").outputs["arn"]
    mapping = built.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert (mapping.inputs["eventSourceArn"], mapping.inputs["functionName"]) == (queue.outputs["arn"], fn.outputs["arn"])
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    poll = [p for p in built.of("aws:iam/rolePolicy:RolePolicy") if p.name == "order-events-events-poll-policy"]
    assert [p.urn for p in poll] == [d for d in mapping.dependencies if "events-poll-policy" in d]
    statements = {s["Sid"]: s for s in json.loads(poll[0].inputs["policy"])["Statement"]}
    assert statements["PollEventQueue"]["Resource"] == [queue.outputs["arn"]]
    assert statements["DeadLetterEvents"] == {"Effect": "Allow", "Sid": "DeadLetterEvents", "Action": ["sqs:SendMessage"],
                                              "Resource": [dlq.outputs["arn"]]}
    # Events it cannot apply go to the events DLQ at once, with the reason.
    assert fn.inputs["environment"]["variables"]["DLQ_URL"] == dlq.outputs["url"]
    policies = {p.name: json.loads(p.inputs["policy"]) for p in built.of("aws:sqs/queuePolicy:QueuePolicy")}
    for name, sid, arn in (("order-events-events-dlq-policy", "EventBridgeDeadLetters", dlq.outputs["arn"]),
                           ("order-events-events-queue-policy", "EventBridgeSends", queue.outputs["arn"])):
        assert policies[name]["Statement"] == [{
            "Effect": "Allow", "Sid": sid, "Action": ["sqs:SendMessage"], "Resource": [arn],
            "Principal": {"Service": "events.amazonaws.com"},
            "Condition": {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}}]
    key_policy = json.loads(built.one("aws:kms/key:Key").inputs["policy"])
    events = statement(key_policy, "EventBridgeDeadLetters")
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    # EventBridge's deliveries to an encrypted queue carry no aws:SourceArn/SourceAccount in the
    # KMS request: the documented statement has no condition, the queue policy names the rule.
    assert "Condition" not in events
    assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert built.outputs["endpoint"] is None


def test_lambda_pilot_light_is_deployed_but_not_routed():
    http = build(function(reservedConcurrency=20), pilot_light=True)
    f = http.one(T_FN).inputs
    assert f["reservedConcurrentExecutions"] == 20  # not throttled: idle Lambda costs nothing
    assert f["tags"]["ddp:pilot-light"] == "true"
    events = build(function(trigger="events"), pilot_light=True)
    assert events.one("aws:cloudwatch/eventRule:EventRule").inputs["state"] == "DISABLED"


# --- args and helpers --------------------------------------------------------------------------

def test_args_reject_another_products_store():
    with pytest.raises(ValueError, match="serves data product 'orders'"):
        OperationalServiceArgs(service=service_spec(fargate()), stack=DEV, network=NET, store=replace(STORE, data_product="stock"))


def test_args_reject_half_configured_dax():
    with pytest.raises(ValueError, match="go together"):
        OperationalServiceArgs(service=service_spec(fargate()), stack=DEV, network=NET,
                               store=replace(STORE, client_security_group_id=None))


def test_names():
    assert svc_names.cidr_key("0.0.0.0/0") == "0-0-0-0-0"
    assert svc_names.cidr_key("::/0") == "ipv6-0"
    assert svc_names.ecr_repository_name("retail", "dev", "orders-api") == "retail-dev/orders-api"
    assert svc_names.event_rule_name("retail", "dev", "order-events") == "retail-dev-order-events-trigger"
    with pytest.raises(naming.NameLimitError):
        svc_names.event_rule_name("retail", "staging", "x" * 60)
    assert svc_names.log_group_name("retail-dev", "orders-api", "app") == "/ddp/retail-dev/services/orders-api/app"


def test_source_tag_changes_with_content(tmp_path):
    (tmp_path / "app.py").write_text("print(1)\n")
    first = svc_names.source_tag(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert svc_names.source_tag(tmp_path) == first
    (tmp_path / "app.py").write_text("print(2)\n")
    assert svc_names.source_tag(tmp_path) != first


@pytest.mark.parametrize("image, arn", [
    (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/orders-api:1.0", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/orders-api"),
    ("222222222222.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:" + "a" * 64,
     "arn:aws:ecr:eu-west-1:222222222222:repository/team/api"),
    ("public.ecr.aws/docker/library/python:3.12-slim", None),
    ("docker.io/library/nginx:1.27", None),
])
def test_ecr_repository_arn(image, arn):
    assert svc_policies.ecr_repository_arn(image, "aws") == arn


# --- the edge: internal by default, public only behind a login and a WAF ---------------------

def _alb_ingress(built: Built) -> list[dict]:
    return _rules(built, T_IN, "orders-api-alb-sg")


def test_internal_by_default_reachable_from_the_vpc_only():
    built = build(internal())
    lb = built.one(T_LB).inputs
    assert lb["internal"] is True
    assert lb["subnets"] == PRIVATE  # no public subnet anywhere in the service
    assert not any(s in json.dumps(r.inputs) for r in built.records for s in PUBLIC)
    assert _alb_ingress(built) == [
        {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": VPC_CIDR} for port in (443, 80)]
    assert {r.name for r in built.of(T_IN)} == {"orders-api-alb-in-https-vpc", "orders-api-alb-in-http-vpc",
                                                "orders-api-task-in-alb"}
    assert "0.0.0.0/0" not in json.dumps([r.inputs for r in built.of(T_IN)])
    https = built.one(T_LISTENER, "orders-api-https").inputs
    assert https["defaultActions"] == [{"type": "forward", "targetGroupArn": built.one("aws:lb/targetGroup:TargetGroup").id}]
    assert built.of(T_ACL) == built.of(T_ACL_ALB) == built.of(T_ACL_LOGS) == []
    assert [r.name for r in built.of(T_LOGS)] == ["orders-api-logs"]
    [c] = json.loads(built.one(T_TASK).inputs["containerDefinitions"])
    assert "ALB_ARN" not in {e["name"] for e in c["environment"]}
    assert built.outputs["endpoint"].startswith("https://internal-")


def test_internal_with_given_private_cidrs():
    built = build(internal(allowedCidrs=["10.20.0.0/16", "fd00:1::/64"]))
    canonical = lambda rules: sorted(json.dumps(r, sort_keys=True) for r in rules)  # noqa: E731
    assert canonical(_alb_ingress(built)) == canonical(
        [{"ipProtocol": "tcp", "fromPort": p, "toPort": p, "cidrIpv4": "10.20.0.0/16"} for p in (443.0, 80.0)]
        + [{"ipProtocol": "tcp", "fromPort": p, "toPort": p, "cidrIpv6": "fd00:1::/64"} for p in (443.0, 80.0)])
    assert built.one(T_LB).inputs["internal"] is True


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "203.0.113.0/24", "::/0", "8.8.8.0/24", "172.32.0.0/16"])
def test_internal_refuses_public_cidrs(cidr):
    with pytest.raises(ValueError, match="is not private address space: this service's load balancer is internal"):
        internal(allowedCidrs=["10.0.0.0/8", cidr])


def test_public_oidc_listener_logs_in_first(svc: Built):
    lb = svc.one(T_LB).inputs
    assert lb["internal"] is False and lb["subnets"] == PUBLIC
    # the client secret came from the secret config key: the engine keeps the actions secret
    actions = unsecret(svc.one(T_LISTENER, "orders-api-https").inputs["defaultActions"])
    assert actions == [
        {"type": "authenticate-oidc", "order": 1, "authenticateOidc": {
            "issuer": OIDC["issuer"], "authorizationEndpoint": OIDC["authorizationEndpoint"],
            "tokenEndpoint": OIDC["tokenEndpoint"], "userInfoEndpoint": OIDC["userInfoEndpoint"],
            "clientId": "orders-api", "clientSecret": "the-idp-client-secret", "scope": "openid",
            "sessionTimeout": 3600, "onUnauthenticatedRequest": "authenticate"}},
        {"type": "forward", "order": 2, "targetGroupArn": svc.one("aws:lb/targetGroup:TargetGroup").id},
    ]


def test_public_cognito_listener_logs_in_first():
    built = build(fargate(public={"cognito": {**COGNITO, "onUnauthenticatedRequest": "deny"}}), config={})
    actions = built.one(T_LISTENER, "orders-api-https").inputs["defaultActions"]
    assert actions == [
        {"type": "authenticate-cognito", "order": 1, "authenticateCognito": {
            "userPoolArn": POOL_ARN, "userPoolClientId": "4example5client6id", "userPoolDomain": "retail-auth",
            "scope": "openid", "sessionTimeout": 3600, "onUnauthenticatedRequest": "deny"}},
        {"type": "forward", "order": 2, "targetGroupArn": built.one("aws:lb/targetGroup:TargetGroup").id},
    ]
    assert len(built.of(T_ACL)) == len(built.of(T_ACL_ALB)) == 1


def _rule(name: str, priority: int, statement: dict, **action) -> dict:
    return {"name": name, "priority": priority, "statement": statement, **action,
            "visibilityConfig": {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                                 "metricName": f"retail-dev-orders-api-{name}"}}


def _managed(name: str, priority: int, **extra) -> dict:
    return _rule(name, priority, {"managedRuleGroupStatement": {"vendorName": "AWS", "name": name, **extra}},
                 overrideAction={"none": {}})


def test_public_waf_web_acl_exact(svc: Built):
    acl = svc.one(T_ACL)
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["name"] == "retail-dev-orders-api"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.inputs["visibilityConfig"] == {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                                              "metricName": "retail-dev-orders-api-acl"}
    assert acl.inputs["rules"] == [
        _managed("AWSManagedRulesAmazonIpReputationList", 10),
        _rule("rate-limit-per-ip", 20, {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 1000,
                                                                "evaluationWindowSec": 300}}, action={"block": {}}),
        _managed("AWSManagedRulesCommonRuleSet", 30,
                 ruleActionOverrides=[{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]),
        _managed("AWSManagedRulesKnownBadInputsRuleSet", 40),
    ]


def test_public_waf_is_associated_with_the_alb_and_logs(svc: Built):
    acl, lb, key = svc.one(T_ACL), svc.one(T_LB), svc.one("aws:kms/key:Key")
    assert svc.one(T_ACL_ALB).inputs == {"resourceArn": lb.outputs["arn"], "webAclArn": acl.outputs["arn"]}
    logs = svc.one(T_LOGS, "orders-api-waf-logs")
    assert logs.inputs["name"] == "aws-waf-logs-retail-dev-orders-api"  # WAF takes no other prefix
    assert logs.inputs["kmsKeyId"] == key.outputs["arn"]
    assert logs.inputs["retentionInDays"] == blueprint.LOG_RETENTION_DAYS
    logging = svc.one(T_ACL_LOGS).inputs
    assert logging["resourceArn"] == acl.outputs["arn"]
    assert logging["logDestinationConfigs"] == [logs.outputs["arn"]]
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}},
                                         {"singleHeader": {"name": "cookie"}}]
    assert logging["loggingFilter"] == {"defaultBehavior": "DROP", "filters": [{
        "behavior": "KEEP", "requirement": "MEETS_ANY",
        "conditions": [{"actionCondition": {"action": "BLOCK"}}, {"actionCondition": {"action": "COUNT"}}]}]}


def test_public_rate_limit_from_settings():
    built = build(fargate(public={"oidc": OIDC, "rateLimit": 250}))
    [rate] = [r for r in built.one(T_ACL).inputs["rules"] if r["name"] == "rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 250


def test_public_without_the_secret_config_stops_with_one_line():
    with pytest.raises(Exception) as err:
        build(fargate(), config={})
    message = str(err.value)
    assert message.startswith("ddp-test:ordersApiOidcClientSecret: required: service orders-api logs callers in")
    assert "pulumi config set --secret ordersApiOidcClientSecret" in message and "\n" not in message


def test_pilot_light_gets_the_same_edge():
    built = build(fargate(), pilot_light=True)
    actions = unsecret(built.one(T_LISTENER, "orders-api-https").inputs["defaultActions"])
    assert [(a["type"], a["order"]) for a in actions] == [("authenticate-oidc", 1), ("forward", 2)]
    assert built.one(T_LB).inputs["internal"] is False
    assert len(built.of(T_ACL)) == len(built.of(T_ACL_ALB)) == len(built.of(T_ACL_LOGS)) == 1


# --- the shipped dev stack ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def dev(request):
    try:
        return request.getfixturevalue("dev_run")
    except NotImplementedError:
        pytest.skip("DataProduct.served_store() is not implemented yet")


def test_dev_stack_services(dev):
    services = [r for r in dev.records if r.type == T_SVC]
    assert [s.name for s in services] == ["orders-api-service"]
    inputs = services[0].inputs
    assert inputs["desiredCount"] == 3
    assert len(inputs["networkConfiguration"]["subnets"]) == 3
    assert inputs["networkConfiguration"]["assignPublicIp"] is False
    assert len(inputs["networkConfiguration"]["securityGroups"]) == 2  # tasks + DAX client
    [fn_rec] = [r for r in dev.records if r.type == T_FN and r.name == "order-events-function"]
    assert fn_rec.inputs["reservedConcurrentExecutions"] == 20
    assert len(fn_rec.inputs["vpcConfig"]["subnetIds"]) == 3
    assert len(fn_rec.inputs["vpcConfig"]["securityGroupIds"]) == 2
    endpoints = {name: entry["endpoint"] for name, entry in dev.outputs["services"].items()}
    assert endpoints["orders-api"].startswith("https://") and ".elb.amazonaws.com" in endpoints["orders-api"]
    assert endpoints["order-events"].startswith("https://") and ".execute-api." in endpoints["order-events"]
    listener = next(r for r in dev.records if r.type == "aws:lb/listener:Listener" and r.name == "orders-api-https")
    assert listener.inputs["sslPolicy"] == blueprint.ALB_TLS_POLICY


# --- the edge in the stack file: one line naming the file, the key and what is allowed ---------

def _dev_config(**service_changes: Any) -> dict[str, str]:
    from offline.runner import load_stack_config

    config = load_stack_config("dev")
    services = json.loads(config["data-delivery-platform:services"])
    services[0].update(service_changes)
    services[0] = {k: v for k, v in services[0].items() if v is not None}
    return {**config, "data-delivery-platform:services": json.dumps(services)}


def _settings_error(config: dict[str, str]) -> str:
    from stackconfig import SettingsError, parse_settings

    with pytest.raises(SettingsError) as err:
        parse_settings(config, source="Pulumi.dev.yaml")
    message = str(err.value)
    assert "\n" not in message
    return message


def test_shipped_dev_settings_are_public_with_oidc():
    from stackconfig import parse_settings
    from offline.runner import load_stack_config

    config = load_stack_config("dev")
    # the stack file holds the client secret as a `secure:` value; offline it reads "[secret]"
    assert config["data-delivery-platform:ordersApiOidcClientSecret"] == "[secret]"
    [svc, _] = parse_settings(config, source="Pulumi.dev.yaml").services
    assert svc.public is not None and svc.public.oidc is not None and svc.public.cognito is None
    assert svc.public.oidc.client_secret == "ordersApiOidcClientSecret"  # a key name, not the secret
    assert "ordersApiOidcClientSecret" in json.dumps(svc.model_dump(mode="json"))


def test_public_without_login_is_refused():
    message = _settings_error(_dev_config(public={"rateLimit": 100}))
    assert message.startswith("Pulumi.dev.yaml: data-delivery-platform:services[0].public: a public service needs "
                              "exactly one login at the load balancer: oidc: {")
    assert "cognito: {userPoolArn, clientId, domain}" in message and message.endswith("[in orders-api]")


def test_public_with_both_logins_is_refused():
    message = _settings_error(_dev_config(public={"oidc": OIDC, "cognito": COGNITO}))
    assert "services[0].public: a public service needs exactly one login" in message


def test_internal_with_the_whole_internet_is_refused():
    message = _settings_error(_dev_config(public=None))  # the shipped file keeps allowedCidrs [0.0.0.0/0]
    assert message == (
        "Pulumi.dev.yaml: data-delivery-platform:services[0].allowedCidrs[0]: '0.0.0.0/0' is not private address "
        "space: this service's load balancer is internal; allowed: CIDRs within 10.0.0.0/8, 172.16.0.0/12, "
        "192.168.0.0/16, 100.64.0.0/10, fc00::/7 (default: the VPC's CIDR), or expose it with public: "
        "{oidc|cognito}, which adds a login and a WAF [in orders-api]")


def test_internal_default_needs_no_cidrs():
    from stackconfig import parse_settings

    settings = parse_settings(_dev_config(public=None, allowedCidrs=None), source="Pulumi.dev.yaml")
    assert settings.services[0].public is None and settings.services[0].allowed_cidrs == []


def test_public_needs_allowed_cidrs():
    message = _settings_error(_dev_config(allowedCidrs=[]))
    assert "services[0].allowedCidrs: public fargate services need allowedCidrs" in message


def test_client_secret_must_be_a_set_secret():
    config = _dev_config()
    missing = {k: v for k, v in config.items() if k != "data-delivery-platform:ordersApiOidcClientSecret"}
    assert _settings_error(missing) == (
        "Pulumi.dev.yaml: data-delivery-platform:services[0].public.oidc.clientSecret: names the secret config key "
        "'ordersApiOidcClientSecret', which this stack does not set; run `pulumi config set --secret "
        "ordersApiOidcClientSecret <the IdP client secret>` [in orders-api]")
    # a plaintext value (or null) in the stack file is not a secret
    for value, got in (("hunter2", "a plaintext value"), ("null", "null")):
        plaintext = {**config, "data-delivery-platform:ordersApiOidcClientSecret": value}
        assert _settings_error(plaintext) == (
            "Pulumi.dev.yaml: data-delivery-platform:ordersApiOidcClientSecret: must be a secret "
            f"(services[0].public.oidc.clientSecret names it), got {got}; set it with `pulumi config set --secret "
            "ordersApiOidcClientSecret <value>`")
    # a secret nobody names is still skipped, never a setting
    from stackconfig import parse_settings
    assert parse_settings({**config, "data-delivery-platform:spareSecret": "[secret]"}, source="Pulumi.dev.yaml")


@pytest.mark.parametrize("field, value, says", [
    ("issuer", "http://login.example.com", "String should match pattern"),
    ("clientSecret", "s3cr3t value!", "String should match pattern"),
    ("sessionTimeoutSeconds", 604801, "less than or equal to 604800"),
    ("onUnauthenticatedRequest", "allow", "'authenticate' or 'deny'"),
])
def test_oidc_fields_are_checked(field, value, says):
    message = _settings_error(_dev_config(public={"oidc": {**OIDC, field: value}}))
    assert f"services[0].public.oidc.{field}: " in message and says in message


def test_public_does_not_apply_to_lambda():
    from offline.runner import load_stack_config

    config = load_stack_config("dev")
    services = json.loads(config["data-delivery-platform:services"])
    services[1]["public"] = {"oidc": OIDC}
    message = _settings_error({**config, "data-delivery-platform:services": json.dumps(services)})
    assert "services[1].public: public does not apply to runtime lambda" in message


# --- the recorded graphs: no internet path to a service without a login and a WAF --------------

def assert_every_public_alb_logs_in_behind_waf(records: list[Record]) -> int:
    """Every internet-facing ALB: HTTPS listener whose first action logs in, before its forward;
    HTTP only redirects; a WAF web ACL associated with it. Returns how many public ALBs."""
    albs = [r for r in records if r.type == T_LB and r.inputs.get("internal") is not True]
    for lb in albs:
        arn = lb.outputs["arn"]
        listeners = [r for r in records if r.type == T_LISTENER and r.inputs["loadBalancerArn"] == arn]
        assert listeners, lb.name
        for listener in listeners:
            actions = listener.inputs["defaultActions"]
            actions = actions["value"] if isinstance(actions, dict) else actions
            actions = sorted(actions, key=lambda a: a.get("order", 0))
            if listener.inputs["protocol"] == "HTTP":
                assert [a["type"] for a in actions] == ["redirect"], listener.name
            else:
                assert actions[0]["type"] in ("authenticate-oidc", "authenticate-cognito"), listener.name
                assert [a["type"] for a in actions[1:]] == ["forward"], listener.name
        assert [r for r in records if r.type == T_ACL_ALB and r.inputs["resourceArn"] == arn], lb.name
    return len(albs)


def test_dev_stack_orders_api_is_public_behind_oidc_and_waf(dev):
    assert assert_every_public_alb_logs_in_behind_waf(dev.records) == 1
    listener = next(r for r in dev.records if r.type == T_LISTENER and r.name == "orders-api-https")
    login = unsecret(listener.inputs["defaultActions"])[0]["authenticateOidc"]
    assert login["issuer"] == "https://login.retail.example.com"
    assert login["clientId"] == "orders-api-dev"
    assert login["clientSecret"] == "[secret]"  # offline, a `secure:` value reads as [secret]
    [acl] = [r for r in dev.records if r.type == T_ACL]
    assert [rule["name"] for rule in acl.inputs["rules"]] == [
        "AWSManagedRulesAmazonIpReputationList", "rate-limit-per-ip", "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet"]
    [task] = [r for r in dev.records if r.type == T_TASK and r.name == "orders-api-task"]
    [lb] = [r for r in dev.records if r.type == T_LB]
    [c] = json.loads(task.inputs["containerDefinitions"])
    assert {"name": "ALB_ARN", "value": lb.outputs["arn"]} in c["environment"]


def test_dr_pilot_light_runs_the_same_edge(dev):
    """The dr stack runs the primary's service settings, so it logs in and sits behind a WAF too.
    Its client secret comes from its own stack config (the shipped Pulumi.dr.yaml must carry the
    key; here it is added)."""
    from offline.runner import fully_qualified, load_stack_config, run_stack

    config = {**load_stack_config("dr"), "data-delivery-platform:ordersApiOidcClientSecret": "[secret]"}
    dr = run_stack("dr", config=config, stack_outputs={fully_qualified("dev"): dev.outputs})
    assert dr.ok, dr.error
    assert assert_every_public_alb_logs_in_behind_waf(dr.records) == 1
    [lb] = [r for r in dr.records if r.type == T_LB]
    assert lb.inputs["internal"] is False and ":us-west-2:" in lb.outputs["arn"]
    [acl] = [r for r in dr.records if r.type == T_ACL]
    assert acl.inputs["scope"] == "REGIONAL" and len(acl.inputs["rules"]) == 4
    [svc_rec] = [r for r in dr.records if r.type == T_SVC]
    assert svc_rec.inputs["desiredCount"] == 0  # still a pilot light
