"""Route 53 records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/route53/record.go: id = "<zone id>_<name>_<type>"
def route53_record(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    record_id = f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}"
    if inputs.get("setIdentifier"):
        record_id += f"_{inputs.get('setIdentifier')}"
    return record_id, {"fqdn": str(inputs.get("name") or "").rstrip(".")}


BUILDERS: dict[str, Builder] = {
    "aws:route53/record:Record": route53_record,
}
