"""Bucket (and managed folder) IAM grants to the public, unless public access prevention rejects them."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import bucket_evidence, bucket_of, iam_check, prevention_enforced
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def neutralised(grant):
        enforced, evidence = prevention_enforced(graph, bucket_of(graph, grant.holder), grant.holder)
        return evidence if enforced is not False else None

    def evidence(grant):
        return bucket_evidence(bucket_of(graph, grant.holder), grant.holder)

    yield from iam_check(
        graph,
        ("google_storage_bucket", "google_storage_managed_folder"),
        "Cloud Storage bucket",
        "bucket",
        ("google_storage_bucket",),
        neutralised=neutralised,
        evidence=evidence,
        consequence="its objects are public",
    )
