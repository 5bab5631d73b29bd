"""Compute Engine snapshot IAM lets anyone restore the snapshot (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import PublicGrant, grade, iam_check
from linter.graph import ResourceGraph
from linter.model import Severity
from linter.ruleset import Rule

# role patterns -> severity (None: not an exposure); other roles keep the rule's severity
ROLES: list[tuple[tuple[str, ...], Severity | None]] = [
    (('roles/compute.viewer',), Severity.MEDIUM),
]


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def severity(grant: PublicGrant) -> Severity | None:
        return grade(grant.role, [(p, s) for p, s in ROLES if s is not None])

    yield from iam_check(
        graph,
        ('google_compute_snapshot',),
        'Compute Engine snapshot',
        'name',
        ('google_compute_snapshot',),
        severity=severity,
        consequence='anyone can restore it to a disk in their own project and read the data',
    )
