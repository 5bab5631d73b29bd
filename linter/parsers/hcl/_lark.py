"""The reference HCL parser: python-hcl2's Lark grammar, walked into :mod:`syntax`'s nodes.

python-hcl2 supplies the grammar and the LALR parser (``hcl2.parser.parser()``), whose Lark
tree carries positions on every node. Its ``loads()`` throws the positions away (and its
``with_meta`` option does nothing in 8.x), so we walk the Lark tree once into our node
classes. This is the fallback where tree-sitter's wheel is unavailable, and the reference
the fast parser (``_treesitter.py``) is tested against; only :mod:`syntax` calls it.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

from lark import Token, Tree

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
    Splat,
    Template,
    TupleExpr,
    UnaryOp,
    Variable,
    assemble,
    heredoc,
    unescape,
)


@functools.lru_cache(maxsize=1)
def _lark_parser() -> Any:
    from hcl2.parser import parser

    return parser()


def parse_file(text: str, path: str, line_offset: int = 0) -> HclFile:
    """Parse normalised HCL source (``\\n`` line ends, a final newline); raises :class:`HclSyntaxError`.

    ``line_offset``: how many lines of the file come before ``text`` (a part of a file read
    on its own, as the fast parser does where it found an error)."""
    from lark.exceptions import UnexpectedInput

    try:
        tree = _lark_parser().parse(text)
    except UnexpectedInput as exc:
        message, line, column = _describe(exc, text)
        raise HclSyntaxError(message, line + line_offset, column) from None
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply to analyse", 1 + line_offset, 1) from None
    builder = _Builder(path, line_offset=line_offset)
    builder.lines = [""] * line_offset + text.split("\n")
    try:
        body = builder.body(tree.children[0])
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply to analyse", 1 + line_offset, 1) from None
    builder.comments.sort(key=lambda c: (c.line, c.column))
    return HclFile(path, body, builder.comments)


def _describe(exc: Any, text: str) -> tuple[str, int, int]:
    """(message, line, column) for a Lark parse error."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    # a quoted string left open swallows the lines after it; say where it starts
    runaway = _runaway_string(exc)
    if runaway is not None:
        return (UNTERMINATED_STRING, *runaway)
    if isinstance(exc, UnexpectedToken):
        return _token_message(exc), exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        pos = cast(int, exc.pos_in_stream)  # lark declares it None on the base class; the lexer sets it
        char = text[pos] if 0 <= pos < len(text) else "?"
        return f"unexpected character {char!r}", exc.line, exc.column
    if isinstance(exc, UnexpectedEOF):
        return "unexpected end of file (an unclosed block, bracket or string?)", text.count("\n"), 1
    return str(exc).splitlines()[0], getattr(exc, "line", 1), getattr(exc, "column", 1)  # pragma: no cover - other Lark input errors


def _runaway_string(exc: Any) -> tuple[int, int] | None:
    """Where the first quoted string holding a line break starts, from what the parser had read."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is None:
        return None
    quote: Any = None
    for item in interactive.parser_state.value_stack:
        if isinstance(item, Token):
            if item.type == "DBLQUOTE":
                quote = item
            elif item.type == "STRING_CHARS" and "\n" in item and quote is not None:
                return quote.line, quote.column
        elif isinstance(item, Tree):
            for sub in item.iter_subtrees_topdown():
                if sub.data == "string" and _has_line_break(sub):
                    return sub.children[0].line, sub.children[0].column
    return None


def _has_line_break(string: Any) -> bool:
    return any(
        isinstance(part, Tree) and isinstance(part.children[0], Token) and part.children[0].type == "STRING_CHARS" and "\n" in part.children[0]
        for part in string.children
    )


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
                if "\n" in tok:
                    raise HclSyntaxError(UNTERMINATED_STRING, *self._pos(node.meta.line, node.meta.column))
                parts.append(unescape(str(tok)) if getattr(tok, "type", "") == "STRING_CHARS" else str(tok))
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
                    if "\n" in inner:  # the grammar lets a string run on; HCL ends it on its line
                        raise HclSyntaxError(UNTERMINATED_STRING, *self._pos(node.meta.line, node.meta.column))
                    flat.append(unescape(str(inner)))
                else:  # ESCAPED_INTERPOLATION / ESCAPED_DIRECTIVE: $${ -> ${, %%{ -> %{
                    flat.append(str(inner)[1:])
            else:
                flat.append(self._template_piece(inner))
        return Template(assemble(flat, self.span(node)), self.span(node))

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
        return Template([unescape(text[2:-2])], self.span(node))

    def x_heredoc_template(self, node: Any) -> Expr:
        tok = node.children[0]
        line, _col = self._pos(tok.line, tok.column)
        return heredoc(str(tok), line, self.path, self.span(node))

    x_heredoc_template_trim = x_heredoc_template

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
            if hasattr(c, "data") and c.data == "new_line_or_comment":  # after '(' or before ')'
                self.collect_comments(c)
            elif hasattr(c, "data") and c.data == "arguments":
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


def parse_expression(source: str, path: str, line: int, col: int) -> Expr:
    """One expression that sits at (line, col) of ``path`` (a heredoc's interpolation)."""
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
