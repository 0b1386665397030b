"""Cross-stack sense: this stack's settings against the outputs of the stacks it references.

Pure functions over plain output dicts (what `pulumi.StackReference` returns, or what the offline
runner recorded), called before any resource is declared. Each raises `SettingsError` with one
line naming the stack file and the key of *this* stack to change.

- `check_primary`: a dr stack against its primary's outputs (`account`, `dataProducts`, `services`):
  same account and environment, a primary (not another dr stack) in another region, something to
  protect, and a network the primary's services can run in.
- `check_producer`: a `consumes[i]` entry against the producer's outputs: another account, a
  primary stack, and a data product it exports.
- `reference_keys`: the key path of every stack reference, so a cycle can be reported at a key.
- `read_upstream`: reads the referenced stacks' outputs (StackReference) and applies the checks
  above, the contract version and the grants, returning typed contracts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import pulumi

from components.dr.pilot_light import PilotLightError, check_replicated
from components.sharing.contract import (ContractError, DataProductContract, GrantMissing, PinMissing, check_grant,
                                        check_pins)
from components.sharing.stack_outputs import read_stack_outputs
from stackconfig.loader import PROJECT, SettingsError
from components.operational_service.spec import ServiceSpec
from stackconfig.model import StackSettings


def reference_keys(settings: StackSettings) -> list[tuple[str, str]]:
    """(key path, referenced stack) for primaryStack and every consumes[i].stack."""
    refs = [("primaryStack", settings.primary_stack)] if settings.primary_stack else []
    return refs + [(f"consumes[{i}].stack", use.stack) for i, use in enumerate(settings.consumes)]


def _fail(source: str, key: str, message: str) -> None:
    raise SettingsError(f"{source}: {PROJECT}:{key}: {message}")


def _account(outputs: Mapping[str, Any]) -> Mapping[str, Any]:
    account = outputs.get("account")
    return account if isinstance(account, Mapping) else {}


def check_primary(settings: StackSettings, outputs: Optional[Mapping[str, Any]], *, source: str) -> None:
    """A dr stack's settings against its primary's stack outputs."""
    ref = settings.primary_stack
    if not outputs:
        _fail(source, "primaryStack", f"stack {ref} has no outputs; run `pulumi up` on the primary first")
    account = _account(outputs)
    if account.get("role") not in (None, "primary"):
        _fail(source, "primaryStack", f"{ref} is a {account.get('role')} stack; reference the primary stack it protects")
    if account.get("id") not in (None, settings.account.id):
        _fail(source, "account.id", f"{settings.account.id} differs from the primary's account {account.get('id')} "
                                    f"({ref}); the pilot light lives in its primary's account")
    if account.get("region") == settings.region:
        _fail(source, "primaryStack", f"{ref} runs in {settings.region} too; a dr stack runs in the primary's drRegion")
    for key, mine in (("environment", settings.environment), ("businessUnit", settings.business_unit)):
        theirs = account.get(key)
        if theirs is not None and theirs != mine:
            _fail(source, key, f"'{mine}' differs from the primary's {key} '{theirs}' ({ref}); a dr stack protects "
                               "its own business unit and environment")
    products = outputs.get("dataProducts") or {}
    services = outputs.get("services") or {}
    if not products and not services:
        _fail(source, "primaryStack", f"{ref} declares no data products or services: nothing to protect; remove this "
                                      "dr stack or add data products to the primary")
    if services and settings.nat_strategy == "none":
        _fail(source, "network.natGateways", f"none leaves the pilot light's services ({', '.join(sorted(services))}, "
                                             "from the primary) without a way to ECR, CloudWatch Logs, EventBridge, "
                                             "STS and KMS after failover; use single or one-per-az")


def check_producer(settings: StackSettings, index: int, outputs: Optional[Mapping[str, Any]], *,
                   source: str) -> None:
    """consumes[index] against the producer stack's outputs."""
    use = settings.consumes[index]
    key = f"consumes[{index}]"
    if not outputs:
        _fail(source, f"{key}.stack", f"stack {use.stack} has no outputs; the producer must run `pulumi up` first")
    account = _account(outputs)
    if account.get("id") == settings.account.id:
        _fail(source, f"{key}.stack", f"{use.stack} deploys into this stack's own account {settings.account.id}; "
                                      "consume other business units' products (a BU reads its own directly)")
    if account.get("role") not in (None, "primary"):
        _fail(source, f"{key}.stack", f"{use.stack} is a {account.get('role')} stack; consume from the primary")
    products = outputs.get("dataProducts") or {}
    if use.data_product not in products:
        exported = ", ".join(sorted(products)) or "none"
        _fail(source, f"{key}.dataProduct", f"{use.stack} exports no data product '{use.data_product}'; "
                                            f"it exports: {exported}")


# --- reading the referenced stacks, before anything is declared --------------------------------

@dataclass(frozen=True)
class Upstream:
    """What other stacks give this one: the primary's products and services (dr stacks), and the
    consumed products by `consumes` index."""

    primary_products: dict[str, DataProductContract] = field(default_factory=dict)
    primary_services: dict[str, Any] = field(default_factory=dict)
    consumed: dict[int, DataProductContract] = field(default_factory=dict)
    # The pinned datasets' names by `consumes` index (checked against the contract).
    consumed_datasets: dict[int, tuple[str, ...]] = field(default_factory=dict)


def read_upstream(settings: StackSettings, *, source: str) -> Upstream:
    """Read and check every referenced stack's contract. A missing grant, replica, version or
    product stops the run with one line naming this stack's key, before anything is declared."""
    upstream = Upstream()
    if settings.region_role == "dr":
        outputs = read_stack_outputs(pulumi.StackReference("primary", stack_name=settings.primary_stack),
                                     "account", "dataProducts", "services")
        check_primary(settings, outputs, source=source)
        for name, export in (outputs["dataProducts"] or {}).items():
            contract = _contract(export, settings.primary_stack, "primaryStack", source)
            try:
                check_replicated(contract, primary_stack=settings.primary_stack, region=settings.region)
            except PilotLightError as exc:
                _fail(source, exc.key, str(exc))
            upstream.primary_products[name] = contract
        upstream.primary_services.update(outputs["services"] or {})
    for i, use in enumerate(settings.consumes):
        outputs = read_stack_outputs(pulumi.StackReference(f"{use.stack}-{use.data_product}", stack_name=use.stack),
                                     "account", "dataProducts")
        check_producer(settings, i, outputs, source=source)
        contract = _contract((outputs["dataProducts"] or {}).get(use.data_product), use.stack, f"consumes[{i}]", source)
        try:
            check_grant(contract, account_id=settings.account.id, producer_stack=use.stack, product=use.data_product)
            upstream.consumed_datasets[i] = check_pins(contract, use.datasets, account_id=settings.account.id,
                                                       producer_stack=use.stack)
        except GrantMissing as exc:
            _fail(source, f"consumes[{i}]", str(exc))
        except PinMissing as exc:
            _fail(source, f"consumes[{i}].datasets[{exc.index}]", str(exc))
        upstream.consumed[i] = contract
    return upstream


def _contract(export: Any, producer_stack: str, key: str, source: str) -> DataProductContract:
    try:
        return DataProductContract.from_export(export, producer_stack=producer_stack)
    except ContractError as exc:
        _fail(source, key, str(exc))
        raise  # unreachable: _fail raises


def service_specs_in_dr(settings: StackSettings, upstream: Upstream, *, source: str) -> dict[str, ServiceSpec]:
    """The primary's services as this DR stack runs them (see `pilot_light_service`)."""
    try:
        return {name: pilot_light_service(entry, account_id=settings.account.id, region=settings.region,
                                          certificate_arn=settings.dr.certificate_arn)
                for name, entry in upstream.primary_services.items()}
    except PilotLightError as exc:
        _fail(source, exc.key, str(exc))
        raise  # unreachable: _fail raises


def pilot_light_service(entry: Mapping[str, Any], *, account_id: str, region: str,
                        certificate_arn: Optional[str]) -> ServiceSpec:
    """The primary's service (its exported spec) as the DR region runs it: the replicated image,
    and the DR region's certificate (ACM certificates are regional)."""
    spec = ServiceSpec.from_dict(entry["spec"])
    if spec.build_image:  # the primary's ECR replication put the same image into this region
        # Replication keeps the digest: DR runs exactly the image the primary runs.
        registry = f"{account_id}.dkr.ecr.{region}.amazonaws.com"
        digest = entry["image"]["uri"].rsplit("@", 1)[-1]
        spec = dataclasses.replace(spec, build_image=False,
                                   image=f"{registry}/{entry['image']['repository']}@{digest}")
    if spec.runtime == "fargate":
        if certificate_arn is None:
            raise PilotLightError("dr.certificateArn", f"required: the primary runs Fargate service '{spec.name}', "
                                  f"whose HTTPS listener needs an ACM certificate of {region}")
        spec = dataclasses.replace(spec, certificate_arn=certificate_arn)
    return spec
