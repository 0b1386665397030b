"""The arrival check: a Lambda that validates files landing in the raw zone and starts the ETL or crawler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import iam
from components.data_product.ingestion.prefixes import (ALLOWED_SUFFIXES, ARRIVAL_METRICS_NAMESPACE, MAX_OBJECT_BYTES,
                                                        QUARANTINE_PREFIX)
from components.data_product.scope import (Function, ProductScope, alarm, event_target_to_lambda, lambda_function,
                                           queue_policy_for_events)
from components.data_product.storage import ZoneBucket


@dataclass(frozen=True)
class Arrival:
    function: Function
    rule: aws.cloudwatch.EventRule
    dlq: aws.sqs.Queue


def arrival(scope: ProductScope, raw: ZoneBucket, *, prefixes: Sequence[str], job_name: Optional[str],
            crawler_name: Optional[str], topic: aws.sns.Topic) -> Arrival:
    """Validate every file arriving under `prefixes` of the raw zone; good files start the ETL
    job (when batch is configured) or else the raw crawler."""
    on_valid = "etl" if job_name is not None else ("crawler" if crawler_name is not None else "none")
    dlq = scope.queue("arrival-dlq")
    objects = [pulumi.Output.concat(raw.bucket.arn, "/", prefix, "*") for prefix in prefixes]
    statements = [
        iam.statement(["s3:GetObject", "s3:DeleteObject"], objects, sid="ArrivedObjects"),
        iam.statement(["s3:PutObject"], [pulumi.Output.concat(raw.bucket.arn, "/", QUARANTINE_PREFIX, "*")],
                      sid="Quarantine"),
        # Without ListBucket a missing key answers 403, not 404, and retries would never end.
        iam.statement(["s3:ListBucket"], [raw.bucket.arn], sid="ListArrivals",
                      condition={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}),
        scope.key_use("kms:Decrypt", "kms:GenerateDataKey*"),
    ]
    environment: dict[str, pulumi.Input[str]] = {
        "ALLOWED_SUFFIXES": ",".join(ALLOWED_SUFFIXES),
        "MAX_OBJECT_BYTES": str(MAX_OBJECT_BYTES),
        "QUARANTINE_PREFIX": QUARANTINE_PREFIX,
        "ON_VALID": on_valid,
    }
    if on_valid == "etl":
        environment["ETL_JOB_NAME"] = job_name
        statements.append(iam.statement(["glue:StartJobRun"], [scope.stack.arn("glue", f"job/{job_name}")],
                                        sid="StartEtl"))
    elif on_valid == "crawler":
        environment["CRAWLER_NAME"] = crawler_name
        statements.append(iam.statement(["glue:StartCrawler"], [scope.stack.arn("glue", f"crawler/{crawler_name}")],
                                        sid="StartCrawler"))
    handler = lambda_function(scope, "arrival_handler", environment=environment, statements=statements, timeout=120,
                              dead_letter_arn=dlq.arn, description=f"{scope.product_name}: validate raw-zone arrivals")
    rule = aws.cloudwatch.EventRule(
        f"{scope.name}-arrival-rule",
        description=f"{scope.product_name}: files arriving in the raw zone",
        event_pattern=pulumi.Output.json_dumps({
            "source": ["aws.s3"], "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [raw.bucket.bucket]},
                       "object": {"key": [{"prefix": prefix} for prefix in prefixes]}},
        }),
        opts=scope.child,
    )
    event_target_to_lambda(scope, "arrival", rule, handler, dlq)
    queue_policy_for_events(scope, "arrival-dlq", dlq, [rule.arn])
    _arrival_alarms(scope, raw, handler, dlq, topic)
    return Arrival(handler, rule, dlq)


def _arrival_alarms(scope: ProductScope, raw: ZoneBucket, handler: Function, dlq: aws.sqs.Queue,
                    topic: aws.sns.Topic) -> None:
    alarm(scope, "arrival-errors", description=f"{scope.product_name}: arrival handler errors",
          namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": handler.function.name},
          topic_arn=topic.arn)
    # A 403 on HeadObject is read as "object gone" (the role lists only its prefixes, so S3 answers
    # 403 for a missing key); the handler counts each one, and a real AccessDenied shows up here.
    alarm(scope, "arrival-head-forbidden", description=f"{scope.product_name}: arrival handler got 403 on HeadObject",
          namespace=ARRIVAL_METRICS_NAMESPACE, metric="HeadObjectForbidden",
          dimensions={"Bucket": raw.bucket.bucket}, topic_arn=topic.arn)
    alarm(scope, "arrival-dlq-depth", description=f"{scope.product_name}: raw-zone arrivals could not be processed",
          namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
          dimensions={"QueueName": dlq.name}, topic_arn=topic.arn)
