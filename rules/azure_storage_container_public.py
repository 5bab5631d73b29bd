"""Containers with anonymous read access, graded by what their storage account allows."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import nested_items_public, storage_account_of, storage_network
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

WHAT = {
    "blob": "anyone who knows a blob's URL can download it without credentials",
    "container": "anyone can list and download every blob in it without credentials",
}


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for container in graph.of_type("azurerm_storage_container"):
        access = container.attrs.get("container_access_type")
        if isinstance(access, Unknown) or not isinstance(access, str) or access.strip().lower() not in WHAT:
            continue
        level = access.strip().lower()
        accounts = storage_account_of(graph, container)
        if not accounts:
            yield Hit(
                container,
                ("container_access_type",),
                message=f"storage container {container.address} is public (container_access_type = \"{access}\"): {WHAT[level]}, if its storage account allows public nested items",
                evidence=[Evidence("its storage account is not defined in the scanned code, so whether it allows public containers cannot be checked")],
                severity=Severity.HIGH,
                value=access,
            )
            continue
        for account in accounts:
            allowed = nested_items_public(account)
            if allowed.value is not True:
                continue  # disallowed, or not known
            network = storage_network(graph, account)
            evidence = [Evidence(f"storage account {account.address}: {allowed.describe()}", account.span)]
            if network.open is False:
                severity = Severity.MEDIUM
                evidence.append(Evidence(f"only networks allowed by {account.address} can reach it ({network.reason or 'its network rules deny by default'})"))
            elif network.open is True:
                severity = Severity.CRITICAL
                evidence.append(Evidence(f"{account.address} accepts every network: {network.reason}"))
            else:
                severity = Severity.CRITICAL
                evidence.append(Evidence(f"the network rules of {account.address} are not known"))
            yield Hit(
                container,
                ("container_access_type",),
                message=f"storage container {container.address} in {account.address} allows anonymous reads (container_access_type = \"{access}\"): {WHAT[level]}",
                evidence=evidence,
                severity=severity,
                value=access,
            )
