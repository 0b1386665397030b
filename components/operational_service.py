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

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.foundation import blueprint, iam, naming
from components import svc_names, svc_policies
from components.foundation.context import NetworkRefs, ServedStore, StackContext
from components.foundation.kms import customer_key
from components.foundation.lambda_layers import DAX_CLIENT_PACKAGES, LayerSourceMissing, python_layer_archive
from components.foundation.bucket import abort_incomplete_uploads_rule, secure_bucket
from stackconfig.model import ServiceSettings

FUNCTION_SOURCE = Path(__file__).resolve().parent.parent / "functions" / "ods_api"
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

    service: ServiceSettings
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


class OperationalService(pulumi.ComponentResource):
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
    content hash of `functions/ods_api` (`python -m components.svc_names` prints it for CI).

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
        key_statements = [iam.key_for_logs(st.region, st.partition, log_groups)]
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

    # --- fargate --------------------------------------------------------------------------

    def _fargate(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        s, st, net = args.service, args.stack, args.network
        bu, env, port = st.business_unit, st.environment, s.container_port
        assert s.cpu is not None and s.memory is not None and s.certificate_arn is not None  # settings checked

        # Security groups: rules are separate resources named by stable keys (CIDR, peer).
        self.alb_security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", description=f"{st.prefix} {s.name} load balancer", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-alb"}, opts=child,
        )
        self.task_security_group = aws.ec2.SecurityGroup(
            f"{name}-task-sg", description=f"{st.prefix} {s.name} tasks", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-tasks"}, opts=child,
        )
        internal = s.public is None
        sources: dict[str, tuple[str, pulumi.Input[str], str]]  # key -> (SG rule field, CIDR, described as)
        if s.allowed_cidrs:
            sources = {svc_names.cidr_key(c): ("cidr_ipv6" if ":" in c else "cidr_ipv4", c, c) for c in s.allowed_cidrs}
        else:  # internal default (settings refuse a public service without CIDRs): the VPC itself
            vpc = aws.ec2.get_vpc_output(id=net.vpc_id, opts=pulumi.InvokeOutputOptions(parent=self))
            sources = {"vpc": ("cidr_ipv4", vpc.cidr_block, "the VPC")}
        for key, (field, cidr, described) in sources.items():
            for listener_port, proto in ((443, "https"), (80, "http")):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-in-{proto}-{key}",
                    security_group_id=self.alb_security_group.id, ip_protocol="tcp",
                    from_port=listener_port, to_port=listener_port,
                    description=f"{proto.upper()} from {described}" + (" (redirected to HTTPS)" if proto == "http" else ""),
                    opts=child, **{field: cidr},
                )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-out-tasks", security_group_id=self.alb_security_group.id, ip_protocol="tcp",
            from_port=port, to_port=port, referenced_security_group_id=self.task_security_group.id,
            description="to the service's tasks", opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-task-in-alb", security_group_id=self.task_security_group.id, ip_protocol="tcp",
            from_port=port, to_port=port, referenced_security_group_id=self.alb_security_group.id,
            description="from the service's load balancer", opts=child,
        )
        self._https_egress(f"{name}-task", self.task_security_group, child)
        self.security_group_id = self.task_security_group.id

        # ALB access logs: ELB writes them with SSE-S3 only (SSE-KMS is not supported), so this
        # one bucket uses AES256; everything else about it is the blueprint's bucket.
        logs = secure_bucket(
            f"{name}-alb-logs",
            bucket_name=naming.physical_name("s3", bu, env, s.name, "alb-logs", st.account_id, st.region_code),
            kms_key_arn=None,
            log_target="alb-access-logs",
            allow_data_destroy=st.allow_data_destroy,
            force_destroy=st.allow_data_destroy,
            # Access logs hold request paths, i.e. item keys: classified conservatively.
            tags={**self._tags, **blueprint.data_tags(ACCESS_LOG_CLASSIFICATION, args.store.data_product)},
            lifecycle_rules=[
                abort_incomplete_uploads_rule(),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs", status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=ALB_LOG_EXPIRY_DAYS),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=7)),
            ],
            policy_statements=lambda arn: [svc_policies.alb_log_delivery_statement(arn, s.name, st.account_id)],
            opts=child,
        )
        self.access_log_bucket = bucket = logs.bucket
        bucket_policy = logs.children[4]

        # Load balancer, target group, listeners.
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=naming.physical_name("alb", bu, env, s.name),
            internal=internal,
            load_balancer_type="application",
            security_groups=[self.alb_security_group.id],
            subnets=net.private_subnet_ids if internal else net.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=st.environment == "prod",
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket.bucket, prefix=s.name, enabled=True),
            tags=self._tags,
            # ELB checks it can write to the bucket when access logs are turned on.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[bucket_policy])),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            name=naming.physical_name("target_group", bu, env, s.name),
            port=port, protocol="HTTP", target_type="ip", vpc_id=net.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, path="/health", port="traffic-port", protocol="HTTP", matcher="200",
                interval=15, timeout=5, healthy_threshold=2, unhealthy_threshold=3,
            ),
            tags=self._tags,
            opts=child,
        )
        problem = certificate_region_problem(s.certificate_arn, st.region)
        if problem is not None:  # e.g. a DR stack reusing the primary's settings
            pulumi.log.warn(f"service {s.name}: {problem}", resource=self)
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn, port=443, protocol="HTTPS",
            certificate_arn=s.certificate_arn, ssl_policy=blueprint.ALB_TLS_POLICY,
            default_actions=self._listener_actions(args),
            tags=self._tags, opts=child,
        )
        self.web_acl: Optional[aws.wafv2.WebAcl] = None
        if s.public is not None:
            self._waf(name, args, child)
        aws.lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=self.load_balancer.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443", status_code="HTTP_301"),
            )],
            tags=self._tags, opts=child,
        )

        # Image: the configured one, or this stack's ECR repository at the source's content hash.
        if s.build_image:
            self.repository: Optional[aws.ecr.Repository] = aws.ecr.Repository(
                f"{name}-repo",
                name=svc_names.ecr_repository_name(bu, env, s.name),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=self.key.arn)],
                force_delete=st.allow_data_destroy,
                tags=self._tags,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-repo-lifecycle", repository=self.repository.name,
                policy=json.dumps({"rules": [
                    {"rulePriority": 1, "description": "drop untagged layers after 7 days",
                     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                   "countNumber": 7},
                     "action": {"type": "expire"}},
                    {"rulePriority": 2, "description": "keep the 30 newest images (rollback window)",
                     "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
                     "action": {"type": "expire"}},
                ]}),
                opts=child,
            )
            # `pulumi up` builds the image and pushes it (awsx.ecr.Image, which runs docker-build
            # and needs a Docker engine where `pulumi up` runs). The tag is the source's content
            # hash: the repository's tags are immutable, and docker-build rebuilds and pushes only
            # when the context changes, so a tag is only ever pushed once. The task definition
            # takes the pushed digest (`<repository>@sha256:...`), so it changes exactly when the
            # image does and a later deployment can never roll back to an older image by tag.
            self.image_tag: Optional[str] = svc_names.source_tag(FUNCTION_SOURCE)
            self.image: Optional[awsx.ecr.Image] = awsx.ecr.Image(
                f"{name}-image",
                repository_url=self.repository.repository_url,
                context=str(FUNCTION_SOURCE),
                dockerfile=str(FUNCTION_SOURCE / "Dockerfile"),
                platform=CONTAINER_PLATFORM,
                image_tag=self.image_tag,
                opts=child,
            )
            image: pulumi.Input[str] = self.image.image_uri
            repository_arn: Optional[pulumi.Input[str]] = self.repository.arn
        else:
            assert s.image is not None  # settings: exactly one of image / buildImage
            self.repository, self.image_tag, self.image = None, None, None
            image = s.image
            repository_arn = svc_policies.ecr_repository_arn(s.image, st.partition)

        # Roles: the execution role starts the task, the task role is what the code may do.
        trust = iam.trust_policy("ecs-tasks.amazonaws.com", st.account_id, source_arn=st.arn("ecs", "*"))
        self.execution_role = aws.iam.Role(
            f"{name}-execution-role", name=_role_name(st, s.name, "task-exec"),
            assume_role_policy=trust, tags=self._tags, opts=child,
        )
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy", role=self.execution_role.id,
            policy=iam.document(*svc_policies.execution_statements(self.log_group.arn, repository_arn)),
            opts=child,
        )
        self.task_role = aws.iam.Role(
            f"{name}-task-role", name=_role_name(st, s.name, "task"),
            assume_role_policy=trust, tags=self._tags, opts=child,
        )
        self.task_policy = aws.iam.RolePolicy(
            f"{name}-task-policy", role=self.task_role.id,
            policy=iam.document(*svc_policies.data_access_statements(args.store)), opts=child,
        )
        self.role_arn = self.task_role.arn

        # Cluster, task definition, service.
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster", name=naming.prefixed("ecs", bu, env, s.name),
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            tags=self._tags, opts=child,
        )
        environment = {**self._environment(args), "PORT": str(port)}
        if not internal:  # ods_api refuses requests that do not come through (and were logged in by) this ALB
            environment[ALB_SIGNER_ENV] = self.load_balancer.arn
        container = {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "user": CONTAINER_USER,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
            "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp", "name": "http",
                              "appProtocol": "http"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": [],
            # The root filesystem is read-only; /tmp is the task's own ephemeral storage.
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": self.log_group.name, "awslogs-region": st.region,
                "awslogs-stream-prefix": s.name, "mode": "non-blocking", "max-buffer-size": "25m"}},
            # The ods_api image is Python: probe /health without needing curl in the image.
            "healthCheck": {
                "command": ["CMD", "python", "-c",
                            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=3)"],
                "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15},
            "stopTimeout": 30,
        }
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=naming.prefixed("ecs", bu, env, s.name),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(s.cpu),
            memory=str(s.memory),
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                cpu_architecture=FARGATE_CPU_ARCHITECTURE, operating_system_family="LINUX"),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps([container]),
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name="tmp")],
            tags=self._tags,
            opts=child,
        )
        desired = 0 if args.pilot_light else s.desired
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=naming.prefixed("ecs", bu, env, s.name),
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            platform_version="LATEST",
            desired_count=desired,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=net.private_subnet_ids, assign_public_ip=False,
                security_groups=self._security_groups(self.task_security_group.id, args),
            ),
            load_balancers=[aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=self.target_group.arn, container_name=CONTAINER_NAME, container_port=port)],
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=60,
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=False,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags={**self._tags, PILOT_LIGHT_TAG: _flag(args.pilot_light),
                  PRIMARY_DESIRED_TAG: str(s.desired), PRIMARY_MIN_TAG: str(s.minimum)},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                # The target group must be attached to the ALB first; permissions before tasks start.
                depends_on=[https, self.execution_policy, self.task_policy],
                # Autoscaling (and the failover runbook) own the running count after creation.
                ignore_changes=["desiredCount"],
            )),
        )
        self.cluster_name = self.cluster.name
        self.service_name = self.service.name

        self.scaling_target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=0 if args.pilot_light else s.minimum,
            max_capacity=s.maximum,
            tags=self._tags,
            opts=child,
        )
        scaling = {
            "cpu": (CPU_TARGET_PERCENT, "ECSServiceAverageCPUUtilization", None),
            "requests": (REQUESTS_PER_TARGET, "ALBRequestCountPerTarget",
                         pulumi.Output.concat(self.load_balancer.arn_suffix, "/", self.target_group.arn_suffix)),
        }
        for key, (target_value, metric, label) in scaling.items():
            aws.appautoscaling.Policy(
                f"{name}-scale-{key}",
                name=f"{st.prefix}-{s.name}-{key}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.scaling_target.service_namespace,
                scalable_dimension=self.scaling_target.scalable_dimension,
                resource_id=self.scaling_target.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=target_value,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=metric, resource_label=label),
                    scale_in_cooldown=SCALE_IN_COOLDOWN_SECONDS,
                    scale_out_cooldown=SCALE_OUT_COOLDOWN_SECONDS,
                ),
                opts=child,
            )

        self.endpoint = pulumi.Output.concat("https://", self.load_balancer.dns_name)

    def _listener_actions(self, args: OperationalServiceArgs) -> list[aws.lb.ListenerDefaultActionArgs]:
        """Internal: forward. Public: log the caller in (order 1), then forward (order 2)."""
        s = args.service
        forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)
        if s.public is None:
            return [forward]
        login = s.public.login
        common = dict(scope=login.scope, session_timeout=login.session_timeout_seconds,
                      on_unauthenticated_request=login.on_unauthenticated_request)
        if s.public.oidc is not None:
            oidc = s.public.oidc
            action = aws.lb.ListenerDefaultActionArgs(
                type="authenticate-oidc", order=1,
                authenticate_oidc=aws.lb.ListenerDefaultActionAuthenticateOidcArgs(
                    issuer=oidc.issuer, authorization_endpoint=oidc.authorization_endpoint,
                    token_endpoint=oidc.token_endpoint, user_info_endpoint=oidc.user_info_endpoint,
                    client_id=oidc.client_id, client_secret=_client_secret(s.name, oidc.client_secret), **common))
        else:
            cognito = s.public.cognito
            assert cognito is not None  # settings: exactly one login
            action = aws.lb.ListenerDefaultActionArgs(
                type="authenticate-cognito", order=1,
                authenticate_cognito=aws.lb.ListenerDefaultActionAuthenticateCognitoArgs(
                    user_pool_arn=cognito.user_pool_arn, user_pool_client_id=cognito.client_id,
                    user_pool_domain=cognito.domain, **common))
        return [action, aws.lb.ListenerDefaultActionArgs(type="forward", order=2,
                                                         target_group_arn=self.target_group.arn)]

    def _waf(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        """A REGIONAL web ACL in front of the public ALB, its association and its logs."""
        s, st = args.service, args.stack
        assert s.public is not None

        def visibility(metric: str, cls: type = aws.wafv2.WebAclRuleVisibilityConfigArgs):
            return cls(cloudwatch_metrics_enabled=True, sampled_requests_enabled=True,
                       metric_name=svc_names.waf_metric_name(st.prefix, s.name, metric))

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=group, priority=priority,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group,
                        rule_action_overrides=[
                            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                                name=rule, action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                                    count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()))
                            for rule in WAF_COUNTED_RULES.get(group, ())] or None)),
                visibility_config=visibility(group))
            for group, priority in WAF_MANAGED_RULE_GROUPS.items()
        ]
        rules.append(aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip", priority=WAF_RATE_RULE_PRIORITY,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP", limit=s.public.rate_limit, evaluation_window_sec=WAF_RATE_WINDOW_SECONDS)),
            visibility_config=visibility("rate-limit-per-ip")))
        rules.sort(key=lambda r: r.priority)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=svc_names.waf_acl_name(st.prefix, s.name),
            description=f"{st.prefix} {s.name}: in front of its public load balancer",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=visibility("acl", aws.wafv2.WebAclVisibilityConfigArgs),
            tags=self._tags,
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-alb", resource_arn=self.load_balancer.arn, web_acl_arn=self.web_acl.arn, opts=child)
        self.waf_log_group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=svc_names.waf_log_group_name(st.prefix, s.name),
            retention_in_days=blueprint.LOG_RETENTION_DAYS,
            kms_key_id=self.key.arn,
            tags=self._tags,
            opts=child,
        )
        # WAF adds the log delivery's resource policy to the log group when logging is turned on
        # (WAF developer guide, "Sending web ACL traffic logs to a CloudWatch Logs log group").
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.waf_log_group.arn],
            redacted_fields=[aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header))
                for header in WAF_REDACTED_HEADERS],
            logging_filter=aws.wafv2.WebAclLoggingConfigurationLoggingFilterArgs(
                default_behavior="DROP",
                filters=[aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterArgs(
                    behavior="KEEP", requirement="MEETS_ANY",
                    conditions=[aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs(
                        action_condition=aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs(
                            action=action)) for action in WAF_LOGGED_ACTIONS])]),
            opts=child,
        )

    # --- lambda ---------------------------------------------------------------------------

    def _lambda(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        s, st, store, net = args.service, args.stack, args.store, args.network
        bu, env = st.business_unit, st.environment
        trigger = s.trigger if s.trigger is not None else "http"
        memory = s.memory_mb if s.memory_mb is not None else LAMBDA_MEMORY_MB
        timeout = s.timeout_seconds if s.timeout_seconds is not None else LAMBDA_TIMEOUT_SECONDS

        self.dead_letter_queue = _queue(f"{name}-dlq", naming.prefixed("sqs", bu, env, s.name, "dlq"),
                                        self.key, self._tags, child)
        self.function_role = aws.iam.Role(
            f"{name}-function-role", name=_role_name(st, s.name, "fn"),
            assume_role_policy=iam.trust_policy("lambda.amazonaws.com", st.account_id), tags=self._tags, opts=child,
        )
        self.function_policy = aws.iam.RolePolicy(
            f"{name}-function-policy", role=self.function_role.id,
            policy=iam.document(
                *svc_policies.data_access_statements(store),
                *svc_policies.function_runtime_statements(self.log_group.arn, self.dead_letter_queue.arn, self.key.arn),
            ),
            opts=child,
        )
        self.role_arn = self.function_role.arn
        self.function_security_group = aws.ec2.SecurityGroup(
            f"{name}-function-sg", description=f"{st.prefix} {s.name} function", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-function"}, opts=child,
        )
        self._https_egress(f"{name}-function", self.function_security_group, child)
        self.security_group_id = self.function_security_group.id

        layers: list[pulumi.Input[str]] = []
        if args.dax_enabled:
            try:
                dax_layer_code = python_layer_archive(DAX_CLIENT_PACKAGES)
            except LayerSourceMissing as exc:
                raise pulumi.RunError(f"service {s.name}: DAX client layer: {exc}") from None
            self.dax_layer = aws.lambda_.LayerVersion(
                f"{name}-dax-layer", layer_name=naming.prefixed("lambda", bu, env, s.name, "dax"),
                description="Amazon DAX client for reads through the ODS cache",
                code=dax_layer_code, compatible_runtimes=[blueprint.LAMBDA_RUNTIME],
                compatible_architectures=["arm64"], opts=child)
            layers.append(self.dax_layer.arn)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=naming.prefixed("lambda", bu, env, s.name),
            role=self.function_role.arn,
            runtime=blueprint.LAMBDA_RUNTIME,
            handler=LAMBDA_HANDLER,
            code=pulumi.FileArchive(str(FUNCTION_SOURCE)),
            layers=layers or None,
            architectures=["arm64"],
            memory_size=memory,
            timeout=timeout,
            reserved_concurrent_executions=s.reserved_concurrency,  # None: unreserved
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=self.dead_letter_queue.arn),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=self._environment(args)),
            kms_key_arn=self.key.arn,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name, application_log_level="INFO",
                system_log_level="WARN"),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=net.private_subnet_ids,
                security_group_ids=self._security_groups(self.function_security_group.id, args),
            ),
            tags={**self._tags, PILOT_LIGHT_TAG: _flag(args.pilot_light),
                  PRIMARY_CONCURRENCY_TAG: "unreserved" if s.reserved_concurrency is None else str(s.reserved_concurrency)},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.function_policy])),
        )
        self.function_name = self.function.name

        if trigger == "http":
            self._http_api(name, args, child)
        else:
            self._event_rule(name, args, child)

    def _http_api(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        s, st, store = args.service, args.stack, args.store
        authorizer_kind = s.authorizer if s.authorizer is not None else "iam"
        self.api = aws.apigatewayv2.Api(
            f"{name}-api", name=naming.prefixed("api", st.business_unit, st.environment, s.name),
            protocol_type="HTTP", description=f"{s.name}: items of data product {store.data_product}",
            tags=self._tags, opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration", api_id=self.api.id, integration_type="AWS_PROXY",
            integration_method="POST", integration_uri=self.function.invoke_arn, payload_format_version="2.0",
            opts=child,
        )
        self.authorizer: Optional[aws.apigatewayv2.Authorizer] = None
        if authorizer_kind == "jwt":
            assert s.jwt is not None  # settings: jwt is required with authorizer jwt
            self.authorizer = aws.apigatewayv2.Authorizer(
                f"{name}-jwt", api_id=self.api.id, name=f"{s.name}-jwt", authorizer_type="JWT",
                identity_sources=["$request.header.Authorization"],
                jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                    issuer=s.jwt.issuer, audiences=list(s.jwt.audience)),
                opts=child,
            )
        self.routes = {
            key: aws.apigatewayv2.Route(
                f"{name}-route-{key}", api_id=self.api.id, route_key=route_key,
                target=pulumi.Output.concat("integrations/", integration.id),
                authorization_type="JWT" if self.authorizer is not None else "AWS_IAM",
                authorizer_id=self.authorizer.id if self.authorizer is not None else None,
                opts=child,
            )
            for key, route_key in _routes(store.sort_key is not None).items()
        }
        self.access_log_group = aws.cloudwatch.LogGroup(
            f"{name}-api-logs", name=svc_names.log_group_name(st.prefix, s.name, "api-access"),
            retention_in_days=blueprint.LOG_RETENTION_DAYS, kms_key_id=self.key.arn, tags=self._tags, opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage", api_id=self.api.id, name="$default", auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.access_log_group.arn, format=API_ACCESS_LOG_FORMAT),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=API_THROTTLE_RATE, throttling_burst_limit=API_THROTTLE_BURST,
                detailed_metrics_enabled=True),
            tags=self._tags, opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke-from-api", action="lambda:InvokeFunction", function=self.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/*"), opts=child,
        )
        self.endpoint = self.api.api_endpoint

    def _event_rule(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        s, st, store = args.service, args.stack, args.store
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-trigger",
            name=svc_names.event_rule_name(st.business_unit, st.environment, s.name),
            description=f"{s.name}: events on the {store.data_product} bus, except its own",
            event_bus_name=store.event_bus_name,
            # Everything this account puts on the bus but what the service itself publishes: a PUT
            # must never re-trigger it, and other accounts' events never reach the store.
            event_pattern=json.dumps({"source": [{"anything-but": [store.event_source]}],
                                      "account": [st.account_id]}),
            state="DISABLED" if args.pilot_light else "ENABLED",
            tags={**self._tags, PILOT_LIGHT_TAG: _flag(args.pilot_light)},
            opts=child,
        )
        self.events_dead_letter_queue = _queue(
            f"{name}-events-dlq", naming.prefixed("sqs", st.business_unit, st.environment, s.name, "events-dlq"),
            self.key, self._tags, child)
        aws.sqs.QueuePolicy(
            f"{name}-events-dlq-policy", queue_url=self.events_dead_letter_queue.url,
            policy=iam.document(svc_policies.queue_from_rule_statement(self.events_dead_letter_queue.arn, self.rule.arn)),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-trigger-target", rule=self.rule.name, event_bus_name=store.event_bus_name,
            target_id="function", arn=self.function.arn,
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=self.events_dead_letter_queue.arn),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=EVENT_MAX_AGE_SECONDS, maximum_retry_attempts=EVENT_MAX_RETRIES),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke-from-rule", action="lambda:InvokeFunction", function=self.function.name,
            principal="events.amazonaws.com", source_arn=self.rule.arn, opts=child,
        )
        self.endpoint = pulumi.Output.from_input(None)  # events-driven: no HTTP endpoint


def _role_name(st: StackContext, service: str, purpose: str) -> str:
    """IAM is global: a DR stack in the primary's account gets `-dr` role names (like pilot_light)."""
    return naming.role_name(st.business_unit, st.environment, service, purpose,
                            *(("dr",) if st.region_role == "dr" else ()))


def certificate_region_problem(certificate_arn: str, region: str) -> Optional[str]:
    """ACM certificates are regional: an HTTPS listener can only use one from its own region."""
    cert_region = certificate_arn.split(":")[3]
    if cert_region == region:
        return None
    return (f"certificate {certificate_arn} is in {cert_region} but the load balancer is in {region}; "
            f"ACM certificates are regional, so `pulumi up` will fail until a certificate of {region} is configured")


def _client_secret(service: str, config_key: str) -> pulumi.Output[str]:
    """The OIDC client secret from this stack's secret config (`pulumi config set --secret`), as
    a Pulumi secret: encrypted in the state, never printed. The primary's settings only name the
    key, so a dr stack running the same service reads the same key from its own config. Ends
    the run with one line (the CLI and the offline runner name the stack file) when unset."""
    value = pulumi.Config().get_secret(config_key)
    if value is None:
        raise pulumi.RunError(
            f"{pulumi.get_project()}:{config_key}: required: service {service} "
            f"logs callers in with OIDC and reads its client secret from this key; run `pulumi config set --secret "
            f"{config_key} <the IdP client secret>`")
    return value


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _routes(sort_key: bool) -> dict[str, str]:
    """Route keys by stable resource key; the item routes match functions/ods_api/app.py."""
    routes = {"health": "GET /health", "get-item": "GET /items/{pk}", "put-item": "PUT /items/{pk}"}
    if sort_key:
        routes |= {"get-item-sk": "GET /items/{pk}/{sk}", "put-item-sk": "PUT /items/{pk}/{sk}"}
    return routes


def _queue(resource_name: str, queue_name: str, key: aws.kms.Key, tags: dict[str, str],
           child: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """A dead-letter queue: the service's CMK, 14 days to inspect and redrive."""
    return aws.sqs.Queue(
        resource_name, name=queue_name, kms_master_key_id=key.arn, kms_data_key_reuse_period_seconds=300,
        message_retention_seconds=DLQ_RETENTION_SECONDS, tags=tags, opts=child,
    )
