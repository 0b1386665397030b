"""ECR: images are scanned on push and tags are immutable."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, MEDIUM, get, resource_policy

REPOSITORY = "aws:ecr/repository:Repository"


def _scan(props, cfg, args):
    if get(props, "imageScanningConfiguration", "scanOnPush") is not True:
        yield "Repository must set imageScanningConfiguration.scanOnPush to true."


def _immutable(props, cfg, args):
    mutability = get(props, "imageTagMutability", default="MUTABLE")
    if not str(mutability).startswith("IMMUTABLE"):
        yield f"imageTagMutability is '{mutability}'; set it to IMMUTABLE."


POLICIES = [
    resource_policy(
        name="ecr-repository-scan-on-push", service="ecr", control="ECR.1",
        description="ECR repositories scan images on push.",
        types=[REPOSITORY], check=_scan, level=MANDATORY, severity=HIGH,
        remediation="Set image_scanning_configuration=RepositoryImageScanningConfigurationArgs(scan_on_push=True)."),
    resource_policy(
        name="ecr-repository-tags-immutable", service="ecr", control="ECR.2",
        description="ECR repositories have immutable image tags.",
        types=[REPOSITORY], check=_immutable, level=MANDATORY, severity=MEDIUM,
        remediation="Set image_tag_mutability='IMMUTABLE'."),
]
