"""How the moto platform reaches a service: through the front door the graph describes.

A Lambda service: the HTTP API's `$default` stage, its routes and the route's integration, with
the recorded permission letting API Gateway invoke the function (an API Gateway payload 2.0
event; IAM authorisation is not evaluated). A Fargate service: the load balancer's listener on
the endpoint's port, its actions in order (an authenticate action logs a synthetic user in: the
platform plays the ALB and signs `x-amzn-oidc-data` with its own key, which the app fetches
through `app.KEY_FETCHER`), the target group's ECS service, its task definition's container
environment and the image's build context.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from offline.mocks import Record
from smoke import aws_shapes
from smoke.contract import Service
from smoke.moto_world import Graph
from smoke.platform import FlowFailed, FlowSkipped

_SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in resource inputs


def unsecret(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and _SECRET_SIG in value else value



class FrontDoors:
    """The services' front doors of `MotoPlatform` (a mixin: `self` is the platform)."""

    def _via_http_api(self, service: Service, method: str, path: str, body: Optional[str]) -> tuple[int, dict]:
        g = self.graph
        api = next((r for r in g.all("aws:apigatewayv2/api:Api")
                    if r.outputs.get("apiEndpoint") == service.endpoint.rstrip("/")), None)
        if api is None:
            raise FlowFailed(f"{service.name}: no HTTP API answers at {service.endpoint}")
        if not any(s.inputs.get("apiId") == api.id and s.inputs.get("name") == "$default"
                   for s in g.all("aws:apigatewayv2/stage:Stage")):
            return 404, {"message": "Not Found"}
        routes = [r for r in g.all("aws:apigatewayv2/route:Route") if r.inputs.get("apiId") == api.id]
        matched = _match_route(routes, method, path)
        if matched is None:
            return 404, {"message": "Not Found"}
        route, parameters = matched
        integration_id = route.inputs.get("target", "").split("/", 1)[-1]
        integration = next((r for r in g.all("aws:apigatewayv2/integration:Integration") if r.id == integration_id), None)
        if integration is None:
            return 500, {"message": "Internal Server Error"}
        uri = integration.inputs["integrationUri"]
        arn_match = re.search(r"(arn:[^:/]+:lambda:[^/]+)", uri)
        function_graph, function = self.function(arn_match.group(1) if arn_match else uri)
        source_arn = f"{api.outputs['executionArn']}/$default/{method}{path}"
        if function is None or not may_invoke(function_graph, function, "apigateway.amazonaws.com", source_arn):
            return 500, {"message": "Internal Server Error"}
        with self.clients() as aws:
            caller = aws.sts.get_caller_identity()["Arn"] if route.inputs.get("authorizationType") == "AWS_IAM" else None
        event = aws_shapes.http_api_request(method=method, path=path, route_key=route.inputs["routeKey"],
                                            path_parameters=parameters, body=body, account=g.account, api_id=api.id,
                                            region=g.region, caller_arn=caller)
        response = self.invoke(function_graph, function, event)
        return int(response["statusCode"]), json.loads(response.get("body") or "{}")

    def _via_load_balancer(self, service: Service, method: str, path: str, body: Optional[str]) -> tuple[int, dict]:
        g = self.graph
        url = urlsplit(service.endpoint)
        lb = next((r for r in g.all("aws:lb/loadBalancer:LoadBalancer") if r.outputs.get("dnsName") == url.hostname), None)
        if lb is None:
            raise FlowFailed(f"{service.name}: no load balancer answers at {url.hostname}")
        port = url.port or (443 if url.scheme == "https" else 80)
        listener = next((r for r in g.all("aws:lb/listener:Listener") if r.inputs.get("loadBalancerArn") == lb.id
                         and int(float(r.inputs.get("port", 0))) == port), None)
        if listener is None:
            raise FlowFailed(f"{service.name}: {lb.outputs['dnsName']} has no listener on port {port}")
        headers = {"content-type": "application/json"}
        target_group = None
        for action in sorted(unsecret(listener.inputs.get("defaultActions")) or [], key=lambda a: a.get("order", 0)):
            kind = action["type"]
            if kind in ("authenticate-oidc", "authenticate-cognito"):
                settings = action.get("authenticateOidc") or action.get("authenticateCognito") or {}
                headers.update(self._alb_login(lb.id, settings))
            elif kind == "forward":
                target_group = action.get("targetGroupArn") or ((action.get("forward") or {}).get("targetGroups") or [{}])[0].get("arn")
                break
            elif kind == "redirect":
                return int(action["redirect"]["statusCode"].removeprefix("HTTP_")), {"message": "redirect"}
            elif kind == "fixed-response":
                return int(action["fixedResponse"]["statusCode"]), {"message": action["fixedResponse"].get("messageBody")}
        ecs_service = next((r for r in g.all("aws:ecs/service:Service")
                            if any(b.get("targetGroupArn") == target_group for b in r.inputs.get("loadBalancers") or [])), None)
        if ecs_service is None:
            return 503, {"message": f"no ECS service behind target group {target_group}"}
        binding = next(b for b in ecs_service.inputs["loadBalancers"] if b.get("targetGroupArn") == target_group)
        task = next((r for r in g.all("aws:ecs/taskDefinition:TaskDefinition")
                     if r.outputs.get("arn") == ecs_service.inputs["taskDefinition"]), None)
        if task is None:
            raise FlowFailed(f"{service.name}: task definition {ecs_service.inputs['taskDefinition']} is not in the graph")
        container = next(c for c in json.loads(task.inputs["containerDefinitions"]) if c["name"] == binding["containerName"])
        image = next((r for r in g.all("awsx:ecr:Image") if r.outputs.get("imageUri") == container["image"]), None)
        if image is None:
            raise FlowSkipped(f"{service.name} runs image {container['image']}, not one built from this repository")
        variables = {e["name"]: e["value"] for e in container.get("environment") or []}
        with self._runtime(g, variables, {}):
            app = self._module(Path(image.inputs["context"]), "app")
            app.KEY_FETCHER = self._alb_public_key
            status, payload = app.handle(method, path, body, headers)
            # What the container's server writes on the wire (server.py: app.dumps), read back as JSON.
            return status, json.loads(app.dumps(payload))

    def _alb_login(self, alb_arn: str, settings: dict[str, Any]) -> dict[str, str]:
        """The headers the ALB adds once its authenticate action has logged a (synthetic) user in."""
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

        if self._alb_key is None:
            self._alb_key = ec.generate_private_key(ec.SECP256R1())
        issuer = settings.get("issuer") or f"https://cognito-idp.{self.graph.region}.amazonaws.com/" \
            f"{str(settings.get('userPoolArn', '')).rsplit('/', 1)[-1]}"
        subject = f"ddp-smoke-{self.run_id}"
        token = aws_shapes.alb_user_claims(private_key=self._alb_key, kid=f"ddp-smoke-{self.run_id}", alb_arn=alb_arn,
                                           issuer=issuer, client_id=settings.get("clientId") or
                                           settings.get("userPoolClientId", ""), subject=subject)
        return {"x-amzn-oidc-data": token, "x-amzn-oidc-identity": subject, "x-amzn-oidc-accesstoken": "opaque"}

    def _alb_public_key(self, region: str, kid: str) -> bytes:
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

        if self._alb_key is None or kid != f"ddp-smoke-{self.run_id}" or region != self.graph.region:
            raise LookupError(f"no ALB public key {kid} in {region}")
        return self._alb_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)


def may_invoke(graph: Graph, function: Record, principal: str, source_arn: str) -> bool:
    """Does a recorded permission let `principal` invoke the function from `source_arn`?"""
    for permission in graph.all("aws:lambda/permission:Permission"):
        i = permission.inputs
        if i.get("function") not in (function.outputs.get("name"), function.outputs.get("arn")):
            continue
        if i.get("principal") != principal or i.get("action", "lambda:InvokeFunction") not in (
                "lambda:InvokeFunction", "lambda:*"):
            continue
        if i.get("sourceArn") is None or fnmatchcase(source_arn, i["sourceArn"]):
            return True
    return False


def _match_route(routes: list[Record], method: str, path: str) -> Optional[tuple[Record, dict[str, str]]]:
    """API Gateway's route selection: the most specific matching route, then `$default`."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    best: Optional[tuple[tuple[int, int], Record, dict[str, str]]] = None
    default = None
    for route in routes:
        key = route.inputs.get("routeKey", "")
        if key == "$default":
            default = route
            continue
        route_method, _, template = key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        parts = [s for s in template.split("/") if s]
        parameters: dict[str, str] = {}
        matched = True
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                parameters[part[1:-2]] = "/".join(segments[index:])
                matched = len(segments) > index
                break
            if index >= len(segments):
                matched = False
                break
            if part.startswith("{") and part.endswith("}"):
                parameters[part[1:-1]] = segments[index]
            elif part != segments[index]:
                matched = False
                break
        else:
            matched = matched and len(parts) == len(segments)
        if matched:
            rank = (sum(1 for p in parts if not p.startswith("{")), int(route_method != "ANY"))
            if best is None or rank > best[0]:
                best = (rank, route, parameters)
    if best is not None:
        return best[1], best[2]
    return (default, {}) if default is not None else None
