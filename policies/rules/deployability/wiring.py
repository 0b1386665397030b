"""Resources wired so AWS accepts them: cross-account Lake Formation grants carry the grant
option, S3 replication waits for versioning, tables ignore replicas a TableReplica manages."""
from __future__ import annotations

import re
from typing import Any

from .._base import HIGH, MANDATORY, as_list, of_type, resource_keys, safe_get, stack_policy
from ._graph import BUCKETS, LF_PERMISSIONS, REPLICATION, SERVICE, TABLE, TABLE_REPLICA, VERSIONING, _bucket_name, _refs, _stack_accounts

# --- b. cross-account Lake Formation grants carry the grant option ------------------------------

# What a consumer account's admin passes on to its own principals (Lake Formation Developer Guide,
# "Granting permissions on Data Catalog resources" / cross-account: the recipient account can grant
# only what it received with the grant option).
PASSED_ON = {"table": {"SELECT", "DESCRIBE"}, "tableWithColumns": {"SELECT", "DESCRIBE"}, "database": {"DESCRIBE"}}


def _lf_grant_option(resources, cfg):
    for p in of_type(resources, LF_PERMISSIONS):
        principal = safe_get(p.props, "principal")
        if not isinstance(principal, str) or not re.fullmatch(r"\d{12}", principal):
            continue
        if principal in _stack_accounts(p):
            continue
        granted = {str(x).upper() for x in as_list(safe_get(p.props, "permissions"))}
        with_option = {str(x).upper() for x in as_list(safe_get(p.props, "permissionsWithGrantOptions"))}
        kind = next((k for k in ("tableWithColumns", "table", "database") if safe_get(p.props, k)), None)
        label = f"a {kind}"
        if kind is None and safe_get(p.props, "lfTagPolicy"):
            # LF-TBAC: an expression over DATABASE or TABLE resources passes on like those resources
            resource_type = str(safe_get(p.props, "lfTagPolicy", "resourceType") or "").upper()
            kind = {"DATABASE": "database", "TABLE": "table"}.get(resource_type)
            label = f"an LF-tag expression on {resource_type} resources"
        if kind is None:
            continue
        needed = granted & PASSED_ON[kind]
        if kind != "database" and "SELECT" in granted:
            needed.add("DESCRIBE")
        missing = sorted(needed - with_option)
        if missing:
            yield (f"Lake Formation grant '{p.name}' to account {principal} on {label} lacks "
                   f"permissionsWithGrantOptions {', '.join(missing)}: the consumer cannot pass it on to its "
                   f"own principals."), p.urn


# --- c. replication waits for versioning on both sides --------------------------------------------

def _replication_waits_for_versioning(resources, cfg):
    buckets: dict[str, Any] = {}
    for b in of_type(resources, *BUCKETS):
        for ref in resource_keys(b, "bucket", "id", "arn"):
            buckets[_bucket_name(ref)] = b
    versioning: dict[str, list] = {}
    for v in of_type(resources, *VERSIONING):
        for ref in _refs(v, "bucket"):
            bucket = buckets.get(_bucket_name(ref))
            if bucket is not None:
                versioning.setdefault(bucket.urn, []).append(v)
                break
    for rc in of_type(resources, REPLICATION):
        depends = {d.urn for d in (rc.dependencies or [])}
        sides = [("source", _refs(rc, "bucket"))]
        rules = safe_get(rc.props, "rules") or []
        destinations = {safe_get(rule, "destination", "bucket") for rule in as_list(rules)}
        sides.append(("destination", {d for d in destinations if isinstance(d, str)} | _refs(rc, "rules")))
        for side, refs in sides:
            seen: set[str] = set()
            for ref in refs:
                bucket = buckets.get(_bucket_name(ref))
                if bucket is None or bucket.urn in seen:
                    continue
                seen.add(bucket.urn)
                settings = versioning.get(bucket.urn, [])
                if not settings:
                    yield (f"Replication '{rc.name}' uses {side} bucket '{bucket.name}', which has no "
                           f"versioning resource in the stack; S3 rejects replication without versioning."), rc.urn
                elif not any(v.urn in depends for v in settings):
                    yield (f"Replication '{rc.name}' does not depend on '{settings[0].name}', the versioning of "
                           f"its {side} bucket '{bucket.name}'; add it to depends_on (S3 rejects replication "
                           f"configured before versioning is enabled)."), rc.urn


# --- d. tables with managed replicas ignore them -------------------------------------------------

def _tables_ignore_managed_replicas(resources, cfg):
    tables: dict[str, Any] = {}
    for t in of_type(resources, TABLE):
        for ref in resource_keys(t, "arn", "name", "id"):
            tables[ref] = t
    flagged: set[str] = set()
    for replica in of_type(resources, TABLE_REPLICA):
        table = next((tables[r] for r in _refs(replica, "globalTableArn") if r in tables), None)
        if table is None or table.urn in flagged:
            continue
        ignored = [str(p) for p in (table.opts.ignore_changes or [])]
        if not any(p in ("replicas", "replicas[*]") for p in ignored):
            flagged.add(table.urn)
            yield (f"DynamoDB table '{table.name}' has its replica managed by TableReplica '{replica.name}' but "
                   f"does not ignore changes to 'replicas'; the next update of the table would remove the "
                   f"replica. Add ignore_changes=['replicas']."), table.urn



POLICIES = [
    stack_policy(
        name="lakeformation-cross-account-grant-option", service=SERVICE,
        description="Lake Formation grants to another account carry permissionsWithGrantOptions covering what "
                    "the consumer passes on (SELECT and DESCRIBE on tables, DESCRIBE on databases; the same for "
                    "LF-tag expressions on TABLE and DATABASE resources).",
        applies_to=[LF_PERMISSIONS], check=_lf_grant_option, level=MANDATORY, severity=HIGH,
        remediation="Set permissions_with_grant_options to the granted SELECT/DESCRIBE permissions."),
    stack_policy(
        name="s3-replication-depends-on-versioning", service=SERVICE,
        description="S3 replication configurations depend on the versioning resources of their source and "
                    "destination buckets.",
        applies_to=[REPLICATION], check=_replication_waits_for_versioning, level=MANDATORY, severity=HIGH,
        reads=BUCKETS + VERSIONING,
        remediation="Pass depends_on=[source_versioning, destination_versioning] to the BucketReplicationConfig."),
    stack_policy(
        name="dynamodb-table-ignores-managed-replicas", service=SERVICE,
        description="A DynamoDB table whose replica a TableReplica manages ignores changes to 'replicas'.",
        applies_to=[TABLE_REPLICA], check=_tables_ignore_managed_replicas, level=MANDATORY, severity=HIGH,
        reads=(TABLE,),
        remediation="Create the table with ResourceOptions(ignore_changes=['replicas'])."),
]
