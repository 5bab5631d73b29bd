"""Network security group rules that admit the internet, graded by destination port."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import nsg_denied_first, nsg_internet_source, nsg_port_ranges, nsg_rules
from linter.checks.network import port_severity
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule


def _describe(ranges: list[tuple[int, int, bool]]) -> str:
    if any(everything for _, _, everything in ranges):
        return "all ports"
    parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi, _ in ranges]
    if len(parts) == 1 and "-" not in parts[0]:
        return f"port {parts[0]}"
    return "ports " + ", ".join(parts)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    every = nsg_rules(graph)
    for nsg_rule in every:
        if nsg_rule.text("direction") != "inbound" or nsg_rule.text("access") != "allow":
            continue
        if nsg_rule.text("protocol") == "icmp":
            continue
        is_world, path, sources = nsg_internet_source(nsg_rule)
        if is_world is not True:
            continue
        ranges = nsg_port_ranges(nsg_rule)
        if not ranges:
            continue  # ports not known (or none)
        graded = [g for g in (port_severity(lo, hi, everything) for lo, hi, everything in ranges) if g is not None]
        if not graded:
            continue  # web ports only
        severity, what = max(graded, key=lambda g: g[0])
        blocker = nsg_denied_first(nsg_rule, ranges, every)
        if blocker is not None:
            continue
        group = nsg_rule.group
        name = group.address if group is not None else nsg_rule.holder.address
        evidence = []
        if group is not None and group is not nsg_rule.holder:
            evidence.append(Evidence(f"rule of network security group {group.address}", group.span))
        if group is None:
            evidence.append(Evidence("its network security group is not defined in the scanned code"))
        rule_name = nsg_rule.get("name")
        label = f"rule {rule_name!s}" if isinstance(rule_name, str) else "a rule"
        yield Hit(
            nsg_rule.holder,
            path,
            message=f"network security group {name} admits the whole internet ({', '.join(sources)}) on {_describe(ranges)} through {label}: {what}",
            evidence=evidence,
            severity=severity,
            value=sources,
        )
