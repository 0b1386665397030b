"""IAM: no admin or service-wide wildcards on every resource, no trust policy open to everyone."""
from __future__ import annotations

from ._base import CRITICAL, HIGH, MANDATORY, as_list, get, is_public_principal, resource_policy, statements

ROLE = "aws:iam/role:Role"
POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
                "aws:iam/groupPolicy:GroupPolicy")


def documents(resource_type, props) -> list[tuple[str, object]]:
    """(label, document) of every permission policy the resource carries."""
    if resource_type == ROLE:
        return [(f"inline policy '{get(p, 'name', default='?')}'", get(p, "policy"))
                for p in as_list(get(props, "inlinePolicies")) if get(p, "policy")]
    return [("policy", get(props, "policy"))]


def _allows(resource_type, props):
    for label, doc in documents(resource_type, props):
        for s in statements(doc):
            if s.get("Effect") == "Allow" and "NotAction" not in s:
                actions = [str(a) for a in as_list(s.get("Action"))]
                resources = [str(r) for r in as_list(s.get("Resource"))]
                yield label, s, actions, resources


def _no_admin(props, cfg, args):
    for label, s, actions, resources in _allows(args.resource_type, props):
        if "*" in actions and "*" in resources:
            yield f"{label} statement '{s.get('Sid', '')}' allows Action '*' on Resource '*'."


def _no_service_wildcard(props, cfg, args):
    for label, s, actions, resources in _allows(args.resource_type, props):
        wild = sorted(a for a in actions if a.endswith(":*"))
        if wild and "*" in resources:
            yield f"{label} statement '{s.get('Sid', '')}' allows {', '.join(wild)} on Resource '*'."


def _trust_not_public(props, cfg, args):
    for s in statements(get(props, "assumeRolePolicy")):
        if s.get("Effect") == "Allow" and is_public_principal(s.get("Principal")):
            yield f"Trust policy statement '{s.get('Sid', '')}' lets any principal ('*') assume the role."


POLICIES = [
    resource_policy(
        name="iam-policy-no-admin-wildcard", service="iam", control="IAM.1",
        description="IAM policies never allow Action '*' on Resource '*'.",
        types=(ROLE,) + POLICY_TYPES, check=_no_admin, level=MANDATORY, severity=CRITICAL,
        remediation="List the actions the workload needs on the ARNs it uses."),
    resource_policy(
        name="iam-policy-no-service-wildcard-on-all-resources", service="iam", control="IAM.21",
        description="IAM policies never allow a whole service ('s3:*') on Resource '*'.",
        types=(ROLE,) + POLICY_TYPES, check=_no_service_wildcard, level=MANDATORY, severity=HIGH,
        remediation="Name the actions (s3:GetObject, ...) and scope Resource to the bucket/table ARNs."),
    resource_policy(
        name="iam-role-trust-not-public", service="iam",
        description="IAM role trust policies never let '*' assume the role.",
        types=[ROLE], check=_trust_not_public, level=MANDATORY, severity=CRITICAL,
        remediation="Trust a named service principal or account role, with sts:ExternalId/aws:SourceArn conditions."),
]
