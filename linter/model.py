"""The data that flows between the stages: spans, severities, findings, errors.

Everything here is immutable and plain, so every stage can be tested on its own.
Lines and columns are 1-based; ``end_column`` is exclusive (the SARIF convention).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from msgspec import Struct, field

PathPart = str | int
Path = tuple[PathPart, ...]


class _SpanFields(NamedTuple):
    file: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0


class Span(_SpanFields):
    """Where something is written: 1-based lines and columns, ``end_column`` exclusive.

    A tuple underneath: a cached parse holds hundreds of thousands of spans, and tuples
    unpickle at C speed."""

    __slots__ = ()

    def __new__(cls, file: str, line: int, column: int = 1, end_line: int = 0, end_column: int = 0) -> Span:
        if end_line < line:
            end_line = line
        if end_line == line and end_column < column:
            end_column = column
        return super().__new__(cls, file, line, column, end_line, end_column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __repr__(self) -> str:
        return f"Span(file={self.file!r}, line={self.line}, column={self.column}, end_line={self.end_line}, end_column={self.end_column})"

    def with_file(self, file: str) -> Span:
        return Span(file, self.line, self.column, self.end_line, self.end_column)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # rebuilt without running __new__ again: the values are already normalised
        return (tuple.__new__, (Span, tuple(self)))


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    def raised(self) -> Severity:
        return Severity(min(self.value + 1, Severity.CRITICAL.value))

    def __str__(self) -> str:
        return self.name.lower()


def format_path(path: Path) -> str:
    """``('ingress', 0, 'cidr_blocks', 1)`` -> ``ingress[0].cidr_blocks[1]``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out:
            out.append(f".{part}")
        else:
            out.append(part)
    return "".join(out)


class Evidence(Struct, frozen=True):
    """One step of a finding's explanation, with the place it comes from when known.

    ``origin`` says where a deciding value was set, for the verdict: ``default`` (a
    variable's or parameter's default, which a deployer normally sets) or ``set`` (written
    for this deployment: tfvars, a var file, a module argument, a parameter file); or
    ``possible`` for a resource or module instance that exists in some cases only (a
    ``count`` that is not known, analysed as its possible instances)."""

    message: str
    span: Span | None = None
    origin: str = ""


class Suppression(Struct, frozen=True):
    """Why a finding does not count: declared intended, or silenced with a reason."""

    kind: str  # intended | inline | config | baseline | preexisting
    reason: str
    span: Span | None = None  # where it is declared
    until: str | None = None  # ISO date after which it lapses

    def describe(self) -> str:
        label = {
            "intended": "public by design",
            "inline": "suppressed inline",
            "config": "ignored by configuration",
            "baseline": "in the baseline",
            "preexisting": "not new",
        }.get(self.kind, self.kind)
        where = f" ({self.span.file}:{self.span.line})" if self.span else ""
        until = f" until {self.until}" if self.until else ""
        return f"{label}{until}: {self.reason}{where}"


class Fix(Struct, frozen=True):
    """Replace the text of ``span`` (whole lines: from the first column of its first line to
    the end of its last) with ``replacement``; see :mod:`linter.fixes`."""

    span: Span
    replacement: str
    title: str


class Finding(Struct, frozen=True):
    """One exposure a rule found: where, why (evidence), how bad, and how to fix it."""

    rule_id: str
    severity: Severity
    title: str
    message: str
    span: Span
    resource: str
    path: Path = ()
    evidence: tuple[Evidence, ...] = ()
    remediation: str = ""
    # the value that made the finding, normalised; part of the fingerprint
    value: str = ""
    # for templates with conditions that cannot be decided: the cases in which it holds
    conditions: tuple[str, ...] = ()
    condition_cases: int = 0
    # what is exposed, when the setting is written in another resource (a bucket's policy)
    subject: str = ""
    suppression: Suppression | None = None
    # the resource holding the setting: its graph id and its header (for whole-resource suppressions)
    resource_id: str = ""
    resource_span: Span | None = None
    fix: Fix | None = None
    # the graph id of what is exposed (the holder itself, or the bucket a policy opens)
    subject_id: str = ""
    # the port ranges the finding concerns (from, to), when it is about network ports
    ports: tuple[tuple[int, int], ...] = ()
    # exposed | default | conditional | posture (see linter/evaluation.py verdict_of), and why
    verdict: str = "exposed"
    verdict_reason: str = ""
    # where the openings that let the internet in are written (resource id, path): the
    # group or firewall findings of the same exposure, merged into this one by the engine
    openings: tuple[tuple[str, Path], ...] = ()

    @property
    def active(self) -> bool:
        return self.suppression is None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.line, self.span.column, self.rule_id, self.resource)


class InputError(Struct, frozen=True):
    """An input that could not be read or parsed; the rest of the run goes on."""

    file: str
    line: int
    column: int
    message: str
    kind: str = "parse"  # parse | read | internal

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.message)


class Note(Struct, frozen=True):
    """Information that is neither a finding nor an error (a module not analysed, a file skipped)."""

    file: str
    line: int
    message: str

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line, self.message)


class ScanResult(Struct):
    """Everything a scan produced, in the order the reporters show it."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_scanned: int = 0
    resources: int = 0
    # how the graph came out: module calls instantiated, reference edges, values left Unknown
    stats: dict[str, int] = field(default_factory=dict)
    # the git revision the findings were compared with (--new-only), if any
    compared_with: str | None = None
    # the resource graph, when the caller asked to keep it (exposure pictures)
    graph: Any = None
    # how the run treats posture findings (linter/verdicts.py): failing it (--strict), and
    # listed in the text output and the editor (show-posture)
    strict: bool = False
    show_posture: bool = True
