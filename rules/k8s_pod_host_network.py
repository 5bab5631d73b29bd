"""hostNetwork and hostPort on any workload kind."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.kubernetes import host_exposures
from linter.graph import ResourceGraph
from linter.parsers.kubernetes import WORKLOAD_KINDS
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in graph.of_type(*WORKLOAD_KINDS):
        for path, what in host_exposures(res):
            yield Hit(res, path, message=f"{res.address}: {what}, so it is reachable on the node's address", value=True)
