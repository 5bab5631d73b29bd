"""Notebook VMs (Workbench instances, legacy notebook instances) with an external address."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown


def _truth(value):
    if isinstance(value, Unknown):
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) if value is not None else None


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for nb in graph.of_type("google_workbench_instance", "google_notebooks_instance"):
        if nb.type == "google_workbench_instance":
            setup = nb.attrs.get("gce_setup")
            if isinstance(setup, Unknown) or isinstance(value_at(nb.attrs, ("gce_setup", 0)), Unknown):
                continue
            path: tuple = ("gce_setup", 0, "disable_public_ip")
            name = "gce_setup.disable_public_ip"
        else:
            path = ("no_public_ip",)
            name = "no_public_ip"
        value = value_at(nb.attrs, path)
        if isinstance(value, Unknown) or _truth(value) is True:
            continue
        where = path if value is not None else (("gce_setup", 0) if nb.type == "google_workbench_instance" and value_at(nb.attrs, ("gce_setup", 0)) is not None else ())
        evidence = [] if value is not None else [Evidence(f"{name} is not set, and the instance gets an external IP address by default")]
        yield Hit(
            nb,
            where,
            message=f"notebook instance {nb.address} has a public IP address ({name} is not true)",
            evidence=evidence,
            value=value if value is not None else "unset",
        )
