"""``--format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array with one issue per active finding (accepted, suppressed, baseline and
pre-existing findings are left out: the merge request widget shows what needs work):

- ``description``: the rule id, the verdict in words (``public now``, ``public by
  default``, ``public if``, ``one step away``) and the message; ``check_name``: the rule id;
- ``fingerprint``: the baseline fingerprint relative to the current directory, so GitLab
  matches an issue across commits when lines move (made unique within the report when two
  findings share one, because GitLab keys issues by it);
- ``severity``: critical is ``blocker``, high ``critical``, medium ``major``, low
  ``minor``; a posture finding (one step away), which fails the run only when it is
  strict, is ``info`` unless it is;
- ``location.path`` relative to the current directory (the project root in a job),
  ``location.lines.begin`` (and ``end``);
- ``categories: ["Security"]``, ``content.body`` (Markdown) with the verdict and why, the
  evidence and the fix.

Input errors (a file that could not be read or parsed, so was not checked) are issues too,
with ``check_name`` ``seawall-input-error`` and severity ``blocker``: a merge request must
not look clean because a file was never checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from linter.baseline import fingerprint
from linter.model import Finding, InputError, ScanResult, Severity, format_path
from linter.outputs.paths import report_path
from linter.ruleset import RuleSet
from linter.verdicts import blocking, label

SEVERITIES = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major", Severity.LOW: "minor"}


def _code(text: str) -> str:
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def body(f: Finding) -> str:
    lines = [f"**{f.title}** (`{f.rule_id}`, {f.severity}, {label(f.verdict)})", "", " ".join(f.message.split())]
    if f.verdict_reason:
        lines += ["", f"Why {label(f.verdict)}: {' '.join(f.verdict_reason.split())}"]
    if f.resource:
        where = f.resource + (f".{format_path(f.path)}" if f.path else "")
        lines += ["", f"Resource: {_code(where)}"]
    if f.evidence:
        lines += ["", "Evidence:", ""]
        for e in f.evidence:
            at = f" ({_code(f'{report_path(e.span.file)}:{e.span.line}')})" if e.span else ""
            lines.append(f"- {' '.join(e.message.split())}{at}")
    if f.fix is not None:
        lines += ["", f"Safe fix ({f.fix.title}): replace line {f.fix.span.line} with {_code(f.fix.replacement)}"]
    if f.remediation:
        lines += ["", "How to fix: " + " ".join(f.remediation.split())]
    return "\n".join(lines)


def issue(f: Finding, fp: str, strict: bool = False) -> dict[str, Any]:
    return {
        "type": "issue",
        "engine_name": "seawall",
        "check_name": f.rule_id,
        "description": f"{f.rule_id} ({label(f.verdict)}): {' '.join(f.message.split())}",
        "categories": ["Security"],
        "severity": SEVERITIES[f.severity] if blocking(f, strict) else "info",
        "fingerprint": fp,
        "location": {
            "path": report_path(f.span.file),
            "lines": {"begin": f.span.line, "end": max(f.span.end_line, f.span.line)},
        },
        "content": {"body": body(f)},
    }


def render(result: ScanResult, rules: RuleSet) -> str:
    base = os.getcwd()
    issues = []
    seen: dict[str, int] = {}
    for f in sorted((f for f in result.findings if f.active), key=lambda f: (f.sort_key(), f.message)):
        fp = fingerprint(f, base)
        n = seen.get(fp, 0)
        seen[fp] = n + 1
        if n:
            fp = hashlib.sha256(f"{fp}\x1f{n}".encode()).hexdigest()[:32]
        issues.append(issue(f, fp, result.strict))
    for e in sorted(result.errors, key=lambda e: e.sort_key()):
        issues.append(error_issue(e))
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


INPUT_ERROR = "seawall-input-error"


def error_issue(e: InputError) -> dict[str, Any]:
    path = report_path(e.file)
    description = f"{INPUT_ERROR}: {' '.join(e.message.split())}"
    return {
        "type": "issue",
        "engine_name": "seawall",
        "check_name": INPUT_ERROR,
        "description": description,
        "categories": ["Bug Risk"],
        "severity": "blocker",
        "fingerprint": hashlib.sha256(f"{INPUT_ERROR}\x1f{path}\x1f{e.line}\x1f{e.message}".encode()).hexdigest()[:32],
        "location": {"path": path, "lines": {"begin": max(e.line, 1)}},
        "content": {"body": f"**This file was not checked** ({e.kind} error): {' '.join(e.message.split())}"},
    }
