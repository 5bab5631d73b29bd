"""Internet-open ingress, with severity by port, naming the group and what uses it."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.network import GROUP_TYPES, INGRESS_TYPES, open_ingress_of_resource
from linter.graph import Resource, ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule

_USERS = (
    "vpc_security_group_ids",
    "security_groups",
    "security_group_ids",
    "SecurityGroupIds",
    "SecurityGroups",
    "VPCSecurityGroups",
    "VpcSecurityGroupIds",
)


def _group_of(graph: ResourceGraph, res: Resource) -> Resource | None:
    if res.type in GROUP_TYPES:
        return res
    attr = "GroupId" if res.format == "cloudformation" else "security_group_id"
    return next(iter(graph.references(res, attr, GROUP_TYPES)), None)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in graph.of_type(*INGRESS_TYPES):
        for opening in open_ingress_of_resource(res):
            graded = opening.severity()
            if graded is None:
                continue
            severity, what = graded
            group = _group_of(graph, res)
            name = group.address if group is not None else res.address
            evidence = []
            if group is not None and group is not res:
                evidence.append(Evidence(f"rule of security group {group.address}", group.span))
            if group is not None:
                users = [u for u in graph.referrers(group) if any(group.id in u.refs.get(a, ()) for a in _USERS)]
                for user in users[:3]:
                    evidence.append(Evidence(f"used by {user.address}", user.span))
            yield Hit(
                res,
                opening.path,
                message=f"security group {name} admits the whole internet ({', '.join(opening.cidrs)}) on {opening.describe_ports()}: {what}",
                evidence=evidence,
                severity=severity,
                value=opening.cidrs,
            )
