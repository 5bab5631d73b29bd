"""YAML nodes (and JSON text) -> positioned values (:class:`PDict`/:class:`PList`).

PyYAML's composer gives every node its marks; converting nodes ourselves (instead of
``safe_load``) keeps a span on each entry. JSON is read the same way (a JSON document is
a YAML flow document), which gives positions to policies written in heredocs and files.
A ``mapper`` translates positions inside the text to positions in the file the text came
from (a heredoc starts somewhere inside a ``.tf`` file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from linter.model import Span
from linter.values import PDict, PList
from linter.yamlsafe import SafeLoader, YamlBudgetError, check_node_budget

Mapper = Callable[[int, int], tuple[int, int]]


def _identity(line: int, col: int) -> tuple[int, int]:
    return line + 1, col + 1


class DuplicateKey:
    """A key written twice in one mapping (the last one wins, as the cloud reads it)."""

    def __init__(self, key: str, span: Span) -> None:
        self.key = key
        self.span = span


class Converter:
    """Nodes -> positioned values. With ``cfn``, the way CloudFormation reads a template:
    short-form tags (``!Ref``, ``!Sub``…) become the intrinsic functions they stand for
    (as cfn-lint's decoder makes them), keys are strings, and a null key is an error."""

    def __init__(self, file: str, mapper: Mapper | None = None, cfn: bool = False) -> None:
        self.file = file
        self.mapper = mapper or _identity
        self.cfn = cfn
        self.constructor = yaml.constructor.SafeConstructor()
        self.duplicates: list[DuplicateKey] = []

    def span(self, start: Any, end: Any) -> Span:
        if self.mapper is _identity:
            return Span(self.file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)
        sl, sc = self.mapper(start.line, start.column)
        el, ec = self.mapper(end.line, end.column)
        return Span(self.file, sl, sc, el, ec)

    def convert(self, node: Any, depth: int = 0, cfn_tags: bool | None = None) -> Any:
        """Nodes -> positioned values (``cfn_tags`` for this node and below; default: ``cfn``)."""
        if cfn_tags is None:
            cfn_tags = self.cfn
        if depth > 200:
            raise YamlBudgetError("document nested too deeply to analyse (over 200 levels)", node.start_mark.line + 1, node.start_mark.column + 1)
        tag = node.tag
        if tag == _STR:  # most scalars: what the constructor would return, without its bookkeeping
            return node.value
        if cfn_tags and tag.startswith("!") and not tag.startswith("!!"):
            name = tag[1:]
            plain = {"ScalarNode": "str", "SequenceNode": "seq", "MappingNode": "map"}[type(node).__name__]
            inner = self.convert(type(node)("tag:yaml.org,2002:" + plain, node.value, node.start_mark, node.end_mark), depth + 1, cfn_tags)
            if name == "GetAtt" and isinstance(inner, str):
                here = self.span(node.start_mark, node.end_mark)
                parts = inner.split(".", 1)
                inner = PList(parts, span=here, spans=[here] * len(parts))
            key = name if name in ("Ref", "Condition") else f"Fn::{name}"
            out = PDict({key: inner}, span=self.span(node.start_mark, node.end_mark))
            out.spans[key] = out.span
            return out
        if isinstance(node, yaml.MappingNode):
            written: set[int] | None = None  # None: every key is written here
            for k, _ in node.value:
                if k.tag == _MERGE:
                    # keys written in this mapping (not brought in by a << merge, which they may override)
                    written = {id(k) for k, _ in node.value if k.tag != _MERGE}
                    self.constructor.flatten_mapping(node)  # resolves << merge keys
                    break
            out = PDict(span=self.span(node.start_mark, node.end_mark))
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value if key_node.tag == _STR else self.convert(key_node, depth + 1, False)
                if isinstance(key, (dict, list)) or (self.cfn and not isinstance(key, str)):
                    if self.cfn and key is None:
                        raise YamlBudgetError("a key is null, which a template cannot have", key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    key = str(key)
                if self.cfn and not _marked(key_node):
                    entry = out.span
                else:
                    entry = self.span(key_node.start_mark, (value_node if not self.cfn or _marked(value_node) else key_node).end_mark)
                if written is None or id(key_node) in written:
                    if key in seen:
                        self.duplicates.append(DuplicateKey(str(key), entry))
                    seen.add(key)
                out[key] = self.convert(value_node, depth + 1, cfn_tags)
                out.spans[key] = entry
            return out
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(child, depth + 1, cfn_tags) for child in node.value]
            here = self.span(node.start_mark, node.end_mark)
            spans = [self.span(child.start_mark, child.end_mark) if not self.cfn or _marked(child) else here for child in node.value]
            return PList(items, span=here, spans=spans)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            return node.value  # an unknown tag: keep the text


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def _marked(node: Any) -> bool:
    """Whether cfn-lint's decoder gave this node's value a position: strings, mappings,
    sequences and short-form functions did; numbers, booleans, nulls and dates did not, and
    their entries took the key's (or the enclosing list's) span. Templates keep those spans,
    so a finding lands where it always has."""
    tag = node.tag
    return tag == _STR or not isinstance(node, yaml.ScalarNode) or (tag.startswith("!") and not tag.startswith("!!"))


def json_with_positions(text: str, file: str, mapper: Mapper | None = None) -> Any:
    """Parse JSON text into positioned values; None when it is not a JSON document."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        loader = SafeLoader(text.replace("\t", " "))
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            return None
        check_node_budget(node, text)
        return Converter(file, mapper).convert(node)
    except yaml.YAMLError:
        return None
    except (ValueError, TypeError, RecursionError):
        return None
