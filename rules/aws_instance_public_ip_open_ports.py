"""EC2 instances with a public IP whose security groups admit the internet on a critical port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import (
    SUBNET_TYPES,
    default_group_openings,
    group_openings,
    groups_at,
    is_cfn,
    opening_evidence,
    public_subnet,
    subnet_internet_routes,
    targets,
    truth,
)
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.ruleset import Rule

EIP_LINKS = (("aws_eip", ("instance",)), ("aws_eip_association", ("instance_id",)), ("AWS::EC2::EIP", ("Properties", "InstanceId")), ("AWS::EC2::EIPAssociation", ("Properties", "InstanceId")))


def _interfaces(inst: Resource) -> list[tuple[Path, dict[str, Any]]]:
    if not is_cfn(inst):
        return []
    nics = inst.attrs.get("Properties", {}).get("NetworkInterfaces") if isinstance(inst.attrs.get("Properties"), dict) else None
    return [(("Properties", "NetworkInterfaces", i), n) for i, n in enumerate(nics if isinstance(nics, list) else []) if isinstance(n, dict)]


def _subnets(graph: ResourceGraph, inst: Resource) -> tuple[list[tuple[Resource, Path]], bool]:
    """(subnet, path of the reference) for the instance; and whether a subnet is named at all."""
    paths: list[Path] = []
    if is_cfn(inst):
        paths.append(("Properties", "SubnetId"))
        paths.extend(p + ("SubnetId",) for p, _ in _interfaces(inst))
    else:
        paths.append(("subnet_id",))
    out: list[tuple[Resource, Path]] = []
    named = False
    for path in paths:
        if value_at(inst.attrs, path) is not None:
            named = True
        out.extend((s, path) for s in targets(graph, inst, path, SUBNET_TYPES))
    if not is_cfn(inst) and inst.attrs.get("network_interface"):
        named = True  # attached interfaces decide the subnet
    return out, named


def _public_address(graph: ResourceGraph, inst: Resource) -> tuple[Path | None, list[Evidence], str]:
    """Where the instance's public address comes from: the path to report (None when it has
    none), the evidence, and the kind (flag, eip, subnet, default-vpc)."""
    subnets, named = _subnets(graph, inst)
    # explicit request for a public address, or an Elastic IP
    flags: list[Path] = []
    if is_cfn(inst):
        flags = [p + ("AssociatePublicIpAddress",) for p, n in _interfaces(inst) if truth(n.get("AssociatePublicIpAddress")) is True]
    elif truth(inst.attrs.get("associate_public_ip_address")) is True:
        flags = [("associate_public_ip_address",)]
    eips = []
    for rtype, link in EIP_LINKS:
        for eip in graph.referrers(inst, (rtype,)):
            if any(t is inst for t in targets(graph, eip, link, (inst.type,))):
                eips.append(eip)
    if flags or eips:
        routed = [subnet_internet_routes(graph, s)[0] for s, _ in subnets]
        if subnets and all(r is False for r in routed):
            return None, [], ""  # a public IP in a subnet with no way in from the internet
        if flags:
            return flags[0], [Evidence("the instance asks for a public IP address", locate(inst, flags[0]))], "flag"
        return (), [Evidence(f"Elastic IP {eip.address} is attached to it", eip.span) for eip in eips[:2]], "eip"
    if is_cfn(inst):
        settings = [n.get("AssociatePublicIpAddress") for _, n in _interfaces(inst)]
    else:
        settings = [inst.attrs.get("associate_public_ip_address")]
    if any(v is not None and truth(v) is not True for v in settings):
        return None, [], ""  # turned off, or not known
    for subnet, path in subnets:
        public, evidence = public_subnet(graph, subnet)
        if public is True:
            return path, evidence, "subnet"
    if not named:
        return (), [Evidence("no subnet is given, so it is launched in the default VPC, whose subnets give instances public IP addresses and route the internet to them")], "default-vpc"
    return None, [], ""


def _groups(graph: ResourceGraph, inst: Resource) -> tuple[list[Resource], bool]:
    """Security groups of the instance, and whether any is named at all."""
    if is_cfn(inst):
        paths: list[Path] = [("Properties", "SecurityGroupIds"), ("Properties", "SecurityGroups")]
        paths.extend(p + ("GroupSet",) for p, _ in _interfaces(inst))
    else:
        paths = [("vpc_security_group_ids",), ("security_groups",)]
    named = any(value_at(inst.attrs, p) not in (None, []) for p in paths)
    return groups_at(graph, inst, *paths), named


def _in_custom_vpc(graph: ResourceGraph, groups: list[Resource]) -> bool:
    for sg in groups:
        attr = ("Properties", "VpcId") if is_cfn(sg) else ("vpc_id",)
        if targets(graph, sg, attr, ("aws_vpc", "AWS::EC2::VPC")):
            return True
    return False


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for inst in graph.of_type("aws_instance", "AWS::EC2::Instance"):
        groups, named = _groups(graph, inst)
        if groups:
            openings = group_openings(graph, groups)
        elif not named:
            openings = default_group_openings(graph, inst)
        else:
            continue  # groups named but not in the code: nothing known
        critical = []
        for sg, opening in openings:
            graded = opening.severity()
            if graded is not None and graded[0] is Severity.CRITICAL:
                critical.append((sg, opening, graded[1]))
        if not critical:
            continue
        path, how, kind = _public_address(graph, inst)
        if path is None:
            continue
        if kind == "default-vpc" and _in_custom_vpc(graph, groups):
            continue  # its groups belong to a VPC of this code, so it is not in the default VPC
        sg, opening, what = critical[0]
        evidence = [opening_evidence(s, o) for s, o, _ in critical[:3]] + how
        yield Hit(
            inst,
            path,
            message=f"EC2 instance {inst.address} exposes {what} to the internet: it has a public IP address and security group {sg.address} admits {', '.join(opening.cidrs)} on {opening.describe_ports()}",
            evidence=evidence,
            severity=Severity.CRITICAL,
            value=opening.cidrs,
        )
