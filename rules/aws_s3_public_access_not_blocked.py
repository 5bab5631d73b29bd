"""Public access blocks that leave protections off, after combining bucket and account levels."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.s3 import CFN_PAB_FLAGS, PAB_FLAGS, buckets_of, protection
from linter.graph import Resource, ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown


def _off_flags(res: Resource) -> list[str]:
    off = []
    for flag in PAB_FLAGS:
        value = value_at(res.attrs, _path(res, flag))
        if isinstance(value, Unknown):
            continue
        if value is not True and str(value).lower() != "true":
            off.append(flag)
    return off


def _path(res: Resource, flag: str) -> tuple[str, ...]:
    if res.type == "AWS::S3::Bucket":
        return ("Properties", "PublicAccessBlockConfiguration", CFN_PAB_FLAGS[flag])
    return (flag,)


def _blocks(graph: ResourceGraph) -> Iterator[Resource]:
    yield from graph.of_type("aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block")
    for bucket in graph.of_type("AWS::S3::Bucket"):
        if value_at(bucket.attrs, ("Properties", "PublicAccessBlockConfiguration")) is not None:
            yield bucket


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for block in _blocks(graph):
        off = _off_flags(block)
        if not off:
            continue
        evidence: list[Evidence] = []
        buckets: list[Resource] = []
        if block.type != "aws_s3_account_public_access_block":
            buckets = [block] if block.type == "AWS::S3::Bucket" else buckets_of(graph, block)
            if buckets:
                # the account-level block may turn the flags back on
                effective = protection(graph, buckets[0])
                off = [f for f in off if effective.on(f) is not True]
                for flag in PAB_FLAGS:
                    for src, _ in effective.sources[flag]:
                        if src is not block and src.type == "aws_s3_account_public_access_block":
                            evidence.append(Evidence(f"{src.address} turns {flag} on for the account", src.span))
                            break
                if buckets[0] is not block:
                    evidence.insert(0, Evidence(f"applies to {buckets[0].address}", buckets[0].span))
            if not off:
                continue
        written = [f for f in off if value_at(block.attrs, _path(block, f)) is not None]
        unset = [f for f in off if f not in written]
        names = {f: (CFN_PAB_FLAGS[f] if block.format == "cloudformation" else f) for f in off}
        what = ", ".join(f"{names[f]} = false" if f in written else f"{names[f]} (unset, so off)" for f in off)
        scope = "the whole account" if block.type == "aws_s3_account_public_access_block" else "its bucket"
        location = _path(block, written[0]) if written else (_path(block, off[0])[:-1] if block.format == "cloudformation" else ())
        exposed = buckets[0] if block.type != "aws_s3_account_public_access_block" and buckets else block
        yield Hit(
            block,
            location,
            subject=exposed,
            message=f"{block.address} leaves public access protections off for {scope}: {what}",
            evidence=evidence + ([Evidence("a flag that is not written is off once a block is configured")] if unset else []),
            value=off,
        )
