"""AWS WAF (wafv2): web ACLs, their associations and their logging configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from offline.mocks.identifiers import physical_name, uuid_id
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks

# CLOUDFRONT-scoped web ACLs live in us-east-1 whatever region the provider targets (WAF API
# reference, CreateWebACL "Scope": "specify the Region US East (N. Virginia)").
CLOUDFRONT_REGION = "us-east-1"

# The web ACL capacity units (WCUs) WAF charges a rule against the ACL's capacity. AWS managed rule
# groups have a fixed capacity (WAF developer guide, "AWS Managed Rules rule groups list": each
# group's "WCU"); a rate-based statement costs 2 WCUs as a base, aggregating on IP or FORWARDED_IP
# adds nothing (WAF developer guide, "Using rate-based rule statements", WCUs).
MANAGED_RULE_GROUP_WCUS: dict[str, int] = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesAdminProtectionRuleSet": 100,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
    "AWSManagedRulesLinuxRuleSet": 200,
    "AWSManagedRulesUnixRuleSet": 100,
    "AWSManagedRulesWindowsRuleSet": 200,
    "AWSManagedRulesPHPRuleSet": 100,
    "AWSManagedRulesWordPressRuleSet": 100,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
}
RATE_BASED_BASE_WCUS = 2
RATE_BASED_PLAIN_KEYS = ("IP", "FORWARDED_IP")


def _rule_wcus(rule: dict[str, Any]) -> Optional[int]:
    """The WCUs of one rule, when it is a statement whose cost WAF documents without inspecting
    its fields (an AWS managed rule group without scope-down, a rate-based rule on IP without
    scope-down); None otherwise."""
    statement = rule.get("statement") or {}
    managed = statement.get("managedRuleGroupStatement")
    if managed and managed.get("vendorName") == "AWS" and not managed.get("scopeDownStatement"):
        return MANAGED_RULE_GROUP_WCUS.get(managed.get("name"))
    rate = statement.get("rateBasedStatement")
    if rate and rate.get("aggregateKeyType", "IP") in RATE_BASED_PLAIN_KEYS and not rate.get("scopeDownStatement"):
        return RATE_BASED_BASE_WCUS
    return None


# terraform-provider-aws internal/service/wafv2/web_acl.go: id = CreateWebACL's Summary.Id (a UUID);
# arn, capacity and lock_token are GetWebACL's WebACL.ARN, WebACL.Capacity and LockToken (a UUID).
# The ARN is arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id> for scope REGIONAL
# and .../global/webacl/<name>/<id> in us-east-1 for CLOUDFRONT (WAF API reference, WebACL.ARN).
# capacity is reported only when every rule is one whose WCUs are documented above: a mock that
# guessed the capacity of a custom statement would invent it. application_integration_url is set
# only for ACLs using a rule group with application integration (ATP, ACFP, Bot Control), so it
# stays unset.
def web_acl(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    acl_id = uuid_id(seed)
    global_scope = inputs.get("scope") == "CLOUDFRONT"
    scope_path = "global" if global_scope else "regional"
    arn = mocks.arn("wafv2", f"{scope_path}/webacl/{physical}/{acl_id}",
                    region=CLOUDFRONT_REGION if global_scope else region)
    computed: dict[str, Any] = {"arn": arn, "name": physical, "lockToken": uuid_id(seed + "|lock")}
    costs = [_rule_wcus(rule) for rule in inputs.get("rules") or []]
    if all(cost is not None for cost in costs):
        computed["capacity"] = sum(costs)
    return acl_id, computed


# terraform-provider-aws internal/service/wafv2/web_acl_association.go: id =
# flex.FlattenResourceId([web_acl_arn, resource_arn]), the two ARNs joined by "," (internal/flex/flex.go
# ResourceIdSeparator); no computed attributes.
def web_acl_association(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    web_acl_arn, resource_arn = inputs.get("webAclArn"), inputs.get("resourceArn")
    if not (isinstance(web_acl_arn, str) and web_acl_arn and isinstance(resource_arn, str) and resource_arn):
        raise KeyError(f"offline mocks: {name} needs both webAclArn and resourceArn to take its id from")
    return f"{web_acl_arn},{resource_arn}", {}


BUILDERS: dict[str, Builder] = {
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": web_acl_association,
    # web_acl_logging_configuration.go: id = PutLoggingConfiguration's ResourceArn, the web ACL's ARN
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": id_from_input("resourceArn"),
}
