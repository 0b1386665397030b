"""Checks that span several keys of one stack file, each blaming the key to change.

`stack_problems` runs after the typed model validated, before any resource is declared. It
returns `(key path, message)` pairs (key paths are camelCase, as in the stack file), so the loader
can name the key the user must edit rather than the whole stack.
"""

from __future__ import annotations

from typing import Optional

from stackconfig import limits
from stackconfig.model import DataProductSettings, StackSettings
from components.foundation import naming
from components.foundation.naming import dataset_event_source
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
    problems = _region_problems(s)
    # Keys that do not apply to the stack's region role are errors, not silently ignored.
    problems += _dr_stack_problems(s) if s.region_role == "dr" else _primary_stack_problems(s)
    problems += _keys_the_mode_ignores(s)
    problems += _certificate_problems(s)
    problems += _duplicate_names(s)
    if s.region_role == "primary":
        problems += _service_problems(s)
    for index, product in enumerate(s.data_products):
        problems += _consumer_problems(s, index, product)
        problems += _own_source_problems(s, index, product)
    problems += _reference_problems(s, stack=stack, organization=organization)
    problems += _alarm_problems(s)
    return problems


def _region_problems(s: StackSettings) -> list[tuple[str, str]]:
    if s.dr_region is None:
        return []
    if s.dr_region == s.region:
        return [("drRegion", f"must differ from aws:region ({s.region})")]
    if REGIONS[s.dr_region][0] != s.partition:
        return [("drRegion", f"must be in partition {s.partition} like aws:region, got {s.dr_region} "
                             f"({REGIONS[s.dr_region][0]})")]
    return []


def _dr_stack_problems(s: StackSettings) -> list[tuple[str, str]]:
    problems = []
    given = s.model_fields_set
    if s.primary_stack is None:
        problems.append(("primaryStack", "required in a dr stack: <org>/<project>/<stack> of the primary it protects"))
    for key, field in (("dataProducts", "data_products"), ("services", "services"), ("consumes", "consumes")):
        if field in given:
            problems.append((key, f"does not apply to a dr stack: the pilot light mirrors the primary's (primaryStack) "
                                  f"{key}; declare them in the primary's stack file"))
    if "dr_region" in given:
        problems.append(("drRegion", "does not apply to a dr stack: its region is aws:region; the primary names "
                                     "drRegion"))
    if "replication_time_control" in s.dr.model_fields_set:
        problems.append(("dr.replicationTimeControl", "applies to the primary stack, which owns replication"))
    return problems


def _primary_stack_problems(s: StackSettings) -> list[tuple[str, str]]:
    problems = []
    dr_given = s.dr.model_fields_set
    if "primary_stack" in s.model_fields_set:
        problems.append(("primaryStack", "applies to dr stacks only (regionRole: dr); a primary stack references no "
                                         "primary"))
    for field, key in (("certificate_arn", "certificateArn"), ("dax_enabled", "daxEnabled")):
        if field in dr_given:
            problems.append((f"dr.{key}", "applies to dr stacks only (regionRole: dr); in a primary stack each service "
                                          "names its own certificateArn and DAX is set per data product"))
    if s.dr_region is not None and not s.data_products:
        problems.append(("drRegion", "this stack declares no dataProducts, so there is nothing to replicate; remove "
                                     "drRegion"))
    if "replication_time_control" in dr_given and s.dr_region is None:
        problems.append(("dr.replicationTimeControl", "applies only with drRegion (S3 replication to the DR region)"))
    if s.dr.hosted_zone_id is not None and not any(service.runtime == "fargate" for service in s.services):
        problems.append(("dr.hostedZoneId", "failover records point at Fargate services' load balancers and this "
                                            "stack declares none; remove dr.hostedZoneId and dr.domainName"))
    return problems


def _keys_the_mode_ignores(s: StackSettings) -> list[tuple[str, str]]:
    """Keys written in the stack file that the chosen mode does not use (the model accepts them
    because other stacks' contracts round-trip every field)."""
    problems = []
    for index, product in enumerate(s.data_products):
        store = product.operational_store
        if store.sort_key is None and "sort_key_type" in store.model_fields_set:
            problems.append((f"dataProducts[{index}].operationalStore.sortKeyType", "applies only with a sortKey"))
    for index, service in enumerate(s.services):
        if service.runtime == "lambda" and "container_port" in service.model_fields_set:
            problems.append((f"services[{index}].containerPort", "does not apply to runtime lambda (its API Gateway "
                                                                 "integration has no port)"))
    return problems


def _certificate_problems(s: StackSettings) -> list[tuple[str, str]]:
    """Certificates: this stack's partition, region and account."""
    problems = _certificate("dr.certificateArn", s.dr.certificate_arn, s)
    for index, service in enumerate(s.services):
        problems += _certificate(f"services[{index}].certificateArn", service.certificate_arn, s)
    return problems


def _duplicate_names(s: StackSettings) -> list[tuple[str, str]]:
    """Names must be unique (they become resource names)."""
    problems = []
    seen: dict[str, int] = {}
    for index, product in enumerate(s.data_products):
        if product.name in seen:
            problems.append((f"dataProducts[{index}].name", f"duplicate data product name '{product.name}' (also "
                             f"dataProducts[{seen[product.name]}]); names must be unique"))
        seen.setdefault(product.name, index)
    seen = {}
    for index, service in enumerate(s.services):
        if service.name in seen:
            problems.append((f"services[{index}].name", f"duplicate service name '{service.name}' (also "
                                                        f"services[{seen[service.name]}]); names must be unique"))
        seen.setdefault(service.name, index)
    return problems


def _service_problems(s: StackSettings) -> list[tuple[str, str]]:
    """A primary stack's services serve its own data products and reach AWS through a NAT gateway."""
    problems = []
    products = {product.name for product in s.data_products}
    for index, service in enumerate(s.services):
        if service.data_product not in products:
            problems.append((f"services[{index}].dataProduct", f"service '{service.name}' serves dataProduct "
                                                               f"'{service.data_product}', which this stack does not "
                                                               f"declare; declared: {sorted(products)}"))
    if s.services and s.nat_strategy == "none":
        problems.append(("network.natGateways", "none leaves the services' tasks and functions without a way to ECR, "
                                                "CloudWatch Logs, EventBridge, STS and KMS; use single (one NAT "
                                                "gateway) or one-per-az, or remove the services"))
    return problems


def _consumer_problems(s: StackSettings, index: int, product: DataProductSettings) -> list[tuple[str, str]]:
    """A product's consumers are other accounts, and its event bus fits their rules."""
    problems = []
    for consumer_index, grant in enumerate(product.consumers):
        if grant.account == s.account.id:
            problems.append((f"dataProducts[{index}].consumers[{consumer_index}]", f"{grant.account} is this stack's own "
                             "account; list other accounts (this one already owns the product)"))
    # EventBridge: rules on the product's bus (one per event source, one per consumer account,
    # one per lambda service triggered by its events).
    sources = product.ingestion.events.sources if product.ingestion.events else []
    triggered = [service for service in s.services
                 if service.data_product == product.name and service.trigger == "events"]
    rules = len(sources) + len(product.consumers) + len(triggered)
    if rules > limits.EVENT_BUS_RULES:
        key = f"dataProducts[{index}].consumers" if len(product.consumers) >= len(sources) \
            else f"dataProducts[{index}].ingestion.events.sources"
        problems.append((key, f"the product's event bus would need {rules} rules ({len(sources)} sources, "
                              f"{len(product.consumers)} consumers, {len(triggered)} event-triggered services); "
                              f"EventBridge allows {limits.EVENT_BUS_RULES} per bus"))
    return problems


def _own_source_problems(s: StackSettings, index: int, product: DataProductSettings) -> list[tuple[str, str]]:
    """The sources the product publishes under itself (services' changes, dataset publishes) are
    never ingested into its store: the ODS writer would re-apply the product's own events."""
    own = (naming.service_event_source(s.business_unit, product.name),
           dataset_event_source(s.business_unit, product.name))
    sources = product.ingestion.events.sources if product.ingestion.events else []
    return [(f"dataProducts[{index}].ingestion.events.sources[{i}]",
             f"'{source}' is the source {product.name} publishes its own events under; ingest other sources")
            for i, source in enumerate(sources) if source in own]


def _reference_problems(s: StackSettings, *, stack: Optional[str],
                        organization: Optional[str]) -> list[tuple[str, str]]:
    """Other stacks: the primary a dr stack protects and the stacks whose products it consumes."""
    problems = []
    if s.primary_stack is not None:
        problems += _reference("primaryStack", s.primary_stack, stack=stack, organization=organization)
    used: dict[tuple[str, str], int] = {}
    for index, use in enumerate(s.consumes):
        problems += _reference(f"consumes[{index}].stack", use.stack, stack=stack, organization=organization)
        key = (use.stack, use.data_product)
        if key in used:
            problems.append((f"consumes[{index}]", f"consumes {use.data_product} from {use.stack} twice (also "
                                                   f"consumes[{used[key]}])"))
        used.setdefault(key, index)
    return problems


def _alarm_problems(s: StackSettings) -> list[tuple[str, str]]:
    """Alarms: required where they are raised, refused where nothing raises them."""
    raises = s.region_role == "dr" or bool(s.data_products or s.services)
    if raises and s.alarms is None:
        return [("alarms", "required: this stack raises alarms (data products, services or a pilot light); give "
                           "alarms: {email: [oncall@example.com]} and/or {https: [https://...]} so they reach someone")]
    problems = []
    if not raises and s.alarms is not None:
        problems.append(("alarms", "this stack declares no data products or services, so nothing raises alarms; "
                                   "remove alarms"))
    if not raises and "budget" in s.model_fields_set:
        problems.append(("budget", "this stack has no alarm topic for the budget to notify (no data products or "
                                   "services); remove budget"))
    return problems
