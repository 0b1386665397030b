"""Checks that span several keys of one stack file, each blaming the key to change.

`stack_problems` runs after the typed model validated, before any resource is declared. It
returns `(key path, message)` pairs (key paths are camelCase, as in the stack file), so the loader
can name the key the user must edit rather than the whole stack.
"""

from __future__ import annotations

from typing import Optional

from stackconfig import limits
from stackconfig.model import StackSettings
from components.foundation.regions import REGIONS

PROJECT = "data-delivery-platform"


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ARN the model already matched."""
    parts = arn.split(":")
    return parts[1], parts[3], parts[4]


def _certificate(key: str, arn: Optional[str], s: StackSettings) -> list[tuple[str, str]]:
    if arn is None:
        return []
    partition, region, account = _arn_parts(arn)
    if partition != s.partition:
        return [(key, f"must be an ACM certificate of partition {s.partition} (this stack's), got {partition}")]
    if region != s.region:
        return [(key, f"must be an ACM certificate of {s.region} (this stack's region; certificates are regional), "
                      f"got one of {region}")]
    if account != s.account.id:
        return [(key, f"must be an ACM certificate of account {s.account.id} (this stack's), got one of {account}; "
                      "a load balancer cannot use another account's certificate")]
    return []


def _reference(key: str, ref: str, *, stack: Optional[str], organization: Optional[str]) -> list[tuple[str, str]]:
    org, project, name = ref.split("/")
    if project != PROJECT:
        return [(key, f"'{ref}' is a stack of project '{project}'; reference a stack of {PROJECT} "
                      f"(<org>/{PROJECT}/<stack>)")]
    if stack is not None and name == stack and (organization is None or org == organization):
        return [(key, f"'{ref}' is this stack itself; reference another stack")]
    return []


def stack_problems(s: StackSettings, *, stack: Optional[str] = None,
                   organization: Optional[str] = None) -> list[tuple[str, str]]:
    """Every cross-key problem of `s`; `stack`/`organization` name the stack being loaded."""
    p: list[tuple[str, str]] = []
    given = s.model_fields_set
    dr_given = s.dr.model_fields_set

    # Regions.
    if s.dr_region is not None:
        if s.dr_region == s.region:
            p.append(("drRegion", f"must differ from aws:region ({s.region})"))
        elif REGIONS[s.dr_region][0] != s.partition:
            p.append(("drRegion", f"must be in partition {s.partition} like aws:region, got {s.dr_region} "
                                  f"({REGIONS[s.dr_region][0]})"))

    # Keys that do not apply to the stack's region role are errors, not silently ignored.
    if s.region_role == "dr":
        if s.primary_stack is None:
            p.append(("primaryStack", "required in a dr stack: <org>/<project>/<stack> of the primary it protects"))
        for key, field in (("dataProducts", "data_products"), ("services", "services"), ("consumes", "consumes")):
            if field in given:
                p.append((key, f"does not apply to a dr stack: the pilot light mirrors the primary's (primaryStack) "
                               f"{key}; declare them in the primary's stack file"))
        if "dr_region" in given:
            p.append(("drRegion", "does not apply to a dr stack: its region is aws:region; the primary names drRegion"))
        if "replication_time_control" in dr_given:
            p.append(("dr.replicationTimeControl", "applies to the primary stack, which owns replication"))
    else:
        if "primary_stack" in given:
            p.append(("primaryStack", "applies to dr stacks only (regionRole: dr); a primary stack references no primary"))
        for key in ("certificate_arn", "dax_enabled"):
            if key in dr_given:
                camel = "certificateArn" if key == "certificate_arn" else "daxEnabled"
                p.append((f"dr.{camel}", "applies to dr stacks only (regionRole: dr); in a primary stack each service "
                                         "names its own certificateArn and DAX is set per data product"))
        if s.dr_region is not None and not s.data_products:
            p.append(("drRegion", "this stack declares no dataProducts, so there is nothing to replicate; remove drRegion"))
        if "replication_time_control" in dr_given and s.dr_region is None:
            p.append(("dr.replicationTimeControl", "applies only with drRegion (S3 replication to the DR region)"))
        if s.dr.hosted_zone_id is not None and not any(v.runtime == "fargate" for v in s.services):
            p.append(("dr.hostedZoneId", "failover records point at Fargate services' load balancers and this stack "
                                         "declares none; remove dr.hostedZoneId and dr.domainName"))

    # Keys written in the stack file that the chosen mode does not use (the model accepts them
    # because other stacks' contracts round-trip every field).
    for i, prod in enumerate(s.data_products):
        ods = prod.operational_store
        if ods.sort_key is None and "sort_key_type" in ods.model_fields_set:
            p.append((f"dataProducts[{i}].operationalStore.sortKeyType", "applies only with a sortKey"))
    for i, svc in enumerate(s.services):
        if svc.runtime == "lambda" and "container_port" in svc.model_fields_set:
            p.append((f"services[{i}].containerPort", "does not apply to runtime lambda (its API Gateway "
                                                      "integration has no port)"))

    # Certificates: this stack's partition, region and account.
    p += _certificate("dr.certificateArn", s.dr.certificate_arn, s)
    for i, svc in enumerate(s.services):
        p += _certificate(f"services[{i}].certificateArn", svc.certificate_arn, s)

    # Names must be unique (they become resource names).
    seen: dict[str, int] = {}
    for i, prod in enumerate(s.data_products):
        if prod.name in seen:
            p.append((f"dataProducts[{i}].name", f"duplicate data product name '{prod.name}' (also dataProducts"
                                                 f"[{seen[prod.name]}]); names must be unique"))
        seen.setdefault(prod.name, i)
    seen = {}
    for i, svc in enumerate(s.services):
        if svc.name in seen:
            p.append((f"services[{i}].name", f"duplicate service name '{svc.name}' (also services[{seen[svc.name]}]); "
                                             "names must be unique"))
        seen.setdefault(svc.name, i)

    products = {prod.name: prod for prod in s.data_products}
    if s.region_role == "primary":
        for i, svc in enumerate(s.services):
            if svc.data_product not in products:
                p.append((f"services[{i}].dataProduct", f"service '{svc.name}' serves dataProduct '{svc.data_product}', "
                                                        f"which this stack does not declare; declared: {sorted(products)}"))
        if s.services and s.nat_strategy == "none":
            p.append(("network.natGateways", "none leaves the services' tasks and functions without a way to ECR, "
                                             "CloudWatch Logs, EventBridge, STS and KMS; use single (one NAT gateway) "
                                             "or one-per-az, or remove the services"))

    for i, prod in enumerate(s.data_products):
        for j, acct in enumerate(prod.consumers):
            if acct == s.account.id:
                p.append((f"dataProducts[{i}].consumers[{j}]", f"{acct} is this stack's own account; list other "
                                                               "accounts (this one already owns the product)"))
        # EventBridge: rules on the product's bus (one per event source, one per consumer account,
        # one per lambda service triggered by its events).
        sources = prod.ingestion.events.sources if prod.ingestion.events else []
        triggered = [v for v in s.services if v.data_product == prod.name and v.trigger == "events"]
        rules = len(sources) + len(prod.consumers) + len(triggered)
        if rules > limits.EVENT_BUS_RULES:
            key = f"dataProducts[{i}].consumers" if len(prod.consumers) >= len(sources) \
                else f"dataProducts[{i}].ingestion.events.sources"
            p.append((key, f"the product's event bus would need {rules} rules ({len(sources)} sources, "
                           f"{len(prod.consumers)} consumers, {len(triggered)} event-triggered services); "
                           f"EventBridge allows {limits.EVENT_BUS_RULES} per bus"))

    # Other stacks.
    if s.primary_stack is not None:
        p += _reference("primaryStack", s.primary_stack, stack=stack, organization=organization)
    used: dict[tuple[str, str], int] = {}
    for i, use in enumerate(s.consumes):
        p += _reference(f"consumes[{i}].stack", use.stack, stack=stack, organization=organization)
        key = (use.stack, use.data_product)
        if key in used:
            p.append((f"consumes[{i}]", f"consumes {use.data_product} from {use.stack} twice (also consumes"
                                        f"[{used[key]}])"))
        used.setdefault(key, i)

    # Alarms: required where they are raised, refused where nothing raises them.
    raises = s.region_role == "dr" or bool(s.data_products or s.services)
    if raises and s.alarms is None:
        p.append(("alarms", "required: this stack raises alarms (data products, services or a pilot light); give "
                            "alarms: {email: [oncall@example.com]} and/or {https: [https://...]} so they reach someone"))
    if not raises and s.alarms is not None:
        p.append(("alarms", "this stack declares no data products or services, so nothing raises alarms; remove alarms"))
    if not raises and "budget" in s.model_fields_set:
        p.append(("budget", "this stack has no alarm topic for the budget to notify (no data products or services); "
                            "remove budget"))
    return p
