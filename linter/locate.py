"""From a resource and a path inside it to the exact span to report.

Parsers keep a span on every entry of every container (:class:`PDict`/:class:`PList`),
including inside JSON documents that keep their structure (:class:`JsonString`). The
location of a path is the span of the deepest entry that exists; a missing setting lands
on its nearest parent, and in the end on the resource header. A value that reached the
resource through a variable is located where it is used (the attribute); the finding's
evidence names where it was set.
"""

from __future__ import annotations

from typing import Any

from linter.graph import Resource
from linter.model import Path, Span
from linter.values import JsonString, PDict, PList, Unknown


def locate(resource: Resource, path: Path) -> Span:
    span = resource.span
    node: Any = resource.attrs
    for part in path:
        if isinstance(node, JsonString):
            node = node.decoded
        if node is not resource.attrs and isinstance(node, (PDict, PList)) and node.via_variable:
            break  # the value came through a variable: report where it is used, not where it was written
        if isinstance(node, dict) and isinstance(part, str):
            if isinstance(node, PDict) and node.spans.get(part) is not None:
                span = node.spans[part]
            if part not in node:
                break
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            if isinstance(node, PList) and 0 <= part < len(node.spans) and node.spans[part] is not None:
                span = node.spans[part]
            if not 0 <= part < len(node):
                break
            node = node[part]
        else:
            break
    return span


def value_at(root: Any, path: Path) -> Any:
    """The value at ``path`` (through JSON documents), or None when it does not exist.

    Below an Unknown everything is unknown: the Unknown itself is returned, never None
    (which would read as "not set" and let a default decide)."""
    node = root
    for part in path:
        if isinstance(node, Unknown):
            return node
        if isinstance(node, JsonString):
            node = node.decoded
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node:
                return None
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                return None
            node = node[part]
        else:
            return None
    return node
