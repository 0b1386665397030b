"""What the diagram draws: the resource types shown (and how), and the rules that turn resource
inputs into data-flow edges.

A `Rule` says: this input of this resource type names a resource of one of these types, and data
flows in this direction. Every edge of every diagram comes from one of `RULES`, or from a Lake
Formation LF-tag grant, which names no resource: the databases and tables its expression matches
are worked out from the graph's tag assignments (offline/lf_access.py) and flow into the grant.
Nothing is drawn per stack.

Some resources are drawn as part of another (`FOLDED`): a dataset's Iceberg table is its database,
so the table's edges (its data location, the LF-tag grants that match it) are the database's and a
product with many datasets still reads as one catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

BUCKET = "aws:s3/bucket:Bucket"
STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
SFTP_SERVER = "aws:transfer/server:Server"
SFTP_USER = "aws:transfer/user:User"
BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
FUNCTION = "aws:lambda/function:Function"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
GLUE_JOB = "aws:glue/job:Job"
GLUE_TRIGGER = "aws:glue/trigger:Trigger"
CRAWLER = "aws:glue/crawler:Crawler"
GLUE_DB = "aws:glue/catalogDatabase:CatalogDatabase"
GLUE_TABLE = "aws:glue/catalogTable:CatalogTable"
LF_RESOURCE = "aws:lakeformation/resource:Resource"
LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions"
TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
DAX = "aws:dax/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
HTTP_API = "aws:apigatewayv2/api:Api"
API_INTEGRATION = "aws:apigatewayv2/integration:Integration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
AWSX_VPC = "awsx:ec2:Vpc"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

# Pseudo target types for values that are not resources of this stack.
ACCOUNT = "<account>"      # another AWS account (a consumer, a producer)

# Per visible type: (short kind shown in the box, colour group).
KINDS: dict[str, tuple[str, str]] = {
    STREAM: ("Kinesis stream", "ingest"),
    FIREHOSE: ("Firehose", "ingest"),
    SFTP_SERVER: ("SFTP server", "ingest"),
    GLUE_JOB: ("Glue job", "ingest"),
    BUCKET: ("S3 bucket", "store"),
    TABLE: ("DynamoDB table", "store"),
    TABLE_REPLICA: ("DynamoDB replica", "store"),
    DAX: ("DAX cluster", "store"),
    CRAWLER: ("Glue crawler", "catalog"),
    GLUE_DB: ("Glue database", "catalog"),
    LF_RESOURCE: ("Lake Formation location", "catalog"),
    BUS: ("Event bus", "events"),
    FUNCTION: ("Lambda", "compute"),
    ECS_SERVICE: ("ECS service", "compute"),
    LOAD_BALANCER: ("ALB", "compute"),
    HTTP_API: ("HTTP API", "compute"),
    VPC_ENDPOINT: ("VPC endpoint", "network"),
    AWSX_VPC: ("VPC", "network"),
}
# Visible types drawn only when they carry a flow (log buckets, helper functions stay out).
ONLY_IF_CONNECTED = {BUCKET, FUNCTION}

# Resources drawn as the resource one of their inputs names: (input, its target types). Their edges
# become that resource's; one that names none is contracted like any hidden resource.
FOLDED: dict[str, tuple[str, tuple[str, ...]]] = {
    GLUE_TABLE: ("databaseName", (GLUE_DB,)),
}

# Child names that say less than their component's name ("ECS service service"): shown as the component.
GENERIC_NAMES = {"service", "function", "api", "alb", "lb", "bus", "stream", "firehose"}

# Which output keys identify a resource when another resource points at it (default: id, arn, name).
IDENTITY_KEYS: dict[str, tuple[str, ...]] = {
    BUCKET: ("id", "arn", "bucket"),
    DAX: ("arn", "configurationEndpoint", "clusterAddress"),  # its name equals the bus's
    FUNCTION: ("id", "arn", "name", "invokeArn"),
    SFTP_SERVER: ("id", "arn"),
    # Types the mocks answer with their inputs: their "arn"/"name" are what they point at.
    LF_RESOURCE: ("id",),
    LF_PERMISSIONS: (),
    EVENT_TARGET: ("id",),
    BUS_POLICY: (),
    REPLICATION: (),
    TASK_DEF: ("id", "arn", "arnWithoutRevision"),
}
DEFAULT_IDENTITY = ("id", "arn", "name")
NEVER_INDEXED = {"pulumi:providers:aws", STACK_REFERENCE, "pulumi:pulumi:Stack"}

COLOURS = {
    "ingest": "#fde2c8", "store": "#d5f0d5", "catalog": "#e6dcf5", "events": "#fff3b0",
    "compute": "#d6e6fb", "network": "#eeeeee", "external": "#ffffff",
}


@dataclass(frozen=True)
class Rule:
    """`holder`'s input at `path` (glob over dotted keys, `[]` for list items) names a resource of
    one of `targets`. direction "in": data flows target -> holder; "out": holder -> target."""

    holder: str
    path: str
    targets: tuple[str, ...]
    direction: str
    label: str = ""

    @property
    def glob(self) -> str:
        return self.path.replace("[]", "[[][]]")  # "[]" is literal in our paths, a set in fnmatch


# What a function's or task's environment variables may name, and the edge's label.
ENV_TARGETS = ((TABLE, "items"), (DAX, "cached reads"), (BUS, "publish"), (GLUE_JOB, "start"), (CRAWLER, "start"))

RULES: tuple[Rule, ...] = (
    # ingestion
    Rule(FIREHOSE, "kinesisSourceConfiguration.kinesisStreamArn", (STREAM,), "in", "records"),
    Rule(FIREHOSE, "extendedS3Configuration.bucketArn", (BUCKET,), "out", "deliver"),
    Rule(FIREHOSE, "extendedS3Configuration.processingConfiguration.*", (FUNCTION,), "out", "transform"),
    Rule(SFTP_USER, "serverId", (SFTP_SERVER,), "in"),
    Rule(SFTP_USER, "homeDirectoryMappings[].target", (BUCKET,), "out", "sftp upload"),
    Rule(GLUE_JOB, "defaultArguments.--source_path", (BUCKET,), "in", "read"),
    Rule(GLUE_JOB, "defaultArguments.--target_path", (BUCKET,), "out", "write"),
    # the reportable job: curated (its --source_path above) -> Iceberg tables in the reportable zone,
    # committed to the shared database, a Dataset Published event on the product's bus
    Rule(GLUE_JOB, "defaultArguments.--warehouse", (BUCKET,), "out", "write"),
    Rule(GLUE_JOB, "defaultArguments.--database", (GLUE_DB,), "out", "tables"),
    Rule(GLUE_JOB, "defaultArguments.--event_bus_name", (BUS,), "out", "publish"),
    # a conditional trigger: the jobs and crawlers of its predicate start its actions
    Rule(GLUE_TRIGGER, "predicate.conditions[].jobName", (GLUE_JOB,), "in", "trigger"),
    Rule(GLUE_TRIGGER, "predicate.conditions[].crawlerName", (CRAWLER,), "in", "trigger"),
    Rule(GLUE_TRIGGER, "actions[].jobName", (GLUE_JOB,), "out", "trigger"),
    Rule(GLUE_TRIGGER, "actions[].crawlerName", (CRAWLER,), "out", "trigger"),
    # events: bus (or S3 / another account on the default bus) -> rule -> target
    Rule(EVENT_RULE, "eventBusName", (BUS,), "in", "events"),
    Rule(EVENT_RULE, "eventPattern.detail.*", (BUCKET,), "in", "object created"),
    Rule(EVENT_RULE, "eventPattern.account[]", (ACCOUNT,), "in", "events"),
    Rule(EVENT_TARGET, "rule", (EVENT_RULE,), "in"),
    Rule(EVENT_TARGET, "arn", (FUNCTION, BUS, QUEUE, ACCOUNT), "out"),
    # a function polling a queue (the ODS writer): queue -> mapping -> function
    Rule(EVENT_SOURCE_MAPPING, "eventSourceArn", (QUEUE,), "in"),
    Rule(EVENT_SOURCE_MAPPING, "functionName", (FUNCTION,), "out"),
    # another account sends events to a bus whose policy admits it (a bus policy grants events:PutEvents;
    # a consumer's inbox bus admits the producer account, which targets the inbox directly)
    Rule(BUS_POLICY, "policy.Statement[].Principal.AWS*", (ACCOUNT,), "in", "events"),
    Rule(BUS_POLICY, "eventBusName", (BUS,), "out"),
    # services and functions: their configuration names the store, cache, bus, job they use
    *(Rule(FUNCTION, "environment.variables.*", (target,), "out", label) for target, label in ENV_TARGETS),
    *(Rule(TASK_DEF, "containerDefinitions[].environment[].value", (target,), "out", label)
      for target, label in ENV_TARGETS),
    Rule(ECS_SERVICE, "taskDefinition", (TASK_DEF,), "out"),
    Rule(ECS_SERVICE, "loadBalancers[].targetGroupArn", (TARGET_GROUP,), "in"),
    Rule(LISTENER, "loadBalancerArn", (LOAD_BALANCER,), "in", "HTTPS"),
    Rule(LISTENER, "defaultActions[].targetGroupArn", (TARGET_GROUP,), "out"),
    Rule(API_INTEGRATION, "apiId", (HTTP_API,), "in", "HTTPS"),
    Rule(API_INTEGRATION, "integrationUri", (FUNCTION,), "out"),
    # catalog
    Rule(CRAWLER, "s3Targets[].path", (BUCKET,), "in", "crawl"),
    Rule(CRAWLER, "databaseName", (GLUE_DB,), "out", "tables"),
    Rule(GLUE_DB, "targetDatabase.databaseName", (GLUE_DB,), "in", "resource link"),
    Rule(GLUE_TABLE, "openTableFormatInput.icebergInput.icebergTableInput.location", (BUCKET,), "in", "Iceberg data"),
    # sharing
    Rule(LF_RESOURCE, "arn", (BUCKET,), "in", "register"),
    Rule(LF_PERMISSIONS, "database.name", (GLUE_DB,), "in"),
    Rule(LF_PERMISSIONS, "table.databaseName", (GLUE_DB,), "in"),
    Rule(LF_PERMISSIONS, "tableWithColumns.databaseName", (GLUE_DB,), "in"),
    # (LF-tag grants, `lfTagPolicy`, are resolved by references.tag_policy_edges)
    Rule(LF_PERMISSIONS, "principal", (ACCOUNT,), "out", "LF grant"),
    # replication
    Rule(REPLICATION, "bucket", (BUCKET,), "in"),
    Rule(REPLICATION, "rules[].destination.bucket", (BUCKET,), "out", "replicate"),
    Rule(TABLE_REPLICA, "globalTableArn", (TABLE,), "in", "global table replica"),
)
# Edge labels drawn dashed: control rather than data.
DASHED = {"transform", "start", "trigger", "contract"}
