"""What a finding's verdict means to the people reading a report, and whether it fails the run.

The verdict itself is decided when a finding is made (``linter/evaluation.py``,
``verdict_of``); every reporter, the exit code and the language server read it through this
module, so the words and the rule are the same everywhere:

- ``exposed`` is *public now*, ``default`` *public by default*, ``conditional`` *public
  if*, ``posture`` *one step away*;
- a finding fails the run when it is active, at or above ``fail-on``, and not a posture
  finding, unless the run is strict (``--strict``, ``strict = true``): posture findings are
  reported in a section of their own and only fail a strict run.
"""

from __future__ import annotations

from collections.abc import Iterable

from linter.evaluation import VERDICTS
from linter.model import Finding, Severity

POSTURE = "posture"
LABELS = {"exposed": "public now", "default": "public by default", "conditional": "public if", "posture": "one step away"}


def label(verdict: str) -> str:
    """The verdict in words (``public by default``); an unknown verdict as it is."""
    return LABELS.get(verdict, verdict)


def blocking(f: Finding, strict: bool) -> bool:
    """Whether ``f`` may fail the run (at or above ``fail-on``): every verdict but posture,
    and posture too in a strict run."""
    return strict or f.verdict != POSTURE


def fails(f: Finding, fail_on: Severity, strict: bool) -> bool:
    """Whether ``f`` makes the exit code 1."""
    return f.active and f.severity >= fail_on and blocking(f, strict)


def by_verdict(findings: Iterable[Finding]) -> dict[str, int]:
    """Active findings per verdict, every verdict listed (in the order of ``VERDICTS``)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for f in findings:
        if f.active:
            counts[f.verdict] = counts.get(f.verdict, 0) + 1
    return counts


def phrase(counts: dict[str, int]) -> str:
    """``2 public now, 5 public by default, 11 one step away``: the verdicts that occur."""
    return ", ".join(f"{n} {label(v)}" for v, n in counts.items() if n)
