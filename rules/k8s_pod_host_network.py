"""hostNetwork and hostPort on any kind that carries a pod template."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import host_exposures, workloads
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in workloads(graph):
        for path, what in host_exposures(res):
            yield Hit(res, path, message=f"{res.address}: {what}, so it is reachable on the node's address", value=True)
