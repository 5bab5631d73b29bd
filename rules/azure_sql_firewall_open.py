"""Azure SQL firewall rules that admit the whole internet (or a very wide public range)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import SQL_FIREWALL, firewall_open_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from firewall_open_hits(graph, SQL_FIREWALL)
