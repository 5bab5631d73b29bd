"""Terraform type constraints applied to variable values.

``type = object({ tags = optional(map(string), {}) })`` is more than documentation: Terraform
fills missing optional attributes with their defaults (or null), drops attributes the type
does not name, and converts primitives (``"5"`` to a number for ``number``). Modules rely on
this, so a value is converted the same way before the module sees it; otherwise
``var.settings.tags`` would be an error instead of ``{}``.
"""

from __future__ import annotations

from typing import Any

from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.functions import FunctionError, to_bool, to_number, to_string
from linter.values import PDict, PList, Unknown

MAX_DEPTH = 32


def _no_refs(name: str, node: s.Variable) -> Any:
    from linter.parsers.hcl.evaluate import EvalError

    return EvalError(f"{name} cannot be used in a type default")


def convert(value: Any, type_expr: s.Expr | None, depth: int = 0) -> Any:
    if type_expr is None or value is None or isinstance(value, Unknown) or depth > MAX_DEPTH:
        return value
    if isinstance(type_expr, s.Variable):
        kind = type_expr.name
        try:
            if kind == "string" and not isinstance(value, (dict, list)):
                return to_string(value)
            if kind == "number" and isinstance(value, str):
                return to_number(value)
            if kind == "bool" and isinstance(value, str):
                return to_bool(value)
        except FunctionError:
            return value
        return value
    if not isinstance(type_expr, s.Call) or not type_expr.args:
        return value
    name, arg = type_expr.name, type_expr.args[0]
    if name == "optional":
        return convert(value, arg, depth + 1)
    if name in ("list", "set") and isinstance(value, list):
        items = [convert(v, arg, depth + 1) for v in value]
        return PList(items, span=getattr(value, "span", None), spans=getattr(value, "spans", None)) if isinstance(value, PList) else items
    if name == "map" and isinstance(value, dict):
        return _copy_dict(value, {k: convert(v, arg, depth + 1) for k, v in value.items()})
    if name == "tuple" and isinstance(value, list) and isinstance(arg, s.TupleExpr):
        return [convert(v, arg.items[i] if i < len(arg.items) else None, depth + 1) for i, v in enumerate(value)]
    if name == "object" and isinstance(value, dict) and isinstance(arg, s.ObjectExpr):
        out: dict[str, Any] = {}
        for item in arg.items:
            key = item.literal_key
            if key is None:
                continue
            attr_type = item.value
            if key in value:
                out[key] = convert(value[key], attr_type, depth + 1)
            elif isinstance(attr_type, s.Call) and attr_type.name == "optional":
                out[key] = _default(attr_type, depth)
            else:
                out[key] = None
        return _copy_dict(value, out)
    return value


def _default(optional: s.Call, depth: int) -> Any:
    if len(optional.args) < 2:
        return None
    from linter.parsers.hcl.evaluate import Evaluator

    default = Evaluator(_no_refs).eval(optional.args[1])
    return convert(default, optional.args[0], depth + 1)


def _copy_dict(original: dict[str, Any], items: dict[str, Any]) -> dict[str, Any]:
    if isinstance(original, PDict):
        out = PDict(items, span=original.span)
        out.spans = {k: v for k, v in original.spans.items() if k in items}
        return out
    return items
