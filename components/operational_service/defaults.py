"""Fixed values and documented defaults of operational services (settings leave them unset)."""

from __future__ import annotations

import json
from pathlib import Path

FUNCTION_SOURCE = Path(__file__).resolve().parents[2] / "functions" / "ods_api"
LAMBDA_HANDLER = "lambda_handler.handler"
CONTAINER_NAME = "app"
CONTAINER_USER = "10001"  # the uid the ods_api Dockerfile creates; never root
FARGATE_CPU_ARCHITECTURE = "X86_64"
CONTAINER_PLATFORM = "linux/amd64"  # the image `pulumi up` builds runs on FARGATE_CPU_ARCHITECTURE

# Documented defaults (settings leave them unset).
LAMBDA_MEMORY_MB = 256
LAMBDA_TIMEOUT_SECONDS = 10
CPU_TARGET_PERCENT = 60.0
REQUESTS_PER_TARGET = 1000.0
SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60
API_THROTTLE_RATE = 100.0  # steady requests/second on the HTTP API stage
API_THROTTLE_BURST = 200
ALB_LOG_EXPIRY_DAYS = 90
# WAF: the AWS managed rule groups every public service gets (name -> WAF rule priority), and the
# rate limit's window. The common set's body-size rule only counts: WAF sees the first 8 KB of an
# ALB request body, while ods_api takes items up to 200 KB (and caps bodies itself).
WAF_MANAGED_RULE_GROUPS = {
    "AWSManagedRulesAmazonIpReputationList": 10,
    "AWSManagedRulesCommonRuleSet": 30,
    "AWSManagedRulesKnownBadInputsRuleSet": 40,
}
WAF_RATE_RULE_PRIORITY = 20
WAF_RATE_WINDOW_SECONDS = 300
WAF_COUNTED_RULES = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
# WAF logs keep what WAF blocked or counted; callers' session cookies and tokens are redacted.
WAF_LOGGED_ACTIONS = ("BLOCK", "COUNT")
WAF_REDACTED_HEADERS = ("authorization", "cookie")
# The ods_api environment variable that turns on its check of the ALB's signature.
ALB_SIGNER_ENV = "ALB_ARN"
ACCESS_LOG_CLASSIFICATION = "confidential"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS maximum: time to inspect and redrive
EVENT_MAX_AGE_SECONDS = 3600
EVENT_MAX_RETRIES = 8
# The events trigger's queue: Lambda's SQS guidance sets the visibility timeout to six times the
# function's timeout.
EVENT_QUEUE_VISIBILITY_FACTOR = 6

PILOT_LIGHT_TAG = "ddp:pilot-light"
PRIMARY_DESIRED_TAG = "ddp:primary-desired-count"
PRIMARY_MIN_TAG = "ddp:primary-min-count"
PRIMARY_CONCURRENCY_TAG = "ddp:primary-reserved-concurrency"

API_ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "caller": "$context.identity.caller",
    "user": "$context.identity.user", "requestTime": "$context.requestTime", "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey", "status": "$context.status", "protocol": "$context.protocol",
    "responseLength": "$context.responseLength", "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}, separators=(",", ":"))


def tag_flag(value: bool) -> str:
    """A boolean as the tag value the failover runbook reads."""
    return "true" if value else "false"
