"""Data buckets with fine-grained ACLs on and no public access prevention."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import prevention_enforced, uniform_access
from linter.graph import ResourceGraph
from linter.locate import locate
from linter.model import Evidence
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for bucket in graph.of_type("google_storage_bucket"):
        if isinstance(bucket.attrs.get("website"), (list, dict)) and bucket.attrs.get("website"):
            continue
        enforced, _ = prevention_enforced(graph, bucket, bucket)
        if enforced is not False:
            continue
        uniform, _ = uniform_access(graph, bucket, bucket)
        if uniform is not False:
            continue
        pap = bucket.attrs.get("public_access_prevention")
        ubla = bucket.attrs.get("uniform_bucket_level_access")
        if ubla is None:
            acl = Evidence(f"{bucket.address} does not set uniform_bucket_level_access, so object ACLs stay on", bucket.span)
        else:
            acl = Evidence(f"{bucket.address} sets uniform_bucket_level_access = false, so object ACLs stay on", locate(bucket, ("uniform_bucket_level_access",)))
        yield Hit(
            bucket,
            ("public_access_prevention",) if pap is not None else (),
            message=f"Cloud Storage bucket {bucket.address} does not enforce public access prevention and keeps ACLs on: any object writer can make an object public",
            evidence=[acl],
            value=pap if pap is not None else "inherited (default)",
        )
