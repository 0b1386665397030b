"""The service edge: an internet-facing application load balancer authenticates callers before it
forwards (listener default actions and listener rules, ``aws:lb/*`` and ``aws:alb/*`` tokens) and
sits behind a WAFv2 web ACL with the AWS managed baseline rule groups and a rate limit."""
from __future__ import annotations

from ._base import (CRITICAL, HIGH, MANDATORY, UNKNOWN, as_json, known_items, number, of_type, peek, references,
                    resource_keys, safe_get, stack_policy)

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")
BASELINE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                   "AWSManagedRulesAmazonIpReputationList")


def internet_facing_albs(resources) -> list:
    """Application load balancers whose ``internal`` is not true (omitted = internet-facing)."""
    return [lb for lb in of_type(resources, *LOAD_BALANCERS)
            if safe_get(lb.props, "loadBalancerType", default="application") == "application"
            and peek(lb.props, "internal") is not True]


def unauthenticated_forward(actions: list) -> bool:
    """A forward that no authenticate action precedes (actions run by ``order``, else list order)."""
    ordered = sorted(enumerate(actions), key=lambda ia: (number(peek(ia[1], "order")) or 50001, ia[0]))
    for _, action in ordered:
        kind = peek(action, "type")
        if kind is UNKNOWN or kind in AUTHENTICATE:
            return False
        if kind == "forward":
            return True
    return False


def _listeners_of(resources, lb) -> list:
    keys = resource_keys(lb, "arn", "id")
    return [ls for ls in of_type(resources, *LISTENERS) if references(ls, "loadBalancerArn") & keys]


def _authenticated(resources, cfg):
    rules = of_type(resources, *LISTENER_RULES)
    for lb in internet_facing_albs(resources):
        for listener in _listeners_of(resources, lb):
            if unauthenticated_forward(known_items(peek(listener.props, "defaultActions"))):
                yield (f"Listener '{listener.name}' of internet-facing load balancer '{lb.name}' forwards without "
                       "authenticating first; put an authenticate-oidc/authenticate-cognito action before the "
                       "forward (or make the load balancer internal)."), listener.urn
            keys = resource_keys(listener, "arn", "id")
            for rule in rules:
                if references(rule, "listenerArn") & keys and unauthenticated_forward(
                        known_items(peek(rule.props, "actions"))):
                    yield (f"Listener rule '{rule.name}' on '{listener.name}' of internet-facing load balancer "
                           f"'{lb.name}' forwards without authenticating first."), rule.urn


def _acl_rules(acl) -> list:
    rules = known_items(peek(acl.props, "rules"))
    names, rate = set(), False
    for r in rules:
        names.add(str(peek(r, "statement", "managedRuleGroupStatement", "name")))
        rate = rate or peek(r, "statement", "rateBasedStatement") is not None
    for r in known_items(as_json(safe_get(acl.props, "ruleJson"))):  # the JSON form uses the WAF API's names
        statement = r.get("Statement", {}) if hasattr(r, "get") else {}
        names.add(str(statement.get("ManagedRuleGroupStatement", {}).get("Name")))
        rate = rate or "RateBasedStatement" in statement
    missing = [g for g in BASELINE_GROUPS if g not in names]
    return missing + ([] if rate else ["a rate-based rule"])


def _waf(resources, cfg):
    associations = of_type(resources, WAF_ASSOCIATION)
    acls = of_type(resources, WEB_ACL)
    for lb in internet_facing_albs(resources):
        keys = resource_keys(lb, "arn", "id")
        mine = [a for a in associations if references(a, "resourceArn") & keys]
        if not mine:
            yield (f"Internet-facing load balancer '{lb.name}' has no WAFv2 web ACL association "
                   "(aws.wafv2.WebAclAssociation)."), lb.urn
        for association in mine:
            refs = references(association, "webAclArn")
            for acl in (a for a in acls if resource_keys(a, "arn", "id") & refs):
                missing = _acl_rules(acl)
                if missing:
                    yield (f"Web ACL '{acl.name}' protecting '{lb.name}' lacks {', '.join(missing)}."), acl.urn


POLICIES = [
    stack_policy(
        name="elb-internet-facing-alb-authenticates-before-forward", service="elb",
        description="Listeners and listener rules of an internet-facing application load balancer (internal "
                    "omitted = internet-facing) never forward before an authenticate-oidc / authenticate-cognito / "
                    "jwt-validation action. Listeners whose load balancer is not in the stack cannot be judged.",
        applies_to=LISTENERS + LISTENER_RULES, check=_authenticated, level=MANDATORY, severity=CRITICAL,
        reads=LOAD_BALANCERS,
        remediation="Add an authenticate_oidc (or authenticate_cognito) action with order 1 before the forward, "
                    "or set internal=True."),
    stack_policy(
        name="elb-internet-facing-alb-has-waf", service="elb", securityhub="ELB.16",
        description="Every internet-facing application load balancer has a WAFv2 web ACL association; a web ACL "
                    "in the stack includes the AWS managed common, known-bad-inputs and IP-reputation rule groups "
                    "and a rate-based rule (an ACL from outside the stack cannot be inspected).",
        applies_to=LOAD_BALANCERS, check=_waf, level=MANDATORY, severity=HIGH, reads=(WAF_ASSOCIATION, WEB_ACL),
        remediation="Create an aws.wafv2.WebAcl (scope REGIONAL) with the managed rule groups and a rate-based rule, "
                    "and an aws.wafv2.WebAclAssociation with resource_arn=<alb arn>."),
]
