"""``--format json``: the versioned machine-readable report (documented in the README).

Fields are only ever added within a version: each finding's ``verdict`` and
``verdict_reason`` and the summary's ``by_verdict`` and ``strict`` were added to version 1."""

from __future__ import annotations

import json
from typing import Any

from linter.model import Finding, ScanResult, Severity, format_path
from linter.ruleset import RuleSet
from linter.verdicts import by_verdict

VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": str(f.severity),
        "title": f.title,
        "message": f.message,
        "file": f.span.file,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "resource": f.resource,
        "path": format_path(f.path),
        "evidence": [
            {"file": e.span.file if e.span else None, "line": e.span.line if e.span else None, "message": e.message}
            for e in f.evidence
        ],
        "remediation": f.remediation,
        "subject": f.subject or f.resource,
        "verdict": f.verdict,
        "verdict_reason": f.verdict_reason,
        "suppressed": (
            {"kind": f.suppression.kind, "reason": f.suppression.reason, "file": f.suppression.span.file if f.suppression.span else None,
             "line": f.suppression.span.line if f.suppression.span else None, "until": f.suppression.until}
            if f.suppression is not None
            else None
        ),
    }


def summary(result: ScanResult) -> dict[str, Any]:
    by_severity = {str(s): 0 for s in sorted(Severity, reverse=True)}
    active = [f for f in result.findings if f.active]
    for f in active:
        by_severity[str(f.severity)] += 1
    return {
        "findings": len(active),
        "suppressed": len(result.findings) - len(active),
        "by_severity": by_severity,
        "by_verdict": by_verdict(active),
        "strict": result.strict,
        "errors": len(result.errors),
        "files_scanned": result.files_scanned,
        "resources": result.resources,
        **{k: result.stats[k] for k in sorted(result.stats)},
    }


def render(result: ScanResult, rules: RuleSet) -> str:
    doc = {
        "version": VERSION,
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [{"file": e.file, "line": e.line, "column": e.column, "message": e.message, "kind": e.kind} for e in result.errors],
        "notes": [{"file": n.file, "line": n.line, "message": n.message} for n in result.notes],
        "summary": summary(result),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
