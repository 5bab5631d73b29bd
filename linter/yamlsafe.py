"""YAML loading that is safe and bounded.

Only PyYAML's safe loaders are used (the C one when available), so no tag can build a
Python object. Aliases are resolved by reference in the node graph, which is cheap, but
anything that walks the loaded value would expand them: a "billion laughs" document of a
few hundred bytes becomes billions of nodes. :func:`check_node_budget` counts the expanded
size of the composed graph (with memoisation, so the count itself stays cheap) and refuses
documents over the budget before anything walks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader

_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 200_000
_RESOLVED_LEN = 64  # longer plain scalars (descriptions) are prose, rarely repeated: not kept


class SafeLoader(_Base):
    """The safe loader (libyaml's when available), with the tag of each plain scalar
    remembered: libyaml hands every scalar back to PyYAML's Python resolver, which tries
    its regular expressions each time, and the same keys and values recur across a
    corpus. A plain scalar's tag depends on its text alone (the safe loader has no path
    resolvers), so the memo is exact; it keeps short scalars only, and at most
    ``_RESOLVED_MAX`` of them."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= _RESOLVED_LEN:
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) >= _RESOLVED_MAX:
                    _RESOLVED.clear()
                _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

MAX_EXPANDED_NODES = 2_000_000


class YamlBudgetError(yaml.YAMLError):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def describe_yaml_error(exc: yaml.YAMLError) -> tuple[int, int, str]:
    """(line, column, message) for a YAML error, worded the same whichever libyaml is installed.

    Newer libyaml builds stop at their own nesting limit ("exceeded maximum nesting depth")
    before :mod:`linter.positioned` applies ours; both mean the same thing to a user.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if "nesting depth" in problem:
        return line, column, "document nested too deeply to analyse"
    return line, column, f"invalid YAML: {problem}"


def check_node_budget(root: Any, text: str, limit: int = MAX_EXPANDED_NODES) -> None:
    """Raise YamlBudgetError when expanding the node graph composed from ``text`` would
    exceed ``limit`` nodes. An alias needs an anchor, so a text without ``&`` cannot expand
    beyond its own size and is not walked (the walk was a tenth of a cold scan's CPU)."""
    if "&" in text:
        expanded_size(root, limit)


def expanded_size(root: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """The number of nodes of ``root`` with every alias expanded; YamlBudgetError past ``limit``."""
    sizes: dict[int, int] = {}
    # iterative post-order walk; the graph is a DAG (PyYAML rejects recursive aliases only
    # at construction time, so guard against cycles here too)
    stack: list[tuple[Any, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1
            if isinstance(node, yaml.SequenceNode):
                total += sum(sizes[id(c)] for c in node.value)
            elif isinstance(node, yaml.MappingNode):
                total += sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            if total > limit:
                mark = node.start_mark
                raise YamlBudgetError(
                    f"document expands to more than {limit:,} nodes through aliases; refused",
                    mark.line + 1,
                    mark.column + 1,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise YamlBudgetError("recursive alias", mark.line + 1, mark.column + 1)
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value if id(c) not in sizes)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if id(k) not in sizes:
                    stack.append((k, False))
                if id(v) not in sizes:
                    stack.append((v, False))
    return sizes[id(root)]


def compose_all(text: str) -> list[Any]:
    """Compose every document of a YAML stream into nodes (with marks), within the budget."""
    loader = SafeLoader(text)
    try:
        return list(bounded_nodes(loader, text))
    finally:
        loader.dispose()


def bounded_nodes(loader: Any, text: str) -> Iterator[Any]:
    """The root node of each document ``loader`` (made from ``text``) composes, each within
    the budget (YamlBudgetError, after the documents before it)."""
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            check_node_budget(node, text)
            yield node


def load_all_bounded(text: str) -> list[Any]:
    """``yaml.safe_load_all``, refusing alias bombs."""
    loader = SafeLoader(text)
    try:
        return [loader.construct_document(node) for node in bounded_nodes(loader, text)]
    finally:
        loader.dispose()


def load_yaml_bounded(text: str) -> Any:
    """``yaml.safe_load`` of one document, refusing alias bombs."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node_budget(node, text)
        return loader.construct_document(node)
    finally:
        loader.dispose()
