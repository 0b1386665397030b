"""Containers: ECS clusters, task definitions and services; ECR repositories and the awsx image."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, TYPE_CHECKING

from offline.mocks.identifiers import hex_id, last_segment, physical_name
from offline.mocks.record import plain
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input, named_resource

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/ecs/task_definition.go: id = family; arn =
# arn:...:task-definition/<family>:<revision> (1 for a new family); arn_without_revision
def ecs_task_definition(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    family = inputs.get("family") or name
    base = mocks.arn("ecs", f"task-definition/{family}", region=region)
    return family, {"arn": f"{base}:1", "revision": 1, "arnWithoutRevision": base}


# terraform-provider-aws internal/service/ecs/service.go: id = ServiceArn, in the long format ECS uses
# by default: arn:...:service/<cluster name>/<service name>
def ecs_service(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    cluster = last_segment(inputs.get("cluster")) or "default"
    arn = mocks.arn("ecs", f"service/{cluster}/{physical}", region=region)
    return arn, {"name": physical, "arn": arn}


# terraform-provider-aws internal/service/ecr/repository.go: id = name; registry_id = account;
# repository_url = RepositoryUri = <registry id>.dkr.ecr.<region>.amazonaws.com/<name>
def ecr_repository(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    return physical, {"name": physical, "arn": mocks.arn("ecr", f"repository/{physical}", region=region),
                      "registryId": mocks.account_id,
                      "repositoryUrl": f"{mocks.account_id}.dkr.ecr.{region}.{mocks.dns_suffix}/{physical}"}


# pulumi-awsx awsx/ecr/image.ts: imageUri = `${repositoryUrl}@${digest}` of the pushed image (the
# docker-build Image's digest, "sha256:" + 64 hex). Offline nothing is built: the digest is derived
# from the build inputs and the Dockerfile and context contents, so it changes when the image would.
def awsx_image(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    digest = hashlib.sha256(seed.encode())
    # The digest depends on what is built (the context's files), not on where the checkout lives.
    build_settings = {key: value for key, value in inputs.items() if key not in ("dockerfile", "context")}
    digest.update(json.dumps(plain(build_settings), sort_keys=True, default=str).encode())
    for key in ("dockerfile", "context"):
        path = inputs.get(key)
        if isinstance(path, str) and path:
            hash_tree(digest, Path(path))
    return f"{name}-{hex_id(seed, 8)}", {"imageUri": f"{inputs.get('repositoryUrl')}@sha256:{digest.hexdigest()}"}


def hash_tree(digest: Any, root: Path, limit: int = 5000) -> None:
    """Feed a file, or a directory's file paths and contents in a stable order, into `digest`
    (hidden folders and __pycache__ skipped; at most `limit` files)."""
    if root.is_file():
        digest.update(root.read_bytes())
        return
    if not root.is_dir():
        return
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(folder for folder in dirnames if not folder.startswith(".") and folder != "__pycache__")
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
            seen += 1
            if seen >= limit:
                return


BUILDERS: dict[str, Builder] = {
    # ecs/cluster.go: id = arn = arn:...:cluster/<name>
    "aws:ecs/cluster:Cluster": named_resource("ecs", "cluster/{name}", id_is_arn=True),
    "aws:ecs/taskDefinition:TaskDefinition": ecs_task_definition,
    "aws:ecs/service:Service": ecs_service,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": id_from_input("repository"),
    "awsx:ecr:Image": awsx_image,
}
