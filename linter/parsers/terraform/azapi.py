"""``azapi_resource``: an Azure resource written with ARM property names, judged by the same rules.

The azapi provider creates any Azure resource from its ARM type
(``type = "Microsoft.Storage/storageAccounts@2023-01-01"``) and a ``body`` holding the
REST API's properties. Azure Verified Modules write storage accounts and key vaults this
way, so without this a whole module repository gives no findings. ``azapi.yaml`` says, per
ARM type, which azurerm resource the Azure rules know it as and which body property is
which of its settings; :func:`as_azurerm` gives the resource that type and those settings
(keeping its address, its own attributes and every position: a finding lands on the body
property's line). Resources of other ARM types, and bodies that are not known, are left as
they are (no rule judges ``azapi_resource`` itself).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from linter.graph import Resource, ref_ids
from linter.model import Evidence, Path, Span
from linter.values import JsonString, PDict, PList, Unknown

_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "azapi.yaml")


@functools.lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Any]]:
    """ARM type (lower case) -> {type, settings} (azapi.yaml)."""
    import yaml  # only a configuration with azapi resources needs it

    with open(_TABLE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {str(k).lower(): v for k, v in data.items()}


def arm_type(res: Resource) -> tuple[str, str] | None:
    """(ARM type, API version) of an azapi resource, None when its type is not a known string."""
    value = res.attrs.get("type")
    if res.type != "azapi_resource" or not isinstance(value, str) or "@" not in value:
        return None
    name, _, version = value.partition("@")
    return name.strip(), version.strip()


def resolve_azapi(resources: list[Resource]) -> list[Resource]:
    """``resources`` with every azapi resource of a known ARM type read as its azurerm type."""
    if not any(r.type == "azapi_resource" for r in resources):
        return resources
    by_id = {r.id: r for r in resources}
    return [as_azurerm(r, by_id) or r for r in resources]


def as_azurerm(res: Resource, by_id: Mapping[str, Resource]) -> Resource | None:
    found = arm_type(res)
    if found is None:
        return None
    spec = table().get(found[0].lower())
    if spec is None:
        return None
    body: Any = res.attrs.get("body")
    if isinstance(body, JsonString):
        body = body.decoded
    elif isinstance(body, str):  # a plan's JSON text (azapi 1.x)
        try:
            body = json.loads(body)
        except ValueError:
            body = Unknown("the body is not JSON")
    if body is None:
        body = PDict()
    attrs = PDict(res.attrs, span=res.attrs.span)
    attrs.spans = dict(res.attrs.spans)
    attrs.via_variable = res.attrs.via_variable
    sources: dict[str, Path] = {}
    refs = dict(res.refs)
    for setting, how in spec["settings"].items():
        if how.get("parent"):
            parent = _parent(res, spec["type"], by_id)
            if parent is not None:
                attrs[setting] = Unknown(f"the id of {parent.address}", ref=parent.id)
                attrs.spans[setting] = res.attrs.spans.get("parent_id", res.span)
                refs[setting] = frozenset({parent.id})
                sources[setting] = ("parent_id",)
            continue
        value, span, path = _read(body, how, f"{res.address}.body", found[1])
        if value is _ABSENT:
            continue
        attrs[setting] = value
        attrs.spans[setting] = span or res.attrs.spans.get("body") or res.span
        sources[setting] = ("body", *path)
    note = Evidence(
        f"{res.address} is a {found[0]} (API {found[1]}) written with azapi: its body's ARM properties are judged as the settings of {spec['type']}",
        res.attrs.spans.get("type") or res.span,
    )
    return msgspec.structs.replace(
        res,
        type=spec["type"],
        attrs=attrs,
        refs=refs,
        call_chain=res.call_chain + (note,),
        origins=_through(res.origins, sources),
        chain=_through(res.chain, sources),
        meta={**res.meta, "azapi": found[0]},
    )


def _parent(res: Resource, wanted: str, by_id: Mapping[str, Resource]) -> Resource | None:
    """The resource ``parent_id`` refers to, going up through azapi resources of types the
    table does not know (a container's parent is the account's blob service, whose parent is
    the account)."""
    current = res
    for _ in range(4):
        ids = sorted(ref_ids(current.attrs.get("parent_id")) | set(current.refs.get("parent_id", ())))
        parent = by_id.get(ids[0]) if len(ids) == 1 else None
        if parent is None:
            return None
        known = arm_type(parent)
        if parent.type != "azapi_resource" or (known is not None and known[0].lower() in table()):
            return parent
        current = parent
    return None


_ABSENT = object()


def _read(body: Any, how: Mapping[str, Any], where: str, api: str) -> tuple[Any, Span | None, list[str]]:
    """(value, the span it was written at, its path in the body) of one setting; _ABSENT when
    the body does not set it."""
    node: Any = body
    span: Span | None = None
    path: list[str] = []
    for key in str(how["from"]).split("."):
        if isinstance(node, Unknown):
            return Unknown(f"{where} is not known"), span, path
        if not isinstance(node, dict) or key not in node:
            absent = how.get("absent")
            if absent is not None and api >= str(absent["from_api"]):
                return absent["value"], span, path
            return _ABSENT, span, path
        if isinstance(node, PDict):
            span = node.spans.get(key, span)
        node = node[key]
        path.append(key)
        if isinstance(node, JsonString):
            node = node.decoded
    if node is None:
        return _ABSENT, span, path
    return _convert(node, how, f"{where}.{how['from']}"), span, path


def _convert(node: Any, how: Mapping[str, Any], where: str) -> Any:
    if isinstance(node, Unknown):
        return node
    if "values" in how:
        if not isinstance(node, str):
            return node
        table_ = {str(k).lower(): v for k, v in how["values"].items()}
        return table_.get(node.lower(), Unknown(f"{where} = {node!r}, a value seawall does not know"))
    if "each" in how:
        return _each(node, lambda item: item.get(how["each"]) if isinstance(item, dict) else None)
    if "block" in how:
        return PList([_block(node, how["block"], where)], span=getattr(node, "span", None), spans=[getattr(node, "span", None)])
    if "blocks" in how:
        return _each(node, lambda item: _block(item, how["blocks"], where))
    return node


def _each(node: Any, fn: Callable[[Any], Any]) -> Any:
    if not isinstance(node, list):
        return node if isinstance(node, Unknown) else Unknown("not a list")
    spans = list(node.spans) if isinstance(node, PList) else [None] * len(node)
    return PList([fn(item) for item in node], span=getattr(node, "span", None), spans=spans)


def _block(node: Any, settings: Mapping[str, Any], where: str) -> Any:
    if not isinstance(node, dict):
        return node if isinstance(node, Unknown) else Unknown(f"{where} is not an object")
    out = PDict(span=getattr(node, "span", None))
    for name, how in settings.items():
        value, span, _ = _read(node, how, where, "")
        if value is not _ABSENT:
            out[name] = value
            if span is not None:
                out.spans[name] = span
    return out


def _through(fn: Callable[[Path], Any] | None, sources: Mapping[str, Path]) -> Any:
    """A resource's ``origins``/``chain`` asked about a setting read from the body: the
    answer for the body property it was read from."""
    if fn is None:
        return None

    def mapped(path: Path) -> Any:
        if path and isinstance(path[0], str) and path[0] in sources:
            return fn(tuple(sources[path[0]]) + tuple(path[1:]))
        return fn(path)

    return mapped

