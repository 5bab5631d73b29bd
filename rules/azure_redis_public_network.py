"""Redis caches whose public endpoint has no firewall rule narrowing it."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import REDIS_FIREWALL, flag, is_set, linked
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    # any firewall rule narrows the cache (even one whose range is not known)
    narrowed: set[str] = set()
    for res in graph.of_type(*REDIS_FIREWALL.rule_types):
        for cache in linked(graph, res, REDIS_FIREWALL.link_attrs, REDIS_FIREWALL.server_types):
            narrowed.add(cache.id)
    for cache in graph.of_type("azurerm_redis_cache"):
        if is_set(cache.attrs.get("subnet_id")) or cache.id in narrowed:
            continue  # injected into a virtual network, or limited by firewall rules
        public = flag(cache.attrs, "public_network_access_enabled", True)
        if public.value is not True:
            continue
        keys = flag(cache.attrs, "access_keys_authentication_enabled", True)
        if keys.value is False:
            severity, auth = Severity.MEDIUM, "access keys are disabled: only Entra ID tokens are accepted"
        else:
            severity, auth = Severity.HIGH, "its access keys (in every connection string) work from anywhere"
        evidence = [Evidence(auth)]
        if flag(cache.attrs, ("non_ssl_port_enabled", "enable_non_ssl_port"), False).value is True:
            evidence.append(Evidence("the non-TLS port 6379 is enabled as well"))
        yield Hit(
            cache,
            public.path,
            message=f"Redis cache {cache.address} accepts connections from every network: public network access is on ({public.describe()}) and no firewall rule narrows it",
            evidence=evidence,
            severity=severity,
            value=True,
        )
