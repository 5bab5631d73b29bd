"""Cosmos DB accounts that accept connections from every network."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import flag, is_set, world_entries
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for account in graph.of_type("azurerm_cosmosdb_account"):
        attrs = account.attrs
        public = flag(attrs, "public_network_access_enabled", True)
        if public.value is not True:
            continue
        ip_filter = attrs.get("ip_range_filter")
        if isinstance(ip_filter, Unknown):
            continue
        if is_set(ip_filter):
            truth, idx = world_entries(ip_filter, azure_zero=True)
            if not truth:
                continue  # limited to listed ranges (or not known)
            path = ("ip_range_filter",) + ((idx[0],) if isinstance(ip_filter, list) and len(idx) == 1 else ())
            shown = ", ".join(str(ip_filter[i]) for i in idx) if isinstance(ip_filter, list) else str(ip_filter)
            reason = f"ip_range_filter allows {shown}, the whole internet"
        else:
            vnet = flag(attrs, "is_virtual_network_filter_enabled", False)
            if vnet.value is not False:
                continue  # only the listed subnets (and private endpoints), or not known
            path = public.path
            reason = "it has no ip_range_filter and virtual network filtering is off, so its firewall is disabled"
        local_auth_off = flag(attrs, "local_authentication_disabled", False)
        if local_auth_off.value is True:
            severity, auth = Severity.MEDIUM, "only Entra ID tokens are accepted (local_authentication_disabled = true)"
        else:
            severity, auth = Severity.HIGH, "its account keys and resource tokens work from anywhere"
        yield Hit(
            account,
            path,
            message=f"Cosmos DB account {account.address} accepts connections from every network: {reason}",
            evidence=[Evidence(f"public network access: {public.describe()}"), Evidence(auth)],
            severity=severity,
            value=True,
        )
