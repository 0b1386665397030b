"""Lambda functions: the one builder every component uses, with the org's defaults.

Every function: the blueprint's Python runtime on arm64, active X-Ray tracing, JSON logs into a
log group the caller owns (KMS-encrypted, retention set), and a dead-letter target when it is
invoked asynchronously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam
from components.foundation.iam import ServiceRole

LAMBDA_ARCHITECTURE = "arm64"


@dataclass(frozen=True)
class Function:
    function: aws.lambda_.Function
    role: ServiceRole
    log_group: aws.cloudwatch.LogGroup


def runtime_statements(log_group_arn: pulumi.Input[str], dead_letter_arn: Optional[pulumi.Input[str]] = None) -> list[dict]:
    """What every function's role needs: write its own logs, send traces, dead-letter."""
    statements = [
        iam.statement(["logs:CreateLogStream", "logs:PutLogEvents"],
                      [pulumi.Output.concat(log_group_arn, ":*")], sid="OwnLogs"),
        # X-Ray trace APIs have no resource-level permissions.
        iam.statement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"], sid="Tracing"),
    ]
    if dead_letter_arn is not None:
        statements.append(iam.statement(["sqs:SendMessage"], [dead_letter_arn], sid="DeadLetters"))
    return statements


@dataclass(frozen=True, kw_only=True)
class FunctionArgs:
    """function_name: the physical name; code: the deployment package; handler default
    "handler.handler"; role_arn: the function's own role; log_group_name: where it logs (JSON);
    environment default none; timeout default 60 s; memory default 256 MB; dead_letter_arn:
    for asynchronous invocations, default None; layers, vpc_config, reserved_concurrency (default
    None: unreserved), kms_key_arn (environment encryption, default None: AWS managed) and tags
    are passed through."""

    function_name: str
    code: pulumi.Archive
    role_arn: pulumi.Input[str]
    log_group_name: pulumi.Input[str]
    handler: str = "handler.handler"
    description: str = ""
    environment: Optional[Mapping[str, pulumi.Input[str]]] = None
    timeout: int = 60
    memory: int = 256
    dead_letter_arn: Optional[pulumi.Input[str]] = None
    layers: Sequence[pulumi.Input[str]] = ()
    vpc_config: Optional[aws.lambda_.FunctionVpcConfigArgs] = None
    reserved_concurrency: Optional[int] = None
    kms_key_arn: Optional[pulumi.Input[str]] = None
    tags: Optional[Mapping[str, str]] = None


def lambda_function(resource_name: str, args: FunctionArgs, opts: pulumi.ResourceOptions) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        resource_name,
        name=args.function_name,
        description=args.description or None,
        code=args.code,
        handler=args.handler,
        runtime=blueprint.LAMBDA_RUNTIME,
        architectures=[LAMBDA_ARCHITECTURE],
        role=args.role_arn,
        timeout=args.timeout,
        memory_size=args.memory,
        layers=list(args.layers) or None,
        reserved_concurrent_executions=args.reserved_concurrency,
        kms_key_arn=args.kms_key_arn,
        vpc_config=args.vpc_config,
        environment=(aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
                     if args.environment else None),
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON", log_group=args.log_group_name, application_log_level="INFO", system_log_level="WARN",
        ),
        dead_letter_config=(aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=args.dead_letter_arn)
                            if args.dead_letter_arn is not None else None),
        tags=dict(args.tags) if args.tags else None,
        opts=opts,
    )
