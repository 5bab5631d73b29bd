"""Where an AWS network meets the internet: subnets and their routes, network ACL entries,
public IP addresses of instances, and public endpoints graded by their security groups.

Values that refer to other resources are followed through the ``Unknown.ref`` they carry
(``aws_subnet.public[1].id``, ``!Ref Subnet``), which names the exact instance referred to;
the attribute-level reference edges are used only when a value carries no such reference.
Whatever cannot be followed is unknown, and unknown never makes a finding: the questions
here answer True, False or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from linter.checks.network import GROUP_TYPES, OpenIngress, open_ingress_of_group, open_ingress_of_resource
from linter.graph import Resource, ResourceGraph
from linter.internet import world_networks
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.values import JsonString, Unknown, truth

INTERNET_GATEWAY_TYPES = ("aws_internet_gateway", "data.aws_internet_gateway", "AWS::EC2::InternetGateway")
SUBNET_TYPES = ("aws_subnet", "AWS::EC2::Subnet")
ROUTE_TABLE_TYPES = ("aws_route_table", "aws_default_route_table", "AWS::EC2::RouteTable")
VPC_TYPES = ("aws_vpc", "AWS::EC2::VPC")
ASSOCIATION_TYPES = ("aws_route_table_association", "AWS::EC2::SubnetRouteTableAssociation")
ROUTE_TYPES = ("aws_route", "AWS::EC2::Route")
INSTANCE_TYPES = ("aws_instance", "AWS::EC2::Instance")
ACL_TYPES = ("aws_network_acl", "aws_default_network_acl", "AWS::EC2::NetworkAcl")
ACL_ENTRY_TYPES = ("aws_network_acl_rule", "AWS::EC2::NetworkAclEntry")


# --------------------------------------------------------------------------- values


def is_cfn(res: Resource) -> bool:
    return res.format == "cloudformation"


def path_of(res: Resource, *path: Any) -> Path:
    """A setting's path in the resource: CloudFormation properties live under ``Properties``."""
    return ("Properties",) + tuple(path) if is_cfn(res) else tuple(path)


def prop(res: Resource, *path: Any) -> Any:
    """The value of a Terraform argument or CloudFormation property (nested path allowed)."""
    return value_at(res.attrs, path_of(res, *path))


def first_block(value: Any) -> Any:
    """A Terraform nested block is a list of one dict; CloudFormation writes the dict."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else None
    return value if isinstance(value, dict) else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def ref_ids(value: Any, _depth: int = 0) -> set[str]:
    """Ids of the resources a value stands for (``Unknown.ref`` anywhere inside it)."""
    out: set[str] = set()
    if _depth > 32:
        return out
    if isinstance(value, Unknown):
        if value.ref:
            out.add(value.ref)
    elif isinstance(value, JsonString):
        out |= ref_ids(value.decoded, _depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            out |= ref_ids(v, _depth + 1)
    elif isinstance(value, list):
        for v in value:
            out |= ref_ids(v, _depth + 1)
    return out


def targets(graph: ResourceGraph, res: Resource, path: Path, types: Iterable[str]) -> list[Resource]:
    """The resources of ``types`` the value at ``path`` (a full path in ``res.attrs``) refers to."""
    wanted = set(types)
    value = value_at(res.attrs, path)
    if value is None:
        return []
    ids = ref_ids(value)
    if ids:
        by_id = [graph.get(i) for i in sorted(ids)]
        return [r for r in by_id if r is not None and r.type in wanted]
    if not path:
        return []
    key = path[1] if is_cfn(res) and len(path) > 1 and path[0] == "Properties" else path[0]
    found = graph.references(res, str(key), wanted)
    if isinstance(value, str) and not isinstance(value, JsonString) and len(found) > 1:
        # a known attribute of one of several referenced resources (a name): keep the one it names
        named = [r for r in found if value in _own_strings(r)]
        return named
    return found


def _own_strings(res: Resource) -> set[str]:
    """Literal top-level strings of a resource (its names), to recognise a value taken from it."""
    attrs = res.attrs.get("Properties") if is_cfn(res) else res.attrs
    if not isinstance(attrs, dict):
        return set()
    return {v for v in attrs.values() if isinstance(v, str)}


def refers_to(graph: ResourceGraph, res: Resource, path: Path, target: Resource) -> bool:
    return any(t is target for t in targets(graph, res, path, (target.type,)))


def same_root(a: Resource, b: Resource) -> bool:
    return a.id.split("::", 1)[0] == b.id.split("::", 1)[0]


# --------------------------------------------------------------------------- routes


@dataclass
class InternetRoute:
    holder: Resource  # the route table (inline route) or the route resource
    path: Path  # path of the destination inside ``holder``
    destination: str
    gateway: Resource | None  # the internet gateway, when it is in the code
    table: Resource | None

    def evidence(self) -> Evidence:
        gw = self.gateway.address if self.gateway is not None else "an internet gateway"
        where = f"route table {self.table.address}" if self.table is not None else self.holder.address
        via = f" ({self.holder.address})" if self.table is not None and self.holder is not self.table else ""
        return Evidence(f"{where} sends {self.destination} to {gw}{via}", locate(self.holder, self.path))


def _gateway_kind(graph: ResourceGraph, holder: Resource, gw_path: Path) -> tuple[bool | None, Resource | None]:
    """Is the route's target an internet gateway? (True, the gateway) / False / None (unknown)."""
    value = value_at(holder.attrs, gw_path)
    if value is None:
        return False, None
    ids = ref_ids(value)
    if ids:
        for i in sorted(ids):
            r = graph.get(i)
            if r is not None and r.type in INTERNET_GATEWAY_TYPES:
                return True, r
        return False, None
    if isinstance(value, Unknown):
        return None, None
    if isinstance(value, str):
        return (True, None) if value.strip().startswith("igw-") else (False, None)
    return False, None


def _world_destination(value: Any) -> tuple[bool | None, str]:
    if value is None:
        return False, ""
    if isinstance(value, Unknown):
        return None, ""
    t, _ = world_networks([value])
    return t, str(value)


def _routes_in(graph: ResourceGraph, holder: Resource, table: Resource | None) -> tuple[list[InternetRoute], bool]:
    """Internet routes written in ``holder`` (a table's inline routes or a route resource)."""
    found: list[InternetRoute] = []
    unknown = False
    entries: list[tuple[Path, Path]] = []  # (destination path, gateway path)
    if holder.type in ("aws_route_table", "aws_default_route_table"):
        for i, route in enumerate(routes if isinstance(routes := holder.attrs.get("route"), list) else []):
            if isinstance(route, dict):
                for key in ("cidr_block", "ipv6_cidr_block"):
                    entries.append((("route", i, key), ("route", i, "gateway_id")))
    elif holder.type == "aws_route":
        for key in ("destination_cidr_block", "destination_ipv6_cidr_block"):
            entries.append(((key,), ("gateway_id",)))
    elif holder.type == "AWS::EC2::Route":
        for key in ("DestinationCidrBlock", "DestinationIpv6CidrBlock"):
            entries.append((("Properties", key), ("Properties", "GatewayId")))
    for dest_path, gw_path in entries:
        world, text = _world_destination(value_at(holder.attrs, dest_path))
        if world is False:
            continue
        is_igw, gw = _gateway_kind(graph, holder, gw_path)
        if is_igw is False:
            continue
        if world is None or is_igw is None:
            unknown = True
            continue
        found.append(InternetRoute(holder, dest_path, text, gw, table))
    return found, unknown


def table_internet_routes(graph: ResourceGraph, table: Resource) -> tuple[list[InternetRoute], bool]:
    """Routes of a route table that send the whole internet to an internet gateway; and
    whether some route's destination or target is unknown."""
    routes, unknown = _routes_in(graph, table, table)
    attr = "RouteTableId" if is_cfn(table) else "route_table_id"
    for route in graph.referrers(table, ROUTE_TYPES, attr):
        if not refers_to(graph, route, path_of(route, attr), table):
            continue
        more, unk = _routes_in(graph, route, table)
        routes.extend(more)
        unknown = unknown or unk
    return routes, unknown


def _main_table_routes(graph: ResourceGraph, vpc: Resource) -> tuple[list[InternetRoute], bool]:
    """Internet routes of a VPC's main route table, as far as the code manages it."""
    if is_cfn(vpc):
        return [], False  # CloudFormation cannot change the main table: it holds the local route only
    routes: list[InternetRoute] = []
    unknown = False
    tables: list[Resource] = []
    for main in graph.referrers(vpc, ("aws_main_route_table_association",), "vpc_id"):
        tables.extend(t for t in targets(graph, main, ("route_table_id",), ROUTE_TABLE_TYPES) if t not in tables)
    for default in graph.referrers(vpc, ("aws_default_route_table",), "default_route_table_id"):
        if default not in tables:
            tables.append(default)
    for table in tables:
        more, unk = table_internet_routes(graph, table)
        routes.extend(more)
        unknown = unknown or unk
    # aws_route { route_table_id = aws_vpc.x.main_route_table_id }
    for route in graph.referrers(vpc, ("aws_route",), "route_table_id"):
        if refers_to(graph, route, ("route_table_id",), vpc):
            more, unk = _routes_in(graph, route, None)
            routes.extend(more)
            unknown = unknown or unk
    return routes, unknown


def subnet_internet_routes(graph: ResourceGraph, subnet: Resource) -> tuple[bool | None, list[InternetRoute]]:
    """Does the subnet's route table send the internet to an internet gateway?

    The table is the one associated with the subnet, else the main table of its VPC. None
    when the association, the table or a route target is not known from the code.
    """
    subnet_attr = "SubnetId" if is_cfn(subnet) else "subnet_id"
    assocs = [a for a in graph.referrers(subnet, ASSOCIATION_TYPES, subnet_attr) if refers_to(graph, a, path_of(a, subnet_attr), subnet)]
    routes: list[InternetRoute] = []
    unknown = False
    if assocs:
        for assoc in assocs:
            tables = targets(graph, assoc, path_of(assoc, "RouteTableId" if is_cfn(assoc) else "route_table_id"), ROUTE_TABLE_TYPES)
            if not tables:
                unknown = True
            for table in tables:
                more, unk = table_internet_routes(graph, table)
                routes.extend(more)
                unknown = unknown or unk
    else:
        vpcs = targets(graph, subnet, path_of(subnet, "VpcId" if is_cfn(subnet) else "vpc_id"), VPC_TYPES)
        if not vpcs:
            return None, []
        for vpc in vpcs:
            more, unk = _main_table_routes(graph, vpc)
            routes.extend(more)
            unknown = unknown or unk
    if routes:
        return True, routes
    return (None if unknown else False), []


def maps_public_ip(subnet: Resource) -> bool | None:
    return truth(prop(subnet, "MapPublicIpOnLaunch" if is_cfn(subnet) else "map_public_ip_on_launch"))


def public_subnet(graph: ResourceGraph, subnet: Resource) -> tuple[bool | None, list[Evidence]]:
    """A subnet that gives instances a public IP and routes the internet to an internet gateway."""
    flag = maps_public_ip(subnet)
    if flag is not True:
        return flag, []
    routed, routes = subnet_internet_routes(graph, subnet)
    if routed is not True:
        return routed, []
    key = "MapPublicIpOnLaunch" if is_cfn(subnet) else "map_public_ip_on_launch"
    evidence = [Evidence(f"subnet {subnet.address} sets {key} = true", locate(subnet, path_of(subnet, key)))]
    evidence.extend(r.evidence() for r in routes[:2])
    return True, evidence


# --------------------------------------------------------------------------- network ACL entries


PROTOCOL_NAMES = {"-1": "all", "all": "all", "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp", "1": "icmp", "icmp": "icmp", "58": "icmpv6", "icmpv6": "icmpv6"}


@dataclass
class AclEntry:
    holder: Resource  # the ACL (inline entry) or the entry resource
    path: Path  # path of the entry inside ``holder`` (() for an entry resource's root)
    acl: Resource | None
    rule_no: int | None
    allow: bool | None
    egress: bool | None
    protocol: str | None  # all | tcp | udp | icmp | icmpv6 | a number; None when unknown
    from_port: int | None
    to_port: int | None
    world: bool | None
    cidr_path: Path = ()
    cidrs: list[str] = field(default_factory=list)

    @property
    def all_ports(self) -> bool:
        return self.protocol == "all" or (self.from_port == 0 and self.to_port == 65535)

    def covers(self, lo: int, hi: int) -> bool | None:
        """Does the entry cover every port from lo to hi?"""
        if self.protocol is None:
            return None
        if self.all_ports:
            return True
        if self.from_port is None or self.to_port is None:
            return None
        return self.from_port <= lo and hi <= self.to_port

    def describe(self) -> str:
        action = "allow" if self.allow else "deny"
        ports = "all ports" if self.all_ports else (f"port {self.from_port}" if self.from_port == self.to_port else f"ports {self.from_port}-{self.to_port}")
        return f"rule {self.rule_no if self.rule_no is not None else '?'} ({action} {self.protocol} {ports} from {', '.join(self.cidrs) or 'unknown'})"


def _protocol(value: Any) -> str | None:
    if value is None or isinstance(value, Unknown) or isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    return PROTOCOL_NAMES.get(text, text)


def _action(value: Any) -> bool | None:
    if value is None or isinstance(value, Unknown):
        return None
    return str(value).strip().lower() == "allow"


def _entry(holder: Resource, path: Path, data: dict[str, Any], acl: Resource | None, egress: bool | None, keys: dict[str, Any]) -> AclEntry:
    world: bool | None = False
    cidrs: list[str] = []
    cidr_path: Path = path
    for key in keys["cidrs"]:
        value = data.get(key)
        if value is None:
            continue
        t, text = _world_destination(value)
        if t is True:
            world, cidrs, cidr_path = True, [text], path + (key,)
            break
        if t is None:
            world = None
    ports = data.get(keys["ports"]) if keys.get("ports") else None
    if isinstance(ports, dict):
        lo, hi = as_int(ports.get("From")), as_int(ports.get("To"))
    else:
        lo, hi = as_int(data.get(keys["from"])), as_int(data.get(keys["to"]))
    protocol = _protocol(data.get(keys["protocol"]))
    if protocol in ("tcp", "udp") and keys.get("ports") and ports is None:
        lo, hi = None, None
    return AclEntry(holder, path, acl, as_int(data.get(keys["rule_no"])), _action(data.get(keys["action"])), egress, protocol, lo, hi, world, cidr_path, cidrs)


_TF_INLINE = {"cidrs": ("cidr_block", "ipv6_cidr_block"), "protocol": "protocol", "rule_no": "rule_no", "action": "action", "from": "from_port", "to": "to_port"}
_TF_RULE = {"cidrs": ("cidr_block", "ipv6_cidr_block"), "protocol": "protocol", "rule_no": "rule_number", "action": "rule_action", "from": "from_port", "to": "to_port"}
_CFN_ENTRY = {"cidrs": ("CidrBlock", "Ipv6CidrBlock"), "protocol": "Protocol", "rule_no": "RuleNumber", "action": "RuleAction", "ports": "PortRange", "from": "", "to": ""}


def acl_entries(graph: ResourceGraph) -> dict[str, list[AclEntry]]:
    """Every network ACL entry in the graph, grouped by ACL (its id, or the entry's own id
    when the ACL it belongs to is not in the code)."""
    groups: dict[str, list[AclEntry]] = {}
    egress: bool | None
    for acl in graph.of_type("aws_network_acl", "aws_default_network_acl"):
        for direction, egress in (("ingress", False), ("egress", True)):
            for i, block in enumerate(blocks if isinstance(blocks := acl.attrs.get(direction), list) else []):
                if isinstance(block, dict):
                    groups.setdefault(acl.id, []).append(_entry(acl, (direction, i), block, acl, egress, _TF_INLINE))
    for rule in graph.of_type("aws_network_acl_rule"):
        acls = targets(graph, rule, ("network_acl_id",), ACL_TYPES)
        egress = truth(rule.attrs.get("egress")) if rule.attrs.get("egress") is not None else False
        entry = _entry(rule, (), rule.attrs, acls[0] if acls else None, egress, _TF_RULE)
        groups.setdefault(acls[0].id if acls else rule.id, []).append(entry)
    for rule in graph.of_type("AWS::EC2::NetworkAclEntry"):
        props = rule.attrs.get("Properties")
        if not isinstance(props, dict):
            continue
        acls = targets(graph, rule, ("Properties", "NetworkAclId"), ACL_TYPES)
        egress = truth(props.get("Egress")) if props.get("Egress") is not None else False
        entry = _entry(rule, ("Properties",), props, acls[0] if acls else None, egress, _CFN_ENTRY)
        groups.setdefault(acls[0].id if acls else rule.id, []).append(entry)
    return groups


def shadowing_deny(entries: list[AclEntry], entry: AclEntry, lo: int, hi: int) -> AclEntry | None:
    """A deny entry, evaluated before ``entry`` (lower rule number, same direction), that
    refuses the whole internet on ports lo-hi: the allow never applies to them."""
    if entry.rule_no is None:
        return None
    for other in entries:
        if other is entry or other.allow is not False or other.egress != entry.egress or other.world is not True:
            continue
        if other.rule_no is None or other.rule_no >= entry.rule_no:
            continue
        if other.protocol not in ("all", entry.protocol):
            continue
        if other.covers(lo, hi) is True:
            return other
    return None


# --------------------------------------------------------------------------- security groups and endpoints


def groups_at(graph: ResourceGraph, res: Resource, *paths: Path) -> list[Resource]:
    """Security groups (in the code) named by the values at ``paths`` of ``res``."""
    out: list[Resource] = []
    for path in paths:
        for sg in targets(graph, res, path, GROUP_TYPES):
            if sg not in out:
                out.append(sg)
    return out


def default_group_openings(graph: ResourceGraph, res: Resource) -> list[tuple[Resource, OpenIngress]]:
    """Internet-open ingress of the default security group(s) managed in the same project,
    which is what a resource launched without security groups gets."""
    out: list[tuple[Resource, OpenIngress]] = []
    for sg in graph.of_type("aws_default_security_group"):
        if same_root(sg, res):
            out.extend((sg, o) for o in default_group_open_ingress(sg))
    return out


def default_group_open_ingress(sg: Resource) -> list[OpenIngress]:
    """``aws_default_security_group`` ingress blocks that admit the whole internet."""
    return open_ingress_of_resource(sg)


def group_openings(graph: ResourceGraph, groups: list[Resource]) -> list[tuple[Resource, OpenIngress]]:
    out: list[tuple[Resource, OpenIngress]] = []
    for sg in groups:
        if sg.type == "aws_default_security_group":
            out.extend((sg, o) for o in default_group_open_ingress(sg))
        else:
            out.extend((sg, o) for o in open_ingress_of_group(graph, sg))
    return out


def opening_evidence(sg: Resource, opening: OpenIngress, extra: str = "") -> Evidence:
    return Evidence(
        f"security group {sg.address} admits {', '.join(opening.cidrs)} on {opening.describe_ports()}{extra}",
        locate(opening.holder, opening.path),
    )


def grade_public_endpoint(graph: ResourceGraph, groups: list[Resource], port: int | None, what: str) -> tuple[Severity, list[Evidence]]:
    """A public endpoint is critical when one of its security groups admits the whole internet
    on its port (or on all ports), high otherwise (one rule change away)."""
    evidence: list[Evidence] = []
    for sg, opening in group_openings(graph, groups):
        reaches = opening.covers(port) if port is not None else (True if opening.all_ports else None)
        if reaches:
            evidence.append(opening_evidence(sg, opening, f", which includes the {what} port {port}" if port is not None else ""))
    if evidence:
        return Severity.CRITICAL, evidence
    if groups:
        names = ", ".join(sg.address for sg in groups)
        return Severity.HIGH, [Evidence(f"its security groups ({names}) do not admit the internet on port {port if port is not None else '(unknown)'} today; one rule change would expose it")]
    return Severity.HIGH, [Evidence("its security groups are not defined in the scanned code")]


def ingress_covering(openings: list[tuple[Resource, OpenIngress]], port: int) -> list[tuple[Resource, OpenIngress]]:
    return [(sg, o) for sg, o in openings if o.covers(port) is True]


__all__ = [
    "AclEntry",
    "InternetRoute",
    "acl_entries",
    "as_int",
    "default_group_open_ingress",
    "default_group_openings",
    "first_block",
    "grade_public_endpoint",
    "group_openings",
    "groups_at",
    "is_cfn",
    "maps_public_ip",
    "open_ingress_of_resource",
    "opening_evidence",
    "path_of",
    "prop",
    "public_subnet",
    "ref_ids",
    "refers_to",
    "shadowing_deny",
    "subnet_internet_routes",
    "table_internet_routes",
    "targets",
    "truth",
]
