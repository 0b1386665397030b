"""Lake Formation: no IAM_ALLOWED_PRINCIPALS defaults, registrations with a custom role, grants only
to declared consumers, never ALL, never on a table wildcard, and none past its recorded expiry;
the effective ``ddp:classification`` LF-tag of a catalog table."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Optional

from ._catalog import MAYBE, both, reference_names, same
from ._documents import account_of
from ._base import (CRITICAL, HIGH, MANDATORY, MEDIUM, UNKNOWN, as_json, as_list, get, is_map, known_items,
                    of_type, peek, resource_policy, safe_get, shown, stack_policy)

SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
RESOURCE = "aws:lakeformation/resource:Resource"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
RESOURCE_LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
GRANT_REGISTER = "aws:ssm/parameter:Parameter"
BROAD_PERMISSIONS = {"ALL", "SUPER"}
# Lake Formation's name for "every table of the database" where a resource has a table name: a
# TableWithColumns on ALL_TABLES with a column wildcard is a table wildcard (terraform-provider-aws,
# internal/service/lakeformation/permissions.go, flattenTableColumnsResourceAsTable).
ALL_TABLES = "ALL_TABLES"
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


def _table_wildcard(props) -> Optional[str]:
    """The form in which a grant names every table of a database, or None.

    In pulumi-aws ``tableWithColumns.wildcard`` is a *column* wildcard on the named table (the
    provider's ColumnWildcard): a table wildcard there is the table name ALL_TABLES, or no table name."""
    table = peek(props, "table")
    if peek(table, "wildcard") is True:
        return "table.wildcard"
    if peek(table, "name") == ALL_TABLES:
        return f"table.name '{ALL_TABLES}'"
    columns = peek(props, "tableWithColumns")
    if not is_map(columns):
        return None
    name = peek(columns, "name")
    if name == ALL_TABLES or name is None:
        column_form = ("columnWildcard" if peek(columns, "columnWildcard") is not None
                       else "wildcard" if peek(columns, "wildcard") is True else "columnNames")
        return f"tableWithColumns.{column_form} on {ALL_TABLES if name else 'no named table'}"
    return None


def _no_wildcard(props, cfg, args):
    form = _table_wildcard(props)
    if form:
        yield (f"Grant uses a table wildcard ({form}); grant named tables or an LF-tag expression (lfTagPolicy) "
               "so tables added to the database later are not shared by default.")


# --- grant register: consumer grants that expire ----------------------------------------------------

GRANT_ACCOUNT_TAG = "ddp:grant-account"
GRANT_EXPIRES_TAG = "ddp:grant-expires"
GRANT_PRODUCT_TAG = "ddp:data-product"
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EXPIRY_CONFIG = {"today": {"type": "string", "pattern": ISO_DAY.pattern,
                           "description": "day (YYYY-MM-DD, UTC) grant expiries are judged on; "
                                          "unset: the current UTC date when the policy runs"}}


def parse_day(value: Any) -> Optional[date]:
    """A calendar day written exactly YYYY-MM-DD, or None."""
    if not isinstance(value, str) or not ISO_DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


def _today(cfg) -> date:
    value = cfg.get("today")
    if value is None:
        return utc_today()
    day = parse_day(value)
    if day is None:
        raise ValueError(f"lakeformation-grant-not-expired: config 'today' {value!r} is not a day YYYY-MM-DD")
    return day


def _register_tags(props) -> Any:
    tags = peek(props, "tags")
    return peek(props, "tagsAll") if tags is None else tags


def _grant_not_expired(props, cfg, args):
    tags = _register_tags(props)
    if not is_map(tags):
        return  # no tags, or tags unknown until apply: not (yet) a register entry
    expires = peek(tags, GRANT_EXPIRES_TAG)
    if expires is None or expires is UNKNOWN:
        return  # not a register entry; an unknown expiry is judged at update
    account, product = shown(tags, GRANT_ACCOUNT_TAG), shown(tags, GRANT_PRODUCT_TAG)
    day = parse_day(expires)
    if day is None:
        yield (f"Grant register entry for account {account} on data product {product}: {GRANT_EXPIRES_TAG} "
               f"{expires!r} is not a day YYYY-MM-DD, so the grant's expiry cannot be enforced.")
        return
    today = _today(cfg)
    if day < today:
        yield (f"Grant to account {account} on data product {product} expired on {day.isoformat()} (its last "
               f"valid day; today is {today.isoformat()} UTC): revoke the Lake Formation grant and remove "
               "its register entry, or renew it with a new expiry.")


# --- effective classification of a catalog table ---------------------------------------------------

CLASSIFICATION_KEY = "ddp:classification"
CLASSIFICATION_ORDER = ("public", "internal", "confidential", "restricted")
TARGETS = (("database", "name", None), ("table", "databaseName", "name"),
           ("tableWithColumns", "databaseName", "name"))


def _classification_values(tagging) -> list:
    """The ddp:classification values a ResourceLfTags assigns (UNKNOWN for an unknown one)."""
    tags = peek(tagging.props, "lfTags")
    if tags is UNKNOWN:
        return [UNKNOWN]
    values = []
    for tag in known_items(tags):
        key = peek(tag, "key")
        if key is UNKNOWN:
            values.append(UNKNOWN)
        elif isinstance(key, str) and key.lower() == CLASSIFICATION_KEY:
            value = peek(tag, "value")
            values.append(value.lower() if isinstance(value, str) else UNKNOWN)
    return values


def _tags_table(tagging, database, table, resources):
    """Whether a ResourceLfTags applies to the table (True, False or MAYBE): on its database, on
    every table of it (table.wildcard), on the table itself or on some of its columns."""
    for prop, database_key, table_key in TARGETS:
        block = peek(tagging.props, prop)
        if block is None:
            continue
        every_table = block is not UNKNOWN and prop == "table" and peek(block, "wildcard") is True
        db_ref, table_ref = reference_names(tagging, prop, database_key, None if every_table else table_key,
                                            resources)
        if table_key is None or every_table:
            return same(db_ref, database)
        return both(same(db_ref, database), same(table_ref, table))
    return False


def effective_classification(database, table, resources) -> tuple[Any, list]:
    """The highest ddp:classification assigned to the table or its database, and the ResourceLfTags
    that assign it: (value, names) when decided; (MAYBE, []) when an undecided tagging could raise it
    to confidential or above; (None, []) when nothing classifies the table."""
    decided: list[tuple[int, str, str]] = []
    undecided = False
    for tagging in of_type(resources, RESOURCE_LF_TAGS):
        applies = _tags_table(tagging, database, table, resources)
        if applies is False:
            continue
        for value in _classification_values(tagging):
            rank = CLASSIFICATION_ORDER.index(value) if value in CLASSIFICATION_ORDER else None
            if applies is True and rank is not None:
                decided.append((rank, value, tagging.name))
            elif value is UNKNOWN or (rank is not None and rank >= CLASSIFICATION_ORDER.index("confidential")):
                undecided = True
    top = max((rank for rank, _, _ in decided), default=-1)
    if top >= CLASSIFICATION_ORDER.index("confidential") or not undecided:
        if top < 0:
            return None, []
        value = CLASSIFICATION_ORDER[top]
        return value, sorted({name for rank, _, name in decided if rank == top})
    return MAYBE, []


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
        description="Lake Formation grants name their tables (or share by LF-tag expression) instead of using a "
                    "table wildcard: table.wildcard, or a tableWithColumns on ALL_TABLES (a column wildcard on a "
                    "named table is allowed).",
        types=[PERMISSIONS], check=_no_wildcard, level=MANDATORY, severity=HIGH,
        remediation="Grant per table, or use LF-tag expressions to share a governed set of tables."),
    resource_policy(
        name="lakeformation-grant-not-expired", service="lakeformation",
        description="Consumer grants recorded in the grant register (SSM parameters tagged ddp:grant-account, "
                    "ddp:grant-expires, ddp:data-product) are not past their last valid day (UTC); a malformed "
                    "expiry is a violation. Not statically decidable: a grant without a register entry (no expiry "
                    "recorded) and an expiry unknown until apply (judged at update).",
        types=[GRANT_REGISTER], check=_grant_not_expired, level=MANDATORY, severity=HIGH, config=EXPIRY_CONFIG,
        remediation="Revoke the expired Lake Formation grant and delete its register entry, or renew the grant "
                    "with a new ddp:grant-expires date (YYYY-MM-DD)."),
    stack_policy(
        name="lakeformation-permissions-to-consumers-only", service="lakeformation",
        description="Lake Formation grants go only to the stack's own account or configured consumer accounts.",
        applies_to=[PERMISSIONS], check=_consumers_only, level=MANDATORY, severity=CRITICAL,
        config=CONSUMER_CONFIG,
        remediation="Add the account to consumerAccounts in the policy config, or remove the grant."),
]
