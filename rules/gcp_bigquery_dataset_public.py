"""Public BigQuery datasets: access blocks, dataset_access resources and dataset IAM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.gcp import WHO, describe_target, grade, iam_check, public_member
from linter.graph import Resource, ResourceGraph
from linter.model import Path, Severity
from linter.ruleset import Rule

ROLES = [(("roles/bigquery.metadataviewer",), Severity.MEDIUM)]


def _entry(holder: Resource, base: Path, entry: dict[str, Any]) -> Iterator[tuple[Path, str, Any]]:
    for key in ("special_group", "iam_member"):
        member = public_member(entry.get(key))
        if member:
            yield base + (key,), member, entry.get("role")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    found: list[tuple[Resource, Path, str, Any, str]] = []
    for ds in graph.of_type("google_bigquery_dataset"):
        for i, entry in enumerate(access if isinstance(access := ds.attrs.get("access"), list) else []):
            if isinstance(entry, dict):
                for path, member, role in _entry(ds, ("access", i), entry):
                    found.append((ds, path, member, role, ds.address))
    for acc in graph.of_type("google_bigquery_dataset_access"):
        target = describe_target(graph, acc, "dataset_id", ("google_bigquery_dataset",), ("dataset_id",))
        for path, member, role in _entry(acc, (), acc.attrs):
            found.append((acc, path, member, role, target))
    for holder, path, member, role, target in found:
        role_text = role if isinstance(role, str) else "access"
        yield Hit(
            holder,
            path,
            message=f"BigQuery dataset {target} grants {role_text} to {WHO[member]}: its tables can be queried by anyone",
            severity=grade(role, ROLES),
            value=member,
        )
    yield from iam_check(
        graph,
        ("google_bigquery_dataset",),
        "BigQuery dataset",
        "dataset_id",
        ("google_bigquery_dataset",),
        severity=lambda g: grade(g.role, ROLES),
        consequence="its tables can be queried by anyone",
    )
