"""Publicly accessible RDS instances; critical when a security group admits the internet on the DB port."""

from __future__ import annotations

from typing import Any, Iterator

from linter.checks import Hit
from linter.checks.network import ENGINE_PORTS, open_ingress_of_group
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown


def _port(db: Resource, cluster: Resource | None) -> int | None:
    for res in (db, cluster):
        if res is None:
            continue
        port = res.attrs.get("port")
        if isinstance(port, int) and not isinstance(port, bool):
            return port
    for res in (db, cluster):
        if res is None:
            continue
        engine = res.attrs.get("engine")
        if isinstance(engine, str):
            for prefix, port in ENGINE_PORTS.items():
                if engine == prefix or engine.startswith(prefix + "-"):
                    return port
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for db in graph.of_type("aws_db_instance", "aws_rds_cluster_instance"):
        if isinstance(db.attrs.get("publicly_accessible"), Unknown) or not _truthy(db.attrs.get("publicly_accessible")):
            continue
        cluster = next(iter(graph.references(db, "cluster_identifier", ("aws_rds_cluster",))), None)
        holders = [db] + ([cluster] if cluster is not None else [])
        groups: list[Resource] = []
        for holder in holders:
            for sg in graph.references(holder, "vpc_security_group_ids", ("aws_security_group",)):
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
            message = f"RDS database {db.address} has a public endpoint (publicly_accessible = true)"
            if groups:
                names = ", ".join(sg.address for sg in groups)
                evidence.append(Evidence(f"its security groups ({names}) do not admit the internet on port {port if port else '(unknown)'} today; one rule change would expose it"))
            else:
                evidence.append(Evidence("its security groups are not defined in the scanned code"))
        yield Hit(db, ("publicly_accessible",), message=message, evidence=evidence, severity=severity, value=True)
