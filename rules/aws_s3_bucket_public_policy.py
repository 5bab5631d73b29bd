"""Bucket policies that let anyone in, unless ``restrict_public_buckets`` applies."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_policy import describe_actions, public_grants
from linter.checks.s3 import buckets_of, neutralised_by, protection
from linter.graph import Resource, ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule

S3_DATA_ACTIONS = frozenset(
    {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectAcl",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:RestoreObject",
        "s3:PutBucketPolicy",
        "s3:PutBucketAcl",
        "s3:DeleteBucket",
        "s3:DeleteBucketPolicy",
    }
)


def _policies(graph: ResourceGraph) -> Iterator[tuple[Resource, tuple[str, ...], list[Resource]]]:
    """(resource holding a policy, the path of the policy in it, the buckets it applies to)."""
    for bucket in graph.of_type("aws_s3_bucket"):
        if "policy" in bucket.attrs:
            yield bucket, ("policy",), [bucket]
    for pol in graph.of_type("aws_s3_bucket_policy"):
        yield pol, ("policy",), buckets_of(graph, pol)
    for pol in graph.of_type("AWS::S3::BucketPolicy"):
        yield pol, ("Properties", "PolicyDocument"), buckets_of(graph, pol)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder, policy_path, buckets in _policies(graph):
        grants = public_grants(value_at(holder.attrs, policy_path), S3_DATA_ACTIONS)
        if not grants:
            continue
        targets: list[Resource | None] = list(buckets) or [None]
        for bucket in targets:
            evidence: list[Evidence] = []
            if bucket is not None:
                p = protection(graph, bucket)
                if neutralised_by(p, "restrict_public_buckets"):
                    continue
                evidence = p.evidence_for("restrict_public_buckets")
                subject = f"S3 bucket {bucket.address}"
            else:
                evidence = [Evidence("the bucket it applies to is not defined in the scanned code, so no public access block is known to stop this")]
                subject = f"the bucket of {holder.address}"
            for grant in grants:
                yield Hit(
                    holder,
                    policy_path + grant.path,
                    subject=bucket or holder,
                    message=f"{subject} is public through its policy: {grant.reason} may {describe_actions(grant.actions)} with no condition that limits who",
                    evidence=list(evidence),
                    value=grant.statement.get("Principal", grant.statement.get("NotPrincipal")),
                )
