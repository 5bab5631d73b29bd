"""The fast HCL parser: tree-sitter's HCL grammar (C), walked into :mod:`syntax`'s nodes.

tree-sitter parses a whole file in C, about ten times faster than the Lark grammar, and
recovers from errors: a half-typed line leaves the rest of the tree intact, which
:func:`parse_partial` uses for the editor. The walk below builds the same nodes with the
same spans as the Lark walk (``_lark.py``, the reference); ``tests/test_hcl_differential.py``
holds the two to that over the corpus and the fixtures.

Differences of the grammar that the walk makes up for:

- tree-sitter points are 0-based rows and *byte* columns; spans are 1-based *character*
  columns (converted on the few lines that hold non-ASCII text);
- postfix operations (``.a``, ``[0]``, ``.*``) are siblings of the expression they apply to,
  and the operands of an operation are inlined; :meth:`_Walker.term` rebuilds the nesting;
- a quoted string is not stopped by a line break (HCL stops it there): the walk reports a
  string holding one as unterminated, at the quote that opens it;
- template literal nodes leave out some whitespace, so literal text is taken from the
  source between the parts; heredocs go through :func:`syntax.heredoc` as in the Lark walk.

Only :mod:`syntax` imports this module; it fails to import where the wheels are missing,
and :mod:`syntax` then uses Lark.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import tree_sitter_hcl
from tree_sitter import Language, Node, Parser

from linter.model import Span
from linter.parsers.hcl.syntax import (
    UNTERMINATED_STRING,
    Attribute,
    BinaryOp,
    Block,
    Body,
    Call,
    Comment,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    HclFile,
    HclSyntaxError,
    Index,
    Interp,
    Literal,
    ObjectExpr,
    ObjectItem,
    Paren,
    PartialParse,
    Splat,
    Template,
    TupleExpr,
    UnaryOp,
    Variable,
    assemble,
    heredoc,
    unescape,
)

_LANGUAGE = Language(tree_sitter_hcl.language())  # raises (ValueError) on an incompatible build


def _kind(name: str, named: bool = True) -> int:
    kind = _LANGUAGE.id_for_node_kind(name, named)
    if kind is None:  # pragma: no cover - a grammar without this node kind
        raise ValueError(f"tree-sitter-hcl has no node kind {name!r}")
    return kind


# node kinds by number: comparing small ints is cheaper than reading each node's type name
ATTRIBUTE, BLOCK, BODY, COMMENT = _kind("attribute"), _kind("block"), _kind("body"), _kind("comment")
EXPRESSION, IDENTIFIER, STRING_LIT = _kind("expression"), _kind("identifier"), _kind("string_lit")
GET_ATTR, INDEX, SPLAT, LEGACY_INDEX, FULL_SPLAT = _kind("get_attr"), _kind("index"), _kind("splat"), _kind("legacy_index"), _kind("full_splat")
NUMERIC_LIT, OBJECT_ELEM, FUNCTION_ARGUMENTS, ELLIPSIS = _kind("numeric_lit"), _kind("object_elem"), _kind("function_arguments"), _kind("ellipsis")
UNARY_OPERATION, FOR_INTRO, FOR_COND, FOR_OBJECT_EXPR = _kind("unary_operation"), _kind("for_intro"), _kind("for_cond"), _kind("for_object_expr")
HEREDOC_TEMPLATE, STRIP_MARKER, TEMPLATE_LITERAL = _kind("heredoc_template"), _kind("strip_marker"), _kind("template_literal")
LPAREN, RPAREN = _kind("(", False), _kind(")", False)
_OPERATORS = {_kind(op, False): op for op in ("*", "/", "%", "+", "-", ">", ">=", "<", "<=", "==", "!=", "&&", "||")}
_UNARY = {_kind("-", False): "-", _kind("!", False): "!"}
_LITERALS = {"true": True, "false": False, "null": None}
_COMMENT_START = re.compile(rb"#|//|/\*")
_new_span = functools.partial(tuple.__new__, Span)  # the spans below are well-formed; skip Span's checks


@functools.lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(_LANGUAGE)


def _plain_span(path: str) -> Callable[[Node], Span]:
    def span(node: Node) -> Span:
        (sr, sc), (er, ec) = node.start_point, node.end_point
        return _new_span((path, sr + 1, sc + 1, er + 1, ec + 1))

    return span


def _plain_between(path: str) -> Callable[[Node, Node], Span]:
    def between(first: Node, last: Node) -> Span:
        (sr, sc), (er, ec) = first.start_point, last.end_point
        return _new_span((path, sr + 1, sc + 1, er + 1, ec + 1))

    return between


class _Walker:
    """Builds our nodes from one tree-sitter tree."""

    def __init__(self, path: str, text: str, source: bytes, line_offset: int = 0, col_offset: int = 0) -> None:
        self.path = path
        self.source = source
        self.text_lines = text.split("\n")
        # for an expression re-parsed out of a heredoc: where the snippet sits in the file
        self.line_offset = line_offset + 1
        self.col_offset = col_offset + 1
        # rows holding non-ASCII text: their byte columns differ from character columns
        self.wide: dict[int, bytes] = {}
        if not source.isascii():
            for row, line in enumerate(self.text_lines):
                if not line.isascii():
                    self.wide[row] = line.encode("utf-8")
        if not self.wide and not line_offset and not col_offset:
            # the common case: no mapping of rows and columns (closures over the path, not
            # bound methods: a walker holding its own methods would be a reference cycle)
            self.span = _plain_span(path)  # type: ignore[method-assign,assignment]
            self.between = _plain_between(path)  # type: ignore[method-assign,assignment]

    # -- positions
    def col(self, row: int, byte_col: int) -> int:
        wide = self.wide.get(row)
        column = byte_col if wide is None else len(wide[:byte_col].decode("utf-8", "replace"))
        return column + (self.col_offset if row == 0 else 1)

    def start(self, node: Node) -> tuple[int, int]:
        row, column = node.start_point
        return row + self.line_offset, self.col(row, column)

    def span(self, node: Node) -> Span:
        (sr, sc), (er, ec) = node.start_point, node.end_point
        return _new_span((self.path, sr + self.line_offset, self.col(sr, sc), er + self.line_offset, self.col(er, ec)))

    def between(self, first: Node, last: Node) -> Span:
        """From the start of ``first`` to the end of ``last``."""
        (sr, sc), (er, ec) = first.start_point, last.end_point
        return _new_span((self.path, sr + self.line_offset, self.col(sr, sc), er + self.line_offset, self.col(er, ec)))

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- structure
    def body(self, node: Node | None) -> Body:
        out = Body()
        if node is None:
            return out
        attributes = out.attributes
        for child in node.children:
            kind = child.kind_id
            if kind == ATTRIBUTE:
                attr = self.attribute(child)
                if attr.name in attributes:
                    out.duplicates.append(attr)
                attributes[attr.name] = attr
            elif kind == BLOCK:
                out.blocks.append(self.block(child))
        return out

    def attribute(self, node: Node) -> Attribute:
        children = node.children
        if len(children) != 3:
            children = _tokens(children)
        return Attribute(self.text(children[0]), self.expr(children[2]), self.span(node))

    def block(self, node: Node) -> Block:
        names: list[str] = []
        body: Node | None = None
        children = node.children
        last = first = children[0]
        for child in children:
            kind = child.kind_id
            if kind == IDENTIFIER:
                names.append(self.text(child))
                last = child
            elif kind == STRING_LIT:
                names.append(self.plain_string(child))
                last = child
            elif kind == BODY:
                body = child
        return Block(names[0], names[1:], self.body(body), self.span(node), self.between(first, last))

    def plain_string(self, node: Node, template: bool = False) -> str:
        """A string without interpolation: a block label, or a ``template`` literal (where
        ``$${`` and ``%%{`` stand for ``${`` and ``%{``)."""
        children = node.children
        raw = self.source[children[0].end_byte : children[-1].start_byte].decode("utf-8", "replace")
        if "\n" in raw:
            raise HclSyntaxError(UNTERMINATED_STRING, *self.start(node))
        if template and ("$${" in raw or "%%{" in raw):
            raw = raw.replace("$${", "${").replace("%%{", "%{")
        return unescape(raw)

    # -- expressions
    def expr(self, node: Node) -> Expr:
        kind = node.kind_id
        while kind == EXPRESSION:
            children = node.children
            if len(children) != 1:
                return self.term(_tokens(children))
            node = children[0]
            kind = node.kind_id
        method = _DISPATCH.get(kind)
        if method is None:
            raise HclSyntaxError(f"unsupported syntax ({node.type})", *self.start(node))
        result: Expr = method(self, node)
        return result

    def term(self, children: list[Node]) -> Expr:
        """An expression written as a sequence: a primary term (or a parenthesised one) and
        the attribute, index and splat operations applied to it, left to right."""
        first = children[0]
        if first.kind_id == LPAREN:
            result: Expr = Paren(self.expr(children[1]), self.between(first, children[2]))
            rest = children[3:]
        else:
            result = self.expr(first)
            rest = children[1:]
        for op in rest:
            kind = op.kind_id
            if kind == GET_ATTR:
                result = GetAttr(result, self.text(op.children[-1]), self.between(first, op))
            elif kind == INDEX:
                result = Index(result, self.index_key(op.children[0]), self.between(first, op))
            elif kind == SPLAT:
                result = self.splat(result, first, op.children[0])
            else:  # pragma: no cover - the grammar allows nothing else here
                raise HclSyntaxError(f"unsupported syntax ({op.type})", *self.start(op))
        return result

    def index_key(self, node: Node) -> Expr:
        if node.kind_id == LEGACY_INDEX:  # foo.0: the number's span leaves out the dot
            span = self.span(node)
            return Literal(int(self.text(node)[1:]), _new_span((self.path, span[1], span[2] + 1, span[3], span[4])))
        return self.expr(_tokens(node.children)[1])

    def splat(self, obj: Expr, first: Node, node: Node) -> Expr:
        ops: list[tuple[str, Any]] = []
        for op in node.children[1:]:
            kind = op.kind_id
            if kind == GET_ATTR:
                ops.append(("attr", self.text(op.children[-1])))
            elif kind == INDEX:
                ops.append(("index", self.index_key(op.children[0])))
        return Splat(obj, ops, node.kind_id == FULL_SPLAT, self.between(first, node))

    def x_literal_value(self, node: Node) -> Expr:
        inner = node.children[0]
        kind = inner.kind_id
        if kind == NUMERIC_LIT:
            text = self.text(inner)
            value: Any = int(text) if text.isdigit() else float(text)
            return Literal(value, self.span(node))
        if kind == STRING_LIT:
            text = self.plain_string(inner, template=True)
            return Template([text] if text else [], self.span(node))
        return Literal(_LITERALS[self.text(inner)], self.span(node))

    def x_variable_expr(self, node: Node) -> Expr:
        return Variable(self.text(node), self.span(node))

    def x_collection_value(self, node: Node) -> Expr:
        return self.expr(node.children[0])

    def x_tuple(self, node: Node) -> Expr:
        return TupleExpr([self.expr(c) for c in node.children if c.kind_id == EXPRESSION], self.span(node))

    def x_object(self, node: Node) -> Expr:
        items = []
        for elem in node.children:
            if elem.kind_id != OBJECT_ELEM:
                continue
            children = elem.children
            if len(children) != 3:
                children = _tokens(children)
            key: Expr = self.expr(children[0])
            literal_key = None
            if isinstance(key, Variable):  # a bare name is taken literally, as HCL does
                literal_key = key.name
                key = Literal(literal_key, key.span)
            items.append(ObjectItem(key, self.expr(children[2]), literal_key))
        return ObjectExpr(items, self.span(node))

    def x_function_call(self, node: Node) -> Expr:
        children = node.children
        args: list[Expr] = []
        expand = False
        for child in children:
            if child.kind_id == FUNCTION_ARGUMENTS:
                for arg in child.children:
                    kind = arg.kind_id
                    if kind == EXPRESSION:
                        args.append(self.expr(arg))
                    elif kind == ELLIPSIS:
                        expand = True
        return Call(self.text(children[0]), args, expand, self.span(node))

    def x_conditional(self, node: Node) -> Expr:
        cond, yes, no = (c for c in node.children if c.kind_id == EXPRESSION)
        return _right(Conditional(self.expr(cond), self.expr(yes), self.expr(no), self.span(node)))

    def x_operation(self, node: Node) -> Expr:
        inner = node.children[0]
        children = _tokens(inner.children)
        if inner.kind_id == UNARY_OPERATION:
            operand = self.operand(children[1:])
            op = _UNARY[children[0].kind_id]
            if op == "-" and isinstance(operand, Literal) and type(operand.value) is float and children[0].end_byte == children[1].start_byte:
                # the Lark grammar reads "-0.5" as one number (but "-1" as minus one); so do we
                return Literal(-operand.value, self.span(node))
            return UnaryOp(op, operand, self.span(node))
        depth = 0
        for i, child in enumerate(children):
            kind = child.kind_id
            if kind == LPAREN:
                depth += 1
            elif kind == RPAREN:
                depth -= 1
            elif depth == 0 and i > 0 and kind in _OPERATORS:
                return BinaryOp(_OPERATORS[kind], self.operand(children[:i]), self.operand(children[i + 1 :]), self.span(node))
        raise HclSyntaxError("unsupported syntax (operation)", *self.start(node))  # pragma: no cover

    def operand(self, children: list[Node]) -> Expr:
        return self.expr(children[0]) if len(children) == 1 else self.term(children)

    def x_for_expr(self, node: Node) -> Expr:
        inner = node.children[0]
        intro: Node | None = None
        exprs: list[Node] = []
        cond: Node | None = None
        group = False
        for child in inner.children:
            kind = child.kind_id
            if kind == FOR_INTRO:
                intro = child
            elif kind == EXPRESSION:
                exprs.append(child)
            elif kind == FOR_COND:
                cond = next(c for c in child.children if c.kind_id == EXPRESSION)
            elif kind == ELLIPSIS:
                group = True
        assert intro is not None
        names = [self.text(c) for c in intro.children if c.kind_id == IDENTIFIER]
        collection = next(c for c in intro.children if c.kind_id == EXPRESSION)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        key_expr = self.expr(exprs[0]) if inner.kind_id == FOR_OBJECT_EXPR else None
        value = self.expr(exprs[-1])
        return ForExpr(key_var, value_var, self.expr(collection), key_expr, value, self.expr(cond) if cond is not None else None, group, self.span(node))

    def x_template_expr(self, node: Node) -> Expr:
        inner = node.children[0]
        if inner.kind_id == HEREDOC_TEMPLATE:
            return heredoc(self.text(inner) + "\n", self.start(inner)[0], self.path, self.span(node))
        return self.quoted(inner, self.span(node))

    def quoted(self, node: Node, span: Span) -> Expr:
        """A quoted template: literal text from the source between its parts."""
        children = node.children
        marks: list[tuple[Node, Any]] = []  # (node, interpolation or directive marker), in order
        for child in children[1:-1]:
            self.template_marks(child, marks)
        flat: list[Any] = []
        cursor = children[0].end_byte
        strip_next = False
        for mark_node, mark in marks:
            self.literal(flat, cursor, mark_node.start_byte, node, strip_next)
            left, strip_next = mark[2], mark[3]
            if left and flat and isinstance(flat[-1], str):
                flat[-1] = flat[-1].rstrip()
            flat.append(mark[1] if mark[0] == "interp" else mark)
            cursor = mark_node.end_byte
        self.literal(flat, cursor, children[-1].start_byte, node, strip_next)
        return Template(assemble(flat, span), span)

    def literal(self, flat: list[Any], start: int, end: int, string: Node, strip: bool) -> None:
        if end <= start:
            return
        raw = self.source[start:end].decode("utf-8", "replace")
        if "\n" in raw:
            raise HclSyntaxError(UNTERMINATED_STRING, *self.start(string))
        if "$${" in raw or "%%{" in raw:
            raw = raw.replace("$${", "${").replace("%%{", "%{")
        text = unescape(raw)
        flat.append(text.lstrip() if strip else text)

    def template_marks(self, node: Node, marks: list[tuple[Node, Any]]) -> None:
        """The interpolations and directive markers of a template, flat and in order, as
        :func:`syntax.assemble` takes them."""
        kind = node.type
        if kind == "template_literal" or kind == "comment":
            return
        if kind == "template_interpolation":
            left, right = _strips(node)
            expr = next(c for c in node.children if c.kind_id == EXPRESSION)
            marks.append((node, ("interp", Interp(self.expr(expr), left, right), left, right)))
        elif kind in ("template_directive", "template_if", "template_for"):
            for child in node.children:
                self.template_marks(child, marks)
        elif kind == "template_if_intro":
            left, right = _strips(node)
            cond = next(c for c in node.children if c.kind_id == EXPRESSION)
            marks.append((node, ("if", self.expr(cond), left, right)))
        elif kind == "template_for_start":
            left, right = _strips(node)
            names = [self.text(c) for c in node.children if c.kind_id == IDENTIFIER]
            coll = next(c for c in node.children if c.kind_id == EXPRESSION)
            key, value = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            marks.append((node, ("for", (key, value, self.expr(coll)), left, right)))
        elif kind in _DIRECTIVE_ENDS:
            left, right = _strips(node)
            marks.append((node, (_DIRECTIVE_ENDS[kind], None, left, right)))
        else:  # pragma: no cover - the grammar allows nothing else here
            raise HclSyntaxError(f"unsupported template syntax ({kind})", *self.start(node))

    # -- comments
    def comments(self, root: Node) -> list[Comment]:
        """Every comment: where the text has a comment marker, ask the tree what is there
        (a marker inside a string is not a comment)."""
        out = []
        lines = self.text_lines
        skip_to = 0
        for match in _COMMENT_START.finditer(self.source):
            at = match.start()
            if at < skip_to:
                continue
            node = root.descendant_for_byte_range(at, at + 1)
            if node is None or node.kind_id != COMMENT or node.start_byte != at:
                continue
            skip_to = node.end_byte
            line, column = self.start(node)
            source = lines[line - 1] if 0 < line <= len(lines) else ""
            out.append(Comment(line, column, self.text(node).rstrip("\n"), not source[: column - 1].strip()))
        return out


def _strips(node: Node) -> tuple[bool, bool]:
    """The ``~`` strip markers just inside a template's ``${``/``%{`` and ``}``."""
    children = node.children
    return children[1].kind_id == STRIP_MARKER, len(children) > 2 and children[-2].kind_id == STRIP_MARKER


def _right(cond: Conditional) -> Conditional:
    """``a ? b : c ? d : e`` is ``a ? b : (c ? d : e)`` in HCL; the grammar groups it the other
    way (its conditional is left-associative), so regroup. A parenthesised condition is a
    :class:`Paren` and stays."""
    inner = cond.cond
    if not isinstance(inner, Conditional):
        return cond
    rest = cond.no.span
    tail = _right(Conditional(inner.no, cond.yes, cond.no, Span(rest.file, inner.no.span.line, inner.no.span.column, rest.end_line, rest.end_column)))
    return Conditional(inner.cond, inner.yes, tail, cond.span)


def _tokens(children: list[Node]) -> list[Node]:
    """Children without the comments, which may sit between any two tokens."""
    return [c for c in children if c.kind_id != COMMENT]


_DIRECTIVE_ENDS = {"template_else_intro": "else", "template_if_end": "endif", "template_for_end": "endfor"}

_DISPATCH: dict[int, Any] = {
    _kind("literal_value"): _Walker.x_literal_value,
    _kind("variable_expr"): _Walker.x_variable_expr,
    _kind("collection_value"): _Walker.x_collection_value,
    _kind("tuple"): _Walker.x_tuple,
    _kind("object"): _Walker.x_object,
    _kind("function_call"): _Walker.x_function_call,
    _kind("conditional"): _Walker.x_conditional,
    _kind("operation"): _Walker.x_operation,
    _kind("for_expr"): _Walker.x_for_expr,
    _kind("template_expr"): _Walker.x_template_expr,
}


# --------------------------------------------------------------------------- entry points


def _tree(text: str) -> tuple[bytes, Node]:
    source = text.encode("utf-8", "surrogatepass")
    return source, _parser().parse(source).root_node


def parse_file(text: str, path: str) -> HclFile:
    """Parse normalised HCL source; raises :class:`HclSyntaxError`.

    A file tree-sitter cannot parse cleanly goes to the reference parser (Lark) whole: it
    words the error as it always has (what was expected; where an unterminated string
    starts), and where tree-sitter's grammar alone is wrong the file still parses."""
    source, root = _tree(text)
    top = [c for c in root.children if c.kind_id != COMMENT]
    if not root.has_error and (not top or top[0].kind_id == BODY):
        walker = _Walker(path, text, source)
        try:
            return HclFile(path, walker.body(top[0] if top else None), walker.comments(root))
        except HclSyntaxError:
            pass  # an unterminated string, which the reference reports the same way
        except RecursionError:
            raise HclSyntaxError("expression nested too deeply to analyse", 1, 1) from None
    from linter.parsers.hcl import _lark

    return _lark.parse_file(text, path)


def parse_partial(text: str, path: str) -> PartialParse:
    """The top-level attributes and blocks that parse, and the syntax errors, first to last.

    tree-sitter keeps going after an error, but the stretch it could not parse may be long:
    HCL's line breaks mean nothing to its grammar, so ``x =`` followed by ``}`` can swallow
    the blocks after it. Such a stretch is cut where a line starts a new top-level item (a
    name at the start of the line, as every formatted file has it) and each piece is read on
    its own. What still fails is read by the reference parser (Lark): its messages say what
    was expected, it finds where an unterminated string starts, and where tree-sitter's
    grammar alone is wrong the items still parse."""
    source, root = _tree(text)
    walker = _Walker(path, text, source)
    found = _Found()
    _collect(root, walker, found, recover=True)
    found.errors.sort(key=lambda e: (e.line, e.column))
    return PartialParse(HclFile(path, found.body, walker.comments(root)), found.errors)


class _Found:
    """Top-level items and errors, gathered in file order."""

    def __init__(self) -> None:
        self.body = Body()
        self.errors: list[HclSyntaxError] = []

    def attribute(self, attr: Attribute) -> None:
        if attr.name in self.body.attributes:
            self.body.duplicates.append(attr)
        self.body.attributes[attr.name] = attr

    def merge(self, body: Body) -> None:
        for attr in body.attributes.values():
            self.attribute(attr)
        self.body.duplicates.extend(body.duplicates)
        self.body.blocks.extend(body.blocks)


def _collect(root: Node, walker: _Walker, found: _Found, recover: bool) -> None:
    broken: list[Node] = []  # consecutive top-level nodes holding an error

    def flush() -> None:
        if recover:
            _recover(walker, broken[0], broken[-1], found)
        else:
            _reread(walker, broken[0], broken[-1], found)
        broken.clear()

    for top in root.children:
        for node in top.children if top.kind_id == BODY else (top,):
            kind = node.kind_id
            if kind == COMMENT:
                continue
            if node.has_error or kind not in (ATTRIBUTE, BLOCK):
                broken.append(node)
                continue
            if broken:
                flush()
            try:
                if kind == ATTRIBUTE:
                    found.attribute(walker.attribute(node))
                else:
                    found.body.blocks.append(walker.block(node))
            except HclSyntaxError as exc:
                found.errors.append(exc)
            except RecursionError:
                found.errors.append(HclSyntaxError("expression nested too deeply to analyse", *walker.start(node)))
    if broken:
        flush()


# a line that starts a top-level item: a name, then "=", "{" or a label (a heredoc's closing
# marker alone on its line is not one)
_ITEM_START = re.compile(rb"\n(?=[A-Za-z_][\w-]*[ \t]*[={\"])")


def _stretch(walker: _Walker, first: Node, last: Node) -> tuple[bytes, int, int]:
    """The source from the start of ``first``'s line to the end of ``last``, its first row,
    and how many bytes of the first line come before ``first``."""
    row, byte_col = first.start_point
    return walker.source[first.start_byte - byte_col : last.end_byte], row + walker.line_offset - 1, byte_col


def _padded(piece: bytes, lead: int) -> str:
    """``piece`` as text, its first ``lead`` bytes (what came before the stretch) as spaces."""
    before = piece[:lead].decode("utf-8", "replace")
    text = " " * len(before) + piece[lead:].decode("utf-8", "replace")
    return text if text.endswith("\n") else text + "\n"


def _recover(walker: _Walker, first: Node, last: Node, found: _Found) -> None:
    source, row, lead = _stretch(walker, first, last)
    cuts = [0] + [m.start() + 1 for m in _ITEM_START.finditer(source) if m.start() >= lead]
    if len(cuts) == 1:
        _reread(walker, first, last, found)
        return
    cuts.append(len(source))
    for a, b in zip(cuts, cuts[1:]):
        piece = _padded(source[a:b], lead if a == 0 else 0)
        piece_row = row + source.count(b"\n", 0, a)
        data, root = _tree(piece)
        _collect(root, _Walker(walker.path, piece, data, line_offset=piece_row), found, recover=False)


def _reread(walker: _Walker, first: Node, last: Node, found: _Found) -> None:
    """Parse the stretch from ``first`` to ``last`` with Lark, at its place in the file."""
    from linter.parsers.hcl import _lark

    source, row, lead = _stretch(walker, first, last)
    try:
        found.merge(_lark.parse_file(_padded(source, lead), walker.path, line_offset=row).body)
    except HclSyntaxError as exc:
        found.errors.append(exc)


def parse_expression(source: str, path: str, line: int, col: int) -> Expr:
    """One expression that sits at (line, col) of ``path`` (a heredoc's interpolation)."""
    wrapped = "x=(" + source + ")\n"
    data, root = _tree(wrapped)
    try:
        if root.has_error:
            raise HclSyntaxError("", line, col)  # the reference parser words it (or parses it)
        walker = _Walker(path, wrapped, data, line_offset=line - 1, col_offset=col - 4)
        expr = walker.body(root.children[0]).attributes["x"].expr
    except (HclSyntaxError, KeyError, IndexError):
        from linter.parsers.hcl import _lark

        return _lark.parse_expression(source, path, line, col)
    return expr.expr if isinstance(expr, Paren) else expr
