"""The peer map (linter/coverage.yaml -> docs/coverage.md): every check of the peer's listing is
mapped, every rule it names exists, and the page is generated from it."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from linter import coverage
from linter.ruleset import RuleSet

PEER_LISTING = Path(os.environ.get("SEAWALL_PEER_CHECKS", ROOT.parent / "shared" / "coverage" / "checkov-exposure-checks.tsv"))


def peer_rows(path: Path) -> list[tuple[str, str]]:
    """(id, frameworks) of each row of the peer's listing (comments and the header left out)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if cells[0] == "id":
            continue
        rows.append((cells[0], cells[1]))
    return rows


@pytest.mark.skipif(not PEER_LISTING.is_file(), reason=f"peer listing not found at {PEER_LISTING}")
def test_every_row_of_the_peer_listing_is_mapped() -> None:
    listed = Counter(peer_rows(PEER_LISTING))
    mapped = Counter((c.id, f) for c in coverage.load().checks for f in c.frameworks)
    unmapped = sorted((listed - mapped).elements())
    stale = sorted((mapped - listed).elements())
    assert not unmapped, f"rows of the peer's listing with no entry in linter/coverage.yaml: {unmapped}"
    assert not stale, f"entries of linter/coverage.yaml that are not rows of the peer's listing: {stale}"


def test_every_rule_the_map_names_exists(rules: RuleSet) -> None:
    ids = {r.id for r in rules}
    missing = sorted({(c.id, r) for c in coverage.load().checks for r in c.rules if r not in ids})
    assert not missing, f"linter/coverage.yaml names rules that do not exist (peer id, rule): {missing}"


def test_every_entry_is_mapped_once() -> None:
    checks = coverage.load().checks
    counts = Counter(c.id for c in checks)
    assert [k for k, n in counts.items() if n > 1] == []
    assert all(c.kind in coverage.KINDS for c in checks)
    assert all(c.rules if c.kind != "reason" else c.reason for c in checks)


def test_the_page_is_generated_from_the_map(rules: RuleSet) -> None:
    text = (ROOT / coverage.DOC).read_text(encoding="utf-8")
    assert text == coverage.page(rules), f"{coverage.DOC} is stale: run `python -m linter.docs` to regenerate it"


def test_migrate_reads_the_peer_ids() -> None:
    peer = coverage.load()
    assert peer.rules_for("CKV_AWS_20") == ("aws-s3-bucket-public-acl",)
    assert peer.rules_for("CKV_AWS_53") == ("aws-s3-public-access-not-blocked",)  # a posture rule
    assert peer.rules_for("CKV_SECRET_18") == ()  # a reason, no rule
    assert peer.rules_for("CKV_NOPE_1") == ()


def test_figures_count_rows_per_framework() -> None:
    peer = coverage.parse(
        """
peer: Example 1.0
checks:
  CKV_AWS_1: {frameworks: [Cloudformation, Terraform], about: a bucket ACL for everyone, rules: [aws-s3-bucket-public-acl]}
  CKV_AWS_2: {frameworks: ["Cloudformation,Terraform"], about: a public access block off, posture: [aws-s3-public-access-not-blocked]}
  CKV_DOCKER_1: {frameworks: [dockerfile], about: a Dockerfile exposing SSH, reason: "out of scope: Dockerfiles"}
  CKV_AZURE_1: {frameworks: [Terraform], about: a secret in custom data, reason: "out of scope: secrets scanning"}
"""
    )
    counts = coverage.figures(peer.checks)
    assert (counts["AWS"].rows, counts["AWS"].rules, counts["AWS"].posture) == (3, 2, 1)
    assert (counts["all"].rows, counts["all"].covered, counts["all"].reason) == (5, 3, 2)
    assert (counts["clouds"].rows, counts["clouds"].covered) == (4, 3)
    # the two out-of-scope rows leave the in-scope figure
    assert (counts["in scope"].rows, counts["in scope"].covered, counts["in scope"].reason) == (3, 3, 0)
    page = coverage.render(peer, {"aws-s3-bucket-public-acl": "S3 bucket ACL grants access to everyone"})
    assert "| CKV_AWS_1 | Cloudformation / Terraform (one row each) | a bucket ACL for everyone | `aws-s3-bucket-public-acl` — S3 bucket ACL grants access to everyone |" in page
    assert "posture: `aws-s3-public-access-not-blocked`" in page


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("{frameworks: [Terraform], about: something public}", "exactly one of rules, posture, reason"),
        ("{frameworks: [Terraform], about: something public, rules: [a], reason: because of this}", "exactly one of rules, posture, reason"),
        ("{frameworks: [], about: something public, rules: [a]}", "frameworks"),
        ("{frameworks: [Terraform], about: x, rules: [a]}", "about"),
        ("{frameworks: [Terraform], about: something public, reason: short}", "reason"),
        ("{frameworks: [Terraform], about: something public, rules: []}", "rules"),
        ("{frameworks: [Terraform], about: something public, rule: [a]}", "unknown field(s) rule"),
    ],
)
def test_a_malformed_entry_names_the_check_and_field(entry: str, says: str) -> None:
    with pytest.raises(coverage.CoverageError) as exc:
        coverage.parse(f"peer: Example\nchecks:\n  CKV_AWS_9: {entry}\n")
    assert "CKV_AWS_9" in str(exc.value) and says in str(exc.value)


def test_nine_in_ten_in_scope_checks_are_covered() -> None:
    """Issue 17: at least 90% of the peer's checks within what seawall reads are covered by a
    rule or a posture rule (the rest carry a reason)."""
    counts = coverage.figures(coverage.load().checks)
    scope = counts["in scope"]
    assert scope.covered / scope.rows >= 0.9, (scope.covered, scope.rows)
