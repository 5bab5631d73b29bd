"""The 0.0.0.0 "allow Azure services" rule of Azure SQL servers."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import SQL_FIREWALL, azure_services_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from azure_services_hits(graph, [SQL_FIREWALL])
