"""NodePort Services, naming the workloads they reach."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import service_ports, workload_evidence
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for svc in graph.of_type("Service"):
        spec = svc.attrs.get("spec")
        if not isinstance(spec, dict) or spec.get("type") != "NodePort":
            continue
        node_ports = [str(p.get("nodePort")) for _, p in service_ports(svc) if p.get("nodePort") is not None]
        where = f"port {', '.join(node_ports)}" if node_ports else "a port the cluster allocates (30000-32767)"
        yield Hit(
            svc,
            ("spec", "type"),
            message=f"{svc.address} is published on every node, on {where}",
            evidence=[Evidence("reachable from outside the cluster wherever nodes have public addresses")] + workload_evidence(graph, svc),
            value="NodePort",
        )
