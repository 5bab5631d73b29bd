"""Private REST APIs whose resource policy lets in every VPC endpoint of every account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_resource_policy import policy_hit, public_grants
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown

INVOKE = frozenset({"execute-api:Invoke"})


def _endpoint_types(api: Resource) -> tuple[Any, tuple[Any, ...]]:
    """The endpoint types of an API and where they are written (None when not set)."""
    if api.format == "cloudformation":
        path: tuple[Any, ...] = ("Properties", "EndpointConfiguration", "Types")
        return value_at(api.attrs, path), path
    blocks = api.attrs.get("endpoint_configuration")
    if isinstance(blocks, Unknown):
        return blocks, ("endpoint_configuration",)
    if isinstance(blocks, list) and blocks:
        return value_at(api.attrs, ("endpoint_configuration", 0, "types")), ("endpoint_configuration", 0, "types")
    return None, ()


def _is_private(api: Resource) -> tuple[bool, Evidence | None]:
    types, path = _endpoint_types(api)
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or any(isinstance(t, Unknown) for t in types):
        return False, None
    if any(isinstance(t, str) and t.strip().upper() == "PRIVATE" for t in types):
        return True, Evidence(f"{api.address} has the PRIVATE endpoint type", locate(api, path))
    return False, None


def _sources(graph: ResourceGraph) -> Iterator[tuple[Resource, tuple[str, ...], Resource | None]]:
    for api in graph.of_type("aws_api_gateway_rest_api"):
        if api.attrs.get("policy") is not None:
            yield api, ("policy",), api
    for pol in graph.of_type("aws_api_gateway_rest_api_policy"):
        yield pol, ("policy",), next(iter(graph.references(pol, "rest_api_id", ["aws_api_gateway_rest_api"])), None)
    for api in graph.of_type("AWS::ApiGateway::RestApi"):
        yield api, ("Properties", "Policy"), api


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder, path, api in _sources(graph):
        if api is None:
            continue  # endpoint type not known: public APIs normally allow everyone
        private, why = _is_private(api)
        if not private or why is None:
            continue
        policy = value_at(holder.attrs, path)
        if policy is None:
            continue
        for grant in public_grants(policy, INVOKE):
            yield policy_hit(
                api,
                holder,
                path,
                grant,
                f"private REST API {api.address}",
                "invoke it (execute-api:Invoke) through any execute-api VPC endpoint of any account",
                evidence=[why, Evidence("no aws:SourceVpce or aws:SourceVpc condition, in this statement or in a Deny, names your VPC endpoints")],
            )
