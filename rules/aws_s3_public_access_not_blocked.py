"""Public access blocks that leave protections off, after combining bucket and account levels."""

from __future__ import annotations

from typing import Iterator

from linter.checks import Hit
from linter.checks.s3 import PAB_FLAGS, buckets_of, protection
from linter.graph import Resource, ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown


def _off_flags(res: Resource) -> list[str]:
    off = []
    for flag in PAB_FLAGS:
        value = res.attrs.get(flag)
        if isinstance(value, Unknown):
            continue
        if value is not True and str(value).lower() != "true":
            off.append(flag)
    return off


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for block in graph.of_type("aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"):
        off = _off_flags(block)
        if not off:
            continue
        evidence: list[Evidence] = []
        if block.type == "aws_s3_bucket_public_access_block":
            buckets = buckets_of(graph, block)
            if buckets:
                # the account-level block may turn the flags back on
                effective = protection(graph, buckets[0])
                off = [f for f in off if effective.on(f) is not True]
                for flag in PAB_FLAGS:
                    for src, _ in effective.sources[flag]:
                        if src is not block and src.type == "aws_s3_account_public_access_block":
                            evidence.append(Evidence(f"{src.address} turns {flag} on for the account", src.span))
                            break
                evidence.insert(0, Evidence(f"applies to {buckets[0].address}", buckets[0].span))
            if not off:
                continue
        first = next((f for f in off if f in block.attrs), None)
        unset = [f for f in off if f not in block.attrs]
        what = ", ".join(f"{f} = false" if f in block.attrs else f"{f} (unset, so off)" for f in off)
        scope = "the whole account" if block.type == "aws_s3_account_public_access_block" else "its bucket"
        yield Hit(
            block,
            (first,) if first else (),
            message=f"{block.address} leaves public access protections off for {scope}: {what}",
            evidence=evidence + ([Evidence("a flag that is not written defaults to false in this resource")] if unset else []),
            value=off,
        )
