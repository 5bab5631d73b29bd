"""Managed node groups with an SSH key and no source security groups (SSH open to 0.0.0.0/0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import SUBNET_TYPES, first_block, is_cfn, maps_public_ip, path_of, prop, subnet_internet_routes, targets
from linter.graph import ResourceGraph
from linter.model import Evidence, Path, Severity
from linter.ruleset import Rule
from linter.values import Unknown


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for group in graph.of_type("aws_eks_node_group", "AWS::EKS::Nodegroup"):
        cfn = is_cfn(group)
        if cfn:
            access: Any = prop(group, "RemoteAccess")
            base: Path = ("Properties", "RemoteAccess")
            key_name, sources_name = "Ec2SshKey", "SourceSecurityGroups"
        else:
            access = first_block(group.attrs.get("remote_access"))
            base = ("remote_access", 0)
            key_name, sources_name = "ec2_ssh_key", "source_security_group_ids"
        if not isinstance(access, dict):
            continue
        key = access.get(key_name)
        if key is None or isinstance(key, Unknown):
            continue
        sources = access.get(sources_name)
        if isinstance(sources, Unknown) or (isinstance(sources, list) and sources) or (sources is not None and not isinstance(sources, list)):
            continue
        subnets_path = path_of(group, "Subnets" if cfn else "subnet_ids")
        subnets = targets(graph, group, subnets_path, SUBNET_TYPES)
        named = prop(group, "Subnets" if cfn else "subnet_ids")
        all_known = isinstance(named, list) and len(subnets) == len(named) and bool(subnets)
        private = all_known and all(maps_public_ip(s) is False or subnet_internet_routes(graph, s)[0] is False for s in subnets)
        evidence = [Evidence("EKS opens port 22 to 0.0.0.0/0 on the nodes when remote access names no source security groups")]
        if private:
            severity = Severity.MEDIUM
            evidence.append(Evidence(f"its subnets ({', '.join(s.address for s in subnets)}) give no public IPs or have no route from the internet, so nothing reaches port 22 today"))
        else:
            severity = Severity.CRITICAL
        yield Hit(
            group,
            base + (key_name,),
            message=f"EKS node group {group.address} allows SSH with key pair {key if isinstance(key, str) else '(set)'} from the whole internet: no source security groups are named",
            evidence=evidence,
            severity=severity,
            value=key,
        )
