"""Stack-wide rules: tags, providers, protection of stateful resources, three-AZ placement.

These need more than one resource: the provider a resource deploys through (its default tags,
pinned account and region), or the subnets a service is placed in.
"""
from __future__ import annotations

from ._base import (CRITICAL, HIGH, MANDATORY, MEDIUM, UNKNOWN, as_json, as_list, is_map, of_type, peek,
                    provider_props, resource_keys, safe_get, stack_policy, truthy)

AWS_PROVIDER = "pulumi:providers:aws"
SUBNET = "aws:ec2/subnet:Subnet"
MANDATORY_TAG_KEYS = ["business-unit", "environment", "owner", "cost-center", "managed-by"]
CLASSIFICATION_TAG = "data-classification"
CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"]
DATA_STORES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:dynamodb/table:Table",
               "aws:kinesis/stream:Stream")
STATEFUL = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:dynamodb/table:Table", "aws:kms/key:Key")
# Taggable types the platform declares; any other resource whose state carries tags/tagsAll counts too.
TAGGABLE = DATA_STORES + (
    "aws:kms/key:Key", "aws:dax/cluster:Cluster", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/logGroup:LogGroup", "aws:lambda/function:Function",
    "aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition",
    "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
    "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet",
    "aws:ec2/flowLog:FlowLog", "aws:ecr/repository:Repository", "aws:iam/role:Role", "aws:iam/policy:Policy",
    "aws:glue/crawler:Crawler", "aws:glue/job:Job", "aws:glue/catalogDatabase:CatalogDatabase",
    "aws:transfer/server:Server", "aws:transfer/user:User", "aws:apigatewayv2/api:Api",
    "aws:apigatewayv2/stage:Stage", "aws:secretsmanager/secret:Secret",
)

TAG_CONFIG = {"requiredTagKeys": {"type": "array", "items": {"type": "string"}, "default": MANDATORY_TAG_KEYS,
                                  "description": "Tag keys every taggable AWS resource carries "
                                                 "(resource tags merged with the provider's default tags)."}}
CLASSIFICATION_CONFIG = {"allowedClassifications": {"type": "array", "items": {"type": "string"},
                                                    "default": CLASSIFICATIONS,
                                                    "description": "Values of the data-classification tag."}}
REGION_CONFIG = {"allowedRegions": {"type": "array", "items": {"type": "string"},
                                    "default": ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"],
                                    "description": "Regions AWS providers may deploy to."}}
DESTROY_CONFIG = {"allowDataDestroy": {"type": "boolean", "default": False,
                                       "description": "Allow unprotected buckets, tables and keys "
                                                      "(ephemeral stacks only)."}}
AZ_CONFIG = {"minimumAzs": {"type": "integer", "minimum": 1, "default": 3,
                            "description": "Availability zones compute and DAX must span."}}


def _tags(value) -> dict:
    """A tag map; a tag value unknown during a preview reads as UNKNOWN (set; judged at update)."""
    value = as_json(value)
    return {str(k): peek(value, k) for k in value.keys()} if is_map(value) else {}


def effective_tags(resource) -> dict:
    """Provider default tags, overridden by the resource's own tags (what AWS ends up with)."""
    default = _tags(safe_get(as_json(safe_get(provider_props(resource), "defaultTags")), "tags"))
    return {**default, **_tags(safe_get(resource.props, "tagsAll")), **_tags(safe_get(resource.props, "tags"))}


def _taggable(resource) -> bool:
    if not resource.resource_type.startswith("aws:"):
        return False
    props = resource.props or {}
    return resource.resource_type in TAGGABLE or "tags" in props or "tagsAll" in props


def _mandatory_tags(resources, cfg):
    required = list(cfg["requiredTagKeys"])
    for r in resources:
        if _taggable(r):
            tags = effective_tags(r)
            missing = [k for k in required if not tags.get(k)]
            if missing:
                yield f"'{r.name}' ({r.resource_type}) is missing tags: {', '.join(missing)}.", r.urn


def _classification(resources, cfg):
    allowed = list(cfg["allowedClassifications"])
    for r in of_type(resources, *DATA_STORES):
        value = effective_tags(r).get(CLASSIFICATION_TAG)
        if value is not UNKNOWN and value not in allowed:
            yield (f"'{r.name}' must carry tag {CLASSIFICATION_TAG} with one of {', '.join(allowed)} "
                   f"(found {value!r})."), r.urn


def _explicit_provider(resources, cfg):
    for r in resources:
        if not r.resource_type.startswith("aws:"):
            continue
        provider = r.provider
        if provider is None or provider.name.startswith("default"):
            name = provider.name if provider is not None else "none"
            yield f"'{r.name}' uses the default AWS provider ({name}); pass the stack's explicit provider.", r.urn


def _providers(resources) -> list:
    return of_type(resources, AWS_PROVIDER)


def _pinned_account(resources, cfg):
    for p in _providers(resources):
        accounts = [str(a) for a in as_list(as_json(safe_get(p.props, "allowedAccountIds")))]
        if len(accounts) != 1:
            yield (f"Provider '{p.name}' must pin exactly one account in allowedAccountIds "
                   f"(found {accounts or 'none'})."), p.urn


def _region(resources, cfg):
    allowed = list(cfg["allowedRegions"])
    for p in _providers(resources):
        region = safe_get(p.props, "region")
        if region not in allowed:
            yield f"Provider '{p.name}' region {region!r} is not one of {', '.join(allowed)}.", p.urn


def _protected(resources, cfg):
    if truthy(cfg["allowDataDestroy"]):
        return
    for r in of_type(resources, *STATEFUL):
        if not r.opts.protect:
            yield (f"'{r.name}' ({r.resource_type}) holds data but is not protected; set protect=True "
                   "(or allowDataDestroy in the policy config for an ephemeral stack)."), r.urn


# --- three AZs ------------------------------------------------------------------------------------

def _subnet_refs(resource, *path) -> set[str]:
    refs = {str(s) for s in as_list(safe_get(resource.props, *path)) if isinstance(s, str) and s}
    if not refs:  # unknown during a first preview: fall back to the subnets the property depends on
        refs = {d.urn for d in (resource.property_dependencies or {}).get(path[0], []) if d.resource_type == SUBNET}
    return refs


def _az_count(resources, refs: set[str]) -> int:
    """Distinct AZs of the referenced subnets when the stack knows them, else distinct subnets."""
    azs: set[str] = set()
    resolved = 0
    for subnet in of_type(resources, SUBNET):
        keys = resource_keys(subnet, "id")
        arn = safe_get(subnet.props, "arn")
        if isinstance(arn, str) and "/" in arn:
            keys.add(arn.rsplit("/", 1)[-1])
        if keys & refs:
            resolved += 1
            az = safe_get(subnet.props, "availabilityZone") or safe_get(subnet.props, "availabilityZoneId")
            azs.add(str(az) if az else subnet.urn)
    return len(azs) if resolved == len(refs) and resolved else len(refs)


def _spans(resource_type, what, *path, only_if=None):
    def check(resources, cfg):
        for r in of_type(resources, resource_type):
            if only_if is not None and not only_if(r):
                continue
            count = _az_count(resources, _subnet_refs(r, *path))
            if count < cfg["minimumAzs"]:
                yield f"{what} '{r.name}' spans {count} AZ(s); place it in {cfg['minimumAzs']}.", r.urn
    return check


POLICIES = [
    stack_policy(
        name="aws-resource-mandatory-tags", service="stack",
        description="Every taggable AWS resource carries the org's mandatory tags (own tags merged with the "
                    "provider's default tags).",
        applies_to=["aws:"], check=_mandatory_tags, level=MANDATORY, severity=MEDIUM, config=TAG_CONFIG,
        remediation="Set default_tags on the stack's aws.Provider (components do) or tags on the resource."),
    stack_policy(
        name="data-store-classification-tag", service="stack",
        description="S3 buckets, DynamoDB tables and Kinesis streams carry a valid data-classification tag.",
        applies_to=DATA_STORES, check=_classification, level=MANDATORY, severity=MEDIUM,
        config=CLASSIFICATION_CONFIG,
        remediation="Tag the data store with data-classification (components derive it from the data product)."),
    stack_policy(
        name="aws-resource-explicit-provider", service="stack",
        description="Every AWS resource deploys through an explicit provider, never a default provider.",
        applies_to=["aws:"], check=_explicit_provider, level=MANDATORY, severity=HIGH,
        remediation="Pass opts=ResourceOptions(provider=<stack provider>) and set "
                    "pulumi:disable-default-providers: [aws] in the stack config."),
    stack_policy(
        name="aws-provider-pinned-to-one-account", service="stack",
        description="Every AWS provider pins exactly one account in allowedAccountIds.",
        applies_to=[AWS_PROVIDER], check=_pinned_account, level=MANDATORY, severity=CRITICAL,
        remediation="Create the provider with allowed_account_ids=[<the BU account id>]."),
    stack_policy(
        name="aws-provider-region-allowed", service="stack",
        description="Every AWS provider targets an allowed region.",
        applies_to=[AWS_PROVIDER], check=_region, level=MANDATORY, severity=HIGH, config=REGION_CONFIG,
        remediation="Set the provider's region to an allowed region, or extend allowedRegions in the policy config."),
    stack_policy(
        name="stateful-resources-protected", service="stack",
        description="S3 buckets, DynamoDB tables and KMS keys are protected unless the stack allows destroying data.",
        applies_to=STATEFUL, check=_protected, level=MANDATORY, severity=HIGH, config=DESTROY_CONFIG,
        remediation="Use protect=True (components do unless allowDataDestroy is set)."),
    stack_policy(
        name="ecs-service-spans-three-azs", service="ecs",
        description="ECS services run in subnets of at least three availability zones.",
        applies_to=["aws:ecs/service:Service"], level=MANDATORY, severity=MEDIUM, config=AZ_CONFIG,
        check=_spans("aws:ecs/service:Service", "ECS service", "networkConfiguration", "subnets"),
        remediation="Pass the three private subnets of the stack VPC in network_configuration.subnets.",
        reads=(SUBNET,)),
    stack_policy(
        name="dax-subnet-group-spans-three-azs", service="dax",
        description="DAX subnet groups cover at least three availability zones.",
        applies_to=["aws:dax/subnetGroup:SubnetGroup"], level=MANDATORY, severity=MEDIUM, config=AZ_CONFIG,
        check=_spans("aws:dax/subnetGroup:SubnetGroup", "DAX subnet group", "subnetIds"),
        remediation="Use the three private subnets of the stack VPC in subnet_ids.",
        reads=(SUBNET,)),
    stack_policy(
        name="lambda-vpc-function-spans-three-azs", service="lambda", control="Lambda.5",
        description="Lambda functions attached to a VPC use subnets in at least three availability zones.",
        applies_to=["aws:lambda/function:Function"], level=MANDATORY, severity=MEDIUM, config=AZ_CONFIG,
        check=_spans("aws:lambda/function:Function", "Lambda function", "vpcConfig", "subnetIds",
                     only_if=lambda r: bool(safe_get(r.props, "vpcConfig"))),
        remediation="Pass the three private subnets of the stack VPC in vpc_config.subnet_ids.",
        reads=(SUBNET,)),
]
