"""Lambda: functions, layer versions, permissions and event source mappings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import physical_name, terraform_unique_id, uuid_id
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


# terraform-provider-aws internal/service/lambda/event_source_mapping.go: id = uuid = CreateEventSourceMapping's
# UUID; the read sets function_arn and function_name to GetEventSourceMapping's FunctionArn (the function's
# unqualified ARN when it was named by name or ARN), state to what waitEventSourceMappingCreated waited for
# ("Enabled" unless enabled=false), state_transition_reason "USER_INITIATED" (a mapping created through the
# API), last_processing_result "No records processed" (nothing polled yet); arn = EventSourceMappingArn,
# arn:<p>:lambda:<region>:<acct>:event-source-mapping:<uuid> (Lambda API reference, EventSourceMappingArn).
def lambda_event_source_mapping(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    mapping_id = uuid_id(seed)
    function = str(inputs.get("functionName") or "")
    function_arn = function if function.startswith("arn:") else mocks.arn("lambda", f"function:{function}", region=region)
    enabled = inputs.get("enabled") is not False
    return mapping_id, {"uuid": mapping_id, "functionArn": function_arn, "functionName": function_arn,
                        "arn": mocks.arn("lambda", f"event-source-mapping:{mapping_id}", region=region),
                        "enabled": enabled, "state": "Enabled" if enabled else "Disabled",
                        "stateTransitionReason": "USER_INITIATED", "lastProcessingResult": "No records processed"}


BUILDERS: dict[str, Builder] = {
    "aws:lambda/function:Function": lambda_function,
    "aws:lambda/layerVersion:LayerVersion": lambda_layer_version,
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda_event_source_mapping,
    "aws:lambda/permission:Permission": id_from_input("statementId", generated=terraform_unique_id),
}
