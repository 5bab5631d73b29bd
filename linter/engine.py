"""The whole flow: discover -> parse -> graph -> rules -> findings.

``run(config)`` is what the command line, the language server and the tests call; it
never prints and never exits.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import replace

from linter.baseline import apply_baseline
from linter.cache import Cache
from linter.cache import current as current_cache
from linter.cache import use as use_cache
from linter.config import RunConfig
from linter.discover import Inventory, classify_document, discover, path_matches
from linter.evaluation import SEVERITY_TABLE, evaluate_rules
from linter.graph import ResourceGraph
from linter.internal import set_debug
from linter.model import Evidence, Finding, InputError, Note, Path, ScanResult
from linter.parallel import MIN_FILES, prewarm
from linter.parsers.base import ParseOutput
from linter.progress import current as progress
from linter.redact import redact
from linter.ruleset import RuleSet, load_rules
from linter.sensitivity import SensitivityPolicy
from linter.sources import SourceError, set_overrides, source_problem
from linter.suppress import META_RULE, SuppressionPolicy, apply_intent, apply_suppressions, collect_directives, known_rule_ids
from linter.values import count_unknown


def select_rules(rules: RuleSet, config: RunConfig) -> RuleSet:
    chosen = [r for r in rules if not config.select or r.id in config.select or set(r.aliases) & set(config.select)]
    chosen = [r for r in chosen if r.id not in config.ignore and not set(r.aliases) & set(config.ignore)]
    ids = {r.id for r in chosen}
    deciding = {t: rules.by_id[t] for r in chosen for t in r.yields_to if t not in ids and t in rules.by_id}
    return RuleSet(chosen, list(deciding.values()))


def parse_inputs(config: RunConfig) -> tuple[ParseOutput, Inventory]:
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
    _prewarm(inventory, kinds, overrides, config)
    terraform_dirs = {d: root for d, root in inventory.terraform_dirs.items() if os.path.normpath(d) not in superseded}
    by_root: dict[str, list[str]] = {}
    for directory, root in sorted(terraform_dirs.items()):
        by_root.setdefault(root, []).append(directory)
    templates = [doc for doc, kind in kinds.items() if kind == "cloudformation"]
    manifests = [doc for doc, kind in kinds.items() if kind == "kubernetes"]
    kustomizations = [doc for doc, kind in kinds.items() if kind == "kustomize"]
    charts = [doc for doc, kind in kinds.items() if kind == "helm-chart"]
    bar = progress()
    bar.phase("resolving modules and templates", len(by_root) + len(plans) + len(states) + len(templates) + len(manifests) + len(kustomizations))
    if by_root or plans or states:
        from linter.parsers.terraform import load_terraform

        for root, dirs in by_root.items():
            out.extend(load_terraform(dirs, config.var_files, config.max_bytes, root, config.overrides or None, config.contract_dirs))
            bar.advance()
        for plan in plans + states:
            out.extend(_load_plan(plan, plan_sources[plan], config))
            bar.advance()
        from linter.parsers.kubernetes import helm_release_notes, link_terraform
        from linter.parsers.kubernetes.helm import render_releases

        # Kubernetes objects written with the Terraform kubernetes provider join the model
        out.resources.extend(link_terraform(out.resources))
        # a YAML file a kubectl_manifest reads (file()) is judged through it, not again alone
        read = {r.meta["reads_manifest"] for r in out.resources if "reads_manifest" in r.meta}
        out.errors.extend(r.meta.pop("manifest_error") for r in out.resources if "manifest_error" in r.meta)
        manifests = [m for m in manifests if os.path.normpath(m) not in read]
        # a helm_release of a local chart is rendered with the release's values
        releases, rendered_releases = render_releases(out.resources, config.max_bytes, config.paths)
        out.notes.extend(helm_release_notes([r for r in out.resources if r.id not in rendered_releases]))
        out.extend(releases)
    if templates:
        from linter.parsers.cloudformation import load_cloudformation

        out.extend(load_cloudformation(templates, config.max_bytes, config.cfn_params, config.overrides or None))
    chart_dirs: list[str] = []
    if charts:
        from linter.parsers.kubernetes.helm import render_charts

        helm_out, rendered_charts = render_charts(charts, config.max_bytes, config.helm_values, config.helm_set)
        out.extend(helm_out)
        chart_dirs = sorted({os.path.dirname(c) or "." for c in charts})
        # a rendered chart's files are its input, scanned through the rendering
        manifests = [m for m in manifests if not _inside(m, rendered_charts)]
    if kustomizations:
        from linter.parsers.kubernetes.kustomize import render_kustomizations

        rendered = render_kustomizations(kustomizations, config.max_bytes, config.overrides or None)
        out.extend(rendered.output)
        # the files an overlay is made of are its input, scanned through the rendering
        manifests = [m for m in manifests if m not in rendered.consumed]
    if manifests:
        from linter.parsers.kubernetes import load_kubernetes

        out.extend(load_kubernetes(manifests, config.max_bytes, config.overrides or None))
    if by_root or plans or states:
        from linter.parsers.terraform.azapi import resolve_azapi

        out.resources = resolve_azapi(out.resources)
    for doc, kind in kinds.items():
        if kind == "helm" and not _inside(doc, chart_dirs):  # a chart has one note, on its Chart.yaml
            out.notes.append(Note(doc, 1, "Helm chart template (Go template syntax): not scanned; render it first, e.g. `helm template chart | seawall scan - --stdin-filename chart.yaml`"))
    return out, inventory


def _inside(path: str, directories: set[str] | list[str]) -> bool:
    return any(path.startswith(d.rstrip(os.sep) + os.sep) for d in directories)


def _prewarm(inventory: Inventory, kinds: dict[str, str | None], overrides: dict[str, str], config: RunConfig) -> None:
    """Parse the files of a large scan in worker processes first (see linter/parallel.py)."""
    if config.workers == 1:
        return
    files: list[tuple[str, str]] = []
    for directory in sorted(inventory.terraform_dirs):
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(".tf"))
        except OSError:
            continue
        files.extend(("hcl", os.path.normpath(os.path.join(directory, n))) for n in names)
    wanted = {"cloudformation": "cfn", "kubernetes": "k8s"}
    files.extend((wanted[kind], doc) for doc, kind in sorted(kinds.items()) if kind in wanted)
    files = [(k, p) for k, p in files if p not in overrides and os.path.isfile(p)]
    if len(files) >= MIN_FILES:
        prewarm(files, config.max_bytes, config.workers)


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
    parsed, inventory = parse_inputs(config)
    parsed.errors, allowed = allow_unchecked(parsed.errors, config.allow_unchecked)
    parsed.notes.extend(allowed)
    graph = ResourceGraph(parsed.resources)
    ruleset = select_rules(all_rules, config)
    sensitivity = SensitivityPolicy(
        keys=config.sensitivity_keys or SensitivityPolicy().keys,
        values=config.sensitivity_values or SensitivityPolicy().values,
    )
    findings, rule_errors = evaluate_rules(graph, ruleset, debug=debug, sensitivity=sensitivity, severities=config.severity_overrides)
    if parsed.stats.get("kustomizations"):
        from linter.parsers.kubernetes.kustomize import merge_overlay_findings

        findings = merge_overlay_findings(findings, graph.by_id)
    # suppressions are decided for every finding before choosing what to report: a finding
    # reported through a named file (a plan, a variables file) may sit in a file not named
    findings = apply_intent(_dedupe(_merge_openings(findings), set(config.severity_overrides)), graph)
    directives = collect_directives(parsed.comments, graph)
    policy = SuppressionPolicy(
        require_reason=config.require_reason,
        unsuppressible=frozenset(config.unsuppressible),
        per_path_ignores=tuple(config.per_path_ignores),
        known_rules=known_rule_ids(all_rules.by_id),
        ran_rules=frozenset(r.id for r in ruleset),
    )
    findings = [f for f in apply_suppressions(findings, directives, policy) if _reported(inventory, f, graph)]
    if META_RULE in config.ignore:
        findings = [f for f in findings if f.rule_id != META_RULE]
    notes = list(parsed.notes)
    if config.baseline:
        findings, stale = apply_baseline(findings, config.baseline)
        notes.extend(stale)
    return ScanResult(
        findings=sorted((_redacted(f) for f in findings), key=lambda f: (f.sort_key(), f.message)),
        errors=sorted({replace(e, message=redact(e.message)) for e in parsed.errors + rule_errors}, key=lambda e: e.sort_key()),
        notes=sorted({replace(n, message=redact(n.message)) for n in notes}, key=lambda n: n.sort_key()),
        files_scanned=len(set(parsed.files)),
        resources=len(graph),
        stats={**parsed.stats, "edges": graph.edge_count(), "unknown_values": sum(count_unknown(r.attrs) for r in graph)},
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


def _reported(inventory: Inventory, f: Finding, graph: ResourceGraph) -> bool:
    """When files are named, a finding is reported if one of them is on its chain: the file
    it sits in, a file its evidence cites (the plan its values come from, a module call), or
    a file its value comes from (a variable's default in variables.tf, a local, a tfvars
    line, a caller's argument), followed to the end."""
    if inventory.reported(f.span.file) or any(e.span is not None and inventory.reported(e.span.file) for e in f.evidence):
        return True
    holder = graph.by_id.get(f.resource_id)
    return holder is not None and holder.chain is not None and any(inventory.reported(p) for p in holder.chain(f.path))


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
