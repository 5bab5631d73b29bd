"""Services with externalIPs, naming the workloads they reach."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import workload_evidence
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for svc in graph.of_type("Service"):
        spec = svc.attrs.get("spec")
        ips = spec.get("externalIPs") if isinstance(spec, dict) else None
        if not isinstance(ips, list) or not ips:
            continue
        yield Hit(
            svc,
            ("spec", "externalIPs"),
            message=f"{svc.address} accepts traffic for {', '.join(map(str, ips))} on every node",
            evidence=workload_evidence(graph, svc),
            value=ips,
        )
