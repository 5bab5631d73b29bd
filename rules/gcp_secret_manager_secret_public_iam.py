"""Secret Manager secret IAM lets anyone read the secret (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import PublicGrant, grade, iam_check
from linter.graph import ResourceGraph
from linter.model import Severity
from linter.ruleset import Rule

# role patterns -> severity (None: not an exposure); other roles keep the rule's severity
ROLES: list[tuple[tuple[str, ...], Severity | None]] = [
    (('roles/secretmanager.viewer',), Severity.MEDIUM),
]


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def severity(grant: PublicGrant) -> Severity | None:
        return grade(grant.role, [(p, s) for p, s in ROLES if s is not None])

    yield from iam_check(
        graph,
        ('google_secret_manager_secret', 'google_secret_manager_regional_secret'),
        'Secret Manager secret',
        'secret_id',
        ('google_secret_manager_secret', 'google_secret_manager_regional_secret'),
        severity=severity,
        consequence='anyone can read or change the secret',
    )
