"""The offline world tells the truth: every mocked id and computed attribute has the provider's own
format (each test names the provider source it follows, as the builder in offline/mocks/builders/ does),
and a program that registers one URN twice fails offline as it fails under the engine.

Builders are exercised through `PlatformMocks.new_resource` (what the mock monitor calls); a few
tests read the shipped dev stack's offline run to check the values the program really receives.
"""

from __future__ import annotations

import re
import runpy
import textwrap
from pathlib import Path
from typing import Any, Optional

import pytest
from pulumi.runtime import mocks as pmocks

from offline import engine
from offline.mocks import (
    ALB_HOSTED_ZONE_IDS,
    DuplicateUrnError,
    PlatformMocks,
    RecordingMonitor,
    S3_HOSTED_ZONE_IDS,
)
from offline.runner import ROOT, load_stack_config, run_stack, settle_failed_program

ACCT = "111111111111"
ARN_PREFIX = rf"arn:aws:{{svc}}:{{region}}:{ACCT}:"
HEX16 = r"[0-9a-f]{16}"
HEX17 = r"[0-9a-f]{17}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
PROVIDER_EAST = "urn:pulumi:dev::p::pulumi:providers:aws::east::id-east"
PROVIDER_WEST = "urn:pulumi:dev::p::pulumi:providers:aws::west::id-west"


def regional_arn(svc: str, region: str = "us-east-1") -> str:
    return rf"arn:aws:{re.escape(svc)}:{region}:{ACCT}:"


def mocks(region: str = "us-east-1", partition: str = "aws") -> PlatformMocks:
    return PlatformMocks(account_id=ACCT, region=region, partition=partition)


def build(t: str, name: str, inputs: dict[str, Any], *, m: Optional[PlatformMocks] = None,
          region: str = "us-east-1", custom: bool = True, provider: Optional[str] = None) -> tuple[str, dict]:
    m = m or mocks(region)
    return m.new_resource(pmocks.MockResourceArgs(typ=t, name=name, inputs=inputs, provider=provider, custom=custom))


def full(pattern: str, value: Any) -> None:
    assert isinstance(value, str) and re.fullmatch(pattern, value), f"{value!r} !~ {pattern}"


# --- DAX -------------------------------------------------------------------------------------

def test_dax_configuration_endpoint_is_host_colon_port_for_tls():
    # terraform-provider-aws internal/service/dax/cluster.go: configuration_endpoint =
    # fmt.Sprintf("%s:%d", ClusterDiscoveryEndpoint.Address, .Port); cluster_address = Address
    rid, out = build("aws:dax/cluster:Cluster", "orders-dax",
                     {"clusterName": "Retail-Dev-Orders", "replicationFactor": 3, "clusterEndpointEncryptionType": "TLS"})
    assert rid == "retail-dev-orders"  # DAX keeps names lower case; the provider's id follows
    host = r"retail-dev-orders\.[0-9a-z]{6}\.dax-clusters\.us-east-1\.amazonaws\.com"
    full(host, out["clusterAddress"])
    assert out["port"] == 9111
    assert out["configurationEndpoint"] == f"{out['clusterAddress']}:9111"
    assert "://" not in out["configurationEndpoint"]
    full(regional_arn("dax") + "cache/retail-dev-orders", out["arn"])
    assert [n["id"] for n in out["nodes"]] == ["retail-dev-orders-a", "retail-dev-orders-b", "retail-dev-orders-c"]
    for node in out["nodes"]:
        full(r"retail-dev-orders-[a-c]\.[0-9a-z]{6}\.nodes\.dax-clusters\.us-east-1\.amazonaws\.com", node["address"])
        assert node["port"] == 9111


def test_dax_plaintext_cluster_listens_on_8111():
    # AWS DAX API reference, Endpoint.URL: default ports 8111 ("dax") and 9111 ("daxs")
    _, out = build("aws:dax/cluster:Cluster", "c", {"clusterName": "c1", "replicationFactor": 1})
    assert out["port"] == 8111 and out["configurationEndpoint"].endswith(".amazonaws.com:8111")
    assert len(out["nodes"]) == 1


def test_dax_subnet_and_parameter_groups_have_no_arn():
    # terraform-provider-aws internal/service/dax/{subnet,parameter}_group.go: id = name, no arn attribute
    for t in ("aws:dax/subnetGroup:SubnetGroup", "aws:dax/parameterGroup:ParameterGroup"):
        rid, out = build(t, "g", {"name": "retail-dev-orders"})
        assert rid == "retail-dev-orders" and "arn" not in out


def test_dev_stack_dax_endpoint_is_what_the_provider_returns(dev_run):
    cluster = dev_run.custom("aws:dax/cluster:Cluster")[0]
    assert cluster.inputs["clusterEndpointEncryptionType"] == "TLS"
    full(r"[a-z0-9-]+\.[0-9a-z]{6}\.dax-clusters\.us-east-1\.amazonaws\.com:9111", cluster.outputs["configurationEndpoint"])


# --- S3, KMS, DynamoDB -------------------------------------------------------------------------

@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_bucket_domain_names_and_hosted_zone_per_region(region):
    # terraform-provider-aws internal/service/s3/bucket.go (bucketRegionalDomainName: "%s.s3.%s.%s" for
    # every region) and hosted_zones.go (hostedZoneIDsMap)
    rid, out = build("aws:s3/bucket:Bucket", "b", {"bucket": "retail-dev-orders-raw"}, region=region)
    assert rid == "retail-dev-orders-raw"
    assert out["arn"] == "arn:aws:s3:::retail-dev-orders-raw"
    assert out["bucketDomainName"] == "retail-dev-orders-raw.s3.amazonaws.com"
    assert out["bucketRegionalDomainName"] == f"retail-dev-orders-raw.s3.{region}.amazonaws.com"
    assert out["hostedZoneId"] == {"us-east-1": "Z3AQBSTGFYJSTF", "us-west-2": "Z3BJ6K6RIION7M"}[region]
    assert out["region"] == region


def test_bucket_region_follows_the_resource_provider():
    m = mocks("us-east-1")
    build("pulumi:providers:aws", "west", {"region": "us-west-2"}, m=m)
    _, out = build("aws:s3/bucket:Bucket", "b", {"bucket": "replica"}, m=m, provider=PROVIDER_WEST)
    assert out["region"] == "us-west-2" and out["hostedZoneId"] == S3_HOSTED_ZONE_IDS["us-west-2"]


def test_autonamed_bucket_gets_a_seven_hex_suffix():
    # pulumi-terraform-bridge autonaming: <resource name>-<7 random hex>
    rid, out = build("aws:s3/bucket:Bucket", "logs", {})
    full(r"logs-[0-9a-f]{7}", rid)
    assert out["bucket"] == rid


def test_kms_key_and_alias():
    # terraform-provider-aws internal/service/kms/key.go, alias.go
    kid, key = build("aws:kms/key:Key", "k", {})
    full(UUID, kid)
    assert key["keyId"] == kid and key["arn"] == f"arn:aws:kms:us-east-1:{ACCT}:key/{kid}"
    aid, alias = build("aws:kms/alias:Alias", "a", {"name": "alias/retail-dev/orders", "targetKeyId": kid})
    assert aid == "alias/retail-dev/orders"
    assert alias["arn"] == f"arn:aws:kms:us-east-1:{ACCT}:alias/retail-dev/orders"
    assert alias["targetKeyArn"] == key["arn"]


def test_table_stream_arn_and_label():
    # terraform-provider-aws internal/service/dynamodb/table.go: stream_arn = LatestStreamArn, stream_label
    rid, out = build("aws:dynamodb/table:Table", "t", {"name": "retail-dev-orders-ods", "streamEnabled": True})
    assert rid == "retail-dev-orders-ods"
    label = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}"
    full(label, out["streamLabel"])
    assert out["streamArn"] == f"{out['arn']}/stream/{out['streamLabel']}"
    _, no_stream = build("aws:dynamodb/table:Table", "t2", {"name": "x"})
    assert "streamArn" not in no_stream and "streamLabel" not in no_stream


def test_table_replica_id_is_table_and_main_region():
    # terraform-provider-aws internal/service/dynamodb/table_replica.go: tableReplicaCreateResourceID
    m = mocks("us-east-1")
    build("pulumi:providers:aws", "west", {"region": "us-west-2"}, m=m)
    rid, out = build("aws:dynamodb/tableReplica:TableReplica", "r",
                     {"globalTableArn": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"}, m=m, provider=PROVIDER_WEST)
    assert rid == "orders:us-east-1"
    assert out["arn"] == f"arn:aws:dynamodb:us-west-2:{ACCT}:table/orders"


# --- IAM, logs, SQS, SNS -------------------------------------------------------------------------

def test_iam_role_policy_and_role_policy_ids():
    # terraform-provider-aws internal/service/iam/role.go, policy.go, role_policy.go
    rid, role = build("aws:iam/role:Role", "r", {"name": "retail-dev-writer"})
    assert rid == "retail-dev-writer" and role["arn"] == f"arn:aws:iam::{ACCT}:role/retail-dev-writer"
    full(r"AROA[A-Z0-9]{17}", role["uniqueId"])
    _, with_path = build("aws:iam/role:Role", "r2", {"name": "svc", "path": "/ddp/"})
    assert with_path["arn"] == f"arn:aws:iam::{ACCT}:role/ddp/svc"
    pid, pol = build("aws:iam/policy:Policy", "p", {"name": "read"})
    assert pid == pol["arn"] == f"arn:aws:iam::{ACCT}:policy/read"
    full(r"ANPA[A-Z0-9]{17}", pol["policyId"])
    rpid, _ = build("aws:iam/rolePolicy:RolePolicy", "rp", {"role": "retail-dev-writer", "name": "inline"})
    assert rpid == "retail-dev-writer:inline"


def test_log_group_arn_has_no_wildcard_suffix():
    # terraform-provider-aws internal/service/logs/group.go: trimLogGroupARNWildcardSuffix
    rid, out = build("aws:cloudwatch/logGroup:LogGroup", "lg", {"name": "/ddp/retail-dev/x"})
    assert rid == "/ddp/retail-dev/x"
    assert out["arn"] == f"arn:aws:logs:us-east-1:{ACCT}:log-group:/ddp/retail-dev/x"


def test_queue_id_is_its_url():
    # terraform-provider-aws internal/service/sqs/queue.go: id = QueueUrl
    rid, out = build("aws:sqs/queue:Queue", "q", {"name": "retail-dev-dlq"})
    assert rid == out["url"] == f"https://sqs.us-east-1.amazonaws.com/{ACCT}/retail-dev-dlq"
    assert out["arn"] == f"arn:aws:sqs:us-east-1:{ACCT}:retail-dev-dlq"


def test_topic_id_is_its_arn():
    # terraform-provider-aws internal/service/sns/topic.go
    rid, out = build("aws:sns/topic:Topic", "t", {"name": "alarms"})
    assert rid == out["arn"] == f"arn:aws:sns:us-east-1:{ACCT}:alarms"


# --- Lambda ---------------------------------------------------------------------------------------

def test_lambda_unpublished_is_latest_and_invoke_arn_format():
    # terraform-provider-aws internal/service/lambda/function.go: findLatestFunctionVersionByName,
    # invokeARN (account field "lambda")
    rid, out = build("aws:lambda/function:Function", "f", {"name": "retail-dev-writer"})
    fn = f"arn:aws:lambda:us-east-1:{ACCT}:function:retail-dev-writer"
    assert rid == "retail-dev-writer" and out["arn"] == fn
    assert out["version"] == "$LATEST" and out["qualifiedArn"] == f"{fn}:$LATEST"
    assert out["invokeArn"] == f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations"
    assert out["qualifiedInvokeArn"] == f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}:$LATEST/invocations"


def test_lambda_published_has_version_one():
    _, out = build("aws:lambda/function:Function", "f", {"name": "fn", "publish": True})
    assert out["version"] == "1" and out["qualifiedArn"].endswith(":function:fn:1")


def test_layer_version_arn_carries_the_version_as_string():
    # terraform-provider-aws internal/service/lambda/layer_version.go
    rid, out = build("aws:lambda/layerVersion:LayerVersion", "l", {"layerName": "retail-dev-dax"})
    layer = f"arn:aws:lambda:us-east-1:{ACCT}:layer:retail-dev-dax"
    assert out["layerArn"] == layer and out["version"] == "1"
    assert rid == out["arn"] == f"{layer}:1"


# --- Transfer, EC2 ----------------------------------------------------------------------------------

def test_transfer_server_user_and_key():
    # terraform-provider-aws internal/service/transfer/server.go, user.go, ssh_key.go
    sid, srv = build("aws:transfer/server:Server", "s", {})
    full(rf"s-{HEX17}", sid)
    assert srv["endpoint"] == f"{sid}.server.transfer.us-east-1.amazonaws.com"
    full(r"SHA256:[A-Za-z0-9+/]{43}", srv["hostKeyFingerprint"])
    uid, user = build("aws:transfer/user:User", "u", {"serverId": sid, "userName": "partner-acme"})
    assert uid == f"{sid}/partner-acme"
    assert user["arn"] == f"arn:aws:transfer:us-east-1:{ACCT}:user/{sid}/partner-acme"
    kid, _ = build("aws:transfer/sshKey:SshKey", "k", {"serverId": sid, "userName": "partner-acme"})
    full(rf"{sid}/partner-acme/key-{HEX17}", kid)


def test_ec2_ids():
    # terraform-provider-aws internal/service/ec2/vpc_security_group.go, vpc_security_group_ingress_rule.go,
    # vpc_endpoint.go, vpc_flow_log.go
    sg, out = build("aws:ec2/securityGroup:SecurityGroup", "sg", {})
    full(rf"sg-{HEX17}", sg)
    assert out["arn"] == f"arn:aws:ec2:us-east-1:{ACCT}:security-group/{sg}"
    rule, r = build("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {})
    full(rf"sgr-{HEX17}", rule)
    assert r["securityGroupRuleId"] == rule
    vpce, e = build("aws:ec2/vpcEndpoint:VpcEndpoint", "e", {"serviceName": "com.amazonaws.us-east-1.s3",
                                                             "vpcEndpointType": "Gateway"})
    full(rf"vpce-{HEX17}", vpce)
    full(r"pl-[0-9a-f]{8}", e["prefixListId"])
    fl, _ = build("aws:ec2/flowLog:FlowLog", "fl", {})
    full(rf"fl-{HEX17}", fl)


# --- load balancing, ECS, ECR, awsx Image ------------------------------------------------------------

def test_alb_dns_name_zone_and_arns():
    # terraform-provider-aws internal/service/elbv2/load_balancer.go (DNSName, CanonicalHostedZoneId) and
    # hosted_zone_id_data_source.go (hostedZoneIDPerRegionALBMap)
    rid, lb = build("aws:lb/loadBalancer:LoadBalancer", "alb", {"name": "retail-dev-api", "internal": False})
    assert rid == lb["arn"]
    full(regional_arn("elasticloadbalancing") + rf"loadbalancer/app/retail-dev-api/{HEX16}", lb["arn"])
    full(rf"app/retail-dev-api/{HEX16}", lb["arnSuffix"])
    full(r"retail-dev-api-\d{10}\.us-east-1\.elb\.amazonaws\.com", lb["dnsName"])
    assert lb["zoneId"] == "Z35SXDOTRQ7X7K"
    _, internal = build("aws:lb/loadBalancer:LoadBalancer", "ialb", {"name": "x", "internal": True}, region="us-west-2")
    full(r"internal-x-\d{10}\.us-west-2\.elb\.amazonaws\.com", internal["dnsName"])
    assert internal["zoneId"] == "Z1H1FL5HABSF5" == ALB_HOSTED_ZONE_IDS["us-west-2"]

    tid, tg = build("aws:lb/targetGroup:TargetGroup", "tg", {"name": "retail-dev-api"})
    full(regional_arn("elasticloadbalancing") + rf"targetgroup/retail-dev-api/{HEX16}", tid)
    assert tg["arnSuffix"] == tid.split(":", 5)[5]
    lid, _ = build("aws:lb/listener:Listener", "https", {"loadBalancerArn": lb["arn"]})
    assert lid.startswith(lb["arn"].replace(":loadbalancer/", ":listener/") + "/")
    full(regional_arn("elasticloadbalancing") + rf"listener/app/retail-dev-api/{HEX16}/{HEX16}", lid)


# --- WAF ------------------------------------------------------------------------------------------

WAF_RULES = [
    {"name": "ip-reputation", "priority": 10, "statement": {"managedRuleGroupStatement": {
        "vendorName": "AWS", "name": "AWSManagedRulesAmazonIpReputationList"}}},
    {"name": "rate", "priority": 20, "statement": {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 2000}}},
    {"name": "common", "priority": 30, "statement": {"managedRuleGroupStatement": {
        "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}},
]


def test_waf_web_acl_regional_arn_id_lock_token_and_capacity():
    # terraform-provider-aws internal/service/wafv2/web_acl.go: id = CreateWebACL Summary.Id (UUID); arn,
    # capacity, lock_token from GetWebACL. WAF API reference: REGIONAL ARNs are .../regional/webacl/<name>/<id>.
    rid, acl = build("aws:wafv2/webAcl:WebAcl", "api-waf", {"name": "retail-dev-api", "scope": "REGIONAL",
                                                             "rules": WAF_RULES}, region="us-west-2")
    full(UUID, rid)
    assert acl["arn"] == f"arn:aws:wafv2:us-west-2:{ACCT}:regional/webacl/retail-dev-api/{rid}"
    full(UUID, acl["lockToken"])
    assert acl["lockToken"] != rid
    assert acl["capacity"] == 25 + 2 + 700  # managed groups' fixed WCUs + a rate-based rule's base 2
    assert acl["name"] == "retail-dev-api" and "applicationIntegrationUrl" not in acl


def test_waf_cloudfront_web_acl_is_global_in_us_east_1():
    rid, acl = build("aws:wafv2/webAcl:WebAcl", "cdn-waf", {"name": "edge", "scope": "CLOUDFRONT"}, region="eu-west-1")
    assert acl["arn"] == f"arn:aws:wafv2:us-east-1:{ACCT}:global/webacl/edge/{rid}"
    assert acl["capacity"] == 0  # no rules


def test_waf_capacity_of_an_undocumented_statement_is_not_invented():
    custom = {"name": "geo", "priority": 1, "statement": {"geoMatchStatement": {"countryCodes": ["KP"]}}}
    _, acl = build("aws:wafv2/webAcl:WebAcl", "w", {"name": "w", "scope": "REGIONAL", "rules": WAF_RULES + [custom]})
    assert "capacity" not in acl
    scoped = {"name": "bad", "priority": 2, "statement": {"managedRuleGroupStatement": {
        "vendorName": "AWS", "name": "AWSManagedRulesKnownBadInputsRuleSet", "scopeDownStatement": {"x": {}}}}}
    _, acl = build("aws:wafv2/webAcl:WebAcl", "w2", {"name": "w2", "scope": "REGIONAL", "rules": [scoped]})
    assert "capacity" not in acl


def test_waf_association_and_logging_configuration_ids():
    # web_acl_association.go: id = "<web_acl_arn>,<resource_arn>" (flex.FlattenResourceId, separator ",");
    # web_acl_logging_configuration.go: id = the web ACL's ARN (PutLoggingConfiguration's ResourceArn)
    _, acl = build("aws:wafv2/webAcl:WebAcl", "w", {"name": "w", "scope": "REGIONAL"})
    _, lb = build("aws:lb/loadBalancer:LoadBalancer", "alb", {"name": "api"})
    rid, out = build("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc",
                     {"webAclArn": acl["arn"], "resourceArn": lb["arn"]})
    assert rid == f"{acl['arn']},{lb['arn']}" and out == {"webAclArn": acl["arn"], "resourceArn": lb["arn"]}
    with pytest.raises(KeyError, match="webAclArn and resourceArn"):
        build("aws:wafv2/webAclAssociation:WebAclAssociation", "half", {"resourceArn": lb["arn"]})
    lid, _ = build("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "logs",
                   {"resourceArn": acl["arn"], "logDestinationConfigs": ["arn:aws:logs:x"]})
    assert lid == acl["arn"]


def test_dev_stack_waf_association_carries_the_web_acls_arn(dev_run):
    acls = dev_run.custom("aws:wafv2/webAcl:WebAcl")
    associations = dev_run.custom("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert acls and len(associations) == len(acls)
    balancers = {lb.outputs["arn"] for lb in dev_run.custom("aws:lb/loadBalancer:LoadBalancer")}
    for acl in acls:
        full(regional_arn("wafv2") + rf"regional/webacl/{re.escape(acl.outputs['name'])}/{UUID}", acl.outputs["arn"])
        assert acl.outputs["capacity"] > 0
        [association] = [a for a in associations if a.inputs.get("webAclArn") == acl.outputs["arn"]]
        assert association.inputs["resourceArn"] in balancers
        [logging] = [c for c in dev_run.custom("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
                     if c.inputs.get("resourceArn") == acl.outputs["arn"]]
        assert logging.id == acl.outputs["arn"]


def test_unknown_region_is_refused_not_guessed():
    with pytest.raises(KeyError, match="ALB hosted zone id"):
        build("aws:lb/loadBalancer:LoadBalancer", "alb", {"name": "x"}, region="xx-nowhere-1")


def test_ecs_ids_and_arns():
    # terraform-provider-aws internal/service/ecs/cluster.go, task_definition.go (id = family), service.go
    cid, cluster = build("aws:ecs/cluster:Cluster", "c", {"name": "retail-dev"})
    assert cid == cluster["arn"] == f"arn:aws:ecs:us-east-1:{ACCT}:cluster/retail-dev"
    fam, td = build("aws:ecs/taskDefinition:TaskDefinition", "td", {"family": "retail-dev-api"})
    assert fam == "retail-dev-api" and td["revision"] == 1
    assert td["arn"] == f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/retail-dev-api:1"
    assert td["arnWithoutRevision"] == td["arn"][:-2]
    sid, svc = build("aws:ecs/service:Service", "s", {"name": "api", "cluster": cluster["arn"]})
    assert sid == svc["arn"] == f"arn:aws:ecs:us-east-1:{ACCT}:service/retail-dev/api"


def test_ecr_repository_url():
    # terraform-provider-aws internal/service/ecr/repository.go: repository_url = RepositoryUri
    rid, out = build("aws:ecr/repository:Repository", "r", {"name": "retail-dev/api"})
    assert rid == "retail-dev/api" and out["registryId"] == ACCT
    assert out["repositoryUrl"] == f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/retail-dev/api"


def test_awsx_image_uri_is_repository_at_digest(tmp_path):
    # pulumi-awsx awsx/ecr/image.ts: imageUri = `${repositoryUrl}@${digest}`
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    repo = f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/retail-dev/api"
    inputs = {"repositoryUrl": repo, "context": str(tmp_path), "platform": "linux/amd64"}
    _, out = build("awsx:ecr:Image", "img", inputs, custom=False)
    assert set(out) == {"imageUri"}
    full(re.escape(repo) + r"@sha256:[0-9a-f]{64}", out["imageUri"])
    (tmp_path / "app.py").write_text("print('changed')\n")
    _, changed = build("awsx:ecr:Image", "img", inputs, custom=False)
    assert changed["imageUri"] != out["imageUri"], "a changed build context must change the digest"


# --- API Gateway v2 ----------------------------------------------------------------------------------

def test_http_api_and_default_stage():
    # terraform-provider-aws internal/service/apigatewayv2/api.go, stage.go, and conns
    # APIGatewayV2InvokeURL ("https://<api>.execute-api.<region>.amazonaws.com/" for $default)
    m = mocks()
    aid, api = build("aws:apigatewayv2/api:Api", "api", {"name": "x", "protocolType": "HTTP"}, m=m)
    full(r"[a-z0-9]{10}", aid)
    assert api["apiEndpoint"] == f"https://{aid}.execute-api.us-east-1.amazonaws.com"
    assert api["arn"] == f"arn:aws:apigateway:us-east-1::/apis/{aid}"
    assert api["executionArn"] == f"arn:aws:execute-api:us-east-1:{ACCT}:{aid}"
    sid, stage = build("aws:apigatewayv2/stage:Stage", "st", {"apiId": aid, "name": "$default"}, m=m)
    assert sid == "$default"
    assert stage["invokeUrl"] == f"https://{aid}.execute-api.us-east-1.amazonaws.com/"
    assert stage["executionArn"] == f"arn:aws:execute-api:us-east-1:{ACCT}:{aid}/$default"
    _, named = build("aws:apigatewayv2/stage:Stage", "st2", {"apiId": aid, "name": "v1"}, m=m)
    assert named["invokeUrl"] == f"https://{aid}.execute-api.us-east-1.amazonaws.com/v1"


# --- Glue, EventBridge, CloudWatch, Kinesis, Route 53, Lake Formation ------------------------------------

def test_glue_ids():
    # terraform-provider-aws internal/service/glue/catalog_database.go ("<catalog>:<name>"), crawler.go,
    # job.go, trigger.go, security_configuration.go (no arn)
    rid, db = build("aws:glue/catalogDatabase:CatalogDatabase", "db", {"name": "retail_dev_orders"})
    assert rid == f"{ACCT}:retail_dev_orders"
    assert db["arn"] == f"arn:aws:glue:us-east-1:{ACCT}:database/retail_dev_orders"
    for t, kind in (("aws:glue/crawler:Crawler", "crawler"), ("aws:glue/job:Job", "job"), ("aws:glue/trigger:Trigger", "trigger")):
        gid, out = build(t, "g", {"name": "n"})
        assert gid == "n" and out["arn"] == f"arn:aws:glue:us-east-1:{ACCT}:{kind}/n"
    sid, sec = build("aws:glue/securityConfiguration:SecurityConfiguration", "s", {"name": "n"})
    assert sid == "n" and "arn" not in sec


def test_event_rule_on_custom_bus_names_the_bus():
    # terraform-provider-aws internal/service/events/rule.go: ruleCreateResourceID; RuleArn
    rid, rule = build("aws:cloudwatch/eventRule:EventRule", "r", {"name": "ingest", "eventBusName": "retail-dev-orders"})
    assert rid == "retail-dev-orders/ingest"
    assert rule["arn"] == f"arn:aws:events:us-east-1:{ACCT}:rule/retail-dev-orders/ingest"
    did, default = build("aws:cloudwatch/eventRule:EventRule", "d", {"name": "failed"})
    assert did == "failed" and default["arn"] == f"arn:aws:events:us-east-1:{ACCT}:rule/failed"
    bid, bus = build("aws:cloudwatch/eventBus:EventBus", "b", {"name": "retail-dev-orders"})
    assert bid == "retail-dev-orders" and bus["arn"] == f"arn:aws:events:us-east-1:{ACCT}:event-bus/retail-dev-orders"


def test_archive_alarm_kinesis_firehose_health_check():
    # terraform-provider-aws events/archive.go, cloudwatch/metric_alarm.go (alarm:<name>),
    # kinesis/stream.go, firehose/delivery_stream.go, route53/health_check.go
    aid, archive = build("aws:cloudwatch/eventArchive:EventArchive", "a", {"name": "arch"})
    assert aid == "arch" and archive["arn"] == f"arn:aws:events:us-east-1:{ACCT}:archive/arch"
    alid, alarm = build("aws:cloudwatch/metricAlarm:MetricAlarm", "al", {"name": "dlq-depth"})
    assert alid == "dlq-depth" and alarm["arn"] == f"arn:aws:cloudwatch:us-east-1:{ACCT}:alarm:dlq-depth"
    kid, stream = build("aws:kinesis/stream:Stream", "k", {"name": "s"})
    assert kid == stream["arn"] == f"arn:aws:kinesis:us-east-1:{ACCT}:stream/s"
    fid, fh = build("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "f", {"name": "d"})
    assert fid == fh["arn"] == f"arn:aws:firehose:us-east-1:{ACCT}:deliverystream/d"
    hid, hc = build("aws:route53/healthCheck:HealthCheck", "hc", {})
    full(UUID, hid)
    assert hc["arn"] == f"arn:aws:route53:::healthcheck/{hid}"


def test_lake_formation_ids():
    # terraform-provider-aws internal/service/lakeformation/resource.go (id = arn), permissions.go and
    # data_lake_settings.go (id = decimal hash code)
    rid, _ = build("aws:lakeformation/resource:Resource", "r", {"arn": "arn:aws:s3:::bucket"})
    assert rid == "arn:aws:s3:::bucket"
    pid, _ = build("aws:lakeformation/permissions:Permissions", "p", {"principal": "222222222222", "permissions": ["DESCRIBE"]})
    full(r"\d+", pid)


def test_ids_taken_from_an_input():
    bid, _ = build("aws:s3/bucketVersioning:BucketVersioning", "v", {"bucket": "b1"})
    assert bid == "b1"
    qid, _ = build("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"})
    assert qid == "https://sqs.us-east-1.amazonaws.com/1/q"
    sid, out = build("aws:lambda/permission:Permission", "perm", {})
    full(r"terraform-\d{26}", sid)
    assert out["statementId"] == sid


# --- awsx VPC and invokes ------------------------------------------------------------------------

def test_awsx_vpc_outputs_are_the_components_plain_outputs():
    # pulumi-awsx awsx/ec2/vpc.ts: vpcId, publicSubnetIds, privateSubnetIds, isolatedSubnetIds, subnetLayout
    m = mocks()
    inputs = {"cidrBlock": "10.10.0.0/16", "numberOfAvailabilityZones": 3,
              "subnetSpecs": [{"type": "Public", "cidrMask": 22}, {"type": "Private", "cidrMask": 19}]}
    vid, out = build("awsx:ec2:Vpc", "vpc", inputs, m=m, custom=False)
    full(rf"vpc-{HEX17}", vid)
    assert out["vpcId"] == vid
    assert set(out) == {"vpcId", "privateSubnetIds", "publicSubnetIds", "isolatedSubnetIds", "subnetLayout"}
    for key in ("privateSubnetIds", "publicSubnetIds"):
        assert len(out[key]) == 3 and all(re.fullmatch(rf"subnet-{HEX17}", s) for s in out[key])
    assert out["isolatedSubnetIds"] == []
    assert out["subnetLayout"] == [{"type": "Public", "cidrMask": 22}, {"type": "Private", "cidrMask": 19}]
    vpc = m.call(pmocks.MockCallArgs("aws:ec2/getVpc:getVpc", {"id": vid}, ""))
    assert vpc["cidrBlock"] == "10.10.0.0/16"


@pytest.mark.parametrize("region,prefix", [("us-east-1", "use1"), ("us-west-2", "usw2"), ("us-gov-west-1", "usgw1")])
def test_availability_zone_ids_are_per_region(region, prefix):
    out = mocks(region).call(pmocks.MockCallArgs("aws:index/getAvailabilityZones:getAvailabilityZones", {}, ""))
    assert out["names"] == [f"{region}a", f"{region}b", f"{region}c"]
    assert all(re.fullmatch(rf"{prefix}-az\d", z) for z in out["zoneIds"])


def test_caller_identity_is_the_assumed_deploy_role():
    m = mocks()
    build("pulumi:providers:aws", "east", {"region": "us-east-1", "assumeRoles":
          f'[{{"roleArn": "arn:aws:iam::{ACCT}:role/PlatformDeployer", "sessionName": "ddp-retail-dev"}}]'}, m=m)
    out = m.call(pmocks.MockCallArgs("aws:index/getCallerIdentity:getCallerIdentity", {}, PROVIDER_EAST))
    assert out["arn"] == f"arn:aws:sts::{ACCT}:assumed-role/PlatformDeployer/ddp-retail-dev"
    full(r"AROA[A-Z0-9]{17}:ddp-retail-dev", out["userId"])


def test_unknown_type_gets_its_inputs_and_nothing_invented():
    rid, out = build("aws:ssm/document:Document", "p", {"name": "x", "documentType": "Command", "content": "{}"})
    assert out == {"name": "x", "documentType": "Command", "content": "{}"}
    assert rid


# --- duplicate URNs ----------------------------------------------------------------------------------

DUPLICATE_PROGRAM = """
import pulumi_aws as aws
aws.sqs.Queue("same")
aws.sqs.Queue("same")
"""

DISTINCT_PROGRAM = """
import pulumi
import pulumi_aws as aws
aws.sqs.Queue("same")
aws.sns.Topic("same")                       # another type: another URN
parent = pulumi.ComponentResource("ddp:index:Box", "box")
aws.sqs.Queue("same", opts=pulumi.ResourceOptions(parent=parent))   # another parent: another URN
"""


def _run_program(source: str, tmp_path: Path) -> RecordingMonitor:
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(source))
    platform = mocks()
    monitor = RecordingMonitor(platform)
    try:
        engine.run_program(lambda: runpy.run_path(str(main), run_name="__main__"), mocks=platform, monitor=monitor,
                           project="p", stack="s")
    except BaseException:
        settle_failed_program()  # nothing of this program may leak into the next test's run
        raise
    return monitor


def test_monitor_refuses_a_duplicate_urn(tmp_path):
    with pytest.raises(DuplicateUrnError, match=re.escape(
            "Duplicate resource URN 'urn:pulumi:s::p::pulumi:pulumi:Stack$aws:sqs/queue:Queue::same'; "
            "try giving it a unique name")):
        _run_program(DUPLICATE_PROGRAM, tmp_path)


def test_same_name_with_another_type_or_parent_is_not_a_duplicate(tmp_path):
    monitor = _run_program(DISTINCT_PROGRAM, tmp_path)
    urns = [r.urn for r in monitor.records]
    assert len(urns) == len(set(urns)) == 5  # stack, queue, topic, component, queue under it


def test_offline_run_of_a_stack_with_a_duplicate_name_fails(tmp_path):
    (tmp_path / "__main__.py").write_text(DUPLICATE_PROGRAM)
    run = run_stack("dev", project_dir=tmp_path, config=load_stack_config("dev", ROOT))
    assert not run.ok
    assert run.error == ("Pulumi.dev.yaml: Duplicate resource URN "
                         "'urn:pulumi:dev::data-delivery-platform::pulumi:pulumi:Stack$aws:sqs/queue:Queue::same'; "
                         "try giving it a unique name")
    assert run.records == []
