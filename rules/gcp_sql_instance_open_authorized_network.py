"""Cloud SQL instances with a public IP and an authorized network that covers the internet."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import org_policy, sql_open_networks, sql_public_ip
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for db in graph.of_type("google_sql_database_instance"):
        public, _, why = sql_public_ip(graph, db)
        if public is not True:
            continue
        restricted, _ = org_policy(graph, db, "sql.restrictAuthorizedNetworks")
        if restricted is not False:
            continue
        is_open, entries = sql_open_networks(db)
        if is_open is not True:
            continue
        engine = db.attrs.get("database_version")
        what = f" ({engine})" if isinstance(engine, str) else ""
        for path, value in entries:
            yield Hit(
                db,
                path,
                message=f"Cloud SQL instance {db.address}{what} accepts database connections from the whole internet: authorized network {value} on its public IP",
                evidence=list(why),
                value=value,
            )
