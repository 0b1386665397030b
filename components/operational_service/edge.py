"""The service edge: the HTTPS listener's actions (login before forward when public) and the WAF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_aws as aws

from components.foundation import blueprint
from components.operational_service import names as svc_names
from components.operational_service.defaults import (WAF_MANAGED_RULE_GROUPS, WAF_RATE_RULE_PRIORITY, WAF_RATE_WINDOW_SECONDS, WAF_COUNTED_RULES, WAF_LOGGED_ACTIONS, WAF_REDACTED_HEADERS)

if TYPE_CHECKING:
    from components.operational_service import OperationalServiceArgs


class EdgeParts:
    """The edge of a Fargate service's load balancer (a mixin: `self` is the component)."""

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

        rules = waf_rules(st.prefix, s.name, s.public.rate_limit)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=svc_names.waf_acl_name(st.prefix, s.name),
            description=f"{st.prefix} {s.name}: in front of its public load balancer",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=waf_visibility(st.prefix, s.name, "acl", aws.wafv2.WebAclVisibilityConfigArgs),
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


def waf_visibility(prefix: str, service: str, metric: str, cls: type = aws.wafv2.WebAclRuleVisibilityConfigArgs):
    """CloudWatch metrics and sampled requests on, under the service's metric name."""
    return cls(cloudwatch_metrics_enabled=True, sampled_requests_enabled=True,
               metric_name=svc_names.waf_metric_name(prefix, service, metric))


def waf_rules(prefix: str, service: str, rate_limit: int) -> list[aws.wafv2.WebAclRuleArgs]:
    """The AWS managed rule groups (in priority order, the counted rules overridden to count) and
    the per-IP rate limit."""
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
            visibility_config=waf_visibility(prefix, service, group))
        for group, priority in WAF_MANAGED_RULE_GROUPS.items()
    ]
    rules.append(aws.wafv2.WebAclRuleArgs(
        name="rate-limit-per-ip", priority=WAF_RATE_RULE_PRIORITY,
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=WAF_RATE_WINDOW_SECONDS)),
        visibility_config=waf_visibility(prefix, service, "rate-limit-per-ip")))
    rules.sort(key=lambda r: r.priority)
    return rules
