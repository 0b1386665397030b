"""ECS: hardened task definitions, private services with circuit breakers, clusters with insights."""
from __future__ import annotations

import re

from ._base import (ADVISORY, CRITICAL, HIGH, LOW, MANDATORY, MEDIUM, UNKNOWN, as_json, as_list, get, is_map,
                    known_copy, peek, resource_policy)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
# Names that carry credentials. A bare *_KEY is not one (PARTITION_KEY names an attribute), but
# API/ACCESS/PRIVATE/SECRET keys are.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|(API|ACCESS|PRIVATE|SIGNING|ENCRYPTION)_?KEY",
                         re.IGNORECASE)
ROOT_USERS = {"root", "0"}


def containers(props) -> list:
    """The known container definitions (a JSON string, or objects with unknown parts left out)."""
    value = peek(props, "containerDefinitions")
    return [] if value is UNKNOWN else [c for c in as_list(as_json(known_copy(value))) if is_map(c)]


def _label(container) -> str:
    return str(container.get("name", "?"))


def _privileged(props, cfg, args):
    for c in containers(props):
        if c.get("privileged") is True:
            yield f"Container '{_label(c)}' must not be privileged."


def _readonly(props, cfg, args):
    for c in containers(props):
        if c.get("readonlyRootFilesystem") is not True:
            yield f"Container '{_label(c)}' must set readonlyRootFilesystem to true."


def _logging(props, cfg, args):
    for c in containers(props):
        if not (c.get("logConfiguration") or {}).get("logDriver"):
            yield f"Container '{_label(c)}' must set logConfiguration (awslogs or firelens)."


def _non_root(props, cfg, args):
    for c in containers(props):
        user = str(c.get("user") or "")
        if not user or user.split(":")[0] in ROOT_USERS:
            yield f"Container '{_label(c)}' must run as a non-root user (user is '{user or 'unset'}')."


def _no_plaintext_secrets(props, cfg, args):
    for c in containers(props):
        for entry in as_list(c.get("environment")):
            name = str(entry.get("name", "")) if is_map(entry) else ""
            if SECRET_NAME.search(name):
                yield (f"Container '{_label(c)}' passes '{name}' as a plaintext environment variable; "
                       "use secrets (Secrets Manager / SSM) instead.")


def _host_pid(props, cfg, args):
    if peek(props, "pidMode") == "host":
        yield "Task definition shares the host's process namespace (pidMode 'host'); use 'task' or omit it."


def _latest_platform(props, cfg, args):
    version = peek(props, "platformVersion", default="LATEST")
    if peek(props, "launchType") == "FARGATE" and version not in ("LATEST", UNKNOWN):
        yield f"Fargate service pins platformVersion '{version}'; use LATEST (the default)."


def _no_public_ip(props, cfg, args):
    if peek(props, "networkConfiguration", "assignPublicIp") is True:
        yield "Service must set networkConfiguration.assignPublicIp to false."


def _circuit_breaker(props, cfg, args):
    breaker = peek(props, "deploymentCircuitBreaker", default={})
    if peek(breaker, "enable") not in (True, UNKNOWN) or peek(breaker, "rollback") not in (True, UNKNOWN):
        yield "Service should set deploymentCircuitBreaker enable and rollback to true."


def _insights(props, cfg, args):
    values = {str(get(s, "value")) for s in as_list(get(props, "settings")) if get(s, "name") == "containerInsights"}
    if not values & {"enabled", "enhanced"}:
        yield "Cluster should set the containerInsights setting to enabled (or enhanced)."


POLICIES = [
    resource_policy(
        name="ecs-task-no-privileged-containers", service="ecs", control="ECS.4",
        description="ECS containers do not run privileged.",
        types=[TASK_DEFINITION], check=_privileged, level=MANDATORY, severity=HIGH,
        remediation="Remove privileged: true from the container definition."),
    resource_policy(
        name="ecs-task-readonly-root-filesystem", service="ecs", control="ECS.5",
        description="ECS containers mount their root filesystem read-only.",
        types=[TASK_DEFINITION], check=_readonly, level=MANDATORY, severity=HIGH,
        remediation="Set readonlyRootFilesystem: true and mount writable volumes where needed."),
    resource_policy(
        name="ecs-task-logging-configured", service="ecs", securityhub="ECS.9",
        description="ECS containers send logs through a log driver.",
        types=[TASK_DEFINITION], check=_logging, level=MANDATORY, severity=MEDIUM,
        remediation="Set logConfiguration with logDriver awslogs and a KMS-encrypted log group."),
    resource_policy(
        name="ecs-task-non-root-user", service="ecs",
        description="ECS containers run as a non-root user.",
        types=[TASK_DEFINITION], check=_non_root, level=MANDATORY, severity=HIGH,
        remediation="Set user to a non-root uid (e.g. '1000:1000')."),
    resource_policy(
        name="ecs-task-no-plaintext-secrets", service="ecs", control="ECS.8",
        description="ECS containers receive secrets (names like SECRET/PASSWORD/TOKEN/KEY) via 'secrets', "
                    "not plaintext environment variables.",
        types=[TASK_DEFINITION], check=_no_plaintext_secrets, level=MANDATORY, severity=CRITICAL,
        remediation="Move the value to Secrets Manager or SSM and reference it under secrets[].valueFrom."),
    resource_policy(
        name="ecs-task-no-host-pid-namespace", service="ecs", control="ECS.3",
        description="ECS task definitions do not share the host's process namespace.",
        types=[TASK_DEFINITION], check=_host_pid, level=MANDATORY, severity=HIGH,
        remediation="Remove pid_mode='host'."),
    resource_policy(
        name="ecs-fargate-service-latest-platform", service="ecs", control="ECS.10",
        description="Fargate services run on the LATEST platform version (omitted = LATEST).",
        types=[SERVICE], check=_latest_platform, level=MANDATORY, severity=MEDIUM,
        remediation="Remove platform_version or set it to 'LATEST'."),
    resource_policy(
        name="ecs-service-no-public-ip", service="ecs", control="ECS.2",
        description="ECS services do not assign public IPs.",
        types=[SERVICE], check=_no_public_ip, level=MANDATORY, severity=HIGH,
        remediation="Set network_configuration.assign_public_ip=False and use private subnets with NAT/endpoints."),
    resource_policy(
        name="ecs-service-circuit-breaker-rollback", service="ecs",
        description="ECS services roll back failed deployments with the deployment circuit breaker.",
        types=[SERVICE], check=_circuit_breaker, level=ADVISORY, severity=LOW,
        remediation="Set deployment_circuit_breaker=ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True)."),
    resource_policy(
        name="ecs-cluster-container-insights", service="ecs", control="ECS.12",
        description="ECS clusters have Container Insights enabled.",
        types=[CLUSTER], check=_insights, level=ADVISORY, severity=LOW,
        remediation="Add settings=[ClusterSettingArgs(name='containerInsights', value='enabled')]."),
]
