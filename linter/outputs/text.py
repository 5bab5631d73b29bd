"""``--format text``: what a person reads in a terminal or a log.

Each finding starts with a ``path:line:col: SEVERITY rule-id [verdict] message`` line (the
shape editors and CI problem matchers understand; the verdict in words: ``public now``,
``public by default``, ``public if``, ``one step away``), then a short frame of the source
with the setting underlined, the evidence chain, why the verdict is not ``public now`` and
the fix. Posture findings (one step away) that do not fail the run come after the others in
a section of their own, shown quietly (their first line, why, and the fix), or not at all
with ``show-posture = false``; a strict run shows them in full, since they fail it. A summary
by file, by severity and by verdict closes the report. The layout is the same everywhere;
colour is added only when asked for (``linter/terminal.py`` decides: a terminal, no
``NO_COLOR``). ``quiet`` keeps the findings and input errors and drops everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import click

from linter.model import Finding, ScanResult, Severity, Span
from linter.parsers.terraform.plan import is_state_file
from linter.redact import redact
from linter.ruleset import RuleSet
from linter.sources import source_lines
from linter.verdicts import POSTURE, by_verdict, label, phrase

SEVERITY_STYLE: dict[Severity, dict[str, object]] = {
    Severity.CRITICAL: {"fg": "bright_magenta", "bold": True},
    Severity.HIGH: {"fg": "red", "bold": True},
    Severity.MEDIUM: {"fg": "yellow", "bold": True},
    Severity.LOW: {"fg": "cyan", "bold": True},
}
VERDICT_STYLE: dict[str, dict[str, object]] = {
    "exposed": {"fg": "red", "bold": True},
    "default": {"fg": "yellow"},
    "conditional": {"fg": "yellow"},
    "posture": {"fg": "blue"},
}
FRAME_WIDTH = 100  # longer lines are cut around the underlined part
MAX_SPAN_LINES = 3  # a longer setting shows its first and last lines


def first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **style: object) -> str:
        return click.style(text, **style) if self.color and text else text  # type: ignore[arg-type]


def render(result: ScanResult, rules: RuleSet, color: bool = False, quiet: bool = False) -> str:
    paint = _Painter(color)
    files: dict[str, list[str]] = {}

    def lines_of(path: str) -> list[str]:
        if path not in files:
            # deployed state holds secrets: its lines are never quoted, the message and
            # evidence carry the deciding values
            files[path] = [] if is_state_file(path) else source_lines(path)
        return files[path]

    out: list[str] = []
    active = [f for f in result.findings if f.active]
    posture = [f for f in active if f.verdict == POSTURE]
    for f in active:
        if f.verdict != POSTURE:
            out.extend(_finding(f, lines_of(f.span.file), paint))
    if posture and result.strict:  # they fail the run: in full
        out.append(_posture_heading(len(posture), True, paint))
        out.append("")
        for f in posture:
            out.extend(_finding(f, lines_of(f.span.file), paint))
    elif posture and result.show_posture:  # quietly: the first line, why, and the fix
        out.append(_posture_heading(len(posture), False, paint))
        out.append("")
        for f in posture:
            out.append(_head(f, paint))
            out.extend(_why_and_fix(f, paint))
            out.append("")
    if not quiet:
        for f in result.findings:
            # accepted and suppressed findings are listed; baseline and pre-existing ones only counted
            if f.suppression is not None and f.suppression.kind not in ("baseline", "preexisting"):
                where = paint(f"{f.span.file}:{f.span.line}:{f.span.column}:", bold=True)
                out.append(f"{where} {paint('accepted', fg='green')} {f.rule_id} {f.message} [{f.suppression.describe()}]")
    for e in result.errors:
        out.append(f"{paint(f'{e.file}:{e.line}:{e.column}:', bold=True)} {paint('ERROR', fg='red', bold=True)} {e.message}")
        out.extend(code_frame(lines_of(e.file), Span(e.file, e.line, e.column), paint, Severity.HIGH))
    if not quiet:
        for n in result.notes:
            out.append(f"{n.file}:{n.line}: {paint('note:', fg='blue')} {n.message}")
        by_file = _by_file(result, paint)
        if out and out[-1] and by_file:
            out.append("")
        out.extend(by_file)
        out.append(summary_line(result))
    text = "\n".join(out).rstrip("\n")
    return text + "\n" if text else ""


def _head(f: Finding, paint: _Painter) -> str:
    verdict = paint(f"[{label(f.verdict)}]", **VERDICT_STYLE.get(f.verdict, {}))
    return f"{paint(f'{f.span.file}:{f.span.line}:{f.span.column}:', bold=True)} {paint(f.severity.name, **SEVERITY_STYLE[f.severity])} {paint(f.rule_id, bold=True)} {verdict} {f.message}"


def _why_and_fix(f: Finding, paint: _Painter) -> list[str]:
    out = []
    if f.verdict_reason:
        out.append(f"    {paint('verdict:', fg='cyan')} {f.verdict_reason}")
    if f.remediation:
        out.append(f"    {paint('fix:', fg='green', bold=True)} {first_sentence(f.remediation)}")
    return out


def _posture_heading(n: int, strict: bool, paint: _Painter) -> str:
    what, them, they = (f"{n} posture findings", "them", "they") if n != 1 else ("1 posture finding", "it", "it")
    if strict:
        why = f"nothing is reachable through {them} today; --strict: {they} fail{'s' if n == 1 else ''} the run like exposures"
    else:
        why = f"nothing is reachable through {them} today; {they} fail{'s' if n == 1 else ''} the run only with --strict"
    return paint(f"one step away: {what} ({why}):", bold=True)


def _finding(f: Finding, lines: list[str], paint: _Painter) -> list[str]:
    out = [_head(f, paint)]
    out.extend(code_frame(lines, f.span, paint, f.severity))
    for e in f.evidence:
        where = f"  [{e.span.file}:{e.span.line}]" if e.span else ""
        out.append(f"    {paint('evidence:', fg='cyan')} {e.message}{paint(where, dim=True)}")
    out.extend(_why_and_fix(f, paint))
    out.append("")
    return out


def code_frame(lines: list[str], span: Span, paint: Callable[..., str], severity: Severity) -> list[str]:
    """The span's lines with one line of context each side and the setting underlined::

         14 |   ingress {
         15 |     cidr_blocks = var.db_client_cidrs
            |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
         16 |   }
    """
    if not 0 < span.line <= len(lines):
        return []
    first, last = span.line, max(span.line, min(span.end_line, len(lines)))
    numbers: list[int | None] = list(range(first, last + 1))
    if len(numbers) > MAX_SPAN_LINES:
        numbers = [first, None, last]
    if first > 1:
        numbers.insert(0, first - 1)
    if last < len(lines) and lines[last].strip():
        numbers.append(last + 1)
    width = len(str(max(n for n in numbers if n is not None)))
    gutter = paint(" " * width + " |", fg="blue")
    out = ["    " + gutter]
    for n in numbers:
        if n is None:
            out.append("    " + paint("." * width + " |", fg="blue"))
            continue
        marked = n == first  # the underline goes under the setting's first line
        end = (span.end_column if span.end_line == first else 0) if marked else 1
        text, mark_from, mark_to = _display(lines[n - 1], span.column if marked else 1, end)
        out.append("    " + paint(f"{n:>{width}} |", fg="blue") + (" " + text if text else ""))
        if marked:
            carets = "^" * max(1, mark_to - mark_from)
            out.append("    " + gutter + " " + " " * mark_from + paint(carets, **SEVERITY_STYLE[severity]))
    out.append("    " + gutter)
    return out


def _display(line: str, column: int, end_column: int) -> tuple[str, int, int]:
    """A source line as shown (tabs expanded, cut to FRAME_WIDTH around the mark) and the
    0-based display range to underline: ``column`` to ``end_column`` (exclusive, 1-based),
    or to the end of the line when the span goes on."""
    column = max(1, min(column or 1, len(line) + 1))
    stop = end_column if end_column > column else len(line.rstrip()) + 1
    stop = max(column + 1, min(stop, len(line) + 1))
    text = line.expandtabs(4)
    mark_from, mark_to = len(line[: column - 1].expandtabs(4)), len(line[: stop - 1].expandtabs(4))
    if len(text) > FRAME_WIDTH:
        offset = max(0, mark_from - 20)
        text = ("…" if offset else "") + text[offset : offset + FRAME_WIDTH] + ("…" if offset + FRAME_WIDTH < len(text) else "")
        shift = offset - (1 if offset else 0)
        mark_from, mark_to = mark_from - shift, min(mark_to - shift, len(text))
    # source lines are output like any message: nothing that looks like a secret in full
    return redact(text.rstrip()), mark_from, max(mark_to, mark_from + 1)


def _by_file(result: ScanResult, paint: _Painter) -> list[str]:
    per_file: dict[str, dict[Severity, int]] = {}
    for f in result.findings:
        if f.active:
            counts = per_file.setdefault(f.span.file, {})
            counts[f.severity] = counts.get(f.severity, 0) + 1
    if not per_file:
        return []
    width = max(len(name) for name in per_file)
    out = [paint("findings by file:", bold=True)]
    for name in sorted(per_file):
        counts = per_file[name]
        parts = [paint(f"{counts[s]} {s}", **SEVERITY_STYLE[s]) for s in sorted(counts, reverse=True)]
        out.append(f"  {name:<{width}}  {', '.join(parts)}")
    return out


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
        verdicts = by_verdict(active)
        text += f" ({', '.join(parts)}) in {files} file{'s' if files != 1 else ''}: {phrase(verdicts)}"
        if verdicts[POSTURE] and not result.strict and not result.show_posture:
            text += " (those one step away not listed: show-posture = false)"
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
