"""Public bucket ACLs, unless uniform bucket-level access or public access prevention applies."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import acl_grants, acl_neutralised, bucket_evidence, bucket_of
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder in graph.of_type("google_storage_bucket_acl", "google_storage_bucket_access_control"):
        grants = acl_grants(holder)
        if not grants:
            continue
        bucket = bucket_of(graph, holder)
        if acl_neutralised(graph, bucket, holder) is not None:
            continue
        name = bucket.address if bucket is not None else f"of {holder.address}"
        for path, value, meaning in grants:
            yield Hit(
                holder,
                path,
                message=f"Cloud Storage bucket {name} is public through its {meaning}",
                evidence=bucket_evidence(bucket, holder, acl=True),
                value=value,
            )
