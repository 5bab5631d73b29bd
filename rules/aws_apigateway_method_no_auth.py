"""REST API methods without authorization on public APIs (SAM Api events included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, prop, targets, truth
from linter.checks.aws_policy import action_matches, public_grants, statements
from linter.graph import Resource, ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown, decode_json_value

API_TYPES = ("aws_api_gateway_rest_api", "AWS::ApiGateway::RestApi", "AWS::Serverless::Api")
INVOKE = frozenset({"execute-api:Invoke"})
NETWORK_KEYS = {"aws:sourceip", "aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"}


def _endpoint_types(api: Resource) -> Any:
    if api.type == "aws_api_gateway_rest_api":
        return value_at(api.attrs, ("endpoint_configuration", 0, "types"))
    if api.type == "AWS::Serverless::Api":
        conf = prop(api, "EndpointConfiguration")
        return conf.get("Type") if isinstance(conf, dict) else conf
    return prop(api, "EndpointConfiguration", "Types")


def _private(api: Resource) -> bool | None:
    types = _endpoint_types(api)
    if types is None:
        return False
    items = types if isinstance(types, list) else [types]
    if any(isinstance(t, Unknown) for t in items):
        return None
    return any(isinstance(t, str) and t.upper() == "PRIVATE" for t in items)


def _policies(graph: ResourceGraph, api: Resource) -> list[tuple[Resource, Any]]:
    out: list[tuple[Resource, Any]] = []
    inline = prop(api, "Policy") if is_cfn(api) else api.attrs.get("policy")
    if inline is not None:
        out.append((api, inline))
    for pol in graph.referrers(api, ("aws_api_gateway_rest_api_policy",), "rest_api_id"):
        if any(t is api for t in targets(graph, pol, ("rest_api_id",), (api.type,))):
            out.append((pol, pol.attrs.get("policy")))
    return out


def _denies_outside_network(document: Any) -> bool:
    """A Deny for everyone on invoke unless the caller comes from a given range or endpoint."""
    for st in statements(document):
        if not isinstance(st, dict) or str(st.get("Effect", "")).lower() != "deny":
            continue
        actions = st.get("Action")
        patterns = [str(a) for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)]
        if not action_matches(patterns, INVOKE):
            continue
        cond = st.get("Condition")
        if not isinstance(cond, dict):
            continue
        for operator, clauses in cond.items():
            if "not" not in str(operator).lower() or not isinstance(clauses, dict):
                continue
            if any(str(k).lower() in NETWORK_KEYS for k in clauses):
                return True
    return False


def _restricted_by_policy(graph: ResourceGraph, api: Resource) -> list[Evidence] | None:
    """Evidence that the API's resource policy keeps the public out, or None."""
    for holder, policy in _policies(graph, api):
        document = decode_json_value(policy)
        if isinstance(document, Unknown) or not isinstance(document, dict):
            return [Evidence(f"the resource policy of {api.address} is not known from the code")]
        if not public_grants(document, INVOKE):
            return [Evidence(f"{holder.address} lets only named principals or limited callers invoke the API", holder.span)]
        if _denies_outside_network(document):
            return [Evidence(f"{holder.address} denies callers outside a source range or VPC endpoint", holder.span)]
    return None


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for method in graph.of_type("aws_api_gateway_method", "AWS::ApiGateway::Method"):
        cfn = is_cfn(method)
        key = "AuthorizationType" if cfn else "authorization"
        auth = prop(method, key)
        if auth is None and not cfn:
            continue
        if isinstance(auth, Unknown):
            continue
        if auth is not None and str(auth).upper() != "NONE":
            continue
        verb = prop(method, "HttpMethod" if cfn else "http_method")
        if isinstance(verb, Unknown) or (isinstance(verb, str) and verb.upper() == "OPTIONS"):
            continue
        if truth(prop(method, "ApiKeyRequired" if cfn else "api_key_required")) is not False:
            continue  # an API key is required, or whether it is is not known
        apis = targets(graph, method, path_of(method, "RestApiId" if cfn else "rest_api_id"), API_TYPES)
        evidence: list[Evidence] = []
        api_name = "its REST API"
        if apis:
            api = apis[0]
            api_name = f"REST API {api.address}"
            private = _private(api)
            if private is not False:
                continue
            if _restricted_by_policy(graph, api) is not None:
                continue
            evidence.append(Evidence(f"{api.address} is a public (edge-optimized or regional) endpoint", api.span))
        elif cfn and method.meta.get("implied_by"):
            api_name = "the implicit API of the SAM template"
            evidence.append(Evidence("SAM creates a public API (ServerlessRestApi) for Api events that name no RestApiId"))
        else:
            evidence.append(Evidence("the REST API is not defined in the scanned code, so no private endpoint or resource policy is known to protect it"))
        if method.meta.get("implied_by"):
            path = prop(method, "ResourcePath")
            what = f"{verb} {path}" if isinstance(path, str) else str(verb)
            message = f"the Api event {what} of SAM function {method.meta['implied_by']} has no authorizer: anyone on the internet can invoke it through {api_name}"
        else:
            message = f"API Gateway method {verb if isinstance(verb, str) else ''} {method.address} has no authorization: anyone on the internet can call it through {api_name}".replace("  ", " ")
        yield Hit(method, path_of(method, key), message=message, evidence=evidence, value="NONE")
