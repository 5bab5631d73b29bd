"""Service Bus namespaces whose public endpoint admits every network."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import acl_opening, flag, linked_children
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule

SEPARATE = "azurerm_servicebus_namespace_network_rule_set"


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for namespace in graph.of_type("azurerm_servicebus_namespace"):
        public = flag(namespace.attrs, "public_network_access_enabled", True)
        if public.value is not True:
            continue
        separate = linked_children(graph, namespace, (SEPARATE,), ("namespace_id",))
        if separate:
            holder = separate[0]
            rule_set: dict = {"network_rule_set": [holder.attrs]}
            strip = 2
        else:
            holder, rule_set, strip = namespace, namespace.attrs, 0
        blk = rule_set.get("network_rule_set")
        first = blk[0] if isinstance(blk, list) and blk else None
        if isinstance(first, dict) and flag(first, "public_network_access_enabled", True).value is not True:
            continue  # the rule set turns public access off (or it is not known)
        opening = acl_opening(rule_set, "network_rule_set")
        if opening.truth is not True:
            continue
        evidence = [Evidence(f"network rule set of {namespace.address}", namespace.span)] if holder is not namespace else []
        evidence.append(Evidence(f"public network access: {public.describe()}"))
        reason = opening.reason.replace("network_rule_set ", f"{holder.address} ") if holder is not namespace else opening.reason
        yield Hit(
            holder,
            opening.path[strip:],
            subject=namespace,
            message=f"Service Bus namespace {namespace.address} accepts connections from every network: {reason}",
            evidence=evidence,
            value=True,
        )
