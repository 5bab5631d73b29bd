"""Machine learning compute with SSH open on public node addresses."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.azure import block, flag
from linter.graph import ResourceGraph
from linter.model import Path
from linter.ruleset import Rule
from linter.values import Unknown


def _ssh_on(res) -> tuple[bool | None, Path, str]:
    if res.type == "azurerm_machine_learning_compute_cluster":
        ssh = flag(res.attrs, "ssh_public_access_enabled", False)
        return ssh.value, ssh.path, ssh.describe()
    # a compute instance turns public SSH access on when it has an `ssh` block
    blk, path = block(res.attrs, "ssh")
    if isinstance(blk, Unknown):
        return None, path, ""
    return blk is not None, path, "an ssh block turns public SSH access on"


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in graph.of_type("azurerm_machine_learning_compute_cluster", "azurerm_machine_learning_compute_instance"):
        on, path, why = _ssh_on(res)
        if on is not True:
            continue
        public_ip = flag(res.attrs, "node_public_ip_enabled", True)
        if public_ip.value is not True:
            continue
        kind = "compute cluster" if res.type.endswith("cluster") else "compute instance"
        yield Hit(
            res,
            path,
            message=f"machine learning {kind} {res.address} opens SSH to the internet on its nodes' public addresses ({why}; {public_ip.describe()})",
            value=True,
        )
