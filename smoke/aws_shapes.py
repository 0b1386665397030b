"""What AWS services hand to the platform's code, in their documented shapes.

moto runs none of the platform's Lambda functions or Glue jobs, so the moto platform delivers
these itself. Each builder cites the page that documents the shape; only what the platform's
code reads is guaranteed, the rest follows the documented example.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping, Optional


def s3_object_created(*, account: str, region: str, partition: str, bucket: str, key: str, size: int, etag: str,
                      version_id: Optional[str], reason: str = "PutObject") -> dict[str, Any]:
    """The EventBridge event S3 sends for a new object when the bucket has EventBridge
    notifications on ("Amazon S3 event notifications with EventBridge", Object Created,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). The key is the plain
    key, not URL-encoded. `time` is epoch seconds here: moto's event routing renders it."""
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": {"key": key, "size": size, "etag": etag.strip('"'), "sequencer": f"{time.time_ns():016X}"[-16:]},
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": account,
        "source-ip-address": "203.0.113.10",
        "reason": reason,
    }
    if version_id:
        detail["object"]["version-id"] = version_id
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
            "account": account, "time": time.time(), "region": region,
            "resources": [f"arn:{partition}:s3:::{bucket}"], "detail": detail}


def glue_job_state_change(*, account: str, region: str, job_name: str, run_id: str, state: str,
                          message: str) -> dict[str, Any]:
    """"Glue Job State Change" on the default bus ("Amazon EventBridge events for AWS Glue",
    https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html)."""
    severity = "INFO" if state == "SUCCEEDED" else "ERROR"
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Glue Job State Change", "source": "aws.glue",
            "account": account, "time": time.time(), "region": region, "resources": [],
            "detail": {"jobName": job_name, "severity": severity, "state": state, "jobRunId": run_id,
                       "message": message}}


def firehose_transformation_event(*, delivery_stream_arn: str, source_stream_arn: str, region: str,
                                  records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """What Firehose passes its transformation Lambda for a Kinesis-stream source ("Transform
    source data in Amazon Data Firehose", the Kinesis Data Streams event,
    https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). `records` are
    Kinesis GetRecords records (Data, PartitionKey, SequenceNumber, ApproximateArrivalTimestamp)
    with their shard id under ShardId."""
    out = []
    for record in records:
        arrival = int(record["ApproximateArrivalTimestamp"].timestamp() * 1000)
        out.append({
            "recordId": f"{record['SequenceNumber']}-{len(out)}",
            "approximateArrivalTimestamp": arrival,
            "data": base64.b64encode(record["Data"]).decode("ascii"),
            "kinesisRecordMetadata": {"sequenceNumber": record["SequenceNumber"], "subsequenceNumber": 0,
                                      "partitionKey": record["PartitionKey"], "shardId": record["ShardId"],
                                      "approximateArrivalTimestamp": arrival},
        })
    return {"invocationId": str(uuid.uuid4()), "deliveryStreamArn": delivery_stream_arn,
            "sourceKinesisStreamArn": source_stream_arn, "region": region, "records": out}


def firehose_processing_failed(*, raw_data: str, arrival_ms: int, lambda_arn: str) -> dict[str, Any]:
    """A record the transformation marked ProcessingFailed, as Firehose writes it under the
    `processing-failed` error output ("Handle failure in data transformation",
    https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html).
    The page leaves the code of this case open; the one written here is an assumption, and
    nothing reads it (the flows decode `rawData`)."""
    now = int(time.time() * 1000)
    return {"attemptsMade": 1, "arrivalTimestamp": arrival_ms, "errorCode": "Lambda.ProcessingFailed",
            "errorMessage": "The record was marked as failed by the Lambda function.",
            "attemptEndingTimestamp": now, "rawData": raw_data, "lambdaArn": lambda_arn}


def http_api_request(*, method: str, path: str, route_key: str, path_parameters: Mapping[str, str],
                     body: Optional[str], account: str, api_id: str, region: str,
                     caller_arn: Optional[str]) -> dict[str, Any]:
    """An API Gateway HTTP API request to a Lambda proxy integration, payload format 2.0
    ("Create AWS Lambda proxy integrations for HTTP APIs",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)."""
    now = datetime.now(timezone.utc)
    context: dict[str, Any] = {
        "accountId": account, "apiId": api_id, "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
        "domainPrefix": api_id, "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                         "sourceIp": "203.0.113.10", "userAgent": "ddp-smoke"},
        "requestId": uuid.uuid4().hex, "routeKey": route_key, "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000),
    }
    if caller_arn:
        context["authorizer"] = {"iam": {"accountId": account, "userArn": caller_arn, "callerId": caller_arn}}
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": "",
                             "headers": {"content-type": "application/json", "host": context["domainName"]},
                             "requestContext": context, "pathParameters": dict(path_parameters),
                             "isBase64Encoded": False}
    if body is not None:
        event["body"] = body
    return event


def _b64url(data: bytes) -> str:
    # The ALB keeps the base64 padding (see functions/ods_api/alb_auth.py).
    return base64.urlsafe_b64encode(data).decode("ascii")


def alb_user_claims(*, private_key: Any, kid: str, alb_arn: str, issuer: str, client_id: str,
                    subject: str, lifetime_seconds: int = 300) -> str:
    """The `x-amzn-oidc-data` header an ALB adds after its authenticate action logged a user in:
    an ES256 JWT whose header names the ALB as `signer` ("Authenticate users using an Application
    Load Balancer", user claims encoding and signature verification,
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html)."""
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - only the moto platform signs
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: PLC0415

    expires = int(time.time()) + lifetime_seconds
    head = {"alg": "ES256", "kid": kid, "signer": alb_arn, "iss": issuer, "client": client_id, "exp": expires}
    claims = {"sub": subject, "iss": issuer, "exp": expires}
    signing_input = f"{_b64url(json.dumps(head).encode())}.{_b64url(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
