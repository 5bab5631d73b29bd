"""Ingress backends that are databases or admin interfaces, judged through the graph."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import (
    INTERNAL_INGRESS_ANNOTATIONS,
    INTERNAL_INGRESS_CLASSES,
    annotation_matches,
    images_of,
    reached_workloads,
    sensitive_reason,
)
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.parsers.kubernetes import ingress_backends
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for ing in graph.of_type("Ingress"):
        spec = ing.attrs.get("spec")
        if not isinstance(spec, dict):
            continue
        if annotation_matches(ing, INTERNAL_INGRESS_ANNOTATIONS) or str(spec.get("ingressClassName", "")).lower() in INTERNAL_INGRESS_CLASSES:
            continue
        services = {s.meta["name"]: s for s in graph.references(ing, "backend", ("Service",))}
        for path, name, port in ingress_backends(ing):
            svc = services.get(name)
            workloads = reached_workloads(graph, svc) if svc is not None else []
            reason = sensitive_reason(name, port, images_of(workloads))
            if reason is None:
                continue
            evidence = []
            if svc is not None:
                evidence.append(Evidence(f"Service {svc.address}", svc.span))
            evidence.extend(Evidence(f"which routes to {w.address}", w.span) for w in workloads[:3])
            yield Hit(
                ing,
                path,
                message=f"{ing.address} publishes {name}{f':{port}' if port is not None else ''}, which looks like a database or admin interface ({reason})",
                evidence=evidence,
                value=name,
            )
