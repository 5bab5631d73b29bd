"""Storage accounts that let containers opt into anonymous access (when no container does yet)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import STORAGE_ACCOUNT, linked_children, nested_items_public
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown

PUBLIC_LEVELS = ("blob", "container")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for account in graph.of_type(STORAGE_ACCOUNT):
        kind = account.attrs.get("account_kind")
        if isinstance(kind, str) and kind.lower() == "filestorage":
            continue
        allowed = nested_items_public(account)
        if allowed.value is not True:
            continue
        containers = linked_children(graph, account, ("azurerm_storage_container",), ("storage_account_id", "storage_account_name"))
        public = [
            c for c in containers
            if isinstance(c.attrs.get("container_access_type"), str) and c.attrs["container_access_type"].lower() in PUBLIC_LEVELS
        ]
        if public:
            continue  # azure-storage-container-public reports the exposed container
        evidence = []
        if not allowed.explicit:
            evidence.append(Evidence("assuming the azurerm v3/v4 default (true); azurerm v2 defaulted allow_blob_public_access to false"))
        undecided = [c for c in containers if isinstance(c.attrs.get("container_access_type"), Unknown)]
        for c in undecided[:2]:
            evidence.append(Evidence(f"the access level of container {c.address} is not known", c.span))
        yield Hit(
            account,
            allowed.path,
            message=f"storage account {account.address} allows public containers ({allowed.describe()}): one container setting would make its blobs readable by anyone",
            evidence=evidence,
            value=True,
        )
