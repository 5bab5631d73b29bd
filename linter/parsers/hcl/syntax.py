"""HCL native syntax: source text -> a positioned syntax tree of our own.

Small node classes keep a span on every attribute, block and expression. Two parsers build
them: tree-sitter's HCL grammar (``_treesitter.py``, a C parser; used when its wheel is
installed) and python-hcl2's Lark grammar (``_lark.py``, the reference and the fallback).
A differential test holds them to the same trees and spans. Heredoc bodies are split here
(:func:`parse_template_text`), their ``${}``/``%{}`` parts parsed by the same parser so they
get positions too.

Everything outside this package works on these nodes and never sees a parser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from msgspec import Struct, field

from linter.model import Span

# --------------------------------------------------------------------------- nodes


class Node:
    __slots__ = ("span",)
    span: Span


class Expr(Node):
    __slots__ = ()


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any, span: Span) -> None:
        self.value = value
        self.span = span


class Interp:
    """``${expr}`` inside a template, with its strip markers."""

    __slots__ = ("expr", "strip_left", "strip_right")

    def __init__(self, expr: Expr, strip_left: bool = False, strip_right: bool = False) -> None:
        self.expr = expr
        self.strip_left = strip_left
        self.strip_right = strip_right


class IfDirective:
    __slots__ = ("cond", "then", "otherwise")

    def __init__(self, cond: Expr, then: list[TemplatePart], otherwise: list[TemplatePart]) -> None:
        self.cond = cond
        self.then = then
        self.otherwise = otherwise


class ForDirective:
    __slots__ = ("key_var", "value_var", "collection", "body")

    def __init__(self, key_var: str | None, value_var: str, collection: Expr, body: list[TemplatePart]) -> None:
        self.key_var = key_var
        self.value_var = value_var
        self.collection = collection
        self.body = body


TemplatePart = str | Interp | IfDirective | ForDirective


class Template(Expr):
    """A quoted string or heredoc. A template that is exactly one ``${x}`` yields x unconverted.

    ``positions`` (heredocs without directives only) gives where each part starts in the
    file, so text rendered from it (a JSON policy) can be mapped back to source lines.
    """

    __slots__ = ("parts", "positions", "indent")

    def __init__(
        self, parts: list[TemplatePart], span: Span, positions: list[tuple[int, int]] | None = None, indent: int = 0
    ) -> None:
        self.parts = parts
        self.span = span
        self.positions = positions
        self.indent = indent  # what a <<- heredoc removed from the start of every line


class TupleExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[Expr], span: Span) -> None:
        self.items = items
        self.span = span


class ObjectItem:
    __slots__ = ("key", "value", "literal_key")

    def __init__(self, key: Expr, value: Expr, literal_key: str | None) -> None:
        self.key = key
        self.value = value
        # a bare identifier key (``Name = 1``) is taken literally, as HCL does
        self.literal_key = literal_key


class ObjectExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[ObjectItem], span: Span) -> None:
        self.items = items
        self.span = span


class Variable(Expr):
    """A root name: ``var``, ``local``, ``aws_s3_bucket``, ``each``, a for-loop variable…"""

    __slots__ = ("name",)

    def __init__(self, name: str, span: Span) -> None:
        self.name = name
        self.span = span


class GetAttr(Expr):
    __slots__ = ("obj", "name")

    def __init__(self, obj: Expr, name: str, span: Span) -> None:
        self.obj = obj
        self.name = name
        self.span = span


class Index(Expr):
    __slots__ = ("obj", "key")

    def __init__(self, obj: Expr, key: Expr, span: Span) -> None:
        self.obj = obj
        self.key = key
        self.span = span


class Splat(Expr):
    """``obj[*].a.b`` (full) or ``obj.*.a`` (attribute-only); ``ops`` apply to each element."""

    __slots__ = ("obj", "ops", "full")

    def __init__(self, obj: Expr, ops: list[tuple[str, Any]], full: bool, span: Span) -> None:
        self.obj = obj
        self.ops = ops  # ("attr", name) | ("index", Expr)
        self.full = full
        self.span = span


class Call(Expr):
    __slots__ = ("name", "args", "expand_last")

    def __init__(self, name: str, args: list[Expr], expand_last: bool, span: Span) -> None:
        self.name = name
        self.args = args
        self.expand_last = expand_last
        self.span = span


class Conditional(Expr):
    __slots__ = ("cond", "yes", "no")

    def __init__(self, cond: Expr, yes: Expr, no: Expr, span: Span) -> None:
        self.cond = cond
        self.yes = yes
        self.no = no
        self.span = span


class BinaryOp(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, span: Span) -> None:
        self.op = op
        self.left = left
        self.right = right
        self.span = span


class UnaryOp(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr, span: Span) -> None:
        self.op = op
        self.operand = operand
        self.span = span


class Paren(Expr):
    __slots__ = ("expr",)

    def __init__(self, expr: Expr, span: Span) -> None:
        self.expr = expr
        self.span = span


class ForExpr(Expr):
    """``[for k, v in coll : v if c]`` and ``{for k, v in coll : k => v... if c}``."""

    __slots__ = ("key_var", "value_var", "collection", "key_expr", "value_expr", "cond", "group")

    def __init__(
        self,
        key_var: str | None,
        value_var: str,
        collection: Expr,
        key_expr: Expr | None,
        value_expr: Expr,
        cond: Expr | None,
        group: bool,
        span: Span,
    ) -> None:
        self.key_var = key_var
        self.value_var = value_var
        self.collection = collection
        self.key_expr = key_expr  # None for a tuple-producing for
        self.value_expr = value_expr
        self.cond = cond
        self.group = group
        self.span = span


class Attribute(Struct):
    """``name = expression`` in an HCL body."""

    name: str
    expr: Expr
    span: Span


class Block(Struct):
    """``type "label" ... { body }`` in an HCL body."""

    type: str
    labels: list[str]
    body: Body
    span: Span  # the whole block
    header: Span  # the block type and labels, the line an editor underlines for the block


class Body(Struct):
    """An HCL body: its attributes by name and its blocks in order."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    # attribute names defined more than once in this body (Terraform rejects them)
    duplicates: list[Attribute] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type == block_type)


class Comment(Struct):
    """A comment of an HCL file (suppressions and declarations are read from them)."""

    line: int
    column: int
    text: str
    whole_line: bool = False  # nothing but whitespace before it on its line


class HclFile(Struct):
    """One parsed ``.tf`` file: its body and its comments."""

    path: str
    body: Body
    comments: list[Comment]


class HclSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


UNTERMINATED_STRING = "unterminated string: a quoted string ends on the line where it starts (use \\n or a heredoc for several lines)"


class PartialParse(Struct):
    """What could be read of a file that may be half-typed: the top-level attributes and
    blocks that parsed cleanly, and every syntax error with its position."""

    file: HclFile
    errors: list[HclSyntaxError]


# --------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=1)
def _fast() -> ModuleType | None:
    """tree-sitter's parser, or None where its wheel is missing or does not load."""
    try:
        from linter.parsers.hcl import _treesitter
    except (ImportError, OSError, ValueError):  # no wheel for this platform, or an incompatible build
        return None
    return _treesitter


def parser_name() -> str:
    """Which parser reads HCL in this installation ("tree-sitter" or "lark")."""
    return "tree-sitter" if _fast() is not None else "lark"


def _normalise(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"  # the Lark grammar needs a final newline after the last attribute
    return text


def parse_hcl(text: str, path: str) -> HclFile:
    """Parse HCL source into positioned nodes; raises :class:`HclSyntaxError` (the first error)."""
    text = _normalise(text)
    fast = _fast()
    if fast is not None:
        result: HclFile = fast.parse_file(text, path)
        return result
    from linter.parsers.hcl import _lark

    return _lark.parse_file(text, path)


def parse_hcl_partial(text: str, path: str) -> PartialParse:
    """Parse what can be parsed: the top-level items without an error, and all the errors.

    With tree-sitter, a syntax error in one block leaves the others; the Lark fallback stops
    at the first error, so there a broken file gives no items and that one error.
    """
    text = _normalise(text)
    fast = _fast()
    if fast is not None:
        partial: PartialParse = fast.parse_partial(text, path)
        return partial
    from linter.parsers.hcl import _lark

    try:
        return PartialParse(_lark.parse_file(text, path), [])
    except HclSyntaxError as exc:
        return PartialParse(HclFile(path, Body(), []), [exc])


def parse_expression(source: str, path: str, line: int, col: int) -> Expr:
    """Parse one expression that sits at (line, col) of ``path`` (used for heredoc parts)."""
    fast = _fast()
    if fast is not None:
        expr: Expr = fast.parse_expression(source, path, line, col)
        return expr
    from linter.parsers.hcl import _lark

    return _lark.parse_expression(source, path, line, col)


def heredoc(raw: str, line: int, path: str, span: Span) -> Template:
    """A heredoc from its source: ``raw`` runs from ``<<`` (or ``<<-``) on ``line`` through the
    line of the closing marker. Its body is split into text and positioned ``${}``/``%{}`` parts."""
    first_nl = raw.index("\n")
    marker = raw[2:first_nl].lstrip("-").strip()
    body = raw[first_nl + 1 :]
    # drop the closing marker line
    body = body.rstrip("\n")
    last_nl = body.rfind("\n")
    content = body[: last_nl + 1] if last_nl >= 0 else ""
    if body.strip() != marker and not body.endswith(marker):  # pragma: no cover - both grammars guarantee it
        content = body
    if raw.startswith("<<-"):
        lines = content.split("\n")
        indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        content = "\n".join(ln[cut:] for ln in lines)
    else:
        cut = 0
    positions: list[tuple[int, int]] = []
    parts = parse_template_text(content, path, line + 1, 1, indent=cut, positions=positions)
    return Template(parts, span, positions if len(positions) == len(parts) else None, cut)


# --------------------------------------------------------------------------- templates

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)


def unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            try:
                return chr(int(code[1:], 16))
            except ValueError:  # pragma: no cover - out of range
                return m.group(0)
        return _ESCAPES.get(code, m.group(0))

    return _ESCAPE_RE.sub(sub, text)


def assemble(flat: list[Any], span: Span) -> list[TemplatePart]:
    """Turn the flat sequence of literals, interpolations and directive markers into a tree."""
    pos = 0

    def strip_prev(out: list[TemplatePart]) -> None:
        if out and isinstance(out[-1], str):
            out[-1] = out[-1].rstrip()

    def parse_until(stops: tuple[str, ...]) -> tuple[list[TemplatePart], str | None]:
        nonlocal pos
        out: list[TemplatePart] = []
        while pos < len(flat):
            item = flat[pos]
            pos += 1
            if isinstance(item, (str, Interp)):
                out.append(item)
                continue
            kind, payload, left, right = item
            # ~ strips the whitespace (newlines included) on its side of the directive
            if left:
                strip_prev(out)
            if right and pos < len(flat) and isinstance(flat[pos], str):
                flat[pos] = flat[pos].lstrip()
            if kind in stops:
                return out, kind
            if kind == "if":
                then, stop = parse_until(("else", "endif"))
                otherwise: list[TemplatePart] = []
                if stop == "else":
                    otherwise, stop = parse_until(("endif",))
                if stop != "endif":
                    raise HclSyntaxError("template 'if' without 'endif'", span.line, span.column)
                out.append(IfDirective(payload, then, otherwise))
            elif kind == "for":
                key, value, coll = payload
                body, stop = parse_until(("endfor",))
                if stop != "endfor":
                    raise HclSyntaxError("template 'for' without 'endfor'", span.line, span.column)
                out.append(ForDirective(key, value, coll, body))
            else:
                raise HclSyntaxError(f"template '{kind}' without its opening directive", span.line, span.column)
        return out, None

    try:
        parts, _ = parse_until(())
    finally:
        parse_until = None  # type: ignore[assignment]  # it refers to itself: a cycle holding the parts
    return parts


def _find_close(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${``/``%{`` opened just before ``start``, or -1."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] == "$" and text.startswith("${", i):
                    close = _find_close(text, i + 2)
                    if close < 0:
                        return -1
                    i = close
                i += 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _line_col(text: str, index: int, line: int, col: int, indent: int = 0) -> tuple[int, int]:
    before = text[:index]
    nl = before.count("\n")
    if nl:
        return line + nl, index - before.rfind("\n") + indent
    return line, col + index + indent


def parse_template_text(
    text: str,
    path: str,
    line: int,
    col: int,
    indent: int = 0,
    positions: list[tuple[int, int]] | None = None,
) -> list[TemplatePart]:
    """Split template text (a heredoc body) into literal text and positioned ``${}``/``%{}`` parts.

    ``indent`` is the indentation a ``<<-`` heredoc removed from every line. When
    ``positions`` is given, the start of each part is appended to it (only meaningful when
    the template has no directives, which restructure the parts).
    """
    flat: list[Any] = []
    i = 0
    literal: list[str] = []
    literal_start = 0
    n = len(text)
    while i < n:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            if not literal:
                literal_start = i
            literal.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            close = _find_close(text, i + 2)
            if close < 0:
                raise HclSyntaxError("unclosed '${' in template", *_line_col(text, i, line, col, indent))
            if literal:
                flat.append("".join(literal))
                if positions is not None:
                    positions.append(_line_col(text, literal_start, line, col, indent))
                literal = []
            inner = text[i + 2 : close]
            left = inner.startswith("~")
            right = inner.endswith("~")
            core = inner[1 if left else 0 : len(inner) - (1 if right else 0)]
            core_index = i + 2 + (1 if left else 0)
            at_line, at_col = _line_col(text, core_index, line, col, indent)
            if positions is not None:
                positions.append((at_line, at_col))
            if text[i] == "$":
                expr = parse_expression(core, path, at_line, at_col)
                if left and flat and isinstance(flat[-1], str):
                    flat[-1] = flat[-1].rstrip()
                flat.append(Interp(expr, left, right))
                if right:
                    j = close + 1
                    while j < n and text[j] in " \t\n":
                        j += 1
                    close = j - 1
            else:
                flat.append(_directive(core, path, at_line, at_col, left, right))
            i = close + 1
            continue
        if not literal:
            literal_start = i
        literal.append(text[i])
        i += 1
    if literal:
        flat.append("".join(literal))
        if positions is not None:
            positions.append(_line_col(text, literal_start, line, col, indent))
    span = Span(path, line, col)
    if positions is not None and any(not isinstance(x, (str, Interp)) for x in flat):
        positions.clear()  # directives restructure the parts; no position map
    return assemble(flat, span)


_FOR_DIRECTIVE = re.compile(r"\s*for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?\bin\b(.*)$", re.S)


def _directive(core: str, path: str, line: int, col: int, left: bool, right: bool) -> tuple[str, Any, bool, bool]:
    word = core.strip().split(None, 1)[0] if core.strip() else ""
    if word in ("else", "endif", "endfor"):
        return (word, None, left, right)
    if word == "if":
        offset = core.index("if") + 2
        return ("if", parse_expression(core[offset:], path, line, col + offset), left, right)
    m = _FOR_DIRECTIVE.match(core)
    if word == "for" and m:
        first, second, rest = m.group(1), m.group(2), m.group(3)
        key, value = (first, second) if second else (None, first)
        offset = m.start(3)
        return ("for", (key, value, parse_expression(rest, path, line, col + offset)), left, right)
    raise HclSyntaxError(f"unknown template directive {core.strip()!r}", line, col)
