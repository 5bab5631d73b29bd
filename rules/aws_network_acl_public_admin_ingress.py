"""Inbound network ACL entries that allow the internet on explicit admin/database port ranges."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import acl_entries, shadowing_deny
from linter.checks.network import DATABASE_PORTS, REMOTE_ADMIN_PORTS, port_severity
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule

# a range this wide is the ephemeral range or "everything", not a choice of service
WIDE = 1024
SENSITIVE = {**REMOTE_ADMIN_PORTS, **DATABASE_PORTS}


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for entries in acl_entries(graph).values():
        for entry in entries:
            if entry.egress is not False or entry.allow is not True or entry.world is not True:
                continue
            if entry.protocol not in ("tcp", "udp") or entry.all_ports:
                continue
            lo, hi = entry.from_port, entry.to_port
            if lo is None or hi is None or hi - lo + 1 > WIDE:
                continue
            graded = port_severity(lo, hi)
            if graded is None or graded[0] is not Severity.CRITICAL:
                continue
            ports = [p for p in sorted(SENSITIVE) if lo <= p <= hi]
            open_ports = [p for p in ports if shadowing_deny(entries, entry, p, p) is None]
            if not open_ports:
                continue
            names = ", ".join(f"{p} ({SENSITIVE[p]})" for p in open_ports[:3])
            where = f"network ACL {entry.acl.address}" if entry.acl is not None else entry.holder.address
            evidence = []
            if entry.acl is not None and entry.acl is not entry.holder:
                evidence.append(Evidence(f"entry of network ACL {entry.acl.address}", entry.acl.span))
            shadowed = [p for p in ports if p not in open_ports]
            if shadowed:
                evidence.append(Evidence(f"{'port' if len(shadowed) == 1 else 'ports'} {', '.join(map(str, shadowed))} {'is' if len(shadowed) == 1 else 'are'} refused earlier by a deny entry"))
            evidence.append(Evidence("the ACL is the subnet-wide layer: a security group must also admit the traffic for it to arrive"))
            yield Hit(
                entry.holder,
                entry.cidr_path,
                message=f"{where} allows {', '.join(entry.cidrs)} in on {entry.protocol} " + (f"port {names}" if lo == hi else f"ports {lo}-{hi}, which include {names}"),
                evidence=evidence,
                severity=Severity.HIGH,
                value=entry.cidrs,
            )
