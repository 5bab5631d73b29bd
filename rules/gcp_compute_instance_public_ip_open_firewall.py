"""VMs with an external address that an internet-open firewall rule reaches on a critical port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.gcp import firewall_opening, root_of
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown, contains_unknown

NETWORK = ("google_compute_network",)
SUBNET = ("google_compute_subnetwork",)


def _name(value: Any) -> str | None:
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) and value else None


def _instance_networks(graph: ResourceGraph, vm: Resource, nic: dict[str, Any]) -> tuple[set[str], set[str]] | None:
    """(network resource ids, network names) of one interface; None when not known."""
    ids: set[str] = set()
    names: set[str] = set()
    net, sub = nic.get("network"), nic.get("subnetwork")
    for res in graph.references(vm, "network_interface", NETWORK):
        ids.add(res.id)
    for subnet in graph.references(vm, "network_interface", SUBNET):
        ids.update(r.id for r in graph.references(subnet, "network", NETWORK))
        n = _name(subnet.attrs.get("network"))
        if n:
            names.add(n)
    if isinstance(net, str):
        names.add(_name(net) or "")
    elif net is None and sub is None:
        names.add("default")
    elif not ids and isinstance(net, Unknown) and not isinstance(sub, str):
        return None
    for res in graph.references(vm, "network_interface", NETWORK):
        n = _name(res.attrs.get("name"))
        if n:
            names.add(n)
    return ids, names


def _firewall_network(graph: ResourceGraph, fw: Resource) -> tuple[set[str], set[str]]:
    ids = {r.id for r in graph.references(fw, "network", NETWORK)}
    names = {n for n in (_name(fw.attrs.get("network")),) if n}
    for r in graph.references(fw, "network", NETWORK):
        n = _name(r.attrs.get("name"))
        if n:
            names.add(n)
    return ids, names


def _targets(fw: Resource, vm: Resource) -> bool | None:
    tags, accounts = fw.attrs.get("target_tags"), fw.attrs.get("target_service_accounts")
    if contains_unknown(tags) or contains_unknown(accounts):
        return None
    if not tags and not accounts:
        return True
    if tags:
        vm_tags = vm.attrs.get("tags")
        if contains_unknown(vm_tags):
            return None
        return bool(set(tags) & set(vm_tags or []))
    emails = [sa.get("email") for sa in vm.attrs.get("service_account") or [] if isinstance(sa, dict)]
    if any(isinstance(e, Unknown) for e in emails):
        return None
    return bool(set(accounts or []) & set(e for e in emails if isinstance(e, str)))


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    openings = []
    for fw in graph.of_type("google_compute_firewall"):
        opening = firewall_opening(fw)
        if opening is not None and opening.severity is Severity.CRITICAL:
            openings.append((fw, opening, _firewall_network(graph, fw)))
    if not openings:
        return
    for vm in graph.of_type("google_compute_instance"):
        for i, nic in enumerate(vm.attrs.get("network_interface") or []):
            if not isinstance(nic, dict) or not nic.get("access_config"):
                continue
            nets = _instance_networks(graph, vm, nic)
            if nets is None:
                continue
            for fw, opening, (fw_ids, fw_names) in openings:
                if root_of(fw) != root_of(vm):
                    continue
                if not (nets[0] & fw_ids or nets[1] & fw_names):
                    continue
                if _targets(fw, vm) is not True:
                    continue
                yield Hit(
                    vm,
                    ("network_interface", i, "access_config"),
                    message=f"VM {vm.address} has a public IP address and firewall rule {fw.address} admits the whole internet to it on {opening.describe()}: {opening.why}",
                    evidence=[Evidence(f"{fw.address} admits {', '.join(opening.cidrs)}", locate(fw, opening.path))],
                    severity=Severity.CRITICAL,
                    value=opening.cidrs,
                )
                break
