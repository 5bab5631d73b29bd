"""The whole flow: discover -> parse -> graph -> rules -> findings.

``run(config)`` is what the command line, the language server and the tests call; it
never prints and never exits.
"""

from __future__ import annotations

import gc
import os
import re

from msgspec.structs import replace

from linter.baseline import apply_baseline
from linter.cache import Cache
from linter.cache import current as current_cache
from linter.cache import use as use_cache
from linter.config import RunConfig
from linter.discover import Inventory, classify_document, discover, path_matches
from linter.evaluation import SEVERITY_TABLE
from linter.graph import ResourceGraph
from linter.internal import set_debug
from linter.model import Evidence, Finding, InputError, Note, Path, ScanResult
from linter.parallel import run_units
from linter.parsers.base import ParseOutput
from linter.progress import current as progress
from linter.redact import redact
from linter.ruleset import RuleSet, load_rules
from linter.sensitivity import SensitivityPolicy
from linter.sources import SourceError, set_overrides, source_problem
from linter.suppress import META_RULE, Directive, Intent, SuppressionPolicy, apply_intent, apply_suppressions, known_rule_ids
from linter.units import Context, Part, kubernetes_parts, load_parts, manifests_read_by_terraform, planning_facts, scan_digest, terraform_groups


def select_rules(rules: RuleSet, config: RunConfig) -> RuleSet:
    chosen = [r for r in rules if not config.select or r.id in config.select or set(r.aliases) & set(config.select)]
    chosen = [r for r in chosen if r.id not in config.ignore and not set(r.aliases) & set(config.ignore)]
    ids = {r.id for r in chosen}
    deciding = {t: rules.by_id[t] for r in chosen for t in r.yields_to if t not in ids and t in rules.by_id}
    return RuleSet(chosen, list(deciding.values()))


def plan_inputs(config: RunConfig) -> tuple[list[Part], Inventory, ParseOutput]:
    """Discover and classify the inputs and split them into independent parts
    (``linter/units.py``); the output holds what discovery and classification found."""
    overrides = {os.path.normpath(k): v for k, v in config.overrides.items()}
    config.overrides = overrides
    set_overrides(overrides)
    inventory = discover(config.paths, overrides, config.exclude)
    out = ParseOutput()
    out.errors.extend(inventory.errors)
    out.notes.extend(inventory.notes)
    kinds: dict[str, str | None] = {}
    for doc in inventory.documents:
        try:
            kinds[doc] = classify_document(doc, overrides[doc][:65536] if doc in overrides else None)
        except SourceError as exc:  # unreadable: it may be infrastructure, so it is not skipped silently
            kinds[doc] = None
            out.errors.append(source_problem(doc, exc))
    plans = [doc for doc, kind in kinds.items() if kind == "terraform-plan"]
    states = [doc for doc, kind in kinds.items() if kind == "terraform-state"]
    plan_sources = {plan: _plan_source(plan, config) for plan in plans + states}
    # a directory whose plan is scanned is analysed through the plan's resolved values; a
    # state is what is deployed now, and its source what will be: both are judged
    superseded = {os.path.normpath(d) for p, d in plan_sources.items() if d and p in plans}
    terraform_dirs = {d: root for d, root in inventory.terraform_dirs.items() if os.path.normpath(d) not in superseded}
    by_root: dict[str, list[str]] = {}
    for directory, root in sorted(terraform_dirs.items()):
        by_root.setdefault(root, []).append(directory)
    templates = [doc for doc, kind in kinds.items() if kind == "cloudformation"]
    manifests = [doc for doc, kind in kinds.items() if kind == "kubernetes"]
    kustomizations = [doc for doc, kind in kinds.items() if kind == "kustomize"]
    charts = [doc for doc, kind in kinds.items() if kind == "helm-chart"]
    parts: list[Part] = []
    planned = planning_facts([d for dirs in by_root.values() for d in dirs], overrides)
    for root, dirs in by_root.items():
        parts.extend(Part("terraform", tuple(group), root=root) for group in terraform_groups(dirs, overrides, planned))
    parts.extend(Part("plan", (plan,), source=plan_sources[plan]) for plan in plans + states)
    parts.extend(Part("cloudformation", (t,)) for t in templates)
    # a YAML file a kubectl_manifest reads (file()) is judged through it, not again alone
    read = manifests_read_by_terraform(planned)
    manifests = [m for m in manifests if os.path.normpath(m) not in read]
    parts.extend(kubernetes_parts(manifests, charts, kustomizations, overrides))
    chart_dirs = sorted({os.path.dirname(c) or "." for c in charts})
    for doc, kind in kinds.items():
        if kind == "helm" and not _inside(doc, chart_dirs):  # a chart has one note, on its Chart.yaml
            out.notes.append(Note(doc, 1, "Helm chart template (Go template syntax): not scanned; render it first, e.g. `helm template chart | seawall scan - --stdin-filename chart.yaml`"))
    return parts, inventory, out


def parse_inputs(config: RunConfig) -> tuple[ParseOutput, Inventory]:
    """Every input of the scan read into one output (all units at once: for tests and tools
    that want every resource; a scan streams its units instead)."""
    parts, inventory, out = plan_inputs(config)
    loaded = load_parts(parts, config)
    loaded.errors[:0] = out.errors
    loaded.notes.extend(out.notes)
    return loaded, inventory


def _inside(path: str, directories: set[str] | list[str]) -> bool:
    return any(path.startswith(d.rstrip(os.sep) + os.sep) for d in directories)


def _plan_source(plan: str, config: RunConfig) -> str | None:
    if config.plan_source:
        return config.plan_source
    directory = os.path.dirname(plan) or "."
    try:
        return directory if any(n.endswith(".tf") for n in os.listdir(directory)) else None
    except OSError:
        return None


def _load_plan(plan: str, source_dir: str | None, config: RunConfig) -> ParseOutput:
    from linter.parsers.terraform import load_terraform
    from linter.parsers.terraform.plan import load_plan

    out = ParseOutput()
    source = None
    if source_dir:
        # the source gives locations only: its own findings would repeat the plan's
        mapped = load_terraform([source_dir], config.var_files, config.max_bytes, source_dir, config.overrides or None, config.contract_dirs)
        out.errors.extend(mapped.errors)
        out.comments.update(mapped.comments)
        out.files.extend(mapped.files)
        source = {r.address: r for r in mapped.resources}
    out.extend(load_plan(plan, config.max_bytes, source))
    return out


def run(config: RunConfig, rules: RuleSet | None = None, debug: bool = False, keep_graph: bool = False) -> ScanResult:
    # A scan builds millions of small objects that live until it ends and hold few cycles;
    # the cyclic collector rescanning them on every generation-2 pass more than doubled the
    # time of parsing the corpus. It is paused for the scan and catches up afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(config, rules, debug, keep_graph)
    finally:
        progress().close()  # before anything prints the report
        if enabled:
            gc.enable()


def _run(config: RunConfig, rules: RuleSet | None, debug: bool, keep_graph: bool) -> ScanResult:
    set_debug(debug)
    if current_cache().enabled != config.cache:
        use_cache(Cache(enabled=config.cache))
    all_rules = rules if rules is not None else load_rules(config.rule_dirs)
    parts, inventory, parsed = plan_inputs(config)
    ruleset = select_rules(all_rules, config)
    sensitivity = SensitivityPolicy(
        keys=config.sensitivity_keys or SensitivityPolicy().keys,
        values=config.sensitivity_values or SensitivityPolicy().values,
    )
    ctx = Context(config, ruleset, sensitivity, inventory, debug, keep_graph)
    if current_cache().enabled and not keep_graph and not config.overrides:
        # units' results are cached (not for editor buffers or standard input, which change
        # on every keystroke, nor when the whole graph is wanted)
        ctx.digest = scan_digest(config, ruleset, inventory, debug)
    # one unit per part; a caller that wants the whole graph gets one unit of everything
    units: list[tuple[Part, ...]] = [tuple(parts)] if keep_graph else [(p,) for p in parts]
    findings: list[Finding] = []
    errors = list(parsed.errors)
    notes = list(parsed.notes)
    files: set[str] = set()
    directives: dict[tuple[object, ...], Directive] = {}
    intents: dict[str, tuple[str, Intent | Evidence | None]] = {}
    chained: set[tuple[str, Path]] = set()
    stats: dict[str, int] = {}
    graph = ResourceGraph()
    for unit in run_units(units, ctx):
        findings.extend(unit.findings)
        errors.extend(unit.errors)
        notes.extend(unit.notes)
        files.update(unit.files)
        for d in unit.directives:
            directives.setdefault((d.scope, d.span, d.resource_id, d.rules), d)
        intents.update(unit.declared)
        chained.update(unit.chained)
        for key, value in unit.stats.items():
            stats[key] = stats.get(key, 0) + value
        if unit.graph is not None:
            graph = unit.graph
    errors, allowed = allow_unchecked(errors, config.allow_unchecked)
    notes.extend(allowed)
    # suppressions are decided for every finding before choosing what to report: a finding
    # reported through a named file (a plan, a variables file) may sit in a file not named
    findings = apply_intent(_dedupe(_merge_openings(findings), set(config.severity_overrides)), intents)
    policy = SuppressionPolicy(
        require_reason=config.require_reason,
        unsuppressible=frozenset(config.unsuppressible),
        per_path_ignores=tuple(config.per_path_ignores),
        known_rules=known_rule_ids(all_rules.by_id),
        ran_rules=frozenset(r.id for r in ruleset),
    )
    findings = [f for f in apply_suppressions(findings, list(directives.values()), policy) if _reported(inventory, f, chained)]
    if META_RULE in config.ignore:
        findings = [f for f in findings if f.rule_id != META_RULE]
    if config.baseline:
        findings, stale = apply_baseline(findings, config.baseline)
        notes.extend(stale)
    resources = stats.pop("resources", 0)
    stats = {**{k: v for k, v in stats.items() if k not in ("edges", "unknown_values")}, "edges": stats.get("edges", 0), "unknown_values": stats.get("unknown_values", 0)}
    return ScanResult(
        findings=sorted((_redacted(f) for f in findings), key=lambda f: (f.sort_key(), f.message)),
        errors=sorted({replace(e, message=redact(e.message)) for e in errors}, key=lambda e: e.sort_key()),
        notes=sorted({replace(n, message=redact(n.message)) for n in notes}, key=lambda n: n.sort_key()),
        files_scanned=len(files),
        resources=resources,
        stats=stats,
        graph=graph if keep_graph else None,
        strict=config.strict,
        show_posture=config.show_posture,
    )


def allow_unchecked(errors: list[InputError], globs: list[str]) -> tuple[list[InputError], list[Note]]:
    """Input errors of files the configuration allows to go unchecked (``allow-unchecked``)
    become notes; every other file that could not be read or parsed stays an error."""
    if not globs:
        return errors, []
    kept, notes = [], []
    for e in errors:
        if e.kind in ("read", "parse") and path_matches(e.file, globs):
            notes.append(Note(e.file, e.line, f"{e.message} (allowed by allow-unchecked)"))
        else:
            kept.append(e)
    return kept, notes


def _reported(inventory: Inventory, f: Finding, chained: set[tuple[str, Path]]) -> bool:
    """When files are named, a finding is reported if one of them is on its chain: the file
    it sits in, a file its evidence cites (the plan its values come from, a module call), or
    a file its value comes from (a variable's default in variables.tf, a local, a tfvars
    line, a caller's argument), followed to the end (decided with the unit's graph:
    ``chained``)."""
    if inventory.reported(f.span.file) or any(e.span is not None and inventory.reported(e.span.file) for e in f.evidence):
        return True
    return (f.resource_id, f.path) in chained


def _redacted(f: Finding) -> Finding:
    """No output shows a value that looks like a secret (see linter/redact.py)."""
    evidence = tuple(replace(e, message=redact(e.message)) for e in f.evidence)
    return replace(f, message=redact(f.message), evidence=evidence)


_MODULE_PATH = re.compile(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+")


def _in_module(f: Finding) -> tuple[str, str, str]:
    """A finding's resource, message and subject without the module path of its resource:
    the same finding reached through different module calls (or the module judged on its
    own) has the same place and the same words."""
    m = _MODULE_PATH.match(f.resource)
    if m is None:
        return f.resource, f.message, f.subject
    prefix = m.group(0)
    return f.resource[len(prefix) :], f.message.replace(prefix, ""), f.subject.replace(prefix, "")


def _merge_openings(findings: list[Finding]) -> list[Finding]:
    """One finding per exposure: a security group or firewall finding whose opening is how
    the internet reaches a resource another finding reports (``Finding.openings``), on no
    port that finding leaves out, is merged into it. That finding already names the
    opening, with its place, in its evidence; a group finding with other ports stays."""
    reached: dict[tuple[str, Path], list[Finding]] = {}
    for f in findings:
        for opening in f.openings:
            reached.setdefault(opening, []).append(f)
    if not reached:
        return findings
    out = []
    for f in findings:
        by = [r for r in reached.get((f.resource_id, f.path), ()) if r is not f and r.active]
        if by and f.ports and all(any(lo <= a and b <= hi for r in by for lo, hi in r.ports) for a, b in f.ports):
            continue
        out.append(f)
    return out


def _dedupe(findings: list[Finding], fixed: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """One finding per rule, place, resource (without its module path) and message.

    The same finding reached several ways (module calls from several callers, the module
    judged with its own defaults) is reported once: the most severe, most deeply called one,
    with the evidence of every way, each other way named. Findings of templates evaluated
    once per undecidable condition case are merged: one that holds in every case is
    unconditional; otherwise its evidence names the cases (and is one severity step down,
    unless the configuration ``fixed`` the rule's severity)."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (-f.severity, -f.resource.count("module."), f.sort_key(), f.message)):
        groups.setdefault((f.rule_id, f.span, *_in_module(f)), []).append(f)
    out = []
    for group in groups.values():
        first = group[0]
        cases = sorted({c for f in group for c in f.conditions})
        if not cases:
            evidence: list[Evidence] = list(first.evidence)
            for f in group[1:]:
                if f.resource != first.resource:
                    evidence.append(Evidence(f"also reached as {f.resource}", f.resource_span))
                evidence.extend(f.evidence)
            out.append(replace(first, evidence=tuple(dict.fromkeys(evidence))) if len(group) > 1 else first)
            continue
        if len(cases) >= first.condition_cases:
            out.append(replace(first, conditions=()))
            continue
        when = "only when " + "; or when ".join(cases)
        note = Evidence(when + " (a condition the template leaves undecided)")
        verdict = first.verdict if first.verdict == "posture" else "conditional"
        # an exposure as written that holds in some cases only is one step down (the table)
        severity = SEVERITY_TABLE["conditional"][first.severity] if first.verdict == "exposed" and first.rule_id not in fixed else first.severity
        out.append(replace(first, severity=severity, conditions=tuple(cases), evidence=first.evidence + (note,), verdict=verdict, verdict_reason=f"public {when}" if verdict == "conditional" else first.verdict_reason))
    return out
