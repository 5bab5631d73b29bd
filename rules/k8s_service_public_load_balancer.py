"""LoadBalancer Services open to the internet, naming the workloads they reach."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import INTERNAL_LB_ANNOTATIONS, annotation_matches, object_annotations, service_ports, workload_evidence
from linter.graph import ResourceGraph
from linter.internet import world_networks
from linter.model import Evidence, Severity
from linter.ports import DATABASE_PORTS, REMOTE_ADMIN_PORTS, WEB_PORTS
from linter.ruleset import Rule

SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for svc in graph.of_type("Service"):
        spec = svc.attrs.get("spec")
        if not isinstance(spec, dict) or spec.get("type") != "LoadBalancer":
            continue
        if annotation_matches(svc, INTERNAL_LB_ANNOTATIONS):
            continue
        ranges = spec.get("loadBalancerSourceRanges")
        if ranges is None and SOURCE_RANGES_ANNOTATION in object_annotations(svc):
            ranges = [r.strip() for r in str(object_annotations(svc)[SOURCE_RANGES_ANNOTATION]).split(",")]
        evidence: list[Evidence] = []
        if isinstance(ranges, list) and ranges:
            is_world, _ = world_networks(ranges)
            if is_world is not True:
                continue  # narrower than the internet (or not known)
            evidence.append(Evidence(f"loadBalancerSourceRanges {', '.join(map(str, ranges))} covers the whole internet"))
        else:
            evidence.append(Evidence("no loadBalancerSourceRanges and no internal load balancer annotation"))
        evidence.extend(workload_evidence(graph, svc))
        severity = Severity.HIGH
        sensitive = []
        for _, port in service_ports(svc):
            for key in ("port", "targetPort"):
                value = port.get(key)
                if isinstance(value, int) and (value in DATABASE_PORTS or value in REMOTE_ADMIN_PORTS):
                    sensitive.append(f"{value} ({DATABASE_PORTS.get(value) or REMOTE_ADMIN_PORTS.get(value)})")
        if sensitive:
            severity = Severity.CRITICAL
            evidence.append(Evidence(f"it publishes {', '.join(sorted(set(sensitive)))}"))
        published = [p.get("port") for _, p in service_ports(svc)]
        ports = ", ".join(str(p) for p in published) or "its ports"
        facts: dict[str, str] = {}
        if not sensitive and published and all(isinstance(p, int) and p in WEB_PORTS for p in published):
            # a public web endpoint is how websites work: one step from an exposure
            severity = Severity.MEDIUM
            facts = {"verdict": "posture", "verdict_reason": f"the load balancer publishes only web ports ({ports}), which is how public websites work; a port added for anything else would be an exposure"}
        yield Hit(
            svc,
            ("spec", "type"),
            message=f"{svc.address} gets a public load balancer: anyone on the internet can reach port {ports}",
            evidence=evidence,
            severity=severity,
            value="LoadBalancer",
            facts=facts,
        )
