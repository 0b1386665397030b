"""What every resource builder shares: its signature, and the builder for ids taken from an input.

A builder answers one registration the way the provider would: `(id, computed attributes)`, from
the resource's logical name, its inputs, the region its provider targets and a deterministic seed
(`"<type>|<name>"`). It reads the account, partition and earlier registrations from the mocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from offline.mocks.identifiers import physical_name

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks

Inputs = dict[str, Any]
Built = tuple[str, dict[str, Any]]
Builder = Callable[["PlatformMocks", str, Inputs, str, str], Built]


# Resources whose id is one of their own inputs (terraform-provider-aws, each resource's Create):
# internal/service/s3/bucket_{public_access_block,ownership_controls,versioning,server_side_encryption_
# configuration,lifecycle_configuration,policy,logging,notification,replication_configuration}.go: the
# bucket name; s3/object.go: the key; sqs/queue_policy.go: the queue URL; sns/topic_policy.go: the topic
# ARN; events/bus_policy.go: the bus name; lambda/permission.go: the statement id; logs/stream.go: the
# stream name; ecr/lifecycle_policy.go: the repository name.
def id_from_input(key: str, *, generated: Optional[Callable[[str], str]] = None) -> Builder:
    """A builder whose id is the input `key`; without it, `generated(seed)` (reported as that input),
    or an error when the provider would have no id either."""
    def build(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value, {}
        if generated is None:
            raise KeyError(f"offline mocks: {name} has no '{key}' to take its id from")
        value = generated(seed)
        return value, {key: value}
    return build


def named_resource(arn_service: Optional[str] = None, arn_resource: str = "{name}", *,
                   id_is_arn: bool = False) -> Builder:
    """A builder for the many types whose identity is their name (the input `name`, else the
    autoname): it reports `name` and, when the type has one, `arn` =
    `arn:<partition>:<arn_service>:<region>:<account>:<arn_resource>`; the id is the name, or the ARN
    where the provider uses that (`id_is_arn`)."""
    def build(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
        physical = physical_name(inputs, "name", name, seed)
        if arn_service is None:
            return physical, {"name": physical}
        arn = mocks.arn(arn_service, arn_resource.format(name=physical), region=region)
        return (arn if id_is_arn else physical), {"name": physical, "arn": arn}
    return build
