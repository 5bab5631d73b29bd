"""Publicly accessible Redshift clusters, graded by their security groups."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import as_int, grade_public_endpoint, groups_at, is_cfn, path_of, prop, truth
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule

DEFAULT_PORT = 5439


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for cluster in graph.of_type("aws_redshift_cluster", "AWS::Redshift::Cluster"):
        cfn = is_cfn(cluster)
        flag = "PubliclyAccessible" if cfn else "publicly_accessible"
        value = prop(cluster, flag)
        port = as_int(prop(cluster, "Port" if cfn else "port")) or DEFAULT_PORT
        groups = groups_at(graph, cluster, path_of(cluster, "VpcSecurityGroupIds" if cfn else "vpc_security_group_ids"))
        if value is None and not cfn:
            yield Hit(
                cluster,
                (flag,),
                message=f"Redshift cluster {cluster.address} leaves publicly_accessible unset: AWS provider versions before 6.0 make it public by default",
                evidence=[Evidence("the AWS provider changed the default of publicly_accessible from true to false in version 6.0; set it explicitly")],
                severity=Severity.MEDIUM,
            )
            continue
        if truth(value) is not True:
            continue
        severity, evidence = grade_public_endpoint(graph, groups, port, "cluster")
        if severity is Severity.CRITICAL:
            message = f"Redshift cluster {cluster.address} is reachable from the internet: it is publicly accessible and its security group admits the whole internet on port {port}"
        else:
            message = f"Redshift cluster {cluster.address} has a public endpoint ({flag} = true)"
        yield Hit(cluster, path_of(cluster, flag), message=message, evidence=evidence, severity=severity, value=True)
