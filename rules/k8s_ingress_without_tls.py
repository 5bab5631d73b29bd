"""Ingresses without TLS in front of Services."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import INTERNAL_INGRESS_ANNOTATIONS, INTERNAL_INGRESS_CLASSES, annotation_matches
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.parsers.kubernetes import ingress_backends
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for ing in graph.of_type("Ingress"):
        spec = ing.attrs.get("spec")
        if not isinstance(spec, dict) or spec.get("tls"):
            continue
        if annotation_matches(ing, INTERNAL_INGRESS_ANNOTATIONS) or str(spec.get("ingressClassName", "")).lower() in INTERNAL_INGRESS_CLASSES:
            continue
        backends = list(ingress_backends(ing))
        if not backends:
            continue
        names = sorted({name for _, name, _ in backends})
        evidence = [Evidence(f"routes to Service {s.address}", s.span) for s in graph.references(ing, "backend", ("Service",))]
        yield Hit(
            ing,
            ("spec",),
            message=f"{ing.address} publishes {', '.join(names)} over plain HTTP: it has no tls section",
            evidence=evidence,
        )
