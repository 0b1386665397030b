"""API Gateway v2 (HTTP/WebSocket APIs): access-logged stages and authorized routes."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, ADVISORY, MEDIUM, peek, resource_policy, shown

STAGE = "aws:apigatewayv2/stage:Stage"
ROUTE = "aws:apigatewayv2/route:Route"


def _access_logs(props, cfg, args):
    if peek(props, "accessLogSettings", "destinationArn") is None or peek(props, "accessLogSettings", "format") is None:
        yield "Stage should set accessLogSettings with destinationArn and format."


def _authorized(props, cfg, args):
    kind = peek(props, "authorizationType", default="NONE")
    if kind == "NONE":
        yield f"Route '{shown(props, 'routeKey')}' has authorizationType NONE (the default); use AWS_IAM, JWT or CUSTOM."


POLICIES = [
    resource_policy(
        name="apigatewayv2-stage-access-logging", service="apigateway", control="APIGateway.9",
        description="API Gateway v2 stages write access logs.",
        types=[STAGE], check=_access_logs, level=ADVISORY, severity=MEDIUM,
        remediation="Set access_log_settings=StageAccessLogSettingsArgs(destination_arn=<log group arn>, format=...)."),
    resource_policy(
        name="apigatewayv2-route-authorized", service="apigateway", control="APIGateway.8",
        description="API Gateway v2 routes require authorization.",
        types=[ROUTE], check=_authorized, level=MANDATORY, severity=HIGH,
        remediation="Set authorization_type='JWT' (with authorizer_id), 'AWS_IAM' or 'CUSTOM'."),
]
