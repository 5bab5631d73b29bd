"""The coordinator of ``seawall fleet scan``: reads SOURCES, decides what needs scanning,
hands the units to an engine, and records each result in the history as it arrives.

Local repositories are resolved here (commit, configuration identity), so a source whose
commit, configuration and rules version are unchanged since its last successful scan is
recorded as ``unchanged`` without reaching a worker: a second run over an unchanged fleet
scans nothing, and a run that was interrupted goes on where it stopped (every finished
source was recorded, in its own transaction). URLs are cloned (or fetched) by the worker
that scans them, which makes the same comparison after fetching.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator

from msgspec import Struct, field

from linter.fleet.engines import Engine
from linter.fleet.git import GitError
from linter.fleet.history import History
from linter.fleet.sources import Source, read_sources
from linter.fleet.unit import FindingRecord, Unit, UnitError, UnitResult, identify, locate


class FleetRun(Struct):
    """What one fleet scan did."""

    run: int
    engine: str
    results: dict[str, UnitResult] = field(default_factory=dict)
    appeared: dict[str, list[FindingRecord]] = field(default_factory=dict)
    fixed: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        return sorted(n for n, r in self.results.items() if r.status == "error" or r.errors)

    @property
    def scanned(self) -> int:
        return sum(1 for r in self.results.values() if r.status == "scanned")

    @property
    def new_exposed(self) -> list[tuple[str, FindingRecord]]:
        """New findings with the verdict ``exposed`` that are not suppressed."""
        return [(n, f) for n, fs in sorted(self.appeared.items()) for f in fs if f.verdict == "exposed" and not f.suppression]


def rules_version(rule_dirs: tuple[str, ...] = ()) -> str:
    """seawall's version and the content of every rule file the fleet uses (the built-in
    rules and ``--rules`` folders; a repository's own rule folders are part of its commit)."""
    from linter import __version__
    from linter.ruleset import builtin_dir, rule_files

    digest = hashlib.sha256(__version__.encode())
    for folder in (builtin_dir(), *rule_dirs):
        for path in rule_files(folder):
            with open(path, "rb") as fh:
                digest.update(os.path.basename(path).encode() + b"\0" + hashlib.sha256(fh.read()).digest())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def plan_unit(source: Source, history: History, version: str, allow_network: bool, history_depth: int, rescan: bool, rule_dirs: tuple[str, ...]) -> Unit | UnitResult:
    """The unit that scans ``source``, or its result when no worker is needed (a problem
    known before trying, or nothing changed)."""
    if source.problem:
        return UnitResult(source.name, "error", problem=f"{source.where}: {source.problem}")
    if source.needs_network and not allow_network:
        return UnitResult(source.name, "error", problem=f"{source.where}: {source.location} is a remote repository: it is cloned only with --allow-network")
    previous = history.previous(source.name)
    base = Unit(source, version, previous=previous, history_depth=history_depth, rescan=rescan, rule_dirs=rule_dirs)
    if source.kind == "url":
        return base  # the worker clones it, then compares
    try:
        target = locate(source)
        commit, when, config = identify(source, target)
    except (UnitError, GitError, OSError) as exc:
        return UnitResult(source.name, "error", problem=str(exc))
    if previous is not None and not rescan and (previous.commit, previous.config, previous.rules) == (commit, config, version):
        return UnitResult(source.name, "unchanged", commit=commit, commit_time=when, config=config, rules_version=version, errors=list(previous.errors))
    return Unit(source, version, commit=commit, commit_time=when, config=config, previous=previous, history_depth=history_depth, rescan=rescan, rule_dirs=rule_dirs)


def scan_fleet(
    sources_path: str,
    history: History,
    engine: Engine,
    allow_network: bool = False,
    history_depth: int = 30,
    rescan: bool = False,
    rule_dirs: tuple[str, ...] = (),
    progress: Callable[[Source, UnitResult], None] | None = None,
) -> FleetRun:
    """Scan every source listed in ``sources_path`` (raises SourcesError when the list
    itself cannot be read) and record the results in ``history``."""
    start = time.perf_counter()
    sources = read_sources(sources_path)
    version = rules_version(rule_dirs)
    run = history.start_run(engine.name, version, os.path.abspath(sources_path))
    out = FleetRun(run, engine.name)
    in_flight: dict[str, Source] = {}  # units handed to the engine, by name, until their result

    def record(source: Source, result: UnitResult) -> None:
        done = history.record(run, source, result)
        out.results[source.name] = result
        if done.appeared:
            out.appeared[source.name] = done.appeared
        if done.fixed:
            out.fixed[source.name] = done.fixed
        if progress is not None:
            progress(source, result)

    def plan(sources: Iterable[Source]) -> Iterator[Unit]:
        for source in sources:
            planned = plan_unit(source, history, version, allow_network, history_depth, rescan, rule_dirs)
            if isinstance(planned, Unit):
                in_flight[source.name] = source
                yield planned
            else:
                record(source, planned)

    for result in engine.run(plan(sources)):
        record(in_flight.pop(result.name), result)
    history.finish_run(run)
    out.seconds = time.perf_counter() - start
    return out
