"""MySQL server whose public endpoint is on and admits public addresses through firewall rules."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import MYSQL_FIREWALL, public_endpoint_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from public_endpoint_hits(graph, [MYSQL_FIREWALL], ("azurerm_mysql_server", "azurerm_mysql_flexible_server"), "MySQL server")
