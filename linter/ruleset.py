"""Rules are data: ``rules/<id>.yaml``, checked against ``rule-schema.json`` when loaded.

A rule names what it finds in each format it covers (``match.terraform``,
``match.cloudformation``, ``match.kubernetes``): the resource types it judges, the types
it consults by role (``related``), and a condition (``when``). A rule whose logic needs the
graph names a check from the library (``check: <name>`` with ``params``, validated
against the check's schema; see linter/checks/). A true one-off says ``check: python``,
gives the reason it cannot be data (``why``), and has a companion module
``rules/<id_with_underscores>.py`` with ``check(graph, rule)``. Only the built-in rules may
have companions: users' rule directories hold YAML alone, so a rule directory found in a
scanned repository can never run code.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from linter.conditions import Condition, ConditionError, compile_condition, deferred_condition
from linter.model import Severity

FORMATS = ("terraform", "cloudformation", "kubernetes")


class RuleError(Exception):
    """A rule file that cannot be used; the message names the file and the field."""

    def __init__(self, file: str, field_path: str, message: str) -> None:
        where = f"{file}: {field_path}: " if field_path else f"{file}: "
        super().__init__(where + message)
        self.file = file
        self.field = field_path


class Clause(Struct, frozen=True):
    """One ``match`` entry: the types of one format a rule judges, how (``when``, params),
    and what it consults (``related``). A format may have several clauses when its resource
    types write the same thing in different shapes (a group's inline rules, a rule resource)."""

    format: str
    types: tuple[str, ...]
    when: Condition | None
    # role -> resource types the check consults (a firewall rule's server, a bucket's policy)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the rule's params merged with this format's params
    params: dict[str, Any] = field(default_factory=dict)

    def all_types(self) -> set[str]:
        return set(self.types).union(*self.related.values()) if self.related else set(self.types)


class FixSpec(Struct, frozen=True):
    """A safe fix: set the reported attribute (one of ``attributes``) to ``value``."""

    attributes: tuple[str, ...]
    value: Any
    title: str


class RuleBody(Struct, frozen=True):
    """What a rule judges (its clauses), its docs and its fixes: the part of a rule read
    from the cache that stays pickled until first used."""

    clauses: list[Clause]
    description: str
    remediation: str
    references: tuple[str, ...]
    fixes: dict[str, FixSpec] = field(default_factory=dict)


class Rule(Struct):
    """One rule file, parsed: what it judges (clauses), how it ranks, its docs and fixes."""

    id: str
    title: str
    severity: Severity
    # the clauses, docs and fixes, or their pickle: a rule read from the cache
    # (``load_rules``) keeps its body pickled until first used, so a scan unpickles the
    # bodies of the rules whose types it meets only
    body: RuleBody | bytes
    # the types the rule judges: what must be present for it to run
    types: frozenset[str]
    message: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    provider: str = ""
    source: str = ""
    builtin: bool = True
    # the named check (linter/checks/), "python" for a one-off, None for a condition alone
    check: str | None = None
    companion: Callable[..., Iterable[Any]] | None = None
    # (condition on the resource, severity): the first that holds decides the severity
    severity_by: tuple[tuple[Condition, Severity], ...] = ()
    # "posture" for rules about a guard or a step away from exposure, "conditional" for
    # rules whose exposure depends on something they cannot read; "" otherwise (decided per
    # finding); with the sentence that says why, for every finding of the rule
    verdict: str = ""
    verdict_reason: str = ""
    # rules whose exposure findings (not posture) make this rule's finding on the same
    # exposed resource redundant (a posture rule yields to the rules of the exposure it guards)
    yields_to: tuple[str, ...] = ()
    # sha256 of the rule file's bytes, taken when it was read (units' cache keys include
    # it: a start-up with the rules cached reads no rule file); "" when not read from a file
    digest: str = ""

    def unpacked(self) -> RuleBody:
        """The body, unpickled the first time it is asked for."""
        body = self.body
        if isinstance(body, bytes):
            body = self.body = pickle.loads(body)
        return body

    def packed(self) -> Rule:
        """This rule with its body pickled (what the cache holds)."""
        body = self.body
        return replace(self, body=body if isinstance(body, bytes) else pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL))

    @property
    def clauses(self) -> list[Clause]:
        return self.unpacked().clauses

    @property
    def description(self) -> str:
        return self.unpacked().description

    @property
    def remediation(self) -> str:
        return self.unpacked().remediation

    @property
    def references(self) -> tuple[str, ...]:
        return self.unpacked().references

    @property
    def fixes(self) -> dict[str, FixSpec]:
        return self.unpacked().fixes

    @property
    def formats(self) -> tuple[str, ...]:
        present = {c.format for c in self.clauses}
        return tuple(f for f in FORMATS if f in present)

    def prepare(self) -> None:
        """Compile what is compiled when first used (a cached rule file's conditions)."""
        for clause in self.clauses:
            if clause.when is not None:
                clause.when.prepare()
        for condition, _severity in self.severity_by:
            condition.prepare()


class RuleSet(Struct):
    """The rules of a run, by id and alias."""

    rules: list[Rule]
    # rules not chosen for this run but evaluated to decide what a chosen rule yields to
    # (``yields_to``); their own findings are never reported
    deciding: list[Rule] = field(default_factory=list)
    # id and alias -> rule (derived from ``rules``)
    by_id: dict[str, Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {r.id: r for r in self.rules}
        for r in self.rules:
            for alias in r.aliases:
                self.by_id.setdefault(alias, r)

    def get(self, rule_id: str) -> Rule | None:
        return self.by_id.get(rule_id)

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    with open(os.path.join(os.path.dirname(__file__), "rule-schema.json"), encoding="utf-8") as fh:
        schema = json.load(fh)
    return jsonschema.Draft202012Validator(schema)


def _error_path(error: Any) -> str:
    parts: list[str] = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts)


def validate_rule_data(data: Any, file: str) -> None:
    if not isinstance(data, dict):
        raise RuleError(file, "", "a rule file must hold a mapping")
    errors = sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        first = errors[0]
        best = first
        # a oneOf/anyOf failure is clearer through its most specific sub-error
        while best.context:
            best = sorted(best.context, key=lambda e: -len(list(e.absolute_path)))[0]
        raise RuleError(file, _error_path(best) or _error_path(first), best.message)


class _Companion:
    """A rule's Python check, imported the first time the rule has something to look at."""

    def __init__(self, module_name: str, file: str) -> None:
        self.module_name = module_name
        self.file = file
        self._fn: Callable[..., Iterable[Any]] | None = None

    def __call__(self, graph: Any, rule: Rule) -> Iterable[Any]:
        if self._fn is None:
            module = importlib.import_module(self.module_name)
            fn = getattr(module, "check", None)
            if not callable(fn):
                raise RuleError(self.file, "check", f"{self.module_name} has no check(graph, rule) function")
            self._fn = fn
        return self._fn(graph, rule)


def _types(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _check_params(file: str, name: str, where: str, common: dict[str, Any], own: dict[str, Any]) -> None:
    """Validate the params a clause's check receives; the error names the field where it is written."""
    from linter import checks

    merged = {**common, **own}
    errors = sorted(checks.params_validator(name).iter_errors(merged), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    best = errors[0]
    while best.context:
        best = sorted(best.context, key=lambda e: -len(list(e.absolute_path)))[0]
    path = list(best.absolute_path)
    key = path[0] if path else None
    base = f"{where}.params" if key is not None and key in own else "params"
    if key is None:
        # a missing or unexpected key: say which clause's merged params it concerns
        base = f"params (for {where})" if own else "params"
    rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    raise RuleError(file, base + rest, f"check {name}: {best.message}")


def parse_rule(data: Any, file: str, builtin: bool, validated: bool = False) -> Rule:
    if not validated:
        validate_rule_data(data, file)
    stem = os.path.splitext(os.path.basename(file))[0]
    if data["id"] != stem:
        raise RuleError(file, "id", f"the id {data['id']!r} must equal the file name {stem!r}")
    check_name: str | None = data.get("check")
    common: dict[str, Any] = dict(data.get("params") or {})
    if check_name not in (None, "python"):
        from linter import checks

        # a cached rule file was checked when it was cached (the cache is per seawall
        # version); not asking spares a small scan importing every check module
        if not validated and checks.get(check_name) is None:
            known = ", ".join(sorted(checks.registry()))
            raise RuleError(file, "check", f"unknown check {check_name!r} (the library has: {known})")
    elif common:
        raise RuleError(file, "params", "params are given to a named check; this rule names none")
    # a cached rule file compiled once already: its conditions are compiled when first used
    condition = deferred_condition if validated else compile_condition
    clauses: list[Clause] = []
    for fmt, entry in data["match"].items():
        listed = isinstance(entry, list)
        for i, clause in enumerate(entry if listed else [entry]):
            where = f"match.{fmt}[{i}]" if listed else f"match.{fmt}"
            when = None
            if "when" in clause:
                try:
                    when = condition(clause["when"], f"{where}.when")
                except ConditionError as exc:
                    raise RuleError(file, "", str(exc)) from None
            own = dict(clause.get("params") or {})
            if check_name not in (None, "python") and not validated:
                _check_params(file, check_name, where, common, own)
            elif own and check_name in (None, "python"):
                raise RuleError(file, f"{where}.params", "params are given to a named check; this rule names none")
            related = {role: _types(types) for role, types in (clause.get("related") or {}).items()}
            clauses.append(Clause(fmt, _types(clause["type"]), when, related, {**common, **own}))
    companion = None
    if check_name == "python":
        if not builtin:
            raise RuleError(file, "check", "python checks are only allowed in seawall's built-in rules")
        module_name = "linter.rules." + stem.replace("-", "_")
        if importlib.util.find_spec(module_name) is None:
            raise RuleError(file, "check", f"companion module {module_name} not found")
        companion = _Companion(module_name, file)
    elif check_name is None:
        missing = [c.format for c in clauses if c.when is None]
        if missing:
            raise RuleError(file, f"match.{missing[0]}.when", "a rule without a check needs a condition")
    severity_by = []
    for i, entry in enumerate(data.get("severity_by", ())):
        try:
            severity_by.append((condition(entry["when"], f"severity_by[{i}].when"), Severity.parse(entry["severity"])))
        except ConditionError as exc:
            raise RuleError(file, "", str(exc)) from None
    return Rule(
        verdict=str(data.get("verdict", "")),
        verdict_reason=str(data.get("verdict_reason", "")).strip(),
        yields_to=tuple(data.get("yields_to", ())),
        severity_by=tuple(severity_by),
        id=data["id"],
        title=data["title"],
        severity=Severity.parse(data["severity"]),
        body=RuleBody(
            clauses=clauses,
            description=data["description"].strip(),
            remediation=data["remediation"].strip(),
            references=tuple(data["references"]),
            fixes={
                fmt: FixSpec(
                    (spec["attribute"],) if isinstance(spec["attribute"], str) else tuple(spec["attribute"]),
                    spec["value"],
                    spec.get("title", ""),
                )
                for fmt, spec in data.get("fix", {}).items()
            },
        ),
        types=frozenset(t for c in clauses for t in c.types),
        message=data.get("message", ""),
        tags=tuple(data.get("tags", ())),
        aliases=tuple(data.get("aliases", ())),
        provider=data.get("provider", ""),
        source=file,
        builtin=builtin,
        check=check_name,
        companion=companion,
    )


def read_rule_data(path: str) -> Any:
    """A rule file's data, refusing alias bombs and keys written twice in one mapping (YAML
    would keep the last one silently, so half of what the author wrote would be ignored)."""
    import yaml

    from linter.positioned import Converter
    from linter.yamlsafe import SafeLoader, check_node_budget, describe_yaml_error

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_node_budget(node, text)
            converter = Converter(path)
            converter.convert(node)  # for its duplicate keys; the data stays plain (cached, pickled)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except OSError as exc:
        raise RuleError(path, "", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        line, _col, problem = describe_yaml_error(exc)
        raise RuleError(path, f"line {line}", problem) from None
    for dup in converter.duplicates:
        raise RuleError(path, f"line {dup.span.line}", f"key {dup.key!r} is written twice in one mapping; YAML keeps only the last one")
    return data


def load_rule_file(path: str, builtin: bool) -> Rule:
    return parse_rule(read_rule_data(path), path, builtin)


def builtin_dir() -> str:
    """Where the built-in rules are: ``rules/`` in a checkout, ``linter/rules`` in a wheel."""
    try:
        import linter.rules
    except ModuleNotFoundError:
        # a checkout run without installing (PYTHONPATH=. python -m linter): the top-level
        # rules/ becomes the linter.rules package, so companion modules import as installed
        directory = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rules")
        spec = importlib.util.spec_from_file_location("linter.rules", os.path.join(directory, "__init__.py"), submodule_search_locations=[directory])
        if spec is None or spec.loader is None:
            return directory
        module = importlib.util.module_from_spec(spec)
        sys.modules["linter.rules"] = module
        spec.loader.exec_module(module)
        return directory
    return os.path.dirname(os.path.abspath(linter.rules.__file__))


def rule_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise RuleError(directory, "", f"cannot read rule directory: {exc.strerror or exc}") from None
    return [os.path.join(directory, n) for n in names if n.endswith((".yaml", ".yml"))]


def _file_digest(path: str) -> str:
    import hashlib

    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return ""


def load_rules(extra_dirs: Iterable[str] = (), builtin: bool = True) -> RuleSet:
    rules: list[Rule] = []
    sources: list[tuple[str, bool]] = []
    if builtin:
        sources.extend((f, True) for f in rule_files(builtin_dir()))
    for d in extra_dirs:
        sources.extend((f, False) for f in rule_files(d))
    # rule files already read, checked against the schema and parsed, by path, size and
    # mtime: each entry is the Rule with its body pickled (``Rule.packed``), so a start-up
    # neither builds the catalogue again nor unpickles the clauses of rules the scan never
    # meets. The cache directory is per seawall code (``cache._versions``), so a pickled
    # Rule always has the shape of the running code.
    from linter.cache import current

    cache = current()
    known: dict[str, tuple[int, int, bool, Rule]] = cache.get_blob("rules") or {}
    # only the rule files of this run are kept: folders used once (a test's, a user's
    # temporary rules) must not grow the blob every later run reads
    kept: dict[str, tuple[int, int, bool, Rule]] = {}
    changed = False
    seen: dict[str, str] = {}
    for path, is_builtin in sources:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise RuleError(path, "", f"cannot read: {exc.strerror or exc}") from None
        entry = known.get(path)
        if entry is not None and entry[:3] == (st.st_mtime_ns, st.st_size, is_builtin) and isinstance(entry[3], Rule):
            rule = entry[3]
            kept[path] = entry  # written back (below) before anything unpickles a body
        else:
            data = read_rule_data(path)
            rule = parse_rule(data, path, is_builtin)
            rule.digest = _file_digest(path)
            # what is cached is parsed again as a cached file is (a compiled condition's
            # closures do not pickle; a deferred one does)
            stored = parse_rule(data, path, is_builtin, validated=True)
            stored.digest = rule.digest
            kept[path] = (st.st_mtime_ns, st.st_size, is_builtin, stored.packed())
            changed = True
        for name in (rule.id, *rule.aliases):
            if name in seen:
                raise RuleError(path, "id", f"the id {name!r} is already used by {seen[name]}")
            seen[name] = path
        rules.append(rule)
    if changed or len(kept) != len(known):
        cache.put_blob("rules", kept)
    return RuleSet(rules)
