"""The data catalog: Glue databases, crawlers, jobs, triggers and security configurations; Lake Formation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
import zlib

from offline.mocks.identifiers import hex_id
from offline.mocks.record import plain
from offline.mocks.builders.base import Builder, Built, Inputs, named_resource

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/glue/catalog_database.go: id = "<catalog id>:<name>";
# arn = arn:...:database/<name>
def glue_database(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = inputs.get("name") or f"{name}-{hex_id(seed, 7)}"
    catalog = inputs.get("catalogId") or mocks.account_id
    arn = mocks.arn("glue", f"database/{physical}", region=region)
    return f"{catalog}:{physical}", {"name": physical, "arn": arn, "catalogId": catalog}


# terraform-provider-aws internal/service/lakeformation/resource.go: id = the registered resource ARN
def lake_formation_resource(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    return str(inputs.get("arn")), {}


# terraform-provider-aws internal/service/lakeformation/{permissions,data_lake_settings}.go:
# id = fmt.Sprintf("%d", create.StringHashcode(input.String())) -- a decimal hash of the request
def lake_formation_hash_id(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    payload = json.dumps(plain(inputs), sort_keys=True, default=str)
    return str(zlib.crc32(payload.encode())), {}


BUILDERS: dict[str, Builder] = {
    "aws:glue/catalogDatabase:CatalogDatabase": glue_database,
    # glue/{crawler,job,trigger}.go: id = name; arn = arn:<p>:glue:<region>:<acct>:<crawler|job|trigger>/<name>
    "aws:glue/crawler:Crawler": named_resource("glue", "crawler/{name}"),
    "aws:glue/job:Job": named_resource("glue", "job/{name}"),
    "aws:glue/trigger:Trigger": named_resource("glue", "trigger/{name}"),
    # glue/security_configuration.go: id = name (no ARN attribute)
    "aws:glue/securityConfiguration:SecurityConfiguration": named_resource(),
    "aws:lakeformation/resource:Resource": lake_formation_resource,
    "aws:lakeformation/permissions:Permissions": lake_formation_hash_id,
    "aws:lakeformation/dataLakeSettings:DataLakeSettings": lake_formation_hash_id,
}
