"""Public S3 ACLs (inline, ``aws_s3_bucket_acl``, CloudFormation ``AccessControl``), unless a
public access block or object ownership setting stops them."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.s3 import (
    PUBLIC_CANNED_ACLS,
    PUBLIC_GROUPS,
    buckets_of,
    neutralised_by,
    protection,
    satellites,
)
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path
from linter.ruleset import Rule

# CloudFormation's names for the canned ACLs
CFN_ACLS = {"PublicRead": "public-read", "PublicReadWrite": "public-read-write", "AuthenticatedRead": "authenticated-read"}


def _acl_grants(res: Resource, acl_path: Path, grant_path: Path) -> Iterator[tuple[Path, str, str]]:
    """(path, value, what it means) for each public grant written in ``res``."""
    acl = value_at(res.attrs, acl_path)
    canned = CFN_ACLS.get(acl, acl) if isinstance(acl, str) else None
    if canned in PUBLIC_CANNED_ACLS:
        yield acl_path, str(acl), f'ACL "{acl}": {PUBLIC_CANNED_ACLS[str(canned)]}'
    grants = value_at(res.attrs, grant_path) if grant_path else None
    for i, grant in enumerate(grants if isinstance(grants, list) else []):
        if not isinstance(grant, dict):
            continue
        grantee = grant.get("grantee")
        target, base = (grantee[0], grant_path + (i, "grantee", 0)) if isinstance(grantee, list) and grantee else (grant, grant_path + (i,))
        if not isinstance(target, dict):
            continue
        uri = target.get("uri")
        if isinstance(uri, str) and uri in PUBLIC_GROUPS:
            permission = grant.get("permission") or grant.get("permissions")
            yield base + ("uri",), uri, f"grant of {permission if permission else 'access'} to {PUBLIC_GROUPS[uri]}"


def _acls_disabled(graph: ResourceGraph, bucket: Resource) -> bool:
    """Object ownership BucketOwnerEnforced turns ACLs off entirely."""
    if bucket.format == "cloudformation":
        rules = value_at(bucket.attrs, ("Properties", "OwnershipControls", "Rules"))
        return any(isinstance(r, dict) and r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules or [])
    for oc in satellites(graph, bucket, "aws_s3_bucket_ownership_controls"):
        rules = oc.attrs.get("rule")
        if any(isinstance(r, dict) and r.get("object_ownership") == "BucketOwnerEnforced" for r in rules or []):
            return True
    return False


def _ownership_evidence(graph: ResourceGraph, bucket: Resource) -> list[Evidence]:
    if bucket.format == "cloudformation":
        return []
    out = []
    for oc in satellites(graph, bucket, "aws_s3_bucket_ownership_controls"):
        for i, rule in enumerate(oc.attrs.get("rule") or []):
            if isinstance(rule, dict) and rule.get("object_ownership") in ("ObjectWriter", "BucketOwnerPreferred"):
                out.append(Evidence(f"{oc.address} sets object_ownership = {rule['object_ownership']}, which keeps ACLs on", locate(oc, ("rule", i, "object_ownership"))))
    return out


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for bucket in graph.of_type("aws_s3_bucket", "AWS::S3::Bucket"):
        grants: list[tuple[Resource, Path, str, str]] = []
        if bucket.format == "cloudformation":
            for path, value, why in _acl_grants(bucket, ("Properties", "AccessControl"), ()):
                grants.append((bucket, path, value, why))
        else:
            for path, value, why in _acl_grants(bucket, ("acl",), ("grant",)):
                grants.append((bucket, path, value, why))
            for acl_res in satellites(graph, bucket, "aws_s3_bucket_acl"):
                for path, value, why in _acl_grants(acl_res, ("acl",), ("access_control_policy", 0, "grant")):
                    grants.append((acl_res, path, value, why))
        if not grants:
            continue
        p = protection(graph, bucket)
        if neutralised_by(p, "ignore_public_acls") or _acls_disabled(graph, bucket):
            continue
        evidence = p.evidence_for("ignore_public_acls") + _ownership_evidence(graph, bucket)
        for holder, path, value, why in grants:
            yield Hit(
                holder,
                path,
                subject=bucket,
                message=f"S3 bucket {bucket.address} is public through its {why}",
                evidence=list(evidence),
                value=value,
            )
    # ACL resources whose bucket is not in the scanned code (a name passed in, say)
    for acl_res in graph.of_type("aws_s3_bucket_acl"):
        if buckets_of(graph, acl_res):
            continue
        for path, value, why in _acl_grants(acl_res, ("acl",), ("access_control_policy", 0, "grant")):
            yield Hit(
                acl_res,
                path,
                message=f"{acl_res.address} makes its bucket public through its {why}",
                evidence=[Evidence("the bucket it applies to is not defined in the scanned code, so no public access block is known to stop this")],
                value=value,
            )

