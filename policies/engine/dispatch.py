"""Servicers: the stock one ``PolicyPack`` serves, and the per-type routing ``analyze`` uses for speed."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.policy import _PolicyAnalyzerServicer

from ..pack import ALL_POLICIES, DEFAULT_ENFORCEMENT_LEVEL, PACK_DESCRIPTION, PACK_NAME

PACK_VERSION = "0.0.1"  # what PolicyPack reports; the CLI takes the real version from PulumiPolicy.yaml


def new_servicer(policies: Optional[Sequence[Any]] = None) -> _PolicyAnalyzerServicer:
    """The analyzer PolicyPack(...) serves, built with the same arguments as policies/__main__.py."""
    return _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, list(ALL_POLICIES if policies is None else policies),
                                   DEFAULT_ENFORCEMENT_LEVEL, None, PACK_DESCRIPTION, None, None, "aws", None, None)


def shared_servicer(policies: Sequence[Any]) -> _PolicyAnalyzerServicer:
    """Like `new_servicer`, converting each request once for all its policies (engine.shared_stack)."""
    from .shared_stack import SharedStackServicer
    return SharedStackServicer(PACK_NAME, PACK_VERSION, list(policies), DEFAULT_ENFORCEMENT_LEVEL, None,
                               PACK_DESCRIPTION, None, None, "aws", None, None)


def _applies(policy: Any, resource_type: str) -> bool:
    types = getattr(policy, "applies_to", None)
    return types is None or resource_type in types


class TypeDispatch:
    """Per resource type, a servicer holding only the resource policies for that type.

    pulumi-policy's servicer converts a request's properties and provider anew for every policy
    it holds (~90 here), which dominates evaluation time. A policy of another type would only
    answer "not applicable", so the outcome is the same when each type's requests go to a
    servicer with just its policies; `analyze_covered` returns which policies it covered and the
offline collector counts the rest as not applicable. The
    engine's own run (`pulumi preview --policy-pack`) uses the stock servicer:
    `policies.offline.analyze(..., dispatch=False)` reproduces it exactly, and a test holds the two equal."""

    def __init__(self, configure: pb.ConfigureAnalyzerRequest, resource_policies: Sequence[Any]):
        self.configure = configure
        self.policies = resource_policies
        self.servicers: dict[str, Optional[_PolicyAnalyzerServicer]] = {}
        self.covered: dict[str, set[str]] = {}

    def analyze_covered(self, request: pb.AnalyzeRequest) -> tuple[pb.AnalyzeResponse, set[str]]:
        """This type's policies' answer and their names: the others do not apply, and the offline
        check records that without building ~90 "not applicable" messages per resource."""
        if request.type not in self.servicers:
            mine = [p for p in self.policies if _applies(p, request.type)]
            mine_names = {p.name for p in mine}
            servicer = shared_servicer(mine) if mine else None
            if servicer is not None:
                sub = pb.ConfigureAnalyzerRequest()
                for p in mine:
                    if p.name in self.configure.policyConfig:
                        sub.policyConfig[p.name].CopyFrom(self.configure.policyConfig[p.name])
                servicer.Configure(sub, None)
            self.servicers[request.type] = servicer
            self.covered[request.type] = mine_names
        servicer = self.servicers[request.type]
        response = servicer.Analyze(request, None) if servicer is not None else pb.AnalyzeResponse()
        return response, self.covered[request.type]
