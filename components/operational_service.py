"""OperationalService component (being built: see issue 4)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.context import NetworkRefs, ServedStore, StackContext
from stackconfig.model import ServiceSettings


@dataclass(frozen=True, kw_only=True)
class OperationalServiceArgs:
    service: ServiceSettings
    stack: StackContext
    network: NetworkRefs
    store: ServedStore
    pilot_light: bool = False


class OperationalService(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: OperationalServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ddp:index:OperationalService", name, None, opts)
        self.endpoint = pulumi.Output.from_input("")
        self.register_outputs({"endpoint": self.endpoint})
