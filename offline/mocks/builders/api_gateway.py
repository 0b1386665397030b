"""API Gateway v2: HTTP and WebSocket APIs and their stages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.mocks.identifiers import base36_id, hex_id
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/apigatewayv2/api.go: id = ApiId (10 lowercase alphanumerics);
# api_endpoint = https://<id>.execute-api.<region>.amazonaws.com (wss:// for WEBSOCKET);
# arn = arn:<p>:apigateway:<region>::/apis/<id>; execution_arn = arn:<p>:execute-api:<region>:<acct>:<id>
def http_api(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    api_id = base36_id(seed, 10)
    protocol = inputs.get("protocolType") or "HTTP"
    mocks.api_protocols[api_id] = protocol
    scheme = "wss" if protocol == "WEBSOCKET" else "https"
    return api_id, {"apiEndpoint": f"{scheme}://{api_id}.execute-api.{region}.{mocks.dns_suffix}",
                 "arn": f"arn:{mocks.partition}:apigateway:{region}::/apis/{api_id}",
                 "executionArn": mocks.arn("execute-api", api_id, region=region)}


# terraform-provider-aws internal/service/apigatewayv2/stage.go: id = stage name; invoke_url =
# APIGatewayV2InvokeURL: "https://<api>.execute-api.<region>.amazonaws.com/" for $default,
# ".../<stage>" otherwise, "wss://.../<stage>" for WebSocket APIs; arn = .../apis/<api>/stages/<stage>;
# execution_arn = arn:<p>:execute-api:<region>:<acct>:<api>/<stage>
def api_stage(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    physical = inputs.get("name") or f"{name}-{hex_id(seed, 7)}"
    api = inputs.get("apiId")
    host = f"{api}.execute-api.{region}.{mocks.dns_suffix}"
    if mocks.api_protocols.get(api) == "WEBSOCKET":
        url = f"wss://{host}/{physical}"
    else:
        url = f"https://{host}/" if physical == "$default" else f"https://{host}/{physical}"
    arn = f"arn:{mocks.partition}:apigateway:{region}::/apis/{api}/stages/{physical}"
    return physical, {"invokeUrl": url, "arn": arn,
                      "executionArn": mocks.arn("execute-api", f"{api}/{physical}", region=region)}


BUILDERS: dict[str, Builder] = {
    "aws:apigatewayv2/api:Api": http_api,
    "aws:apigatewayv2/stage:Stage": api_stage,
}
