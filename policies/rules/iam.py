"""IAM: no admin or service-wide wildcards (Action, NotAction, NotResource), no decrypt on every
KMS key, no broad AWS managed policies, no policies on users, no trust policy open to everyone."""
from __future__ import annotations

from ._base import (CRITICAL, HIGH, MANDATORY, MEDIUM, UNKNOWN, as_json, as_list, known_copy, known_items, peek,
                    resource_policy, shown)
from ._documents import (action_matches, allowed_actions, allows, grants_everyone, on_every_resource,
                         restricting_condition_keys, statements)

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
INLINE_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy")
POLICY_TYPES = (POLICY,) + INLINE_TYPES
ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
               "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment")
USER_POLICIES = ("aws:iam/userPolicy:UserPolicy", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                 "aws:iam/policyAttachment:PolicyAttachment")
# AWS managed policies that grant administrator-equivalent access (PowerUserAccess is Allow NotAction iam:*).
ADMIN_MANAGED = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
DECRYPT_ACTIONS = ("kms:Decrypt", "kms:ReEncryptFrom")


def _doc(value):
    return None if value is UNKNOWN else as_json(known_copy(value))


def documents(resource_type, props, inline_only: bool = False) -> list[tuple[str, object]]:
    """(label, document) of every permission policy the resource carries."""
    if resource_type == ROLE:
        return [(f"inline policy '{shown(p, 'name')}'", _doc(peek(p, "policy")))
                for p in known_items(peek(props, "inlinePolicies"))]
    if inline_only and resource_type == POLICY:
        return []
    return [("policy", _doc(peek(props, "policy")))]


def _allow_statements(resource_type, props, inline_only: bool = False):
    for label, doc in documents(resource_type, props, inline_only):
        for s in statements(doc):
            if s.get("Effect") == "Allow":
                yield label, s


def _no_admin(props, cfg, args):
    for label, s in _allow_statements(args.resource_type, props):
        sid = s.get("Sid", "")
        if "NotAction" in s and on_every_resource(s):
            yield (f"{label} statement '{sid}' allows every action except "
                   f"{', '.join(str(a) for a in as_list(s.get('NotAction')))} on every resource (NotAction).")
        elif any(a in ("*", "*:*") for a in allowed_actions(s)) and on_every_resource(s):
            where = "NotResource (every other resource)" if "NotResource" in s else "Resource '*'"
            yield f"{label} statement '{sid}' allows Action '*' on {where}."


def _no_service_wildcard(props, cfg, args):
    for label, s in _allow_statements(args.resource_type, props):
        wild = sorted(a for a in allowed_actions(s) if a.endswith(":*") and a != "*:*")
        if wild:
            yield f"{label} statement '{s.get('Sid', '')}' allows {', '.join(wild)} (every action of the service)."


def _all_keys(s) -> bool:
    if "NotResource" in s:
        return True
    for r in (str(x) for x in as_list(s.get("Resource"))):
        parts = r.split(":", 5)
        if r == "*" or (len(parts) == 6 and action_matches(parts[2], "kms")
                        and action_matches(parts[5], "key/1234abcd") and action_matches(parts[5], "key/other")):
            return True  # '*' or arn:aws:kms:<any>:<any>:key/* (every key of the account or more)
    return False


def _decrypt_all_keys(inline_only: bool):
    def check(props, cfg, args):
        for label, s in _allow_statements(args.resource_type, props, inline_only):
            granted = [a for a in DECRYPT_ACTIONS if allows(s, a)]
            if granted and _all_keys(s):
                yield (f"{label} statement '{s.get('Sid', '')}' allows {', '.join(granted)} on every KMS key; "
                       "name the key ARNs.")
    return check


def _managed_arns(args, props) -> list:
    if args.resource_type == ROLE:
        return known_items(peek(props, "managedPolicyArns"))
    arn = peek(props, "policyArn")
    return [] if arn in (None, UNKNOWN) else [arn]


def _no_broad_managed(props, cfg, args):
    for arn in _managed_arns(args, props):
        name = str(arn).rsplit("/", 1)[-1]
        if ":iam::aws:policy/" in str(arn) and (name in ADMIN_MANAGED or name.endswith("FullAccess")):
            yield f"Attaches the AWS managed policy '{name}' (administrator or whole-service access); attach a scoped policy."


def _no_user_policies(props, cfg, args):
    if args.resource_type == "aws:iam/policyAttachment:PolicyAttachment" and not known_items(peek(props, "users")):
        return
    yield "Grants permissions directly to IAM users; grant them to roles (or groups) instead."


def _trust_not_public(props, cfg, args):
    for s in statements(_doc(peek(props, "assumeRolePolicy"))):
        if grants_everyone(s) and not restricting_condition_keys(s):
            yield (f"Trust policy statement '{s.get('Sid', '')}' lets any principal assume the role "
                   "(Principal '*' or NotPrincipal without an org/account condition).")


POLICIES = [
    resource_policy(
        name="iam-policy-no-admin-wildcard", service="iam", control="IAM.1",
        description="IAM policies (managed, inline, role inline) never allow Action '*' on every resource, nor "
                    "every action but a few (Allow + NotAction) on every resource (Resource '*' or NotResource).",
        types=(ROLE,) + POLICY_TYPES, check=_no_admin, level=MANDATORY, severity=CRITICAL,
        remediation="List the actions the workload needs on the ARNs it uses."),
    resource_policy(
        name="iam-policy-no-service-wildcard-actions", service="iam", control="IAM.21",
        description="IAM policies never allow a whole service ('s3:*'), on any resource.",
        types=(ROLE,) + POLICY_TYPES, check=_no_service_wildcard, level=MANDATORY, severity=HIGH,
        remediation="Name the actions (s3:GetObject, ...) the workload calls."),
    resource_policy(
        name="iam-managed-policy-no-decrypt-on-all-keys", service="iam", control="KMS.1",
        description="IAM customer managed policies never allow kms:Decrypt or kms:ReEncryptFrom (directly, by "
                    "wildcard or through NotAction) on every KMS key (Resource '*', a key/* pattern, NotResource). "
                    "Conditions are not taken into account.",
        types=(POLICY,), check=_decrypt_all_keys(False), level=MANDATORY, severity=MEDIUM,
        remediation="Scope kms:Decrypt to the ARNs of the keys the workload reads."),
    resource_policy(
        name="iam-inline-policy-no-decrypt-on-all-keys", service="iam", control="KMS.2",
        description="IAM inline policies (role, user, group; a role's inlinePolicies) never allow kms:Decrypt or "
                    "kms:ReEncryptFrom on every KMS key. Conditions are not taken into account.",
        types=(ROLE,) + INLINE_TYPES, check=_decrypt_all_keys(True), level=MANDATORY, severity=MEDIUM,
        remediation="Scope kms:Decrypt to the ARNs of the keys the workload reads."),
    resource_policy(
        name="iam-no-broad-aws-managed-policy-attachments", service="iam",
        description="Roles, users and groups never get AdministratorAccess, PowerUserAccess, IAMFullAccess or an "
                    "AWS managed *FullAccess policy (attachment resources or a role's managedPolicyArns). A customer "
                    "managed policy's ARN is judged through its own document, not its name.",
        types=(ROLE,) + ATTACHMENTS, check=_no_broad_managed, level=MANDATORY, severity=CRITICAL,
        remediation="Attach a customer managed policy listing the actions the workload needs."),
    resource_policy(
        name="iam-users-have-no-policies", service="iam", control="IAM.2",
        description="IAM users get no inline or attached policies; permissions go to roles or groups.",
        types=USER_POLICIES, check=_no_user_policies, level=MANDATORY, severity=MEDIUM,
        remediation="Attach the policy to a role the user assumes, or to a group."),
    resource_policy(
        name="iam-role-trust-not-public", service="iam",
        description="IAM role trust policies never let everyone (Principal '*' or NotPrincipal) assume the role "
                    "unless a condition narrows it to an org or account.",
        types=[ROLE], check=_trust_not_public, level=MANDATORY, severity=CRITICAL,
        remediation="Trust a named service principal or account role, with sts:ExternalId/aws:SourceArn conditions."),
]
