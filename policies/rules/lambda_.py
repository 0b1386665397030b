"""Lambda: supported runtimes, active tracing, a DLQ for async invocations, no public invoke."""
from __future__ import annotations

from ._base import ADVISORY, CRITICAL, LOW, MANDATORY, MEDIUM, UNKNOWN, get, peek, resource_policy

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
SUPPORTED_RUNTIMES = ["python3.12", "python3.13", "nodejs20.x", "nodejs22.x", "java21", "dotnet8",
                      "provided.al2023", "ruby3.3"]
RUNTIME_CONFIG = {"supportedLambdaRuntimes": {"type": "array", "items": {"type": "string"},
                                              "default": SUPPORTED_RUNTIMES,
                                              "description": "Runtimes still supported by AWS and the platform."}}


def _runtime(props, cfg, args):
    if get(props, "packageType") == "Image":
        return  # container images bring their own runtime
    runtime = get(props, "runtime")
    if runtime not in cfg["supportedLambdaRuntimes"]:
        yield f"Runtime '{runtime}' is not supported; use one of {', '.join(cfg['supportedLambdaRuntimes'])}."


def _tracing(props, cfg, args):
    mode = get(props, "tracingConfig", "mode", default="PassThrough")
    if mode != "Active":
        yield f"tracingConfig.mode is '{mode}'; set it to Active."


def _dlq(props, cfg, args):
    if not get(props, "deadLetterConfig", "targetArn"):
        yield "Function should set deadLetterConfig.targetArn (SQS/SNS) so failed async invocations are kept."


def _narrowed(props) -> bool:
    return any(peek(props, key) is not None for key in ("sourceArn", "sourceAccount", "principalOrgId"))


def _not_public(props, cfg, args):
    if args.resource_type == FUNCTION_URL:
        if peek(props, "authorizationType") == "NONE":
            yield "Function URL has authorizationType NONE: anyone on the internet can invoke it; use AWS_IAM."
        return
    principal = peek(props, "principal")
    if principal is UNKNOWN:
        return
    if principal == "*" and peek(props, "functionUrlAuthType") == "NONE":
        yield "Permission lets everyone invoke the function URL without authentication (functionUrlAuthType NONE)."
    elif principal == "*" and not _narrowed(props):
        yield "Permission principal must not be '*' without sourceAccount/sourceArn/principalOrgId; name the service or account."
    elif str(principal).endswith(".amazonaws.com") and not _narrowed(props):
        yield f"Permission for service '{principal}' must set sourceArn or sourceAccount (confused deputy)."


POLICIES = [
    resource_policy(
        name="lambda-function-supported-runtime", service="lambda", control="Lambda.2",
        description="Lambda functions use a supported runtime.",
        types=[FUNCTION], check=_runtime, level=MANDATORY, severity=MEDIUM, config=RUNTIME_CONFIG,
        remediation="Set runtime to a supported version, e.g. python3.12."),
    resource_policy(
        name="lambda-function-tracing-active", service="lambda",
        description="Lambda functions have X-Ray active tracing.",
        types=[FUNCTION], check=_tracing, level=ADVISORY, severity=LOW,
        remediation="Set tracing_config=FunctionTracingConfigArgs(mode='Active') and allow xray:PutTraceSegments."),
    resource_policy(
        name="lambda-function-has-dead-letter-queue", service="lambda",
        description="Lambda functions keep failed asynchronous invocations in a dead-letter queue. Advisory: "
                    "functions driven only by event source mappings (SQS, Kinesis) handle failures there.",
        types=[FUNCTION], check=_dlq, level=ADVISORY, severity=LOW,
        remediation="Set dead_letter_config=FunctionDeadLetterConfigArgs(target_arn=<SQS queue arn>)."),
    resource_policy(
        name="lambda-permission-not-public", service="lambda", control="Lambda.1",
        description="Lambda permissions never allow invocation by everyone ('*' without a source/org condition, "
                    "a public function URL permission), service principals carry sourceArn/sourceAccount, and "
                    "function URLs require AWS_IAM auth.",
        types=[PERMISSION, FUNCTION_URL], check=_not_public, level=MANDATORY, severity=CRITICAL,
        remediation="Set principal to the invoking service or account and scope it with source_arn/source_account."),
]
