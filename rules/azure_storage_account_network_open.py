"""Storage accounts whose public endpoint admits every network."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import STORAGE_ACCOUNT, flag, storage_network
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for account in graph.of_type(STORAGE_ACCOUNT):
        state = storage_network(graph, account)
        if state.open is not True:
            continue
        keys = flag(account.attrs, "shared_access_key_enabled", True)
        if keys.value is False:
            severity = Severity.MEDIUM
            auth = "only Entra ID tokens are accepted (shared_access_key_enabled = false)"
        else:
            severity = Severity.HIGH
            auth = "account keys and SAS tokens work from anywhere" + ("" if keys.explicit else " (shared key access is on by default)")
        evidence = list(state.evidence) + [Evidence(auth)]
        yield Hit(
            state.holder,
            state.path,
            subject=account,
            message=f"storage account {account.address} accepts connections from every network: {state.reason}",
            evidence=evidence,
            severity=severity,
            value=True,
        )
