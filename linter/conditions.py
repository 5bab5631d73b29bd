"""The small declarative vocabulary rules are written in.

A condition is a mapping. Leaves name a ``path`` inside a resource and one operator:

    equals, in, matches, contains, exists, cidr_open      (compare the value at the path)
    at_least, at_most                                      (numbers, inclusive)
    covers_port                                            (a port, range or list reaches ports)
    public_policy                                          (an IAM-style policy lets anyone in)
    where                                                  (a condition on each node at the path)

``related`` (no path) is a connection: another resource that this one refers to, or that
refers to this one, meeting a condition of its own. Conditions combine with ``all``,
``any`` and ``not``. In a path, ``[*]`` means any
element and ``["a.b"]`` quotes a key that holds dots.

Evaluation is three-valued: True, False, or None when a value is Unknown. A finding is
made only on True, so an unknown value never raises an alarm by itself. Each True result
carries *witnesses*: the concrete paths where it was decided, which become the findings'
locations. In an ``all``, the first condition is the one located (write what is wrong
first, the circumstances after); ``any`` locates each of its true members.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from msgspec import Struct, field

from linter.internet import world_networks
from linter.model import Path
from linter.values import JsonString, Unknown, decode_json_value, hcl_equal

Truth = bool | None
Result = tuple[Truth, list[Path]]

OPERATORS = ("equals", "in", "matches", "contains", "exists", "cidr_open", "at_least", "at_most", "covers_port", "public_policy", "where")
_PATH_TOKEN = re.compile(r'\.?([A-Za-z0-9_\-@$:/]+)|\[(\*|\d+|"[^"]*"|\'[^\']*\')\]')


class ConditionError(ValueError):
    pass


WILDCARD = object()


def parse_path(text: str) -> tuple[Any, ...]:
    """``ingress[*].cidr_blocks`` -> ('ingress', WILDCARD, 'cidr_blocks')."""
    parts: list[Any] = []
    pos = 0
    text = text.strip()
    if not text:
        return ()
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"invalid path {text!r} at {text[pos:]!r}")
        if m.group(1) is not None:
            parts.append(m.group(1))
        else:
            token = m.group(2)
            if token == "*":
                parts.append(WILDCARD)
            elif token[0] in "\"'":
                parts.append(token[1:-1])
            else:
                parts.append(int(token))
        pos = m.end()
    return tuple(parts)


def _step(node: Any, part: Any) -> list[tuple[Any, Any]]:
    """The (key, child) pairs one path part selects from ``node``; a JSON document written
    as text (a CloudFormation string, a heredoc) is stepped into like a structure."""
    if isinstance(node, JsonString):
        node = node.decoded
    elif isinstance(node, str) and node.lstrip().startswith(("{", "[")):
        decoded = decode_json_value(node)
        if not isinstance(decoded, Unknown):
            node = decoded
    if part is WILDCARD:
        if isinstance(node, list):
            return list(enumerate(node))
        if isinstance(node, dict):
            return list(node.items())
        return []
    if isinstance(part, int):
        if isinstance(node, list) and 0 <= part < len(node):
            return [(part, node[part])]
        return []
    if isinstance(node, dict) and part in node:
        return [(part, node[part])]
    return []


def resolve(root: Any, parts: tuple[Any, ...], base: Path = ()) -> tuple[list[tuple[Path, Any]], Path]:
    """All (concrete path, value) pairs at ``parts``; and the deepest existing prefix when none."""
    frontier: list[tuple[Path, Any]] = [(base, root)]
    deepest: Path = base
    for part in parts:
        nxt: list[tuple[Path, Any]] = []
        for path, node in frontier:
            if isinstance(node, Unknown):
                nxt.append((path, node))  # an unknown container: everything below is unknown
                continue
            for key, child in _step(node, part):
                nxt.append((path + (key,), child))
        if not nxt:
            return [], deepest
        frontier = nxt
        deepest = frontier[0][0]
    return frontier, deepest


def static_path(parts: tuple[Any, ...], base: Path = ()) -> Path:
    """The path up to its first wildcard (where a missing setting is reported)."""
    out: list[Any] = list(base)
    for p in parts:
        if p is WILDCARD:
            break
        out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------- compiled conditions


class Env(Struct):
    """What a connection condition needs besides the values: the graph, the resource being
    judged, the clause's roles; and what the connections found (for messages and evidence)."""

    graph: Any  # ResourceGraph
    resource: Any  # Resource
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    found: list[tuple[Any, str]] = field(default_factory=list)  # (related resource, how it relates)


Fn = Callable[[Any, Path, "Env | None"], Result]


class Condition(Struct, frozen=True):
    """A compiled ``when`` condition, with the spec it was compiled from."""

    fn: Fn
    spec: Any

    def prepare(self) -> None:
        """Compile now a condition that would be compiled when first evaluated (before
        forking workers, so each does not compile it again)."""
        if isinstance(self.fn, _Deferred):
            self.fn.compile()

    def evaluate(self, root: Any, base: Path = (), env: Env | None = None) -> Result:
        """Evaluate against ``root``, the value found at path ``base`` (witnesses are full paths);
        ``env`` is needed by connection conditions only."""
        return self.fn(root, base, env)


class _Deferred:
    """The function of a condition compiled when first evaluated (:func:`deferred_condition`)."""

    def __init__(self, spec: Any, where: str) -> None:
        self.spec = spec
        self.where = where
        self.fn: Fn | None = None

    def compile(self) -> Fn:
        if self.fn is None:
            self.fn = compile_condition(self.spec, self.where).fn
        return self.fn

    def __call__(self, root: Any, base: Path, env: Env | None) -> Result:
        return (self.fn or self.compile())(root, base, env)


def deferred_condition(spec: Any, where: str = "when") -> Condition:
    """A condition compiled when first evaluated: for a rule file already compiled and
    cached (``ruleset.load_rules``), so a scan compiles only the conditions of the rules
    whose resource types it meets (most of the catalogue, for one small file, none)."""
    return Condition(_Deferred(spec, where), spec)


def compile_condition(spec: Any, where: str = "when") -> Condition:
    if not isinstance(spec, dict) or not spec:
        raise ConditionError(f"{where}: a condition must be a non-empty mapping")
    if "all" in spec or "any" in spec:
        key = "all" if "all" in spec else "any"
        if len(spec) != 1:
            raise ConditionError(f"{where}: '{key}' must stand alone in its mapping")
        members = spec[key]
        if not isinstance(members, list) or not members:
            raise ConditionError(f"{where}.{key}: must be a non-empty list of conditions")
        compiled = [compile_condition(m, f"{where}.{key}[{i}]") for i, m in enumerate(members)]
        return Condition(_all(compiled) if key == "all" else _any(compiled), spec)
    if "not" in spec:
        if len(spec) != 1:
            raise ConditionError(f"{where}: 'not' must stand alone in its mapping")
        inner = compile_condition(spec["not"], f"{where}.not")
        return Condition(_not(inner, _static_paths(spec["not"])), spec)
    if "related" in spec:
        if len(spec) != 1:
            raise ConditionError(f"{where}: 'related' must stand alone in its mapping")
        return Condition(_related(spec["related"], f"{where}.related"), spec)
    if "path" not in spec:
        raise ConditionError(f"{where}: a condition needs 'path' and an operator, or all/any/not")
    ops = [k for k in spec if k != "path"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ConditionError(f"{where}: needs exactly one operator of {', '.join(OPERATORS)}; got {', '.join(map(str, ops)) or 'none'}")
    op = ops[0]
    try:
        parts = parse_path(str(spec["path"]))
    except ConditionError as exc:
        raise ConditionError(f"{where}.path: {exc}") from None
    arg = spec[op]
    return Condition(_leaf(parts, op, arg, where), spec)


def _static_paths(spec: Any) -> list[tuple[Any, ...]]:
    if isinstance(spec, dict):
        if "path" in spec:
            try:
                return [parse_path(str(spec["path"]))]
            except ConditionError:
                return []
        out: list[tuple[Any, ...]] = []
        for key in ("all", "any"):
            for m in spec.get(key, []) or []:
                out.extend(_static_paths(m))
        if "not" in spec:
            out.extend(_static_paths(spec["not"]))
        return out
    return []


def _all(members: list[Condition]) -> Fn:
    def fn(root: Any, base: Path, env: Env | None) -> Result:
        truth: Truth = True
        first: list[Path] = []
        for i, m in enumerate(members):
            t, w = m.evaluate(root, base, env)
            if t is False:
                return False, []
            if t is None:
                truth = None
            if i == 0:
                first = w
        return truth, (first if truth else [])

    return fn


def _any(members: list[Condition]) -> Fn:
    def fn(root: Any, base: Path, env: Env | None) -> Result:
        truth: Truth = False
        witnesses: list[Path] = []
        for m in members:
            t, w = m.evaluate(root, base, env)
            if t is True:
                truth = True
                witnesses.extend(x for x in w if x not in witnesses)
            elif t is None and truth is False:
                truth = None
        return truth, witnesses

    return fn


def _not(inner: Condition, paths: list[tuple[Any, ...]]) -> Fn:
    def fn(root: Any, base: Path, env: Env | None) -> Result:
        saved = len(env.found) if env is not None else 0
        t, _ = inner.evaluate(root, base, env)
        if env is not None:
            del env.found[saved:]  # what a negated connection found explains nothing
        if t is None:
            return None, []
        if t:
            return False, []
        witnesses = []
        for p in paths:
            _, deepest = resolve(root, p, base)
            full = static_path(p, base)
            witnesses.append(full if len(full) >= len(deepest) else deepest)
        return True, witnesses[:1] or [base]

    return fn


def _leaf(parts: tuple[Any, ...], op: str, arg: Any, where: str) -> Fn:
    if op == "where":
        sub = compile_condition(arg, f"{where}.where")

        def fn_where(root: Any, base: Path, env: Env | None) -> Result:
            nodes, _ = resolve(root, parts, base)
            truth: Truth = False
            witnesses: list[Path] = []
            for path, node in nodes:
                if isinstance(node, Unknown):
                    truth = None if truth is False else truth
                    continue
                t, w = sub.evaluate(node, path, env)
                if t is True:
                    truth = True
                    witnesses.extend(w or [path])
                elif t is None and truth is False:
                    truth = None
            return truth, witnesses

        return fn_where

    if op == "exists":
        want = bool(arg)

        def fn_exists(root: Any, base: Path, env: Env | None) -> Result:
            nodes, deepest = resolve(root, parts, base)
            present = [(p, v) for p, v in nodes if v is not None]
            if want:
                return (True, [p for p, _ in present]) if present else (False, [])
            if present:
                return False, []
            full = static_path(parts, base)
            return True, [full if len(full) >= len(deepest) else deepest]

        return fn_exists

    test = _make_test(op, arg, where)

    def fn(root: Any, base: Path, env: Env | None) -> Result:
        nodes, _ = resolve(root, parts, base)
        truth: Truth = False
        witnesses: list[Path] = []
        for path, value in nodes:
            t, extra = test(value)
            if t is True:
                truth = True
                witnesses.append(path + extra if extra else path)
            elif t is None and truth is False:
                truth = None
        return truth, witnesses

    return fn


def _make_test(op: str, arg: Any, where: str) -> Callable[[Any], tuple[Truth, Path]]:
    if op == "equals":
        return lambda v: (None, ()) if isinstance(v, Unknown) else (loose_equal(v, arg), ())
    if op == "in":
        if not isinstance(arg, list):
            raise ConditionError(f"{where}.in: must be a list")
        return lambda v: (None, ()) if isinstance(v, Unknown) else (any(loose_equal(v, a) for a in arg), ())
    if op == "matches":
        from linter.saferegex import RegexError, compile_pattern, safe_search

        try:
            compile_pattern(str(arg))
        except RegexError as exc:
            raise ConditionError(f"{where}.matches: {exc}") from None

        def matches(v: Any) -> tuple[Truth, Path]:
            if isinstance(v, Unknown):
                return None, ()
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                return False, ()
            try:
                return safe_search(str(arg), str(v)) is not None, ()
            except RegexError:
                return None, ()

        return matches
    if op == "contains":

        def contains(v: Any) -> tuple[Truth, Path]:
            if isinstance(v, Unknown):
                return None, ()
            if isinstance(v, str):
                return (isinstance(arg, str) and arg in v), ()
            if isinstance(v, list):
                for i, item in enumerate(v):
                    if loose_equal(item, arg):
                        return True, (i,)
                return (None if any(isinstance(i, Unknown) for i in v) else False), ()
            if isinstance(v, dict):
                return (arg in v), ()
            return False, ()

        return contains
    if op == "cidr_open":
        if arg is not True:
            raise ConditionError(f"{where}.cidr_open: must be true (use 'not' for the opposite)")

        def cidr_open(v: Any) -> tuple[Truth, Path]:
            if isinstance(v, Unknown):
                return None, ()
            if isinstance(v, str):
                t, _ = world_networks([v])
                return t, ()
            if isinstance(v, list):
                t, idx = world_networks(v)
                return (t, (idx[0],) if t and len(idx) == 1 else ())
            return False, ()

        return cidr_open
    if op in ("at_least", "at_most"):
        if isinstance(arg, bool) or not isinstance(arg, (int, float)):
            raise ConditionError(f"{where}.{op}: must be a number")
        above = op == "at_least"

        def compare(v: Any) -> tuple[Truth, Path]:
            if isinstance(v, Unknown):
                return None, ()
            n = _number(v)
            if n is None:
                return False, ()
            return (n >= arg if above else n <= arg), ()

        return compare
    if op == "covers_port":
        from linter.model import Severity
        from linter.ports import grade, parse_ports

        sensitive = arg == "sensitive"
        wanted = [] if sensitive else [arg] if isinstance(arg, int) and not isinstance(arg, bool) else arg if isinstance(arg, list) else None
        if wanted is None or not all(isinstance(p, int) and not isinstance(p, bool) for p in wanted):
            raise ConditionError(f"{where}.covers_port: must be a port, a list of ports, or 'sensitive'")

        def covers_port(v: Any) -> tuple[Truth, Path]:
            if isinstance(v, Unknown):
                return None, ()
            ranges = parse_ports(v)
            if not ranges:
                return False, ()
            truth: Truth = False
            for r in ranges:
                if not r.known:
                    truth = None
                    continue
                if sensitive:
                    g = grade(r)
                    hit = g is not None and g.severity == Severity.CRITICAL
                else:
                    hit = any(r.covers(p) for p in wanted)
                if hit:
                    return True, ()
            return truth, ()

        return covers_port
    if op == "public_policy":
        actions, not_limiting = _public_policy_arg(arg, where)

        def public_policy(v: Any) -> tuple[Truth, Path]:
            from linter.policy import public_grants, undecided
            from linter.values import decode_json_value

            if isinstance(v, Unknown):
                return None, ()
            document = decode_json_value(v)
            if isinstance(document, Unknown):
                return None, ()
            grants = public_grants(document, actions, not_limiting)
            if grants:
                return True, grants[0].path
            return (None if undecided(document) else False), ()

        return public_policy
    raise ConditionError(f"{where}: unknown operator {op}")  # pragma: no cover


def _public_policy_arg(arg: Any, where: str) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """``true``, a list of actions, or ``{actions: [...], not_limiting: [condition keys]}``."""
    if isinstance(arg, dict):
        actions, keys = arg.get("actions", True), arg.get("not_limiting", [])
        if set(arg) - {"actions", "not_limiting"} or not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise ConditionError(f"{where}.public_policy: a mapping takes actions and not_limiting (a list of condition keys)")
    else:
        actions, keys = arg, []
    if actions is not True and not (isinstance(actions, list) and actions and all(isinstance(a, str) for a in actions)):
        raise ConditionError(f"{where}.public_policy: must be true or a list of actions (globs allowed)")
    return (frozenset(actions) if isinstance(actions, list) else None), tuple(keys)


def loose_equal(value: Any, expected: Any) -> bool:
    """Equality for rules: strings compare case-insensitively against strings, bools as bools,
    and ``"true"`` equals ``true`` (Terraform and YAML write both)."""
    if isinstance(expected, bool):
        if isinstance(value, str):
            return value.strip().lower() == ("true" if expected else "false")
        return isinstance(value, bool) and value == expected
    if isinstance(expected, str) and isinstance(value, str):
        return value.lower() == expected.lower()
    if isinstance(expected, (int, float)) and isinstance(value, str):
        try:
            return float(value) == float(expected)
        except ValueError:
            return False
    return hcl_equal(value, expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


_RELATED_KEYS = {"direction", "types", "role", "via", "name", "where"}


def _related(spec: Any, where: str) -> Fn:
    """A connection: resources this one refers to (``direction: out``), that refer to it
    (``direction: in``), or anywhere in its configuration, linked or not (``direction:
    anywhere``: an account-level setting), of ``types`` (or the clause's ``role``), through
    the setting ``via`` when given (by reference, or by name/ID matched against the
    ``name`` setting of the resource named, default ``name``), and meeting ``where`` when
    given (evaluated on the related resource). True when one does; None when one might
    (something unknown)."""
    if not isinstance(spec, dict) or set(spec) - _RELATED_KEYS:
        raise ConditionError(f"{where}: takes {', '.join(sorted(_RELATED_KEYS))}")
    direction = spec.get("direction", "out")
    if direction not in ("in", "out", "anywhere"):
        raise ConditionError(f"{where}.direction: in, out or anywhere")
    if direction == "anywhere" and "via" in spec:
        raise ConditionError(f"{where}: direction anywhere takes no via")
    if ("types" in spec) == ("role" in spec):
        raise ConditionError(f"{where}: give types or role")
    types = spec.get("types")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
        raise ConditionError(f"{where}.types: a list of resource types")
    via = spec.get("via")
    name = str(spec.get("name", "name"))
    sub = compile_condition(spec["where"], f"{where}.where") if "where" in spec else None

    def fn(root: Any, base: Path, env: Env | None) -> Result:
        if env is None:
            return None, []
        res, graph = env.resource, env.graph
        wanted = tuple(types) if types is not None else env.roles.get(str(spec["role"]), ())
        if direction == "out":
            if via is not None:
                value = res.setting(via)
                if value is None:
                    return False, []
                if isinstance(value, Unknown) and not value.ref:
                    return None, []
                others = graph.linked(res, via, wanted, name_setting=name)
                at = [res.setting_path(via)]
            else:
                others = graph.references(res, None, wanted)
                at = [base]
        elif direction == "anywhere":
            others = [o for o in graph.in_configuration(res.root, wanted) if o is not res]
            at = [base]
        else:
            others = graph.linked_from(res, wanted, via, name_setting=name) if via is not None else graph.referrers(res, wanted)
            at = [base]
        truth: Truth = False
        for other in others:
            if sub is None:
                t: Truth = True
            else:
                inner = Env(graph, other, env.roles)
                t, _ = sub.evaluate(other.attrs, (), inner)
            if t is True:
                truth = True
                env.found.append((other, {"in": "refers to it", "out": "it refers to"}.get(direction, "in the same configuration")))
            elif t is None and truth is False:
                truth = None
        return truth, (at if truth is True else [])

    return fn
