"""One module decides what does not count, and why.

Ways a finding stops counting (each keeps it visible, with its reason):

- **intended**: the resource is declared public by design with a tag, label or annotation
  whose value is the reason: ``seawall:public`` (AWS tags, CloudFormation ``Tags``),
  ``seawall-public`` (labels that allow no colon), ``seawall.dev/public`` (Kubernetes), or
  CloudFormation ``Metadata: {seawall: {public: <reason>}}``.
- **inline**, scoped to rule ids, never a blanket ignore:
  Terraform ``# seawall:ignore <rule-id>[,<rule-id>] <reason> [until=YYYY-MM-DD]`` (``//``
  works too) on the finding's line, on the line above it, or on (or just above) the
  resource's first line for the whole resource; CloudFormation resource
  ``Metadata: {seawall: {ignore: [{rule, reason, until}]}}`` (works in JSON templates);
  Kubernetes annotation ``seawall.dev/ignore: "<rule-id>[,…] <reason> [until=…]"`` (any
  annotation key starting with ``seawall.dev/ignore``).
- **config**: ``per-path-ignores`` in the configuration, with a reason.
- **baseline**: the finding was accepted in a baseline file.

Governance: a reason is required by default (``require-reason``); a suppression without
one, or with a placeholder for one (``TODO: …``, as the editor's quick fix writes it,
``FIXME``, ``TBD``, ``<reason>``), is reported and does not suppress. An expired ``until``
date turns the finding back on, and the suppression is reported. Rules listed in ``unsuppressible`` cannot be suppressed inline. A suppression
that matches nothing is reported, like an unused ``noqa``. These reports are findings of
the built-in check ``seawall-suppression``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Finding, Severity, Span, Suppression
from linter.tags import resource_tags

INTENT_KEYS = ("seawall:public", "seawall-public", "seawall_public", "seawall.dev/public")
_NO_REASON = ("", "true", "yes", "1", "public")
META_RULE = "seawall-suppression"
META_TITLE = "Suppression that does not work as written"
META_FIX = "Fix or remove the suppression: name existing rule ids, give a reason, and renew or drop expired ones."
META_DESCRIPTION = """\
A built-in check of seawall's own suppressions (`# seawall:ignore` comments, `seawall.dev/ignore`
annotations, CloudFormation `Metadata` entries). It reports a suppression that does not do
what it says, at the place where the suppression is written:

- medium: it gives no reason, or only a placeholder for one (`TODO: …`, `FIXME`, `TBD`,
  `<reason>`), so it suppresses nothing (while `require-reason` is on); or it names a rule
  listed in `unsuppressible`, so the finding stands;
- low: its `until` date has passed, so the findings it covered are reported again; it names
  an unknown rule id, or no rule id at all (a blanket ignore is not allowed); its `until` is
  not a date; or it matches no finding (like an unused `noqa`).

A suppression that silently stopped working, or never worked, misleads whoever reads the
code into thinking a finding was reviewed. `--ignore seawall-suppression` (or `ignore` in
the configuration) turns these reports off."""
_MEDIUM_PROBLEMS = ("gives no reason", "gives a placeholder")


def meta_rule() -> Any:
    """The documentation of ``seawall-suppression`` as a Rule (for ``seawall rules show``
    and SARIF rule metadata); it has no match clauses: ``apply_suppressions`` is the check."""
    from linter.ruleset import Rule, RuleBody

    return Rule(
        id=META_RULE, title=META_TITLE, severity=Severity.LOW,
        body=RuleBody(clauses=[], description=META_DESCRIPTION, remediation=META_FIX, references=()),
        types=frozenset(), tags=("suppression",),
    )

# The suppression syntax, read here and written here (the language server's quick fix).
DIRECTIVE = "seawall:ignore"  # a comment: `# seawall:ignore <rule-id>[,<rule-id>] <reason> [until=YYYY-MM-DD]`
ANNOTATION = "seawall.dev/ignore"  # a Kubernetes annotation (and the prefix of more: seawall.dev/ignore-2)
METADATA = ("seawall", "ignore")  # a CloudFormation resource's Metadata: a list of {rule, reason, until}
# what the quick fix writes for the reason: a placeholder, which does not count as one
REASON_PLACEHOLDER = "TODO: say why this is acceptable"

_DIRECTIVE = re.compile(re.escape(DIRECTIVE) + r"\b(?P<rest>.*)", re.I)
_RULE_IDS = re.compile(r"\s*(?P<ids>[a-z0-9][a-z0-9-]*(?:\s*,\s*[a-z0-9][a-z0-9-]*)*)(?P<tail>.*)", re.S)
_UNTIL = re.compile(r"\buntil=(\S+)")
# a reason that only stands for one: a to-do, or the `<reason>` of the documented syntax
_PLACEHOLDER = re.compile(r"(?:todo|fixme|tbd)\b|<[^<>]*>$|[.…?]*$", re.I)


def directive_body(rules: Iterable[str], reason: str, until: str | None = None) -> str:
    """``<rule-id>[,<rule-id>] <reason> [until=DATE]``: the words of a suppression in every format."""
    return " ".join([",".join(rules), reason] + ([f"until={until}"] if until else []))


def directive_comment(rules: Iterable[str], reason: str = REASON_PLACEHOLDER, until: str | None = None) -> str:
    """A Terraform comment that suppresses ``rules``."""
    return f"# {DIRECTIVE} {directive_body(rules, reason, until)}"


def annotation_key(taken: Iterable[str]) -> str:
    """The first free suppression annotation key of an object."""
    used = set(taken)
    key, n = ANNOTATION, 2
    while key in used:
        key, n = f"{ANNOTATION}-{n}", n + 1
    return key


def annotation_value(rules: Iterable[str], reason: str = REASON_PLACEHOLDER, until: str | None = None) -> str:
    """A suppression annotation's value, as a YAML scalar."""
    return json.dumps(directive_body(rules, reason, until))  # a JSON string is a YAML double-quoted scalar


def metadata_entry(rule: str, reason: str = REASON_PLACEHOLDER, until: str | None = None) -> str:
    """One entry of a CloudFormation resource's ``Metadata.seawall.ignore``, as YAML flow."""
    fields = [f"rule: {rule}", f"reason: {json.dumps(reason)}"] + ([f"until: {until}"] if until else [])
    return "{" + ", ".join(fields) + "}"


def mentions_directive(text: str) -> bool:
    return _DIRECTIVE.search(text) is not None


def is_placeholder(reason: str) -> bool:
    """A reason that says nothing yet: ``TODO: …`` (what the quick fix writes), ``FIXME``,
    ``TBD``, ``<reason>``, or only dots."""
    return _PLACEHOLDER.match(reason.strip()) is not None


_SCOPE = re.compile(r"\s*(?P<key>ports?|rules?)=(?P<list>[^\s]+)", re.I)


class Intent(Struct, frozen=True):
    """A declaration that a resource is public by design, and what it accepts."""

    reason: str
    span: Span | None
    key: str  # the tag, label, annotation or metadata that declares it
    rules: tuple[str, ...] = ()
    ports: tuple[tuple[int, int], ...] = ()

    @property
    def scoped(self) -> bool:
        return bool(self.rules or self.ports)

    def covers(self, f: Finding) -> tuple[bool, str]:
        """Whether the declaration accepts ``f``, and, when not, why not (for the evidence)."""
        from linter.ports import accepted_by, is_sensitive_range

        if self.scoped:
            if f.rule_id in self.rules:
                return True, ""
            if self.ports and f.ports and accepted_by(f.ports, self.ports):
                return True, ""
            named = ", ".join([*self.rules, *(f"{a}" if a == b else f"{a}-{b}" for a, b in self.ports)])
            return False, f"it accepts only {named}"
        sensitive = [f"{a}" if a == b else f"{a}-{b}" for a, b in f.ports if is_sensitive_range(a, b)]
        if sensitive:
            return False, f"a declaration that names no ports or rules does not accept remote administration or database ports ({', '.join(sensitive)}); name them with ports=... to accept them"
        return True, ""


def _scope(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...], str, list[str]]:
    """Leading ``rules=a,b`` / ``ports=80,443,8000-8100`` tokens of a declaration, then the reason.
    Lists may be separated by ``,``, ``+`` or ``/`` (AWS tag values allow no comma)."""
    from linter.ports import parse_ports

    rules: list[str] = []
    ports: list[tuple[int, int]] = []
    problems: list[str] = []
    rest = text
    while True:
        m = _SCOPE.match(rest)
        if m is None:
            break
        items = [i for i in re.split(r"[,+/]", m.group("list")) if i]
        if m.group("key").lower().startswith("rule"):
            rules.extend(items)
        else:
            for r in parse_ports(items):
                if r.lo is None or r.hi is None:
                    problems.append(f"ports={m.group('list')} is not a list of ports")
                else:
                    ports.append((r.lo, r.hi))
        rest = rest[m.end() :]
    return tuple(rules), tuple(ports), rest.strip(), problems


def intended_exposure(res: Resource) -> Intent | Evidence | None:
    """The declaration that ``res`` is public by design: an Intent when it gives a reason,
    an Evidence explaining why it does not count when it gives none, else None."""
    tags = resource_tags(res)
    for key in INTENT_KEYS:
        if key in tags:
            value, span = tags[key]
            break
    else:
        meta = tags.get("seawall")
        if meta is None or not isinstance(meta[0], dict) or "public" not in meta[0]:
            return None
        value, span = meta[0]["public"], meta[1]
        key = "Metadata seawall.public"
    text = str(value).strip() if value is not None else ""
    rules, ports, reason, problems = _scope(text)
    if problems:
        return Evidence(f"{res.address} is declared public by design ({key}) but {problems[0]}", span)
    if reason.lower() in _NO_REASON or is_placeholder(reason):
        return Evidence(f"{res.address} is declared public by design ({key}) but gives no reason (or a placeholder); write why as its value", span)
    if key == "seawall-public":
        reason = reason.replace("_", " ").replace("-", " ")
    return Intent(reason, span, key, rules, ports)


def declarations(findings: list[Finding], graph: ResourceGraph) -> dict[str, tuple[str, Intent | Evidence | None]]:
    """Resource id -> (address, declaration of intent) of every resource a finding names:
    all :func:`apply_intent` needs of the graph, so a unit's graph can go before it runs."""
    out: dict[str, tuple[str, Intent | Evidence | None]] = {}
    for f in findings:
        for res_id in (f.subject_id, f.resource_id):
            res = graph.get(res_id) if res_id and res_id not in out else None
            if res is not None:
                out[res_id] = (res.address, intended_exposure(res))
    return out


def apply_intent(findings: list[Finding], intents: dict[str, tuple[str, Intent | Evidence | None]]) -> list[Finding]:
    """The stage after evaluation: findings on resources declared public by design are
    suppressed as intended when the declaration accepts them (see :class:`Intent`).
    ``intents`` is :func:`declarations` of the findings."""
    out: list[Finding] = []
    for f in findings:
        extra: list[Evidence] = []
        decided: Suppression | None = None
        for res_id in dict.fromkeys(i for i in (f.subject_id, f.resource_id) if i):
            address, declared = intents.get(res_id, ("", None))
            if isinstance(declared, Evidence):
                extra.append(declared)
            elif isinstance(declared, Intent):
                ok, why = declared.covers(f)
                if ok:
                    decided = Suppression("intended", declared.reason, declared.span)
                    break
                extra.append(Evidence(f"{address} is declared public by design ({declared.reason}), but {why}", declared.span))
        if decided is not None and f.suppression is None:
            f = replace(f, suppression=decided)
        elif extra:
            f = replace(f, evidence=f.evidence + tuple(e for e in extra if e not in f.evidence))
        out.append(f)
    return out


class Directive(Struct):
    """One inline suppression: which rules, why, until when, and where it is written."""

    rules: tuple[str, ...]
    reason: str
    until: str | None
    span: Span
    scope: str  # "line" (a comment), "resource" (Metadata / annotation of one resource)
    resource_id: str = ""
    whole_line: bool = False  # a comment alone on its line (it may cover the next line)
    problems: list[str] = field(default_factory=list)
    used: bool = False


def parse_directive(text: str) -> tuple[tuple[str, ...], str, str | None, list[str]] | None:
    """``seawall:ignore ids reason until=DATE`` -> (ids, reason, until, problems), or None."""
    m = _DIRECTIVE.search(text)
    if m is None:
        return None
    rest = m.group("rest").rstrip(" */")
    problems: list[str] = []
    ids_m = _RULE_IDS.match(rest)
    if ids_m is None or not ids_m.group("ids").strip():
        return (), "", None, ["names no rule id (a blanket ignore is not allowed)"]
    ids = tuple(x.strip() for x in ids_m.group("ids").split(","))
    tail = ids_m.group("tail")
    until = None
    um = _UNTIL.search(tail)
    if um:
        until = um.group(1)
        tail = tail[: um.start()] + tail[um.end() :]
        try:
            _dt.date.fromisoformat(until)
        except ValueError:
            problems.append(f"until={until} is not a date (YYYY-MM-DD)")
    reason = " ".join(tail.split()).strip(" -:")
    return ids, reason, until, problems


def _directive_from_value(value: Any, span: Span, resource_id: str) -> Directive:
    """A Metadata entry (a string or a {rule, reason, until} mapping) as a directive."""
    if isinstance(value, dict):
        rules = value.get("rule") or value.get("rules") or ""
        ids = tuple(x.strip() for x in (rules if isinstance(rules, list) else str(rules).split(",")) if str(x).strip())
        until = str(value["until"]) if value.get("until") is not None else None
        problems = [] if ids else ["names no rule id (a blanket ignore is not allowed)"]
        if until:
            try:
                _dt.date.fromisoformat(until)
            except ValueError:
                problems.append(f"until={until} is not a date (YYYY-MM-DD)")
        return Directive(ids, str(value.get("reason") or "").strip(), until, span, "resource", resource_id, problems=problems)
    parsed = parse_directive(f"{DIRECTIVE} {value}")
    assert parsed is not None
    ids, reason, until, problems = parsed
    return Directive(ids, reason, until, span, "resource", resource_id, problems=problems)


def collect_directives(comments: dict[str, list[Any]], graph: ResourceGraph) -> list[Directive]:
    out: list[Directive] = []
    for file, items in comments.items():
        for c in items:
            parsed = parse_directive(c.text)
            if parsed is None:
                continue
            ids, reason, until, problems = parsed
            out.append(Directive(ids, reason, until, Span(file, c.line, c.column, c.line, c.column + len(c.text)), "line", problems=problems, whole_line=c.whole_line))
    for res in graph:
        if res.format == "cloudformation":
            meta = res.attrs.get("Metadata")
            seawall = meta.get(METADATA[0]) if isinstance(meta, dict) else None
            entries = seawall.get(METADATA[1]) if isinstance(seawall, dict) else None
            if entries is None:
                continue
            listed = isinstance(entries, list)
            entries = entries if listed else [entries]
            for i, entry in enumerate(entries):
                span = locate(res, ("Metadata", *METADATA, i) if listed else ("Metadata", *METADATA))
                out.append(_directive_from_value(entry, span, res.id))
        elif res.format == "kubernetes":
            meta = res.attrs.get("metadata")
            ann = meta.get("annotations") if isinstance(meta, dict) else None
            for key, value in (ann.items() if isinstance(ann, dict) else ()):
                if str(key).startswith(ANNOTATION):
                    out.append(_directive_from_value(value, locate(res, ("metadata", "annotations", key)), res.id))
    return out


def _covers(d: Directive, f: Finding) -> bool:
    if d.scope == "resource":
        return d.resource_id == f.resource_id
    if d.span.file != f.span.file:
        return False
    line = d.span.line
    if line == f.span.line or (d.whole_line and line == f.span.line - 1):
        return True
    header = f.resource_span
    return header is not None and header.file == d.span.file and (line == header.line or (d.whole_line and line == header.line - 1))


class SuppressionPolicy(Struct):
    """What a suppression must say and which rules it may silence."""

    require_reason: bool = True
    unsuppressible: frozenset[str] = frozenset()
    per_path_ignores: tuple[Any, ...] = ()
    known_rules: frozenset[str] = frozenset()
    ran_rules: frozenset[str] | None = None  # rules that ran; an unused-check needs them to have run
    today: _dt.date = field(default_factory=_dt.date.today)


def _meta(span: Span, message: str, severity: Severity = Severity.LOW) -> Finding:
    return Finding(
        rule_id=META_RULE,
        severity=severity,
        title=META_TITLE,
        message=message,
        span=span,
        resource="",
        remediation=META_FIX,
        value=message,
    )


def apply_suppressions(findings: list[Finding], directives: list[Directive], policy: SuppressionPolicy) -> list[Finding]:
    """The findings with their suppressions decided, plus the reports about the suppressions."""
    out: list[Finding] = []
    reports: list[Finding] = []
    for d in directives:
        unknown = [r for r in d.rules if policy.known_rules and r not in policy.known_rules]
        if unknown:
            d.problems.append(f"names unknown rule id {', '.join(unknown)}")
        if policy.require_reason and not d.reason and d.rules:
            d.problems.append("gives no reason, so it does not suppress anything (write why after the rule ids)")
        elif policy.require_reason and d.rules and is_placeholder(d.reason):
            d.problems.append(f"gives a placeholder ({d.reason!r}) instead of a reason, so it does not suppress anything (write why the finding is acceptable)")
        if d.until and _expired(d.until, policy.today):
            d.problems.append(f"expired on {d.until}: the findings it covered are reported again (fix them, or renew the date with a reason)")
    for f in findings:
        if f.suppression is not None:
            out.append(f)
            continue
        decided = None
        extra: list[Evidence] = []
        for d in directives:
            if f.rule_id not in d.rules or not _covers(d, f):
                continue
            d.used = True
            if f.rule_id in policy.unsuppressible:
                extra.append(Evidence(f"the suppression at {d.span.file}:{d.span.line} does not apply: {f.rule_id} may not be suppressed inline", d.span))
                reports.append(_meta(d.span, f"{f.rule_id} may not be suppressed inline (configuration 'unsuppressible'); the finding stands", Severity.MEDIUM))
                continue
            if policy.require_reason and (not d.reason or is_placeholder(d.reason)):
                what = "a placeholder instead of a reason" if d.reason else "no reason"
                extra.append(Evidence(f"the suppression at {d.span.file}:{d.span.line} gives {what}, so it does not count", d.span))
                continue
            if d.until and _expired(d.until, policy.today):
                extra.append(Evidence(f"the suppression at {d.span.file}:{d.span.line} expired on {d.until}", d.span))
                continue
            decided = Suppression("inline", d.reason or "(no reason given)", d.span, d.until)
            break
        if decided is None:
            decided = _path_ignore(f, policy)
        if decided is not None:
            f = replace(f, suppression=decided)
        elif extra:
            f = replace(f, evidence=f.evidence + tuple(extra))
        out.append(f)
    for d in directives:
        for problem in dict.fromkeys(d.problems):
            reports.append(_meta(d.span, f"suppression {problem}", Severity.MEDIUM if problem.startswith(_MEDIUM_PROBLEMS) else Severity.LOW))
        ran = policy.ran_rules is None or any(r in policy.ran_rules for r in d.rules)
        if not d.used and not d.problems and ran:
            ids = ", ".join(d.rules)
            reports.append(_meta(d.span, f"unused suppression: no finding of {ids} here to suppress (remove it)"))
    return out + reports


def _expired(until: str, today: _dt.date) -> bool:
    try:
        return _dt.date.fromisoformat(until) < today
    except ValueError:  # reported as "not a date"
        return False


def _path_ignore(f: Finding, policy: SuppressionPolicy) -> Suppression | None:
    from linter.discover import path_matches

    for entry in policy.per_path_ignores:
        if f.rule_id in entry.rules and path_matches(f.span.file, entry.paths):
            return Suppression("config", entry.reason)
    return None


def known_rule_ids(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(ids) | {META_RULE}
