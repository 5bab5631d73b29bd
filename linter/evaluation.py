"""Rules over the graph -> hits -> findings.

Evaluation and what follows it are separate stages:

1. **evaluate**: each rule judges the resources of the types its clauses name, one
   resource at a time (through an index by type), and yields raw :class:`Hit`\\ s. A rule is
   a condition (``when``), a named check (linter/checks/) or, rarely, a Python one-off.
   An error while judging one resource is contained to that resource: it becomes an input
   error naming the rule and the resource, and every other resource is still judged.
2. **locate** (:func:`locate_hit`): the hit's resource and path -> a span, by the parser's
   positions (linter/locate.py).
3. **explain** (:func:`explain`): where the deciding values came from (variables, tfvars,
   parameters), an expansion analysed once, the module call chain.
4. **verdict** (:func:`verdict_of`): public as written (``exposed``), only through a
   default a deployer normally sets (``default``), in some cases only (``conditional``), or
   one change away (``posture``), from the provenance of the deciding values.
5. **grade** (:func:`grade`): the severity, raised for sensitive data (linter/sensitivity.py)
   or replaced by the configuration.
6. **fix** (:func:`fix_of`): the safe fix the rule offers for the format, if any.

Declared intended exposure and suppressions are the next stage (linter/suppress.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct, field

from linter.conditions import Env
from linter.graph import Resource, ResourceGraph
from linter.internal import internal_error
from linter.locate import locate, value_at
from linter.model import Evidence, Finding, Fix, InputError, Path, Severity, Span, format_path
from linter.progress import current as progress
from linter.ruleset import Clause, Rule, RuleSet
from linter.sensitivity import SensitivityPolicy
from linter.values import Unknown, display


class Hit(Struct):
    """What a rule found, before it is located and explained.

    ``at`` is the resource whose definition holds the reported setting and ``path`` where
    inside it (the one way a hit says where it is); ``subject`` is what is exposed when
    that is another resource (the bucket a policy resource opens). ``facts`` are named
    values the message may use (``{port}``, ``{role}``) and later stages read (the ports a
    finding concerns)."""

    at: Resource
    path: Path = ()
    subject: Resource | None = None
    message: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    severity: Severity | None = None
    value: Any = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def exposed(self) -> Resource:
        return self.subject or self.at


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
    bar.phase("evaluating rules", len(rules) + len(rules.deciding))
    for rule in [*rules, *rules.deciding]:
        bar.advance()
        if not rule.types & present:
            continue  # nothing of the kinds this rule looks at: do not even load it
        override = (severities or {}).get(rule.id)
        for hit in rule_hits(graph, rule, errors):
            findings.append(to_finding(rule, hit, None if override is not None else policy, override))
    return _yielded(findings, rules), errors


def _yielded(findings: list[Finding], rules: RuleSet) -> list[Finding]:
    """Drop the findings of rules that yield (``yields_to``) on what an exposure finding of
    one of the named rules exposes: a bucket public through its ACL is not also one step
    away for lack of a public access block."""
    yielding = {r.id: set(r.yields_to) for r in rules if r.yields_to}
    only_deciding = {r.id for r in rules.deciding}
    exposed = {(f.rule_id, f.subject_id or f.resource_id) for f in findings if f.verdict != "posture"} if yielding else set()
    return [
        f for f in findings
        if f.rule_id not in only_deciding
        and (f.rule_id not in yielding or not any((other, f.subject_id or f.resource_id) in exposed for other in yielding[f.rule_id]))
    ]


def rule_hits(graph: ResourceGraph, rule: Rule, errors: list[InputError]) -> Iterator[Hit]:
    """The raw hits of one rule; an error on one resource is recorded and contained to it."""
    if rule.companion is not None:
        try:
            yield from list(rule.companion(graph, rule))
        except Exception as exc:
            errors.append(internal_error(rule.source, exc, f"running rule {rule.id}"))
        return
    check = None
    if rule.check is not None:
        from linter import checks

        check = checks.get(rule.check)
    for clause, res in candidates(graph, rule):
        try:
            hits = list(_judge(graph, rule, clause, res, check))
            for hit in hits:
                hit.severity = rule_severity(graph, rule, hit, clause) if rule.severity_by else hit.severity
            yield from hits
        except Exception as exc:
            errors.append(internal_error(res.file, exc, f"rule {rule.id} judging {res.address} (every other resource is still judged)", res.span.line))


def candidates(graph: ResourceGraph, rule: Rule) -> Iterator[tuple[Clause, Resource]]:
    """The resources each clause of ``rule`` judges, with the clause."""
    for clause in rule.clauses:
        fmt = clause.format
        for res in graph.of_type(*clause.types):
            if res.format == fmt or (fmt == "terraform" and res.format == "terraform-plan"):
                yield clause, res


def _judge(graph: ResourceGraph, rule: Rule, clause: Clause, res: Resource, check: Any) -> Iterable[Hit]:
    witnesses: list[Path] = []
    env = Env(graph, res, clause.related)
    if clause.when is not None:
        truth, witnesses = clause.when.evaluate(res.attrs, (), env)
        if truth is not True:
            return ()
    if check is None:
        return _condition_hits(res, witnesses, env)
    from linter.checks import Context

    return check.run(Context(graph, rule, clause, clause.params), res)


def _condition_hits(res: Resource, witnesses: list[Path], env: Env) -> Iterator[Hit]:
    """One hit per witness; resources a connection condition found are named in the
    evidence and as ``{related}`` in the message."""
    related = list(dict.fromkeys(other for other, _ in env.found))
    evidence = related_evidence(res, env)
    facts = {"related": ", ".join(r.address for r in related[:3]) + (f" and {len(related) - 3} more" if len(related) > 3 else "")} if related else {}
    seen: set[Path] = set()
    for path in witnesses or [()]:
        if path not in seen:
            seen.add(path)
            yield Hit(res, path, value=value_at(res.attrs, path), evidence=list(evidence[:4]), facts=dict(facts))


def related_evidence(res: Resource, env: Env) -> list[Evidence]:
    """The resources a connection condition found, each as a step of the explanation."""
    return [Evidence(f"{other.address} refers to {res.address}" if how == "refers to it" else f"{res.address} refers to {other.address}", other.span) for other, how in dict.fromkeys(env.found)]


# --------------------------------------------------------------------------- hit -> finding


def render_message(rule: Rule, hit: Hit) -> str:
    if hit.message:
        return hit.message
    return render(rule.message or rule.title, hit)


def render(template: str, hit: Hit) -> str:
    """``template`` with the hit's facts and ``{resource}``, ``{type}``, ``{path}``, ``{value}``
    (a named check uses it for a message its params give, such as one clause's own)."""
    value = hit.value
    fields = {
        **{k: display(v) if not isinstance(v, str) else v for k, v in hit.facts.items()},
        "resource": hit.exposed.address,
        "type": hit.exposed.type,
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


def locate_hit(hit: Hit) -> Span:
    return locate(hit.at, hit.path)


def explain(hit: Hit) -> list[Evidence]:
    """The hit's own evidence, then where its values came from, then how its resource was made."""
    evidence: list[Evidence] = list(hit.evidence)
    holder = hit.at
    if holder.origins is not None and hit.path:
        evidence.extend(holder.origins(hit.path))
    if holder.meta.get("unknown_expansion"):
        evidence.append(Evidence(f"{holder.address} is analysed once: its instances are not known ({holder.meta['unknown_expansion']})", holder.span))
    evidence.extend(holder.call_chain)
    return list(dict.fromkeys(evidence))  # the same step twice says nothing more


def rule_severity(graph: ResourceGraph, rule: Rule, hit: Hit, clause: Clause | None = None) -> Severity | None:
    """The severity the rule's ``severity_by`` gives a hit the check did not grade: the first
    entry whose condition holds for the resource holding the setting (with the roles of the
    clause that judged it). The resources its connections found join the evidence: they are
    why the finding has that severity."""
    if hit.severity is not None:
        return hit.severity
    for condition, severity in rule.severity_by:
        env = Env(graph, hit.at, clause.related if clause is not None else {})
        if condition.evaluate(hit.at.attrs, (), env)[0] is True:
            hit.evidence.extend(e for e in related_evidence(hit.at, env) if e not in hit.evidence)
            return severity
    return None


VERDICTS = ("exposed", "default", "conditional", "posture")


def verdict_of(rule: Rule, hit: Hit, evidence: list[Evidence]) -> tuple[str, str]:
    """How public the finding is, and why (empty for ``exposed``).

    - ``posture``: the rule is about a guard or a step away from exposure (``verdict:
      posture`` in the rule), or the check says so for this hit;
    - ``conditional``: it holds in some cases only: one instance of a ``count``/``for_each``
      that is not known (or a possible instance of one, in a resource or a module call),
      an attachment not in the scanned code (the check says so), or a
      CloudFormation condition left undecided (decided when cases are merged, in the engine);
    - ``default``: a deciding value comes from a variable's or parameter's default, which a
      deployer normally sets; the reason names the input and what would close it;
    - ``exposed``: every deciding value is written for this deployment (a literal, tfvars or a
      var file, a module argument, a parameter file, a manifest field)."""
    told = hit.facts.get("verdict")
    if told in VERDICTS:
        return str(told), str(hit.facts.get("verdict_reason", ""))
    if rule.verdict in VERDICTS:
        return rule.verdict, rule.verdict_reason or "nothing is reachable through this setting today, but one change makes it so"
    expansion = hit.at.meta.get("unknown_expansion")
    if expansion:
        return "conditional", f"holds for the instances of {hit.at.address} that exist: how many is not known ({expansion})"
    if hit.at.meta.get("possible_instance"):
        return "conditional", f"holds only if it is created: {hit.at.meta['possible_instance']}"
    possible = next((e for e in evidence if e.origin == "possible"), None)
    if possible is not None:
        return "conditional", f"holds only if it is created: {possible.message}"
    defaults = [e for e in evidence if e.origin == "default"]
    if defaults:
        first = defaults[0]
        spec = rule.fixes.get(hit.at.format)
        closing = f", for instance to {display(spec.value)}" if spec is not None else " to a value that is not public"
        return "default", f"public through a default ({first.message}): a deployment that sets it{closing} is not"
    return "exposed", ""


# The one table that ranks findings. A rule (or its check, per hit) says how bad the
# exposure is when public as written, by what is exposed: critical for data anyone can read
# or write and for databases, caches, brokers and remote administration; high for a service
# protected by its own authentication; medium for a web endpoint; low for hygiene. The
# verdict then places it: a default or a case is one step down, a posture two.
SEVERITY_TABLE: dict[str, dict[Severity, Severity]] = {
    "exposed": {s: s for s in Severity},
    "default": {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW, Severity.LOW: Severity.LOW},
    "conditional": {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW, Severity.LOW: Severity.LOW},
    "posture": {Severity.CRITICAL: Severity.MEDIUM, Severity.HIGH: Severity.LOW, Severity.MEDIUM: Severity.LOW, Severity.LOW: Severity.LOW},
}


def grade(rule: Rule, hit: Hit, sensitivity: SensitivityPolicy | None, override: Severity | None = None, verdict: str = "exposed") -> tuple[Severity, Evidence | None]:
    """The finding's severity from the table (what is exposed x verdict), raised one step for
    sensitive data; a configured override replaces it. Returns the evidence of sensitivity
    when that raised it."""
    if override is not None:
        return override, None
    severity = SEVERITY_TABLE[verdict][hit.severity or rule.severity]
    sensitive = sensitivity.sensitive(hit.exposed) if sensitivity is not None else None
    if sensitive is not None and severity < Severity.CRITICAL:
        return severity.raised(), sensitive
    return severity, None


def fix_of(rule: Rule, hit: Hit, span: Span) -> Fix | None:
    spec = rule.fixes.get(hit.at.format)
    if spec is None:
        return None
    from linter.fixes import make_fix  # imported by the first finding that has a fix

    return make_fix(spec, hit.at, hit.path, span)


def to_finding(rule: Rule, hit: Hit, sensitivity: SensitivityPolicy | None = None, override: Severity | None = None) -> Finding:
    span = locate_hit(hit)
    evidence = explain(hit)
    verdict, why = verdict_of(rule, hit, evidence)
    severity, sensitive = grade(rule, hit, sensitivity, override, verdict)
    if sensitive is not None and sensitive not in evidence:
        evidence.append(sensitive)
    case = hit.at.case
    return Finding(
        rule_id=rule.id,
        severity=severity,
        title=rule.title,
        message=render_message(rule, hit),
        span=span,
        resource=hit.at.address,
        path=hit.path,
        evidence=tuple(evidence),
        remediation=rule.remediation,
        value=_normalised_value(hit.value),
        conditions=(case.describe(),) if case is not None else (),
        condition_cases=case.of if case is not None else 0,
        subject=hit.subject.address if hit.subject is not None and hit.subject is not hit.at else "",
        subject_id=hit.exposed.id,
        resource_id=hit.at.id,
        resource_span=hit.at.span,
        fix=fix_of(rule, hit, span),
        ports=tuple(hit.facts.get("ports", ())),
        verdict=verdict,
        verdict_reason=why,
        openings=tuple((str(i), tuple(p)) for i, p in hit.facts.get("openings", ())),
    )
