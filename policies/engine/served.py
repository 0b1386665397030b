"""The analyzer servicer ``policies/__main__.py`` serves to the Pulumi CLI, and how it is served.

``ServedServicer`` answers every gRPC method exactly as pulumi-policy's stock
``_PolicyAnalyzerServicer`` (pulumi_policy/policy.py) does: GetAnalyzerInfo, GetPluginInfo,
Configure, ConfigureStack and Remediate are the stock methods, inherited unchanged; Analyze and
AnalyzeStack give the same response, message for message (diagnostics and not-applicable entries
in the same order), but faster:

- AnalyzeStack converts the request's resources once for all stack policies (``SharedStackServicer``);
- Analyze converts the request once for all resource policies and runs only the policies that apply
  to the request's type. The first request of a type runs every policy as stock Analyze does and
  records, per policy, what it answered: a policy that declares the types it applies to
  (``applies_to``, set by ``rules/_base.resource_policy``, whose check begins by testing the type)
  and answered only "not applicable" for this type gives that same answer for every request of the
  type, so later requests replay it (as serialized bytes, merged in place) instead of running it.
  A new Configure starts the record afresh (levels decide which policies take part).

``serve_pack`` does what ``pulumi_policy.PolicyPack.__init__`` does (same argument checks, same
servicer arguments, same gRPC server, port handshake on stdout and wait loop) with this servicer.
Imported by the CLI's ``__main__`` as top-level ``engine``: relative imports within engine only.
"""
from __future__ import annotations

import sys
import time
from concurrent import futures
from typing import Any, Optional, Sequence

import grpc
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy.policy import (_GRPC_CHANNEL_OPTIONS, _ONE_DAY_IN_SECONDS, _POLICY_PACK_NAME_RE, EnforcementLevel,
                                  Policy)

from .shared_stack import SharedStackServicer


def applies(policy: Any, resource_type: str) -> bool:
    """Whether a policy may do more than answer "not applicable" for this type: it declares no
    types (``applies_to``), or the type is one of them."""
    types = getattr(policy, "applies_to", None)
    return types is None or resource_type in types


class ServedServicer(SharedStackServicer):
    """The stock analyzer with per-type routing of Analyze; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[str, list] = {}

    def Configure(self, request, context):  # noqa: N802 (the gRPC method name)
        """The stock Configure; the per-type records depend on the levels, so they start afresh."""
        result = super().Configure(request, context)
        self._plans = {}  # replaced, not cleared: a plan built concurrently lands in the old dict
        return result

    def Analyze(self, request, _context):  # noqa: N802 (the gRPC method name)
        """pulumi_policy/policy.py ``_PolicyAnalyzerServicer.Analyze``: same response."""
        self._configure_runtime_settings()
        plan = self._plans.get(request.type)
        if plan is None:
            return self._analyze_and_record(request)
        response = pb.AnalyzeResponse()
        converted: list = []
        for step in plan:
            if step.__class__ is bytes:  # recorded not-applicable answers, in policy order
                response.MergeFromString(step)
            else:
                self._analyze_policy(step[0], step[1], request, converted, response)
        return response

    def _analyze_and_record(self, request) -> pb.AnalyzeResponse:
        """Stock Analyze over every policy, recording which answers depend on the type alone."""
        plans = self._plans
        response = pb.AnalyzeResponse()
        converted: list = []
        steps: list = []
        for policy in self._PolicyAnalyzerServicer__policies:
            level = self._analyze_level(policy)
            if level is None:
                continue
            diagnostics, skipped = len(response.diagnostics), len(response.not_applicable)
            self._analyze_policy(policy, level, request, converted, response)
            by_type = not policy.has_validation() or not applies(policy, request.type)
            if (by_type and len(response.diagnostics) == diagnostics
                    and len(response.not_applicable) == skipped + 1):
                steps.append(response.not_applicable[-1])
            else:
                steps.append((policy, level))
        plans[request.type] = _replayable(steps)
        return response


def _replayable(steps: list) -> list:
    """Consecutive recorded not-applicable answers as one serialized AnalyzeResponse: merging it
    appends them to a response's ``not_applicable`` in order (repeated fields concatenate)."""
    plan: list = []
    pending: list[pb.PolicyNotApplicable] = []
    for step in steps + [None]:
        if isinstance(step, pb.PolicyNotApplicable):
            pending.append(step)
            continue
        if pending:
            plan.append(pb.AnalyzeResponse(not_applicable=pending).SerializeToString())
            pending = []
        if step is not None:
            plan.append(step)
    return plan


def _check_arguments(name: str, policies: Sequence[Any], enforcement_level: Optional[EnforcementLevel]) -> None:
    """The argument checks of pulumi_policy/policy.py ``PolicyPack.__init__`` for what we pass."""
    if not name:
        raise TypeError("Missing name argument")
    if not isinstance(name, str):
        raise TypeError("Expected name to be a string")
    if _POLICY_PACK_NAME_RE.match(name) is None:
        raise TypeError(f"Invalid policy pack name {name}. Policy pack names may only contain " +
                        "alphanumerics, hyphens, underscores, or periods.")
    if not policies:
        raise TypeError("Missing policies argument")
    if not isinstance(policies, list):
        raise TypeError("Expected policies to be a list of policies")
    if any(not isinstance(policy, Policy) for policy in policies):
        raise TypeError("Expected each policy in policies to be a Policy")
    if enforcement_level is not None and not isinstance(enforcement_level, EnforcementLevel):
        raise TypeError("Expected enforcement_level to be an EnforcementLevel")


def served_servicer(name: str, policies: list, enforcement_level: Optional[EnforcementLevel] = None,
                    description: Optional[str] = None, provider: Optional[str] = None) -> ServedServicer:
    """The servicer ``PolicyPack(name=..., policies=..., enforcement_level=..., description=...,
    provider=...)`` would build (pulumi_policy/policy.py ``PolicyPack.__init__``: version "0.0.1",
    the CLI takes the real one from PulumiPolicy.yaml; no level means advisory), as ours."""
    _check_arguments(name, policies, enforcement_level)
    return ServedServicer(name, "0.0.1", policies,
                          enforcement_level if enforcement_level is not None else EnforcementLevel.ADVISORY,
                          None, description, None, None, provider, None, None)


def serve(servicer: Any) -> None:
    """Serve `servicer` as pulumi_policy/policy.py ``PolicyPack.__init__`` serves its own: a gRPC
    server with 4 worker threads and its message size option on a free local port, the port
    written to stdout as the CLI's handshake, then wait until interrupted. Never returns."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),  # pylint: disable=consider-using-with
        options=_GRPC_CHANNEL_OPTIONS
    )
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(
        servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    try:
        while True:
            time.sleep(_ONE_DAY_IN_SECONDS)
    except KeyboardInterrupt:
        server.stop(0)
