"""AlloyDB instances with a public IP and an authorized external network covering the internet."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import open_ranges
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.ruleset import Rule

NET = ("network_config", 0)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for inst in graph.of_type("google_alloydb_instance"):
        public = value_at(inst.attrs, NET + ("enable_public_ip",))
        if not (public is True or (isinstance(public, str) and public.lower() == "true")):
            continue
        networks = value_at(inst.attrs, NET + ("authorized_external_networks",))
        entries = networks if isinstance(networks, list) else []
        ranges = [e.get("cidr_range") if isinstance(e, dict) else None for e in entries]
        truth, idx = open_ranges(ranges)
        if truth is not True:
            continue
        for i in idx:
            yield Hit(
                inst,
                NET + ("authorized_external_networks", i, "cidr_range"),
                message=f"AlloyDB instance {inst.address} accepts PostgreSQL connections from the whole internet: authorized network {ranges[i]} on its public IP",
                value=ranges[i],
            )
