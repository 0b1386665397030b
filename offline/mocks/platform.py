"""PlatformMocks: the Pulumi mocks that answer registrations and invokes like AWS for one account.

Registrations go to the resource builders (offline/mocks/builders/, one module per AWS service
family), invokes to offline/mocks/invokes.py. Providers and StackReferences are answered here.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pulumi

from offline.mocks.builders import BUILDERS
from offline.mocks.identifiers import hex_id, uuid_id
from offline.mocks.invokes import INVOKES
from offline.mocks.record import decoded_provider_inputs


def provider_name(reference: Optional[str]) -> Optional[str]:
    """The resource name of the provider in a reference "<provider urn>::<provider id>" (the urn
    ends with "::<name>"); None for no reference."""
    if not reference:
        return None
    parts = reference.split("::")
    return parts[-2] if len(parts) >= 5 else None


class PlatformMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes like AWS for one account and region."""

    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        partition: str = "aws",
        stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
        stack_output_loader: Optional[Callable[[str], dict[str, Any]]] = None,
    ):
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        self.stack_outputs = dict(stack_outputs or {})
        self.stack_output_loader = stack_output_loader
        # provider resource name -> region / decoded inputs, so multi-region stacks get ARNs in the
        # right region and invokes answer for the provider they were sent to
        self.provider_regions: dict[str, str] = {}
        self.provider_inputs: dict[str, dict[str, Any]] = {}
        # what later registrations and invokes read back from earlier ones
        self.vpc_cidrs: dict[str, str] = {}
        self.api_protocols: dict[str, str] = {}

    def arn(self, service: str, resource: str, *, region: Optional[str] = None, account: bool = True) -> str:
        """An ARN in this partition and account (`account=False` for services whose ARNs have none)."""
        arn_region = self.region if region is None else region
        arn_account = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{arn_region}:{arn_account}:{resource}"

    def provider_region(self, reference: Optional[str]) -> str:
        """The region of the provider a registration or invoke was sent to (the stack's by default)."""
        name = provider_name(reference)
        return self.provider_regions.get(name, self.region) if name else self.region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        type_, name, inputs = args.typ, args.name, dict(args.inputs)
        if type_ == "pulumi:providers:aws":
            self.provider_regions[name] = inputs.get("region", self.region)
            self.provider_inputs[name] = decoded_provider_inputs(inputs)
            # The engine gives providers a UUID id.
            return uuid_id(f"provider|{name}"), inputs
        if type_ == "pulumi:pulumi:StackReference":
            reference = inputs.get("name", name)
            outputs = self._stack_reference(reference)
            return reference, {"name": reference, "outputs": outputs, "secretOutputNames": []}
        if not args.custom and not type_.startswith("awsx:"):
            return "", {}
        region = inputs.get("region") or self.provider_region(args.provider)
        builder = BUILDERS.get(type_)
        seed = f"{type_}|{name}"
        if builder is None:
            # A type nobody taught the mocks: state is the inputs only. Computed attributes stay
            # absent rather than invented, so code that reads one fails here instead of in AWS.
            return f"{name}-{hex_id(seed, 8)}", inputs
        resource_id, computed = builder(self, name, inputs, region, seed)
        if not args.custom:
            # A remote component's state is its outputs only (inputs such as awsx's natGateways
            # config share names with resource-typed outputs).
            return resource_id, computed
        return resource_id, {**inputs, **computed}

    def _stack_reference(self, reference: str) -> dict[str, Any]:
        if reference not in self.stack_outputs and self.stack_output_loader is not None:
            self.stack_outputs[reference] = self.stack_output_loader(reference)
        if reference not in self.stack_outputs:
            raise KeyError(f"no outputs known for stack reference '{reference}'")
        return self.stack_outputs[reference]

    def call(self, args: pulumi.runtime.MockCallArgs):
        provider = getattr(args, "provider", None)
        answer = INVOKES.get(args.token)
        if answer is None:
            return args.args
        inputs = self.provider_inputs.get(provider_name(provider) or "", {})
        return answer(self, args.args, self.provider_region(provider), inputs)
