"""Cloud Source Repositories repository IAM opens the code to everyone (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import iam_check
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from iam_check(
        graph,
        ('google_sourcerepo_repository',),
        'Cloud Source repository',
        'repository',
        ('google_sourcerepo_repository',),
        consequence='anyone can clone the code (or push to it, with a writer role)',
    )
