"""DataProduct component (being built: see issue 3)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.context import NetworkRefs, ServedStore, StackContext
from stackconfig.model import DataProductSettings


@dataclass(frozen=True, kw_only=True)
class DataProductArgs:
    product: DataProductSettings
    stack: StackContext
    network: NetworkRefs


class DataProduct(pulumi.ComponentResource):
    contract: pulumi.Output[dict]

    def __init__(self, name: str, args: DataProductArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:DataProduct", name, None, opts)
        self.args = args
        self.contract = pulumi.Output.from_input({"name": args.product.name})
        self.register_outputs({"contract": self.contract})

    def served_store(self) -> ServedStore:
        raise NotImplementedError
