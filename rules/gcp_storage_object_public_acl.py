"""Public object ACLs and default object ACLs, unless the bucket turns ACLs off or prevents public access."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import acl_grants, acl_neutralised, bucket_evidence, bucket_of
from linter.graph import ResourceGraph
from linter.ruleset import Rule
from linter.values import display

DEFAULTS = ("google_storage_default_object_acl", "google_storage_default_object_access_control")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder in graph.of_type("google_storage_object_acl", "google_storage_object_access_control", *DEFAULTS):
        grants = acl_grants(holder)
        if not grants:
            continue
        bucket = bucket_of(graph, holder)
        if acl_neutralised(graph, bucket, holder) is not None:
            continue
        name = bucket.address if bucket is not None else display(holder.attrs.get("bucket"))
        obj = holder.attrs.get("object")
        if holder.type in DEFAULTS and obj is None:
            subject = f"every new object in Cloud Storage bucket {name} is public"
        else:
            subject = f"object {display(obj) if isinstance(obj, str) else '(of ' + holder.address + ')'} in Cloud Storage bucket {name} is public"
        for path, value, meaning in grants:
            yield Hit(holder, path, message=f"{subject} through its {meaning}", evidence=bucket_evidence(bucket, holder, acl=True), value=value)
