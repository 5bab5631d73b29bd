"""CloudFormation intrinsic functions, resolved as far as the template allows.

``Ref`` to a parameter gives its value (``--cfn-params`` or the default); pseudo parameters
(``AWS::AccountId``…) are Unknown; ``Ref``/``Fn::GetAtt``/``Fn::Sub`` on a resource give an
Unknown that names the resource (and record a reference edge). ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` on literal mappings, ``Fn::If`` and the
condition functions are evaluated.

Conditions that cannot be decided (a parameter without a value) are not guessed: the
template is evaluated once for each combination of the undecided comparisons (up to
:data:`MAX_UNDECIDED`), and a finding that holds only in some combinations names them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from linter.model import Evidence, Path, Span
from linter.parsers.hcl.evaluate import UNKNOWN_MARK, mark_unknown
from linter.parsers.hcl.functions import FunctionError, to_string
from linter.values import JsonString, PDict, PList, Unknown, display

MAX_UNDECIDED = 3
PSEUDO = {
    "AWS::AccountId": "the account id",
    "AWS::Region": "the region",
    "AWS::StackName": "the stack name",
    "AWS::StackId": "the stack id",
    "AWS::Partition": "the partition",
    "AWS::URLSuffix": "the URL suffix",
    "AWS::NotificationARNs": "the notification ARNs",
}


class _NoValue:
    """``Ref: AWS::NoValue``: the property is removed."""

    def __repr__(self) -> str:
        return "NoValue"


NO_VALUE = _NoValue()
_SUB = re.compile(r"\$\{([^}]*)\}")


class Param:
    def __init__(self, name: str, value: Any, origin: Evidence | None, no_echo: bool = False) -> None:
        self.name = name
        self.value = value
        self.origin = origin
        self.no_echo = no_echo


class Resolver:
    """Resolves intrinsic functions of one template, for one assignment of undecided comparisons."""

    def __init__(
        self,
        file: str,
        params: dict[str, Param],
        mappings: dict[str, Any],
        conditions: dict[str, Any],
        resource_ids: dict[str, str],
        assignment: dict[str, bool],
    ) -> None:
        self.file = file
        self.params = params
        self.mappings = mappings
        self.conditions = conditions
        self.resource_ids = resource_ids  # logical id -> graph id
        self.assignment = assignment
        self.undecided: dict[str, str] = {}  # comparison key -> description, met while evaluating
        self._condition_cache: dict[str, bool | None] = {}
        self._in_progress: set[str] = set()
        self._evaluating: list[str] = []  # the named conditions being evaluated, innermost last
        # per resolution: the resources and parameters reached
        self.refs: set[str] = set()
        # (property path where it is used, parameter name): evidence belongs to the exact value
        self.params_used: list[tuple[Path, str]] = []
        self.conditions_used: list[str] = []
        # named condition -> the parameters its comparisons read (a default that decides
        # whether a resource exists decides its findings' verdict too)
        self.condition_params: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool | None:
        if name in self._condition_cache:
            for outer in self._evaluating:  # a cached inner condition still decides the outer ones
                self.condition_params.setdefault(outer, []).extend(self.condition_params.get(name, ()))
            return self._condition_cache[name]
        if name in self._in_progress or name not in self.conditions:
            return None
        self._in_progress.add(name)
        self._evaluating.append(name)
        try:
            result = self._cond(self.conditions[name])
        finally:
            self._in_progress.discard(name)
            self._evaluating.pop()
        self._condition_cache[name] = result
        return result

    def _cond(self, node: Any) -> bool | None:
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if fn == "Fn::Not" and isinstance(arg, list) and arg:
                inner = self._cond(arg[0])
                return None if inner is None else not inner
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                values = [self._cond(a) for a in arg]
                if fn == "Fn::And":
                    return False if False in values else (None if None in values else True)
                return True if True in values else (None if None in values else False)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                saved = (set(self.refs), list(self.params_used))
                a, b = self.resolve(arg[0], ()), self.resolve(arg[1], ())
                read = [name for _, name in self.params_used[len(saved[1]):]]
                for outer in self._evaluating:
                    self.condition_params.setdefault(outer, []).extend(read)
                self.refs, self.params_used = saved[0], saved[1]
                if isinstance(a, Unknown) or isinstance(b, Unknown):
                    key = json.dumps(arg, sort_keys=True, default=str)
                    if key in self.assignment:
                        return self.assignment[key]
                    comparison = _describe_equals(arg)
                    self.undecided[key] = f"condition {self._evaluating[-1]} ({comparison})" if self._evaluating else comparison
                    return None
                return _text(a) == _text(b)
            if fn == "Fn::Contains" and isinstance(arg, list) and len(arg) == 2:
                haystack, needle = self.resolve(arg[0], ()), self.resolve(arg[1], ())
                if isinstance(haystack, list) and not isinstance(needle, Unknown):
                    return _text(needle) in [_text(h) for h in haystack if not isinstance(h, Unknown)]
                return None
        if isinstance(node, bool):
            return node
        return None

    # ------------------------------------------------------------------ values
    def resolve(self, node: Any, path: Path) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                    return self._intrinsic(str(key), arg, path)
            out = PDict(span=getattr(node, "span", None))
            spans = getattr(node, "spans", {})
            for k, v in node.items():
                value = self.resolve(v, path + (k,))
                if value is NO_VALUE:
                    continue
                out[k] = value
                if k in spans:
                    out.spans[k] = spans[k]
            return out
        if isinstance(node, list):
            items, item_spans = [], []
            spans = getattr(node, "spans", [])
            for i, v in enumerate(node):
                value = self.resolve(v, path + (i,))
                if value is NO_VALUE:
                    continue
                items.append(value)
                item_spans.append(spans[i] if i < len(spans) else None)
            return PList(items, span=getattr(node, "span", None), spans=item_spans)
        return node

    def _ref_resource(self, logical: str, what: str) -> Unknown:
        gid = self.resource_ids.get(logical)
        if gid is not None:
            self.refs.add(gid)
        return Unknown(f"{what} is known only after the stack is created", gid)

    def _intrinsic(self, fn: str, arg: Any, path: Path) -> Any:
        try:
            return self._intrinsic_inner(fn, arg, path)
        except (FunctionError, TypeError, ValueError, IndexError, KeyError) as exc:
            return Unknown(f"{fn} could not be evaluated ({exc})")

    def _intrinsic_inner(self, fn: str, arg: Any, path: Path) -> Any:
        if fn == "Ref":
            name = str(arg)
            if name == "AWS::NoValue":
                return NO_VALUE
            if name in self.params:
                self.params_used.append((path, name))
                return self.params[name].value
            if name in PSEUDO:
                return Unknown(f"{name} ({PSEUDO[name]}) is known only at deployment")
            if name in self.resource_ids:
                return self._ref_resource(name, f"Ref {name}")
            return Unknown(f"Ref to an undefined name {name}")
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else list(arg) if isinstance(arg, list) else []
            if parts:
                return self._ref_resource(str(parts[0]), f"Fn::GetAtt {'.'.join(str(p) for p in parts)}")
            return Unknown("malformed Fn::GetAtt")
        if fn == "Fn::Sub":
            return self._sub(arg, path)
        if fn == "Fn::Join":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Join")
            sep = self.resolve(arg[0], path)
            items = self.resolve(arg[1], path)
            if isinstance(sep, Unknown) or isinstance(items, Unknown):
                return sep if isinstance(sep, Unknown) else items
            for item in items:
                if isinstance(item, Unknown):
                    return item
            return _text(sep).join(_text(i) for i in items)
        if fn == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3:
                return Unknown("malformed Fn::If")
            name = str(arg[0])
            self.conditions_used.append(name)
            truth = self.condition(name)
            if truth is None:
                return Unknown(f"depends on condition {name}, which cannot be decided")
            return self.resolve(arg[1] if truth else arg[2], path)
        if fn == "Fn::FindInMap":
            if not isinstance(arg, list) or len(arg) < 3:
                return Unknown("malformed Fn::FindInMap")
            keys = [self.resolve(a, path) for a in arg[:3]]
            for k in keys:
                if isinstance(k, Unknown):
                    default = _find_in_map_default(arg)
                    return self.resolve(default, path) if default is not None else k
            table = self.mappings.get(_text(keys[0]), {})
            level = table.get(_text(keys[1]), {}) if isinstance(table, dict) else {}
            if isinstance(level, dict) and _text(keys[2]) in level:
                return self.resolve(level[_text(keys[2])], path)
            default = _find_in_map_default(arg)
            return self.resolve(default, path) if default is not None else Unknown("Fn::FindInMap: no such key")
        if fn == "Fn::Select":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Select")
            index, items = self.resolve(arg[0], path), self.resolve(arg[1], path)
            if isinstance(index, Unknown) or isinstance(items, Unknown):
                return index if isinstance(index, Unknown) else items
            return items[int(index)]
        if fn == "Fn::Split":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Split")
            sep, text = self.resolve(arg[0], path), self.resolve(arg[1], path)
            if isinstance(sep, Unknown) or isinstance(text, Unknown):
                return sep if isinstance(sep, Unknown) else text
            return _text(text).split(_text(sep))
        if fn == "Fn::Base64":
            return self.resolve(arg, path)
        if fn == "Fn::ToJsonString":
            value = self.resolve(arg, path)
            text = json.dumps(value, default=lambda o: "${unknown}", separators=(",", ":"))
            return JsonString(text, value)
        if fn == "Fn::Length":
            value = self.resolve(arg, path)
            return len(value) if isinstance(value, list) else Unknown("Fn::Length of an unknown list")
        if fn == "Fn::ImportValue":
            return Unknown("imported from another stack (Fn::ImportValue)")
        if fn == "Fn::GetAZs":
            return Unknown("the availability zones are known only at deployment")
        return Unknown(f"{fn} is not evaluated")

    def _sub(self, arg: Any, path: Path) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            template, variables = arg[0], {k: self.resolve(v, path) for k, v in arg[1].items()}
        else:
            template, variables = arg, {}
        if not isinstance(template, str):
            return Unknown("malformed Fn::Sub")
        unknown: Unknown | None = None

        def replace(m: re.Match[str]) -> str:
            nonlocal unknown
            name = m.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif name in self.params:
                self.params_used.append((path, name))
                value = self.params[name].value
            elif name in PSEUDO:
                value = Unknown(f"{name} ({PSEUDO[name]}) is known only at deployment")
            else:
                logical = name.split(".", 1)[0]
                value = self._ref_resource(logical, name) if logical in self.resource_ids else Unknown(f"{name} is not defined")
            if isinstance(value, Unknown):
                if unknown is None:
                    unknown = value
                return UNKNOWN_MARK
            return _text(value)

        text = _SUB.sub(replace, template)
        if unknown is None:
            return text
        if text.lstrip().startswith(("{", "[")):
            # a JSON document built with Sub (a policy with ${AWS::AccountId} in it): keep its
            # structure, with only the values that hold an unknown part unknown
            try:
                decoded = json.loads(text)
            except ValueError:
                return unknown
            return JsonString(text.replace(UNKNOWN_MARK, "${unknown}"), mark_unknown(decoded))
        return unknown


def _find_in_map_default(arg: list[Any]) -> Any:
    if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
        return arg[3]["DefaultValue"]
    return None


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    try:
        return to_string(value)
    except FunctionError:
        return ""


def _describe_equals(arg: list[Any]) -> str:
    def side(x: Any) -> str:
        if isinstance(x, dict) and len(x) == 1:
            (k, v), = x.items()
            return f"parameter {v}" if k == "Ref" else f"{k}"
        return display(x)

    return f"{side(arg[0])} equals {side(arg[1])}"


def origins_for(
    uses: dict[Path, list[str]], params: dict[str, Param]
) -> Callable[[Path], list[Evidence]]:
    """Evidence of which parameters a property path's value came from."""

    def origins(path: Path) -> list[Evidence]:
        # parameters used where the value sits, above it, or inside it; never a sibling's
        names: list[str] = []
        for p, used in uses.items():
            n = min(len(p), len(path))
            if p[:n] == path[:n]:
                names.extend(used)
        out = []
        for name in dict.fromkeys(names):
            param = params.get(name)
            if param is not None and param.origin is not None:
                out.append(param.origin)
        return out

    return origins


def parameter_origin(name: str, value: Any, where: str, span: Span | None, no_echo: bool, origin: str = "") -> Evidence:
    shown = "(NoEcho, not shown)" if no_echo else display(value)
    return Evidence(f"parameter {name} = {shown} ({where})", span, origin)
