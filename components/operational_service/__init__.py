"""OperationalService: a microservice in front of one data product's operational data store.

Two runtimes share one contract (an `endpoint`, a least-privilege role to ITS data product's
table, DAX and event bus, and KMS-encrypted logs):

- fargate (default): container on ECS Fargate in the three private subnets behind an ALB, with
  target-tracking autoscaling. The ALB is internal (private subnets, private CIDRs only) unless the
  settings give `public`; a public ALB logs callers in (OIDC or Cognito) before any forward and
  sits behind a WAF web ACL, and the service checks the ALB's signature on every request
  (functions/ods_api/alb_auth.py), so nothing reaches it around the ALB (see docs/service-edge.md);
- lambda: the `functions/ods_api` code on Lambda (arm64) in the private subnets, triggered by an
  API Gateway HTTP API (trigger http, default) or by an EventBridge rule on the product's bus
  (trigger events).

Pilot light (`pilot_light=True`, the DR stack): everything is deployed, nothing serves.
- fargate: the ECS service and its autoscaling minimum are 0. The service carries the tags
  `ddp:primary-desired-count` / `ddp:primary-min-count` (the primary's numbers from the same
  settings) and `ddp:pilot-light`, so the failover runbook registers the scalable target with
  that minimum and sets the desired count, without reading the primary's config.
- lambda: an idle function costs nothing, so it is NOT throttled (reserved concurrency stays as
  configured and the runbook can smoke-test it). "Not routed" means: for trigger http the API and
  its `$default` stage are live, but no DNS name points at them until the runbook flips the
  failover record; for trigger events the rule is created DISABLED and the runbook enables it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam
from components.foundation.context import NetworkRefs, ServedStore, StackContext
from components.foundation.kms import customer_key
from components.operational_service import names as svc_names
# Re-exported: the names tests and tools read from the package.
from components.operational_service.defaults import API_ACCESS_LOG_FORMAT, FUNCTION_SOURCE, PILOT_LIGHT_TAG  # noqa: F401
from components.operational_service.edge import EdgeParts, certificate_region_problem  # noqa: F401
from components.operational_service.fargate import FargateParts
from components.operational_service.function import FunctionParts
from components.operational_service.spec import ServiceSpec

__all__ = ["API_ACCESS_LOG_FORMAT", "FUNCTION_SOURCE", "OperationalService", "OperationalServiceArgs", "PILOT_LIGHT_TAG",
           "ServiceSpec", "certificate_region_problem"]


@dataclass(frozen=True, kw_only=True)
class OperationalServiceArgs:
    """Inputs of `OperationalService`.

    service: the validated service settings (runtime, sizes, counts, trigger, authorizer).
    stack: business unit, environment, account, region; prod turns on ALB deletion protection.
    network: the VPC; tasks/functions go to `private_subnet_ids`; the ALB too when internal (the
        default), to `public_subnet_ids` when the settings make it public.
    store: the served data product's ODS, key, bus and (optional) DAX; DAX is used when
        `store.dax_cluster_arn` is set, and then tasks/functions join `client_security_group_id`.
    pilot_light: default False; True deploys the service at zero (see the module docstring).
    """

    service: ServiceSpec
    stack: StackContext
    network: NetworkRefs
    store: ServedStore
    pilot_light: bool = False

    def __post_init__(self) -> None:
        if self.store.data_product != self.service.data_product:
            raise ValueError(f"service '{self.service.name}' serves data product '{self.service.data_product}', "
                             f"but was given the store of '{self.store.data_product}'")
        dax = (self.store.dax_cluster_arn, self.store.dax_endpoint, self.store.client_security_group_id)
        if any(v is not None for v in dax) and any(v is None for v in dax):
            raise ValueError("store: dax_cluster_arn, dax_endpoint and client_security_group_id go together")

    @property
    def dax_enabled(self) -> bool:
        return self.store.dax_cluster_arn is not None


class OperationalService(FargateParts, EdgeParts, FunctionParts, pulumi.ComponentResource):
    """A Fargate or Lambda microservice serving one data product's ODS (`ddp:index:OperationalService`).

    Children, both runtimes: a CMK (rotation on) for the service's logs, queues, environment and
    image; a log group (KMS, 365-day retention); a role whose inline policy allows exactly the
    item actions on its table (Query on its indexes), DAX item actions when DAX is configured,
    events:PutEvents on its bus and Encrypt/Decrypt/GenerateDataKey on the store's key.

    fargate: ECS cluster (Container Insights), task definition (awsvpc, non-root user 10001,
    read-only root filesystem with a task-storage /tmp, no privileges, all Linux capabilities
    dropped, awslogs, container health check), execution role (logs; ECR pull only for a
    private-ECR image), ECS service in the three private subnets (no public IP, circuit breaker
    with rollback, no ECS Exec, tags propagated), autoscaling on CPU and requests per target, an
    ALB (drops invalid headers, access logs to an SSE-S3 bucket, deletion protection in prod),
    HTTPS listener with `blueprint.ALB_TLS_POLICY`, HTTP listener that only redirects to HTTPS,
    and security groups: ALB in on 443/80 from `allowed_cidrs` only (internal default: the VPC's
    CIDR) and out only to the tasks; tasks in only from the ALB, out only on 443.
    Edge: internal ALB in the private subnets by default. With `public`: internet-facing in the
    public subnets; the HTTPS listener's default actions are the login (authenticate-oidc with
    the client secret read from the named secret config key, or authenticate-cognito) at order 1
    and the forward at order 2; a REGIONAL WAF web ACL (WAF_MANAGED_RULE_GROUPS + a per-IP rate
    limit, metrics and sampled requests on) associated with the ALB, logging blocked/counted
    requests to a KMS-encrypted `aws-waf-logs-` log group; and the tasks get ALB_ARN, so ods_api
    refuses any request without the ALB's signed x-amzn-oidc-data header. With `build_image`: an ECR
    repository (immutable tags, scan on push, KMS, lifecycle) and the image tagged with the
    content hash of `functions/ods_api`, built and pushed by `pulumi up` (awsx ecr.Image).

    lambda: function (python3.12, arm64, active tracing, KMS-encrypted environment, JSON logs to
    its log group, DLQ for async invocations, reserved concurrency as configured) in the private
    subnets; trigger http: HTTP API with IAM (default) or JWT authorization on every route,
    `$default` stage with access logs and throttling, invoke permission scoped to the API;
    trigger events: rule on the product's bus (every source but the service's own, so it never
    consumes what it publishes), target with retry policy and a KMS-encrypted DLQ, invoke
    permission scoped to the rule.
    """

    endpoint: pulumi.Output[Optional[str]]
    runtime: str
    cluster_name: Optional[pulumi.Output[str]]
    service_name: Optional[pulumi.Output[str]]
    function_name: Optional[pulumi.Output[str]]
    log_group_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: OperationalServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("ddp:index:OperationalService", name, None, opts)
        s, st = args.service, args.stack
        child = pulumi.ResourceOptions(parent=self)
        self._tags = {"ddp:service": s.name, "data-product": args.store.data_product}
        self.runtime = s.runtime
        self.cluster_name = self.service_name = self.function_name = None

        log_prefix = svc_names.log_group_prefix(st.prefix, s.name)
        log_groups = [st.arn("logs", f"log-group:{log_prefix}*")]
        if s.public is not None:
            log_groups.append(st.arn("logs", f"log-group:{svc_names.waf_log_group_name(st.prefix, s.name)}"))
        key_statements = [iam.key_for_logs(st.region, log_groups)]
        if s.runtime == "lambda" and s.trigger == "events":
            # The rule's dead letters go to a queue encrypted with this key; the queue policy
            # names the rule.
            key_statements.append(iam.key_for_delivery("events.amazonaws.com", sid="EventBridgeDeadLetters"))
        self.key = customer_key(
            f"{name}-key",
            description=f"{st.prefix} service {s.name}: logs, queues, environment, images",
            alias=f"alias/{st.prefix}/services/{s.name}",
            partition=st.partition, account_id=st.account_id, service_statements=key_statements,
            allow_data_destroy=st.allow_data_destroy, tags=self._tags, opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=svc_names.log_group_name(st.prefix, s.name, "app"),
            retention_in_days=blueprint.LOG_RETENTION_DAYS,
            kms_key_id=self.key.arn,
            tags=self._tags,
            opts=child,
        )
        self.log_group_name = self.log_group.name

        if s.runtime == "fargate":
            self._fargate(name, args, child)
        else:
            self._lambda(name, args, child)

        self.register_outputs({
            "endpoint": self.endpoint,
            "runtime": self.runtime,
            "cluster_name": self.cluster_name,
            "service_name": self.service_name,
            "function_name": self.function_name,
            "log_group_name": self.log_group_name,
            "role_arn": self.role_arn,
            "security_group_id": self.security_group_id,
        })

    # --- shared ---------------------------------------------------------------------------

    def _environment(self, args: OperationalServiceArgs) -> dict[str, pulumi.Input[str]]:
        """The ods_api configuration (see functions/ods_api/app.py). Names and ARNs only: the
        service holds no secrets; a future secret goes to `secrets` (ECS) / Secrets Manager."""
        store = args.store
        env: dict[str, pulumi.Input[str]] = {
            "TABLE_NAME": store.table_name,
            "PARTITION_KEY": store.partition_key,
            "PARTITION_KEY_TYPE": store.partition_key_type,
            "EVENT_BUS_NAME": store.event_bus_name,
            "EVENT_SOURCE": store.event_source,
        }
        if store.sort_key is not None:
            env["SORT_KEY"] = store.sort_key
            env["SORT_KEY_TYPE"] = store.sort_key_type
        if args.dax_enabled:
            env["DAX_ENDPOINT"] = store.dax_endpoint  # type: ignore[assignment]
        return env

    def _security_groups(self, own: pulumi.Output[str], args: OperationalServiceArgs) -> list[pulumi.Input[str]]:
        if args.dax_enabled:
            return [own, args.store.client_security_group_id]  # type: ignore[list-item]
        return [own]

    def _https_egress(self, name: str, sg: aws.ec2.SecurityGroup, child: pulumi.ResourceOptions) -> None:
        # AWS APIs (EventBridge, logs, ECR, X-Ray) through the NAT, DynamoDB/S3 through the
        # gateway endpoints: all HTTPS. DAX traffic is allowed by the store's client group.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-https", security_group_id=sg.id, ip_protocol="tcp", from_port=443, to_port=443,
            cidr_ipv4="0.0.0.0/0", description="HTTPS to AWS APIs", opts=child,
        )

