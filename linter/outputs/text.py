"""``--format text``: one line per finding in the ``path:line:col:`` shape editors and CI
problem matchers understand, then its evidence and the fix."""

from __future__ import annotations

import re

from linter.model import ScanResult, Severity
from linter.ruleset import RuleSet


def first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat


def render(result: ScanResult, rules: RuleSet) -> str:
    lines: list[str] = []
    for f in (f for f in result.findings if f.active):
        lines.append(f"{f.span.file}:{f.span.line}:{f.span.column}: {f.severity.name} {f.rule_id} {f.message}")
        for e in f.evidence:
            where = f"  [{e.span.file}:{e.span.line}]" if e.span else ""
            lines.append(f"    evidence: {e.message}{where}")
        if f.remediation:
            lines.append(f"    fix: {first_sentence(f.remediation)}")
    for f in result.findings:
        # accepted and suppressed findings are listed; baseline and pre-existing ones only counted
        if f.suppression is not None and f.suppression.kind not in ("baseline", "preexisting"):
            lines.append(f"{f.span.file}:{f.span.line}:{f.span.column}: accepted {f.rule_id} {f.message} [{f.suppression.describe()}]")
    for e in result.errors:
        lines.append(f"{e.file}:{e.line}:{e.column}: ERROR {e.message}")
    for n in result.notes:
        lines.append(f"{n.file}:{n.line}: note: {n.message}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def summary_line(result: ScanResult) -> str:
    counts = {s: 0 for s in Severity}
    active = [f for f in result.findings if f.active]
    for f in active:
        counts[f.severity] += 1
    parts = [f"{counts[s]} {s}" for s in sorted(Severity, reverse=True) if counts[s]]
    files = len({f.span.file for f in active})
    n = len(active)
    text = f"{n} finding{'s' if n != 1 else ''}"
    if n:
        text += f" ({', '.join(parts)}) in {files} file{'s' if files != 1 else ''}"
    kinds: dict[str, int] = {}
    for f in result.findings:
        if f.suppression is not None:
            kinds[f.suppression.kind] = kinds.get(f.suppression.kind, 0) + 1
    accepted = sum(v for k, v in kinds.items() if k not in ("baseline", "preexisting"))
    if accepted:
        text += f"; {accepted} accepted"
    if kinds.get("baseline"):
        text += f"; {kinds['baseline']} in the baseline"
    if kinds.get("preexisting"):
        text += f"; {kinds['preexisting']} not new"
    text += f"; {result.files_scanned} file{'s' if result.files_scanned != 1 else ''} and {result.resources} resource{'s' if result.resources != 1 else ''} scanned"
    if result.errors:
        text += f"; {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''}"
    return text + "."
