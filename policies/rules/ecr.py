"""ECR: images scanned on push, immutable tags, a lifecycle policy, repository policies never public."""
from __future__ import annotations

from ._base import (CRITICAL, HIGH, LOW, MANDATORY, MEDIUM, UNKNOWN, ADVISORY, as_json, known_copy, of_type, peek,
                    references, resource_keys, resource_policy, stack_policy)
from ._documents import public_allow_statements, public_reason

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def _scan(props, cfg, args):
    if peek(props, "imageScanningConfiguration", "scanOnPush") not in (True, UNKNOWN):
        yield "Repository must set imageScanningConfiguration.scanOnPush to true (omitted = off)."


def _immutable(props, cfg, args):
    mutability = peek(props, "imageTagMutability", default="MUTABLE")
    if mutability is not UNKNOWN and not str(mutability).startswith("IMMUTABLE"):
        yield f"imageTagMutability is '{mutability}'; set it to IMMUTABLE."


def _public(props, cfg, args):
    document = peek(props, "policy")
    for s in public_allow_statements(None if document is UNKNOWN else as_json(known_copy(document))):
        yield f"Repository policy statement '{s.get('Sid', '')}' {public_reason(s)}."


def _lifecycle(resources, cfg):
    covered: set[str] = set()
    for lp in of_type(resources, LIFECYCLE_POLICY):
        covered |= references(lp, "repository")
    for repo in of_type(resources, REPOSITORY):
        if not resource_keys(repo, "name", "id", "arn") & covered:
            yield f"Repository '{repo.name}' has no lifecycle policy; old images accumulate.", repo.urn


POLICIES = [
    resource_policy(
        name="ecr-repository-scan-on-push", service="ecr", control="ECR.1",
        description="ECR repositories scan images on push.",
        types=[REPOSITORY], check=_scan, level=MANDATORY, severity=HIGH,
        remediation="Set image_scanning_configuration=RepositoryImageScanningConfigurationArgs(scan_on_push=True)."),
    resource_policy(
        name="ecr-repository-tags-immutable", service="ecr", control="ECR.2",
        description="ECR repositories have immutable image tags (omitted = MUTABLE).",
        types=[REPOSITORY], check=_immutable, level=MANDATORY, severity=MEDIUM,
        remediation="Set image_tag_mutability='IMMUTABLE'."),
    stack_policy(
        name="ecr-repository-has-lifecycle-policy", service="ecr", control="ECR.3",
        description="Every ECR repository has a LifecyclePolicy resource. Advisory: expiry is an operational choice.",
        applies_to=[REPOSITORY], check=_lifecycle, level=ADVISORY, severity=LOW, reads=(LIFECYCLE_POLICY,),
        remediation="Create an aws.ecr.LifecyclePolicy expiring untagged and old images."),
    resource_policy(
        name="ecr-repository-policy-not-public", service="ecr",
        description="ECR repository policies never allow Principal '*' or NotPrincipal unless a condition "
                    "narrows it to an org or account.",
        types=[REPOSITORY_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant pull to named accounts, or restrict with aws:PrincipalOrgID."),
]
