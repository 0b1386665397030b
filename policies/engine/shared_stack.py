"""Policies over one conversion of their input: the base of the servicer the CLI runs
(``engine.served``) and of the offline check's per-type servicers (``engine.dispatch``).

pulumi-policy's servicer rebuilds every resource of an AnalyzeStack request (properties, options,
provider, parent and dependency links) once per stack policy it holds, and an Analyze request's
properties, options and provider once per resource policy; that conversion dominated the check.
These servicers convert once per request (and each provider once per servicer) and hand the same
values to every policy; everything else (levels, config, violations, unknown values,
not-applicable) follows the stock servicer's code step by step. Tests hold the responses equal to
the stock servicer's, message for message, on every shipped stack and every policy fixture
(tests/policies/test_served.py) and the offline reports equal (tests/policies/test_policy_pack.py).
Imported by the CLI's ``__main__`` as top-level ``engine``: relative imports within engine only.
"""
from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any, Optional

from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (EnforcementLevel, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy,
                                  StackValidationArgs, StackValidationPolicy, _NotApplicableError,
                                  _PolicyAnalyzerServicer)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from .convert import struct_to_dict


NO_VALIDATE = "Policy does not implement validate"  # pulumi_policy/policy.py _PolicyAnalyzerServicer.Analyze


def adopt_configuration(target: _PolicyAnalyzerServicer, source: _PolicyAnalyzerServicer) -> None:
    """Give `target` the configuration `source` got from Configure, without converting it again.

    pulumi_policy/policy.py ``_PolicyAnalyzerServicer.Configure`` stores exactly two dicts keyed by
    policy name (properties and enforcement levels); every reader (``_get_enforcement_level``,
    ``_get_policy_config``) looks a policy up by its name, so a servicer holding a subset of the
    policies behaves as if configured with its subset. The dicts are only ever replaced, never
    mutated, so sharing them is safe."""
    target._PolicyAnalyzerServicer__policy_pack_config = source._PolicyAnalyzerServicer__policy_pack_config
    target._PolicyAnalyzerServicer__policy_pack_config_enforcement_level = (
        source._PolicyAnalyzerServicer__policy_pack_config_enforcement_level)


class SharedStackServicer(_PolicyAnalyzerServicer):
    """The stock servicer, but AnalyzeStack converts the request's resources once and Analyze a
    request's properties once; providers are converted once per servicer (by URN and content)."""

    def Analyze(self, request, _context):  # noqa: N802 (the gRPC method name)
        """pulumi_policy/policy.py ``_PolicyAnalyzerServicer.Analyze``, converting once."""
        self._configure_runtime_settings()
        response = pb.AnalyzeResponse()
        converted: list = []
        for policy in self._PolicyAnalyzerServicer__policies:
            level = self._analyze_level(policy)
            if level is not None:
                self._analyze_policy(policy, level, request, converted, response)
        return response

    def _analyze_level(self, policy) -> Optional[EnforcementLevel]:
        """None for a policy stock Analyze skips (disabled, or not a resource policy), else the level
        its violations are reported at (remediate is reported as mandatory)."""
        level = self._get_enforcement_level(policy)
        if level == EnforcementLevel.DISABLED or not isinstance(policy, ResourceValidationPolicy):
            return None
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def _analyze_policy(self, policy, level, request, converted: list, response) -> None:
        """One resource policy's turn in stock Analyze; `converted` holds the request's conversion
        once the first policy needed it (properties, options, provider)."""
        if not policy.has_validation():
            response.not_applicable.append(pb.PolicyNotApplicable(policy_name=policy.name, reason=NO_VALIDATE))
            return
        report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        if not converted:
            converted.append((unknown_checking_proxy(deserialize_properties(struct_to_dict(request.properties))),
                              self._get_resource_options(request), self._get_provider_resource(request)))
        props, opts, provider = converted[0]
        args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                      self._get_policy_config(policy.name), self._PolicyAnalyzerServicer__stack_tags)
        self._run(policy, args, report, response)

    def _get_provider_resource(self, request):
        if not request.HasField("provider"):
            return None
        cache = self.__dict__.setdefault("_providers", {})
        key = (request.provider.urn, request.provider.properties.SerializeToString(deterministic=True))
        if key not in cache:
            cache[key] = super()._get_provider_resource(request)
        return cache[key]

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
            props = unknown_checking_proxy(deserialize_properties(struct_to_dict(r.properties)))
            resource = PolicyResource(r.type, props, r.urn, r.name, self._get_resource_options(r),
                                      self._get_provider_resource(r), None, [], {})
            by_urn[r.urn] = resource
            links.append((resource, r))
        for resource, r in links:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            resource.property_dependencies = _PropertyDependencies(r.propertyDependencies, by_urn)
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


class _PropertyDependencies(dict):
    """`PolicyResource.property_dependencies` built per property on first read: the stock servicer
    builds every property's list up front, and policies read a handful of them. Reads (`[]`,
    `get`, `in`, `len`, iteration, `items`/`keys`/`values`) see exactly the stock mapping."""

    def __init__(self, raw: Any, by_urn: dict[str, PolicyResource]):
        super().__init__()
        self._raw, self._by_urn = raw, by_urn

    def _load(self, key: Any) -> None:
        if not dict.__contains__(self, key) and key in self._raw:
            dict.__setitem__(self, key, [self._by_urn[d] for d in self._raw[key].urns if d in self._by_urn])

    def _load_all(self) -> None:
        for key in self._raw:
            self._load(key)

    def __getitem__(self, key: Any) -> list[PolicyResource]:
        self._load(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._load(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self):
        return iter(list(self._raw))

    def keys(self):
        self._load_all()
        return dict.keys(self)

    def items(self):
        self._load_all()
        return dict.items(self)

    def values(self):
        self._load_all()
        return dict.values(self)

    def __eq__(self, other: object) -> bool:
        self._load_all()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]
