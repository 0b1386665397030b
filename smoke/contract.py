"""What a flow knows about a stack: its outputs, read into small typed views.

The outputs are all a smoke test gets from a deployed stack (`pulumi stack output --json`), so the
flows start from them and find everything else on the platform itself (tags, job arguments,
delivery stream sources). The same views serve the offline graph's outputs in CI.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

# The tag every data-holding resource of a product carries (components/foundation/blueprint.data_tags)
# and the org tags every resource carries (the provider's default tags). The flows find a product's
# Glue jobs and delivery streams by them, as the runbook finds what it fails over.
TAG_DATA_PRODUCT = "data-product"
TAG_BUSINESS_UNIT = "business-unit"
TAG_ENVIRONMENT = "environment"
TAG_REGION_ROLE = "region-role"


class OutputsError(ValueError):
    """The stack outputs cannot be read or are not a Data Delivery Platform stack's."""


@dataclass(frozen=True)
class Product:
    """One data product's contract (`dataProducts.<name>` of the producer's outputs)."""

    name: str
    account: str
    region: str
    raw_bucket: str
    curated_bucket: str
    reportable_bucket: str
    key_arn: str
    bus_name: str
    bus_arn: str
    event_source: str
    table_name: str
    catalog_database: str
    stream_arn: Optional[str]
    share_bus_name: Optional[str]
    consumers: tuple[str, ...]
    spec: Mapping[str, Any]

    @property
    def partition(self) -> str:
        return self.bus_arn.split(":")[1]

    @property
    def ingestion(self) -> Mapping[str, Any]:
        return self.spec.get("ingestion") or {}

    @property
    def partition_key(self) -> str:
        return self.spec["operational_store"]["partition_key"]

    @property
    def sort_key(self) -> Optional[str]:
        return self.spec["operational_store"].get("sort_key")

    def key_type(self, which: str) -> str:
        return self.spec["operational_store"].get(f"{which}_key_type") or "S"

    @property
    def event_sources(self) -> tuple[str, ...]:
        return tuple((self.ingestion.get("events") or {}).get("sources") or ())

    def inbox_arn(self, consumer: str) -> str:
        """The consumer's inbox bus this product forwards its change events to."""
        return f"arn:{self.partition}:events:{self.region}:{consumer}:event-bus/{self.share_bus_name}"


@dataclass(frozen=True)
class Service:
    """One operational service (`services.<name>`)."""

    name: str
    runtime: str
    endpoint: str
    data_product: str
    spec: Mapping[str, Any]

    @property
    def public_login(self) -> Optional[str]:
        """"oidc" or "cognito" when the load balancer logs callers in, else None."""
        public = self.spec.get("public") or {}
        return next((kind for kind in ("oidc", "cognito") if public.get(kind)), None)

    @property
    def authorizer(self) -> Optional[str]:
        return self.spec.get("authorizer")


@dataclass(frozen=True)
class Consumed:
    """A product this stack consumes (`consumes.<key>`)."""

    key: str
    producer_stack: str
    data_product: str
    inbox_bus_arn: str

    @property
    def account(self) -> str:
        return self.inbox_bus_arn.split(":")[4]


@dataclass(frozen=True)
class StackContract:
    stack: str
    account: str
    region: str
    role: str
    business_unit: str
    environment: str
    products: dict[str, Product] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    consumes: dict[str, Consumed] = field(default_factory=dict)

    def scope_tags(self) -> dict[str, str]:
        """The org tags that put a resource in this stack (business unit, environment, region role)."""
        return {TAG_BUSINESS_UNIT: self.business_unit, TAG_ENVIRONMENT: self.environment, TAG_REGION_ROLE: self.role}

    @classmethod
    def from_outputs(cls, stack: str, outputs: Mapping[str, Any]) -> "StackContract":
        account = outputs.get("account")
        if not isinstance(account, Mapping) or "id" not in account:
            raise OutputsError(f"stack {stack}: the outputs have no account.id; is this a data-delivery-platform stack?")
        products = {name: _product(name, value, account) for name, value in (outputs.get("dataProducts") or {}).items()}
        services = {name: Service(name=name, runtime=value["spec"]["runtime"], endpoint=value.get("endpoint") or "",
                                  data_product=value["spec"]["data_product"], spec=value["spec"])
                    for name, value in (outputs.get("services") or {}).items()}
        consumes = {key: Consumed(key=key, producer_stack=value["producerStack"], data_product=value["dataProduct"],
                                  inbox_bus_arn=value["inboxBusArn"])
                    for key, value in (outputs.get("consumes") or {}).items() if value.get("inboxBusArn")}
        return cls(stack=stack, account=str(account["id"]), region=account["region"], role=account["role"],
                   business_unit=account["businessUnit"], environment=account["environment"],
                   products=products, services=services, consumes=consumes)


def _product(name: str, value: Mapping[str, Any], account: Mapping[str, Any]) -> Product:
    buckets = value["buckets"]
    return Product(
        name=name, account=str(value.get("accountId") or account["id"]), region=value.get("region") or account["region"],
        raw_bucket=buckets["raw"]["name"], curated_bucket=buckets["curated"]["name"],
        reportable_bucket=buckets["reportable"]["name"], key_arn=value["keyArn"], bus_name=value["eventBusName"],
        bus_arn=value["eventBusArn"], event_source=value["eventSource"], table_name=value["odsTableName"],
        catalog_database=value["catalogDatabase"], stream_arn=value.get("streamArn"),
        share_bus_name=value.get("shareBusName"), consumers=tuple(str(c) for c in value.get("consumers") or ()),
        spec=value["spec"])


def read_outputs_file(path: Path, stack: str) -> dict[str, Any]:
    """A `--outputs FILE`: either the stack's outputs, or `{"<org>/<project>/<stack>": outputs}` as
    `python -m offline.preview <stack> --outputs FILE` writes them."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise OutputsError(f"--outputs {path}: {exc}") from None
    if not isinstance(data, dict):
        raise OutputsError(f"--outputs {path}: not a JSON object")
    if "account" in data:
        return data
    named = {key: value for key, value in data.items() if key.rsplit("/", 1)[-1] == stack}
    if len(named) != 1:
        raise OutputsError(f"--outputs {path}: no outputs of stack {stack} (has {', '.join(sorted(data)) or 'nothing'})")
    return next(iter(named.values()))


def pulumi_outputs(stack: str, *, cwd: Optional[Path] = None) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets -s <stack>`: the deployed stack's outputs."""
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "-s", stack]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError:
        raise OutputsError("the pulumi CLI is not installed; pass --outputs FILE instead") from None
    if done.returncode != 0:
        raise OutputsError(f"{' '.join(command)}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}")
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise OutputsError(f"{' '.join(command)}: not JSON ({exc})") from None
