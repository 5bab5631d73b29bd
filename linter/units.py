"""Independent units of a scan, evaluated one at a time (issue 19 item 3).

A scan's inputs fall into units that share nothing the rules look at: a group of Terraform
directories connected by local module calls (every directory is a root; a module it calls
is read with it), a plan or state with its source, a CloudFormation template, and the
Kubernetes manifests of one folder (or, when the scan holds kustomizations or Helm charts,
every Kubernetes input together, because their renderings consume manifests of other
folders). Rules read the graph within one configuration (``Resource.root``) only, so a
unit's findings are the same whether its graph holds the other units or not.

A unit is parsed, its graph built and its rules run, and only what the rest of the scan
needs is kept (:class:`UnitResult`: findings, errors, notes, suppression directives, the
declarations of intent of the resources findings name, counts). So the memory of a scan
is set by its largest unit, and a worker process returns findings, never parses.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any

from msgspec import Struct, field

from linter.config import RunConfig
from linter.discover import Inventory
from linter.graph import ResourceGraph
from linter.model import Finding, InputError, Note, Path
from linter.parsers.base import ParseOutput
from linter.ruleset import RuleSet
from linter.sensitivity import SensitivityPolicy
from linter.sources import SourceError, fingerprints, forget_lines, override_text, read_source, remember_digest, start_recording, stop_recording
from linter.suppress import Directive, collect_directives, declarations
from linter.values import count_unknown


class Part(Struct, frozen=True):
    """One input of a unit: ``kind`` terraform (``paths`` = the module directories, ``root``
    = the scan root), plan (``paths`` = the plan or state, ``source`` = its Terraform
    directory), cloudformation (one template) or kubernetes (``paths`` = manifests,
    ``charts``, ``kustomizations``)."""

    kind: str
    paths: tuple[str, ...]
    root: str = ""
    source: str | None = None
    charts: tuple[str, ...] = ()
    kustomizations: tuple[str, ...] = ()

    def size(self) -> int:
        """Bytes of input, to start the largest units first."""
        total = 0
        for p in self.paths + self.charts + self.kustomizations:
            try:
                total += sum(os.path.getsize(os.path.join(p, n)) for n in os.listdir(p) if n.endswith(".tf")) if os.path.isdir(p) else os.path.getsize(p)
            except OSError:
                continue
        return total


class UnitResult(Struct):
    """One unit's findings, errors and notes: what a worker returns and the cache stores."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    # resource id -> (address, its declaration of intent) for the resources findings name
    declared: dict[str, tuple[str, Any]] = field(default_factory=dict)
    # (resource id, path) of the findings a named file decides (``engine._reported``)
    chained: set[tuple[str, Path]] = field(default_factory=set)
    stats: dict[str, int] = field(default_factory=dict)
    graph: ResourceGraph | None = None
    # what the unit read, as it was (``sources.fingerprints``): set when the unit is cached
    prints: dict[str, str] = field(default_factory=dict)


class Context(Struct):
    """What evaluating a unit needs besides the unit: the same for every unit of a scan."""

    config: RunConfig
    rules: RuleSet
    sensitivity: SensitivityPolicy
    inventory: Inventory
    debug: bool = False
    keep_graph: bool = False
    # set when units' results are cached: everything besides the unit's own files that
    # decides its result (seawall, the rules, the configuration: :func:`scan_digest`)
    digest: str = ""


# a literal local module source; files without '"./' or '"../' are not searched at all
# (no look-behind in the pattern: a leading literal lets the engine skip ahead; the
# character before ``source`` is checked by hand)
_SOURCE = re.compile(r'source\s*=\s*"(\.\.?(?:[/\\][^"\n$]*)?)"')
_LOCAL = ('"./', '"../', '".\\', '"..\\', '"."', '".."')
_KUBECTL = "kubectl_manifest"
# what makes a file worth reading at planning: a local module source, a kubectl_manifest
_PLANNING_BYTES = (*(m.encode() for m in _LOCAL), _KUBECTL.encode())


class Planned(Struct):
    """What planning finds in one directory's ``.tf`` files, read once: the local module
    sources its calls name and the files its ``kubectl_manifest`` resources read with
    ``file()``. Only these are kept, not the texts (a scan of many copies of a tree held
    every text at once)."""

    sources: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)


def planning_facts(directories: list[str], overrides: dict[str, str]) -> dict[str, Planned]:
    """Each directory's :class:`Planned`, from a text search of its ``.tf`` files."""
    from linter.cache import current

    digests = current().enabled  # units' results are cached: their fingerprints hash these files
    out: dict[str, Planned] = {}
    for d in directories:
        planned = out[d] = Planned()
        for text in _tf_texts(d, overrides, digests):
            if any(mark in text for mark in _LOCAL):
                for match in _SOURCE.finditer(text):
                    before = text[match.start() - 1] if match.start() else " "
                    if not (before.isalnum() or before in "_-"):
                        planned.sources.append(match.group(1))
            if _KUBECTL in text:
                for match in _KUBECTL_FILE.finditer(text):
                    target = match.group(1).replace("${path.module}", d).replace("${path.root}", d)
                    if "${" not in target:
                        planned.manifests.append(os.path.normpath(os.path.join(d, target)))
    return out


def terraform_groups(directories: list[str], overrides: dict[str, str], planned: dict[str, Planned] | None = None) -> list[list[str]]:
    """``directories`` (sorted) split into groups that no local module call joins: a call
    whose ``source`` names another scanned directory puts both in one group. Read from the
    text (every literal ``source = "..."``, which can only join more than needed), so the
    grouping parses nothing. ``planned``: :func:`planning_facts`, when already found."""
    planned = planned if planned is not None else planning_facts(directories, overrides)
    parent = {d: d for d in directories}

    def find(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for d in directories:
        for src in planned[d].sources if d in planned else ():
            if src.startswith(("./", "../", ".\\", "..\\")) or src in (".", ".."):
                target = os.path.normpath(os.path.join(d, src))
                if target in parent:
                    a, b = find(d), find(target)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for d in directories:
        groups.setdefault(find(d), []).append(d)
    return list(groups.values())


def _tf_texts(directory: str, overrides: dict[str, str], digests: bool) -> list[str]:
    """The texts of a folder's ``.tf`` files that hold one of ``_PLANNING_BYTES``; with
    ``digests``, the digest of every file read is remembered for the units' fingerprints."""
    try:
        names = set(n for n in os.listdir(directory) if n.endswith(".tf"))
    except OSError:
        names = set()
    names.update(os.path.basename(p) for p in overrides if os.path.dirname(p) == directory and p.endswith(".tf"))
    texts = []
    for name in sorted(names):
        path = os.path.normpath(os.path.join(directory, name))
        text = override_text(path)
        if text is None:
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode):  # a pipe or a device is never opened (the scan reports it)
                    continue
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue  # the scan reports it when it reads the file
            if digests:
                remember_digest(path, st, data)  # the units' fingerprints take it from here
            if b"\0" in data:  # UTF-16/32: decoded as the scan decodes it
                try:
                    text = read_source(path)
                except SourceError:
                    continue
            elif any(mark in data for mark in _PLANNING_BYTES):
                text = data.decode("utf-8", "replace")
            else:
                continue
        texts.append(text)
    return texts


_KUBECTL_FILE = re.compile(r'resource\s+"kubectl_manifest"[^{]*\{[^}]*?yaml_body\s*=\s*file\(\s*"([^"]+)"\s*\)', re.S)


def manifests_read_by_terraform(planned: dict[str, Planned]) -> set[str]:
    """The YAML files a ``kubectl_manifest`` reads with ``file()`` (``planned``:
    :func:`planning_facts`): they are judged through it (in its Terraform unit), not again
    alone. A text search like the grouping's; one it misses is judged twice, never lost."""
    return {m for found in planned.values() for m in found.manifests}


def kubernetes_parts(manifests: list[str], charts: list[str], kustomizations: list[str], overrides: dict[str, str]) -> list[Part]:
    """The Kubernetes inputs in parts that no rendering joins. Objects are linked within
    their folder only (``kubernetes.link``), so folders are the start; a kustomization joins
    its folder with every folder a path it writes names (resources, bases, components,
    patches: every string that is an existing path), and a chart every folder under it.
    Overlays sharing a base land in one part, so their findings are merged as before
    (``kustomize.merge_overlay_findings``); a kustomization that cannot be read joins
    everything (the grouping must never split what a rendering reads)."""
    folders = sorted({os.path.dirname(f) for f in manifests + charts + kustomizations})
    parent = {d: d for d in folders}

    def find(d: str) -> str:
        parent.setdefault(d, d)
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    def join(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for k in kustomizations:
        here = os.path.dirname(k)
        named = _paths_named(k, overrides)
        if named is None:
            for d in folders:
                join(folders[0], d)
            break
        for target in named:
            join(here, target)
    for c in charts:
        top = os.path.dirname(c)
        for d in folders:
            if d == top or d.startswith(top.rstrip(os.sep) + os.sep) or top in ("", "."):
                join(top, d)
    groups: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for index, files in enumerate((manifests, charts, kustomizations)):
        for f in files:
            groups.setdefault(find(os.path.dirname(f)), ([], [], []))[index].append(f)
    return [Part("kubernetes", tuple(m), charts=tuple(c), kustomizations=tuple(k)) for m, c, k in groups.values()]


def _paths_named(kustomization: str, overrides: dict[str, str]) -> list[str] | None:
    """The folders of every existing path a kustomization's strings name, or None when it
    cannot be read."""
    import yaml

    from linter.yamlsafe import load_all_bounded

    text = override_text(kustomization)
    try:
        if text is None:
            text = read_source(kustomization)
        docs = load_all_bounded(text)  # the walk below would expand an alias bomb
    except (SourceError, yaml.YAMLError, RecursionError):
        return None
    here = os.path.dirname(kustomization)
    out: list[str] = []
    stack: list[Any] = list(docs)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item and "\n" not in item and len(item) < 4096:
            target = os.path.normpath(os.path.join(here, item.split("=", 1)[-1].strip()))
            if os.path.isdir(target):
                out.append(target)
            elif target in overrides or os.path.isfile(target):
                out.append(os.path.dirname(target))
    return out


def load_part(part: Part, config: RunConfig) -> ParseOutput:
    overrides = config.overrides or None
    if part.kind == "terraform":
        from linter.parsers.terraform import load_terraform

        return load_terraform(list(part.paths), config.var_files, config.max_bytes, part.root, overrides, config.contract_dirs)
    if part.kind == "plan":
        from linter.engine import _load_plan

        return _load_plan(part.paths[0], part.source, config)
    if part.kind == "cloudformation":
        from linter.parsers.cloudformation import load_cloudformation

        return load_cloudformation(list(part.paths), config.max_bytes, config.cfn_params, overrides)
    return _load_kubernetes(part, config)


def _load_kubernetes(part: Part, config: RunConfig) -> ParseOutput:
    from linter.engine import _inside

    out = ParseOutput()
    manifests = list(part.paths)
    if part.charts:
        from linter.parsers.kubernetes.helm import render_charts

        helm_out, rendered_charts = render_charts(list(part.charts), config.max_bytes, config.helm_values, config.helm_set)
        out.extend(helm_out)
        # a rendered chart's files are its input, scanned through the rendering
        manifests = [m for m in manifests if not _inside(m, rendered_charts)]
    if part.kustomizations:
        from linter.parsers.kubernetes.kustomize import render_kustomizations

        rendered = render_kustomizations(list(part.kustomizations), config.max_bytes, config.overrides or None)
        out.extend(rendered.output)
        # the files an overlay is made of are its input, scanned through the rendering
        manifests = [m for m in manifests if m not in rendered.consumed]
    if manifests:
        from linter.parsers.kubernetes import load_kubernetes

        out.extend(load_kubernetes(manifests, config.max_bytes, config.overrides or None))
    return out


# the Terraform providers whose resources are Kubernetes objects or Helm releases
KUBERNETES_PROVIDERS = ("kubernetes_", "kubectl_", "helm_")


def load_parts(parts: list[Part] | tuple[Part, ...], config: RunConfig) -> ParseOutput:
    """Every part read into one output, with the steps that join Terraform resources."""
    out = ParseOutput()
    for part in parts:
        out.extend(load_part(part, config))
    if any(p.kind in ("terraform", "plan") for p in parts):
        from linter.parsers.terraform.azapi import resolve_azapi

        tf = [r for r in out.resources if r.format in ("terraform", "terraform-plan")]
        # (the Kubernetes and Helm readers are imported only for a configuration using them)
        if any(r.type.startswith(KUBERNETES_PROVIDERS) for r in tf):
            from linter.parsers.kubernetes import helm_release_notes, link_terraform
            from linter.parsers.kubernetes.helm import render_releases

            # Kubernetes objects written with the Terraform kubernetes provider join the model
            out.resources.extend(link_terraform(tf))
            out.errors.extend(r.meta.pop("manifest_error") for r in tf if "manifest_error" in r.meta)
            # a helm_release of a local chart is rendered with the release's values
            releases, rendered_releases = render_releases(out.resources, config.max_bytes, config.paths)
            out.notes.extend(helm_release_notes([r for r in tf if r.id not in rendered_releases]))
            out.extend(releases)
        out.resources = resolve_azapi(out.resources)
    return out


EVALUATED = 0  # units evaluated by this process (a counting test's measure)


def evaluate_unit(parts: tuple[Part, ...], ctx: Context) -> UnitResult:
    """Parse a unit, build its graph, run the rules; keep what the scan needs after."""
    global EVALUATED
    EVALUATED += 1
    if ctx.digest:
        start_recording()
    try:
        result = _evaluate(parts, ctx)
    finally:
        looked = stop_recording() if ctx.digest else set()
    if ctx.digest:
        looked.update(p for part in parts for p in part.paths + part.charts + part.kustomizations)
        # a file's folder too: a new file there (a .tf, a tfvars) changes the unit
        result.prints = fingerprints(looked | {os.path.dirname(p) or "." for p in looked})
    return result


def _evaluate(parts: tuple[Part, ...], ctx: Context) -> UnitResult:
    from linter.evaluation import evaluate_rules

    config = ctx.config
    parsed = load_parts(parts, config)
    graph = ResourceGraph(parsed.resources)
    findings, rule_errors = evaluate_rules(graph, ctx.rules, debug=ctx.debug, sensitivity=ctx.sensitivity, severities=config.severity_overrides)
    if parsed.stats.get("kustomizations"):
        from linter.parsers.kubernetes.kustomize import merge_overlay_findings

        findings = merge_overlay_findings(findings, graph.by_id)
    result = UnitResult(
        findings=findings,
        errors=parsed.errors + rule_errors,
        notes=parsed.notes,
        files=parsed.files,
        directives=collect_directives(parsed.comments, graph),
        declared=declarations(findings, graph),
        stats={**parsed.stats, "resources": len(graph), "edges": graph.edge_count(), "unknown_values": sum(count_unknown(r.attrs) for r in graph)},
    )
    inventory = ctx.inventory
    if inventory.report_only is not None:
        for f in findings:
            holder = graph.by_id.get(f.resource_id)
            if holder is not None and holder.chain is not None and any(inventory.reported(p) for p in holder.chain(f.path)):
                result.chained.add((f.resource_id, f.path))
    if ctx.keep_graph:
        result.graph = graph
    else:
        graph.release()
        for release in parsed.releases:
            release()
    forget_lines()  # the unit's source lines (fixes, excerpts) are not needed after it
    return result


# ---------------------------------------------------------------- the units' cache (item 4)


def scan_digest(config: RunConfig, rules: RuleSet, inventory: Inventory, debug: bool) -> str:
    """What decides every unit's result besides its own files: seawall and its parsers (the
    cache directory's version), the rules run (each rule file's bytes, a companion's
    source), the configuration's settings that reach units (with the bytes of the variable,
    parameter and values files and contract folders they name), and which files are named."""
    import hashlib
    import inspect

    from linter.cache import _versions

    digest = hashlib.sha256(_versions().encode())
    for rule in [*rules, *rules.deciding]:
        digest.update(f"rule:{rule.id}:{rule.source}:".encode())
        if rule.digest and rule.companion is None:
            digest.update(bytes.fromhex(rule.digest))  # the same bytes' digest, taken when the file was read
            continue
        sources = [rule.source]
        if rule.companion is not None:
            try:
                sources.append(inspect.getsourcefile(rule.companion) or "")
            except TypeError:
                sources.append("")
        for source in sources:
            try:
                with open(source, "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
            except OSError:
                digest.update(repr(rule).encode())
    named = [*config.var_files, *([config.cfn_params] if config.cfn_params else []), *config.helm_values]
    for folder in config.contract_dirs:
        try:
            named.extend(os.path.join(folder, n) for n in sorted(os.listdir(folder)))
        except OSError:
            named.append(folder)
    settings = (
        config.var_files, config.rule_dirs, config.contract_dirs, config.max_bytes, config.plan_source, config.cfn_params,
        config.helm_values, config.helm_set, config.severity_overrides, config.sensitivity_keys, config.sensitivity_values, debug,
        sorted(fingerprints({os.path.normpath(p) for p in named}).items()),
        sorted(inventory.report_only) if inventory.report_only is not None else None, inventory.report_dirs, sorted(inventory.report_modules),
    )
    digest.update(repr(settings).encode())
    return digest.hexdigest()


def unit_key(parts: tuple[Part, ...], ctx: Context) -> str:
    import hashlib

    return hashlib.sha256(f"{ctx.digest}:{parts!r}".encode()).hexdigest()


def cached_result(parts: tuple[Part, ...], ctx: Context) -> UnitResult | None:
    """The stored result of a unit when every file and folder it read is as it was."""
    from linter.cache import current

    stored = current().get_unit(unit_key(parts, ctx))
    if not isinstance(stored, UnitResult) or fingerprints(set(stored.prints)) != stored.prints:
        return None
    return stored


def store_result(parts: tuple[Part, ...], ctx: Context, result: UnitResult) -> None:
    from linter.cache import current

    current().put_unit(unit_key(parts, ctx), result)
