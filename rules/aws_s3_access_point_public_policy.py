"""Access point policies that let anyone in, when nothing in front of them stops it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_policy import principal_is_public, statements
from linter.checks.aws_resource_policy import describe_actions, granted, policy_hit, public_grants
from linter.checks.s3 import buckets_of, protection, satellites
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown, decode_json_value, truth

DATA_ACTIONS = frozenset(
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
        "s3:AbortMultipartUpload",
    }
)
AP_TYPES = ("aws_s3_access_point", "AWS::S3::AccessPoint")
DELEGATION_KEYS = ("s3:dataaccesspointaccount", "s3:dataaccesspointarn")
# Terraform name -> CloudFormation name of the two flags that stop a public policy
FLAGS = {"block_public_policy": "BlockPublicPolicy", "restrict_public_buckets": "RestrictPublicBuckets"}


def _truth(value: Any) -> bool | None:
    """Like :func:`linter.values.truth`, but a flag that is not written is not known either."""
    return truth(value) if isinstance(value, (bool, str, Unknown)) else None


def _network_is_vpc(ap: Resource) -> bool | None:
    """True when the access point only takes requests from a VPC; None when not known."""
    key = "VpcConfiguration" if ap.format == "cloudformation" else "vpc_configuration"
    node = value_at(ap.attrs, ("Properties", key)) if ap.format == "cloudformation" else ap.attrs.get(key)
    if isinstance(node, Unknown):
        return None
    if isinstance(node, list):
        if any(isinstance(n, Unknown) for n in node):
            return None
        return bool(node)
    return node is not None


def _own_block(ap: Resource) -> tuple[bool | None, list[Evidence]]:
    """Whether the access point's own public access block stops public policies (on by default)."""
    if ap.format == "cloudformation":
        base: tuple[Any, ...] = ("Properties", "PublicAccessBlockConfiguration")
        names = {k: v for k, v in FLAGS.items()}
    else:
        blocks = ap.attrs.get("public_access_block_configuration")
        if isinstance(blocks, Unknown):
            return None, []
        if not isinstance(blocks, list) or not blocks:
            return True, []
        base = ("public_access_block_configuration", 0)
        names = {k: k for k in FLAGS}
    evidence = []
    for _flag, name in names.items():
        value = value_at(ap.attrs, base + (name,))
        if value is None:
            return True, []  # omitted: defaults to true
        t = _truth(value)
        if t is None or t is True:
            return t, []
        evidence.append(Evidence(f"{ap.address} sets {name} = false on the access point", locate(ap, base + (name,))))
    return False, evidence


def _bucket_lets_access_points_decide(graph: ResourceGraph, bucket: Resource) -> bool:
    """False only when every policy of the bucket is known and none delegates to access
    points or allows everyone (S3 then also requires the bucket's own permission)."""
    policies: list[Any] = []
    if bucket.type == "aws_s3_bucket" and bucket.attrs.get("policy") is not None:
        policies.append(bucket.attrs.get("policy"))
    for pol in satellites(graph, bucket, "aws_s3_bucket_policy"):
        policies.append(pol.attrs.get("policy"))
    for pol in satellites(graph, bucket, "AWS::S3::BucketPolicy"):
        policies.append(value_at(pol.attrs, ("Properties", "PolicyDocument")))
    for policy in policies:
        document = decode_json_value(policy)
        if isinstance(document, Unknown) or not isinstance(document, dict):
            return True
        for st in statements(document):
            if not isinstance(st, dict) or str(st.get("Effect", "Allow")).lower() != "allow":
                continue
            public = "NotPrincipal" in st or principal_is_public(st.get("Principal"))
            if public is not False:
                return True  # delegates, or is public itself, or cannot be told
    return False


def _sources(graph: ResourceGraph) -> Iterator[tuple[Resource, tuple[str, ...], Resource | None]]:
    for ap in graph.of_type("aws_s3_access_point"):
        if ap.attrs.get("policy") is not None:
            yield ap, ("policy",), ap
    for pol in graph.of_type("aws_s3control_access_point_policy"):
        yield pol, ("policy",), next(iter(graph.references(pol, "access_point_arn", ["aws_s3_access_point"])), None)
    for ap in graph.of_type("AWS::S3::AccessPoint"):
        yield ap, ("Properties", "Policy"), ap


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder, path, ap in _sources(graph):
        if ap is None:
            continue  # the access point's settings (public policies blocked by default) are not known
        policy = value_at(holder.attrs, path)
        grants = public_grants(policy, DATA_ACTIONS) if policy is not None else []
        if not grants:
            continue
        vpc = _network_is_vpc(ap)
        if vpc is not False:
            continue
        blocked, evidence = _own_block(ap)
        if blocked is not False:
            continue
        buckets = buckets_of(graph, ap)
        stopped = False
        for bucket in buckets:
            p = protection(graph, bucket)
            if any(p.on(flag) is not False for flag in FLAGS):
                stopped = True
                break
            if not _bucket_lets_access_points_decide(graph, bucket):
                stopped = True
                break
            evidence.extend(p.evidence_for("restrict_public_buckets"))
        if stopped:
            continue
        if not buckets:
            evidence.append(Evidence("the bucket is not defined in the scanned code: no bucket-level public access block or policy is known to stop this"))
        evidence.append(Evidence(f"{ap.address} has no VPC configuration, so its network origin is the internet", ap.span))
        for grant in grants:
            yield policy_hit(
                ap,
                holder,
                path,
                grant,
                f"S3 access point {ap.address}",
                describe_actions(granted(grant, DATA_ACTIONS)),
                evidence=evidence,
            )
