"""Internet-open ingress on the VPC's default security group."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import default_group_open_ingress
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for sg in graph.of_type("aws_default_security_group"):
        for opening in default_group_open_ingress(sg):
            graded = opening.severity()
            if graded is not None and graded[0] is Severity.CRITICAL:
                severity, what = graded
            else:
                severity = Severity.HIGH
                what = graded[1] if graded is not None else f"web {opening.describe_ports()}"
            yield Hit(
                sg,
                opening.path,
                message=f"default security group {sg.address} admits the whole internet ({', '.join(opening.cidrs)}) on {opening.describe_ports()}: {what}; every resource launched without its own group inherits it",
                evidence=[Evidence("resources created in the VPC without a security group get the default group")],
                severity=severity,
                value=opening.cidrs,
            )
