"""Lake Formation: no IAM_ALLOWED_PRINCIPALS defaults, registrations with a custom role, grants only
to declared consumers and never ALL."""
from __future__ import annotations

from ._documents import account_of
from ._base import (ADVISORY, CRITICAL, HIGH, MANDATORY, MEDIUM, as_json, as_list, get,
                    of_type, resource_policy, safe_get, stack_policy)

SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
RESOURCE = "aws:lakeformation/resource:Resource"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
BROAD_PERMISSIONS = {"ALL", "SUPER"}
CONSUMER_CONFIG = {"consumerAccounts": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"},
                                        "default": [],
                                        "description": "Accounts allowed to receive Lake Formation grants "
                                                       "(the stack's own account is always allowed)."}}


def _no_default_permissions(props, cfg, args):
    for key in ("createDatabaseDefaultPermissions", "createTableDefaultPermissions"):
        entries = as_list(get(props, key))
        if entries:
            principals = sorted({str(get(e, "principal", default="?")) for e in entries})
            yield f"{key} must be an empty list (found grants to {', '.join(principals)})."


def _custom_role(props, cfg, args):
    if get(props, "useServiceLinkedRole") is True:
        yield "Resource must set useServiceLinkedRole to false and register with a roleArn."
    elif not get(props, "roleArn"):
        yield "Resource must set roleArn (a data-access role scoped to this location)."


def _least_privilege(props, cfg, args):
    for key in ("permissions", "permissionsWithGrantOption"):
        broad = sorted(BROAD_PERMISSIONS & {str(p) for p in as_list(get(props, key))})
        if broad:
            yield f"{key} grants {', '.join(broad)}; grant the specific permissions (SELECT, DESCRIBE, ...)."
    if get(props, "principal") == "IAM_ALLOWED_PRINCIPALS":
        yield "Grants to IAM_ALLOWED_PRINCIPALS bypass Lake Formation; grant to named principals."


def _no_wildcard(props, cfg, args):
    if get(props, "table", "wildcard") is True or get(props, "tableWithColumns", "wildcard") is True:
        yield "Grant uses a table wildcard; prefer named tables (or LF-tags) so new tables are not shared by default."


def _stack_accounts(resources) -> set[str]:
    accounts: set[str] = set()
    for r in resources:
        if r.resource_type == "pulumi:providers:aws":
            accounts.update(str(a) for a in as_list(as_json(safe_get(r.props, "allowedAccountIds"))))
    return accounts


def _consumers_only(resources, cfg):
    allowed = set(cfg["consumerAccounts"]) | _stack_accounts(resources)
    for grant in of_type(resources, PERMISSIONS):
        principal = safe_get(grant.props, "principal")
        if not isinstance(principal, str):
            continue
        account = account_of(principal)
        if account is None or account not in allowed:
            yield (f"Lake Formation grant '{grant.name}' goes to '{principal}', which is not the stack's account "
                   f"or a configured consumer ({', '.join(sorted(allowed)) or 'none'})."), grant.urn


POLICIES = [
    resource_policy(
        name="lakeformation-no-iam-allowed-principals-defaults", service="lakeformation",
        description="Lake Formation settings grant nothing by default (no IAM_ALLOWED_PRINCIPALS on new "
                    "databases and tables).",
        types=[SETTINGS], check=_no_default_permissions, level=MANDATORY, severity=HIGH,
        remediation="Set create_database_default_permissions=[] and create_table_default_permissions=[]."),
    resource_policy(
        name="lakeformation-resource-uses-custom-role", service="lakeformation",
        description="Lake Formation data locations are registered with a dedicated role, not the service-linked role.",
        types=[RESOURCE], check=_custom_role, level=MANDATORY, severity=MEDIUM,
        remediation="Set role_arn=<data access role> and use_service_linked_role=False."),
    resource_policy(
        name="lakeformation-permissions-least-privilege", service="lakeformation",
        description="Lake Formation grants never include ALL/SUPER nor go to IAM_ALLOWED_PRINCIPALS.",
        types=[PERMISSIONS], check=_least_privilege, level=MANDATORY, severity=HIGH,
        remediation="Grant SELECT/DESCRIBE (and grant options only when needed) to named principals."),
    resource_policy(
        name="lakeformation-permissions-no-table-wildcard", service="lakeformation",
        description="Lake Formation grants name their tables instead of using a table wildcard.",
        types=[PERMISSIONS], check=_no_wildcard, level=ADVISORY, severity=MEDIUM,
        remediation="Grant per table, or use LF-tag expressions to share a governed set of tables."),
    stack_policy(
        name="lakeformation-permissions-to-consumers-only", service="lakeformation",
        description="Lake Formation grants go only to the stack's own account or configured consumer accounts.",
        applies_to=[PERMISSIONS], check=_consumers_only, level=MANDATORY, severity=CRITICAL,
        config=CONSUMER_CONFIG,
        remediation="Add the account to consumerAccounts in the policy config, or remove the grant."),
]
