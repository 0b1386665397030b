"""The offline graph of a stack, materialised in moto with the names the program declared.

`Graph` reads one offline run (`offline.runner.StackRun`): its resources, the region and default
tags of each resource's provider, the code folder of each function. `materialise` creates in moto,
in the stack's account (MOTO_ACCOUNT_ID) and region, what the flows touch, with exactly the
recorded names, ARNs, tags (the provider's default tags included, as AWS's tags_all), policies,
environment and event patterns:

- KMS keys (and aliases): moto generates key ids, so `KeyMap` maps each recorded key to the
  generated one, and every reference (bucket encryption, queues, buses, table, stream, Firehose)
  and the stack outputs are rewritten to it;
- S3 buckets with their encryption, versioning and public access block, and the objects the
  program uploads (the Glue scripts); bucket policies, lifecycle and logging are not modelled;
- DynamoDB tables, SQS queues, SNS topics, Kinesis streams, Firehose delivery streams;
- EventBridge buses, their resource policies (stored; moto does not evaluate them, see
  `smoke.bus_policy`), rules with their recorded patterns; each recorded target is replaced by one
  capture queue per rule (moto cannot invoke a Lambda function or another account's bus): the
  router (`smoke.moto_platform`) reads it and delivers to the recorded target itself;
- Glue databases, Iceberg tables (as plain catalog tables: moto has no open table formats), jobs,
  crawlers and triggers. Glue Data Quality rulesets are not in moto.

Only resources in the stack's own region are created (the DR replicas in the second region are
not part of any flow). Lambda functions, API Gateway, load balancers and ECS are not created in
moto; the router reads them from the graph.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from offline.mocks import Record
from offline.runner import StackRun, fully_qualified

PROVIDER_TYPE = "pulumi:providers:aws"


def _int(value: Any) -> int:
    return int(float(value))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def tag_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


class Graph:
    """One stack's recorded resources, with what a resource inherits from its provider."""

    def __init__(self, run: StackRun):
        self.run = run
        self.stack = run.stack
        self.fqn = fully_qualified(run.stack)
        self.outputs = run.outputs
        self.account = str(run.outputs["account"]["id"])
        self.region = run.outputs["account"]["region"]
        self._providers = {record.urn: record for record in run.records if record.type == PROVIDER_TYPE}

    def _provider(self, record: Record) -> Optional[Record]:
        return self._providers.get(record.provider.rsplit("::", 1)[0]) if record.provider else None

    def region_of(self, record: Record) -> str:
        provider = self._provider(record)
        return provider.inputs.get("region", self.region) if provider else self.region

    def tags(self, record: Record) -> dict[str, str]:
        """The resource's tags as AWS stores them: the provider's default tags, then its own."""
        provider = self._provider(record)
        defaults = (_json(provider.inputs.get("defaultTags")) or {}).get("tags", {}) if provider else {}
        return {**defaults, **(record.inputs.get("tags") or {})}

    def local(self, type_: str) -> list[Record]:
        """Custom resources of a type in the stack's own region."""
        return [r for r in self.run.custom(type_) if self.region_of(r) == self.region]

    def all(self, type_: str) -> list[Record]:
        return self.run.by_type(type_)

    def function(self, arn: str) -> Optional[Record]:
        arn = arn.split(":function:", 1)
        if len(arn) != 2:
            return None
        name = arn[1].split(":", 1)[0]
        return next((f for f in self.all("aws:lambda/function:Function") if f.outputs.get("name") == name), None)

    @staticmethod
    def code_dir(function: Record) -> Path:
        code = function.inputs.get("code")
        path = getattr(code, "path", None)
        if not path:
            raise ValueError(f"function {function.name}: code is not a folder archive ({code!r})")
        return Path(path)


@dataclass
class KeyMap:
    """Recorded KMS key ARNs and ids -> the ones moto generated."""

    arns: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def __call__(self, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        return self.arns.get(value) or self.ids.get(value) or value

    def rewrite(self, value: Any) -> Any:
        """A copy of a JSON-like value with every recorded key ARN replaced."""
        if isinstance(value, dict):
            return {k: self.rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if isinstance(value, str):
            return self.arns.get(value, value)
        return value


@dataclass(frozen=True)
class RecordedTarget:
    arn: str
    dead_letter_arn: Optional[str]
    role_arn: Optional[str]
    target_id: str


@dataclass
class RuleBinding:
    """A recorded rule, the capture queue standing in for its targets, and the recorded targets."""

    graph: Graph
    bus: str
    name: str
    arn: str
    pattern: Mapping[str, Any]
    queue_url: str
    targets: list[RecordedTarget] = field(default_factory=list)


class Materialiser:
    """Creates one graph's resources in moto. `clients` act as the graph's account."""

    def __init__(self, graph: Graph, clients: Any):
        self.graph = graph
        self.aws = clients
        self.keys = KeyMap()
        self.bindings: dict[str, RuleBinding] = {}
        self.eventbridge_buckets: set[str] = set()

    def run(self) -> None:
        for step in (self.kms, self.s3, self.dynamodb, self.sqs, self.sns, self.events, self.glue, self.kinesis,
                     self.firehose):
            step()

    # --- one step per service ------------------------------------------------------------------

    def kms(self) -> None:
        g, kms = self.graph, self.aws.kms
        for record in g.local("aws:kms/key:Key"):
            args: dict[str, Any] = {"Description": record.inputs.get("description", ""),
                                    "Tags": tag_list(g.tags(record), "TagKey", "TagValue")}
            if record.inputs.get("policy"):
                args["Policy"] = record.inputs["policy"]
            made = kms.create_key(**args)["KeyMetadata"]
            if record.inputs.get("enableKeyRotation"):
                kms.enable_key_rotation(KeyId=made["KeyId"])
            self.keys.arns[record.outputs["arn"]] = made["Arn"]
            self.keys.ids[record.outputs["keyId"]] = made["KeyId"]
        for record in g.local("aws:kms/alias:Alias"):
            kms.create_alias(AliasName=record.inputs["name"], TargetKeyId=self.keys(record.inputs["targetKeyId"]))

    def s3(self) -> None:
        g, s3 = self.graph, self.aws.s3
        for record in g.local("aws:s3/bucket:Bucket"):
            name = record.inputs["bucket"]
            args: dict[str, Any] = {"Bucket": name}
            if g.region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": g.region}
            s3.create_bucket(**args)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(g.tags(record))})
        for record in g.local("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
            rules = []
            for rule in record.inputs["rules"]:
                default = rule.get("applyServerSideEncryptionByDefault") or {}
                applied = {"SSEAlgorithm": default["sseAlgorithm"]}
                if default.get("kmsMasterKeyId"):
                    applied["KMSMasterKeyID"] = self.keys(default["kmsMasterKeyId"])
                rules.append({"ApplyServerSideEncryptionByDefault": applied,
                              "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))})
            s3.put_bucket_encryption(Bucket=record.inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})
        for record in g.local("aws:s3/bucketVersioning:BucketVersioning"):
            status = record.inputs["versioningConfiguration"]["status"]
            s3.put_bucket_versioning(Bucket=record.inputs["bucket"], VersioningConfiguration={"Status": status})
        for record in g.local("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
            s3.put_public_access_block(Bucket=record.inputs["bucket"], PublicAccessBlockConfiguration={
                "BlockPublicAcls": bool(record.inputs.get("blockPublicAcls")),
                "IgnorePublicAcls": bool(record.inputs.get("ignorePublicAcls")),
                "BlockPublicPolicy": bool(record.inputs.get("blockPublicPolicy")),
                "RestrictPublicBuckets": bool(record.inputs.get("restrictPublicBuckets"))})
        for record in g.local("aws:s3/bucketNotification:BucketNotification"):
            # Not passed to moto: it would send its own, undocumented-shape event to every bus.
            if record.inputs.get("eventbridge"):
                self.eventbridge_buckets.add(record.inputs["bucket"])
        for record in g.local("aws:s3/bucketObjectv2:BucketObjectv2"):
            source = record.inputs.get("source")
            body = Path(source.path).read_bytes() if getattr(source, "path", None) else \
                str(record.inputs.get("content", "")).encode("utf-8")
            args = {"Bucket": record.inputs["bucket"], "Key": record.inputs["key"], "Body": body}
            if record.inputs.get("contentType"):
                args["ContentType"] = record.inputs["contentType"]
            if record.inputs.get("serverSideEncryption"):
                args["ServerSideEncryption"] = record.inputs["serverSideEncryption"]
            if record.inputs.get("kmsKeyId"):
                args["SSEKMSKeyId"] = self.keys(record.inputs["kmsKeyId"])
            s3.put_object(**args)

    def dynamodb(self) -> None:
        g, ddb = self.graph, self.aws.dynamodb
        for record in g.local("aws:dynamodb/table:Table"):
            i = record.inputs
            schema = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
            if i.get("rangeKey"):
                schema.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
            args: dict[str, Any] = {
                "TableName": i["name"], "KeySchema": schema,
                "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
                "BillingMode": i.get("billingMode", "PROVISIONED"), "Tags": tag_list(g.tags(record)),
                "DeletionProtectionEnabled": bool(i.get("deletionProtectionEnabled"))}
            if i.get("streamEnabled"):
                args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": i["streamViewType"]}
            sse = i.get("serverSideEncryption") or {}
            if sse.get("enabled"):
                args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS",
                                            **({"KMSMasterKeyId": self.keys(sse["kmsKeyArn"])} if sse.get("kmsKeyArn") else {})}
            ddb.create_table(**args)
            if (i.get("pointInTimeRecovery") or {}).get("enabled"):
                ddb.update_continuous_backups(TableName=i["name"], PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": True})

    def sqs(self) -> None:
        g, sqs = self.graph, self.aws.sqs
        names = {"kmsMasterKeyId": "KmsMasterKeyId", "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
                 "messageRetentionSeconds": "MessageRetentionPeriod", "visibilityTimeoutSeconds": "VisibilityTimeout",
                 "delaySeconds": "DelaySeconds", "sqsManagedSseEnabled": "SqsManagedSseEnabled",
                 "redrivePolicy": "RedrivePolicy"}
        for record in g.local("aws:sqs/queue:Queue"):
            attributes = {}
            for key, attribute in names.items():
                if record.inputs.get(key) is not None:
                    value = record.inputs[key]
                    value = self.keys(value) if key == "kmsMasterKeyId" else value
                    attributes[attribute] = str(value).lower() if isinstance(value, bool) else \
                        str(_int(value)) if isinstance(value, float) else str(value)
            sqs.create_queue(QueueName=record.outputs["url"].rsplit("/", 1)[1], Attributes=attributes,
                             tags=g.tags(record))
        for record in g.local("aws:sqs/queuePolicy:QueuePolicy"):
            sqs.set_queue_attributes(QueueUrl=record.inputs["queueUrl"], Attributes={"Policy": record.inputs["policy"]})

    def sns(self) -> None:
        g, sns = self.graph, self.aws.sns
        for record in g.local("aws:sns/topic:Topic"):
            attributes = {}
            if record.inputs.get("kmsMasterKeyId"):
                attributes["KmsMasterKeyId"] = self.keys(record.inputs["kmsMasterKeyId"])
            sns.create_topic(Name=record.outputs["arn"].rsplit(":", 1)[1], Attributes=attributes,
                             Tags=tag_list(g.tags(record)))

    def events(self) -> None:
        g, events, sqs = self.graph, self.aws.events, self.aws.sqs
        for record in g.local("aws:cloudwatch/eventBus:EventBus"):
            args = {"Name": record.inputs["name"], "Tags": tag_list(g.tags(record))}
            if record.inputs.get("kmsKeyIdentifier"):
                args["KmsKeyIdentifier"] = self.keys(record.inputs["kmsKeyIdentifier"])
            if record.inputs.get("description"):
                args["Description"] = record.inputs["description"]
            events.create_event_bus(**args)
        for record in g.local("aws:cloudwatch/eventBusPolicy:EventBusPolicy"):
            events.put_permission(EventBusName=record.inputs.get("eventBusName", "default"), Policy=record.inputs["policy"])
        for record in g.local("aws:cloudwatch/eventRule:EventRule"):
            bus = record.inputs.get("eventBusName", "default")
            name = record.outputs["name"]
            args = {"Name": name, "EventBusName": bus, "State": record.inputs.get("state", "ENABLED"),
                    "Tags": tag_list(g.tags(record))}
            for key, arg in (("eventPattern", "EventPattern"), ("scheduleExpression", "ScheduleExpression"),
                             ("description", "Description")):
                if record.inputs.get(key):
                    args[arg] = record.inputs[key]
            arn = events.put_rule(**args)["RuleArn"]
            queue = f"ddp-route-{hashlib.sha256(arn.encode()).hexdigest()[:16]}"
            url = sqs.create_queue(QueueName=queue)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "route", "Arn": queue_arn}])
            self.bindings[f"{bus}/{name}"] = RuleBinding(g, bus, name, arn, _json(record.inputs.get("eventPattern")) or {},
                                                         url)
        for record in g.local("aws:cloudwatch/eventTarget:EventTarget"):
            key = f"{record.inputs.get('eventBusName', 'default')}/{record.inputs['rule']}"
            binding = self.bindings.get(key)
            if binding is None:
                raise ValueError(f"event target {record.name}: its rule {key} is not in the graph")
            binding.targets.append(RecordedTarget(
                arn=record.inputs["arn"], dead_letter_arn=(record.inputs.get("deadLetterConfig") or {}).get("arn"),
                role_arn=record.inputs.get("roleArn"), target_id=record.outputs.get("targetId", record.name)))

    def glue(self) -> None:
        g, glue = self.graph, self.aws.glue
        for record in g.local("aws:glue/catalogDatabase:CatalogDatabase"):
            glue.create_database(DatabaseInput={"Name": record.inputs["name"],
                                                "Description": record.inputs.get("description", "")})
        for record in g.local("aws:glue/catalogTable:CatalogTable"):
            glue.create_table(DatabaseName=record.inputs["databaseName"], TableInput=_table_input(record.inputs))
        for record in g.local("aws:glue/job:Job"):
            i = record.inputs
            command = i["command"]
            args: dict[str, Any] = {
                "Name": i["name"], "Role": i["roleArn"], "Description": i.get("description", ""),
                "Command": {"Name": command["name"], "ScriptLocation": command["scriptLocation"],
                            "PythonVersion": str(command.get("pythonVersion", "3"))},
                "DefaultArguments": dict(i.get("defaultArguments") or {}), "Tags": g.tags(record)}
            for key, arg in (("glueVersion", "GlueVersion"), ("workerType", "WorkerType"),
                             ("securityConfiguration", "SecurityConfiguration")):
                if i.get(key):
                    args[arg] = i[key]
            for key, arg in (("numberOfWorkers", "NumberOfWorkers"), ("timeout", "Timeout")):
                if i.get(key) is not None:
                    args[arg] = _int(i[key])
            if i.get("executionProperty"):
                args["ExecutionProperty"] = {"MaxConcurrentRuns": _int(i["executionProperty"]["maxConcurrentRuns"])}
            glue.create_job(**args)
        for record in g.local("aws:glue/crawler:Crawler"):
            i = record.inputs
            args = {"Name": i["name"], "Role": i["role"], "DatabaseName": i["databaseName"],
                    "Description": i.get("description", ""), "Tags": g.tags(record),
                    "Targets": {"S3Targets": [{"Path": t["path"], **({"Exclusions": t["exclusions"]} if t.get("exclusions") else {})}
                                              for t in i.get("s3Targets") or []]}}
            for key, arg in (("schedule", "Schedule"), ("tablePrefix", "TablePrefix"), ("configuration", "Configuration"),
                             ("securityConfiguration", "CrawlerSecurityConfiguration")):
                if i.get(key):
                    args[arg] = i[key]
            if i.get("schemaChangePolicy"):
                args["SchemaChangePolicy"] = {"UpdateBehavior": i["schemaChangePolicy"]["updateBehavior"],
                                              "DeleteBehavior": i["schemaChangePolicy"]["deleteBehavior"]}
            if i.get("recrawlPolicy"):
                args["RecrawlPolicy"] = {"RecrawlBehavior": i["recrawlPolicy"]["recrawlBehavior"]}
            glue.create_crawler(**args)
        for record in g.local("aws:glue/trigger:Trigger"):
            i = record.inputs
            args = {"Name": i["name"], "Type": i["type"], "StartOnCreation": bool(i.get("startOnCreation")),
                    "Actions": [{"JobName": a["jobName"], **({"Arguments": a["arguments"]} if a.get("arguments") else {})}
                                for a in i["actions"]], "Tags": g.tags(record)}
            if i.get("description"):
                args["Description"] = i["description"]
            if i.get("schedule"):
                args["Schedule"] = i["schedule"]
            if i.get("predicate"):
                # Glue's default Logical is AND (moto wants it spelled out).
                args["Predicate"] = {"Logical": i["predicate"].get("logical", "AND"), "Conditions": [
                    {"LogicalOperator": c.get("logicalOperator", "EQUALS"), "JobName": c["jobName"], "State": c["state"]}
                    for c in i["predicate"]["conditions"]]}
            glue.create_trigger(**args)

    def kinesis(self) -> None:
        g, kinesis = self.graph, self.aws.kinesis
        for record in g.local("aws:kinesis/stream:Stream"):
            i = record.inputs
            mode = (i.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")
            args: dict[str, Any] = {"StreamName": i["name"], "StreamModeDetails": {"StreamMode": mode}}
            if mode == "PROVISIONED":
                args["ShardCount"] = _int(i["shardCount"])
            kinesis.create_stream(**args)
            kinesis.add_tags_to_stream(StreamName=i["name"], Tags=g.tags(record))
            if i.get("encryptionType") == "KMS":
                kinesis.start_stream_encryption(StreamName=i["name"], EncryptionType="KMS", KeyId=self.keys(i["kmsKeyId"]))
            if _int(i.get("retentionPeriod", 24)) > 24:
                kinesis.increase_stream_retention_period(StreamName=i["name"], RetentionPeriodHours=_int(i["retentionPeriod"]))

    def firehose(self) -> None:
        g, firehose = self.graph, self.aws.firehose
        for record in g.local("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"):
            i = record.inputs
            if i.get("destination") != "extended_s3":
                raise ValueError(f"delivery stream {i['name']}: only extended_s3 is modelled, not {i.get('destination')}")
            s3 = i["extendedS3Configuration"]
            destination: dict[str, Any] = {
                "RoleARN": s3["roleArn"], "BucketARN": s3["bucketArn"], "Prefix": s3.get("prefix", ""),
                "ErrorOutputPrefix": s3.get("errorOutputPrefix", ""),
                "BufferingHints": {"SizeInMBs": _int(s3.get("bufferingSize", 5)),
                                   "IntervalInSeconds": _int(s3.get("bufferingInterval", 300))},
                "CompressionFormat": s3.get("compressionFormat", "UNCOMPRESSED")}
            if s3.get("kmsKeyArn"):
                destination["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": self.keys(s3["kmsKeyArn"])}}
            logging_options = s3.get("cloudwatchLoggingOptions")
            if logging_options:
                destination["CloudWatchLoggingOptions"] = {"Enabled": bool(logging_options.get("enabled")),
                                                           "LogGroupName": logging_options.get("logGroupName", ""),
                                                           "LogStreamName": logging_options.get("logStreamName", "")}
            processing = s3.get("processingConfiguration")
            if processing:
                destination["ProcessingConfiguration"] = {"Enabled": bool(processing.get("enabled")), "Processors": [
                    {"Type": p["type"], "Parameters": [{"ParameterName": q["parameterName"],
                                                        "ParameterValue": q["parameterValue"]}
                                                       for q in p.get("parameters") or []]}
                    for p in processing.get("processors") or []]}
            partitioning = s3.get("dynamicPartitioningConfiguration")
            if partitioning:
                destination["DynamicPartitioningConfiguration"] = {
                    "Enabled": bool(partitioning.get("enabled")),
                    "RetryOptions": {"DurationInSeconds": _int(partitioning.get("retryDuration", 300))}}
            args: dict[str, Any] = {"DeliveryStreamName": i["name"], "ExtendedS3DestinationConfiguration": destination,
                                    "Tags": tag_list(g.tags(record))}
            source = i.get("kinesisSourceConfiguration")
            if source:
                args["DeliveryStreamType"] = "KinesisStreamAsSource"
                args["KinesisStreamSourceConfiguration"] = {"KinesisStreamARN": source["kinesisStreamArn"],
                                                            "RoleARN": source["roleArn"]}
            firehose.create_delivery_stream(**args)


def _glue_type(iceberg_type: Any) -> str:
    """An Iceberg primitive type (recorded JSON-encoded, '"string"') as Glue lists it for the column."""
    kind = _json(iceberg_type) if isinstance(iceberg_type, str) and iceberg_type.startswith('"') else iceberg_type
    return {"timestamptz": "timestamp", "long": "bigint", "integer": "int"}.get(kind, kind)


def _table_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog table as moto can hold it: Iceberg tables become plain tables with the Iceberg
    location, properties and columns (moto has no OpenTableFormatInput)."""
    table: dict[str, Any] = {"Name": inputs["name"], "Description": inputs.get("description", ""),
                             "Owner": inputs.get("owner", ""), "TableType": inputs.get("tableType", "EXTERNAL_TABLE"),
                             "Parameters": dict(inputs.get("parameters") or {})}
    iceberg = ((inputs.get("openTableFormatInput") or {}).get("icebergInput") or {}).get("icebergTableInput")
    if iceberg:
        table["Parameters"].update({"table_type": "ICEBERG", **(iceberg.get("properties") or {})})
        table["StorageDescriptor"] = {"Location": iceberg["location"], "Columns": [
            {"Name": f["name"], "Type": _glue_type(f["type"]), **({"Comment": f["doc"]} if f.get("doc") else {}),
             "Parameters": {"iceberg.field.optional": str(not f.get("required")).lower()}}
            for f in (iceberg.get("schema") or {}).get("fields", [])]}
        table["PartitionKeys"] = []
    elif inputs.get("storageDescriptor"):
        sd = inputs["storageDescriptor"]
        table["StorageDescriptor"] = {"Location": sd.get("location", ""), "Columns": [
            {"Name": c["name"], "Type": c.get("type", "string")} for c in sd.get("columns") or []]}
    return table


def materialise(graphs: Iterable[Graph], clients_for: Any) -> tuple[dict[str, Materialiser], KeyMap]:
    """Materialise each graph in its account; the materialisers by stack and one KeyMap for all."""
    done: dict[str, Materialiser] = {}
    keys = KeyMap()
    for graph in graphs:
        with clients_for(graph.account, graph.region) as aws:
            materialiser = Materialiser(graph, aws)
            materialiser.run()
        keys.arns.update(materialiser.keys.arns)
        keys.ids.update(materialiser.keys.ids)
        done[graph.stack] = materialiser
    return done, keys
