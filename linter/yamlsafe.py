"""YAML loading that is safe and bounded.

Only PyYAML's safe loaders are used (the C one when available), so no tag can build a
Python object. Aliases are resolved by reference in the node graph, which is cheap, but
anything that walks the loaded value would expand them: a "billion laughs" document of a
few hundred bytes becomes billions of nodes. :func:`check_node_budget` counts the expanded
size of the composed graph (with memoisation, so the count itself stays cheap) and refuses
documents over the budget before anything walks them.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    SafeLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    SafeLoader = yaml.SafeLoader

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


def check_node_budget(root: Any, limit: int = MAX_EXPANDED_NODES) -> None:
    """Raise YamlBudgetError when expanding the node graph would exceed ``limit`` nodes."""
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


def compose_all(text: str) -> list[Any]:
    """Compose every document of a YAML stream into nodes (with marks), within the budget."""
    nodes = [n for n in yaml.compose_all(text, Loader=SafeLoader) if n is not None]
    for node in nodes:
        check_node_budget(node)
    return nodes


def load_yaml_bounded(text: str) -> Any:
    """``yaml.safe_load`` of one document, refusing alias bombs."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node_budget(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
