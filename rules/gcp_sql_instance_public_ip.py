"""Cloud SQL instances with a public IPv4 address (no internet-wide authorized network)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import IPCONF, sql_open_networks, sql_public_ip
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for db in graph.of_type("google_sql_database_instance"):
        public, path, why = sql_public_ip(graph, db)
        if public is not True:
            continue
        is_open, _ = sql_open_networks(db)
        if is_open is not False:
            continue  # open to the internet (the critical rule) or not known
        networks = value_at(db.attrs, IPCONF + ("authorized_networks",)) or []
        values = [n["value"] for n in networks if isinstance(n, dict) and isinstance(n.get("value"), str)]
        if values:
            reach = f"the database port answers {', '.join(values[:3])}{' and more' if len(values) > 3 else ''} with a password as the only control"
        else:
            reach = "no authorized networks, so only IAM-authorised connectors can use it today"
        yield Hit(
            db,
            path,
            message=f"Cloud SQL instance {db.address} has a public IP address: {reach}",
            evidence=why + [Evidence("set ipv4_enabled = false and use a private IP to take it off the internet")],
            value=True,
        )
