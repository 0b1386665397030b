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
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from stackconfig.loader import PROJECT, SettingsError
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
