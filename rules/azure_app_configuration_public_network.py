"""App Configuration stores reachable over the public network."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import private_endpoints_of, to_bool
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for store in graph.of_type("azurerm_app_configuration"):
        setting = store.attrs.get("public_network_access")
        if isinstance(setting, Unknown):
            continue
        evidence = []
        if setting is None:
            endpoints = private_endpoints_of(graph, store)
            if endpoints:
                continue  # unset with a private endpoint: Azure turns public access off
            how = "public_network_access is not set and no private endpoint is attached, so the store stays public"
            evidence.append(Evidence("with public_network_access unset, Azure keeps the public endpoint until a private endpoint is connected"))
        elif to_bool(setting) is True:
            how = 'public_network_access = "Enabled"'
            for endpoint in private_endpoints_of(graph, store)[:2]:
                evidence.append(Evidence(f"private endpoint {endpoint.address} is attached, but the public endpoint stays open", endpoint.span))
        else:
            continue
        yield Hit(
            store,
            ("public_network_access",),
            message=f"App Configuration store {store.address} is reachable over the public network: {how}",
            evidence=evidence,
            value=setting if setting is not None else "",
        )
