"""PostgreSQL server whose public endpoint is on and admits public addresses through firewall rules."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import POSTGRESQL_FIREWALL, public_endpoint_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from public_endpoint_hits(graph, [POSTGRESQL_FIREWALL], ("azurerm_postgresql_server", "azurerm_postgresql_flexible_server", "azurerm_cosmosdb_postgresql_cluster"), "PostgreSQL server")
