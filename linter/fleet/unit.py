"""The unit of a fleet scan: one repository at one commit, scanned by ``engine.run``.

``scan_unit`` is what a worker runs, in a local process or on a Dask worker: it takes a
:class:`Unit` (plain, picklable data) and returns a :class:`UnitResult` (the same), never
raises, and never touches the history database (the coordinator alone writes it). Inside,
the repository is laid out at the commit (``git.materialize``), scanned with the
repository's own configuration (the ``.seawall.toml`` or ``pyproject.toml`` in the
scanned folder or above it, inside the repository), and each finding is identified by
the baseline fingerprint (``linter.baseline.fingerprint``), relative to the repository.

**History walk.** To know since when a finding is public, the commits before the scanned
one are scanned too, on the first-parent line, newest first: on a repository's first scan
(or when its configuration or the rules changed) until no finding of the scanned commit
is left (each one's start is then known), on later scans back to the commit scanned last
time (each change in between is dated to its commit); never more than ``history_depth``
commits. A walk that stops at the limit, or
at a commit that could not be checked, says so, and the dates it gives are "at least".
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from linter.fleet.git import GitError, Repository, clone, config_identity, find_repository, first_parents, materialize, resolve
from linter.fleet.sources import STATE_SUFFIXES, Source

if TYPE_CHECKING:
    from linter.config import RunConfig
    from linter.ruleset import RuleSet

CONFIG_NAMES = (".seawall.toml", "pyproject.toml")


class Previous(Struct, frozen=True):
    """What the history knows of a source's last successful scan."""

    commit: str
    config: str
    rules: str
    errors: tuple[str, ...] = ()  # its input errors: still there while nothing changes


class Unit(Struct, frozen=True):
    source: Source
    rules_version: str
    commit: str = ""  # pinned by the coordinator (local repositories); "" resolves here
    commit_time: int | None = None
    config: str = ""
    previous: Previous | None = None
    history_depth: int = 30
    rescan: bool = False
    rule_dirs: tuple[str, ...] = ()  # the fleet's own extra rules


class FindingRecord(Struct, frozen=True):
    fingerprint: str
    rule_id: str
    severity: str
    verdict: str
    title: str
    message: str
    file: str  # relative to the repository, "/"-separated
    line: int
    resource: str
    suppression: str = ""  # "kind: reason" when suppressed


class Step(Struct, frozen=True):
    """An older commit of the walk and the fingerprints found there."""

    commit: str
    time: int
    fingerprints: frozenset[str]


class UnitResult(Struct):
    name: str
    status: str  # scanned | unchanged | error
    problem: str = ""
    commit: str = ""
    commit_time: int | None = None
    config: str = ""
    rules_version: str = ""
    findings: list[FindingRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # input errors of the scanned commit
    notes: list[str] = field(default_factory=list)
    history: list[Step] = field(default_factory=list)
    history_end: str = "none"  # previous | root | settled | limit | error | none
    root: str = ""  # the local folder the findings' files are relative to ("" for a clone)
    worker: str = ""
    seconds: float = 0.0


class Target(Struct, frozen=True):
    """Where a source is read from: a git repository, a plain folder or a single file."""

    kind: str  # git | folder | file
    path: str
    repo: Repository | None = None


class UnitError(Exception):
    pass


_ONE_AT_A_TIME = threading.Lock()


def scan_unit(unit: Unit) -> UnitResult:
    start = time.perf_counter()
    name = unit.source.name
    try:
        with _ONE_AT_A_TIME:  # a Dask worker with several threads scans one unit at a time
            result = _scan(unit)
    except (UnitError, GitError) as exc:
        result = UnitResult(name, "error", problem=str(exc))
    except Exception as exc:  # an internal error is this repository's problem, never the fleet's
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result = UnitResult(name, "error", problem=f"internal error: {type(exc).__name__}: {exc} ({os.path.basename(where.filename)}:{where.lineno})")
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    result.seconds = time.perf_counter() - start
    return result


def locate(source: Source, clones: str | None = None) -> Target:
    """What a source is on disk (a URL is cloned, or its clone updated, into ``clones``)."""
    if source.problem:
        raise UnitError(source.problem)
    if source.kind == "url":
        from linter.cache import base_dir

        folder = clones or os.path.join(str(base_dir()), "fleet-clones")
        dest = os.path.join(folder, hashlib.sha256(source.location.encode()).hexdigest()[:24])
        with _locked(dest):
            clone(source.location, dest)
        return Target("git", dest, Repository(dest, ""))
    path = source.location
    if os.path.isfile(path):
        return Target("file", path)
    if not os.path.isdir(path):
        raise UnitError(f"{path} does not exist")
    repo = find_repository(path)
    if repo is None:
        if source.ref != "HEAD":
            raise UnitError(f"{path} is not in a git repository, so it cannot be scanned at {source.ref}")
        return Target("folder", path)
    return Target("git", path, repo)


def identify(source: Source, target: Target) -> tuple[str, int | None, str]:
    """The revision to scan (a commit, or a digest of a folder's or file's content), its
    commit time, and what identifies the configuration that applies to it."""
    if target.kind == "git":
        assert target.repo is not None
        commit, when = resolve(target.repo, source.ref)
        return commit, when, config_identity(target.repo, commit, CONFIG_NAMES)
    digest = hashlib.sha256()
    if target.kind == "file":
        with open(target.path, "rb") as fh:
            digest.update(fh.read())
        return "sha256:" + digest.hexdigest(), None, ""
    for folder, dirs, names in os.walk(target.path):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for n in sorted(names):
            full = os.path.join(folder, n)
            digest.update(os.path.relpath(full, target.path).encode() + b"\0")
            try:
                with open(full, "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
            except OSError:
                digest.update(b"unreadable")
    return "sha256:" + digest.hexdigest(), None, ""


def _root(source: Source, target: Target) -> str:
    if source.kind == "url":
        return ""
    if target.kind == "file":
        return os.path.dirname(target.path)
    if target.repo is not None and target.repo.prefix:
        return os.path.normpath(os.path.join(target.path, *[".."] * len(target.repo.prefix.split("/"))))
    return target.path


def _scan(unit: Unit) -> UnitResult:
    source = unit.source
    target = locate(source)
    if unit.commit:
        commit, when, config = unit.commit, unit.commit_time, unit.config
    else:
        commit, when, config = identify(source, target)
    previous = unit.previous
    out = UnitResult(source.name, "scanned", commit=commit, commit_time=when, config=config, rules_version=unit.rules_version, root=_root(source, target))
    if previous is not None and not unit.rescan and (previous.commit, previous.config, previous.rules) == (commit, config, unit.rules_version):
        out.status = "unchanged"
        out.errors = list(previous.errors)
        return out
    with _workdir(source) as work:
        scanned = _scan_revision(target, commit, work, unit.rule_dirs)
        out.findings, out.errors, out.notes = scanned
        if target.kind != "git" or unit.history_depth <= 0:
            return out
        # the last scan's commit bounds the walk only when its findings came from the same
        # configuration and rules: a new rule's findings are dated by walking back from here
        since = previous.commit if previous is not None and (previous.config, previous.rules) == (config, unit.rules_version) else None
        if since == commit:
            out.history_end = "previous"
            return out
        assert target.repo is not None
        older, out.history_end = first_parents(target.repo, commit, since, unit.history_depth)
        alive = {f.fingerprint for f in out.findings}
        for sha, sha_time in older:
            if since is None and not alive:
                out.history_end = "settled"
                break
            try:
                findings, errors, _ = _scan_revision(target, sha, work, unit.rule_dirs)
            except (UnitError, GitError):
                errors = ["could not be checked"]
            if errors:  # what was public there is not known: the walk ends before it
                out.history_end = "error"
                break
            prints = frozenset(f.fingerprint for f in findings)
            out.history.append(Step(sha, sha_time, prints))
            alive &= prints
    return out


def _scan_revision(target: Target, commit: str, work: str, rule_dirs: tuple[str, ...]) -> tuple[list[FindingRecord], list[str], list[str]]:
    """Lay out ``commit`` (or copy the folder or file) in ``work`` and scan it."""
    from linter.baseline import fingerprint

    tree = os.path.join(work, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    notes: list[str] = []
    located = None
    scan_dir = tree
    file_name = ""
    if target.kind == "git":
        assert target.repo is not None
        notes = materialize(target.repo, commit, tree)
        scan_dir = os.path.join(tree, *target.repo.prefix.split("/")) if target.repo.prefix else tree
        if not os.path.isdir(scan_dir) or not os.listdir(scan_dir):
            if target.repo.prefix:
                raise UnitError(f"nothing under {target.repo.prefix} is committed at {commit[:12]} in the repository at {target.repo.git_dir}")
            os.makedirs(scan_dir, exist_ok=True)
    elif target.kind == "folder":
        shutil.rmtree(tree)
        shutil.copytree(target.path, tree, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    else:
        file_name, located = _lay_out_file(target.path, tree)
    config, rules = _configure(scan_dir, tree, rule_dirs)
    from linter.baseline import BaselineError
    from linter.engine import run

    try:
        result = run(config, rules)
    except BaselineError as exc:
        raise UnitError(f"configuration: {exc}") from None

    def rel(path: str) -> str:
        if file_name:
            return file_name
        return os.path.relpath(os.path.abspath(path), tree).replace(os.sep, "/")

    findings = []
    for f in result.findings:
        line = f.span.line
        if located is not None:
            from linter.fleet.state import line_of

            line = line_of(located, f.resource, f.path) or line
        suppression = f"{f.suppression.kind}: {f.suppression.reason}" if f.suppression is not None else ""
        findings.append(
            FindingRecord(fingerprint(f, tree), f.rule_id, str(f.severity), f.verdict, f.title, f.message, rel(f.span.file), line, f.resource, suppression)
        )
    findings.sort(key=lambda r: (r.file, r.line, r.rule_id, r.fingerprint))
    errors = [f"{rel(e.file)}:{e.line}: {e.message}" for e in result.errors]
    notes += [f"{rel(n.file)}:{n.line}: {n.message}" for n in result.notes]
    return findings, errors, notes


def _lay_out_file(path: str, tree: str) -> tuple[str, dict[str, Any] | None]:
    """A state file becomes plan JSON the engine reads; a plan is copied as it is."""
    import json

    from linter.fleet.state import StateError, as_plan, is_state
    from linter.positioned import json_with_positions
    from linter.sources import SourceError, read_source

    name = os.path.basename(path)
    try:
        text = read_source(path, 256 * 1024 * 1024)
    except SourceError as exc:
        raise UnitError(f"{path}: {exc.message}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UnitError(f"{path}: not JSON ({exc}): seawall reads Terraform state and plan JSON files") from None
    if not is_state(doc):
        if not name.endswith(STATE_SUFFIXES) or "planned_values" not in doc:
            raise UnitError(f"{path}: neither a Terraform state nor plan JSON (terraform show -json)")
        with open(os.path.join(tree, name if name.endswith(".json") else name + ".json"), "w", encoding="utf-8") as fh:
            fh.write(text)
        return name, None
    try:
        plan, located = as_plan(json_with_positions(text, path))
    except StateError as exc:
        raise UnitError(f"{path}: {exc}") from None
    with open(os.path.join(tree, "state.json"), "w", encoding="utf-8") as fh:
        json.dump(plan, fh, indent=1)
    return name, located


_BUILTIN: list[RuleSet] = []


def _configure(scan_dir: str, tree: str, rule_dirs: tuple[str, ...]) -> tuple[RunConfig, RuleSet]:
    """The repository's own configuration (found in the scanned folder or above it, never
    outside the repository) and the rules it asks for."""
    from linter.config import ConfigError, RunConfig, apply_config_file, check_rule_ids, find_config
    from linter.ruleset import RuleError, load_rules
    from linter.suppress import META_RULE

    config = RunConfig()
    found = find_config(scan_dir)
    root = os.path.realpath(tree)
    try:
        if found and os.path.realpath(found).startswith(root + os.sep):
            apply_config_file(config, found)
        dirs = list(rule_dirs) + config.rule_dirs
        if dirs:
            rules = load_rules(dirs)
        else:
            if not _BUILTIN:  # each worker process loads the built-in rules once
                _BUILTIN.append(load_rules())
            rules = _BUILTIN[0]
        check_rule_ids(config, set(rules.by_id) | {META_RULE})
    except (ConfigError, RuleError) as exc:
        raise UnitError(f"configuration: {str(exc).replace(root + os.sep, '')}") from None
    config.paths = [scan_dir]
    config.workers = 1  # the fleet's workers are the parallelism
    return config, rules


@contextlib.contextmanager
def _workdir(source: Source) -> Iterator[str]:
    """A folder to lay commits out in. The same source gets the same folder every time
    (the parse cache is keyed by path and content, so unchanged files are not parsed
    again), held by a lock; when another scan holds it, a fresh one."""
    base = os.path.join(tempfile.gettempdir(), f"seawall-fleet-{os.getuid() if hasattr(os, 'getuid') else 0}")
    stable = os.path.join(base, hashlib.sha256(f"{source.name}\0{source.location}".encode()).hexdigest()[:24])
    with _locked(stable, wait=False) as held:
        work = stable if held else tempfile.mkdtemp(prefix="seawall-fleet-")
        os.makedirs(work, exist_ok=True)
        try:
            yield work
        finally:
            shutil.rmtree(os.path.join(work, "tree") if held else work, ignore_errors=True)


@contextlib.contextmanager
def _locked(path: str, wait: bool = True) -> Iterator[bool]:
    """An exclusive lock on ``path + ".lock"``: yields whether it is held (False only when
    ``wait`` is false and another process holds it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: nothing is shared between scans
        yield not wait
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
