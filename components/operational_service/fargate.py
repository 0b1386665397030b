"""The Fargate runtime: security groups, the ALB and its access logs, the image, roles, the ECS
cluster, task definition and service, and autoscaling."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.foundation import blueprint, iam, naming
from components.foundation.bucket import abort_incomplete_uploads_rule, secure_bucket
from components.operational_service import names as svc_names
from components.operational_service import policies as svc_policies
from components.operational_service.edge import certificate_region_problem
from components.operational_service.defaults import (FUNCTION_SOURCE, CONTAINER_NAME, CONTAINER_USER, FARGATE_CPU_ARCHITECTURE, CONTAINER_PLATFORM, CPU_TARGET_PERCENT, REQUESTS_PER_TARGET, SCALE_IN_COOLDOWN_SECONDS, SCALE_OUT_COOLDOWN_SECONDS, ALB_LOG_EXPIRY_DAYS, ALB_SIGNER_ENV, ACCESS_LOG_CLASSIFICATION, PILOT_LIGHT_TAG, PRIMARY_DESIRED_TAG, PRIMARY_MIN_TAG, tag_flag)

if TYPE_CHECKING:
    from components.operational_service import OperationalServiceArgs


class FargateParts:
    """The Fargate half of `OperationalService` (a mixin: `self` is the component)."""

    def _fargate(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        assert args.service.cpu is not None and args.service.memory is not None  # settings checked
        assert args.service.certificate_arn is not None
        self._fargate_security_groups(name, args, child)
        bucket_policy = self._alb_access_logs(name, args, child)
        https = self._load_balancer(name, args, child, bucket_policy)
        image, repository_arn = self._service_image(name, args, child)
        self._task_roles(name, args, child, repository_arn)
        self._task_definition(name, args, child, image)
        self._ecs_service(name, args, child, https)
        self._autoscaling(name, args, child)
        self.endpoint = pulumi.Output.concat("https://", self.load_balancer.dns_name)

    def _fargate_security_groups(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        """Security groups: rules are separate resources named by stable keys (CIDR, peer)."""
        s, st, net = args.service, args.stack, args.network
        port = s.container_port
        self.alb_security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", description=f"{st.prefix} {s.name} load balancer", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-alb"}, opts=child,
        )
        self.task_security_group = aws.ec2.SecurityGroup(
            f"{name}-task-sg", description=f"{st.prefix} {s.name} tasks", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-tasks"}, opts=child,
        )
        sources: dict[str, tuple[str, pulumi.Input[str], str]]  # key -> (SG rule field, CIDR, described as)
        if s.allowed_cidrs:
            sources = {svc_names.cidr_key(cidr): ("cidr_ipv6" if ":" in cidr else "cidr_ipv4", cidr, cidr)
                       for cidr in s.allowed_cidrs}
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

    def _alb_access_logs(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> aws.s3.BucketPolicy:
        """ALB access logs: an SSE-S3 bucket (ELB cannot write to SSE-KMS), otherwise the blueprint's."""
        s, st = args.service, args.stack
        logs = secure_bucket(
            f"{name}-alb-logs",
            bucket_name=naming.physical_name("s3", st.business_unit, st.environment, s.name, "alb-logs", st.account_id, st.region_code),
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
        self.access_log_bucket = logs.bucket
        return logs.policy

    def _load_balancer(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions, bucket_policy: aws.s3.BucketPolicy) -> aws.lb.Listener:
        """Load balancer, target group, listeners (and the WAF when public)."""
        s, st, net = args.service, args.stack, args.network
        port = s.container_port
        internal, bucket = s.public is None, self.access_log_bucket
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=naming.physical_name("alb", st.business_unit, st.environment, s.name),
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
            name=naming.physical_name("target_group", st.business_unit, st.environment, s.name),
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
        return https

    def _service_image(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> tuple[pulumi.Input[str], Optional[pulumi.Input[str]]]:
        """The configured image, or this stack's ECR repository and the image `pulumi up` builds."""
        s, st = args.service, args.stack
        if s.build_image:
            self.repository: Optional[aws.ecr.Repository] = aws.ecr.Repository(
                f"{name}-repo",
                name=svc_names.ecr_repository_name(st.business_unit, st.environment, s.name),
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
        return image, repository_arn

    def _task_roles(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions, repository_arn: Optional[pulumi.Input[str]]) -> None:
        """The execution role starts the task; the task role is what the code may do."""
        s, st = args.service, args.stack
        trust = iam.trust_policy("ecs-tasks.amazonaws.com", st.account_id, source_arn=st.arn("ecs", "*"))
        self.execution_role = aws.iam.Role(
            f"{name}-execution-role", name=st.role_name(s.name, "task-exec"),
            assume_role_policy=trust, tags=self._tags, opts=child,
        )
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy", role=self.execution_role.id,
            policy=iam.document(*svc_policies.execution_statements(self.log_group.arn, repository_arn)),
            opts=child,
        )
        self.task_role = aws.iam.Role(
            f"{name}-task-role", name=st.role_name(s.name, "task"),
            assume_role_policy=trust, tags=self._tags, opts=child,
        )
        self.task_policy = aws.iam.RolePolicy(
            f"{name}-task-policy", role=self.task_role.id,
            policy=iam.document(*svc_policies.data_access_statements(args.store)), opts=child,
        )
        self.role_arn = self.task_role.arn

    def _task_definition(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions, image: pulumi.Input[str]) -> None:
        """Cluster and task definition."""
        s, st = args.service, args.stack
        port = s.container_port
        internal = s.public is None
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster", name=naming.prefixed("ecs", st.business_unit, st.environment, s.name),
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
            family=naming.prefixed("ecs", st.business_unit, st.environment, s.name),
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

    def _ecs_service(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions, https: aws.lb.Listener) -> None:
        """The ECS service (at zero in a pilot light)."""
        s, st, net = args.service, args.stack, args.network
        port = s.container_port
        desired = 0 if args.pilot_light else s.desired
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=naming.prefixed("ecs", st.business_unit, st.environment, s.name),
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
            tags={**self._tags, PILOT_LIGHT_TAG: tag_flag(args.pilot_light),
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

    def _autoscaling(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        """Target tracking on CPU and requests per target."""
        s, st = args.service, args.stack
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
