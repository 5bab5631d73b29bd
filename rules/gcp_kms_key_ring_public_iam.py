"""Cloud KMS key ring IAM lets anyone use or manage all of its keys (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import PublicGrant, grade, iam_check, role_matches
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule

# role patterns -> severity (None: not an exposure); other roles keep the rule's severity
ROLES: list[tuple[tuple[str, ...], Severity | None]] = [
    (('roles/cloudkms.publickeyviewer',), None),
    (('roles/cloudkms.cryptokeyencrypter',), Severity.HIGH),
    (('roles/cloudkms.viewer',), Severity.MEDIUM),
]


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def severity(grant: PublicGrant) -> Severity | None:
        return grade(grant.role, [(p, s) for p, s in ROLES if s is not None])

    def neutralised(grant: PublicGrant) -> list[Evidence] | None:
        if any(s is None and role_matches(grant.role, p) for p, s in ROLES):
            return [Evidence(f"{grant.role} does not expose data")]
        return None

    yield from iam_check(
        graph,
        ('google_kms_key_ring',),
        'Cloud KMS key ring',
        'key_ring_id',
        ('google_kms_key_ring',),
        severity=severity,
        neutralised=neutralised,
        consequence='anyone can use every key in the ring',
    )
