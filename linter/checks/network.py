"""What a security group lets in from the internet, and how much that matters by port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from linter.graph import Resource, ResourceGraph
from linter.internet import world_networks
from linter.model import Path, Severity
from linter.values import Unknown

REMOTE_ADMIN_PORTS = {22: "SSH", 23: "Telnet", 3389: "RDP", 5900: "VNC", 5985: "WinRM", 5986: "WinRM"}
DATABASE_PORTS = {
    1433: "SQL Server",
    1521: "Oracle",
    2375: "Docker API",
    2379: "etcd",
    3306: "MySQL",
    5432: "PostgreSQL",
    5439: "Redshift",
    5984: "CouchDB",
    6379: "Redis",
    6443: "Kubernetes API",
    7000: "Cassandra",
    8086: "InfluxDB",
    9042: "Cassandra",
    9200: "Elasticsearch",
    9300: "Elasticsearch",
    10250: "kubelet",
    11211: "Memcached",
    27017: "MongoDB",
    50000: "Db2",
}
WEB_PORTS = frozenset({80, 443})
ENGINE_PORTS = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "aurora-mysql": 3306,
    "aurora": 3306,
    "oracle": 1521,
    "sqlserver": 1433,
    "db2": 50000,
}


@dataclass
class OpenIngress:
    holder: Resource  # the resource that holds the rule (the group or a rule resource)
    path: Path  # path to the CIDR attribute inside ``holder``
    from_port: int | None  # None when not known
    to_port: int | None
    all_ports: bool
    cidrs: list[str]

    def covers(self, port: int) -> bool | None:
        if self.all_ports:
            return True
        if self.from_port is None or self.to_port is None:
            return None
        return self.from_port <= port <= self.to_port

    def describe_ports(self) -> str:
        if self.all_ports:
            return "all ports"
        if self.from_port is None or self.to_port is None:
            return "ports not known"
        if self.from_port == self.to_port:
            return f"port {self.from_port}"
        return f"ports {self.from_port}-{self.to_port}"

    def severity(self) -> tuple[Severity, str] | None:
        """How bad the opening is by port, or None for ordinary web ports."""
        return port_severity(self.from_port, self.to_port, self.all_ports)


def port_severity(from_port: int | None, to_port: int | None, all_ports: bool = False) -> tuple[Severity, str] | None:
    """How bad it is to open a port range to the internet, and why; None for web ports only.

    Every provider's rule (security groups, NACLs, firewalls, NSGs) grades ports this way:
    all ports, remote administration and databases/admin APIs are critical; wide or unknown
    ranges high; other ports medium; 80 and 443 alone are how public websites work.
    """
    if all_ports or (from_port in (0, None) and to_port == 65535):
        return Severity.CRITICAL, "all ports"
    if from_port is None or to_port is None:
        return Severity.HIGH, "ports not known"
    for table, kind in ((REMOTE_ADMIN_PORTS, "remote administration"), (DATABASE_PORTS, "database/admin API")):
        hit = [f"{p} ({name})" for p, name in sorted(table.items()) if from_port <= p <= to_port]
        if hit:
            return Severity.CRITICAL, f"{kind} {', '.join(hit[:3])}"
    span = to_port - from_port
    if span >= 1000:
        return Severity.HIGH, f"{span + 1} ports"
    if set(range(from_port, to_port + 1)) <= WEB_PORTS:
        return None
    return Severity.MEDIUM, f"port {from_port}" if from_port == to_port else f"ports {from_port}-{to_port}"


def parse_port_range(value: Any) -> tuple[int | None, int | None, bool]:
    """``"22"``, ``"1000-2000"``, ``"*"``, 22 -> (from, to, all ports). Unknown parts are None."""
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return None, None, False
    if isinstance(value, int):
        return value, value, False
    text = str(value).strip()
    if text in ("*", "all", "any", "0-65535", "1-65535"):
        return 0, 65535, True
    if "-" in text:
        lo, _, hi = text.partition("-")
        try:
            return int(lo), int(hi), False
        except ValueError:
            return None, None, False
    try:
        n = int(text)
    except ValueError:
        return None, None, False
    return n, n, False


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or isinstance(value, Unknown) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _all_protocols(protocol: Any) -> bool:
    return isinstance(protocol, (str, int)) and str(protocol).strip().lower() in ("-1", "all")


def _world(values: Any) -> tuple[bool, list[str]]:
    items = values if isinstance(values, list) else [values]
    truth, idx = world_networks(items)
    if truth is True:
        return True, [str(items[i]) for i in idx]
    return False, []


def _from_rule(
    holder: Resource,
    base: Path,
    rule: dict[str, Any],
    cidr_keys: tuple[str, ...],
    protocol_key: str,
    ports: tuple[str, str] = ("from_port", "to_port"),
) -> list[OpenIngress]:
    out = []
    protocol = rule.get(protocol_key)
    if str(protocol).lower() in ("icmp", "1", "icmpv6", "58"):
        return []  # ping is not a service
    all_protocols = _all_protocols(protocol)
    fp, tp = _int(rule.get(ports[0])), _int(rule.get(ports[1]))
    all_ports = all_protocols or (fp == 0 and tp == 65535) or (fp == -1 and tp == -1)
    for key in cidr_keys:
        if key not in rule:
            continue
        is_world, cidrs = _world(rule[key])
        if is_world:
            out.append(OpenIngress(holder, base + (key,), fp, tp, all_ports, cidrs))
    return out


_CFN_RULE = (("CidrIp", "CidrIpv6"), "IpProtocol", ("FromPort", "ToPort"))


def open_ingress_of_resource(res: Resource) -> list[OpenIngress]:
    """Internet-open ingress written in one resource (a group's inline rules or a rule resource)."""
    attrs = res.attrs
    if res.type in ("aws_security_group", "aws_default_security_group"):
        out: list[OpenIngress] = []
        for i, rule in enumerate(ingress if isinstance(ingress := attrs.get("ingress"), list) else []):
            if isinstance(rule, dict):
                out.extend(_from_rule(res, ("ingress", i), rule, ("cidr_blocks", "ipv6_cidr_blocks"), "protocol"))
        return out
    if res.type == "aws_security_group_rule":
        if str(attrs.get("type", "")).lower() != "ingress":
            return []
        return _from_rule(res, (), attrs, ("cidr_blocks", "ipv6_cidr_blocks"), "protocol")
    if res.type == "aws_vpc_security_group_ingress_rule":
        return _from_rule(res, (), attrs, ("cidr_ipv4", "cidr_ipv6"), "ip_protocol")
    props = attrs.get("Properties")
    if not isinstance(props, dict):
        return []
    cidrs, protocol, ports = _CFN_RULE
    if res.type == "AWS::EC2::SecurityGroup":
        out = []
        rules = props.get("SecurityGroupIngress")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict):
                out.extend(_from_rule(res, ("Properties", "SecurityGroupIngress", i), rule, cidrs, protocol, ports))
        return out
    if res.type == "AWS::EC2::SecurityGroupIngress":
        return _from_rule(res, ("Properties",), props, cidrs, protocol, ports)
    return []


GROUP_TYPES = ("aws_security_group", "AWS::EC2::SecurityGroup")
SG_RULE_TYPES = ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "AWS::EC2::SecurityGroupIngress")
INGRESS_TYPES = ("aws_security_group", "AWS::EC2::SecurityGroup") + SG_RULE_TYPES


def open_ingress_of_group(graph: ResourceGraph, group: Resource) -> list[OpenIngress]:
    """All internet-open ingress of a security group: inline, and rule resources that attach to it."""
    out = open_ingress_of_resource(group)
    attr = "GroupId" if group.format == "cloudformation" else "security_group_id"
    for rule in graph.referrers(group, SG_RULE_TYPES, attr):
        out.extend(open_ingress_of_resource(rule))
    if group.format == "cloudformation":
        for rule in graph.referrers(group, ("AWS::EC2::SecurityGroupIngress",), "GroupName"):
            out.extend(open_ingress_of_resource(rule))
    return out
