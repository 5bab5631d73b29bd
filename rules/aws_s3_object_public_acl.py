"""Objects written with a public canned ACL, unless the bucket or account ignores or disables ACLs."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.s3 import PUBLIC_CANNED_ACLS, buckets_of, neutralised_by, protection, satellites
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence
from linter.ruleset import Rule


def _ownership(graph: ResourceGraph, bucket: Resource) -> tuple[bool, list[Evidence]]:
    """(ACLs disabled by BucketOwnerEnforced, evidence of an ownership setting that keeps them on)."""
    evidence = []
    for oc in satellites(graph, bucket, "aws_s3_bucket_ownership_controls"):
        for i, rule in enumerate(oc.attrs.get("rule") or []):
            if not isinstance(rule, dict):
                continue
            value = rule.get("object_ownership")
            if value == "BucketOwnerEnforced":
                return True, []
            if value in ("ObjectWriter", "BucketOwnerPreferred"):
                evidence.append(Evidence(f"{oc.address} sets object_ownership = {value}, which keeps ACLs on", locate(oc, ("rule", i, "object_ownership"))))
    return False, evidence


def _account_ignores(graph: ResourceGraph, obj: Resource) -> bool:
    root = obj.id.split("::", 1)[0]
    for block in graph.of_type("aws_s3_account_public_access_block"):
        if block.id.split("::", 1)[0] == root:
            value = block.attrs.get("ignore_public_acls")
            if value is True or (isinstance(value, str) and value.lower() == "true"):
                return True
    return False


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for obj in graph.of_type("aws_s3_object", "aws_s3_bucket_object"):
        acl = obj.attrs.get("acl")
        if not isinstance(acl, str) or acl not in PUBLIC_CANNED_ACLS:
            continue
        key = obj.attrs.get("key")
        what = f"object {key!r}" if isinstance(key, str) else "the object"
        buckets = buckets_of(graph, obj)
        if not buckets:
            if _account_ignores(graph, obj):
                continue
            yield Hit(
                obj,
                ("acl",),
                message=f"{obj.address} uploads {what} with the ACL \"{acl}\": {PUBLIC_CANNED_ACLS[acl]}",
                evidence=[Evidence("its bucket is not defined in the scanned code, so no bucket public access block or ownership setting is known to stop this")],
                value=acl,
            )
            continue
        for bucket in buckets:
            p = protection(graph, bucket)
            if neutralised_by(p, "ignore_public_acls"):
                continue
            disabled, ownership_evidence = _ownership(graph, bucket)
            if disabled:
                continue
            yield Hit(
                obj,
                ("acl",),
                message=f"{obj.address} makes {what} in S3 bucket {bucket.address} public with the ACL \"{acl}\": {PUBLIC_CANNED_ACLS[acl]}",
                evidence=p.evidence_for("ignore_public_acls") + ownership_evidence,
                value=acl,
            )
