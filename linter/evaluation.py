"""Rules over the graph -> findings.

Declarative rules are evaluated through an index by resource type (each rule only sees
the resources its clauses name). Python rules get the whole graph. Both produce
:class:`Hit` objects (a resource and a path inside it); :func:`to_finding` turns a hit into
a :class:`Finding` located by :func:`linter.locate.locate` and explained by the value's
origins and the module call chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from linter.fixes import make_fix
from linter.graph import Resource, ResourceGraph
from linter.internal import internal_error
from linter.locate import locate, value_at
from linter.model import Evidence, Finding, InputError, Path, Severity, Span, Suppression, format_path
from linter.progress import current as progress
from linter.ruleset import Rule, RuleSet
from linter.sensitivity import SensitivityPolicy
from linter.suppress import intended_exposure
from linter.values import Unknown, display


@dataclass
class Hit:
    resource: Resource
    path: Path = ()
    message: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    severity: Severity | None = None
    value: Any = None
    # where to report, when it is not the path inside ``resource`` (a policy held elsewhere)
    span: Span | None = None
    # the resource whose path ``span`` should be located in (defaults to ``resource``)
    located_in: Resource | None = None
    located_path: Path | None = None


def evaluate_rules(
    graph: ResourceGraph,
    rules: RuleSet,
    debug: bool = False,
    sensitivity: SensitivityPolicy | None = None,
    severities: dict[str, Severity] | None = None,
) -> tuple[list[Finding], list[InputError]]:
    """Run every rule; ``severities`` are per-rule overrides from the configuration (they
    replace the rule's own severity and are not raised by sensitivity)."""
    findings: list[Finding] = []
    errors: list[InputError] = []
    policy = sensitivity or SensitivityPolicy()
    present = set(graph.by_type)
    bar = progress()
    bar.phase("evaluating rules", len(rules))
    for rule in rules:
        bar.advance()
        if not rule.types() & present:
            continue  # nothing of the kinds this rule looks at: do not even load it
        try:
            hits = list(rule.check(graph, rule)) if rule.check is not None else list(_declarative(graph, rule))
        except Exception as exc:
            errors.append(internal_error(rule.source, exc, f"running rule {rule.id}"))
            continue
        override = (severities or {}).get(rule.id)
        for hit in hits:
            if override is not None:
                hit.severity = override
            findings.append(to_finding(rule, hit, None if override is not None else policy))
    return findings, errors


def _declarative(graph: ResourceGraph, rule: Rule) -> Iterable[Hit]:
    for fmt, clause in rule.clauses.items():
        if clause.when is None:
            continue
        for res in graph.of_type(*clause.types):
            if res.format != fmt and not (fmt == "terraform" and res.format == "terraform-plan"):
                continue
            truth, witnesses = clause.when.evaluate(res.attrs)
            if truth is not True:
                continue
            seen: set[Path] = set()
            for path in witnesses or [()]:
                if path in seen:
                    continue
                seen.add(path)
                yield Hit(res, path, value=value_at(res.attrs, path))


def render_message(rule: Rule, hit: Hit) -> str:
    if hit.message:
        return hit.message
    template = rule.message or rule.title
    value = hit.value
    fields = {
        "resource": hit.resource.address,
        "type": hit.resource.type,
        "path": format_path(hit.path),
        "value": display(value) if value is not None else "not set",
    }
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template


def _normalised_value(value: Any) -> str:
    if value is None or isinstance(value, Unknown):
        return ""
    return display(value, limit=200)


def to_finding(rule: Rule, hit: Hit, sensitivity: SensitivityPolicy | None = None) -> Finding:
    res = hit.resource
    holder = hit.located_in or res
    path = hit.located_path if hit.located_path is not None else hit.path
    span = hit.span or locate(holder, path)
    evidence: list[Evidence] = list(hit.evidence)
    if holder.origins is not None and path:
        for ev in holder.origins(path):
            if ev not in evidence:
                evidence.append(ev)
    if holder.meta.get("unknown_expansion"):
        evidence.append(
            Evidence(f"{holder.address} is analysed once: its instances are not known ({holder.meta['unknown_expansion']})", holder.span)
        )
    for call in holder.call_chain:
        evidence.append(call)
    severity = hit.severity or rule.severity
    sensitive = sensitivity.sensitive(res) if sensitivity is not None else None
    if sensitive is not None and severity < Severity.CRITICAL:
        severity = severity.raised()
        evidence.append(sensitive)
    suppression = None
    for target in dict.fromkeys((res, holder)):
        declared = intended_exposure(target)
        if isinstance(declared, Suppression):
            suppression = declared
            break
        if isinstance(declared, Evidence):
            evidence.append(declared)
    evidence = list(dict.fromkeys(evidence))  # the same step twice says nothing more
    variant = holder.meta.get("variant")
    conditions = tuple(sorted(f"{what} is {'true' if value else 'false'}" for what, value in variant.items())) if variant else ()
    spec = rule.fixes.get(holder.format)
    fix = make_fix(spec, holder, path, span) if spec is not None and hit.span is None else None
    return Finding(
        rule_id=rule.id,
        severity=severity,
        title=rule.title,
        message=render_message(rule, hit),
        span=span,
        resource=holder.address,
        path=path,
        evidence=tuple(evidence),
        remediation=rule.remediation,
        value=_normalised_value(hit.value),
        conditions=(" and ".join(conditions),) if conditions else (),
        condition_cases=int(holder.meta.get("variants", 0)),
        subject=res.address if res is not holder else "",
        suppression=suppression,
        resource_id=holder.id,
        resource_span=holder.span,
        fix=fix,
    )
