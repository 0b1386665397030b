"""boto3 sessions for the runbook tests: fast to create, recording the calls made through them,
or cut off from a region."""

from __future__ import annotations

from dataclasses import dataclass, field

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import ClientError, EndpointConnectionError

READ_PREFIXES = ("Describe", "List", "Get")

# One loader for every session the tests make: botocore otherwise re-reads each service's JSON
# model for every new session, which is most of a runbook run's time under moto.
_LOADER = botocore.loaders.create_loader()


class _ClientCachingSession(boto3.Session):
    """Hands out one client per (service, region, config): building a client class is the other
    big cost. Hooks must be registered before the first client is made (the helpers below do)."""

    def client(self, service_name, region_name=None, *args, config=None, **kwargs):
        key = (service_name, region_name or self.region_name, id(config), args, tuple(sorted(kwargs.items())))
        cache = self.__dict__.setdefault("_clients", {})
        if key not in cache:
            cache[key] = super().client(service_name, region_name, *args, config=config, **kwargs)
        return cache[key]


def new_session(region: str) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return _ClientCachingSession(botocore_session=core, region_name=region)


@dataclass
class CallLog:
    """Every API call made through a session: (region, service, operation, parameters)."""

    calls: list[tuple[str, str, str, dict]] = field(default_factory=list)

    def __call__(self, model, params, request_signer, **_):
        self.calls.append((request_signer.region_name, model.service_model.service_name, model.name, params))

    @property
    def writes(self) -> list[tuple[str, str, str, dict]]:
        return [c for c in self.calls if not c[2].startswith(READ_PREFIXES)]

    def written(self) -> list[tuple[str, str, str]]:
        return [c[:3] for c in self.writes]

    def writes_after(self, mark: int) -> list[tuple[str, str, str]]:
        """The writes among the calls made after `mark` (a length of `calls`)."""
        return [c[:3] for c in self.calls[mark:] if not c[2].startswith(READ_PREFIXES)]


def recording_session(region: str) -> tuple[boto3.Session, CallLog]:
    session = new_session(region)
    log = CallLog()
    session.events.register("before-call", log)
    return session, log


def region_down(session: boto3.Session, region: str) -> None:
    """Every call to `region` fails as it does when the region's endpoints are unreachable (Route 53
    is global and stays up)."""

    def refuse(model, request_signer, **_):
        if request_signer.region_name == region and model.service_model.service_name != "route53":
            prefix = model.service_model.endpoint_prefix
            raise EndpointConnectionError(endpoint_url=f"https://{prefix}.{region}.amazonaws.com")

    session.events.register("before-call", refuse)


def deny(session: boto3.Session, operation: str) -> None:
    """`operation` fails with AccessDenied, as it does for a role that lacks the permission."""

    def refuse(model, **_):
        if model.name == operation:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, operation)

    session.events.register("before-call", refuse)
