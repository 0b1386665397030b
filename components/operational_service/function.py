"""The Lambda runtime: the function (with the DAX client layer), its HTTP API or event trigger."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint, iam, naming
from components.foundation.function import LAMBDA_ARCHITECTURE, FunctionArgs, lambda_function
from components.foundation.lambda_layers import DAX_CLIENT_PACKAGES, LayerSourceMissing, python_layer_archive
from components.foundation.queue import (dead_letter_queue, events_send_statement, poll_statement, queue_trigger,
                                        work_queue)
from components.operational_service import names as svc_names
from components.operational_service import policies as svc_policies
from components.operational_service.defaults import (API_ACCESS_LOG_FORMAT, API_THROTTLE_BURST, API_THROTTLE_RATE,
                                                     EVENT_MAX_AGE_SECONDS, EVENT_MAX_RETRIES,
                                                     EVENT_QUEUE_VISIBILITY_FACTOR, FUNCTION_SOURCE,
                                                     LAMBDA_HANDLER, LAMBDA_MEMORY_MB, LAMBDA_TIMEOUT_SECONDS,
                                                     PILOT_LIGHT_TAG, PRIMARY_CONCURRENCY_TAG, tag_flag)

if TYPE_CHECKING:
    from components.operational_service import OperationalServiceArgs


class FunctionParts:
    """The Lambda half of `OperationalService` (a mixin: `self` is the component)."""

    def _lambda(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        s, st, net = args.service, args.stack, args.network
        self._function_role(name, args, child)
        self.function_security_group = aws.ec2.SecurityGroup(
            f"{name}-function-sg", description=f"{st.prefix} {s.name} function", vpc_id=net.vpc_id,
            tags={**self._tags, "Name": f"{st.prefix}-{s.name}-function"}, opts=child,
        )
        self._https_egress(f"{name}-function", self.function_security_group, child)
        self.security_group_id = self.function_security_group.id
        events_trigger = (s.trigger or "http") == "events"
        environment = self._environment(args)
        if events_trigger:
            self.events_dead_letter_queue = dead_letter_queue(
                f"{name}-events-dlq", key_arn=self.key.arn, opts=child, tags=self._tags,
                queue_name=naming.prefixed("sqs", st.business_unit, st.environment, s.name, "events-dlq"))
            # Events the function cannot apply go here at once, with the reason (no retries).
            environment["DLQ_URL"] = self.events_dead_letter_queue.url
        # The platform's one Lambda builder (runtime, arm64, tracing, JSON logs, DLQ).
        self.function = lambda_function(f"{name}-function", FunctionArgs(
            function_name=naming.prefixed("lambda", st.business_unit, st.environment, s.name),
            code=pulumi.FileArchive(str(FUNCTION_SOURCE)), handler=LAMBDA_HANDLER,
            role_arn=self.function_role.arn, log_group_name=self.log_group.name,
            environment=environment,
            memory=s.memory_mb if s.memory_mb is not None else LAMBDA_MEMORY_MB,
            timeout=s.timeout_seconds if s.timeout_seconds is not None else LAMBDA_TIMEOUT_SECONDS,
            dead_letter_arn=self.dead_letter_queue.arn, layers=self._dax_layers(name, args, child),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=net.private_subnet_ids,
                security_group_ids=self._security_groups(self.function_security_group.id, args)),
            reserved_concurrency=s.reserved_concurrency, kms_key_arn=self.key.arn,
            tags={**self._tags, PILOT_LIGHT_TAG: tag_flag(args.pilot_light),
                  PRIMARY_CONCURRENCY_TAG: "unreserved" if s.reserved_concurrency is None else str(s.reserved_concurrency)}),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.function_policy])))
        self.function_name = self.function.name
        if events_trigger:
            self._event_rule(name, args, child)
        else:
            self._http_api(name, args, child)

    def _function_role(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> None:
        """The function's dead-letter queue and its least-privilege role."""
        s, st = args.service, args.stack
        self.dead_letter_queue = dead_letter_queue(
            f"{name}-dlq", key_arn=self.key.arn, opts=child, tags=self._tags,
            queue_name=naming.prefixed("sqs", st.business_unit, st.environment, s.name, "dlq"))
        self.function_role = aws.iam.Role(
            f"{name}-function-role", name=st.role_name(s.name, "fn"),
            assume_role_policy=iam.trust_policy("lambda.amazonaws.com", st.account_id), tags=self._tags, opts=child,
        )
        self.function_policy = aws.iam.RolePolicy(
            f"{name}-function-policy", role=self.function_role.id,
            policy=iam.document(
                *svc_policies.data_access_statements(args.store),
                *svc_policies.function_runtime_statements(self.log_group.arn, self.dead_letter_queue.arn, self.key.arn),
            ),
            opts=child,
        )
        self.role_arn = self.function_role.arn

    def _dax_layers(self, name: str, args: OperationalServiceArgs, child: pulumi.ResourceOptions) -> list:
        """The DAX client layer, packaged by the program from the installed requirements."""
        if not args.dax_enabled:
            return []
        s, st = args.service, args.stack
        try:
            dax_layer_code = python_layer_archive(DAX_CLIENT_PACKAGES)
        except LayerSourceMissing as exc:
            raise pulumi.RunError(f"service {s.name}: DAX client layer: {exc}") from None
        self.dax_layer = aws.lambda_.LayerVersion(
            f"{name}-dax-layer", layer_name=naming.prefixed("lambda", st.business_unit, st.environment, s.name, "dax"),
            description="Amazon DAX client for reads through the ODS cache",
            code=dax_layer_code, compatible_runtimes=[blueprint.LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE], opts=child)
        return [self.dax_layer.arn]

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
        """Rule -> queue -> event source mapping -> function. The function reads each event as the
        queue's text, so numbers keep every digit (invoked by EventBridge directly, the Lambda
        runtime parses the event into floats first), and reports only transient failures back."""
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
            tags={**self._tags, PILOT_LIGHT_TAG: tag_flag(args.pilot_light)},
            opts=child,
        )
        timeout = s.timeout_seconds if s.timeout_seconds is not None else LAMBDA_TIMEOUT_SECONDS
        self.events_queue = work_queue(
            f"{name}-events-queue", key_arn=self.key.arn, dead_letter_arn=self.events_dead_letter_queue.arn,
            visibility_timeout_seconds=EVENT_QUEUE_VISIBILITY_FACTOR * timeout, opts=child, tags=self._tags,
            queue_name=naming.prefixed("sqs", st.business_unit, st.environment, s.name, "events"))
        for part, queue, sid in (("events-dlq", self.events_dead_letter_queue, "EventBridgeDeadLetters"),
                                 ("events-queue", self.events_queue, "EventBridgeSends")):
            aws.sqs.QueuePolicy(
                f"{name}-{part}-policy", queue_url=queue.url,
                policy=iam.document(events_send_statement(queue.arn, self.rule.arn, sid=sid)),
                opts=child,
            )
        aws.cloudwatch.EventTarget(
            f"{name}-trigger-target", rule=self.rule.name, event_bus_name=store.event_bus_name,
            target_id="queue", arn=self.events_queue.arn,
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=self.events_dead_letter_queue.arn),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=EVENT_MAX_AGE_SECONDS, maximum_retry_attempts=EVENT_MAX_RETRIES),
            opts=child,
        )
        self._event_source(name, child)
        self.endpoint = pulumi.Output.from_input(None)  # events-driven: no HTTP endpoint

    def _event_source(self, name: str, child: pulumi.ResourceOptions) -> None:
        """The poller's permissions (AWS checks them when the mapping is created), then the mapping."""
        poll_policy = aws.iam.RolePolicy(
            f"{name}-events-poll-policy", role=self.function_role.id,
            policy=iam.document(
                poll_statement(self.events_queue.arn, sid="PollEventQueue"),
                # Events the function cannot apply go to DLQ_URL (both queues use the service key,
                # QUEUE_KEY_ACTIONS in function_runtime_statements).
                iam.statement(["sqs:SendMessage"], [self.events_dead_letter_queue.arn], sid="DeadLetterEvents")),
            opts=child,
        )
        queue_trigger(f"{name}-events-source", queue_arn=self.events_queue.arn, function_arn=self.function.arn,
                      tags=self._tags,
                      opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[poll_policy])))


def _routes(sort_key: bool) -> dict[str, str]:
    """Route keys by stable resource key; the item routes match functions/ods_api/app.py."""
    routes = {"health": "GET /health", "get-item": "GET /items/{pk}", "put-item": "PUT /items/{pk}"}
    if sort_key:
        routes |= {"get-item-sk": "GET /items/{pk}/{sk}", "put-item-sk": "PUT /items/{pk}/{sk}"}
    return routes
