"""SAM (``Transform: AWS::Serverless-2016-10-31``): what the serverless resources imply.

SAM writes in a few lines what becomes several CloudFormation resources. Those implied
resources are what is exposed, so they join the graph (with the span of the SAM setting
that creates them and an edge to the SAM resource):

- a function's ``FunctionUrlConfig`` is an ``AWS::Lambda::Url``;
- an ``Api`` event is an ``AWS::ApiGateway::Method`` on the event's (or the implicit) API,
  whose authorization is the event's ``Auth.Authorizer``, else the API's (or the
  ``Globals``) ``DefaultAuthorizer``, else none;
- an ``HttpApi`` event is an ``AWS::ApiGatewayV2::Route`` with the same logic.
"""

from __future__ import annotations

from typing import Any

from linter.graph import Resource
from linter.model import Span
from linter.parsers.cloudformation.intrinsics import Resolver
from linter.values import PDict, Unknown

_API_AUTH = {"AWS_IAM": "AWS_IAM", "NONE": "NONE"}


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _target_api(graph_ids: dict[str, Resource], ref: Any) -> Resource | None:
    if isinstance(ref, Unknown) and ref.ref is not None:
        return graph_ids.get(ref.ref)
    return None


def _default_authorizer(doc: PDict, api: Resource | None, kind: str) -> Any:
    if api is not None:
        found = _get(api.attrs, "Properties", "Auth", "DefaultAuthorizer")
        if found is not None:
            return found
    return _get(doc, "Globals", kind, "Auth", "DefaultAuthorizer")


def _authorization(authorizer: Any, iam_default: bool) -> str:
    if authorizer is None:
        return "AWS_IAM" if iam_default else "NONE"
    if isinstance(authorizer, Unknown):
        return "UNKNOWN"
    name = str(authorizer)
    if name in _API_AUTH:
        return _API_AUTH[name]
    return "CUSTOM"


def expand_sam(doc: PDict, created: list[Resource], resolver: Resolver) -> list[Resource]:
    by_id = {r.id: r for r in created}
    out: list[Resource] = []
    for fn in created:
        if fn.type != "AWS::Serverless::Function":
            continue
        props = fn.attrs.get("Properties")
        if not isinstance(props, PDict):
            continue
        url = props.get("FunctionUrlConfig")
        if isinstance(url, PDict):
            span = props.spans.get("FunctionUrlConfig", fn.span)
            url_props = PDict(url, span=url.span)
            url_props.spans = dict(url.spans)
            url_props["TargetFunctionArn"] = Unknown(f"the ARN of {fn.address}", fn.id)
            out.append(_implied(fn, f"{fn.address}Url", "AWS::Lambda::Url", url_props, span, {"TargetFunctionArn": fn.id}))
        events = props.get("Events")
        if not isinstance(events, PDict):
            continue
        for name, event in events.items():
            if not isinstance(event, PDict):
                continue
            kind = event.get("Type")
            given = event.get("Properties")
            eprops = given if isinstance(given, PDict) else PDict()
            span = events.spans.get(name, fn.span)
            if kind == "Api":
                api_ref = eprops.get("RestApiId")
                api = _target_api(by_id, api_ref)
                authorizer = _get(eprops, "Auth", "Authorizer")
                if authorizer is None:
                    authorizer = _default_authorizer(doc, api, "Api")
                method = PDict(span=span)
                method["HttpMethod"] = str(eprops.get("Method", "ANY")).upper()
                method["ResourcePath"] = eprops.get("Path", "/")
                method["AuthorizationType"] = _authorization(authorizer, False)
                method["ApiKeyRequired"] = bool(_get(eprops, "Auth", "ApiKeyRequired") or _get(api.attrs if api else None, "Properties", "Auth", "ApiKeyRequired"))
                method["RestApiId"] = api_ref if api_ref is not None else "ServerlessRestApi"
                for key in method:
                    method.spans[key] = eprops.spans.get("Auth", span) if key in ("AuthorizationType", "ApiKeyRequired") else span
                refs = {"RestApiId": api.id} if api is not None else {}
                refs["Integration"] = fn.id
                out.append(_implied(fn, f"{fn.address}{name}Method", "AWS::ApiGateway::Method", method, span, refs))
            elif kind == "HttpApi":
                api_ref = eprops.get("ApiId")
                api = _target_api(by_id, api_ref)
                authorizer = _get(eprops, "Auth", "Authorizer")
                if authorizer is None:
                    authorizer = _default_authorizer(doc, api, "HttpApi")
                route = PDict(span=span)
                route["RouteKey"] = f"{str(eprops.get('Method', 'ANY')).upper()} {eprops.get('Path', '/$default')}" if eprops else "$default"
                route["AuthorizationType"] = _authorization(authorizer, False) if authorizer != "AWS_IAM" else "AWS_IAM"
                if route["AuthorizationType"] == "CUSTOM":
                    route["AuthorizationType"] = "JWT"
                route["ApiId"] = api_ref if api_ref is not None else "ServerlessHttpApi"
                for key in route:
                    route.spans[key] = eprops.spans.get("Auth", span) if key == "AuthorizationType" else span
                refs = {"ApiId": api.id} if api is not None else {}
                refs["Target"] = fn.id
                out.append(_implied(fn, f"{fn.address}{name}Route", "AWS::ApiGatewayV2::Route", route, span, refs))
    return out


def _implied(source: Resource, logical: str, rtype: str, props: PDict, span: Span, refs: dict[str, str]) -> Resource:
    attrs = PDict({"Type": rtype, "Properties": props}, span=span)
    attrs.spans = {"Type": span, "Properties": span}
    return Resource(
        id=f"{source.id}/{logical}",
        address=logical,
        type=rtype,
        format="cloudformation",
        attrs=attrs,
        span=span,
        block_span=span,
        refs={k: frozenset({v}) for k, v in refs.items()},
        origins=source.origins,
        meta={"implied_by": source.address},
        case=source.case,
    )
