"""KMS: keys and aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import hex_id, uuid_id
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/kms/key.go: id = key_id (a UUID);
# arn = arn:<p>:kms:<region>:<acct>:key/<key id>
def kms_key(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    key_id = uuid_id(seed)
    return key_id, {"keyId": key_id, "arn": mocks.arn("kms", f"key/{key_id}", region=region)}


# terraform-provider-aws internal/service/kms/alias.go: id = name; arn = arn:...:<alias name>;
# target_key_arn = the key's ARN (aliasARNToKeyARN: the alias ARN with "key/<target_key_id>" as resource)
def kms_alias(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    alias = inputs.get("name") or f"alias/{name}-{hex_id(seed, 7)}"
    target = str(inputs.get("targetKeyId") or "")
    target_arn = target if target.startswith("arn:") else mocks.arn("kms", f"key/{target}", region=region)
    return alias, {"name": alias, "arn": mocks.arn("kms", alias, region=region), "targetKeyArn": target_arn}


BUILDERS: dict[str, Builder] = {
    "aws:kms/key:Key": kms_key,
    "aws:kms/alias:Alias": kms_alias,
}
