"""SQL server whose public endpoint is on and admits public addresses through firewall rules."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import SQL_FIREWALL, public_endpoint_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from public_endpoint_hits(graph, [SQL_FIREWALL], ("azurerm_mssql_server", "azurerm_sql_server"), "SQL server")
