"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` holds a descriptor for every rule that produced a result
(active or suppressed), sorted by id, so the report stays small while each result still
has its help text. Results keep seawall's exact spans (``columnKind`` is
``unicodeCodePoints``, as the parsers count columns; ``endColumn`` is exclusive in both).

Mapping:

- level: critical and high are ``error``, medium ``warning``, low ``note``;
  ``security-severity`` (GitHub's convention) is 9.5 / 8.0 / 5.5 / 3.0.
- severity on GitHub: code scanning documents ``security-severity`` on the rule (the
  ``reportingDescriptor``) only, while a finding's severity is the rule's placed by its
  verdict and raised for sensitive data (``linter/evaluation.py``). So each rule that
  produced a result has a descriptor at its own severity (id: the rule id), and one more
  for every other severity its results have, with the hierarchical id
  ``<rule-id>/<severity>`` (SARIF's sub-rule form), a ``relationships`` entry naming the
  rule (kind ``superset``: the rule covers these results), and that severity's
  ``security-severity`` and default level. A result's ``ruleId`` and ``ruleIndex`` name
  the descriptor of its own severity, so the severity GitHub shows is seawall's. The result
  also carries ``properties.security-severity`` (which code scanning reads too, though only
  the rule's is documented) and its ``level``. A finding whose severity changes moves to
  another rule id: code scanning closes its alert and opens one at the new severity;
- ``properties.verdict`` (``exposed``, ``default``, ``conditional``, ``posture``) and
  ``properties.verdictReason`` on each result;
- evidence with a place becomes a ``relatedLocation`` (ids 1, 2, …) and a link to it in
  the message (``[file:line](id)``, SARIF's embedded links; literal brackets are escaped);
- ``partialFingerprints["seawall/v1"]`` is the baseline fingerprint relative to the
  current directory, so an alert survives moved lines and reformatting;
- suppressed findings are results with ``suppressions``: ``inSource`` for what is written
  in the scanned file (an inline ``seawall:ignore``, a public-by-design declaration),
  ``external`` for the configuration and baseline files, all ``accepted`` with the reason
  as justification and the place the suppression is written as its location;
- findings present at the base revision (``--new-only``) are not suppressed (they are
  still real problems of the repository); they carry ``baselineState: unchanged`` and the
  others ``new``;
- input errors and notes are ``invocations[0].toolExecutionNotifications``; input errors
  make ``executionSuccessful`` false.

Paths are relative to the current directory (``uriBaseId: %SRCROOT%``, which
``originalUriBaseIds`` resolves) when the file is inside it, absolute ``file:`` URIs
otherwise. The output has no timestamps and no random ids: the same scan gives the same
bytes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from linter.baseline import fingerprint
from linter.model import Finding, InputError, Note, ScanResult, Severity, Span, Suppression, format_path
from linter.outputs.paths import relative_path
from linter.ruleset import Rule, RuleSet

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "seawall/v1"

LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
# where each kind of suppression is written: in the scanned file, or in a file of its own
SUPPRESSION_KINDS = {"inline": "inSource", "intended": "inSource", "config": "external", "baseline": "external"}
NOT_NEW = "preexisting"


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seawall")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def information_uri() -> str | None:
    """The project's home page from the package metadata (``[project.urls]``), if declared."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("seawall")
    except PackageNotFoundError:  # pragma: no cover
        return None
    urls = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in ("homepage", "home", "documentation", "repository", "source"):
        if urls.get(label, "").startswith(("https://", "http://")):
            return urls[label]
    home = (meta.get_all("Home-page") or [""])[0] or ""
    return home if home.startswith(("https://", "http://")) else None


def artifact_location(file: str) -> dict[str, Any]:
    rel = relative_path(file)
    if rel is not None:
        return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}
    return {"uri": Path(os.path.abspath(file)).as_uri()}


def region(span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {"startLine": max(span.line, 1), "startColumn": max(span.column, 1)}
    end_line = max(span.end_line, out["startLine"])
    out["endLine"] = end_line
    end_column = span.end_column
    if end_line == out["startLine"]:
        end_column = max(end_column, out["startColumn"])
    if end_column >= 1:
        out["endColumn"] = end_column
    return out


def physical_location(span: Span) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": artifact_location(span.file), "region": region(span)}}


def escape_text(text: str) -> str:
    """Plain message text with SARIF's embedded links: literal brackets are escaped."""
    return re.sub(r"(\\*)([\[\]])", lambda m: m.group(1) * 2 + "\\" + m.group(2), text)


def paragraphs(text: str) -> str:
    """Hard-wrapped prose (rule descriptions) as one line per paragraph."""
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


def rule_name(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def rule_descriptor(rule_id: str, rule: Rule | None, sample: Finding, at: Severity | None = None) -> dict[str, Any]:
    """The reportingDescriptor of ``rule_id``; ``rule`` is None for the built-in suppression
    check and for rules the RuleSet does not know (described from their finding). ``at``
    asks for the descriptor of its results at another severity than the rule's own (id
    ``<rule-id>/<severity>``)."""
    from linter.suppress import META_RULE, meta_rule

    if rule is None and rule_id == META_RULE:
        rule = meta_rule()
    if rule is not None:
        title, description, remediation = rule.title, rule.description, rule.remediation
        references, severity, tags = rule.references, rule.severity, rule.tags
    else:
        title, description, remediation = sample.title, sample.title, sample.remediation
        references, severity, tags = (), sample.severity, ()
    own = at is None or at == severity
    severity = at if at is not None else severity
    text = paragraphs(description)
    md = [description.strip()]
    help_text = [text]
    if remediation:
        md += ["", "**How to fix**", "", remediation.strip()]
        help_text += ["", "How to fix: " + paragraphs(remediation)]
    if references:
        md += ["", "**References**", ""] + [f"- [{ref}]({ref})" for ref in references]
        help_text += ["", "References:"] + [f"- {ref}" for ref in references]
    properties: dict[str, Any] = {
        "tags": list(dict.fromkeys(("security",) + tuple(tags))) if rule_id != META_RULE else ["seawall", "suppression"],
        "precision": "high" if rule_id != META_RULE else "very-high",
    }
    if rule_id != META_RULE:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    else:
        properties["problem.severity"] = "warning"
    desc: dict[str, Any] = {
        "id": rule_id if own else f"{rule_id}/{severity}",
        "name": rule_name(rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": text},
        "help": {"text": "\n".join(help_text), "markdown": "\n".join(md)},
    }
    if references:
        desc["helpUri"] = references[0]
    desc["defaultConfiguration"] = {"level": LEVELS[severity]}
    if not own:
        desc["relationships"] = [{"target": {"id": rule_id}, "kinds": ["superset"], "description": {"text": f"the findings of {rule_id} whose severity is {severity}"}}]
    desc["properties"] = properties
    return desc


def descriptors_of(findings: list[Finding], rules: RuleSet) -> tuple[list[dict[str, Any]], dict[tuple[str, Severity], int]]:
    """The descriptors of the rules with results, sorted by rule id, each followed by its
    descriptors at the other severities of its results (most severe first); and the index
    of the descriptor for each (rule id, severity) that results have."""
    from linter.suppress import META_RULE

    samples: dict[str, Finding] = {}
    severities: dict[str, set[Severity]] = {}
    for f in findings:
        samples.setdefault(f.rule_id, f)
        severities.setdefault(f.rule_id, set()).add(f.severity)
    descriptors: list[dict[str, Any]] = []
    index: dict[tuple[str, Severity], int] = {}
    for rid in sorted(samples):
        rule = rules.get(rid)
        base = len(descriptors)
        descriptors.append(rule_descriptor(rid, rule, samples[rid]))
        own = rule.severity if rule is not None else samples[rid].severity
        for sev in sorted(severities[rid], reverse=True):
            if sev == own or rid == META_RULE:  # the built-in check has no security severity
                index[(rid, sev)] = base
                continue
            sub = rule_descriptor(rid, rule, samples[rid], sev)
            sub["relationships"][0]["target"]["index"] = base
            index[(rid, sev)] = len(descriptors)
            descriptors.append(sub)
    return descriptors, index


def message_text(f: Finding) -> str:
    lines = [escape_text(f.message)]
    if f.evidence:
        lines.append("Evidence:")
    link = 0
    for e in f.evidence:
        if e.span is not None:
            link += 1
            where = relative_path(e.span.file) or e.span.file
            lines.append(f"- {escape_text(e.message)} ([{escape_text(where)}:{e.span.line}]({link}))")
        else:
            lines.append(f"- {escape_text(e.message)}")
    return "\n".join(lines)


def suppression_dict(s: Suppression) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": SUPPRESSION_KINDS.get(s.kind, "external"),
        "status": "accepted",
        "justification": s.reason,
    }
    if s.span is not None:
        out["location"] = physical_location(s.span)
    props: dict[str, Any] = {"seawall-kind": s.kind}
    if s.until:
        props["until"] = s.until
    out["properties"] = props
    return out


def result_dict(f: Finding, rule_index: int, base_dir: str, baseline_states: bool, rule_id: str | None = None) -> dict[str, Any]:
    """``rule_id`` and ``rule_index`` name the descriptor of the finding's rule at its
    severity (see ``descriptors_of``)."""
    out: dict[str, Any] = {
        "ruleId": rule_id or f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": message_text(f)},
        "locations": [physical_location(f.span)],
    }
    related: list[dict[str, Any]] = []
    for e in f.evidence:
        if e.span is not None:
            related.append({"id": len(related) + 1, **physical_location(e.span), "message": {"text": e.message}})
    if related:
        out["relatedLocations"] = related
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(f, base_dir)}
    if f.suppression is not None and f.suppression.kind != NOT_NEW:
        out["suppressions"] = [suppression_dict(f.suppression)]
    if baseline_states:
        out["baselineState"] = "unchanged" if f.suppression is not None and f.suppression.kind == NOT_NEW else "new"
    if f.fix is not None:
        out["fixes"] = [
            {
                "description": {"text": f.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact_location(f.fix.span.file),
                        "replacements": [{"deletedRegion": region(f.fix.span), "insertedContent": {"text": f.fix.replacement}}],
                    }
                ],
            }
        ]
    props: dict[str, Any] = {
        "severity": str(f.severity),
        "security-severity": SECURITY_SEVERITY[f.severity],
        "resource": f.resource,
        "subject": f.subject or f.resource,
        "path": format_path(f.path),
        "verdict": f.verdict,
        "verdictReason": f.verdict_reason,
    }
    if f.conditions:
        props["conditions"] = list(f.conditions)
    out["properties"] = props
    return out


def _result(f: Finding, descriptors: list[dict[str, Any]], i: int, base_dir: str, baseline_states: bool) -> dict[str, Any]:
    return result_dict(f, i, base_dir, baseline_states, descriptors[i]["id"])


def _notification(level: str, message: str, file: str, line: int, column: int, descriptor: str) -> dict[str, Any]:
    out: dict[str, Any] = {"level": level, "message": {"text": message}, "descriptor": {"id": descriptor}}
    loc: dict[str, Any] = {"artifactLocation": artifact_location(file)}
    if line >= 1:
        loc["region"] = {"startLine": line, **({"startColumn": column} if column >= 1 else {})}
    out["locations"] = [{"physicalLocation": loc}]
    return out


def error_notification(e: InputError) -> dict[str, Any]:
    return _notification("error", e.message, e.file, e.line, e.column, f"input-error/{e.kind}")


def note_notification(n: Note) -> dict[str, Any]:
    return _notification("note", n.message, n.file, n.line, 0, "note")


def sarif_document(result: ScanResult, rules: RuleSet) -> dict[str, Any]:
    base_dir = os.getcwd()
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.message))
    descriptors, index = descriptors_of(findings, rules)
    baseline_states = result.compared_with is not None or any(f.suppression is not None and f.suppression.kind == NOT_NEW for f in findings)
    driver: dict[str, Any] = {"name": "seawall", "version": tool_version(), "semanticVersion": tool_version()}
    uri = information_uri()
    if uri:
        driver["informationUri"] = uri
    driver["rules"] = descriptors
    errors = sorted(result.errors, key=lambda e: e.sort_key())
    notes = sorted(result.notes, key=lambda n: n.sort_key())
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [error_notification(e) for e in errors] + [note_notification(n) for n in notes],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"uri": Path(base_dir).as_uri().rstrip("/") + "/"}},
        "results": [_result(f, descriptors, index[(f.rule_id, f.severity)], base_dir, baseline_states) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "filesScanned": result.files_scanned,
            "resources": result.resources,
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, rules: RuleSet) -> str:
    return json.dumps(sarif_document(result, rules), indent=2, ensure_ascii=False) + "\n"
