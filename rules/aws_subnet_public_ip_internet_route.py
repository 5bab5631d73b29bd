"""Subnets that map public IPs on launch and route the internet to an internet gateway."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import SUBNET_TYPES, is_cfn, path_of, public_subnet
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for subnet in graph.of_type(*SUBNET_TYPES):
        public, evidence = public_subnet(graph, subnet)
        if public is not True:
            continue
        key = "MapPublicIpOnLaunch" if is_cfn(subnet) else "map_public_ip_on_launch"
        yield Hit(
            subnet,
            path_of(subnet, key),
            message=f"subnet {subnet.address} gives every instance launched in it a public IP address and routes the internet to it through an internet gateway",
            evidence=evidence[1:],
            value=True,
        )
