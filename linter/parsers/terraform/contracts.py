"""Module contracts: what a registry module creates from its inputs, for calls seawall cannot read.

Without ``terraform init`` a call such as ``module "b" { source = "terraform-aws-modules/
s3-bucket/aws"  acl = "public-read" }`` has no source to analyse. A *contract* is a data file
(``contracts/*.yaml``, checked against ``contract-schema.json``) for one module (and one
range of its versions) saying which inputs configure which settings of which resources,
under which of the module's own gates (``create_bucket``, ``attach_policy``, a rule-name map).
It is turned into a small module configuration: its inputs become variables (with the
module's defaults), its resources become resource blocks whose ``count``/``for_each`` carry
the gates and whose settings are HCL expressions. The call is then instantiated like a local
module, so the resources it becomes are judged by the same rules; :func:`place` moves every
position that points into the contract to the call's argument that decided it (or the call
itself), so findings land on the argument's line, and the call chain names the contract.

A module present in ``.terraform/modules`` is analysed from its source and wins over a
contract. Users add contracts for their private modules from the folders named by
``contracts = [...]`` in the configuration; theirs win over the built-in ones for the same
module and versions.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from msgspec import Struct, field

from linter.model import Evidence, InputError, Span
from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.evaluate import sub_expressions
from linter.parsers.terraform.config import ModuleConfig
from linter.values import JsonString, PDict, PList, display

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contracts")

Version = tuple[int, int, int]
# (lowest, lowest included, highest, highest included); None is unbounded
Interval = tuple[Version | None, bool, Version | None, bool]


class ContractError(Exception):
    def __init__(self, file: str, line: int, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line
        self.where = where
        self.message = message

    def input_error(self) -> InputError:
        field_text = f"module contract, field {self.where}: " if self.where else "module contract: "
        return InputError(self.file, self.line, 1, field_text + self.message, "parse")


# --------------------------------------------------------------------------- versions


def parse_version(text: str) -> Version | None:
    m = re.fullmatch(r"\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?\s*", text)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def constraint_interval(text: str) -> Interval | None:
    """The versions a Terraform version constraint allows, as one interval (``!=`` is
    ignored: it removes single versions). None when the text is not a constraint."""
    lo: Version | None = None
    lo_in = True
    hi: Version | None = None
    hi_in = True

    def raise_lo(v: Version, inclusive: bool) -> None:
        nonlocal lo, lo_in
        if lo is None or v > lo or (v == lo and not inclusive):
            lo, lo_in = v, inclusive

    def lower_hi(v: Version, inclusive: bool) -> None:
        nonlocal hi, hi_in
        if hi is None or v < hi or (v == hi and not inclusive):
            hi, hi_in = v, inclusive

    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    for part in parts:
        m = re.fullmatch(r"(~>|>=|<=|!=|=|>|<)?\s*(.+)", part)
        if m is None:
            return None
        op, rest = m.group(1) or "=", m.group(2)
        version = parse_version(rest)
        if version is None:
            return None
        if op == "=":
            raise_lo(version, True)
            lower_hi(version, True)
        elif op == ">=":
            raise_lo(version, True)
        elif op == ">":
            raise_lo(version, False)
        elif op == "<=":
            lower_hi(version, True)
        elif op == "<":
            lower_hi(version, False)
        elif op == "~>":
            raise_lo(version, True)
            given = len(re.findall(r"\d+", rest.split("-")[0].split("+")[0]))
            if given <= 2:  # ~> 1.2 allows 1.x from 1.2; ~> 1 allows 1.x
                lower_hi((version[0] + 1, 0, 0), False)
            else:  # ~> 1.2.3 allows 1.2.x from 1.2.3
                lower_hi((version[0], version[1] + 1, 0), False)
    return lo, lo_in, hi, hi_in


def _overlap(a: Interval, b: Interval) -> bool:
    """Whether two intervals share a version."""
    los = [(v, inc) for v, inc in ((a[0], a[1]), (b[0], b[1])) if v is not None]
    his = [(v, inc) for v, inc in ((a[2], a[3]), (b[2], b[3])) if v is not None]
    if not los or not his:
        return True
    lo = max(los, key=lambda p: (p[0], not p[1]))  # at the same version, excluding is stricter
    hi = min(his, key=lambda p: (p[0], p[1]))
    return lo[0] < hi[0] or (lo[0] == hi[0] and lo[1] and hi[1])


# --------------------------------------------------------------------------- sources


class SourceAddress(Struct, frozen=True):
    """A module call's ``source``, normalised to the key contracts are found by."""

    key: str  # "terraform-aws-modules/s3-bucket/aws" or "github.com/owner/repo" (lower case)
    subdirectory: str  # "" or "modules/ssh"
    ref: str | None  # a git ref (?ref=v4.1.0)


def parse_source(source: str) -> SourceAddress | None:
    """A remote module source as a registry address or a repository, with its subdirectory
    and git ref; None for sources a contract cannot describe (archives, buckets, local)."""
    text = source.strip()
    ref = None
    if "?" in text:
        text, query = text.split("?", 1)
        m = re.search(r"(?:^|&)ref=([^&]+)", query)
        ref = m.group(1) if m else None
    if text.startswith("git::"):
        text = text[5:]
    text = re.sub(r"^[a-z0-9+]+://", "", text)  # https://, ssh://
    text = re.sub(r"^git@([^:/]+)[:/]", r"\1/", text)
    # the subdirectory follows "//" once any scheme is gone
    sub = ""
    if "//" in text:
        text, sub = text.split("//", 1)
    text = text.rstrip("/")
    if text.endswith(".git"):
        text = text[:-4]
    parts = text.split("/")
    if len(parts) == 4 and "." in parts[0] and parts[0] not in ("github.com", "gitlab.com", "bitbucket.org", "dev.azure.com"):
        parts = parts[1:]  # <host>/<namespace>/<name>/<provider>: a public or private registry
    if not all(parts) or any(p in (".", "..") for p in parts):
        return None
    if len(parts) == 3 and "." not in parts[0]:
        return SourceAddress("/".join(parts).lower(), sub.strip("/"), ref)
    if len(parts) == 3 and parts[0] in ("github.com", "gitlab.com", "bitbucket.org", "dev.azure.com"):
        return SourceAddress("/".join(parts).lower(), sub.strip("/"), ref)
    return None


# --------------------------------------------------------------------------- contracts


class Contract(Struct):
    """One contract file: the module and versions it describes, and its stand-in configuration."""

    file: str
    module: str
    subdirectory: str
    versions: str
    interval: Interval
    reference: str
    keys: frozenset[str]  # the source keys that mean this module
    config: ModuleConfig
    defaults: dict[str, Any]  # input -> the module's default
    required: frozenset[str]
    wrappers: dict[str, dict[str, Any]] = field(default_factory=dict)
    builtin: bool = True

    def label(self, subdirectory: str = "") -> str:
        sub = subdirectory or self.subdirectory
        return f"{self.module}{'//' + sub if sub else ''} {self.versions}"

    def describes(self, subdirectory: str) -> bool:
        return subdirectory == self.subdirectory or subdirectory in self.wrappers

    def defaults_for(self, subdirectory: str) -> dict[str, Any]:
        if subdirectory and subdirectory != self.subdirectory:
            return {**self.defaults, **self.wrappers[subdirectory]}
        return self.defaults


class ContractSet(Struct):
    """The contracts of a scan (built-in and ``--contracts`` folders), read when first needed."""

    contracts: list[Contract] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    # built-in contract files not read yet (``load_contracts(lazy=True)``): read at the
    # first look-up, so a scan with no registry module call never reads them
    pending: list[str] = field(default_factory=list)

    def all(self) -> list[Contract]:
        """Every contract, reading the pending built-in ones first if need be."""
        if self.pending:
            files, self.pending = self.pending, []
            builtin: list[Contract] = []
            for path in files:
                loaded = load_contract_file(path, True)
                if isinstance(loaded, ContractError):
                    self.errors.append(loaded.input_error())
                else:
                    builtin.append(loaded)
            self.contracts[:0] = builtin  # in the order an eager load gives: built-in first
        return self.contracts

    def describes(self, source: str) -> bool:
        """Whether some contract describes this source, at any version."""
        address = parse_source(source)
        return address is not None and any(address.key in c.keys and c.describes(address.subdirectory) for c in self.all())

    def find(self, source: str, version: str | None) -> tuple[Contract, str] | None:
        """The contract describing this source at this version constraint (the newest range
        the constraint allows; users' contracts first), and the subdirectory called."""
        address = parse_source(source)
        if address is None:
            return None
        wanted: Interval | None = None
        if version:
            wanted = constraint_interval(version)
        elif address.ref:
            exact = parse_version(address.ref)
            wanted = (exact, True, exact, True) if exact is not None else None
        matches = [c for c in self.all() if address.key in c.keys and c.describes(address.subdirectory)]
        if wanted is not None:
            matches = [c for c in matches if _overlap(c.interval, wanted)]
        if not matches:
            return None
        newest = max(matches, key=lambda c: (not c.builtin, c.interval[2] or (10**9, 0, 0), c.interval[0] or (-1, -1, -1)))
        return newest, address.subdirectory


_SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract-schema.json")


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    with open(_SCHEMA_FILE, encoding="utf-8") as fh:
        return jsonschema.Draft202012Validator(json.load(fh))


# parsed contract files by path, size and modification time (the language server reads
# them again when they change)
_LOADED: dict[str, tuple[int, int, Contract | ContractError]] = {}


def contract_files(directory: str) -> list[str]:
    return [os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith((".yaml", ".yml"))]


def load_contracts(user_dirs: Iterable[str] = (), builtin: bool = True, lazy: bool = False) -> ContractSet:
    """The built-in contracts and those of ``user_dirs`` (read now, so a broken one is
    reported whatever the scan calls); with ``lazy`` the built-in ones are read at the
    first look-up."""
    out = ContractSet()
    sources: list[tuple[str, bool]] = []
    if builtin and lazy:
        out.pending = contract_files(BUILTIN_DIR)
    elif builtin:
        sources.extend((f, True) for f in contract_files(BUILTIN_DIR))
    for d in user_dirs:
        try:
            sources.extend((f, False) for f in contract_files(d))
        except OSError as exc:
            out.errors.append(InputError(d, 1, 1, f"cannot read the contracts folder: {exc.strerror or exc}", "read"))
    for path, is_builtin in sources:
        loaded = load_contract_file(path, is_builtin)
        if isinstance(loaded, ContractError):
            out.errors.append(loaded.input_error())
        else:
            out.contracts.append(loaded)
    return out


def load_contract_file(path: str, builtin: bool = False) -> Contract | ContractError:
    try:
        st = os.stat(path)
    except OSError as exc:
        return ContractError(path, 1, "", f"cannot read: {exc.strerror or exc}")
    known = _LOADED.get(path)
    if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
        return known[2]
    try:
        result: Contract | ContractError = _load(path, builtin)
    except ContractError as exc:
        result = exc
    _LOADED[path] = (st.st_size, st.st_mtime_ns, result)
    return result


def _read(path: str) -> PDict:
    import yaml

    from linter.positioned import Converter
    from linter.sources import SourceError, read_source
    from linter.yamlsafe import SafeLoader, YamlBudgetError, check_node_budget, describe_yaml_error

    try:
        text = read_source(path)
    except SourceError as exc:
        raise ContractError(path, 1, "", exc.message) from None
    try:
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            raise ContractError(path, 1, "", "the file is empty")
        check_node_budget(node, text)
        data = Converter(path).convert(node)
    except YamlBudgetError as exc:
        raise ContractError(path, exc.line, "", str(exc)) from None
    except yaml.YAMLError as exc:
        line, _, message = describe_yaml_error(exc)
        raise ContractError(path, line, "", message) from None
    if not isinstance(data, PDict):
        raise ContractError(path, 1, "", "a contract file holds a mapping")
    return data


def _field(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def _line_at(data: Any, parts: list[Any]) -> int:
    node, line = data, 1
    for p in parts:
        spans = getattr(node, "spans", None)
        if isinstance(node, dict) and p in node:
            if spans and p in spans:
                line = spans[p].line
            node = node[p]
        elif isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node):
            if spans and p < len(spans):
                line = spans[p].line
            node = node[p]
        else:
            break
    return line


def _load(path: str, builtin: bool) -> Contract:
    data = _read(path)
    errors = sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        best = errors[0]
        while best.context:
            best = sorted(best.context, key=lambda e: -len(list(e.absolute_path)))[0]
        parts = list(best.absolute_path) or list(errors[0].absolute_path)
        raise ContractError(path, _line_at(data, parts), _field(parts), best.message)
    interval = constraint_interval(data["versions"])
    if interval is None:
        raise ContractError(path, _line_at(data, ["versions"]), "versions", f"not a Terraform version constraint: {data['versions']!r}")
    module = str(data["module"])
    namespace, name, provider = module.split("/")
    keys = {module.lower(), f"github.com/{namespace}/terraform-{provider}-{name}".lower()}
    keys.update(str(k).lower().rstrip("/").removesuffix(".git") for k in data.get("sources", []))
    defaults = dict(data.get("inputs") or {})
    required = frozenset(data.get("required") or [])
    wrappers = {str(k).strip("/"): dict(v["inputs"]) for k, v in (data.get("wrappers") or {}).items()}
    names = set(defaults) | set(required) | {n for w in wrappers.values() for n in w}
    config = _config(path, data, names)
    return Contract(
        file=path,
        module=module,
        subdirectory=str(data.get("subdirectory", "")).strip("/"),
        versions=str(data["versions"]),
        interval=interval,
        reference=str(data["reference"]),
        keys=frozenset(keys),
        config=config,
        defaults=defaults,
        required=required,
        wrappers=wrappers,
        builtin=builtin,
    )


def _expr(path: str, holder: PDict, key: str, where: str) -> s.Expr:
    """The expression written at ``holder[key]`` (HCL text, or a literal), positioned there."""
    span = holder.spans.get(key) or holder.span or Span(path, 1)
    value = holder[key]
    if not isinstance(value, str):
        return s.Literal(value, span)
    try:
        return s.parse_expression(value, path, span.line, span.column)
    except s.HclSyntaxError as exc:
        raise ContractError(path, span.line, where, f"not an HCL expression: {exc.message}") from None


def _config(path: str, data: PDict, inputs: set[str]) -> ModuleConfig:
    config = ModuleConfig(dir=path)
    top = data.span or Span(path, 1)
    types = data.get("types") or PDict()
    for name in sorted(inputs | set(types)):
        body = s.Body()
        if name in types:
            body.attributes["type"] = s.Attribute("type", _expr(path, types, name, f"types.{name}"), types.spans.get(name, top))
        config.variables[name] = s.Block("variable", [name], body, top, top)
    for name, value in (data.get("tables") or {}).items():
        tables = data["tables"]
        config.locals[name] = s.Attribute(name, s.Literal(value, tables.spans.get(name, top)), tables.spans.get(name, top))
    locals_ = data.get("locals") or PDict()
    for name in locals_:
        if name in config.locals:
            raise ContractError(path, locals_.spans[name].line, f"locals.{name}", "is also a table")
        config.locals[name] = s.Attribute(name, _expr(path, locals_, name, f"locals.{name}"), locals_.spans.get(name, top))
    outputs = data.get("outputs") or PDict()
    for name in outputs:
        span = outputs.spans.get(name, top)
        body = s.Body({"value": s.Attribute("value", _expr(path, outputs, name, f"outputs.{name}"), span)})
        config.outputs[name] = s.Block("output", [name], body, span, span)
    resources: PDict = data["resources"]
    for address, spec in resources.items():
        where = f"resources.{address}"
        span = resources.spans.get(address, top)
        mode = "data" if address.startswith("data.") else "managed"
        rtype, name = address.removeprefix("data.").split(".", 1)
        attrs: dict[str, s.Attribute] = {}
        gate = _expr(path, spec, "when", f"{where}.when") if "when" in spec else None
        for meta in ("count", "for_each"):
            if meta in spec:
                expansion = _expr(path, spec, meta, f"{where}.{meta}")
                if gate is not None:
                    empty: s.Expr = s.Literal(0, span) if meta == "count" else s.ObjectExpr([], span)
                    expansion = s.Conditional(gate, expansion, empty, expansion.span)
                attrs[meta] = s.Attribute(meta, expansion, spec.spans.get(meta, span))
        if gate is not None and not attrs:
            attrs["count"] = s.Attribute("count", s.Conditional(gate, s.Literal(1, span), s.Literal(0, span), gate.span), spec.spans.get("when", span))
        settings: PDict = spec["settings"]
        for setting in settings:
            attrs[setting] = s.Attribute(setting, _expr(path, settings, setting, f"{where}.settings.{setting}"), settings.spans.get(setting, span))
        block = s.Block("resource" if mode == "managed" else "data", [rtype, name], s.Body(attrs), span, span)
        table = config.resources if mode == "managed" else config.data
        table[f"{rtype}.{name}"] = block
        if mode == "managed":
            config.resource_types.add(rtype)
    return config


# --------------------------------------------------------------------------- placing findings


def default_origin(name: str, value: Any, contract: Contract, subdirectory: str, call: str, header: Span) -> Evidence:
    """Where an input the call does not set gets its value: the module's default."""
    return Evidence(f"var.{name} = {display(value)} (not set in {call}: the default of {contract.label(subdirectory)})", header, "default")


def contract_evidence(call: str, source: str, contract: Contract, subdirectory: str) -> Evidence:
    where = "seawall's built-in contract" if contract.builtin else f"the contract {contract.file}"
    return Evidence(
        f"{call} (source {source!r}) is not downloaded: what it creates is read from {where} for {contract.label(subdirectory)} "
        f"(which inputs configure which settings, under which of the module's gates; {contract.reference})"
    )


def argument_span(module: Any, inst: Any, expr: s.Expr, contract_file: str, depth: int = 0) -> Span | None:
    """Where the value of a contract setting was decided by the call: the entry of an argument's
    value it reads (an element of a list, a key of an object), else the first argument it
    uses; None when it uses no argument (it is the module's own default)."""
    argument: Span | None = None
    stack: list[s.Expr] = [expr]
    while stack:
        node = stack.pop()
        found = _positioned_entry(module, inst, node, contract_file)
        if found is not None:
            return found
        if isinstance(node, s.GetAttr) and isinstance(node.obj, s.Variable):
            if node.obj.name == "var" and argument is None:
                given = module.var_value(node.name)
                origin = given.origin if given is not None else None
                if origin is not None and origin.origin == "set" and origin.span is not None and origin.span.file != contract_file:
                    argument = origin.span
            elif node.obj.name == "local" and depth < 4 and node.name in module.config.locals:
                inner = argument_span(module, inst, module.config.locals[node.name].expr, contract_file, depth + 1)
                if inner is not None and argument is None:
                    argument = inner
        stack.extend(reversed(sub_expressions(node)))
    return argument


def _positioned_entry(module: Any, inst: Any, node: s.Expr, contract_file: str) -> Span | None:
    """``X[k]``, ``X.k`` or ``lookup(X, "k", ...)`` where X is a value the call wrote (with
    positions outside the contract): the span of that entry."""
    if isinstance(node, s.Index):
        obj, key_expr = node.obj, node.key
    elif isinstance(node, s.GetAttr) and not (isinstance(node.obj, s.Variable) and node.obj.name in ("var", "local", "each", "count")):
        obj, key_expr = node.obj, s.Literal(node.name, node.span)
    elif isinstance(node, s.Call) and node.name == "lookup" and len(node.args) >= 2:
        obj, key_expr = node.args[0], node.args[1]
    else:
        return None
    container, _ = module.record(lambda: module.evaluator.eval(obj, inst.env))
    if not isinstance(container, (PDict, PList)):
        return None
    key, _ = module.record(lambda: module.evaluator.eval(key_expr, inst.env))
    span = None
    if isinstance(container, PDict) and isinstance(key, str):
        span = container.spans.get(key)
    elif isinstance(container, PList) and isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(container.spans):
        span = container.spans[key]
    return span if span is not None and span.file != contract_file else None


def respan(value: Any, contract_file: str, span: Span, depth: int = 0) -> Any:
    """``value`` with every position inside the contract moved to ``span`` (containers are
    copied when they change: contract tables are shared by every call)."""
    if depth > 64:
        return value
    if isinstance(value, JsonString):
        decoded = respan(value.decoded, contract_file, span, depth + 1)
        return value if decoded is value.decoded else JsonString(str(value), decoded)
    if isinstance(value, PDict):
        items = {k: respan(v, contract_file, span, depth + 1) for k, v in value.items()}
        own = span if value.span is not None and value.span.file == contract_file else value.span
        spans = {k: (span if v is not None and v.file == contract_file else v) for k, v in value.spans.items()}
        if own is value.span and spans == value.spans and all(items[k] is value[k] for k in value):
            return value
        out = PDict(items, span=own)
        out.spans = spans
        out.via_variable = value.via_variable
        return out
    if isinstance(value, PList):
        items_l = [respan(v, contract_file, span, depth + 1) for v in value]
        own = span if value.span is not None and value.span.file == contract_file else value.span
        spans_l = [span if v is not None and v.file == contract_file else v for v in value.spans]
        if own is value.span and spans_l == value.spans and all(a is b for a, b in zip(items_l, value)):
            return value
        return PList(items_l, span=own, spans=spans_l, via_variable=value.via_variable)
    if isinstance(value, list):  # a for expression's result: no positions of its own, its entries may have
        plain = [respan(v, contract_file, span, depth + 1) for v in value]
        return value if all(a is b for a, b in zip(plain, value)) else plain
    if isinstance(value, dict):
        mapped = {k: respan(v, contract_file, span, depth + 1) for k, v in value.items()}
        return value if all(mapped[k] is value[k] for k in value) else mapped
    return value


def place(module: Any, inst: Any, attrs: PDict, header: Span, block_span: Span) -> PDict:
    """The attributes of a resource a contract made, with every position in the contract
    moved to the call: each top-level setting to the argument (entry) that decided it, or
    the call's header when the module's default did."""
    contract_file = module.config.dir
    out = PDict(span=block_span)
    body = inst.block.body
    for name, value in attrs.items():
        attr = body.attributes.get(name)
        decided = argument_span(module, inst, attr.expr, contract_file) if attr is not None else None
        where = decided or header
        out[name] = respan(value, contract_file, where)
        own = attrs.spans.get(name)
        out.spans[name] = where if own is None or own.file == contract_file else own
    return out


def outside(contract_file: str, fn: Callable[[Any], list[Evidence]]) -> Callable[[Any], list[Evidence]]:
    """A resource's ``origins`` without the steps inside the contract (its own locals)."""

    def origins(path: Any) -> list[Evidence]:
        return [e for e in fn(path) if e.span is None or e.span.file != contract_file]

    return origins
