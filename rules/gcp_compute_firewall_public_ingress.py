"""Internet-open VPC firewall and firewall policy rules, graded by port."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import FIREWALL_TYPES, firewall_opening
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in graph.of_type(*FIREWALL_TYPES):
        opening = firewall_opening(res)
        if opening is None:
            continue
        targets = res.attrs.get("target_tags") or res.attrs.get("target_service_accounts")
        evidence = [] if targets else [Evidence("no target tags or service accounts: the rule applies to every VM in the network")] if res.type == "google_compute_firewall" else []
        source = "no source (so 0.0.0.0/0)" if opening.defaulted else ", ".join(opening.cidrs)
        yield Hit(
            res,
            opening.path,
            message=f"firewall rule {res.address} admits the whole internet ({source}) on {opening.describe()}: {opening.why}",
            evidence=evidence,
            severity=opening.severity,
            value=opening.cidrs,
        )
