"""Evaluate HCL expressions to plain values, with an explicit Unknown for what is not known.

The evaluator knows HCL (operators, templates, for expressions, splats, function calls);
what names mean (``var``, ``local``, resources, ``each``…) is the caller's business: it
passes a ``root`` callable that resolves the first name of a traversal. Object and tuple
literals become :class:`PDict`/:class:`PList` that remember the span of every element, so
a finding deep inside a ``jsonencode({...})`` policy lands on its own line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from linter.model import Span
from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.functions import (
    FUNCTIONS,
    UNKNOWN_TOLERANT,
    FunctionError,
    _UnknownArg,
    to_bool,
    to_number,
    to_string,
)
from linter.values import MAX_STRING, JsonString, PDict, PList, Unknown, hcl_equal, is_number

MAX_ITERATIONS = 10_000


class EvalError(Unknown):
    """An expression that Terraform would reject (or that we cannot follow). ``try`` skips these."""

    __slots__ = ()


class Namespace:
    """A lazily resolved object: ``var``, ``local``, a resource type, one resource…"""

    def attr(self, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def index(self, key: Any) -> Any:
        return EvalError(f"cannot index {self.describe()}")

    def describe(self) -> str:
        return type(self).__name__

    def materialize(self) -> Any:
        """The value as data, when a namespace is used as a whole (``jsonencode(var)``…)."""
        return Unknown(f"{self.describe()} used as a value")


RootResolver = Callable[[str, s.Variable], Any]


class BudgetExceeded(Exception):
    pass


class Budget:
    """A bound on the evaluation work of one module instance, so that hostile code (nested
    loops over large ranges, self-feeding expansions) stops with a note instead of hanging."""

    def __init__(self, max_steps: int = 2_000_000) -> None:
        self.max_steps = max_steps
        self.steps = 0
        self.exhausted = False


class Evaluator:
    def __init__(
        self, root: RootResolver, functions: Mapping[str, Callable[..., Any]] | None = None, budget: Budget | None = None
    ) -> None:
        self.root = root
        self.functions: Mapping[str, Callable[..., Any]] = functions if functions is not None else FUNCTIONS
        self.budget = budget or Budget()

    # -- entry point
    def eval(self, expr: s.Expr, env: Mapping[str, Any] | None = None) -> Any:
        if self.budget.exhausted:
            return EvalError("not evaluated: the evaluation budget of this module was used up")
        try:
            value = self._eval(expr, env or {})
        except RecursionError:
            return EvalError("expression nested too deeply")
        except BudgetExceeded:
            self.budget.exhausted = True
            return EvalError(f"evaluation stopped after {self.budget.max_steps:,} steps")
        return self._materialize(value)

    def _materialize(self, value: Any) -> Any:
        if isinstance(value, Namespace):
            return value.materialize()
        return value

    def _eval(self, e: s.Expr, env: Mapping[str, Any]) -> Any:
        budget = self.budget
        budget.steps += 1
        if budget.steps > budget.max_steps:
            raise BudgetExceeded
        method = _DISPATCH.get(type(e))
        if method is None:  # pragma: no cover - every node type has a handler
            return EvalError(f"unsupported expression {type(e).__name__}")
        return method(self, e, env)

    # -- leaves
    def _literal(self, e: s.Literal, env: Mapping[str, Any]) -> Any:
        return e.value

    def _variable(self, e: s.Variable, env: Mapping[str, Any]) -> Any:
        if e.name in env:
            return env[e.name]
        return self.root(e.name, e)

    def _paren(self, e: s.Paren, env: Mapping[str, Any]) -> Any:
        return self._eval(e.expr, env)

    # -- templates
    def _template(self, e: s.Template, env: Mapping[str, Any]) -> Any:
        parts = e.parts
        if len(parts) == 1 and isinstance(parts[0], s.Interp):
            return self._materialize(self._eval(parts[0].expr, env))
        if len(parts) == 1 and isinstance(parts[0], str) and e.positions is None:
            return parts[0]
        out: list[str] = []
        if e.positions is not None:
            # a heredoc: it may be a JSON document whose unknown parts are only some values
            unknowns: list[Unknown] = []
            for part in parts:
                if isinstance(part, str):
                    out.append(part)
                    continue
                value = self._materialize(self._eval(part.expr, env)) if isinstance(part, s.Interp) else None
                if isinstance(value, Unknown):
                    unknowns.append(value)
                    out.append(UNKNOWN_MARK)
                    continue
                try:
                    out.append(to_string(value))
                except FunctionError as exc:
                    return EvalError(f"in template: {exc}")
            text = "".join(out)
            if text.lstrip().startswith(("{", "[")):
                decoded = _positioned_json(text, out, e)
                if decoded is not None:
                    return decoded
            if unknowns:
                return unknowns[0]
            return text
        sink = _Text()
        try:
            unknown = self._render(parts, env, sink)
        except _TooLarge:
            return EvalError(f"string too large (over {MAX_STRING:,} characters)")
        if unknown is not None:
            return unknown
        return "".join(sink)

    def _render(self, parts: list[s.TemplatePart], env: Mapping[str, Any], out: list[str]) -> Unknown | None:
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, s.Interp):
                value = self._materialize(self._eval(part.expr, env))
                if isinstance(value, Unknown):
                    return value
                try:
                    out.append(to_string(value))
                except FunctionError as exc:
                    return EvalError(f"in template: {exc}")
            elif isinstance(part, s.IfDirective):
                cond = self._eval(part.cond, env)
                if isinstance(cond, Unknown):
                    return cond
                try:
                    branch = part.then if to_bool(cond) else part.otherwise
                except FunctionError as exc:
                    return EvalError(f"in template if: {exc}")
                unknown = self._render(branch, env, out)
                if unknown is not None:
                    return unknown
            else:  # ForDirective
                coll = self._materialize(self._eval(part.collection, env))
                if isinstance(coll, Unknown):
                    return coll
                pairs = _iterate(coll)
                if pairs is None:
                    return EvalError("template for over a value that is not a collection")
                for key, value in pairs[:MAX_ITERATIONS]:
                    inner = dict(env)
                    if part.key_var:
                        inner[part.key_var] = key
                    inner[part.value_var] = value
                    unknown = self._render(part.body, inner, out)
                    if unknown is not None:
                        return unknown
        return None

    # -- collections
    def _tuple(self, e: s.TupleExpr, env: Mapping[str, Any]) -> Any:
        return PList(
            [self._materialize(self._eval(item, env)) for item in e.items],
            span=e.span,
            spans=[item.span for item in e.items],
        )

    def _object(self, e: s.ObjectExpr, env: Mapping[str, Any]) -> Any:
        out = PDict(span=e.span)
        for item in e.items:
            if item.literal_key is not None:
                key: Any = item.literal_key
            else:
                key = self._materialize(self._eval(item.key, env))
                if isinstance(key, Unknown):
                    return Unknown(f"an object key is not known ({key.reason})", key.ref)
                try:
                    key = to_string(key)
                except FunctionError as exc:
                    return EvalError(f"object key: {exc}")
            out[key] = self._materialize(self._eval(item.value, env))
            ks, vs = item.key.span, item.value.span
            out.spans[key] = Span(vs.file, ks.line, ks.column, vs.end_line, vs.end_column)
        return out

    # -- traversal
    def _getattr(self, e: s.GetAttr, env: Mapping[str, Any]) -> Any:
        return get_attr(self._eval(e.obj, env), e.name)

    def _index(self, e: s.Index, env: Mapping[str, Any]) -> Any:
        obj = self._eval(e.obj, env)
        key = self._materialize(self._eval(e.key, env))
        return get_index(obj, key)

    def _splat(self, e: s.Splat, env: Mapping[str, Any]) -> Any:
        obj = self._eval(e.obj, env)
        if isinstance(obj, Unknown):
            return obj
        if obj is None:
            items: list[Any] = []
        elif isinstance(obj, Namespace) and hasattr(obj, "elements"):
            items = obj.elements()  # the instances of a resource with count/for_each
        elif isinstance(obj, dict) and not isinstance(obj, PDict) and e.full and _looks_like_instances(obj):
            items = list(obj.values())
        elif isinstance(obj, (list, tuple)):
            items = list(obj)
        else:  # a single object (or resource) splats to a one-element list
            items = [obj]
        out = []
        for item in items:
            value = item
            for kind, arg in e.ops:
                if kind == "attr":
                    value = get_attr(value, arg)
                else:
                    value = get_index(value, self._materialize(self._eval(arg, env)))
            out.append(self._materialize(value))
        return out

    # -- calls
    def _call(self, e: s.Call, env: Mapping[str, Any]) -> Any:
        name = e.name
        if name == "try":
            last: Any = EvalError("try(): no argument could be evaluated")
            for arg in e.args:
                value = self._materialize(self._eval(arg, env))
                if isinstance(value, EvalError):
                    last = value
                    continue
                return value
            return last
        if name == "can":
            if not e.args:
                return EvalError("can() needs an argument")
            value = self._materialize(self._eval(e.args[0], env))
            if isinstance(value, EvalError):
                return False
            if isinstance(value, Unknown):
                return value
            return True
        fn = self.functions.get(name)
        if fn is None:
            if "::" in name:
                return Unknown(f"provider function {name}() is not analysed")
            return EvalError(f"unknown function {name}()")
        args = [self._materialize(self._eval(a, env)) for a in e.args]
        if e.expand_last and args:
            last_arg = args.pop()
            if isinstance(last_arg, Unknown):
                return last_arg
            if not isinstance(last_arg, (list, tuple)):
                return EvalError(f"{name}(): the argument expanded with ... must be a list")
            args.extend(last_arg)
        if name not in UNKNOWN_TOLERANT:
            for arg in args:
                if isinstance(arg, Unknown):
                    return arg
        try:
            result = fn(*args)
            if isinstance(result, str) and len(result) > MAX_STRING:
                return EvalError(f"{name}(): result too large (over {MAX_STRING:,} characters)")
            return result
        except _UnknownArg as exc:
            return exc.value
        except FunctionError as exc:
            return EvalError(f"{name}(): {exc}")
        except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
            return EvalError(f"{name}(): {exc}")

    # -- operators
    def _conditional(self, e: s.Conditional, env: Mapping[str, Any]) -> Any:
        cond = self._materialize(self._eval(e.cond, env))
        if isinstance(cond, Unknown):
            yes = self._materialize(self._eval(e.yes, env))
            no = self._materialize(self._eval(e.no, env))
            if not isinstance(yes, Unknown) and not isinstance(no, Unknown) and hcl_equal(yes, no):
                return yes
            return Unknown(f"depends on a condition that is not known ({cond.reason})" if cond.reason else "", cond.ref)
        try:
            truth = to_bool(cond)
        except FunctionError as exc:
            return EvalError(f"condition: {exc}")
        return self._eval(e.yes if truth else e.no, env)

    def _binary(self, e: s.BinaryOp, env: Mapping[str, Any]) -> Any:
        op = e.op
        left = self._materialize(self._eval(e.left, env))
        if op in ("&&", "||"):
            # short-circuit on a known left side, and use a known right side when the left is unknown
            if not isinstance(left, Unknown):
                try:
                    lb = to_bool(left)
                except FunctionError as exc:
                    return EvalError(str(exc))
                if op == "&&" and not lb:
                    return False
                if op == "||" and lb:
                    return True
            right = self._materialize(self._eval(e.right, env))
            if isinstance(right, Unknown):
                return right
            try:
                rb = to_bool(right)
            except FunctionError as exc:
                return EvalError(str(exc))
            if isinstance(left, Unknown):
                if op == "&&" and not rb:
                    return False
                if op == "||" and rb:
                    return True
                return left
            return rb
        right = self._materialize(self._eval(e.right, env))
        if op in ("==", "!="):
            if isinstance(left, Unknown):
                return left
            if isinstance(right, Unknown):
                return right
            equal = hcl_equal(left, right)
            return equal if op == "==" else not equal
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        try:
            a, b = to_number(left), to_number(right)
        except FunctionError as exc:
            return EvalError(f"operator {op}: {exc}")
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                result = a / b
                return int(result) if result.is_integer() and isinstance(a, int) and isinstance(b, int) else result
            if op == "%":
                return a % b
            if op == "<":
                return a < b
            if op == ">":
                return a > b
            if op == "<=":
                return a <= b
            if op == ">=":
                return a >= b
        except ZeroDivisionError:
            return EvalError("division by zero")
        return EvalError(f"unknown operator {op}")

    def _unary(self, e: s.UnaryOp, env: Mapping[str, Any]) -> Any:
        value = self._materialize(self._eval(e.operand, env))
        if isinstance(value, Unknown):
            return value
        try:
            if e.op == "!":
                return not to_bool(value)
            return -to_number(value)
        except FunctionError as exc:
            return EvalError(f"operator {e.op}: {exc}")

    def _for(self, e: s.ForExpr, env: Mapping[str, Any]) -> Any:
        coll = self._materialize(self._eval(e.collection, env))
        if isinstance(coll, Unknown):
            return coll
        pairs = _iterate(coll)
        if pairs is None:
            return EvalError("for expression over a value that is not a collection")
        if len(pairs) > MAX_ITERATIONS:
            return EvalError(f"for expression over {len(pairs)} elements (limit {MAX_ITERATIONS})")
        tuple_out: list[Any] = []
        object_out: dict[str, Any] = {}
        for key, value in pairs:
            inner = dict(env)
            if e.key_var:
                inner[e.key_var] = key
            inner[e.value_var] = value
            if e.cond is not None:
                keep = self._materialize(self._eval(e.cond, inner))
                if isinstance(keep, Unknown):
                    return keep
                try:
                    if not to_bool(keep):
                        continue
                except FunctionError as exc:
                    return EvalError(f"for condition: {exc}")
            item = self._materialize(self._eval(e.value_expr, inner))
            if e.key_expr is None:
                tuple_out.append(item)
                continue
            k = self._materialize(self._eval(e.key_expr, inner))
            if isinstance(k, Unknown):
                return k
            try:
                ks = to_string(k)
            except FunctionError as exc:
                return EvalError(f"for key: {exc}")
            if e.group:
                object_out.setdefault(ks, []).append(item)
            elif ks in object_out:
                return EvalError(f"duplicate key {ks!r} in for expression")
            else:
                object_out[ks] = item
        return tuple_out if e.key_expr is None else object_out


class _TooLarge(Exception):
    pass


class _Text(list):
    """Rendered template pieces, refusing to grow past MAX_STRING characters."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def append(self, piece: str) -> None:
        self.size += len(piece)
        if self.size > MAX_STRING:
            raise _TooLarge
        super().append(piece)


def _positioned_json(text: str, rendered: list[str], e: s.Template) -> Any:
    """A heredoc that renders to JSON: keep its structure, with spans mapped to the source."""
    from bisect import bisect_right

    from linter.positioned import json_with_positions

    assert e.positions is not None
    starts: list[int] = []  # offset of each rendered part in ``text``
    offset = 0
    for piece in rendered:
        starts.append(offset)
        offset += len(piece)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def mapper(line0: int, col0: int) -> tuple[int, int]:
        off = (line_starts[line0] if line0 < len(line_starts) else len(text)) + col0
        k = max(bisect_right(starts, off) - 1, 0)
        if k >= len(e.parts) or k >= len(e.positions or ()):
            return e.span.line, e.span.column
        src_line, src_col = e.positions[k]  # type: ignore[index]
        part = e.parts[k]
        if not isinstance(part, str):
            return src_line, src_col  # inside an interpolated value: its expression
        inner = part[: off - starts[k]]
        nl = inner.count("\n")
        if nl:
            return src_line + nl, len(inner) - inner.rfind("\n") + e.indent
        return src_line, src_col + len(inner)

    decoded = json_with_positions(text, e.span.file, mapper)
    if decoded is None:
        return None
    if UNKNOWN_MARK in text:
        decoded = mark_unknown(decoded)
    return JsonString(text.replace(UNKNOWN_MARK, "${unknown}"), decoded)


UNKNOWN_MARK = "__seawall_unknown__"


def mark_unknown(value: Any) -> Any:
    """Strings holding an unknown interpolation become Unknown (containers keep their spans)."""
    if isinstance(value, str):
        return Unknown("part of this value is not known") if UNKNOWN_MARK in value else value
    if isinstance(value, dict):
        for k in list(value):
            value[k] = mark_unknown(value[k])
        return value
    if isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = mark_unknown(item)
        return value
    return value


def _looks_like_instances(obj: dict[Any, Any]) -> bool:
    return all(isinstance(v, Namespace) for v in obj.values())


def _iterate(coll: Any) -> list[tuple[Any, Any]] | None:
    if isinstance(coll, dict):
        return [(k, coll[k]) for k in sorted(coll.keys(), key=str)]
    if isinstance(coll, (list, tuple)):
        return list(enumerate(coll))
    return None


def get_attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Namespace):
        return obj.attr(name)
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        return EvalError(f"no attribute {name!r}")
    if obj is None:
        return EvalError(f"attribute {name!r} of a null value")
    return EvalError(f"attribute {name!r} of a {type(obj).__name__}")


def get_index(obj: Any, key: Any) -> Any:
    if isinstance(key, Unknown):
        if isinstance(obj, (list, tuple)) and obj and all(hcl_equal(obj[0], x) for x in obj[1:]):
            return obj[0]
        return Unknown(f"index not known ({key.reason})", key.ref)
    if isinstance(obj, Namespace):
        return obj.index(key)
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, (list, tuple)):
        try:
            i = int(to_number(key))
        except FunctionError:
            return EvalError(f"a list index must be a number, got {key!r}")
        if 0 <= i < len(obj):
            return obj[i]
        return EvalError(f"index {i} out of range")
    if isinstance(obj, dict):
        try:
            k = to_string(key)
        except FunctionError:
            return EvalError(f"a map key must be a string, got {key!r}")
        if k in obj:
            return obj[k]
        return EvalError(f"no key {k!r}")
    if isinstance(obj, str) and is_number(key):
        return EvalError("strings cannot be indexed")
    return EvalError(f"cannot index a {type(obj).__name__}")


def traversal(expr: s.Expr) -> list[str | int] | None:
    """The static traversal of an expression: ``aws_s3_bucket.b[0].id`` -> [aws_s3_bucket, b, 0, id]."""
    parts: list[str | int] = []
    node: s.Expr = expr
    while True:
        if isinstance(node, s.GetAttr):
            parts.append(node.name)
            node = node.obj
        elif isinstance(node, s.Index):
            key = node.key
            if isinstance(key, s.Literal) and isinstance(key.value, (int, str)):
                parts.append(key.value)
            elif isinstance(key, s.Template) and len(key.parts) == 1 and isinstance(key.parts[0], str):
                parts.append(key.parts[0])
            else:
                parts.append("*")
            node = node.obj
        elif isinstance(node, s.Splat):
            node = node.obj
            parts = ["*"]
        elif isinstance(node, s.Variable):
            parts.append(node.name)
            parts.reverse()
            return parts
        elif isinstance(node, s.Paren):
            node = node.expr
        else:
            return None


def walk_traversals(expr: Any) -> list[tuple[list[str | int], s.Expr]]:
    """Every root traversal in an expression (what it refers to), with the node it comes from."""
    out: list[tuple[list[str | int], s.Expr]] = []
    bound: set[str] = set()

    def visit(node: Any, bound_names: frozenset[str]) -> None:
        if isinstance(node, (s.GetAttr, s.Index, s.Variable, s.Splat)):
            t = traversal(node)
            if t is not None and t and t[0] not in bound_names:
                out.append((t, node))
            # index keys may hold references too
            inner: s.Expr = node
            while isinstance(inner, (s.GetAttr, s.Index, s.Splat, s.Paren)):
                if isinstance(inner, s.Index):
                    visit(inner.key, bound_names)
                if isinstance(inner, s.Splat):
                    for kind, arg in inner.ops:
                        if kind == "index":
                            visit(arg, bound_names)
                inner = inner.expr if isinstance(inner, s.Paren) else inner.obj
            if t is None:
                visit(inner, bound_names)
            return
        if isinstance(node, s.ForExpr):
            visit(node.collection, bound_names)
            names = bound_names | {n for n in (node.key_var, node.value_var) if n}
            for sub in (node.key_expr, node.value_expr, node.cond):
                if sub is not None:
                    visit(sub, names)
            return
        if isinstance(node, s.Template):
            visit_parts(node.parts, bound_names)
            return
        for child in _children(node):
            visit(child, bound_names)

    def visit_parts(parts: list[s.TemplatePart], bound_names: frozenset[str]) -> None:
        for part in parts:
            if isinstance(part, s.Interp):
                visit(part.expr, bound_names)
            elif isinstance(part, s.IfDirective):
                visit(part.cond, bound_names)
                visit_parts(part.then, bound_names)
                visit_parts(part.otherwise, bound_names)
            elif isinstance(part, s.ForDirective):
                visit(part.collection, bound_names)
                names = bound_names | {n for n in (part.key_var, part.value_var) if n}
                visit_parts(part.body, names)

    visit(expr, frozenset(bound))
    return out


def sub_expressions(node: Any) -> list[s.Expr]:
    """Every expression directly inside ``node`` (template parts and index keys included),
    for walks over the syntax that need to see each node with its parent."""
    if isinstance(node, (s.GetAttr, s.Splat)):
        out = [node.obj]
        if isinstance(node, s.Splat):
            out.extend(arg for kind, arg in node.ops if kind == "index")
        return out
    if isinstance(node, s.Index):
        return [node.obj, node.key]
    if isinstance(node, s.ForExpr):
        return [x for x in (node.collection, node.key_expr, node.value_expr, node.cond) if x is not None]
    if isinstance(node, s.Template):
        found: list[s.Expr] = []
        parts: list[s.TemplatePart] = list(node.parts)
        while parts:
            part = parts.pop()
            if isinstance(part, s.Interp):
                found.append(part.expr)
            elif isinstance(part, s.IfDirective):
                found.append(part.cond)
                parts.extend(part.then + part.otherwise)
            elif isinstance(part, s.ForDirective):
                found.append(part.collection)
                parts.extend(part.body)
        return found
    return _children(node)


def _children(node: Any) -> list[Any]:
    if isinstance(node, s.TupleExpr):
        return list(node.items)
    if isinstance(node, s.ObjectExpr):
        return [x for item in node.items for x in (item.key, item.value)]
    if isinstance(node, s.Call):
        return list(node.args)
    if isinstance(node, s.Conditional):
        return [node.cond, node.yes, node.no]
    if isinstance(node, s.BinaryOp):
        return [node.left, node.right]
    if isinstance(node, s.UnaryOp):
        return [node.operand]
    if isinstance(node, s.Paren):
        return [node.expr]
    return []


_DISPATCH: dict[type, Callable[[Evaluator, Any, Mapping[str, Any]], Any]] = {
    s.Literal: Evaluator._literal,
    s.Variable: Evaluator._variable,
    s.Paren: Evaluator._paren,
    s.Template: Evaluator._template,
    s.TupleExpr: Evaluator._tuple,
    s.ObjectExpr: Evaluator._object,
    s.GetAttr: Evaluator._getattr,
    s.Index: Evaluator._index,
    s.Splat: Evaluator._splat,
    s.Call: Evaluator._call,
    s.Conditional: Evaluator._conditional,
    s.BinaryOp: Evaluator._binary,
    s.UnaryOp: Evaluator._unary,
    s.ForExpr: Evaluator._for,
}

