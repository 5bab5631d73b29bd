"""Container instances that publish ports on a public IP address, graded by port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.azure import is_set
from linter.checks.network import port_severity
from linter.graph import ResourceGraph
from linter.model import Evidence, Path
from linter.ruleset import Rule
from linter.values import Unknown


def _ports(group_attrs: dict[str, Any]) -> list[tuple[Path, Any, Any]] | None:
    """(path of the port, port, protocol) for what the group publishes; None when unknown."""
    exposed = group_attrs.get("exposed_port")
    if isinstance(exposed, Unknown):
        return None
    if isinstance(exposed, list) and exposed:
        return [(("exposed_port", i, "port"), p.get("port"), p.get("protocol")) for i, p in enumerate(exposed) if isinstance(p, dict)]
    containers = group_attrs.get("container")
    if isinstance(containers, Unknown):
        return None
    out: list[tuple[Path, Any, Any]] = []
    for ci, container in enumerate(containers if isinstance(containers, list) else []):
        if not isinstance(container, dict):
            continue
        ports = container.get("ports")
        if isinstance(ports, Unknown):
            return None
        for pi, port in enumerate(ports if isinstance(ports, list) else []):
            if isinstance(port, dict):
                out.append((("container", ci, "ports", pi, "port"), port.get("port"), port.get("protocol")))
    return out


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for group in graph.of_type("azurerm_container_group"):
        ip_type = group.attrs.get("ip_address_type", "Public")
        if not isinstance(ip_type, str) or ip_type.strip().lower() != "public":
            continue  # Private, None, or not known
        if is_set(group.attrs.get("subnet_ids")) or is_set(group.attrs.get("network_profile_id")):
            continue
        ports = _ports(group.attrs)
        for path, port, protocol in ports or []:
            number = _number(port)
            if number is None:
                continue
            graded = port_severity(number, number)
            if graded is None:
                continue  # 80/443
            severity, what = graded
            proto = protocol if isinstance(protocol, str) else "TCP"
            dns = group.attrs.get("dns_name_label")
            evidence = [Evidence(f"reachable as {dns}.<region>.azurecontainer.io")] if isinstance(dns, str) else []
            evidence.append(Evidence("container instances have no firewall of their own: a published port is open to every address"))
            yield Hit(
                group,
                path,
                message=f"container group {group.address} publishes {proto} port {number} on a public IP address: {what}",
                evidence=evidence,
                severity=severity,
                value=number,
            )
