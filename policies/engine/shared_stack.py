"""Stack policies over one conversion of the stack, for the offline check only.

pulumi-policy's servicer rebuilds every resource of an AnalyzeStack request (properties, options,
provider, parent and dependency links) once per stack policy it holds, which dominated the
offline check. This servicer builds them once per request and hands the same resources to each
stack policy; everything else (levels, config, violations, unknown values, not-applicable) is the
stock servicer's own code path. `policies.offline.analyze(..., dispatch=False)` still drives the
stock servicer exactly as `pulumi preview --policy-pack` does, and
tests/policies/test_policy_pack.py holds the two equal on every shipped stack.
"""
from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (EnforcementLevel, PolicyResource, StackValidationArgs, StackValidationPolicy,
                                  _NotApplicableError, _PolicyAnalyzerServicer)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy


class SharedStackServicer(_PolicyAnalyzerServicer):
    """The stock servicer, but AnalyzeStack converts the request's resources once."""

    def AnalyzeStack(self, request, _context):  # noqa: N802 (the gRPC method name)
        self._configure_runtime_settings()
        response = pb.AnalyzeResponse()
        resources = self._resources(request)
        for policy in self._PolicyAnalyzerServicer__policies:
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            if level == EnforcementLevel.REMEDIATE:
                level = EnforcementLevel.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            args = StackValidationArgs(resources, self._get_policy_config(policy.name),
                                       self._PolicyAnalyzerServicer__stack_tags)
            self._run(policy, args, report, response)
        return response

    def _resources(self, request) -> list[PolicyResource]:
        by_urn: dict[str, PolicyResource] = {}
        links: list[tuple[PolicyResource, Any]] = []
        for r in request.resources:
            props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(r.properties)))
            resource = PolicyResource(r.type, props, r.urn, r.name, self._get_resource_options(r),
                                      self._get_provider_resource(r), None, [], {})
            by_urn[r.urn] = resource
            links.append((resource, r))
        for resource, r in links:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for key, deps in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
        return [resource for resource, _ in links]

    def _run(self, policy, args, report, response) -> None:
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))
                loop.close()
        except UnknownValueError as exc:
            response.diagnostics.append(pb.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=self._PolicyAnalyzerServicer__policy_pack_name,
                policyPackVersion=self._PolicyAnalyzerServicer__policy_pack_version,
                message=(f"can't run policy '{policy.name}' from policy pack "
                         f"'{self._PolicyAnalyzerServicer__policy_pack_name}@v"
                         f"{self._PolicyAnalyzerServicer__policy_pack_version}' during preview: {exc.message}"),
                urn="", description=policy.description,
                enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY)))
        except _NotApplicableError as exc:
            response.not_applicable.append(pb.PolicyNotApplicable(policy_name=policy.name, reason=exc.reason or ""))
