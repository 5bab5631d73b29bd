"""Spanner database IAM lets anyone read or change the database (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import iam_check
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from iam_check(
        graph,
        ('google_spanner_database',),
        'Spanner database',
        'database',
        ('google_spanner_database',),
        consequence='anyone can query it with that role',
    )
