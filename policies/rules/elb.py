"""Elastic Load Balancing v2: hardened ALBs and TLS-only listeners."""
from __future__ import annotations

from ._base import ADVISORY, HIGH, LOW, MANDATORY, MEDIUM, UNKNOWN, known_items, peek, resource_policy

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TLS_POLICIES = ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
                "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
                "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04", "ELBSecurityPolicy-TLS-1-2-2017-01",
                "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10"]
TLS_CONFIG = {"allowedSslPolicies": {"type": "array", "items": {"type": "string"}, "default": TLS_POLICIES,
                                     "description": "Listener SSL policies allowing only TLS 1.2+."}}


def _application(props) -> bool:
    return peek(props, "loadBalancerType", default="application") == "application"


def _drop_headers(props, cfg, args):
    if _application(props) and peek(props, "dropInvalidHeaderFields") not in (True, UNKNOWN):
        yield "Application load balancer must set dropInvalidHeaderFields to true (omitted = false)."


def _desync(props, cfg, args):
    mode = peek(props, "desyncMitigationMode", default="defensive")
    if _application(props) and mode not in ("defensive", "strictest", UNKNOWN):
        yield f"desyncMitigationMode is '{mode}'; use defensive (the default) or strictest."


def _multi_az(props, cfg, args):
    subnets, mappings = peek(props, "subnets"), peek(props, "subnetMappings")
    if UNKNOWN in (subnets, mappings):
        return
    count = len(known_items(subnets)) + len(known_items(mappings))
    if count < 2:
        yield f"Load balancer is placed in {count} subnet(s); span at least two Availability Zones."


def _access_logs(props, cfg, args):
    if peek(props, "accessLogs", "enabled") not in (True, UNKNOWN) or peek(props, "accessLogs", "bucket") is None:
        yield "Load balancer should set accessLogs with enabled true and a bucket."


def _deletion_protection(props, cfg, args):
    if peek(props, "enableDeletionProtection") not in (True, UNKNOWN):
        yield "Load balancer should set enableDeletionProtection to true."


def _tls_listener(props, cfg, args):
    protocol = peek(props, "protocol", default="HTTP")
    if protocol is UNKNOWN:
        return
    if protocol in ("HTTPS", "TLS"):
        policy = peek(props, "sslPolicy", default="ELBSecurityPolicy-2016-08 (the AWS default)")
        if policy is not UNKNOWN and policy not in cfg["allowedSslPolicies"]:
            yield f"Listener sslPolicy '{policy}' is not TLS 1.2+; use ELBSecurityPolicy-TLS13-1-2-2021-06."
        return
    if protocol == "HTTP":
        actions = known_items(peek(props, "defaultActions"))
        redirects = [a for a in actions if peek(a, "type") == "redirect"
                     and peek(a, "redirect", "protocol") in ("HTTPS", UNKNOWN)]
        if not actions or len(redirects) != len(actions):
            yield "HTTP listener must only redirect to HTTPS."
        return
    yield f"Listener protocol '{protocol}' is not encrypted; use HTTPS/TLS."


POLICIES = [
    resource_policy(
        name="elb-alb-drops-invalid-headers", service="elb", control="ELB.4",
        description="Application load balancers drop invalid HTTP headers.",
        types=LOAD_BALANCERS, check=_drop_headers, level=MANDATORY, severity=MEDIUM,
        remediation="Set drop_invalid_header_fields=True."),
    resource_policy(
        name="elb-alb-desync-mitigation-defensive", service="elb", control="ELB.12",
        description="Application load balancers use the defensive (default) or strictest desync mitigation mode.",
        types=LOAD_BALANCERS, check=_desync, level=MANDATORY, severity=MEDIUM,
        remediation="Leave desync_mitigation_mode unset (defensive) or set 'strictest'."),
    resource_policy(
        name="elb-load-balancer-spans-multiple-azs", service="elb", control="ELB.13",
        description="Load balancers are placed in at least two subnets (Availability Zones); unknown subnet lists "
                    "during a preview are judged at update.",
        types=LOAD_BALANCERS, check=_multi_az, level=MANDATORY, severity=MEDIUM,
        remediation="Pass the subnets of at least two (the blueprint: three) Availability Zones."),
    resource_policy(
        name="elb-access-logs-enabled", service="elb", control="ELB.5",
        description="Load balancers write access logs to S3. Advisory: log volume and cost are a service decision.",
        types=LOAD_BALANCERS, check=_access_logs, level=ADVISORY, severity=MEDIUM,
        remediation="Set access_logs=LoadBalancerAccessLogsArgs(bucket=<log bucket>, enabled=True)."),
    resource_policy(
        name="elb-deletion-protection-enabled", service="elb", control="ELB.6",
        description="Load balancers have deletion protection enabled. Advisory: load balancers hold no data and "
                    "DR stacks recreate them.",
        types=LOAD_BALANCERS, check=_deletion_protection, level=ADVISORY, severity=LOW,
        remediation="Set enable_deletion_protection=True."),
    resource_policy(
        name="elb-listener-tls-only", service="elb", control="ELB.1",
        description="Listeners use HTTPS/TLS with a TLS 1.2+ policy, or plain HTTP only to redirect to HTTPS.",
        types=LISTENERS, check=_tls_listener, level=MANDATORY, severity=HIGH, config=TLS_CONFIG,
        remediation="Use protocol HTTPS with ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06'; make port 80 "
                    "a redirect action to HTTPS."),
]
