"""Images and Lambda artifacts are produced by the deployment, not assumed to exist."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable, Optional

from .._base import HIGH, MANDATORY, MEDIUM, as_json, as_list, is_map, of_type, safe_get, stack_policy
from ._graph import FUNCTION, IMAGE_BUILDERS, LAYER, REPOSITORY, SERVICE, TASK_DEFINITION, _known

# --- g. images and artifacts are produced by the deployment --------------------------------------

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _produced_images(resources) -> tuple[set[str], set[str]]:
    """(image references the stack's image builders output, urns of those builders)."""
    refs: set[str] = set()
    urns: set[str] = set()
    for r in resources:
        outputs = IMAGE_BUILDERS.get(r.resource_type)
        if outputs is None:
            continue
        urns.add(r.urn)
        for prop in outputs:
            value = safe_get(r.props, prop)
            if isinstance(value, str) and value:
                refs.add(value)
    return refs, urns


def _image_problem(image: str, repositories: Mapping[str, Any], produced: set[str],
                   builder_deps: bool) -> Optional[str]:
    if image in produced or (builder_deps and not produced):
        return None
    repo = next((r for url, r in repositories.items() if image.startswith(url + ":") or image.startswith(url + "@")
                 or image == url), None)
    if repo is not None:
        return (f"image '{image}' is in repository '{repo.name}' that this stack creates, but no image build in "
                f"the deployment pushes it; build it with awsx.ecr.Image and use its output")
    if not DIGEST.search(image):
        return f"image '{image}' is not built by the deployment nor pinned by digest (@sha256:...)"
    return None


def _images_built(resources, cfg):
    repositories = {}
    for repo in of_type(resources, REPOSITORY):
        url = safe_get(repo.props, "repositoryUrl")
        if isinstance(url, str) and url:
            repositories[url] = repo
    produced, builders = _produced_images(resources)
    for td in of_type(resources, TASK_DEFINITION):
        containers = as_json(_known(safe_get(td.props, "containerDefinitions")))
        deps = {d.urn for d in (td.property_dependencies or {}).get("containerDefinitions", [])}
        for c in as_list(containers):
            image = safe_get(c, "image") if is_map(c) else None
            if isinstance(image, str) and image:
                problem = _image_problem(image, repositories, produced, bool(deps & builders))
                if problem:
                    yield f"Task definition '{td.name}' container '{c.get('name')}': {problem}.", td.urn
    for fn in of_type(resources, FUNCTION):
        image = safe_get(fn.props, "imageUri")
        if isinstance(image, str) and image:
            deps = {d.urn for d in (fn.property_dependencies or {}).get("imageUri", [])}
            problem = _image_problem(image, repositories, produced, bool(deps & builders))
            if problem:
                yield f"Lambda function '{fn.name}': {problem}.", fn.urn


_RECORDED_ARCHIVE = re.compile(r"^<(FileArchive|FileAsset|AssetArchive|RemoteArchive|RemoteAsset|StringAsset)"
                               r"(?: (.*))?>$")


def _local_paths(value: Any) -> Iterable[str]:
    """Local file paths an archive/asset value points at. pulumi-policy hands archives over as
    pulumi.FileArchive / AssetArchive objects; the offline graph records them as '<FileArchive path>'."""
    import pulumi

    if isinstance(value, (pulumi.FileArchive, pulumi.FileAsset)):
        yield str(value.path)
    elif isinstance(value, pulumi.AssetArchive):
        for inner in (value.assets or {}).values():
            yield from _local_paths(inner)
    elif isinstance(value, str):
        match = _RECORDED_ARCHIVE.match(value)
        if match and match.group(1) in ("FileArchive", "FileAsset") and match.group(2):
            yield match.group(2)


def _exists(path: str) -> bool:
    """Relative paths are the program's (its directory is the project root, this pack's parent)."""
    candidates = [Path(path)] if os.path.isabs(path) else [Path.cwd() / path,
                                                             Path(__file__).resolve().parents[3] / path]
    for p in candidates:
        if p.is_file() or (p.is_dir() and any(p.iterdir())):
            return True
    return False


def _artifacts_exist(resources, cfg):
    for r in of_type(resources, FUNCTION, LAYER):
        for prop in ("code", "filename"):
            value = safe_get(r.props, prop)
            if prop == "filename" and isinstance(value, str) and value:
                paths = [value]
            else:
                paths = list(_local_paths(value))
            for path in paths:
                if not _exists(path):
                    yield (f"'{r.name}' ({r.resource_type.split(':')[1]}) packages {prop} from '{path}', which does "
                           f"not exist or is empty; the deployment must produce it."), r.urn



POLICIES = [
    stack_policy(
        name="container-images-built-by-deployment", service=SERVICE,
        description="ECS task definitions and image Lambdas run images the deployment builds (awsx.ecr.Image or "
                    "docker-build output) or images pinned by digest, never a tag in a repository the stack "
                    "itself creates.",
        applies_to=[TASK_DEFINITION, FUNCTION], check=_images_built, level=MANDATORY, severity=HIGH,
        reads=(REPOSITORY,) + tuple(IMAGE_BUILDERS),
        remediation="Build and push with awsx.ecr.Image and use its image_uri (digest-pinned) in the task "
                    "definition."),
    stack_policy(
        name="lambda-artifacts-exist", service=SERVICE,
        description="Lambda function and layer archives point at files or non-empty directories that exist "
                    "when the program runs.",
        applies_to=[FUNCTION, LAYER], check=_artifacts_exist, level=MANDATORY, severity=MEDIUM,
        remediation="Produce the artifact in the program (or ship it) before declaring the function or layer."),
]
