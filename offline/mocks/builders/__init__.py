"""The resource builders, one module per AWS service family, and the registry of all of them.

Each builder returns what the provider reports for its resource type -- the id and every computed
attribute in the provider's own format -- and names the provider source it follows. A type without
a builder gets its inputs back and nothing else (offline/mocks/platform.py): no attribute is
invented. Source paths in the comments (`s3/bucket.go`, ...) are under terraform-provider-aws's
`internal/service/` unless they name another project.
"""

from __future__ import annotations

from offline.mocks.builders import (api_gateway, catalog, containers, dns, dynamodb, iam, kms, lambda_functions,
                                    load_balancing, messaging, monitoring, network, s3, streaming, transfer, waf)
from offline.mocks.builders.base import Builder

FAMILIES = (s3, kms, dynamodb, iam, monitoring, messaging, streaming, lambda_functions, transfer, network,
            load_balancing, waf, containers, api_gateway, catalog, dns)


def _registry() -> dict[str, Builder]:
    builders: dict[str, Builder] = {}
    for family in FAMILIES:
        twice = set(builders) & set(family.BUILDERS)
        if twice:
            raise RuntimeError(f"offline mocks: {family.__name__} builds types another family builds: {sorted(twice)}")
        builders.update(family.BUILDERS)
    return builders


BUILDERS: dict[str, Builder] = _registry()
