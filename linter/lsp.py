"""seawall's language server: the engine's findings as editor diagnostics, over stdio.

A thin layer over ``engine.run``: it never decides what is exposed, it only turns a
``ScanResult`` for one editor buffer into LSP messages.

- **What is linted.** The buffer's text, not the file on disk (``RunConfig.overrides``),
  with the file's module directory as context; every other open buffer is passed as an
  override too, so unsaved edits of ``variables.tf`` count for ``main.tf``. The
  configuration is found as the CLI finds it (``find_config`` + ``apply_config_file``).
- **When.** ``didOpen`` and ``didSave`` lint at once; ``didChange`` waits for a pause in
  typing (``debounceMs``, 300 by default: ``initializationOptions`` or the
  ``SEAWALL_LSP_DEBOUNCE_MS`` environment variable). A change also re-lints the other open
  Terraform files of the same directory, whose context it is. A newer change supersedes a
  pending or running lint of the same document, and results are published only when they
  are for the document's current version (``PublishDiagnosticsParams.version`` says which).
- **Where.** Lints run one at a time on one daemon thread (the engine is CPU-bound, so
  parallel lints would gain nothing under the GIL); the event loop keeps answering
  requests. A superseded lint still queued is skipped; one already running finishes and its
  result is dropped.
- **What is published.** Active findings only. Suppressed and accepted findings are not
  published: they are decisions already taken, and the ``Unnecessary`` tag would grey out
  the live setting as if it were dead code. A suppression that matches nothing *is* dead
  code, so that ``seawall-suppression`` report carries the tag. Input errors of the file
  are Error diagnostics at their line; notes about the file are Hints.
- **Verdicts.** Each diagnostic says why a finding is not public now (its verdict in words
  and the reason), and its ``data`` carries ``verdict`` and ``severity``. Posture findings (one step away) are Information diagnostics, whatever
  their severity, and are not published at all when ``show-posture = false`` (configuration)
  or ``showPosture: false`` (initialization option); a strict run (``strict = true``, or
  the ``strict`` initialization option) shows them by severity like exposures.
- **Code actions.** For each seawall diagnostic: the rule's safe fix when the finding has
  one (preferred), and a suppression with a reason placeholder (which does not count as a
  reason until it is replaced) in the file's own syntax, written by ``linter/suppress.py``:
  a ``# seawall:ignore`` comment in Terraform, the ``seawall.dev/ignore`` annotation in
  Kubernetes YAML, ``Metadata.seawall.ignore`` in CloudFormation YAML (YAML comments are
  not read by the engine, and JSON gets no suppression action). Edits are computed with the
  diagnostics, against the text that was linted, and offered only while that version is
  current. A fix may edit another file (a value set through a variable is fixed on its
  ``terraform.tfvars`` line or default, see ``linter.fixes``): it is offered while that
  file still holds the lines it replaces.

Ctrl-C (SIGINT) stops the server at once with exit code 130, without waiting for the thread
blocked on standard input (see ``_interrupted``).

Logging goes to standard error (``SEAWALL_LSP_LOG=debug|info|warning``); standard output
is the protocol, and ``sys.stdout`` is pointed at standard error while the server runs so
that a stray ``print`` cannot corrupt it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import queue
import re
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as lsp
from msgspec import Struct, field
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec

from linter.config import ConfigError, RunConfig, apply_config_file, check_rule_ids, find_config
from linter.model import Finding, Severity, Span
from linter.ruleset import RuleError, RuleSet
from linter.verdicts import blocking, label

logger = logging.getLogger("seawall.lsp")

SOURCE = "seawall"
DEFAULT_DEBOUNCE_MS = 300
# parses kept in memory between lints (the open modules' files): an edit re-parses its buffer only
SERVER_PARSES = 1024
# the cyclic garbage collector runs between lints, after this many seconds without one
# (or after this many lints in a row), never on the typing path (see Worker)
IDLE_COLLECT_SECONDS = 2.0
COLLECT_EVERY = 50
# files the engine reads; others are left alone (no diagnostics at all)
TERRAFORM_SUFFIXES = (".tf", ".tfvars", ".tfvars.json", ".tf.json")
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".template")
CONFIG_NAMES = (".seawall.toml", "pyproject.toml")

SEVERITIES = {
    Severity.CRITICAL: lsp.DiagnosticSeverity.Error,
    Severity.HIGH: lsp.DiagnosticSeverity.Error,
    Severity.MEDIUM: lsp.DiagnosticSeverity.Warning,
    Severity.LOW: lsp.DiagnosticSeverity.Information,
}


# --------------------------------------------------------------------------- positions


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _position(lines: list[str], codec: PositionCodec, line: int, column: int) -> lsp.Position:
    """A 0-based line and a 0-based code-point column -> an LSP position in the client's units."""
    if line >= len(lines):
        last = len(lines) - 1
        return lsp.Position(line=max(last, 0), character=codec.client_num_units(lines[last].rstrip("\r")) if lines else 0)
    text = lines[line].rstrip("\r")
    return lsp.Position(line=line, character=codec.client_num_units(text[: max(column, 0)]))


def span_range(span: Span, lines: list[str], codec: PositionCodec) -> lsp.Range:
    """seawall spans are 1-based with an exclusive end column; LSP ranges are 0-based with an
    exclusive end. An empty span is widened to the rest of its line, so it can be seen."""
    line, col = span.line - 1, span.column - 1
    end_line, end_col = span.end_line - 1, span.end_column - 1
    if end_line < line or (end_line == line and end_col <= col):
        end_line = line
        text = lines[line].rstrip("\r \t") if 0 <= line < len(lines) else ""
        end_col = max(len(text), col)
        if end_col == col and 0 <= line < len(lines):  # nothing after the column: the whole line
            col = len(text) - len(text.lstrip())
    end_col = max(end_col, 0)
    return lsp.Range(start=_position(lines, codec, line, col), end=_position(lines, codec, end_line, end_col))


def _range_json(r: lsp.Range) -> dict[str, Any]:
    return {"start": {"line": r.start.line, "character": r.start.character}, "end": {"line": r.end.line, "character": r.end.character}}


def _range_from_json(data: Any) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=int(data["start"]["line"]), character=int(data["start"]["character"])),
        end=lsp.Position(line=int(data["end"]["line"]), character=int(data["end"]["character"])),
    )


# --------------------------------------------------------------------------- suppressions


class Insertion(Struct, frozen=True):
    """Text to insert at a 0-based line and code-point column of the linted buffer."""

    title: str
    line: int
    column: int
    text: str


_HEREDOC_OPEN = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$")
_COMMENT_LINE = re.compile(r"^\s*(#|//|/\*)")


def _heredoc_body_lines(lines: list[str]) -> set[int]:
    """0-based lines inside heredocs (and their closing marker): a comment there would be text."""
    inside: set[int] = set()
    marker: str | None = None
    for i, raw in enumerate(lines):
        line = raw.rstrip("\r")
        if marker is not None:
            inside.add(i)
            if line.strip() == marker:
                marker = None
            continue
        m = _HEREDOC_OPEN.search(line)
        if m:
            marker = m.group(1)
    return inside


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def terraform_suppression(lines: list[str], finding: Finding) -> Insertion | None:
    """``# seawall:ignore <id> <reason>`` on its own line above the finding (keeping its
    indentation). When that cannot work, at the end of the finding's line, else above the
    resource's first line (the whole resource for that rule). None when no place is safe."""
    from linter.suppress import DIRECTIVE, directive_comment, mentions_directive

    rule = finding.rule_id
    comment = directive_comment([rule])
    heredoc = _heredoc_body_lines(lines)
    target = finding.span.line - 1
    if not 0 <= target < len(lines):
        return None

    def above(i: int) -> bool:
        # a directive alone on the line above already covers this line: a new line would push it away
        return i not in heredoc and not (i > 0 and _COMMENT_LINE.match(lines[i - 1]) and mentions_directive(lines[i - 1]))

    if above(target):
        return Insertion(f"Suppress {rule} here (# {DIRECTIVE})", target, 0, f"{_indent(lines[target])}{comment}\n")
    line = lines[target].rstrip("\r")
    if target not in heredoc and not _HEREDOC_OPEN.search(line) and not re.search(r"#|//|/\*", line):
        return Insertion(f"Suppress {rule} on this line (# {DIRECTIVE})", target, len(line), f"  {comment}")
    header = finding.resource_span
    if header is not None and header.file == finding.span.file and 0 <= header.line - 1 < len(lines):
        h = header.line - 1
        if h != target and above(h):
            return Insertion(f"Suppress {rule} for the whole resource (# {DIRECTIVE})", h, 0, f"{_indent(lines[h])}{comment}\n")
    return None


def _yaml_nodes(text: str) -> list[Any]:
    import yaml

    from linter.yamlsafe import compose_all

    try:
        return compose_all(text)
    except yaml.YAMLError:
        return []


def _block_mapping(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.MappingNode) and not node.flow_style and bool(node.value)


def _get(node: Any, key: str) -> tuple[Any, Any] | None:
    for k, v in node.value:
        if getattr(k, "value", None) == key:
            return k, v
    return None


def _first_key_line(lines: list[str], mapping: Any) -> tuple[int, str] | None:
    """The line of a block mapping's first key and its indentation, when the key starts its line."""
    if not _block_mapping(mapping):
        return None
    key = mapping.value[0][0]
    line, col = key.start_mark.line, key.start_mark.column
    prefix = lines[line][:col] if line < len(lines) else "x"
    return (line, prefix) if not prefix.strip() else None


def kubernetes_suppression(lines: list[str], text: str, finding: Finding) -> Insertion | None:
    """A ``seawall.dev/ignore`` annotation on the object that holds the finding."""
    import yaml

    from linter.suppress import ANNOTATION, annotation_key, annotation_value

    header = finding.resource_span or finding.span
    want = header.line - 1
    best = None

    def visit(node: Any) -> None:
        nonlocal best
        if isinstance(node, yaml.MappingNode):
            keys = {getattr(k, "value", None) for k, _ in node.value}
            if {"kind", "metadata"} <= keys and node.start_mark.line <= want <= node.end_mark.line:
                if best is None or node.end_mark.index - node.start_mark.index < best.end_mark.index - best.start_mark.index:
                    best = node
            for _, v in node.value:
                visit(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                visit(v)

    for doc in _yaml_nodes(text):
        visit(doc)
    if best is None:
        return None
    meta = _get(best, "metadata")
    if meta is None or not _block_mapping(meta[1]):
        return None
    rule = finding.rule_id
    value = annotation_value([rule])
    title = f"Suppress {rule} for this object ({ANNOTATION} annotation)"
    annotations = _get(meta[1], "annotations")
    if annotations is None:
        place = _first_key_line(lines, meta[1])
        if place is None:
            return None
        line, indent = place
        return Insertion(title, line, 0, f"{indent}annotations:\n{indent}  {ANNOTATION}: {value}\n")
    key_node, node = annotations
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and node.value == "":
        indent = " " * key_node.start_mark.column + "  "
        return Insertion(title, key_node.start_mark.line + 1, 0, f"{indent}{ANNOTATION}: {value}\n")
    place = _first_key_line(lines, node)
    if place is None:
        return None
    name = annotation_key(str(getattr(k, "value", "")) for k, _ in node.value)
    line, indent = place
    return Insertion(title, line, 0, f"{indent}{name}: {value}\n")


def cloudformation_suppression(lines: list[str], text: str, finding: Finding) -> Insertion | None:
    """An entry of ``Metadata.seawall.ignore`` on the resource that holds the finding."""
    import yaml

    from linter.suppress import METADATA, metadata_entry

    header = finding.resource_span
    if header is None:
        return None
    resource = None
    for doc in _yaml_nodes(text):
        if not isinstance(doc, yaml.MappingNode):
            continue
        found = _get(doc, "Resources")
        if found is None or not isinstance(found[1], yaml.MappingNode):
            continue
        for k, v in found[1].value:
            if k.start_mark.line == header.line - 1:
                resource = v
    if resource is None or not _block_mapping(resource):
        return None
    rule = finding.rule_id
    entry = metadata_entry(rule)
    section, key = METADATA
    title = f"Suppress {rule} for this resource (Metadata {section} {key})"
    nest = [("Metadata", resource)]
    body = [f"{section}:", f"  {key}:", f"    - {entry}"]
    meta = _get(resource, "Metadata")
    if meta is not None:
        seawall = _get(meta[1], section) if _block_mapping(meta[1]) else None
        if not _block_mapping(meta[1]):
            return None
        if seawall is None:
            nest = [("", meta[1])]
        else:
            if not _block_mapping(seawall[1]):
                return None
            ignore = _get(seawall[1], key)
            if ignore is None:
                nest = [("", seawall[1])]
                body = [f"{key}:", f"  - {entry}"]
            else:
                seq = ignore[1]
                if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
                    return None
                line, col = seq.start_mark.line, seq.start_mark.column
                if line >= len(lines) or lines[line][:col].strip() or lines[line][col : col + 1] != "-":
                    return None
                return Insertion(title, line, 0, f"{lines[line][:col]}- {entry}\n")
    name, mapping = nest[0]
    place = _first_key_line(lines, mapping)
    if place is None:
        return None
    line, indent = place
    if name:
        body = [f"{name}:"] + ["  " + b for b in body]
    return Insertion(title, line, 0, "".join(f"{indent}{b}\n" for b in body))


def document_kind(path: str, text: str) -> str | None:
    if path.endswith(".tf"):
        return "terraform"
    if path.endswith(DOCUMENT_SUFFIXES):
        from linter.discover import classify_document

        return classify_document(path, text[:65536])
    return None


def suppression_for(kind: str | None, lines: list[str], text: str, finding: Finding) -> Insertion | None:
    from linter.suppress import META_RULE

    if finding.rule_id == META_RULE:
        return None
    try:
        if kind == "terraform":
            return terraform_suppression(lines, finding)
        if kind == "kubernetes" and not text.lstrip().startswith(("{", "[")):
            return kubernetes_suppression(lines, text, finding)
        if kind == "cloudformation" and not text.lstrip().startswith(("{", "[")):
            return cloudformation_suppression(lines, text, finding)
    except Exception:  # a code action is a convenience: never let it break the diagnostics
        logger.exception("cannot compute a suppression for %s", finding.rule_id)
    return None


# --------------------------------------------------------------------------- linting


class LintRequest(Struct):
    uri: str
    path: str
    text: str
    version: int | None
    buffers: dict[str, str]  # every open file buffer, path -> text
    codec: PositionCodec


class Linter(Struct):
    """Configuration discovery, rules (cached) and the engine, for one buffer at a time.
    Runs on the worker thread only."""

    _rules: dict[tuple[Any, ...], RuleSet] = field(default_factory=dict)
    # the initialization option `configFile`: one configuration for every file, instead of
    # the nearest one above each file
    config_file: str | None = None
    # the initialization options `strict` and `showPosture`; the configuration file's
    # `strict = true` and `show-posture = false` apply as well
    strict: bool = False
    show_posture: bool = True

    def rules(self, dirs: list[str]) -> RuleSet:
        from linter.ruleset import load_rules, rule_files

        key: tuple[Any, ...] = tuple(dirs)
        for d in dirs:  # custom rules edited while the editor runs are picked up
            for f in rule_files(d):
                try:
                    key += ((f, os.stat(f).st_mtime_ns),)
                except OSError:
                    key += ((f, 0),)
        if key not in self._rules:
            if len(self._rules) > 8:
                self._rules.clear()
            self._rules[key] = load_rules(dirs)
        return self._rules[key]

    def configure(self, path: str) -> tuple[RunConfig, RuleSet]:
        from linter.suppress import META_RULE

        config = RunConfig()
        found = self.config_file or find_config(path)
        if found:
            apply_config_file(config, found)
        rules = self.rules(config.rule_dirs)
        check_rule_ids(config, set(rules.by_id) | {META_RULE})
        return config, rules

    def diagnostics(self, req: LintRequest) -> list[lsp.Diagnostic]:
        try:
            return self._diagnostics(req)
        except Exception as exc:  # a bug here must not take the server down
            logger.exception("linting %s failed", req.path)
            return [_whole_file(f"seawall could not check this file (internal error: {exc})", "internal-error", _lines(req.text), req.codec)]

    def _diagnostics(self, req: LintRequest) -> list[lsp.Diagnostic]:
        from linter.baseline import BaselineError
        from linter.cache import Cache
        from linter.cache import current as current_cache
        from linter.cache import use as use_cache
        from linter.engine import run

        lines = _lines(req.text)
        try:
            config, rules = self.configure(req.path)
            config.paths = [req.path]
            config.overrides = {**req.buffers, req.path: req.text}
            config.workers = 1  # the module's parses are in memory after the first lint: no pool to start
            cache = current_cache()
            if cache.keep != SERVER_PARSES or cache.enabled != config.cache:
                use_cache(Cache(enabled=config.cache, keep=SERVER_PARSES))
            result = run(config, rules)
        except (ConfigError, RuleError, BaselineError) as exc:
            return [_whole_file(f"seawall configuration error: {exc}", "configuration-error", lines, req.codec)]
        kind = document_kind(req.path, req.text)
        other_lines: dict[str, list[str]] = {}

        def lines_of(path: str) -> list[str]:
            path = os.path.normpath(os.path.abspath(path))
            if path == req.path:
                return lines
            if path not in other_lines:
                if path in req.buffers:
                    other_lines[path] = _lines(req.buffers[path])
                else:
                    try:
                        with open(path, encoding="utf-8", errors="replace") as fh:
                            other_lines[path] = _lines(fh.read())
                    except OSError:
                        other_lines[path] = []
            return other_lines[path]

        out: list[lsp.Diagnostic] = []
        for e in result.errors:
            if os.path.normpath(os.path.abspath(e.file)) != req.path:
                continue
            span = Span(req.path, max(e.line, 1), max(e.column, 1))
            out.append(
                lsp.Diagnostic(
                    range=span_range(span, lines, req.codec),
                    message=e.message,
                    severity=lsp.DiagnosticSeverity.Error,
                    source=SOURCE,
                    code=f"{e.kind}-error",
                )
            )
        strict = self.strict or config.strict
        for f in result.findings:
            if not f.active or os.path.normpath(os.path.abspath(f.span.file)) != req.path:
                continue
            if blocking(f, strict):
                severity = SEVERITIES.get(f.severity, lsp.DiagnosticSeverity.Warning)
            elif self.show_posture and config.show_posture:
                severity = lsp.DiagnosticSeverity.Information  # one step away: shown quietly
            else:
                continue
            out.append(self._finding(f, rules, lines, lines_of, kind, req, severity))
        for n in result.notes:
            if os.path.normpath(os.path.abspath(n.file)) == req.path:
                span = Span(req.path, max(n.line, 1), 1)
                out.append(lsp.Diagnostic(range=span_range(span, lines, req.codec), message=n.message, severity=lsp.DiagnosticSeverity.Hint, source=SOURCE, code="note"))
        return out

    def _finding(
        self, f: Finding, rules: RuleSet, lines: list[str], lines_of: Callable[[str], list[str]], kind: str | None, req: LintRequest, severity: lsp.DiagnosticSeverity
    ) -> lsp.Diagnostic:
        from linter.suppress import META_RULE

        rng = span_range(f.span, lines, req.codec)
        rule = rules.get(f.rule_id)
        message = [f.message]
        if f.verdict_reason:
            message.append(f"{label(f.verdict)}: {f.verdict_reason}")
        message += [ev.message for ev in f.evidence if ev.span is None]
        hint = _first_sentence(f.remediation)
        if hint:
            message.append(f"fix: {hint}")
        related = [
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=_uri(ev.span.file), range=span_range(ev.span, lines_of(ev.span.file), req.codec)),
                message=ev.message,
            )
            for ev in f.evidence
            if ev.span is not None
        ]
        data: dict[str, Any] = {"version": req.version, "rule": f.rule_id, "severity": str(f.severity), "verdict": f.verdict, "fix": None, "suppress": None}
        fix = f.fix
        if fix is not None:
            target = os.path.normpath(os.path.abspath(fix.span.file))
            target_lines = lines_of(target)
            if _fix_applies(fix.span, target_lines):
                entry = {"title": fix.title, "range": _range_json(span_range(fix.span, target_lines, req.codec)), "newText": fix.replacement}
                if target != req.path:  # the value is set in another file (a tfvars line, a variable default)
                    entry["uri"] = _uri(target)
                    entry["expect"] = _region_text(fix.span, target_lines)
                data["fix"] = entry
        insertion = suppression_for(kind, lines, req.text, f)
        if insertion is not None:
            at = _position(lines, req.codec, insertion.line, insertion.column)
            data["suppress"] = {"title": insertion.title, "range": _range_json(lsp.Range(start=at, end=at)), "newText": insertion.text}
        tags = [lsp.DiagnosticTag.Unnecessary] if f.rule_id == META_RULE and f.message.startswith("unused suppression") else None
        return lsp.Diagnostic(
            range=rng,
            message="\n".join(message),
            severity=severity,
            source=SOURCE,
            code=f.rule_id,
            code_description=lsp.CodeDescription(href=rule.references[0]) if rule is not None and rule.references else None,
            related_information=related or None,
            tags=tags,
            data=data,
        )


def _first_sentence(text: str) -> str:
    para = " ".join(text.strip().split("\n\n")[0].split())
    m = re.search(r"(?<!e\.g)(?<!i\.e)\.\s+(?=[A-Z`])", para)
    sentence = para[: m.start() + 1] if m else para
    return sentence if len(sentence) <= 400 else sentence[:397] + "..."


def _fix_applies(span: Span, lines: list[str]) -> bool:
    """A fix replaces whole lines of the text the engine read; it applies when they exist."""
    return 0 < span.line <= span.end_line <= len(lines) and span.end_column - 1 <= len(lines[span.end_line - 1].rstrip("\r"))


def _region_text(span: Span, lines: list[str]) -> str:
    """The text a fix replaces (its span is whole lines)."""
    return "\n".join(line.rstrip("\r") for line in lines[span.line - 1 : span.end_line])


def _whole_file(message: str, code: str, lines: list[str], codec: PositionCodec) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=span_range(Span("", 1, 1), lines, codec), message=message, severity=lsp.DiagnosticSeverity.Error, source=SOURCE, code=code
    )


def _uri(path: str) -> str:
    return from_fs_path(os.path.abspath(path)) or path


# --------------------------------------------------------------------------- the worker


class Worker:
    """One daemon thread running lints in order. A job whose future was cancelled before it
    started is skipped; a daemon thread never holds up the server's exit.

    When the process has switched the automatic garbage collector off (``main`` does), the
    worker collects instead, between lints: after ``IDLE_COLLECT_SECONDS`` without a job, or
    after ``COLLECT_EVERY`` lints in a row. A full collection over the parses the server
    keeps took a quarter of a lint when it came due in the middle of one."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.collections = 0
        self._thread = threading.Thread(target=self._run, name="seawall-lint", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _collect(self) -> None:
        gc.collect()
        self.collections += 1

    def _run(self) -> None:
        since = 0  # lints since the last collection
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_COLLECT_SECONDS) if since and not gc.isenabled() else self._jobs.get()
            except queue.Empty:
                self._collect()
                since = 0
                continue
            if job is None:
                return
            loop, future, fn, args = job
            if future.cancelled():
                continue
            try:
                outcome, error = fn(*args), None
            except BaseException as exc:  # handed to the awaiting task
                outcome, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, outcome, error)
            except RuntimeError:  # the loop is closed: the server is exiting
                return
            since += 1
            if since >= COLLECT_EVERY and not gc.isenabled():
                self._collect()
                since = 0


def _settle(future: asyncio.Future[Any], outcome: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(outcome)


# --------------------------------------------------------------------------- the server


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("seawall")
    except Exception:
        return "0"


class SeawallServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("seawall", _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.debounce = _env_debounce()
        self.linter = Linter()
        self.worker = Worker()
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.generation: dict[str, int] = {}
        self.published = 0  # lints published, for the log
        # what was last published per document, for clients that drop a diagnostic's `data`
        self.last: dict[str, list[lsp.Diagnostic]] = {}

    # documents ---------------------------------------------------------------

    def document(self, uri: str) -> Any:
        return self.workspace.text_documents.get(unquote(uri))

    @staticmethod
    def path_of(uri: str) -> str | None:
        if not uri.startswith("file:"):
            return None
        path = to_fs_path(uri)
        return os.path.normpath(os.path.abspath(path)) if path else None

    def lintable(self, uri: str) -> str | None:
        path = self.path_of(uri)
        if path is None or not path.endswith(TERRAFORM_SUFFIXES + DOCUMENT_SUFFIXES):
            return None
        return path

    def buffers(self) -> dict[str, str]:
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = self.path_of(uri)
            if path is not None:
                out[path] = doc.source
        return out

    def siblings(self, uri: str) -> list[str]:
        """Other open Terraform files of the same module directory (their context changed)."""
        path = self.path_of(uri)
        if path is None or not path.endswith(TERRAFORM_SUFFIXES):
            return []
        directory = os.path.dirname(path)
        out = []
        for other in list(self.workspace.text_documents):
            p = self.path_of(other)
            if p and p != path and p.endswith(TERRAFORM_SUFFIXES) and os.path.dirname(p) == directory:
                out.append(other)
        return out

    # scheduling --------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, superseding any lint of it not yet published."""
        if self.lintable(uri) is None:
            return
        self.cancel(uri)
        gen = self.generation[uri] = self.generation.get(uri, 0) + 1
        self.tasks[uri] = asyncio.get_running_loop().create_task(self._lint(uri, gen, delay))

    def data_of(self, uri: str, diag: lsp.Diagnostic) -> Any:
        """The ``data`` of a diagnostic, or of the published one it repeats when the client
        did not keep ``data`` (the same code at the same range)."""
        if isinstance(diag.data, dict):
            return diag.data
        for mine in self.last.get(uri, []):
            if mine.code == diag.code and mine.range == diag.range:
                return mine.data
        return None

    def holds(self, uri: str, rng: lsp.Range, expect: Any) -> bool:
        """Whether the document at ``uri`` (its open buffer, else the file) holds ``expect``
        on the lines of ``rng``."""
        if not isinstance(expect, str):
            return False
        doc = self.document(uri)
        if doc is not None:
            text = doc.source
        else:
            path = self.path_of(uri)
            try:
                with open(path or "", encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError):
                return False
        lines = [line.rstrip("\r") for line in text.split("\n")]
        return "\n".join(lines[rng.start.line : rng.end.line + 1]) == expect

    def cancel(self, uri: str) -> None:
        task = self.tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self.generation[uri] = self.generation.get(uri, 0) + 1

    async def _lint(self, uri: str, gen: int, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            doc = self.document(uri)
            path = self.lintable(uri)
            if doc is None or path is None:
                return
            version = doc.version
            request = LintRequest(uri, path, doc.source, version, self.buffers(), self.workspace.position_codec)
            diagnostics = await self.worker.submit(self.linter.diagnostics, request)
            doc = self.document(uri)
            if self.generation.get(uri) != gen or doc is None or doc.version != version:
                logger.debug("dropping diagnostics of %s v%s: superseded", uri, version)
                return
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))
            self.last[uri] = diagnostics
            self.published += 1
            logger.info("%s v%s: %d diagnostics", path, version, len(diagnostics))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("linting %s failed", uri)
        finally:
            if self.tasks.get(uri) is asyncio.current_task():
                del self.tasks[uri]

    def shutdown_all(self) -> None:
        for uri in list(self.tasks):
            self.cancel(uri)
        self.worker.stop()


def _env_debounce() -> float:
    raw = os.environ.get("SEAWALL_LSP_DEBOUNCE_MS")
    try:
        return max(float(raw), 0.0) / 1000 if raw else DEFAULT_DEBOUNCE_MS / 1000
    except ValueError:
        return DEFAULT_DEBOUNCE_MS / 1000


def create_server() -> SeawallServer:
    server = SeawallServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: SeawallServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            options = options.get("seawall", options)
            value = options.get("debounceMs") if isinstance(options, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                ls.debounce = value / 1000
            config_file = options.get("configFile") if isinstance(options, dict) else None
            if isinstance(config_file, str) and config_file.strip():
                ls.linter.config_file = os.path.abspath(config_file)
            # posture findings shown by severity like exposures (`strict`), or not at all
            # (`showPosture: false`)
            strict = options.get("strict") if isinstance(options, dict) else None
            if isinstance(strict, bool):
                ls.linter.strict = strict
            show = options.get("showPosture") if isinstance(options, dict) else None
            if isinstance(show, bool):
                ls.linter.show_posture = show
        logger.info("debounce %.0f ms", ls.debounce * 1000)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SeawallServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SeawallServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.schedule(uri, ls.debounce)
        for other in ls.siblings(uri):
            ls.schedule(other, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: SeawallServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri) or ""
        if os.path.basename(path) in CONFIG_NAMES:  # the configuration changed: everything may change
            for other in list(ls.workspace.text_documents):
                ls.schedule(other, 0)
            return
        ls.schedule(uri, 0)
        for other in ls.siblings(uri):
            ls.schedule(other, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SeawallServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel(uri)
        ls.last.pop(uri, None)
        if ls.lintable(uri) is not None:
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for other in ls.siblings(uri):  # the file on disk is their context again
            ls.schedule(other, ls.debounce)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: SeawallServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        only = [str(getattr(k, "value", k)) for k in params.context.only or ()]
        quickfix = lsp.CodeActionKind.QuickFix.value
        if only and not any(k in ("", quickfix) or quickfix.startswith(f"{k}.") for k in only):
            return []
        uri = params.text_document.uri
        doc = ls.document(uri)
        if doc is None:
            return []
        versioned = bool(_capability(ls, "workspace", "workspace_edit", "document_changes"))
        fixes: list[lsp.CodeAction] = []
        suppressions: list[lsp.CodeAction] = []
        seen: set[tuple[Any, ...]] = set()
        for diag in params.context.diagnostics:
            data = ls.data_of(uri, diag)
            if diag.source != SOURCE or not isinstance(data, dict) or data.get("version") != doc.version:
                continue  # not ours, or computed for text that has changed since
            for key, bucket, preferred in (("fix", fixes, True), ("suppress", suppressions, False)):
                entry = data.get(key)
                if not isinstance(entry, dict):
                    continue
                try:
                    edit = lsp.TextEdit(range=_range_from_json(entry["range"]), new_text=str(entry["newText"]))
                    title = str(entry["title"])
                    target = str(entry.get("uri") or uri)
                except (KeyError, TypeError, ValueError):
                    continue
                target_version: int | None = doc.version
                if target != uri:
                    # another file: offered only while it still holds the text the fix replaces
                    other = ls.document(target)
                    target_version = other.version if other is not None else None
                    if not ls.holds(target, edit.range, entry.get("expect")):
                        continue
                ident = (key, title, edit.range.start.line, edit.range.start.character, edit.range.end.line, edit.range.end.character, edit.new_text)
                if ident in seen:
                    continue
                seen.add(ident)
                if versioned:
                    workspace_edit = lsp.WorkspaceEdit(
                        document_changes=[
                            lsp.TextDocumentEdit(text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=target, version=target_version), edits=[edit])
                        ]
                    )
                else:
                    workspace_edit = lsp.WorkspaceEdit(changes={target: [edit]})
                bucket.append(
                    lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag], is_preferred=preferred or None, edit=workspace_edit)
                )
        return fixes + suppressions

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: SeawallServer, *args: Any) -> None:
        logger.info("shutting down after %d publishes", ls.published)
        ls.shutdown_all()

    return server


def _capability(ls: LanguageServer, *names: str) -> Any:
    value: Any = ls.client_capabilities
    for name in names:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _configure_logging() -> None:
    level = os.environ.get("SEAWALL_LSP_LOG", "warning").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level, logging.WARNING))
    if level != "DEBUG":  # pygls logs every message it sends at INFO
        logging.getLogger("pygls").setLevel(max(root.level, logging.WARNING))


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped with Ctrl-C


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C: stop at once. The server keeps no state worth saving, and a normal interpreter
    exit cannot happen: the thread reading standard input is blocked in ``read()`` holding
    its lock, so asyncio's own handler waited for it (the first Ctrl-C was ignored) and the
    interpreter's shutdown then aborted ("could not acquire lock for <stdin>", exit 134)."""
    logger.info("interrupted: exiting")
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Serve LSP on standard input and output until the client says exit (or Ctrl-C)."""
    _configure_logging()
    # installed before asyncio.run, which then leaves SIGINT alone
    signal.signal(signal.SIGINT, _interrupted)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # the protocol owns the real stdout; nothing else may write there
    gc.disable()  # the lint worker collects between lints (see Worker)
    server = create_server()
    try:
        server.start_io(stdin, stdout)
    finally:
        server.shutdown_all()


if __name__ == "__main__":  # pragma: no cover
    main()
