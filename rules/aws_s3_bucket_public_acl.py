"""Public S3 ACLs (inline or ``aws_s3_bucket_acl``), unless a block or ownership setting stops them."""

from __future__ import annotations

from typing import Any, Iterator

from linter.checks import Hit
from linter.checks.s3 import PUBLIC_CANNED_ACLS, PUBLIC_GROUPS, buckets_of, neutralised_by, protection, satellites
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Path
from linter.ruleset import Rule


def _acl_grants(res: Resource, acl_path: Path, grant_path: Path) -> Iterator[tuple[Path, str, str]]:
    """(path, value, what it means) for each public grant written in ``res``."""
    acl = res.attrs.get(acl_path[0])
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        yield acl_path, acl, f'ACL "{acl}": {PUBLIC_CANNED_ACLS[acl]}'
    node: Any = res.attrs
    for part in grant_path:
        node = node.get(part) if isinstance(node, dict) else (node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
    for i, grant in enumerate(node if isinstance(node, list) else []):
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


def _disabled_acls(graph: ResourceGraph, bucket: Resource) -> list[Evidence]:
    for oc in satellites(graph, bucket, "aws_s3_bucket_ownership_controls"):
        rules = oc.attrs.get("rule")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict) and rule.get("object_ownership") == "BucketOwnerEnforced":
                return [Evidence(f"{oc.address} sets object_ownership = BucketOwnerEnforced (ACLs disabled)", locate(oc, ("rule", i, "object_ownership")))]
    return []


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for bucket in graph.of_type("aws_s3_bucket"):
        grants: list[tuple[Resource, Path, str, str]] = []
        for path, value, why in _acl_grants(bucket, ("acl",), ("grant",)):
            grants.append((bucket, path, value, why))
        for acl_res in satellites(graph, bucket, "aws_s3_bucket_acl"):
            for path, value, why in _acl_grants(acl_res, ("acl",), ("access_control_policy", 0, "grant")):
                grants.append((acl_res, path, value, why))
        if not grants:
            continue
        p = protection(graph, bucket)
        if neutralised_by(p, "ignore_public_acls") or _disabled_acls(graph, bucket):
            continue
        evidence = p.evidence_for("ignore_public_acls")
        for holder, path, value, why in grants:
            yield Hit(
                bucket,
                message=f"S3 bucket {bucket.address} is public through its {why}",
                evidence=list(evidence),
                value=value,
                located_in=holder,
                located_path=path,
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
