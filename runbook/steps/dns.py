"""Route 53 failover record: make the DR endpoint the PRIMARY of `<record-name>`.

Expected records (deployed by the platform): two failover records for the name, each with a
health check; the DR one has SetIdentifier `dr` (override with --dr-set-identifier), the other
is the primary region's. Failover UPSERTs both in ONE change batch with their roles swapped:
the DR record becomes Failover=PRIMARY, the primary's becomes SECONDARY. Failback swaps back.

Why a swap rather than inverting or disabling the primary's health check: during a real outage
the primary's health check is already failing, and an inverted check would then report the dead
primary as healthy (a disabled check is always healthy). A swap keeps both health checks in
force: traffic goes to DR while DR is healthy, and Route 53 still falls back to the other record
if DR is not. Nothing needs to be remembered for failback: each record keeps its own target.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error
from runbook.context import RunContext
from runbook.steps import Mode

STEP = "dns"


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _target(record: dict) -> str:
    if "AliasTarget" in record:
        return record["AliasTarget"]["DNSName"].rstrip(".")
    return ",".join(r["Value"] for r in record.get("ResourceRecords", []))


def plan(ctx: RunContext, mode: Mode, hosted_zone_id: str, record_name: str, dr_set_identifier: str = "dr") -> list[Action]:
    route53 = ctx.client("route53", "dr")
    label = f"route53 record {record_name}"
    try:
        page = route53.list_resource_record_sets(
            HostedZoneId=hosted_zone_id, StartRecordName=_fqdn(record_name), MaxItems="100"
        )
    except (ClientError, BotoCoreError) as exc:
        return [error(STEP, label, exc)]
    records = [r for r in page.get("ResourceRecordSets", [])
               if _fqdn(r["Name"]) == _fqdn(record_name) and r.get("Failover")]
    dr = [r for r in records if r.get("SetIdentifier") == dr_set_identifier]
    other = [r for r in records if r.get("SetIdentifier") != dr_set_identifier and r["Type"] == (dr[0]["Type"] if dr else None)]
    if len(dr) != 1 or len(other) != 1:
        return [error(STEP, label, f"expected two failover records, one with SetIdentifier {dr_set_identifier!r}; "
                                    f"found {sorted(r.get('SetIdentifier', '') for r in records)}")]
    dr_rec, primary_rec = dr[0], other[0]
    missing = [r["SetIdentifier"] for r in (dr_rec, primary_rec) 
               if not r.get("HealthCheckId") and not r.get("AliasTarget", {}).get("EvaluateTargetHealth")]
    if missing:
        return [error(STEP, label, f"records without a health check: {missing}; refusing to route to an unchecked endpoint")]

    want_dr_role = "PRIMARY" if mode == "failover" else "SECONDARY"
    current = f"PRIMARY={_target(dr_rec if dr_rec['Failover'] == 'PRIMARY' else primary_rec)}"
    desired_target = _target(dr_rec if want_dr_role == "PRIMARY" else primary_rec)
    if dr_rec["Failover"] == want_dr_role:
        return [Action(STEP, label, current)]

    other_role = "SECONDARY" if want_dr_role == "PRIMARY" else "PRIMARY"
    changes = [
        {"Action": "UPSERT", "ResourceRecordSet": {**dr_rec, "Failover": want_dr_role}},
        {"Action": "UPSERT", "ResourceRecordSet": {**primary_rec, "Failover": other_role}},
    ]

    def write():
        route53.change_resource_record_sets(
            HostedZoneId=hosted_zone_id,
            ChangeBatch={"Comment": f"ddp runbook {mode} {ctx.business_unit}-{ctx.environment}", "Changes": changes},
        )

    return [Action(STEP, label, current, f"PRIMARY={desired_target}", write)]
