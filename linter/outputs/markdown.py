"""``--format markdown``: a report for pull-request comments and job summaries
(``$GITHUB_STEP_SUMMARY``), written for GitHub's Markdown renderer.

Layout: a heading saying how many findings are to fix (and how many are one step away),
a table of active findings by severity and verdict (every severity and every verdict, with
totals), the findings to fix grouped by severity (most severe first; within a group by
file and line), each with ``file:line``, rule id, verdict in words (``public now``,
``public by default``, ``public if``, ``one step away``), message, why it is not public
now, its evidence as a nested list and the fix; then input errors; then, collapsed in
``<details>``, the posture findings (one step away), which fail the run only when it is
strict (a strict run lists them with the others), one line each; the accepted and
suppressed findings with their reasons (baseline and pre-existing findings only counted,
as in the text output) and the notes.

Text from scanned files is escaped: Markdown punctuation is backslash-escaped, so a value
cannot open emphasis, a link or raw HTML, and ``@name`` cannot mention anyone.

A PR comment holds at most 65,536 characters, so findings stop being listed past a budget
and a line says how many more there are (the summary table always counts them all).

Under each active critical finding, a Mermaid diagram shows how it is reached from the
internet (``linter/exposure.py``), when the scan kept its resource graph (the command line
does for this format). GitHub renders Mermaid in comments and job summaries.
"""

from __future__ import annotations

import re
from typing import Any

from linter.model import Finding, ScanResult, Severity
from linter.outputs.paths import report_path
from linter.ruleset import RuleSet
from linter.verdicts import LABELS, blocking, label

HEADING = "## seawall"
BUDGET = 60_000  # characters of listed items; a PR comment holds 65,536
FINDINGS_SHARE = 48_000  # what findings may use, leaving room for errors and the rest
NOT_LISTED = ("baseline", "preexisting")
SEVERITY_LABELS = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium", Severity.LOW: "Low"}

# `_` only where it could open or close emphasis: GFM ignores it inside words (aws_s3_bucket)
_SPECIAL = re.compile(r"([\\`*\[\]<>|~&$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def escape(text: str) -> str:
    """Plain text for Markdown: one line, punctuation escaped, no @mentions."""
    flat = " ".join(text.split())
    return _MENTION.sub("@&#8203;", _SPECIAL.sub(r"\\\1", flat))


def no_mentions(text: str) -> str:
    return _MENTION.sub("@&#8203;", " ".join(text.split()))


def code(text: str) -> str:
    """An inline code span that holds ``text`` whatever backticks it contains."""
    flat = " ".join(text.split())
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def where(file: str, line: int) -> str:
    return code(f"{report_path(file)}:{line}")


def first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat


def finding_extras(finding: Finding, rules: RuleSet, locator: Any = None) -> str:
    """Extra Markdown shown under a finding (indented into its list item by the caller):
    for a critical finding, the Mermaid diagram of how it is reached (``locator``: a
    :class:`linter.exposure.Locator` of the scan's graph, when it was kept)."""
    if locator is None or finding.severity < Severity.CRITICAL:
        return ""
    from linter.diagrams import mermaid
    from linter.exposure import exposure_graph

    picture = exposure_graph(locator.graph, [finding], locator)
    return "How it is reached:\n\n```mermaid\n" + mermaid(picture, report_path) + "```\n"


def finding_item(f: Finding, rules: RuleSet, locator: Any = None) -> list[str]:
    lines = [f"- **{where(f.span.file, f.span.line)}** {code(f.rule_id)} _{label(f.verdict)}_: {escape(f.message)}"]
    if f.verdict_reason:
        lines.append(f"  - **Why {label(f.verdict)}:** {escape(f.verdict_reason)}")
    for e in f.evidence:
        at = f" ({where(e.span.file, e.span.line)})" if e.span else ""
        lines.append(f"  - {escape(e.message)}{at}")
    if f.fix is not None:
        lines.append(f"  - **Safe fix** ({escape(f.fix.title)}): replace {where(f.fix.span.file, f.fix.span.line)} with {code(f.fix.replacement)}")
    if f.remediation:
        # the rule's own Markdown (code spans), unless cutting the sentence split a code span
        fix = first_sentence(f.remediation)
        lines.append(f"  - **Fix:** {no_mentions(fix) if fix.count('`') % 2 == 0 else escape(fix)}")
    extra = finding_extras(f, rules, locator)
    if extra:
        lines.append("")
        lines.extend(("  " + line) if line else "" for line in extra.rstrip("\n").split("\n"))
        lines.append("")
    return lines


def summary_table(active: list[Finding]) -> list[str]:
    """Active findings by severity (rows) and verdict (columns), with totals."""
    verdicts = list(LABELS)
    head = " | ".join(label(v)[:1].upper() + label(v)[1:] for v in verdicts)
    lines = [f"| Severity | {head} | Total |", "|---|" + "---:|" * (len(verdicts) + 1)]
    for s in sorted(Severity, reverse=True):
        row = [sum(1 for f in active if f.severity == s and f.verdict == v) for v in verdicts]
        lines.append(f"| {SEVERITY_LABELS[s]} | {' | '.join(map(str, row))} | {sum(row)} |")
    totals = [sum(1 for f in active if f.verdict == v) for v in verdicts]
    lines.append(f"| **Total** | {' | '.join(f'**{n}**' for n in totals)} | **{len(active)}** |")
    return lines


def posture_line(f: Finding) -> str:
    """A posture finding on one line: place, rule, severity, message and why."""
    why = f" ({escape(f.verdict_reason)})" if f.verdict_reason else ""
    return f"- {where(f.span.file, f.span.line)} {code(f.rule_id)} ({f.severity}): {escape(f.message)}{why}"


def render(result: ScanResult, rules: RuleSet) -> str:
    ordered = sorted(result.findings, key=lambda f: (f.sort_key(), f.message))
    active = [f for f in ordered if f.active]
    to_fix = [f for f in active if blocking(f, result.strict)]
    quiet = [f for f in active if not blocking(f, result.strict)]
    listed_suppressed = [f for f in ordered if f.suppression is not None and f.suppression.kind not in NOT_LISTED]
    counted = {kind: sum(1 for f in ordered if f.suppression is not None and f.suppression.kind == kind) for kind in NOT_LISTED}
    errors = sorted(result.errors, key=lambda e: e.sort_key())

    n = len(to_fix)
    if n:
        verdict = f"{n} finding{'s' if n != 1 else ''} to fix"
    else:
        verdict = "no findings to fix" if quiet else "no findings"
    if quiet:
        verdict += f", {len(quiet)} one step away"
    if errors:
        verdict += f", {len(errors)} input error{'s' if len(errors) != 1 else ''}"
    out = [f"{HEADING}: {verdict}", ""]
    scanned = f"{result.files_scanned} file{'s' if result.files_scanned != 1 else ''} and {result.resources} resource{'s' if result.resources != 1 else ''} scanned"
    extra = []
    if listed_suppressed:
        extra.append(f"{len(listed_suppressed)} accepted or suppressed")
    if counted["baseline"]:
        extra.append(f"{counted['baseline']} in the baseline")
    if counted["preexisting"]:
        extra.append(f"{counted['preexisting']} not new")
    out += [scanned + (f"; {', '.join(extra)}" if extra else "") + ".", ""]
    out += summary_table(active) + [""]

    budget = _Budget(BUDGET)
    locator = None
    if result.graph is not None and any(f.severity >= Severity.CRITICAL for f in to_fix):
        from linter.exposure import Locator

        locator = Locator(result.graph)  # indexed once for every diagram
    shown = 0
    full = False
    for s in sorted(Severity, reverse=True):
        group = [f for f in to_fix if f.severity == s]
        if not group or full:
            continue
        out += [f"### {SEVERITY_LABELS[s]} ({len(group)})", ""]
        for f in group:
            item = finding_item(f, rules, locator)
            # the first finding is always listed; the others while they fit, most severe first
            if not budget.take(item, FINDINGS_SHARE, force=not shown):
                full = True
                break
            out += item
            shown += 1
        out.append("")
    if shown < n:
        out += [f"_{n - shown} more finding{'s' if n - shown != 1 else ''} not listed here (too long for a comment); see the SARIF or JSON report._", ""]

    if errors:
        out += [f"### Input errors ({len(errors)})", ""]
        lines = [f"- {code(f'{report_path(e.file)}:{e.line}:{e.column}')} {escape(e.message)} ({escape(e.kind)})" for e in errors]
        out += budget.listing(lines, "input errors") + [""]

    if quiet:
        out += ["<details>", f"<summary>{len(quiet)} finding{'s' if len(quiet) != 1 else ''} one step away (posture: nothing is reachable through {'them' if len(quiet) != 1 else 'it'} today; {'they fail' if len(quiet) != 1 else 'it fails'} the run only with --strict)</summary>", ""]
        out += budget.listing([posture_line(f) for f in quiet], "findings one step away") + ["", "</details>", ""]

    if listed_suppressed:
        lines = [
            f"- {where(f.span.file, f.span.line)} {code(f.rule_id)}: {escape(f.message)} ({escape(f.suppression.describe()) if f.suppression else ''})"
            for f in listed_suppressed
        ]
        out += ["<details>", f"<summary>{len(listed_suppressed)} accepted or suppressed finding{'s' if len(listed_suppressed) != 1 else ''}</summary>", ""]
        out += budget.listing(lines, "accepted or suppressed findings") + ["", "</details>", ""]

    if result.notes:
        notes = sorted(result.notes, key=lambda n: n.sort_key())
        lines = [f"- {where(note.file, note.line)} {escape(note.message)}" for note in notes]
        out += ["<details>", f"<summary>{len(notes)} note{'s' if len(notes) != 1 else ''}</summary>", ""]
        out += budget.listing(lines, "notes") + ["", "</details>", ""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


class _Budget:
    """Characters left for listed items, so the whole report fits in a PR comment."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def fits(self, size: int, cap: int | None = None) -> bool:
        return self.used + size <= min(self.limit, cap if cap is not None else self.limit)

    def take(self, lines: list[str], cap: int | None = None, force: bool = False) -> bool:
        size = sum(len(line) + 1 for line in lines)
        if not force and not self.fits(size, cap):
            return False
        self.used += size
        return True

    def listing(self, lines: list[str], what: str) -> list[str]:
        out: list[str] = []
        for line in lines:
            if not self.take([line]):
                out.append(f"- … {len(lines) - len(out)} more {what} (see the JSON report)")
                break
            out.append(line)
        return out
