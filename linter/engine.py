"""The whole flow: discover -> parse -> graph -> rules -> findings.

``run(config)`` is what the command line, the language server and the tests call; it
never prints and never exits.
"""

from __future__ import annotations

import os

from linter.config import RunConfig
from linter.discover import discover
from linter.evaluation import evaluate_rules
from linter.graph import ResourceGraph
from linter.model import Finding, ScanResult
from linter.parsers.base import ParseOutput
from linter.ruleset import RuleSet, load_rules


def select_rules(rules: RuleSet, config: RunConfig) -> RuleSet:
    chosen = [r for r in rules if not config.select or r.id in config.select or set(r.aliases) & set(config.select)]
    chosen = [r for r in chosen if r.id not in config.ignore and not set(r.aliases) & set(config.ignore)]
    return RuleSet(chosen)


def parse_inputs(config: RunConfig) -> tuple[ParseOutput, object]:
    inventory = discover(config.paths)
    out = ParseOutput()
    out.errors.extend(inventory.errors)
    out.notes.extend(inventory.notes)
    if inventory.terraform_dirs:
        from linter.parsers.terraform import load_terraform

        by_root: dict[str, list[str]] = {}
        for directory, root in sorted(inventory.terraform_dirs.items()):
            by_root.setdefault(root, []).append(directory)
        for root, dirs in by_root.items():
            out.extend(load_terraform(dirs, config.var_files, config.max_bytes, root, config.overrides or None))
    return out, inventory


def run(config: RunConfig, rules: RuleSet | None = None, debug: bool = False) -> ScanResult:
    parsed, inventory = parse_inputs(config)
    graph = ResourceGraph(parsed.resources)
    ruleset = select_rules(rules if rules is not None else load_rules(config.rule_dirs), config)
    findings, rule_errors = evaluate_rules(graph, ruleset, debug=debug)
    findings = [f for f in findings if inventory.reported(f.span.file)]  # type: ignore[attr-defined]
    result = ScanResult(
        findings=_dedupe(findings),
        errors=sorted(set(parsed.errors + rule_errors), key=lambda e: e.sort_key()),
        notes=sorted(set(parsed.notes), key=lambda n: n.sort_key()),
        files_scanned=len(set(parsed.files)),
        resources=len(graph),
    )
    return result


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in sorted(findings, key=lambda f: (f.sort_key(), f.message)):
        key = (f.rule_id, f.span, f.resource, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def display_path(path: str) -> str:
    return os.path.normpath(path)
