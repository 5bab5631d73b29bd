"""Tags, labels and annotations of a resource, in any format, with where they are written."""

from __future__ import annotations

from typing import Any

from linter.graph import Resource
from linter.locate import locate
from linter.model import Span


def resource_tags(res: Resource) -> dict[str, tuple[Any, Span]]:
    """key -> (value, span) for the resource's tags (Terraform ``tags``/``labels``,
    CloudFormation ``Tags`` as a list or a map, Kubernetes labels and annotations)."""
    out: dict[str, tuple[Any, Span]] = {}
    if res.format == "kubernetes":
        meta = res.attrs.get("metadata")
        for section in ("labels", "annotations"):
            table = meta.get(section) if isinstance(meta, dict) else None
            if isinstance(table, dict):
                for k, v in table.items():
                    out[str(k)] = (v, locate(res, ("metadata", section, k)))
        return out
    if res.format == "cloudformation":
        props = res.attrs.get("Properties")
        tags = props.get("Tags") if isinstance(props, dict) else None
        if isinstance(tags, list):
            for i, tag in enumerate(tags):
                if isinstance(tag, dict) and "Key" in tag:
                    out[str(tag["Key"])] = (tag.get("Value"), locate(res, ("Properties", "Tags", i)))
        elif isinstance(tags, dict):
            for k, v in tags.items():
                out[str(k)] = (v, locate(res, ("Properties", "Tags", k)))
        meta = res.attrs.get("Metadata")
        if isinstance(meta, dict):
            for k, v in meta.items():
                if str(k).lower().startswith("seawall"):
                    out[str(k)] = (v, locate(res, ("Metadata", k)))
        return out
    for section in ("tags", "labels"):
        table = res.attrs.get(section)
        if isinstance(table, dict):
            for k, v in table.items():
                out[str(k)] = (v, locate(res, (section, k)))
    return out


def default_tags(res: Resource) -> tuple[str, dict[str, tuple[Any, Span]]]:
    """The tags a Terraform resource gets from its provider's ``default_tags`` (the provider
    it uses: ``provider = aws.west``, or the one its module is given or inherits), with a
    description of where they come from. In a plan, ``tags_all`` holds them already."""
    if res.format != "terraform":
        return "", {}
    out: dict[str, tuple[Any, Span]] = {}
    inherited = res.meta.get("default_tags")
    if isinstance(inherited, dict):
        spans = getattr(inherited, "spans", {})
        fallback = getattr(inherited, "span", None) or res.span
        for k, v in inherited.items():
            out[str(k)] = (v, spans.get(k) or fallback)
        return str(res.meta.get("default_tags_from", "its provider")), out
    applied = res.attrs.get("tags_all")
    if isinstance(applied, dict):
        for k, v in applied.items():
            out[str(k)] = (v, locate(res, ("tags_all", k)))
        return "the provider (tags_all in the plan)", out
    return "", {}
