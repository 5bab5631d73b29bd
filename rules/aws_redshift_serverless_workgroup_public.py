"""Publicly accessible Redshift Serverless workgroups, graded by their security groups."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import as_int, grade_public_endpoint, groups_at, is_cfn, path_of, prop, truth
from linter.graph import ResourceGraph
from linter.model import Severity
from linter.ruleset import Rule

DEFAULT_PORT = 5439


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for wg in graph.of_type("aws_redshiftserverless_workgroup", "AWS::RedshiftServerless::Workgroup"):
        cfn = is_cfn(wg)
        flag = "PubliclyAccessible" if cfn else "publicly_accessible"
        if truth(prop(wg, flag)) is not True:
            continue
        port = as_int(prop(wg, "Port" if cfn else "port")) or DEFAULT_PORT
        groups = groups_at(graph, wg, path_of(wg, "SecurityGroupIds" if cfn else "security_group_ids"))
        severity, evidence = grade_public_endpoint(graph, groups, port, "workgroup")
        if severity is Severity.CRITICAL:
            message = f"Redshift Serverless workgroup {wg.address} is reachable from the internet: it is publicly accessible and its security group admits the whole internet on port {port}"
        else:
            message = f"Redshift Serverless workgroup {wg.address} has a public endpoint ({flag} = true)"
        yield Hit(wg, path_of(wg, flag), message=message, evidence=evidence, severity=severity, value=True)
