"""GKE clusters whose public API endpoint admits any address."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import open_ranges
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown


def _flag(value):
    if isinstance(value, Unknown):
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for cluster in graph.of_type("google_container_cluster"):
        attrs = cluster.attrs
        private = value_at(attrs, ("private_cluster_config", 0, "enable_private_endpoint"))
        if isinstance(private, Unknown) or _flag(private) is True:
            continue
        ip_endpoints = value_at(attrs, ("control_plane_endpoints_config", 0, "ip_endpoints_config", 0, "enabled"))
        if _flag(ip_endpoints) is False or isinstance(ip_endpoints, Unknown):
            continue
        evidence = [Evidence("private_cluster_config.enable_private_endpoint is not true, so the control plane has a public endpoint")]
        config = attrs.get("master_authorized_networks_config")
        if isinstance(config, Unknown):
            continue
        if not config:
            yield Hit(
                cluster,
                (),
                message=f"GKE cluster {cluster.address} exposes its Kubernetes API to any address: no master_authorized_networks_config",
                evidence=evidence,
            )
            continue
        block = config[0] if isinstance(config, list) and isinstance(config[0], dict) else {}
        blocks = block.get("cidr_blocks")
        if isinstance(blocks, Unknown):
            continue
        cidrs = [b.get("cidr_block") if isinstance(b, dict) else None for b in (blocks or [])]
        truth, idx = open_ranges(cidrs)
        if truth is True:
            for i in idx:
                yield Hit(
                    cluster,
                    ("master_authorized_networks_config", 0, "cidr_blocks", i, "cidr_block"),
                    message=f"GKE cluster {cluster.address} exposes its Kubernetes API to the whole internet: authorized network {cidrs[i]}",
                    evidence=evidence,
                    value=cidrs[i],
                )
            continue
        if _flag(block.get("gcp_public_cidrs_access_enabled")) is True:
            yield Hit(
                cluster,
                ("master_authorized_networks_config", 0, "gcp_public_cidrs_access_enabled"),
                message=f"GKE cluster {cluster.address} exposes its Kubernetes API to every Google Cloud public IP address (gcp_public_cidrs_access_enabled), which anyone can obtain",
                evidence=evidence,
                value=True,
            )
