"""Lambda: functions, layer versions and permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import physical_name, terraform_unique_id
from offline.mocks.builders.base import Builder, Built, Inputs, id_from_input

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/lambda/function.go: id = function_name; qualified_arn and
# version are those of the latest version (findLatestFunctionVersionByName): "$LATEST" unless publish
# is set, then "1" for a new function; invoke_arn (invokeARN) =
# arn:<p>:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
def lambda_function(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = physical_name(inputs, "name", name, seed)
    arn = mocks.arn("lambda", f"function:{physical}", region=region)
    version = "1" if inputs.get("publish") else "$LATEST"

    def invoke(target: str) -> str:
        return f"arn:{mocks.partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{target}/invocations"

    return physical, {"name": physical, "arn": arn, "qualifiedArn": f"{arn}:{version}", "version": version,
                      "invokeArn": invoke(arn), "qualifiedInvokeArn": invoke(f"{arn}:{version}")}


# terraform-provider-aws internal/service/lambda/layer_version.go: id = arn = LayerVersionArn
# (arn:<p>:lambda:<region>:<acct>:layer:<name>:<version>); layer_arn without the version; version is
# the number as a string ("1" for the first version)
def lambda_layer_version(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = inputs.get("layerName") or name
    layer_arn = mocks.arn("lambda", f"layer:{physical}", region=region)
    return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}


BUILDERS: dict[str, Builder] = {
    "aws:lambda/function:Function": lambda_function,
    "aws:lambda/layerVersion:LayerVersion": lambda_layer_version,
    "aws:lambda/permission:Permission": id_from_input("statementId", generated=terraform_unique_id),
}
