"""Registries that serve images to unauthenticated clients."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import acl_opening, flag
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for registry in graph.of_type("azurerm_container_registry"):
        anonymous = flag(registry.attrs, "anonymous_pull_enabled", False)
        if anonymous.value is not True:
            continue
        public = flag(registry.attrs, "public_network_access_enabled", True)
        opening = acl_opening(registry.attrs, "network_rule_set", ip_lists=(("ip_rule", "ip_range"),))
        if public.value is False or opening.truth is False:
            severity = Severity.MEDIUM
            reach = "only from the networks its rules allow" if public.value is not False else "only through its private endpoints"
        else:
            severity = Severity.HIGH
            reach = "from anywhere on the internet"
        evidence = [Evidence(f"network: {public.describe()}" + (f"; {opening.reason}" if opening.truth else ""))]
        yield Hit(
            registry,
            anonymous.path,
            message=f"container registry {registry.address} serves its images to unauthenticated clients (anonymous_pull_enabled = true), reachable {reach}",
            evidence=evidence,
            severity=severity,
            value=True,
        )
