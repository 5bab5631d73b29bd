"""S3 buckets and what protects them, across the resources that configure a bucket.

A bucket is configured by its own resource and by satellite resources that point at it
(``aws_s3_bucket_acl``, ``aws_s3_bucket_policy``, ``aws_s3_bucket_public_access_block``…),
either by reference (``bucket = aws_s3_bucket.data.id``) or by name. The public access
block that applies to a bucket is the bucket-level one combined with the account-level
one (``aws_s3_account_public_access_block``): a flag is on when either turns it on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linter.graph import Resource, ResourceGraph
from linter.model import Evidence
from linter.values import display, truth

BUCKET_TYPES = ("aws_s3_bucket", "AWS::S3::Bucket")
PAB_FLAGS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
# CloudFormation names of the same flags
CFN_PAB_FLAGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
PUBLIC_CANNED_ACLS = {
    "public-read": "anyone on the internet can list and read the objects",
    "public-read-write": "anyone on the internet can list, read, write and delete the objects",
    "authenticated-read": "any AWS account in the world can list and read the objects",
}
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "everyone (AllUsers)",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "any AWS account (AuthenticatedUsers)",
}


def _root(res: Resource) -> str:
    return res.id.split("::", 1)[0]


def setting(res: Resource, name: str) -> Any:
    """A top-level setting: a Terraform argument, or a CloudFormation property."""
    if res.format == "cloudformation":
        props = res.attrs.get("Properties")
        return props.get(name) if isinstance(props, dict) else None
    return res.attrs.get(name)


def setting_path(res: Resource, *path: Any) -> tuple[Any, ...]:
    return ("Properties",) + path if res.format == "cloudformation" else path


def bucket_name(bucket: Resource) -> Any:
    return setting(bucket, "BucketName" if bucket.format == "cloudformation" else "bucket")


def _link_attr(res: Resource) -> str:
    return "Bucket" if res.format == "cloudformation" else "bucket"


def buckets_of(graph: ResourceGraph, res: Resource) -> list[Resource]:
    """The buckets a satellite resource configures: by reference, else by literal name."""
    attr = _link_attr(res)
    found = graph.references(res, attr, BUCKET_TYPES)
    if found:
        return found
    value = setting(res, attr)
    if isinstance(value, str) and value:
        root = _root(res)
        return [b for b in graph.of_type(*BUCKET_TYPES) if _root(b) == root and bucket_name(b) == value]
    return []


def satellites(graph: ResourceGraph, bucket: Resource, *rtypes: str) -> list[Resource]:
    """Resources of ``rtypes`` that configure ``bucket`` (by reference or by its name)."""
    out: list[Resource] = []
    for rtype in rtypes:
        probe = "Bucket" if rtype.startswith("AWS::") else "bucket"
        out.extend(r for r in graph.referrers(bucket, (rtype,), probe) if r not in out)
    name = bucket_name(bucket)
    if isinstance(name, str) and name:
        root = _root(bucket)
        for r in graph.of_type(*rtypes):
            if r not in out and _root(r) == root and setting(r, _link_attr(r)) == name:
                out.append(r)
    return out


@dataclass
class Protection:
    """The effective public access block of a bucket."""

    flags: dict[str, bool | None] = field(default_factory=lambda: {f: False for f in PAB_FLAGS})
    sources: dict[str, list[tuple[Resource, str]]] = field(default_factory=lambda: {f: [] for f in PAB_FLAGS})
    blocks: list[Resource] = field(default_factory=list)

    def on(self, flag: str) -> bool | None:
        return self.flags[flag]

    def evidence_for(self, flag: str) -> list[Evidence]:
        """Why ``flag`` does not stop the exposure: the blocks that leave it off, or none."""
        from linter.locate import locate

        if not self.blocks:
            return [Evidence(f"no public access block (bucket or account) sets {flag} for this bucket")]
        out = []
        for res in self.blocks:
            key = _flag_key(res, flag)
            value = _flag_value(res, flag)
            path = _flag_path(res, flag)
            if value is None:
                out.append(Evidence(f"{res.address} leaves {key} unset (off)", res.span))
            else:
                out.append(Evidence(f"{res.address} sets {key} = {display(value)}", locate(res, path)))
        return out


def _flag_key(res: Resource, flag: str) -> str:
    return CFN_PAB_FLAGS[flag] if res.format == "cloudformation" else flag


def _flag_path(res: Resource, flag: str) -> tuple[Any, ...]:
    if res.type == "AWS::S3::Bucket":
        return ("Properties", "PublicAccessBlockConfiguration", CFN_PAB_FLAGS[flag])
    return (flag,)


def _flag_value(res: Resource, flag: str) -> Any:
    node: Any = res.attrs
    for part in _flag_path(res, flag):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def protection(graph: ResourceGraph, bucket: Resource) -> Protection:
    p = Protection()
    blocks = list(satellites(graph, bucket, "aws_s3_bucket_public_access_block"))
    if bucket.type == "AWS::S3::Bucket" and isinstance(bucket.attrs.get("Properties"), dict):
        if "PublicAccessBlockConfiguration" in bucket.attrs["Properties"]:
            blocks.append(bucket)
    root = _root(bucket)
    blocks.extend(r for r in graph.of_type("aws_s3_account_public_access_block") if _root(r) == root)
    p.blocks = blocks
    for flag in PAB_FLAGS:
        state: bool | None = False
        for res in blocks:
            t = truth(_flag_value(res, flag))
            if t is True:
                state = True
                p.sources[flag].append((res, flag))
                break
            if t is None:
                state = None
        p.flags[flag] = state
    return p


def neutralised_by(p: Protection, flag: str) -> list[Evidence] | None:
    """Evidence that ``flag`` stops the exposure, or None when it does not."""
    from linter.locate import locate

    if p.flags[flag] is not True:
        return None
    res, _ = p.sources[flag][0]
    return [Evidence(f"{res.address} sets {_flag_key(res, flag)} = true", locate(res, _flag_path(res, flag)))]
