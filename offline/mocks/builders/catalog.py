"""The data catalog: Glue databases, tables, crawlers, jobs, triggers, data quality rulesets and security
configurations; Lake Formation (settings, registrations, LF-tags, tag assignments, grants) and the
SSM parameters that record expiring grants."""

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


# terraform-provider-aws internal/service/glue/catalog_table.go: id = "<catalog id>:<database>:<name>";
# arn = arn:...:table/<database>/<name>
def glue_table(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    catalog = inputs.get("catalogId") or mocks.account_id
    database, table = inputs["databaseName"], inputs["name"]
    arn = mocks.arn("glue", f"table/{database}/{table}", region=region)
    return f"{catalog}:{database}:{table}", {"arn": arn, "catalogId": catalog}


# terraform-provider-aws internal/service/lakeformation/lf_tag.go: id = "<catalog id>:<key>" (read
# back with strings.Cut at the first colon, so a key may hold colons); catalog_id computed.
def lf_tag(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    catalog = inputs.get("catalogId") or mocks.account_id
    return f"{catalog}:{inputs['key']}", {"catalogId": catalog}


# terraform-provider-aws internal/service/glue/data_quality_ruleset.go: id = name;
# arn = arn:...:dataQualityRuleset/<name>; created_on / last_modified_on timestamps.
def data_quality_ruleset(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = inputs["name"]
    created = "2024-01-01T00:00:00Z"
    return physical, {"arn": mocks.arn("glue", f"dataQualityRuleset/{physical}", region=region),
                      "createdOn": created, "lastModifiedOn": created}


# The grant register. terraform-provider-aws internal/service/ssm/parameter.go: id = name; arn,
# version, tier and data_type come from the API: the ARN is `parameter` followed by the name
# (`parameter/ddp/...` for a name with a leading slash), version 1 on create, tier Standard and
# data_type text by default.
def ssm_parameter(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = inputs["name"]
    resource = f"parameter{physical}" if physical.startswith("/") else f"parameter/{physical}"
    return physical, {"arn": mocks.arn("ssm", resource, region=region), "version": 1,
                      "tier": inputs.get("tier") or "Standard", "dataType": inputs.get("dataType") or "text"}


BUILDERS: dict[str, Builder] = {
    "aws:ssm/parameter:Parameter": ssm_parameter,
    "aws:glue/catalogTable:CatalogTable": glue_table,
    "aws:glue/dataQualityRuleset:DataQualityRuleset": data_quality_ruleset,
    "aws:lakeformation/lfTag:LfTag": lf_tag,
    # lakeformation/resource_lf_tags.go: id = the decimal hash of the request, as for permissions
    "aws:lakeformation/resourceLfTags:ResourceLfTags": lake_formation_hash_id,
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
