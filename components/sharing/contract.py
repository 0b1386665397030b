"""The data product contract: what a primary stack exports for each product, as one typed value.

The primary exports it (`to_export`, camelCase keys, plain JSON); the DR pilot light and consumer
stacks read it back through the same type (`from_export`). A contract written by an older or
newer program than the reader's fails with one clear message naming the producer stack and both
versions, before anything is declared.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi

from components.data_product.spec import DataProductSpec, levels_up_to

# Bump on any change of shape or meaning; readers accept exactly this version.
CONTRACT_VERSION = 3


class ContractError(Exception):
    """Another stack's export cannot be read as a data product contract."""


@dataclass(frozen=True, kw_only=True)
class BucketRef:
    name: str
    arn: str


@dataclass(frozen=True, kw_only=True)
class ReplicaContract:
    """The product's replicas in the DR region (owned by the primary's DrReplication)."""

    region: str
    key_arn: str
    buckets: Mapping[str, BucketRef]
    ods_table_arn: str


@dataclass(frozen=True, kw_only=True)
class DataProductContract:
    """Names, ARNs and endpoints of one product, the spec it was built from, and its replicas."""

    name: str
    owner: str
    classification: str
    description: str
    account_id: str
    region: str
    catalog_database: str
    buckets: Mapping[str, BucketRef]
    key_arn: str
    event_bus_arn: str
    event_bus_name: str
    event_source: str
    ods_table_name: str
    ods_table_arn: str
    ods_stream_arn: str
    alarm_topic_arn: str
    # The bus a consumer receives the product's change events on (in the consumer's account).
    share_bus_name: str
    spec: DataProductSpec
    consumers: tuple[str, ...] = ()
    stream_arn: Optional[str] = None
    dax_endpoint: Optional[str] = None
    sftp_endpoint: Optional[str] = None
    dr: Optional[ReplicaContract] = None
    version: int = CONTRACT_VERSION

    def to_export(self) -> dict[str, Any]:
        """Plain camelCase values for `pulumi.export` (the spec keeps its own field names)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "spec":
                value = value.to_dict()
            elif dataclasses.is_dataclass(value):
                value = _camel_keys(dataclasses.asdict(value))
            elif isinstance(value, Mapping):
                value = {k: _camel_keys(dataclasses.asdict(v)) if dataclasses.is_dataclass(v) else v
                         for k, v in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[_camel(f.name)] = value
        return out

    @classmethod
    def from_export(cls, data: Any, *, producer_stack: str) -> "DataProductContract":
        if not isinstance(data, Mapping):
            raise ContractError(f"stack {producer_stack} exports no data product contract here")
        version = data.get("version")
        if version != CONTRACT_VERSION:
            raise ContractError(
                f"stack {producer_stack} exports data product contract version {version!r}, this program reads "
                f"version {CONTRACT_VERSION}; run `pulumi up` on {producer_stack} with the same release of the "
                "platform first")
        try:
            values = {f.name: data[_camel(f.name)] for f in dataclasses.fields(cls) if _camel(f.name) in data}
            values["spec"] = DataProductSpec.from_dict(values["spec"])
            values["buckets"] = _bucket_refs(values["buckets"])
            values["consumers"] = tuple(values.get("consumers") or ())
            if values.get("dr"):
                values["dr"] = _replica({_snake(k): v for k, v in values["dr"].items()})
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ContractError(f"stack {producer_stack}: data product '{data.get('name')}' has a malformed "
                                f"contract ({type(exc).__name__}: {exc})") from None


def contract_output(fields: Mapping[str, Any], *, dr: Optional[pulumi.Input[Mapping[str, Any]]] = None
                    ) -> pulumi.Output[dict]:
    """The export of a contract whose fields may be Outputs (ARNs, names of resources being made)."""
    def build(values: dict) -> dict:
        replica, buckets = values.pop("dr"), _bucket_refs(values.pop("buckets"))
        return DataProductContract(**values, buckets=buckets, dr=_replica(replica) if replica else None).to_export()

    return pulumi.Output.all(**fields, dr=dr).apply(build)


def _bucket_refs(buckets: Mapping[str, Mapping[str, str]]) -> dict[str, BucketRef]:
    return {zone: BucketRef(**bucket) for zone, bucket in buckets.items()}


def _replica(fields: Mapping[str, Any]) -> ReplicaContract:
    """The replicas part from snake-case fields (region, key_arn, ods_table_arn, buckets)."""
    return ReplicaContract(**{**fields, "buckets": _bucket_refs(fields["buckets"])})


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def _camel_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_camel(k): v for k, v in values.items()}


__all__ = ["BucketRef", "CONTRACT_VERSION", "ContractError", "DataProductContract", "ReplicaContract",
           "contract_output"]


class GrantMissing(Exception):
    """The producer has not granted this account access to the data product."""


def check_grant(contract: Optional[DataProductContract], *, account_id: str, producer_stack: str, product: str) -> None:
    if contract is None:
        raise GrantMissing(f"producer stack {producer_stack} exports no data product '{product}'")
    consumers = list(contract.consumers)
    if account_id not in consumers:
        raise GrantMissing(
            f"producer stack {producer_stack} has not granted account {account_id} access to data product "
            f"'{product}' (granted: {consumers or 'nobody'}); ask its owner ({contract.owner}) to add "
            f"{account_id} to dataProducts[{product}].consumers")


def granted_columns(contract: DataProductContract, account_id: str, dataset: str) -> tuple[str, ...]:
    """The columns of `dataset` the producer's LF-tag grant lets `account_id` see: those classified
    up to its clearance (what Lake Formation matches; the rest stay hidden)."""
    grant = next(g for g in contract.spec.grants if g.account == account_id)
    spec = contract.spec.dataset(dataset)
    visible = levels_up_to(grant.clearance)
    return tuple(c.name for c in spec.columns
                 if spec.column_classification(c, contract.spec.classification) in visible)


def check_pins(contract: DataProductContract, pins: Sequence[str], *, account_id: str, producer_stack: str) -> tuple[str, ...]:
    """The dataset names of `pins` (`<dataset>@<major>`), each checked against the producer's
    contract: the dataset exists, at that major version, and is granted to this account."""
    grant = next((g for g in contract.spec.grants if g.account == account_id), None)
    datasets = {d.name: d for d in contract.spec.datasets}
    names = []
    for i, pin in enumerate(pins):
        name, major = pin.split("@")
        dataset = datasets.get(name)
        if dataset is None:
            raise PinMissing(i, f"{producer_stack} publishes no dataset '{name}' in {contract.name} "
                                f"(it publishes: {', '.join(f'{d.name}@{d.major}' for d in datasets.values()) or 'none'})")
        if dataset.major != int(major):
            raise PinMissing(i, f"{pin} no longer exists: {producer_stack} publishes {name} version {dataset.version}; "
                                f"review its changes and pin {name}@{dataset.major}")
        if grant is None or name not in grant.datasets:
            raise PinMissing(i, f"{producer_stack} has not granted dataset '{name}' to account {account_id} "
                                f"(granted: {', '.join(grant.datasets) if grant else 'nothing'}); ask {contract.owner}")
        names.append(name)
    return tuple(names)


class PinMissing(Exception):
    """A `consumes[].datasets` pin the producer does not (or no longer) publish or grant."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index
