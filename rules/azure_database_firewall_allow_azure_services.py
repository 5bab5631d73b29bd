"""The 0.0.0.0 "allow Azure services" rule of PostgreSQL, MySQL, MariaDB and Synapse."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import MARIADB_FIREWALL, MYSQL_FIREWALL, POSTGRESQL_FIREWALL, SYNAPSE_FIREWALL, azure_services_hits
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from azure_services_hits(graph, [POSTGRESQL_FIREWALL, MYSQL_FIREWALL, MARIADB_FIREWALL, SYNAPSE_FIREWALL])
