"""Publicly accessible RDS instances; critical when a security group admits the internet on the DB port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.network import ENGINE_PORTS, GROUP_TYPES, open_ingress_of_group
from linter.checks.s3 import setting, setting_path
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

# (type, cluster reference, cluster type, security group attribute of the instance / of the cluster)
KINDS = {
    "aws_db_instance": ("", "", "vpc_security_group_ids", ""),
    "aws_rds_cluster_instance": ("cluster_identifier", "aws_rds_cluster", "", "vpc_security_group_ids"),
    "AWS::RDS::DBInstance": ("DBClusterIdentifier", "AWS::RDS::DBCluster", "VPCSecurityGroups", "VpcSecurityGroupIds"),
}


def _port(db: Resource, cluster: Resource | None) -> int | None:
    for res in (db, cluster):
        if res is None:
            continue
        port = setting(res, "Port" if res.format == "cloudformation" else "port")
        try:
            if port is not None and not isinstance(port, (bool, Unknown)):
                return int(port)
        except (TypeError, ValueError):
            pass
    for res in (db, cluster):
        if res is None:
            continue
        engine = setting(res, "Engine" if res.format == "cloudformation" else "engine")
        if isinstance(engine, str):
            for prefix, port in ENGINE_PORTS.items():
                if engine.lower() == prefix or engine.lower().startswith(prefix + "-"):
                    return port
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for db in graph.of_type(*KINDS):
        flag = "PubliclyAccessible" if db.format == "cloudformation" else "publicly_accessible"
        if not _truthy(setting(db, flag)):
            continue
        cluster_attr, cluster_type, own_sg_attr, cluster_sg_attr = KINDS[db.type]
        cluster = next(iter(graph.references(db, cluster_attr, (cluster_type,))), None) if cluster_attr else None
        groups: list[Resource] = []
        for holder, attr in ((db, own_sg_attr), (cluster, cluster_sg_attr)):
            if holder is None or not attr:
                continue
            for sg in graph.references(holder, attr, GROUP_TYPES):
                if sg not in groups:
                    groups.append(sg)
        port = _port(db, cluster)
        evidence: list[Evidence] = []
        severity = Severity.HIGH
        for sg in groups:
            for opening in open_ingress_of_group(graph, sg):
                reaches = opening.covers(port) if port is not None else (True if opening.all_ports else None)
                if reaches:
                    severity = Severity.CRITICAL
                    evidence.append(
                        Evidence(
                            f"security group {sg.address} admits {', '.join(opening.cidrs)} on {opening.describe_ports()}"
                            + (f", which includes the database port {port}" if port is not None else ""),
                            locate(opening.holder, opening.path),
                        )
                    )
        if severity is Severity.CRITICAL:
            message = f"RDS database {db.address} is reachable from the internet: it is publicly accessible and its security group admits the whole internet"
        else:
            message = f"RDS database {db.address} has a public endpoint ({flag} = true)"
            if groups:
                names = ", ".join(sg.address for sg in groups)
                evidence.append(Evidence(f"its security groups ({names}) do not admit the internet on port {port if port else '(unknown)'} today; one rule change would expose it"))
            else:
                evidence.append(Evidence("its security groups are not defined in the scanned code"))
        yield Hit(db, setting_path(db, flag), message=message, evidence=evidence, severity=severity, value=True)
