"""CloudWatch: log groups and streams, metric alarms; Route 53 health checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import uuid_id
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input, named_resource

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/route53/health_check.go: id = HealthCheck.Id (a UUID);
# arn = arn:<p>:route53:::healthcheck/<id> (global: no region, no account)
def route53_health_check(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    health_check_id = uuid_id(seed)
    return health_check_id, {"arn": f"arn:{mocks.partition}:route53:::healthcheck/{health_check_id}"}


BUILDERS: dict[str, Builder] = {
    # logs/group.go: id = name; arn without the trailing ":*" (trimLogGroupARNWildcardSuffix)
    "aws:cloudwatch/logGroup:LogGroup": named_resource("logs", "log-group:{name}"),
    "aws:cloudwatch/logStream:LogStream": id_from_input("name"),
    # cloudwatch/metric_alarm.go: id = alarm_name; arn = arn:<p>:cloudwatch:<region>:<acct>:alarm:<name>
    # (":" before the name, not "/")
    "aws:cloudwatch/metricAlarm:MetricAlarm": named_resource("cloudwatch", "alarm:{name}"),
    "aws:route53/healthCheck:HealthCheck": route53_health_check,
}
