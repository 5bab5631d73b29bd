"""One instance of a Terraform module: what its names mean, evaluated lazily.

A :class:`ModuleInstance` resolves ``var``, ``local``, resources, data sources, ``module``
and ``path`` for the evaluator. Everything is computed on first use and memoised, with
cycle protection, so a reference resolves whatever order the files are written in.

While a value is evaluated, every resource it reaches is recorded; that is where the
graph's reference edges come from (through locals, variables and module outputs too).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from linter.model import Evidence, Note, Span
from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.evaluate import Budget, EvalError, Evaluator, Namespace, sub_expressions, traversal, walk_traversals
from linter.parsers.hcl.functions import FUNCTIONS, FunctionError, to_bool, to_number, to_string
from linter.parsers.terraform.config import ModuleConfig, literal_string
from linter.sources import looked_at
from linter.values import MAX_NODES, JsonString, PDict, PList, SourcedText, Unknown, display, expanded_size, mark_via_variable

if TYPE_CHECKING:
    from linter.parsers.terraform.contracts import Contract

MAX_INSTANCES = 1_000  # count / for_each expansions beyond this are analysed as one unknown instance
META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "providers"})
SKIPPED_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})


class VarValue(Struct):
    """A module variable's value and where it was set."""

    value: Any
    origin: Evidence | None  # where the value was set (tfvars line, default, module argument)
    deps: frozenset[str] = frozenset()
    # for a module argument: the caller and the argument's expression, to explain it further
    caller: ModuleInstance | None = None
    expr: s.Expr | None = None


LazyVar = Callable[[], VarValue]


class Options(Struct):
    """What every module instance of a scan shares: limits and the notes it collects."""

    max_bytes: int
    scan_root: str  # file functions may not read outside it
    notes: list[Note] = field(default_factory=list)


class ModuleInstance:
    def __init__(
        self,
        config: ModuleConfig,
        root_key: str,
        prefix: str,
        inputs: Mapping[str, VarValue | LazyVar],
        call_chain: tuple[Evidence, ...],
        options: Options,
        depth: int = 0,
    ) -> None:
        self.config = config
        self.root_key = root_key  # makes ids unique across root modules
        self.prefix = prefix  # "" or "module.storage." …
        self.call_chain = call_chain
        self.options = options
        self.depth = depth
        self.vars: dict[str, VarValue | LazyVar] = {}
        self._inputs = inputs
        self._locals: dict[str, tuple[Any, frozenset[str]]] = {}
        self._in_progress: set[str] = set()
        self._recorders: list[set[str]] = []
        self._expansions: dict[str, list[Instance] | Unknown] = {}
        # module name -> what ``module.<name>`` evaluates to (set by the module loader)
        self.calls: dict[str, Callable[[], Any]] = {}
        self.output_cache: dict[str, tuple[Any, frozenset[str]]] = {}
        self.root_dir = config.dir  # the root module's directory (where .terraform/ would be)
        self.module_key: tuple[str, ...] = ()  # call names from the root: ("storage", "inner")
        self.dir_chain: tuple[str, ...] = (config.dir,)  # module directories from the root
        # count/for_each of the module calls that made this instance (in their callers)
        self.expansion_exprs: tuple[tuple[ModuleInstance, s.Expr], ...] = ()
        # the calling module, and the call's ``providers`` map (child name -> caller's name)
        self.parent: ModuleInstance | None = None
        self.provider_map: dict[str, str] = {}
        # set when the module is read through a contract (contracts.py): which, and the call
        self.contract: Contract | None = None
        self.contract_call: s.Block | None = None
        self._default_tags: dict[str, tuple[str, PDict] | None] = {}
        functions = dict(FUNCTIONS)
        functions.update(self._file_functions())
        self.budget = Budget()
        self.evaluator = Evaluator(self._resolve_root, functions, self.budget)
        self._init_variables()

    # ------------------------------------------------------------------ ids
    def resource_id(self, address: str) -> str:
        return f"{self.root_key}::{self.prefix}{address}"

    # ------------------------------------------------------------------ dependency recording
    def touch(self, ids: Iterator[str] | frozenset[str] | set[str] | list[str]) -> None:
        for rec in self._recorders:
            rec.update(ids)

    def record(self, fn: Callable[[], Any]) -> tuple[Any, frozenset[str]]:
        """Evaluate ``fn`` with a fresh dependency record (nested evaluations do not leak in)."""
        saved = self._recorders
        rec: set[str] = set()
        self._recorders = [rec]
        try:
            value = fn()
        finally:
            self._recorders = saved
        return value, frozenset(rec)

    # ------------------------------------------------------------------ variables
    def _typed(self, name: str, value: Any) -> Any:
        """The value converted by the variable's type constraint (optional attributes filled
        in), marked as coming through a variable."""
        from linter.parsers.terraform.types import convert

        block = self.config.variables.get(name)
        type_attr = block.body.attributes.get("type") if block is not None else None
        return mark_via_variable(convert(value, type_attr.expr) if type_attr is not None else value)

    def _init_variables(self) -> None:
        """Every declared variable, resolved (and converted by its type) when first used."""
        for name, block in self.config.variables.items():
            given = self._inputs.get(name)
            if isinstance(given, VarValue):
                self.vars[name] = _given(given)
            elif given is not None:
                self.vars[name] = given
            else:
                self.vars[name] = _default(name, block)
        # inputs for variables the module does not declare are ignored, as Terraform warns

    def var_value(self, name: str) -> VarValue | None:
        given = self.vars.get(name)
        if given is None or isinstance(given, VarValue):
            return given
        key = "var." + name
        if key in self._in_progress:
            return VarValue(EvalError(f"var.{name} depends on itself"), None)
        self._in_progress.add(key)
        try:
            resolved = given()
        finally:
            self._in_progress.discard(key)
        resolved.value = self._typed(name, resolved.value)
        if resolved.value is None:
            block = self.config.variables.get(name)
            nullable = block.body.attributes.get("nullable") if block is not None else None
            default = block.body.attributes.get("default") if block is not None else None
            if nullable is not None and default is not None and self.evaluator.eval(nullable.expr) is False:
                value = Evaluator(_no_references).eval(default.expr)
                resolved = VarValue(value, Evidence(f"var.{name} = {display(value)} (null argument; the variable's default)", default.span, "default"))
        self.vars[name] = resolved
        return resolved

    def var(self, name: str) -> Any:
        given = self.var_value(name)
        if given is None:
            return EvalError(f"var.{name} is not declared")
        self.touch(given.deps)
        return given.value

    # ------------------------------------------------------------------ locals
    def local(self, name: str) -> Any:
        memo = self._locals.get(name)
        if memo is None:
            attr = self.config.locals.get(name)
            if attr is None:
                return EvalError(f"local.{name} is not defined")
            key = "local." + name
            if key in self._in_progress:
                return EvalError(f"local.{name} refers to itself")
            self._in_progress.add(key)
            try:
                memo = self.record(lambda: self.evaluator.eval(attr.expr))
            finally:
                self._in_progress.discard(key)
            self._locals[name] = memo
        value, deps = memo
        self.touch(deps)
        return value

    # ------------------------------------------------------------------ resources and data
    def expansion(self, mode: str, key: str) -> list[Instance] | Unknown:
        """The instances of ``type.name`` (mode "managed" or "data"), expanded by count/for_each."""
        cache_key = mode + ":" + key
        cached = self._expansions.get(cache_key)
        if cached is not None:
            return cached
        table = self.config.resources if mode == "managed" else self.config.data
        block = table.get(key)
        if block is None:
            return EvalError(f"{key} is not defined")
        if cache_key in self._in_progress:
            return Unknown(f"{key} depends on itself")
        self._in_progress.add(cache_key)
        try:
            result = self._expand(mode, key, block)
        finally:
            self._in_progress.discard(cache_key)
        self._expansions[cache_key] = result
        return result

    def _expand(self, mode: str, key: str, block: s.Block) -> list[Instance]:
        rtype, name = key.split(".", 1)
        base = key if mode == "managed" else "data." + key
        attrs = block.body.attributes
        if "count" in attrs:
            count, _ = self.record(lambda: self.evaluator.eval(attrs["count"].expr))
            if isinstance(count, Unknown):
                possible = self.possible_count(block, count, self.prefix + base)
                if possible is None:
                    return [Instance(self, mode, rtype, name, block, base, None, {"count": {"index": Unknown("count.index is not known")}}, unknown_expansion=count)]
                n, why = possible
                return [
                    Instance(self, mode, rtype, name, block, f"{base}[{i}]", i, {"count": {"index": i}},
                             possible=Evidence(f"{self.prefix}{base}[{i}] is a possible instance: {why}", attrs["count"].span, origin="possible"))
                    for i in range(n)
                ]
            try:
                n = int(to_number(count))
            except FunctionError:
                return [Instance(self, mode, rtype, name, block, base, None, {"count": {"index": Unknown("count is not a number")}}, unknown_expansion=Unknown("count is not a number"))]
            if n > MAX_INSTANCES:
                self.options.notes.append(Note(block.span.file, block.span.line, f"{base}: count = {n} is over {MAX_INSTANCES}; analysed as one instance"))
                return [Instance(self, mode, rtype, name, block, base, None, {"count": {"index": Unknown("count.index")}}, unknown_expansion=Unknown("count too large"))]
            return [Instance(self, mode, rtype, name, block, f"{base}[{i}]", i, {"count": {"index": i}}) for i in range(max(n, 0))]
        if "for_each" in attrs:
            coll, _ = self.record(lambda: self.evaluator.eval(attrs["for_each"].expr))
            pairs = _for_each_pairs(coll)
            if pairs is None:
                reason = coll if isinstance(coll, Unknown) else Unknown("for_each is not a map or set of strings")
                env = {"each": {"key": Unknown("each.key is not known"), "value": Unknown("each.value is not known")}}
                return [Instance(self, mode, rtype, name, block, base, None, env, unknown_expansion=reason)]
            if len(pairs) > MAX_INSTANCES:
                self.options.notes.append(Note(block.span.file, block.span.line, f"{base}: for_each over {len(pairs)} elements is over {MAX_INSTANCES}; analysed as one instance"))
                env = {"each": {"key": Unknown("each.key"), "value": Unknown("each.value")}}
                return [Instance(self, mode, rtype, name, block, base, None, env, unknown_expansion=Unknown("for_each too large"))]
            return [
                Instance(self, mode, rtype, name, block, f'{base}["{k}"]', k, {"each": {"key": k, "value": v}})
                for k, v in pairs
            ]
        return [Instance(self, mode, rtype, name, block, base, None, {})]

    def possible_count(self, block: s.Block, count: Unknown, label: str) -> tuple[int, str] | None:
        """When ``count`` is not known: how many instances to analyse, and the sentence that
        says why; None when nothing is known (analysed once with ``count.index`` unknown).

        The count expression bounds it when every branch of its unknown conditions is known
        (``var.create ? length(local.rules) : 0`` is at most the length of ``local.rules``);
        otherwise every element of a known list that ``count.index`` selects from is a
        possible instance. When those lists are not known either (a data source), the
        attributes built from them cannot be checked, and a note says so."""
        expr = block.body.attributes["count"].expr
        reason = f"count is not known ({count.reason or 'no reason given'})"
        known: dict[str, int] = {}
        unknown: dict[str, list[str]] = {}
        for attr, coll in count_selections(block.body):
            value, _ = self.record(partial(self.evaluator.eval, coll))
            text = _expr_text(coll)
            if isinstance(value, (list, tuple)):
                known[text] = max(known.get(text, 0), len(value))
            elif isinstance(value, Unknown) and not isinstance(value, EvalError):
                unknown.setdefault(text, []).append(attr)
        bound, _ = self.record(lambda: self._count_bound(expr, 0))
        n = bound if bound is not None else max(known.values(), default=0)
        if 0 < n <= MAX_INSTANCES:
            if n == 1:
                return n, f"{reason}; analysed as if its one possible instance were created"
            if known:
                return n, f"{reason}; each of the {n} elements of {' and '.join(known)} is analysed as a possible instance"
            return n, f"{reason}; it is at most {n}, and each possible instance is analysed"
        if bound is None and unknown:
            attrs = sorted({a for names in unknown.values() for a in names})
            lists = " and ".join(unknown)
            self.options.notes.append(
                Note(block.header.file, block.header.line, f"{label}: {reason}, nor is {lists}: {', '.join(attrs)} could not be checked")
            )
        return None

    def _count_bound(self, expr: s.Expr, depth: int) -> int | None:
        """The largest value a count expression can take, when every branch of its unknown
        conditions is known; else None."""
        while isinstance(expr, s.Paren):
            expr = expr.expr
        if isinstance(expr, s.Conditional) and depth < 8:
            cond = self.evaluator.eval(expr.cond)
            if isinstance(cond, Unknown):
                yes, no = self._count_bound(expr.yes, depth + 1), self._count_bound(expr.no, depth + 1)
                return None if yes is None or no is None else max(yes, no)
            try:
                return self._count_bound(expr.yes if to_bool(cond) else expr.no, depth + 1)
            except FunctionError:
                return None
        value = self.evaluator.eval(expr)
        if isinstance(value, Unknown):
            return None
        try:
            return int(to_number(value))
        except FunctionError:
            return None

    def reference_value(self, mode: str, key: str) -> Any:
        """What ``aws_s3_bucket.b`` (or ``data.x.y``) evaluates to in an expression."""
        block = (self.config.resources if mode == "managed" else self.config.data).get(key)
        if block is None:
            return EvalError(f"{'data.' if mode == 'data' else ''}{key} is not defined")
        expansion = self.expansion(mode, key)
        if isinstance(expansion, Unknown):
            return expansion
        attrs = block.body.attributes
        if "count" in attrs or "for_each" in attrs:
            if len(expansion) == 1 and expansion[0].unknown_expansion is not None:
                only = expansion[0]
                self.touch([only.id])
                return Unknown(f"the instances of {only.address} are not known", only.id)
            return _Instances(self, expansion, keyed="count" if "count" in attrs else "for_each")
        # the reference is recorded when the resource is used (an attribute, or as a whole)
        return expansion[0].value()

    def all_instances(self) -> list[Instance]:
        out: list[Instance] = []
        for key in self.config.resources:
            expansion = self.expansion("managed", key)
            if isinstance(expansion, list):
                out.extend(expansion)
        for key in self.config.data:
            expansion = self.expansion("data", key)
            if isinstance(expansion, list):
                out.extend(expansion)
        return out

    # ------------------------------------------------------------------ providers
    def default_tags(self, ref: str) -> tuple[str, PDict] | None:
        """The ``default_tags`` of provider ``ref`` ("aws", "aws.west") as this module sees
        it, with the provider's name: its own provider block, else the caller's provider it
        is given in ``providers = {...}``, else (a default provider) the caller's, as
        Terraform passes default providers down implicitly."""
        if ref not in self._default_tags:
            self._default_tags[ref] = None  # a cycle of calls finds nothing
            self._default_tags[ref] = self._find_default_tags(ref)
        return self._default_tags[ref]

    def _find_default_tags(self, ref: str) -> tuple[str, PDict] | None:
        block = self.config.providers.get(ref)
        if block is not None:
            found = next(block.body.blocks_of("default_tags"), None)
            attr = found.body.attributes.get("tags") if found is not None else None
            if attr is None:
                return None
            value, _ = self.record(lambda: self.evaluator.eval(attr.expr))
            if not isinstance(value, dict):
                return None
            tags = value if isinstance(value, PDict) and value.spans else PDict(value, span=attr.span)
            if tags.span is None:
                tags.span = attr.span
            return f"provider {ref} ({block.header.file}:{block.header.line})", tags
        if self.parent is None:
            return None
        if ref in self.provider_map:
            return self.parent.default_tags(self.provider_map[ref])
        return self.parent.default_tags(ref) if "." not in ref else None

    # ------------------------------------------------------------------ names
    def _resolve_root(self, name: str, node: s.Variable) -> Any:
        if name == "var":
            return _Lookup(self.var, "var")
        if name == "local":
            return _Lookup(self.local, "local")
        if name == "data":
            return _Lookup(lambda t: _Lookup(lambda n: self.reference_value("data", f"{t}.{n}"), f"data.{t}"), "data")
        if name == "module":
            return _Lookup(self.module_output, "module")
        if name == "path":
            # as Terraform gives them: relative to the root module's directory, where it runs
            # (file() resolves relative paths there too)
            return {"module": os.path.relpath(self.config.dir, self.root_dir), "root": ".", "cwd": os.path.abspath(self.root_dir)}
        if name == "terraform":
            return {"workspace": "default"}
        if name in ("count", "each", "self"):
            return EvalError(f"{name} is not available here")
        if name in self.config.resource_types:
            return _Lookup(lambda n: self.reference_value("managed", f"{name}.{n}"), name)
        return EvalError(f"unknown name {name!r}")

    def module_output(self, name: str) -> Any:
        if name not in self.config.module_calls:
            return EvalError(f"module.{name} is not defined")
        call = self.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not analysed")
        return call()

    # ------------------------------------------------------------------ bounded file functions
    def _file_functions(self) -> dict[str, Callable[..., Any]]:
        def shown_path(p: Any) -> str:
            """The path a file function names, as the scan shows paths: relative ones are
            relative to the root module's directory, Terraform's working directory."""
            path = to_string(p)
            return path if os.path.isabs(path) else os.path.normpath(os.path.join(self.root_dir, path))

        def safe_path(p: Any) -> str:
            path = to_string(p)
            full = os.path.realpath(shown_path(path))
            root = os.path.realpath(self.options.scan_root)
            if not (full == root or full.startswith(root.rstrip(os.sep) + os.sep)):
                raise FunctionError(f"{path} is outside the scanned tree; not read")
            return full

        def f_file(p: Any) -> str:
            from linter.positioned import json_with_positions
            from linter.sources import SourceError, read_source

            try:
                text = read_source(safe_path(p), self.options.max_bytes)
            except SourceError as exc:
                raise FunctionError(exc.message) from None
            shown = shown_path(p)
            decoded = json_with_positions(text, shown) if text.lstrip().startswith(("{", "[")) else None
            return JsonString(text, decoded) if decoded is not None else SourcedText(text, shown)

        def f_fileexists(p: Any) -> bool:
            target = safe_path(p)
            looked_at(target)
            return os.path.isfile(target)

        def f_templatefile(p: Any, variables: Any = None) -> Any:
            text = str(f_file(p))
            shown = shown_path(p)
            positions: list[tuple[int, int]] = []
            try:
                parts = s.parse_template_text(text, shown, 1, 1, positions=positions)
            except s.HclSyntaxError as exc:
                raise FunctionError(f"template: {exc.message}") from None
            env = dict(variables) if isinstance(variables, dict) else {}
            # with positions, a template that renders to JSON keeps its structure and lines
            template = s.Template(parts, Span(shown, 1), positions if len(positions) == len(parts) else None)
            return Evaluator(_no_references, self.evaluator.functions, self.budget).eval(template, env)

        def f_abspath(p: Any) -> str:
            return to_string(p)

        return {
            "file": f_file,
            "fileexists": f_fileexists,
            "templatefile": f_templatefile,
            "abspath": f_abspath,
            "pathexpand": lambda p: Unknown("pathexpand() depends on the machine"),
            "fileset": lambda *a: Unknown("fileset() is not analysed"),
            "filebase64": lambda p: Unknown("filebase64() is not analysed"),
            "filemd5": lambda p: Unknown("file hashes are not analysed"),
            "filesha1": lambda p: Unknown("file hashes are not analysed"),
            "filesha256": lambda p: Unknown("file hashes are not analysed"),
            "filesha512": lambda p: Unknown("file hashes are not analysed"),
            "filebase64sha256": lambda p: Unknown("file hashes are not analysed"),
            "filebase64sha512": lambda p: Unknown("file hashes are not analysed"),
        }

    # ------------------------------------------------------------------ origins (evidence)
    def describe_origins(self, expr: s.Expr, limit: int = 4) -> list[Evidence]:
        """Where the variables and locals an expression uses got their values."""
        out: list[Evidence] = []
        seen: set[str] = set()

        def visit(e: s.Expr, depth: int) -> None:
            for trav, _node in walk_traversals(e):
                if len(out) >= limit or len(trav) < 2 or not isinstance(trav[1], str):
                    continue
                head, name = trav[0], trav[1]
                key = f"{head}.{name}"
                if key in seen:
                    continue
                seen.add(key)
                if head == "var":
                    given = self.var_value(name)
                    if given is not None and given.origin is not None:
                        out.append(given.origin)
                    if given is not None and given.caller is not None and given.expr is not None and depth < 4:
                        # a module argument: explain where the caller got it
                        for ev in given.caller.describe_origins(given.expr, limit):
                            if len(out) < limit and ev not in out:
                                out.append(ev)
                elif head == "local" and name in self.config.locals:
                    attr = self.config.locals[name]
                    value = self.local(name)
                    out.append(Evidence(f"local.{name} = {display(value)}", attr.span))
                    if depth < 2:
                        visit(attr.expr, depth + 1)

        visit(expr, 0)
        return out


def _given(value: VarValue) -> LazyVar:
    return lambda: value


def _default(name: str, block: s.Block) -> LazyVar:
    def resolve() -> VarValue:
        default = block.body.attributes.get("default")
        if default is None:
            return VarValue(Unknown(f"var.{name} has no value"), None)
        value = Evaluator(_no_references).eval(default.expr)
        return VarValue(value, Evidence(f"var.{name} = {display(value)} (the variable's default)", default.span, "default"))

    return resolve


class _Lookup(Namespace):
    def __init__(self, fn: Callable[[str], Any], label: str) -> None:
        self.fn = fn
        self.label = label

    def attr(self, name: str) -> Any:
        return self.fn(name)

    def index(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.fn(key)
        return EvalError(f"cannot index {self.label}")

    def describe(self) -> str:
        return self.label


def _no_references(name: str, node: s.Variable) -> Any:
    return EvalError(f"{name} cannot be used here")


def _is_count_index(expr: s.Expr) -> bool:
    while isinstance(expr, s.Paren):
        expr = expr.expr
    return isinstance(expr, s.GetAttr) and expr.name == "index" and isinstance(expr.obj, s.Variable) and expr.obj.name == "count"


def provider_reference(expr: s.Expr) -> str | None:
    """``aws.west`` written as a reference (or as a string, in a ``providers`` map key)."""
    text = literal_string(expr)
    if text is not None:
        return text
    if isinstance(expr, s.Literal) and isinstance(expr.value, str):
        return expr.value
    parts = traversal(expr)
    if parts and all(isinstance(p, str) for p in parts[:2]):
        return ".".join(str(p) for p in parts[:2])
    return None


def body_expressions(body: s.Body) -> list[tuple[str, s.Expr]]:
    """``(name, expression)`` for every attribute of a body and of its nested blocks, where
    ``name`` is the top-level attribute or block type (a dynamic block's label) holding it."""
    exprs: list[tuple[str, s.Expr]] = []
    bodies: list[tuple[str | None, s.Body]] = [(None, body)]
    while bodies:
        top, b = bodies.pop()
        for name, attr in b.attributes.items():
            exprs.append((top or name, attr.expr))
        for block in b.blocks:
            label = block.labels[0] if block.type == "dynamic" and block.labels else block.type
            bodies.append((top or label, block.body))
    return exprs


def origin_files(start: list[tuple[ModuleInstance, s.Expr]]) -> set[str]:
    """Every file the values of these expressions come from, followed to the end (unlike the
    evidence, which shows the first few): where each variable was set (a default, a tfvars
    line, a caller's argument, and where the caller's values come from), the locals used,
    and the policy documents rendered. This is how a finding is reported when only one of
    those files is named (a pre-commit hook that sees only variables.tf)."""
    out: set[str] = set()
    seen: set[tuple[int, str, str]] = set()
    stack = list(start)
    while stack:
        module, expr = stack.pop()
        for trav, _node in walk_traversals(expr):
            if len(trav) < 2 or not isinstance(trav[1], str):
                continue
            head, name = trav[0], trav[1]
            if head == "data" and len(trav) >= 3 and isinstance(trav[2], str):
                name = f"{name}.{trav[2]}"
            key = (id(module), str(head), name)
            if key in seen:
                continue
            seen.add(key)
            if head == "var":
                given = module.var_value(name)
                if given is not None and given.origin is not None and given.origin.span is not None:
                    out.add(given.origin.span.file)
                if given is not None and given.caller is not None and given.expr is not None:
                    stack.append((given.caller, given.expr))
            elif head == "local" and name in module.config.locals:
                attr = module.config.locals[name]
                out.add(attr.span.file)
                stack.append((module, attr.expr))
            elif head == "data" and name.split(".")[0] in _RENDERED_TYPES and name in module.config.data:
                block = module.config.data[name]
                out.add(block.span.file)
                stack.extend((module, e) for _, e in body_expressions(block.body))
    return out


def count_selections(body: s.Body) -> list[tuple[str, s.Expr]]:
    """``(attribute, X)`` for every ``X[count.index]`` and ``element(X, count.index)`` in a
    resource or module call body, in source order: the lists whose elements its instances
    are built from. ``attribute`` is the top-level attribute (or block) holding it."""
    exprs = [(top, e) for top, e in body_expressions(body) if top not in META_ARGUMENTS]
    found: list[tuple[str, s.Expr]] = []
    while exprs:
        top, node = exprs.pop()
        if isinstance(node, s.Index) and _is_count_index(node.key):
            found.append((top, node.obj))
        elif isinstance(node, s.Call) and node.name == "element" and len(node.args) == 2 and _is_count_index(node.args[1]):
            found.append((top, node.args[0]))
        exprs.extend((top, child) for child in sub_expressions(node))
    return sorted(found, key=lambda pair: (pair[1].span.file, pair[1].span.line, pair[1].span.column))


def _expr_text(expr: s.Expr) -> str:
    """``local.rules`` for a static traversal; a description otherwise."""
    parts = traversal(expr)
    if not parts or any(p == "*" for p in parts):
        return "the list that count.index selects from"
    return "".join(f"[{p}]" if isinstance(p, int) else (p if i == 0 else f".{p}") for i, p in enumerate(parts))


def _for_each_pairs(coll: Any) -> list[tuple[str, Any]] | None:
    if isinstance(coll, Unknown):
        return None
    if isinstance(coll, dict):
        if any(isinstance(k, Unknown) for k in coll):
            return None
        return [(str(k), coll[k]) for k in sorted(coll, key=str)]
    if isinstance(coll, (list, tuple)):
        if any(isinstance(v, Unknown) for v in coll):
            return None
        if not all(isinstance(v, str) for v in coll):
            return None
        return [(v, v) for v in sorted(set(coll))]
    return None


class Instance:
    """One expanded resource or data source: ``aws_s3_bucket.b["logs"]``."""

    def __init__(
        self,
        module: ModuleInstance,
        mode: str,
        rtype: str,
        name: str,
        block: s.Block,
        address: str,
        key: Any,
        env: dict[str, Any],
        unknown_expansion: Unknown | None = None,
        possible: Evidence | None = None,
    ) -> None:
        self.module = module
        self.mode = mode
        self.type = rtype
        self.name = name
        self.block = block
        self.local_address = address
        self.address = module.prefix + address
        self.key = key
        self.env = env
        self.unknown_expansion = unknown_expansion
        # one of the instances of a count that is not known, analysed as if created (and why)
        self.possible = possible
        self.id = module.resource_id(address)
        self._attrs: PDict | None = None
        self._refs: dict[str, frozenset[str]] = {}
        self._evaluating = False
        self._value: _ResourceValue | None = None

    def value(self) -> _ResourceValue:
        if self._value is None:
            self._value = _ResourceValue(self)
        return self._value

    def attrs(self) -> PDict | Unknown:
        if self._attrs is None:
            if self._evaluating:
                return Unknown(f"{self.address} refers to itself", self.id)
            self._evaluating = True
            try:
                self._attrs, _ = self.module.record(lambda: self._eval_body(self.block.body, self.env, top=True, block_span=self.block.span))
            finally:
                self._evaluating = False
        return self._attrs

    @property
    def refs(self) -> dict[str, frozenset[str]]:
        self.attrs()
        return self._refs

    def _eval_attr(self, expr: s.Expr, env: dict[str, Any], ref_key: str) -> Any:
        value, deps = self.module.record(lambda: self.module.evaluator.eval(expr, env))
        if isinstance(value, (dict, list)) and expanded_size(value) > MAX_NODES:
            value = EvalError(f"value too large to analyse (over {MAX_NODES:,} elements)")
        deps = deps - {self.id}
        if deps:
            self._refs[ref_key] = self._refs.get(ref_key, frozenset()) | deps
        return value

    def _eval_body(self, body: s.Body, env: dict[str, Any], top: bool, block_span: Span, ref_key: str = "") -> PDict:
        out = PDict(span=block_span)
        for name, attr in body.attributes.items():
            if top and name in META_ARGUMENTS:
                if name == "depends_on":
                    self._eval_attr(attr.expr, env, "depends_on")
                continue
            value = self._eval_attr(attr.expr, env, ref_key or name)
            if value is None:
                continue  # null means "not set"
            out[name] = value
            out.spans[name] = attr.span
        groups: dict[str, PList] = {}
        for block in body.blocks:
            if top and block.type in SKIPPED_BLOCKS:
                continue
            if block.type == "dynamic" and block.labels:
                generated_blocks = self._expand_dynamic(block, env, ref_key)
                for generated, span in generated_blocks:
                    group = groups.setdefault(block.labels[0], PList())
                    group.append(generated)
                    group.spans.append(span)
                if not generated_blocks and block.labels[0] not in out.spans:
                    # it makes no block: the setting is absent, but a finding about the
                    # missing block belongs on the dynamic block that decided so
                    out.spans[block.labels[0]] = block.span
                continue
            group = groups.setdefault(block.type, PList())
            group.append(self._eval_body(block.body, env, False, block.span, ref_key or block.type))
            group.spans.append(block.span)
        for name, group in groups.items():
            if name in out:
                continue
            group.span = group.spans[0] if group.spans else None
            out[name] = group
            out.spans[name] = group.span
        return out

    def _expand_dynamic(self, block: s.Block, env: dict[str, Any], ref_key: str) -> list[tuple[PDict, Span]]:
        label = block.labels[0]
        attrs = block.body.attributes
        iterator = label
        if "iterator" in attrs:
            it = attrs["iterator"].expr
            if isinstance(it, s.Variable):
                iterator = it.name
        content = next(block.body.blocks_of("content"), None)
        if content is None or "for_each" not in attrs:
            return []
        coll = self._eval_attr(attrs["for_each"].expr, env, ref_key or label)
        if isinstance(coll, Unknown):
            pairs: list[tuple[Any, Any]] = [(Unknown("dynamic key"), Unknown(f"the {label} blocks are not known ({coll.reason})"))]
        elif isinstance(coll, dict):
            pairs = [(k, coll[k]) for k in sorted(coll, key=str)]
        elif isinstance(coll, (list, tuple)):
            pairs = list(enumerate(coll))
        else:
            return []
        out = []
        for k, v in pairs[:MAX_INSTANCES]:
            inner = dict(env)
            inner[iterator] = {"key": k, "value": v}
            out.append((self._eval_body(content.body, inner, False, content.span, ref_key or label), content.span))
        return out

    def origins_for(self, path: tuple[Any, ...]) -> list[Evidence]:
        expr = _expr_at(self.block.body, path)
        if expr is None:
            return []
        return self.module.describe_origins(expr)

    def provider_ref(self) -> str:
        """The provider configuration this resource uses: ``provider = aws.west`` or the
        default provider of its type's prefix (``aws`` for ``aws_s3_bucket``)."""
        attr = self.block.body.attributes.get("provider")
        ref = provider_reference(attr.expr) if attr is not None else None
        return ref or self.type.split("_", 1)[0]

    def chain_files(self, path: tuple[Any, ...]) -> set[str]:
        """The files that decide the value at ``path`` (the whole top-level attribute or
        blocks it is in) and whether this instance exists (count/for_each, here and on the
        module calls above)."""
        body = self.block.body
        exprs = [(self.module, body.attributes[m].expr) for m in ("count", "for_each") if m in body.attributes]
        exprs.extend(self.module.expansion_exprs)
        if path and isinstance(path[0], str):
            exprs.extend((self.module, e) for top, e in body_expressions(body) if top == path[0])
        return origin_files(exprs)


def _expr_at(body: s.Body, path: tuple[Any, ...]) -> s.Expr | None:
    """The expression written for an attribute path (static blocks only)."""
    if not path or not isinstance(path[0], str):
        return None
    head = path[0]
    if head in body.attributes:
        return body.attributes[head].expr
    blocks = [b for b in body.blocks if b.type == head]
    dynamic = [b for b in body.blocks if b.type == "dynamic" and b.labels[:1] == [head]]
    if len(path) >= 2 and isinstance(path[1], int) and path[1] < len(blocks) and not dynamic:
        return _expr_at(blocks[path[1]].body, path[2:])
    if dynamic:
        content = next(dynamic[0].body.blocks_of("content"), None)
        if content is not None:
            inner = _expr_at(content.body, path[2:])
            if inner is not None:
                return inner
        return dynamic[0].body.attributes["for_each"].expr if "for_each" in dynamic[0].body.attributes else None
    return None


class _Instances(Namespace):
    """The instances of a resource with count/for_each. Indexing one records a reference to
    that instance only; using the whole collection records all of them."""

    def __init__(self, module: ModuleInstance, instances: list[Instance], keyed: str) -> None:
        self.module = module
        self.instances = instances
        self.keyed = keyed

    def index(self, key: Any) -> Any:
        if self.keyed == "count":
            try:
                i = int(to_number(key))
            except FunctionError:
                return EvalError(f"a count index must be a number, got {key!r}")
            if 0 <= i < len(self.instances):
                return self.instances[i].value()
            return EvalError(f"index {i} out of range")
        for inst in self.instances:
            if str(inst.key) == str(key):
                return inst.value()
        return EvalError(f"no instance {key!r}")

    def attr(self, name: str) -> Any:
        return EvalError(f"{self.describe()} has several instances; index it to use {name!r}")

    def elements(self) -> list[Any]:
        return [i.value() for i in self.instances]

    def describe(self) -> str:
        return self.instances[0].address.split("[", 1)[0] if self.instances else "resource"

    def materialize(self) -> Any:
        self.module.touch([i.id for i in self.instances])
        if self.keyed == "count":
            return [i.value().materialize() for i in self.instances]
        return {str(i.key): i.value().materialize() for i in self.instances}


# data sources whose output seawall computes from their arguments: (type, attribute) -> renderer
_RENDERED = {
    ("aws_iam_policy_document", "json"): "render_policy_document",
    ("aws_iam_policy_document", "minified_json"): "render_policy_document",
    ("google_iam_policy", "policy_data"): "render_google_iam_policy",
}
_RENDERED_TYPES = frozenset(rtype for rtype, _ in _RENDERED)


class _ResourceValue(Namespace):
    """What an expression sees of a resource: configured values when known, else Unknown."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def attr(self, name: str) -> Any:
        inst = self.inst
        inst.module.touch([inst.id])
        if inst.mode == "data" and (inst.type, name) in _RENDERED:
            from linter.parsers.terraform import policy_document

            attrs = inst.attrs()
            if isinstance(attrs, Unknown):
                return attrs
            renderer: Callable[[Any], Any] = getattr(policy_document, _RENDERED[(inst.type, name)])
            return renderer(attrs)
        attrs = inst.attrs()
        if isinstance(attrs, PDict) and name in attrs and not isinstance(attrs[name], Unknown):
            return attrs[name]
        return Unknown(f"{inst.address}.{name} is known only after apply", inst.id)

    def index(self, key: Any) -> Any:
        return EvalError(f"{self.inst.address} is a single resource and cannot be indexed")

    def describe(self) -> str:
        return self.inst.address

    def materialize(self) -> Any:
        self.inst.module.touch([self.inst.id])
        return Unknown(f"{self.inst.address} is known only after apply", self.inst.id)

