"""Dataproc clusters whose VMs get external addresses (explicitly, or by an old image's default)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.checks import Hit
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown

GCE = ("cluster_config", 0, "gce_cluster_config", 0)


def _old_image(version) -> bool:
    """True for image versions older than 2.2 ("2.1-debian11", "1.5", "2.0.75-ubuntu18")."""
    if not isinstance(version, str):
        return False
    m = re.match(r"^\s*(\d+)\.(\d+)", version)
    return m is not None and (int(m.group(1)), int(m.group(2))) < (2, 2)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for cluster in graph.of_type("google_dataproc_cluster"):
        if isinstance(value_at(cluster.attrs, GCE), Unknown):
            continue
        flag = value_at(cluster.attrs, GCE + ("internal_ip_only",))
        if isinstance(flag, Unknown):
            continue
        if flag is False or (isinstance(flag, str) and flag.lower() == "false"):
            yield Hit(
                cluster,
                GCE + ("internal_ip_only",),
                message=f"Dataproc cluster {cluster.address} gives its VMs public IP addresses (internal_ip_only = false)",
                value=False,
            )
            continue
        if flag is not None:
            continue
        version_path = ("cluster_config", 0, "software_config", 0, "image_version")
        version = value_at(cluster.attrs, version_path)
        if _old_image(version):
            yield Hit(
                cluster,
                version_path,
                message=f"Dataproc cluster {cluster.address} gives its VMs public IP addresses: internal_ip_only is not set and image {version} defaults to external addresses",
                evidence=[Evidence("images before 2.2 create clusters with external IP addresses unless internal_ip_only = true")],
                value=version,
            )
