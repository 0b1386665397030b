"""The platform a flow runs against, and what both implementations share.

A flow only does what a client of the deployed platform could do: put files, records, events and
HTTP requests in, then look where they ended up. `Platform` is that client. Two implementations:

- `smoke.aws_platform.AwsPlatform`: a deployed stack, the caller's boto3 credentials; AWS does
  the routing, so every look is a poll with a timeout.
- `smoke.moto_platform.MotoPlatform`: the offline graph materialised in moto; moto runs no Lambda
  or Glue code, so the platform routes synchronously and `settle()` runs everything that is due
  before a flow looks.

Both create the flows' own capture rules (a rule and an SQS queue on a bus) the same way, through
`Capture`, and remove them afterwards.
"""

from __future__ import annotations

import gzip
import json
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, TypeVar

from botocore.exceptions import ClientError

from smoke.contract import TAG_DATA_PRODUCT, Product, Service, StackContract

T = TypeVar("T")


class FlowFailed(AssertionError):
    """A record did not end up where the platform promises; the message says which and where."""


class FlowSkipped(Exception):
    """The flow cannot run here (missing credentials, a login the caller must provide)."""


def check(condition: Any, message: str) -> None:
    if not condition:
        raise FlowFailed(message)


@dataclass(frozen=True)
class Delivery:
    """One rule target an event was handed to (moto platform only: AWS does not show this)."""

    event_id: str
    detail_event_id: Optional[str]
    source: str
    detail_type: str
    bus: str
    rule_arn: str
    target_arn: str
    kind: str  # lambda | event-bus | sqs | sns
    outcome: str  # invoked | failed | admitted | refused | sent
    note: str = ""


@dataclass(frozen=True)
class RuleTarget:
    """A rule on a bus and one of its targets, as deployed."""

    rule_arn: str
    pattern: Mapping[str, Any]
    target_arn: str
    dead_letter_arn: Optional[str]


class Clients:
    """boto3 clients of one account, made on first use (`aws.s3`, `aws.events`, ...)."""

    def __init__(self, factory: Callable[[str], Any]):
        self._factory = factory
        self._made: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = self._factory(service)
        return self._made[service]


class Platform(ABC):
    """What the flows may do and see. `contract` is the stack under test."""

    kind: str = "abstract"

    def __init__(self, contract: StackContract, run_id: str):
        self.contract = contract
        self.run_id = run_id
        self._captures = 0

    # --- accounts and time ------------------------------------------------------------------

    @abstractmethod
    def has_account(self, account: str) -> bool:
        """Can the platform act as this account (put, read, capture there)?"""

    @abstractmethod
    @contextmanager
    def clients(self, account: Optional[str] = None) -> Iterator[Clients]:
        """Clients acting as `account` (default: the stack's account) while the block runs."""

    @abstractmethod
    def settle(self) -> None:
        """Let everything that is due happen (moto: route until quiet; AWS: nothing to do)."""

    @abstractmethod
    def wait(self, what: str, probe: Callable[[], Optional[T]], timeout: float) -> T:
        """The first truthy `probe()`; FlowFailed naming `what` if there is none in time."""

    @abstractmethod
    def quiet(self, seconds: float) -> None:
        """Give late deliveries time to happen before checking that something did NOT happen."""

    def contract_of(self, stack: str) -> StackContract:
        """Another stack's contract (a producer or consumer of this one)."""
        raise FlowSkipped(f"needs the outputs of stack {stack}")

    # --- inputs ------------------------------------------------------------------------------

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> dict[str, Any]:
        with self.clients() as aws:
            return aws.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def put_events(self, entries: list[dict[str, Any]], account: Optional[str] = None) -> list[dict[str, Any]]:
        """One result per entry: {"EventId"} or {"ErrorCode", "ErrorMessage"}. A call AWS refuses as a
        whole (AccessDenied) is returned as that error on every entry."""
        with self.clients(account) as aws:
            try:
                return aws.events.put_events(Entries=entries)["Entries"]
            except ClientError as exc:
                error = exc.response.get("Error", {})
                if error.get("Code") not in ("AccessDeniedException", "AccessDenied", "NotAuthorizedForSourceException"):
                    raise
                return [{"ErrorCode": error.get("Code"), "ErrorMessage": error.get("Message", "")} for _ in entries]

    def put_stream_records(self, stream_arn: str, records: list[bytes], partition_key: str) -> None:
        with self.clients() as aws:
            response = aws.kinesis.put_records(StreamARN=stream_arn, Records=[
                {"Data": data, "PartitionKey": partition_key} for data in records])
        check(not response.get("FailedRecordCount"), f"Kinesis refused {response.get('FailedRecordCount')} record(s)")

    @abstractmethod
    def call_service(self, service: Service, method: str, path: str, body: Optional[str] = None) -> tuple[int, dict]:
        """An HTTP request to the service through its front door (API or load balancer)."""

    # --- looking -----------------------------------------------------------------------------

    def routed(self, event_id: str) -> Optional[list[Delivery]]:
        """Which rule targets an event reached, or None where that cannot be seen (AWS)."""
        return None

    @abstractmethod
    def rule_targets(self, bus_name: str) -> list[RuleTarget]:
        """The rules of a bus of the stack's account and their targets."""

    @abstractmethod
    def function_environment(self, function_arn: str) -> dict[str, str]:
        """A deployed function's environment variables."""

    @abstractmethod
    def queue_consumers(self, queue_arn: str) -> list[str]:
        """ARNs of the functions an event source mapping feeds from the queue."""

    def job_run_error(self, job_name: str, run: Mapping[str, Any]) -> str:
        return str(run.get("ErrorMessage") or "no error message")

    def tagged(self, product: Product, resource_type: str) -> list[str]:
        """ARNs of the product's resources of a type (`glue:job`, `firehose:deliverystream`), found
        by its tags: the product's name and the stack's business unit, environment and region role."""
        filters = [{"Key": TAG_DATA_PRODUCT, "Values": [product.name]}]
        filters += [{"Key": key, "Values": [value]} for key, value in self.contract.scope_tags().items()]
        arns: list[str] = []
        with self.clients() as aws:
            for page in aws.resourcegroupstaggingapi.get_paginator("get_resources").paginate(
                    TagFilters=filters, ResourceTypeFilters=[resource_type]):
                arns += [item["ResourceARN"] for item in page.get("ResourceTagMappingList", [])]
        return sorted(arns)

    def read_object(self, bucket: str, key: str, account: Optional[str] = None) -> bytes:
        with self.clients(account) as aws:
            body = aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body

    def read_records(self, bucket: str, key: str) -> Optional[list[dict[str, Any]]]:
        """The JSON records of an object (JSON lines, gzip or not); None for a binary format
        (Parquet) this process cannot read."""
        if key.endswith(".parquet") or ".parquet." in key:
            return None
        data = self.read_object(bucket, key)
        if data[:4] == b"PAR1":
            return None
        return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]

    def list_keys(self, bucket: str, prefix: str, account: Optional[str] = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.clients(account) as aws:
            for page in aws.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                out += page.get("Contents", [])
        return out

    def delete_object_versions(self, bucket: str, key: str) -> int:
        """Delete every version of one key (the zones are versioned; a plain delete only hides it)."""
        deleted = 0
        with self.clients() as aws:
            listing = aws.s3.list_object_versions(Bucket=bucket, Prefix=key)
            for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
                if entry["Key"] == key:
                    aws.s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
                    deleted += 1
        return deleted

    @contextmanager
    def capture(self, bus: str, pattern: Mapping[str, Any], account: Optional[str] = None) -> Iterator["Capture"]:
        """A temporary rule on `bus` (a name in `account`, or an ARN) sending what matches
        `pattern` to a temporary queue; both are removed afterwards."""
        if bus.startswith("arn:"):
            account, bus = bus.split(":")[4], bus.split("/", 1)[1]
        account = account or self.contract.account
        self._captures += 1
        capture = Capture(self, account, bus, pattern, f"ddp-smoke-{self.run_id}-{self._captures}")
        capture.create()
        try:
            self.capture_ready()
            yield capture
        finally:
            capture.remove()

    def capture_ready(self) -> None:
        """Wait until new rules take effect (EventBridge applies them within seconds)."""

    def captured(self, event: dict[str, Any], account: str) -> dict[str, Any]:
        """An event as a capture queue received it from a bus of `account`."""
        return event


@dataclass
class Capture:
    platform: Platform
    account: str
    bus: str
    pattern: Mapping[str, Any]
    name: str
    events: list[dict[str, Any]] = field(default_factory=list)
    queue_url: str = ""

    def create(self) -> None:
        with self.platform.clients(self.account) as aws:
            self.queue_url = aws.sqs.create_queue(QueueName=self.name, Attributes={"SqsManagedSseEnabled": "true"})["QueueUrl"]
            queue_arn = aws.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            rule_arn = aws.events.put_rule(Name=self.name, EventBusName=self.bus, EventPattern=json.dumps(self.pattern),
                                           State="ENABLED", Description="ddp smoke test capture (temporary)")["RuleArn"]
            aws.sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes={"Policy": json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                    "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
            aws.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "capture", "Arn": queue_arn}])

    def remove(self) -> None:
        with self.platform.clients(self.account) as aws:
            try:
                aws.events.remove_targets(Rule=self.name, EventBusName=self.bus, Ids=["capture"])
                aws.events.delete_rule(Name=self.name, EventBusName=self.bus)
            finally:
                aws.sqs.delete_queue(QueueUrl=self.queue_url)

    def drain(self) -> list[dict[str, Any]]:
        """Everything captured so far."""
        with self.platform.clients(self.account) as aws:
            while True:
                messages = aws.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=0).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self.events.append(self.platform.captured(json.loads(message["Body"]), self.account))
                    aws.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.events

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [event for event in self.drain() if predicate(event)]

    def wait_for(self, what: str, predicate: Callable[[dict[str, Any]], bool], timeout: float,
                 count: int = 1) -> list[dict[str, Any]]:
        return self.platform.wait(what, lambda: (lambda found: found if len(found) >= count else None)(
            self.matching(predicate)), timeout)


def poll(what: str, probe: Callable[[], Optional[T]], timeout: float, interval: float,
         sleep: Callable[[float], None] = time.sleep) -> T:
    """Probe until truthy or the timeout passes (then FlowFailed naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise FlowFailed(f"{what}: not seen within {timeout:.0f}s")
        sleep(min(interval, max(0.0, deadline - time.monotonic())))
