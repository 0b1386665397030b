"""The flows' platform in CI: the offline graphs materialised in moto, routed synchronously.

`MotoPlatform.started(runs, stack)` opens a moto account per stack (MOTO_ACCOUNT_ID = the stack's
account id, so every ARN is the one the program declared), materialises each graph there
(`smoke.moto_world`) and presents the chosen stack's outputs, with moto's KMS key ARNs, as the
contract. moto runs none of the platform's code; `settle()` does, until nothing is left to do:

- S3: each new object (version) in a bucket whose recorded notification sends to EventBridge
  becomes the documented "Object Created" event on the account's default bus;
- EventBridge: moto matches every event against the recorded rules with their recorded patterns
  and puts it on the rule's capture queue; the router hands it to each recorded target:
  a Lambda function (its handler module from the function's code folder, with the environment
  variables recorded on the function, if a recorded permission lets that rule invoke it; an error
  sends the event to the function's dead-letter queue), another account's bus (if that bus's
  recorded policy admits the sender, evaluated by `smoke.bus_policy` because moto does not;
  refused events go to the target's dead-letter queue), a queue or a topic;
- Lambda event source mappings: the functions fed from a queue are invoked with its messages
  (`smoke.moto_event_sources`);
- Glue: each StartJobRun runs the job's own script (`smoke.moto_glue`);
- Firehose: records put on a delivery stream's source Kinesis stream go through the recorded
  transformation function and land under the recorded prefixes (`expand` of
  `smoke.firehose_prefix`), GZIP-compressed and KMS-encrypted as configured.

Services are called through the front door the graph describes (`smoke.moto_front_doors`).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
import sys
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Callable, Iterator, Optional, Sequence, TypeVar

import boto3

from offline.mocks import Record
from offline.runner import StackRun
from smoke import aws_shapes, bus_policy, moto_event_sources
from smoke.contract import Service, StackContract
from smoke.firehose_prefix import expand
from smoke.functions import environment, load_module
from smoke.moto_front_doors import FrontDoors, may_invoke
from smoke.moto_glue import GlueRunner
from smoke.moto_world import Graph, KeyMap, Materialiser, RecordedTarget, RuleBinding, materialise
from smoke.platform import Clients, Delivery, FlowFailed, FlowSkipped, Platform, RuleTarget

T = TypeVar("T")
MAX_ROUNDS = 50
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing"}
_UNSET_FOR_MOTO = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


class MotoPlatform(FrontDoors, Platform):
    kind = "moto"

    def __init__(self, runs: Sequence[StackRun], stack: str, run_id: Optional[str] = None):
        self.graphs = {run.stack: Graph(run) for run in runs}
        if stack not in self.graphs:
            raise ValueError(f"stack {stack} is not among {sorted(self.graphs)}")
        self.graph = self.graphs[stack]
        super().__init__(StackContract.from_outputs(stack, self.graph.outputs), run_id or uuid.uuid4().hex[:8])
        self._clients: dict[str, Clients] = {}
        self.materialisers: dict[str, Materialiser] = {}
        self.keys = KeyMap()
        self.deliveries: list[Delivery] = []
        self.glue = GlueRunner(self)
        self._modules: dict[tuple[Path, str], ModuleType] = {}
        self._iterators: dict[tuple[str, str], str] = {}
        self._s3_seen: set[tuple[str, str, str, str]] = set()
        self._alb_key: Any = None
        self._env_names = sorted({name for g in self.graphs.values() for name in _environment_names(g)})

    # --- lifecycle -----------------------------------------------------------------------------

    @classmethod
    @contextmanager
    def started(cls, runs: Sequence[StackRun], stack: str, run_id: Optional[str] = None) -> Iterator["MotoPlatform"]:
        """A fresh moto with every graph of `runs` materialised; the platform acts for `stack`."""
        from moto import mock_aws  # noqa: PLC0415 - only the moto platform needs it

        platform = cls(runs, stack, run_id)
        region = platform.graph.region
        with environment({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
                          "MOTO_ACCOUNT_ID": platform.contract.account}, cleared=_UNSET_FOR_MOTO), mock_aws():
            platform.materialise()
            yield platform

    def materialise(self) -> None:
        self.materialisers, self.keys = materialise(self.graphs.values(), self.clients)
        # The outputs a deployment would have: moto's key ARNs in place of the recorded ones.
        self.contract = StackContract.from_outputs(self.graph.stack, self.keys.rewrite(self.graph.outputs))
        self._emit_s3_events(prime=True)

    # --- Platform ------------------------------------------------------------------------------

    def has_account(self, account: str) -> bool:
        return bool(re.fullmatch(r"\d{12}", account))  # moto can be any account

    @contextmanager
    def clients(self, account: Optional[str] = None, region: Optional[str] = None) -> Iterator[Clients]:
        region = region or self.graph.region
        if region not in self._clients:
            self._clients[region] = Clients(lambda service: boto3.client(service, region_name=region))
        with environment({"MOTO_ACCOUNT_ID": account or self.contract.account}):
            yield self._clients[region]

    def settle(self) -> None:
        for _ in range(MAX_ROUNDS):
            progressed = [self._emit_s3_events(), self._route(), moto_event_sources.poll(self), self.glue.run_pending(),
                          self._play_firehose()]
            if not any(progressed):
                return
        raise FlowFailed(f"the platform did not settle in {MAX_ROUNDS} rounds: events keep triggering each other "
                         f"(last deliveries: {self.deliveries[-5:]})")

    def wait(self, what: str, probe: Callable[[], Optional[T]], timeout: float) -> T:
        self.settle()
        value = probe()
        if not value:
            raise FlowFailed(f"{what}: not there once everything due had run{self._diagnosis()}")
        return value

    def quiet(self, seconds: float) -> None:
        self.settle()

    def contract_of(self, stack: str) -> StackContract:
        for graph in self.graphs.values():
            if stack in (graph.stack, graph.fqn):
                return StackContract.from_outputs(graph.stack, self.keys.rewrite(graph.outputs))
        raise FlowSkipped(f"stack {stack} is not materialised here")

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> dict[str, Any]:
        response = super().put_object(bucket, key, body, content_type)
        self.settle()
        return response

    def put_events(self, entries: list[dict[str, Any]], account: Optional[str] = None) -> list[dict[str, Any]]:
        sender = account or self.contract.account
        results = []
        for entry in entries:
            bus = entry.get("EventBusName") or "default"
            owner, region, name = (bus.split(":")[4], bus.split(":")[3], bus.split("/", 1)[1]) if bus.startswith("arn:") \
                else (sender, self.graph.region, bus)
            if owner == sender:
                results += super().put_events([{**entry, "EventBusName": name}], account=sender)
                continue
            bus_arn = f"arn:aws:events:{region}:{owner}:event-bus/{name}"
            decision = self._admits(owner, region, name, bus_arn, sender, entry["Source"], entry["DetailType"], None)
            if not decision.allowed:
                results.append({"ErrorCode": "AccessDeniedException", "ErrorMessage": decision.reason})
                continue
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
                     "source": entry["Source"], "account": sender, "time": datetime.now(timezone.utc).timestamp(),
                     "region": region, "resources": entry.get("Resources") or [], "detail": json.loads(entry["Detail"])}
            self.send_on_bus(owner, region, name, event)
            results.append({"EventId": event["id"]})
        self.settle()
        return results

    def put_stream_records(self, stream_arn: str, records: list[bytes], partition_key: str) -> None:
        super().put_stream_records(stream_arn, records, partition_key)
        self.settle()

    def call_service(self, service: Service, method: str, path: str, body: Optional[str] = None) -> tuple[int, dict]:
        front = self._via_http_api if service.runtime == "lambda" else self._via_load_balancer
        try:
            return front(service, method, path, body)
        finally:
            self.settle()

    def captured(self, event: dict[str, Any], account: str) -> dict[str, Any]:
        # moto renders PutEvents events without their account: the bus owner's, for same-account puts.
        return {"account": account, **event}

    def routed(self, event_id: str) -> list[Delivery]:
        self.settle()
        return [d for d in self.deliveries if event_id in (d.event_id, d.detail_event_id)]

    def rule_targets(self, bus_name: str) -> list[RuleTarget]:
        materialiser = self.materialisers[self.graph.stack]
        return [RuleTarget(b.arn, b.pattern, t.arn, t.dead_letter_arn)
                for b in materialiser.bindings.values() if b.bus == bus_name for t in b.targets]

    def function_environment(self, function_arn: str) -> dict[str, str]:
        _, function = self.function(function_arn)
        if function is None:
            raise FlowFailed(f"no function {function_arn} in the graph")
        return dict((function.inputs.get("environment") or {}).get("variables") or {})

    def queue_consumers(self, queue_arn: str) -> list[str]:
        return moto_event_sources.consumers(self, queue_arn)

    def job_run_error(self, job_name: str, run: dict[str, Any]) -> str:
        return self.glue.errors.get(run["Id"], "no error recorded")

    # --- events --------------------------------------------------------------------------------

    def send_on_bus(self, account: str, region: str, bus_name: str, event: dict[str, Any]) -> None:
        """Put a complete event (any `account`, AWS-service sources) through moto's matching of
        the bus's rules; moto's PutEvents would stamp the bus owner's account on it."""
        from moto.events.models import events_backends  # noqa: PLC0415 - moto internals, moto platform only

        bus = events_backends[account][region].event_buses.get(bus_name)
        if bus is None:
            raise FlowFailed(f"account {account} has no event bus {bus_name} in {region}")
        event = dict(event)
        if isinstance(event.get("time"), str):
            event["time"] = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
        with self.clients(account, region):
            for rule in list(bus.rules.values()):
                if rule.state == "ENABLED":
                    rule.send_to_targets(copy.deepcopy(event), transform_input=False)

    def _admits(self, owner: str, region: str, bus_name: str, bus_arn: str, sender: str, source: str,
                detail_type: str, principal_arn: Optional[str]) -> bus_policy.Decision:
        with self.clients(owner, region) as aws:
            try:
                policy = aws.events.describe_event_bus(Name=bus_name).get("Policy")
            except aws.events.exceptions.ResourceNotFoundException:
                return bus_policy.Decision(False, f"account {owner} has no bus {bus_name}")
        return bus_policy.evaluate(policy, bus_arn=bus_arn, account=sender, source=source, detail_type=detail_type,
                                   principal_arn=principal_arn)

    def _route(self) -> bool:
        progressed = False
        for materialiser in self.materialisers.values():
            graph = materialiser.graph
            for binding in materialiser.bindings.values():
                for event in self._receive(graph.account, graph.region, binding.queue_url):
                    event.setdefault("account", graph.account)  # moto's rendering leaves it out
                    for target in binding.targets:
                        self._deliver(binding, target, event)
                    progressed = True
        return progressed

    def _receive(self, account: str, region: str, queue_url: str) -> list[dict[str, Any]]:
        out = []
        with self.clients(account, region) as aws:
            while True:
                messages = aws.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    return out
                for message in messages:
                    out.append(json.loads(message["Body"]))
                    aws.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _deliver(self, binding: RuleBinding, target: RecordedTarget, event: dict[str, Any]) -> None:
        graph = binding.graph
        service = target.arn.split(":")[2]
        outcome, note = "unsupported", f"{service} targets are not modelled"
        if service == "lambda":
            function_graph, function = self.function(target.arn)
            if function is None:
                outcome, note = "refused", "no such function in any graph"
            elif not may_invoke(function_graph, function, "events.amazonaws.com", binding.arn):
                outcome, note = "refused", f"no permission lets {binding.arn} invoke {target.arn}"
            else:
                try:
                    outcome, note = "invoked", json.dumps(self.invoke(function_graph, function, event), default=str)[:500]
                except Exception as exc:  # noqa: BLE001 - Lambda retries, then its DLQ
                    outcome, note = "failed", f"{type(exc).__name__}: {exc}"
                    dlq = (function.inputs.get("deadLetterConfig") or {}).get("targetArn")
                    if dlq:
                        self._send_to_queue(dlq, json.dumps(event))
            if outcome == "refused" and target.dead_letter_arn:
                self._send_to_queue(target.dead_letter_arn, json.dumps(event))
        elif service == "events":
            owner, region, name = target.arn.split(":")[4], target.arn.split(":")[3], target.arn.split("/", 1)[1]
            decision = self._admits(owner, region, name, target.arn, graph.account, event["source"],
                                    event["detail-type"], target.role_arn)
            if decision.allowed:
                self.send_on_bus(owner, region, name, event)
                outcome, note = "admitted", decision.reason
            else:
                outcome, note = "refused", decision.reason
                if target.dead_letter_arn:
                    self._send_to_queue(target.dead_letter_arn, json.dumps(event))
        elif service == "sqs":
            self._send_to_queue(target.arn, json.dumps(event))
            outcome, note = "sent", ""
        elif service == "sns":
            with self.clients(target.arn.split(":")[4], target.arn.split(":")[3]) as aws:
                aws.sns.publish(TopicArn=target.arn, Message=json.dumps(event))
            outcome, note = "sent", ""
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        self.deliveries.append(Delivery(event["id"], detail.get("eventId"), event["source"], event["detail-type"],
                                        binding.bus, binding.arn, target.arn, service.replace("events", "event-bus"),
                                        outcome, note))

    def _send_to_queue(self, queue_arn: str, body: str) -> None:
        account, region, name = queue_arn.split(":")[4], queue_arn.split(":")[3], queue_arn.split(":")[5]
        with self.clients(account, region) as aws:
            url = aws.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            aws.sqs.send_message(QueueUrl=url, MessageBody=body)

    def _diagnosis(self) -> str:
        failed = [f"{d.rule_arn} -> {d.target_arn}: {d.outcome} ({d.note})" for d in self.deliveries
                  if d.outcome in ("failed", "refused", "unsupported")]
        jobs = [f"{e['job']}/{e['run']}: {e['state']} {e['message']}" for e in self.glue.log if e["state"] != "SUCCEEDED"]
        problems = failed[-3:] + jobs[-3:]
        return f" (on the way: {'; '.join(problems)})" if problems else ""

    # --- functions -----------------------------------------------------------------------------

    def function(self, arn: str) -> tuple[Optional[Graph], Optional[Record]]:
        account = arn.split(":")[4] if arn.count(":") >= 5 else None
        for graph in self.graphs.values():
            if graph.account == account:
                found = graph.function(arn)
                if found is not None:
                    return graph, found
        return None, None

    def invoke(self, graph: Graph, function: Record, event: Any) -> Any:
        """Run a function's handler on one event, as Lambda would: its code folder, its handler,
        its recorded environment (nothing else of the caller's), its account and region."""
        module_name, handler = function.inputs["handler"].rsplit(".", 1)
        variables = dict((function.inputs.get("environment") or {}).get("variables") or {})
        name = function.outputs["name"]
        context = SimpleNamespace(function_name=name, invoked_function_arn=function.outputs["arn"],
                                  aws_request_id=str(uuid.uuid4()), memory_limit_in_mb=function.inputs.get("memorySize"),
                                  get_remaining_time_in_millis=lambda: 30_000)
        with self._runtime(graph, variables, {"AWS_LAMBDA_FUNCTION_NAME": name}):
            module = self._module(Graph.code_dir(function), module_name)
            return getattr(module, handler)(event, context)

    @contextmanager
    def _runtime(self, graph: Graph, variables: dict[str, str], extra: dict[str, str]) -> Iterator[None]:
        """The process a function or container runs in: its environment only, and the DAX client
        standing in for the graph's DAX clusters."""
        saved = sys.modules.get("amazondax")
        sys.modules["amazondax"] = _dax_stand_in(graph)
        try:
            with environment({**variables, **extra, "AWS_REGION": graph.region, "AWS_DEFAULT_REGION": graph.region,
                              "MOTO_ACCOUNT_ID": graph.account}, cleared=self._env_names):
                yield
        finally:
            if saved is None:
                sys.modules.pop("amazondax", None)
            else:
                sys.modules["amazondax"] = saved

    def _module(self, code: Path, name: str) -> ModuleType:
        if (code, name) not in self._modules:
            self._modules[(code, name)] = load_module(code, name)
        return self._modules[(code, name)]

    # --- S3 notifications and Firehose ---------------------------------------------------------

    def _emit_s3_events(self, prime: bool = False) -> bool:
        progressed = False
        for materialiser in self.materialisers.values():
            graph = materialiser.graph
            for bucket in sorted(materialiser.eventbridge_buckets):
                with self.clients(graph.account, graph.region) as aws:
                    versions = []
                    for page in aws.s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                        versions += page.get("Versions", [])
                for version in sorted(versions, key=lambda v: v["LastModified"]):
                    seen = (bucket, version["Key"], version.get("VersionId") or "null",
                            f"{version['ETag']}{version['LastModified'].isoformat()}")
                    if seen in self._s3_seen:
                        continue
                    self._s3_seen.add(seen)
                    if prime:
                        continue
                    self.send_on_bus(graph.account, graph.region, "default", aws_shapes.s3_object_created(
                        account=graph.account, region=graph.region, partition="aws", bucket=bucket, key=version["Key"],
                        size=version["Size"], etag=version["ETag"],
                        version_id=None if version.get("VersionId") in (None, "null") else version["VersionId"]))
                    progressed = True
        return progressed

    def _play_firehose(self) -> bool:
        progressed = False
        for graph in self.graphs.values():
            for record in graph.local("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"):
                with self.clients(graph.account, graph.region) as aws:
                    stream = aws.firehose.describe_delivery_stream(
                        DeliveryStreamName=record.inputs["name"])["DeliveryStreamDescription"]
                    source = (stream.get("Source") or {}).get("KinesisStreamSourceDescription")
                    if not source:
                        continue
                    records = self._read_stream(aws, source["KinesisStreamARN"])
                if records:
                    self._deliver_firehose(graph, stream, source["KinesisStreamARN"], records)
                    progressed = True
        return progressed

    def _read_stream(self, aws: Clients, stream_arn: str) -> list[dict[str, Any]]:
        out = []
        for shard in aws.kinesis.list_shards(StreamARN=stream_arn)["Shards"]:
            key = (stream_arn, shard["ShardId"])
            iterator = self._iterators.get(key) or aws.kinesis.get_shard_iterator(
                StreamARN=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            response = aws.kinesis.get_records(ShardIterator=iterator, StreamARN=stream_arn)
            out += [{**r, "ShardId": shard["ShardId"]} for r in response["Records"]]
            self._iterators[key] = response["NextShardIterator"]
        return out

    def _deliver_firehose(self, graph: Graph, stream: dict[str, Any], source_arn: str,
                          records: list[dict[str, Any]]) -> None:
        destination = stream["Destinations"][0]["ExtendedS3DestinationDescription"]
        event = aws_shapes.firehose_transformation_event(delivery_stream_arn=stream["DeliveryStreamARN"],
                                                         source_stream_arn=source_arn, region=graph.region,
                                                         records=records)
        processing = destination.get("ProcessingConfiguration") or {}
        lambda_arn = next((q["ParameterValue"] for p in processing.get("Processors") or [] if p["Type"] == "Lambda"
                           for q in p["Parameters"] if q["ParameterName"] == "LambdaArn"), None) \
            if processing.get("Enabled") else None
        answers: dict[str, dict[str, Any]] = {}
        if lambda_arn:
            function_graph, function = self.function(lambda_arn)
            try:
                if function is None:
                    raise LookupError(f"no function {lambda_arn} in the graph")
                answers = {r["recordId"]: r for r in self.invoke(function_graph, function, event)["records"]}
            except Exception:  # noqa: BLE001 - the whole batch then counts as failed
                answers = {}
        else:
            answers = {r["recordId"]: {"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                       for r in event["records"]}
        delivered: dict[str, list[bytes]] = defaultdict(list)
        failed: dict[str, list[str]] = defaultdict(list)
        random = lambda: uuid.uuid4().hex[:11]  # noqa: E731
        for record in event["records"]:
            arrival = datetime.fromtimestamp(record["approximateArrivalTimestamp"] / 1000, timezone.utc)
            answer = answers.get(record["recordId"]) or {}
            if answer.get("result") == "Dropped":
                continue
            if answer.get("result") == "Ok":
                keys = (answer.get("metadata") or {}).get("partitionKeys") or {}
                try:
                    prefix = expand(destination.get("Prefix", ""), when=arrival, keys=keys, random=random)
                except KeyError:
                    answer = {}
                else:
                    delivered[prefix].append(base64.b64decode(answer["data"]))
                    continue
            prefix = expand(destination.get("ErrorOutputPrefix", ""), when=arrival, error_type="processing-failed",
                            random=random)
            failed[prefix].append(json.dumps(aws_shapes.firehose_processing_failed(
                raw_data=record["data"], arrival_ms=record["approximateArrivalTimestamp"], lambda_arn=lambda_arn or "")))
        bucket = destination["BucketARN"].split(":::", 1)[1]
        for prefix, chunks in list(delivered.items()) + [(p, [(l + "\n").encode() for l in ls]) for p, ls in failed.items()]:
            self._firehose_object(graph, stream, destination, bucket, prefix, b"".join(chunks))

    def _firehose_object(self, graph: Graph, stream: dict, destination: dict, bucket: str, prefix: str,
                         body: bytes) -> None:
        gzipped = destination.get("CompressionFormat") == "GZIP"
        now = datetime.now(timezone.utc)
        key = (f"{prefix}{stream['DeliveryStreamName']}-{stream.get('VersionId', '1')}-{now:%Y-%m-%d-%H-%M-%S}-"
               f"{uuid.uuid4()}{'.gz' if gzipped else ''}")
        args: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": gzip.compress(body) if gzipped else body}
        kms = ((destination.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
        if kms:
            args.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms)
        with self.clients(graph.account, graph.region) as aws:
            aws.s3.put_object(**args)

def _dax_stand_in(graph: Graph) -> ModuleType:
    """An `amazondax` module whose client talks to moto's DynamoDB (DAX serves the same item API)
    only when given the endpoint of one of the graph's DAX clusters, as a URL of the cluster's
    encryption (daxs:// for TLS); any other endpoint fails as the real client does (no route)."""
    endpoints = set()
    for cluster in graph.all("aws:dax/cluster:Cluster"):
        scheme = "daxs" if cluster.inputs.get("clusterEndpointEncryptionType") == "TLS" else "dax"
        endpoints.add(f"{scheme}://{cluster.outputs['clusterAddress']}:{int(cluster.outputs['port'])}")

    class DaxClientError(Exception):
        pass

    class AmazonDaxClient:
        def __new__(cls, endpoint_url: Optional[str] = None, region_name: Optional[str] = None, **_: Any) -> Any:
            if endpoint_url not in endpoints:
                raise DaxClientError(f"NoRouteException: no DAX cluster of the graph at {endpoint_url} "
                                     f"(clusters: {sorted(endpoints)})")
            return boto3.client("dynamodb", region_name=region_name)

    module = ModuleType("amazondax")
    module.AmazonDaxClient = AmazonDaxClient  # type: ignore[attr-defined]
    module.DaxClientError = DaxClientError  # type: ignore[attr-defined]
    return module


def _environment_names(graph: Graph) -> set[str]:
    """Every environment variable the graph gives any function or container."""
    names = set()
    for function in graph.all("aws:lambda/function:Function"):
        names |= set(((function.inputs.get("environment") or {}).get("variables") or {}))
    for task in graph.all("aws:ecs/taskDefinition:TaskDefinition"):
        for container in json.loads(task.inputs.get("containerDefinitions") or "[]"):
            names |= {e["name"] for e in container.get("environment") or []}
    return names
