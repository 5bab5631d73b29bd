"""API Gateway v2 routes without authorization (SAM HttpApi events and quick-create APIs included)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, prop, targets
from linter.graph import Resource, ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown

API_TYPES = ("aws_apigatewayv2_api", "AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi")


def _protocol(api: Resource) -> str | None:
    value = prop(api, "ProtocolType" if is_cfn(api) else "protocol_type")
    if api.type == "AWS::Serverless::HttpApi":
        return "HTTP"
    if isinstance(value, str):
        return value.upper()
    return None


def _route_hits(graph: ResourceGraph, route: Resource) -> Iterator[Hit]:
    cfn = is_cfn(route)
    key = "AuthorizationType" if cfn else "authorization_type"
    auth = prop(route, key)
    if isinstance(auth, Unknown) or (auth is not None and str(auth).upper() != "NONE"):
        return
    route_key = prop(route, "RouteKey" if cfn else "route_key")
    if not isinstance(route_key, str):
        return
    if route_key.strip().upper().startswith("OPTIONS "):
        return
    apis = targets(graph, route, path_of(route, "ApiId" if cfn else "api_id"), API_TYPES)
    api = apis[0] if apis else None
    protocol = _protocol(api) if api is not None else ("HTTP" if route.meta.get("implied_by") else None)
    if protocol == "WEBSOCKET" and route_key != "$connect":
        return
    if protocol is None and route_key.startswith("$") and route_key not in ("$default", "$connect"):
        return  # a WebSocket-only route key on an API we cannot see
    evidence: list[Evidence] = []
    if api is not None:
        evidence.append(Evidence(f"{api.address} is a {protocol or 'public'} API: API Gateway v2 APIs have public endpoints", api.span))
    if route.meta.get("implied_by"):
        message = f"the HttpApi event {route_key} of SAM function {route.meta['implied_by']} has no authorizer: anyone on the internet can invoke it"
    elif protocol == "WEBSOCKET":
        message = f"WebSocket API route $connect ({route.address}) has no authorization: anyone on the internet can open a connection"
    else:
        message = f"API Gateway route {route_key} ({route.address}) has no authorization: anyone on the internet can call it"
    yield Hit(route, path_of(route, key), message=message, evidence=evidence, value="NONE")


def _quick_create_hits(api: Resource) -> Iterator[Hit]:
    key = "Target" if is_cfn(api) else "target"
    target = prop(api, key)
    if target is None or _protocol(api) != "HTTP":
        return
    yield Hit(
        api,
        path_of(api, key),
        message=f"HTTP API {api.address} is created with quick create: its $default route sends every request to the target with no authorization",
        evidence=[Evidence("quick create makes a $default route without an authorizer")],
        value="NONE",
    )


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for route in graph.of_type("aws_apigatewayv2_route", "AWS::ApiGatewayV2::Route"):
        yield from _route_hits(graph, route)
    for api in graph.of_type("aws_apigatewayv2_api", "AWS::ApiGatewayV2::Api"):
        yield from _quick_create_hits(api)
