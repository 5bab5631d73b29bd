"""``--format github``: GitHub Actions workflow commands, which the runner turns into
annotations on the pull request's diff.

    ::error file=examples/storage.tf,line=25,col=3,endLine=25,endColumn=32,title=…::message

- critical and high are ``::error``, medium ``::warning``, low ``::notice``; posture
  findings (one step away), which fail the run only when it is strict, are ``::notice``
  whatever their severity unless it is;
- the title names the rule, the severity and the verdict in words (``public now``,
  ``public by default``, ``public if``, ``one step away``), and the message says why a
  finding is not public now;
- active findings only (accepted, suppressed, baseline and pre-existing ones are not
  annotated); input errors are ``::error`` on their file and line;
- the message holds the finding's message, its evidence and the fix, on several lines;
- ``col``/``endColumn`` are written only for a span on one line (GitHub refuses columns on
  a multi-line annotation); ``endColumn`` is the last column of the span (inclusive), where
  seawall's own spans end one past it;
- data is escaped as GitHub's toolkit does (``%``, ``\\r``, ``\\n``), properties also
  escape ``:`` and ``,``;
- GitHub shows at most 10 annotations of each kind per step, so the findings that fail
  the run come first, the most severe first; a plain summary line (by severity and by
  verdict) closes the output (workflow logs show it as text).
"""

from __future__ import annotations

import re

from linter.model import Finding, ScanResult, Severity
from linter.outputs.paths import report_path
from linter.ruleset import RuleSet
from linter.verdicts import blocking, by_verdict, label, phrase

COMMANDS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat


def annotation(f: Finding, strict: bool = False) -> str:
    lines = [f.message]
    if f.verdict_reason:
        lines.append(f"{label(f.verdict)}: {f.verdict_reason}")
    for e in f.evidence:
        where = f" ({report_path(e.span.file)}:{e.span.line})" if e.span else ""
        lines.append(f"evidence: {e.message}{where}")
    if f.fix is not None:
        lines.append(f"fix: {f.fix.title}: replace with `{f.fix.replacement}`")
    if f.remediation:
        lines.append(f"how to fix: {first_sentence(f.remediation)}")
    span = f.span
    one_line = span.end_line <= span.line
    return command(
        COMMANDS[f.severity] if blocking(f, strict) else "notice",
        "\n".join(lines),
        file=report_path(span.file),
        line=span.line,
        col=span.column if one_line else None,
        endLine=max(span.end_line, span.line),
        endColumn=max(span.end_column - 1, span.column) if one_line and span.end_column else None,
        title=f"{f.rule_id} ({f.severity}, {label(f.verdict)}): {f.title}",
    )


def render(result: ScanResult, rules: RuleSet) -> str:
    active = sorted((f for f in result.findings if f.active), key=lambda f: (not blocking(f, result.strict), -f.severity, f.sort_key(), f.message))
    out = [annotation(f, result.strict) for f in active]
    for e in sorted(result.errors, key=lambda e: e.sort_key()):
        out.append(
            command(
                "error",
                e.message,
                file=report_path(e.file),
                line=e.line if e.line >= 1 else None,
                col=e.column if e.line >= 1 and e.column >= 1 else None,
                title=f"seawall: input error ({e.kind})",
            )
        )
    counts = {s: sum(1 for f in active if f.severity == s) for s in Severity}
    parts = [f"{counts[s]} {s}" for s in sorted(Severity, reverse=True) if counts[s]]
    summary = f"seawall: {len(active)} finding{'s' if len(active) != 1 else ''}"
    if parts:
        summary += f" ({', '.join(parts)}): {phrase(by_verdict(active))}"
    accepted = len(result.findings) - len(active)
    if accepted:
        summary += f"; {accepted} accepted, suppressed or not new"
    if result.errors:
        summary += f"; {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''}"
    out.append(summary + ".")
    return "\n".join(out) + "\n"
