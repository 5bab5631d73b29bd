"""HCL native syntax: source text -> a positioned syntax tree of our own.

python-hcl2 supplies the grammar and the LALR parser (``hcl2.parser.parser()``), whose Lark
tree carries positions on every node. Its ``loads()`` throws the positions away (and its
``with_meta`` option does nothing in 8.x), so we walk the Lark tree once into small node
classes that keep a span on every attribute, block and expression. Heredoc bodies are not
split by the grammar; :func:`parse_template_text` parses their ``${}``/``%{}`` parts with
the same parser so they get positions too.

Everything below this module works on these nodes and never sees Lark.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from lark import Token, Tree

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


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Expr
    span: Span

    def __reduce__(self) -> Any:  # faster than the generic dataclass state when unpickling the cache
        return (Attribute, (self.name, self.expr, self.span))


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    span: Span  # the whole block
    header: Span  # the block type and labels, the line an editor underlines for the block

    def __reduce__(self) -> Any:  # faster than the generic dataclass state when unpickling the cache
        return (Block, (self.type, self.labels, self.body, self.span, self.header))


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    # attribute names defined more than once in this body (Terraform rejects them)
    duplicates: list[Attribute] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type == block_type)

    def __reduce__(self) -> Any:  # faster than the generic dataclass state when unpickling the cache
        return (Body, (self.attributes, self.blocks, self.duplicates))


@dataclass(slots=True)
class Comment:
    line: int
    column: int
    text: str
    whole_line: bool = False  # nothing but whitespace before it on its line

    def __reduce__(self) -> Any:  # faster than the generic dataclass state when unpickling the cache
        return (Comment, (self.line, self.column, self.text, self.whole_line))


@dataclass(slots=True)
class HclFile:
    path: str
    body: Body
    comments: list[Comment]

    def __reduce__(self) -> Any:  # faster than the generic dataclass state when unpickling the cache
        return (HclFile, (self.path, self.body, self.comments))


class HclSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


# --------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=1)
def _lark_parser() -> Any:
    from hcl2.parser import parser

    return parser()


def parse_hcl(text: str, path: str) -> HclFile:
    """Parse HCL source into positioned nodes; raises :class:`HclSyntaxError`."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"  # the grammar needs a final newline after the last attribute
    try:
        tree = _lark_parser().parse(text)
    except UnexpectedToken as exc:
        raise HclSyntaxError(_token_message(exc), exc.line, exc.column) from None
    except UnexpectedCharacters as exc:
        pos = cast(int, exc.pos_in_stream)  # lark declares it None on the base class; the lexer sets it
        char = text[pos] if 0 <= pos < len(text) else "?"
        raise HclSyntaxError(f"unexpected character {char!r}", exc.line, exc.column) from None
    except UnexpectedEOF as exc:
        lines = text.count("\n")
        raise HclSyntaxError("unexpected end of file (an unclosed block, bracket or string?)", lines, 1) from exc
    except UnexpectedInput as exc:  # pragma: no cover - other Lark input errors
        raise HclSyntaxError(str(exc).splitlines()[0], getattr(exc, "line", 1), getattr(exc, "column", 1)) from None
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply to analyse", 1, 1) from None
    builder = _Builder(path)
    builder.lines = text.split("\n")
    try:
        body = builder.body(tree.children[0])
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply to analyse", 1, 1) from None
    return HclFile(path, body, builder.comments)


_TOKEN_WORDS = {
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "LSQB": "'['",
    "RPAR": "')'",
    "LPAR": "'('",
    "EQ": "'='",
    "COLON": "':'",
    "COMMA": "','",
    "DBLQUOTE": "'\"'",
    "NL_OR_COMMENT": "a new line",
    "$END": "end of file",
    "NAME": "a name",
}


def _token_message(exc: Any) -> str:
    token = exc.token
    got = _TOKEN_WORDS.get(token.type) or repr(str(token).strip() or token.type)
    expected = sorted({_TOKEN_WORDS.get(e, "") for e in getattr(exc, "expected", ()) or ()} - {""})
    message = f"unexpected {got}"
    if expected and len(expected) <= 4:
        message += ", expected " + " or ".join(expected)
    return message


class _Builder:
    """Walks python-hcl2's Lark tree once, producing our nodes with spans."""

    def __init__(self, path: str, line_offset: int = 0, first_line_col_offset: int = 0) -> None:
        self.path = path
        self.comments: list[Comment] = []
        self.lines: list[str] = []
        # for expressions re-parsed out of a heredoc: where the snippet sits in the file
        self.line_offset = line_offset
        self.col_offset = first_line_col_offset

    # -- positions
    def _pos(self, line: int, column: int) -> tuple[int, int]:
        if line == 1:
            return line + self.line_offset, column + self.col_offset
        return line + self.line_offset, column

    def span(self, node: Any) -> Span:
        if isinstance(node, Token):
            sl, sc, el, ec = node.line, node.column, node.end_line, node.end_column
            if sl is None or sc is None or el is None or ec is None:  # a token the lexer did not make
                return Span(self.path, 1 + self.line_offset, 1)
            text = str(node)
            if text.endswith("\n"):  # heredocs and comments swallow their final newline
                stripped = text.rstrip("\n")
                el = sl + stripped.count("\n")
                last = stripped.rsplit("\n", 1)[-1]
                ec = (sc if el == sl else 1) + len(last)
        else:
            meta = node.meta
            if getattr(meta, "empty", True):
                return Span(self.path, 1 + self.line_offset, 1)
            sl, sc = meta.line, meta.column
            el, ec = self._end(node)
        a, b = self._pos(sl, sc)
        c, d = self._pos(el, ec)
        return Span(self.path, a, b, c, d)

    def _end(self, tree: Any) -> tuple[int, int]:
        """The end of a tree, ignoring trailing newlines and comments the grammar folds into it."""
        for child in reversed(tree.children):
            if isinstance(child, Tree):
                if child.data == "new_line_or_comment" or getattr(child.meta, "empty", True):
                    continue
                return self._end(child)
            if isinstance(child, Token):
                if child.type == "NL_OR_COMMENT":
                    continue
                span_end = self.span_token_end(child)
                return span_end
        return tree.meta.end_line, tree.meta.end_column

    @staticmethod
    def span_token_end(tok: Any) -> tuple[int, int]:
        text = str(tok)
        if text.endswith("\n"):
            stripped = text.rstrip("\n")
            el = tok.line + stripped.count("\n")
            last = stripped.rsplit("\n", 1)[-1]
            return el, (tok.column if el == tok.line else 1) + len(last)
        return tok.end_line, tok.end_column

    # -- structure
    def body(self, tree: Any) -> Body:
        out = Body()
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            kind = child.data
            if kind == "attribute":
                attr = self.attribute(child)
                if attr.name in out.attributes:
                    out.duplicates.append(attr)
                out.attributes[attr.name] = attr
            elif kind == "block":
                out.blocks.append(self.block(child))
            elif kind == "new_line_or_comment":
                self.collect_comments(child)
        return out

    def collect_comments(self, tree: Any) -> None:
        for tok in tree.children:
            self._comment_token(tok)

    def _comment_token(self, tok: Any) -> None:
        text = str(tok).lstrip(" \t\n")
        if text.startswith(("#", "//", "/*")):
            offset = len(str(tok)) - len(text)
            before = str(tok)[:offset]
            line = tok.line + before.count("\n")
            col = (len(before) - before.rfind("\n")) if "\n" in before else tok.column + offset
            line, col = self._pos(line, col)
            source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            whole = not source[: col - 1].strip()
            self.comments.append(Comment(line, col, text.rstrip("\n"), whole))

    def attribute(self, tree: Any) -> Attribute:
        name_node, _eq, expr_node = tree.children[0], tree.children[1], tree.children[2]
        return Attribute(self.name_of(name_node), self.expr(expr_node), self.span(tree))

    def name_of(self, node: Any) -> str:
        if isinstance(node, Token):
            return str(node)
        if node.data == "string":
            return self._plain_string(node)
        return str(node.children[0])

    def _plain_string(self, node: Any) -> str:
        parts = []
        for part in node.children:
            if hasattr(part, "data") and part.data == "string_part":
                tok = part.children[0]
                parts.append(_unescape(str(tok)) if getattr(tok, "type", "") == "STRING_CHARS" else str(tok))
        return "".join(parts)

    def block(self, tree: Any) -> Block:
        names: list[str] = []
        body_tree = None
        header_end: Any = None
        for child in tree.children:
            if isinstance(child, Tree):
                if child.data == "body":
                    body_tree = child
                elif child.data == "new_line_or_comment":
                    self.collect_comments(child)
                elif body_tree is None:
                    names.append(self.name_of(child))
                    header_end = child
            elif isinstance(child, Token) and child.type == "LBRACE" and header_end is None:
                header_end = child
        body = self.body(body_tree) if body_tree is not None else Body()
        whole = self.span(tree)
        first = self.span(tree.children[0])
        last = self.span(header_end) if header_end is not None else first
        header = Span(self.path, first.line, first.column, last.end_line, last.end_column)
        return Block(names[0], names[1:], body, whole, header)

    # -- expressions
    def expr(self, node: Any) -> Expr:
        if isinstance(node, Token):  # pragma: no cover - the grammar wraps tokens in rules
            return Literal(str(node), self.span(node))
        method = getattr(self, "x_" + node.data, None)
        if method is None:  # pragma: no cover - a grammar rule we do not know
            raise HclSyntaxError(f"unsupported syntax ({node.data})", node.meta.line, node.meta.column)
        result: Expr = method(node)
        return result

    def _subtrees(self, node: Any) -> list[Any]:
        out = []
        for c in node.children:
            if isinstance(c, Tree):
                if c.data == "new_line_or_comment":
                    self.collect_comments(c)
                else:
                    out.append(c)
        return out

    def x_expr_term(self, node: Any) -> Expr:
        children = node.children
        if children and isinstance(children[0], Token) and children[0].type == "LPAR":
            inner = self._subtrees(node)[0]
            return Paren(self.expr(inner), self.span(node))
        return self.expr(self._subtrees(node)[0])

    def x_int_lit(self, node: Any) -> Expr:
        return Literal(int(str(node.children[0])), self.span(node))

    def x_float_lit(self, node: Any) -> Expr:
        return Literal(float(str(node.children[0])), self.span(node))

    def x_literal_value(self, node: Any) -> Expr:
        word = str(node.children[0])
        return Literal({"true": True, "false": False, "null": None}[word], self.span(node))

    def x_identifier(self, node: Any) -> Expr:
        return Variable(str(node.children[0]), self.span(node))

    def x_keyword(self, node: Any) -> Expr:
        return Variable(str(node.children[0]), self.span(node))

    def x_string(self, node: Any) -> Expr:
        flat: list[Any] = []
        for part in node.children:
            if isinstance(part, Token):
                continue  # the quotes
            inner = part.children[0]
            if isinstance(inner, Token):
                if inner.type == "STRING_CHARS":
                    flat.append(_unescape(str(inner)))
                else:  # ESCAPED_INTERPOLATION / ESCAPED_DIRECTIVE: $${ -> ${, %%{ -> %{
                    flat.append(str(inner)[1:])
            else:
                flat.append(self._template_piece(inner))
        return Template(_assemble(flat, self.span(node)), self.span(node))

    def _template_piece(self, tree: Any) -> Any:
        kind = tree.data
        toks = [c for c in tree.children if isinstance(c, Token)]
        left = len(toks) > 2 and toks[1].type == "STRIP_MARKER"
        right = len(toks) > 2 and toks[-2].type == "STRIP_MARKER"
        subs = self._subtrees(tree)
        if kind == "interpolation":
            return Interp(self.expr(subs[0]))
        if kind == "template_if_start":
            return ("if", self.expr(subs[0]), left, right)
        if kind == "template_else":
            return ("else", None, left, right)
        if kind == "template_endif":
            return ("endif", None, left, right)
        if kind == "template_endfor":
            return ("endfor", None, left, right)
        if kind == "template_for_start":
            names = [str(s.children[0]) for s in subs if s.data == "identifier"]
            coll = [s for s in subs if s.data != "identifier"]
            key, value = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            return ("for", (key, value, self.expr(coll[-1])), left, right)
        raise HclSyntaxError(f"unsupported template syntax ({kind})", tree.meta.line, tree.meta.column)

    def x_template_string(self, node: Any) -> Expr:
        text = str(node.children[0])
        # \"content\" inside a directive: strip the escaped quotes
        return Template([_unescape(text[2:-2])], self.span(node))

    def x_heredoc_template(self, node: Any) -> Expr:
        return self._heredoc(node, trim=False)

    def x_heredoc_template_trim(self, node: Any) -> Expr:
        return self._heredoc(node, trim=True)

    def _heredoc(self, node: Any, trim: bool) -> Expr:
        tok = node.children[0]
        raw = str(tok)
        first_nl = raw.index("\n")
        marker = raw[2:first_nl].lstrip("-").strip()
        body = raw[first_nl + 1 :]
        # drop the closing marker line
        body = body.rstrip("\n")
        last_nl = body.rfind("\n")
        content = body[: last_nl + 1] if last_nl >= 0 else ""
        if body.strip() != marker and not body.endswith(marker):  # pragma: no cover - grammar guarantees
            content = body
        body_line = tok.line + 1
        if trim:
            lines = content.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            content = "\n".join(ln[cut:] for ln in lines)
            col_shift = cut
        else:
            col_shift = 0
        line, _col = self._pos(body_line, 1)
        positions: list[tuple[int, int]] = []
        parts = parse_template_text(content, self.path, line, 1, indent=col_shift, positions=positions)
        return Template(parts, self.span(node), positions if len(positions) == len(parts) else None, col_shift)

    def x_tuple(self, node: Any) -> Expr:
        return TupleExpr([self.expr(c) for c in self._subtrees(node)], self.span(node))

    def x_object(self, node: Any) -> Expr:
        items = []
        for elem in self._subtrees(node):
            key_node = elem.children[0]
            value_node = [c for c in elem.children[1:] if hasattr(c, "data")][-1]
            key_inner = self._subtrees(key_node)[0] if hasattr(key_node, "data") else key_node
            literal_key = None
            if key_inner.data == "keyword":
                literal_key = str(key_inner.children[0])
                key_expr: Expr = Literal(literal_key, self.span(key_inner))
            else:
                key_expr = self.expr(key_inner)
                if isinstance(key_expr, Variable):
                    literal_key = key_expr.name
                    key_expr = Literal(literal_key, key_expr.span)
            items.append(ObjectItem(key_expr, self.expr(value_node), literal_key))
        return ObjectExpr(items, self.span(node))

    def x_get_attr_expr_term(self, node: Any) -> Expr:
        obj_node, attr_node = self._subtrees(node)
        return GetAttr(self.expr(obj_node), self._attr_name(attr_node), self.span(node))

    def _attr_name(self, get_attr: Any) -> str:
        target = self._subtrees(get_attr)[0]
        return str(target.children[0])

    def x_index_expr_term(self, node: Any) -> Expr:
        obj_node, index_node = self._subtrees(node)
        return Index(self.expr(obj_node), self._index_key(index_node), self.span(node))

    def _index_key(self, index_node: Any) -> Expr:
        if index_node.data == "short_index":  # legacy foo.0
            tok = index_node.children[-1]
            return Literal(int(str(tok)), self.span(tok))
        return self.expr(self._subtrees(index_node)[0])

    def _splat(self, node: Any, full: bool) -> Expr:
        obj_node, splat_node = self._subtrees(node)
        ops: list[tuple[str, Any]] = []
        for op in self._subtrees(splat_node):
            if op.data == "get_attr":
                ops.append(("attr", self._attr_name(op)))
            else:
                ops.append(("index", self._index_key(op)))
        return Splat(self.expr(obj_node), ops, full, self.span(node))

    def x_attr_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node, full=False)

    def x_full_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node, full=True)

    def x_function_call(self, node: Any) -> Expr:
        idents = [c for c in node.children if hasattr(c, "data") and c.data == "identifier"]
        name = "::".join(str(i.children[0]) for i in idents)
        args: list[Expr] = []
        expand = False
        for c in node.children:
            if hasattr(c, "data") and c.data == "arguments":
                for a in c.children:
                    if isinstance(a, Token):
                        if a.type == "ELLIPSIS":
                            expand = True
                        continue
                    if a.data == "new_line_or_comment":
                        self.collect_comments(a)
                        continue
                    args.append(self.expr(a))
        return Call(name, args, expand, self.span(node))

    def x_conditional(self, node: Any) -> Expr:
        cond, yes, no = self._subtrees(node)
        return Conditional(self.expr(cond), self.expr(yes), self.expr(no), self.span(node))

    def x_binary_op(self, node: Any) -> Expr:
        left_node, term = self._subtrees(node)[:2]
        op_node, right_node = self._subtrees(term)
        # the post-lexer folds a preceding newline or comment into the operator token
        match = _OPERATOR.search(str(op_node.children[0]))
        op = match.group(1) if match else str(op_node.children[0]).strip()
        return BinaryOp(op, self.expr(left_node), self.expr(right_node), self.span(node))

    def x_unary_op(self, node: Any) -> Expr:
        op = str(node.children[0]).strip()
        return UnaryOp(op, self.expr(node.children[1]), self.span(node))

    def _for_intro(self, intro: Any) -> tuple[str | None, str, Expr]:
        subs = self._subtrees(intro)
        names = [str(s.children[0]) for s in subs[:-1] if s.data == "identifier"]
        coll = self.expr(subs[-1])
        if len(names) == 2:
            return names[0], names[1], coll
        return None, names[0], coll

    def x_for_tuple_expr(self, node: Any) -> Expr:
        subs = self._subtrees(node)
        key_var, value_var, coll = self._for_intro(subs[0])
        value = self.expr(subs[1])
        cond = self.expr(self._subtrees(subs[2])[0]) if len(subs) > 2 else None
        return ForExpr(key_var, value_var, coll, None, value, cond, False, self.span(node))

    def x_for_object_expr(self, node: Any) -> Expr:
        subs = self._subtrees(node)
        key_var, value_var, coll = self._for_intro(subs[0])
        key_expr = self.expr(subs[1])
        value = self.expr(subs[2])
        cond = self.expr(self._subtrees(subs[3])[0]) if len(subs) > 3 else None
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        return ForExpr(key_var, value_var, coll, key_expr, value, cond, group, self.span(node))


_OPERATOR = re.compile(r"(==|!=|<=|>=|&&|\|\||[<>+\-*/%])\s*$")

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)


def _unescape(text: str) -> str:
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


def _assemble(flat: list[Any], span: Span) -> list[TemplatePart]:
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

    parts, _ = parse_until(())
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
    return _assemble(flat, span)


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


def parse_expression(source: str, path: str, line: int, col: int) -> Expr:
    """Parse one expression that sits at (line, col) of ``path`` (used for heredoc parts)."""
    from lark.exceptions import UnexpectedInput

    wrapped = "x=(" + source + ")\n"
    try:
        tree = _lark_parser().parse(wrapped)
    except UnexpectedInput as exc:
        raise HclSyntaxError(
            f"invalid expression in template: {source.strip()[:40]!r}", line + getattr(exc, "line", 1) - 1, col
        ) from None
    builder = _Builder(path, line_offset=line - 1, first_line_col_offset=col - 4)
    body = builder.body(tree.children[0])
    expr = body.attributes["x"].expr
    return expr.expr if isinstance(expr, Paren) else expr
