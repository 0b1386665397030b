"""Servicers: the stock one ``PolicyPack`` would serve, the one ``policies/__main__.py`` serves, and
the per-type routing the offline check uses for speed."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.policy import _PolicyAnalyzerServicer

from ..pack import ALL_POLICIES, DEFAULT_ENFORCEMENT_LEVEL, PACK_DESCRIPTION, PACK_NAME
from .served import ServedServicer, served_servicer
from .shared_stack import SharedStackServicer, adopt_configuration

PACK_VERSION = "0.0.1"  # what PolicyPack reports; the CLI takes the real version from PulumiPolicy.yaml


def new_servicer(policies: Optional[Sequence[Any]] = None) -> _PolicyAnalyzerServicer:
    """The stock analyzer PolicyPack(...) would serve, built with the arguments of policies/__main__.py."""
    return _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, list(ALL_POLICIES if policies is None else policies),
                                   DEFAULT_ENFORCEMENT_LEVEL, None, PACK_DESCRIPTION, None, None, "aws", None, None)


def pack_servicer() -> ServedServicer:
    """The analyzer policies/__main__.py serves (same call, same arguments)."""
    return served_servicer(name=PACK_NAME, policies=list(ALL_POLICIES), enforcement_level=DEFAULT_ENFORCEMENT_LEVEL,
                           description=PACK_DESCRIPTION, provider="aws")


def shared_servicer(policies: Sequence[Any], configured: Optional[_PolicyAnalyzerServicer] = None
                    ) -> SharedStackServicer:
    """Like `new_servicer`, converting each request once for all its policies (engine.shared_stack);
    with `configured`, it takes that servicer's configuration instead of needing its own Configure."""
    servicer = SharedStackServicer(PACK_NAME, PACK_VERSION, list(policies), DEFAULT_ENFORCEMENT_LEVEL, None,
                                   PACK_DESCRIPTION, None, None, "aws", None, None)
    if configured is not None:
        adopt_configuration(servicer, configured)
    return servicer


class TypeDispatch:
    """Per resource type, a servicer holding only the resource policies for that type.

    pulumi-policy's servicer converts a request's properties and provider anew for every policy
    it holds (~90 here), which dominates evaluation time. A policy of another type would only
    answer "not applicable", so the outcome is the same when each type's requests go to a
    servicer with just its policies; `analyze_covered` returns which policies it covered and the
    offline collector counts the rest as not applicable. The CLI's servicer
    (`engine.served.ServedServicer`) routes the same way but still answers every policy, as the
    stock servicer does. All per-type servicers share the configuration of `configured` (one
    Configure per run). Tests hold the offline reports equal to the stock servicer's."""

    def __init__(self, configured: _PolicyAnalyzerServicer, resource_policies: Sequence[Any]):
        self.configured = configured
        self.policies = list(resource_policies)
        self.servicers: dict[str, Optional[_PolicyAnalyzerServicer]] = {}
        self.covered: dict[str, set[str]] = {}
        # Which policies may apply to a type: those declaring it, and those declaring no types.
        self.by_type: dict[str, list[int]] = {}
        self.universal: list[int] = []
        for i, policy in enumerate(self.policies):
            types = getattr(policy, "applies_to", None)
            for t in ([] if types is None else set(types)):
                self.by_type.setdefault(t, []).append(i)
            if types is None:
                self.universal.append(i)

    def analyze_covered(self, request: pb.AnalyzeRequest) -> tuple[pb.AnalyzeResponse, set[str]]:
        """This type's policies' answer and their names: the others do not apply, and the offline
        check records that without building ~90 "not applicable" messages per resource."""
        if request.type not in self.servicers:
            mine = [self.policies[i] for i in sorted(self.by_type.get(request.type, []) + self.universal)]
            self.servicers[request.type] = shared_servicer(mine, self.configured) if mine else None
            self.covered[request.type] = {p.name for p in mine}
        servicer = self.servicers[request.type]
        response = servicer.Analyze(request, None) if servicer is not None else pb.AnalyzeResponse()
        return response, self.covered[request.type]
