"""The fleet's memory: one SQLite file (``--history PATH``) written by the coordinator alone.

Tables:

- ``runs``: one row a fleet scan (started, finished, engine, rules version, status
  ``running`` | ``done`` | ``interrupted``: a run still ``running`` when the next one
  starts was stopped);
- ``repositories``: one row a source: where it is, its link template, the commit,
  configuration and rules version of its last successful scan (a source whose three are
  unchanged is not scanned again), and its last outcome (``scanned`` | ``unchanged`` |
  ``error``, the problem, the input errors);
- ``outcomes``: what each run did with each source (the run's own record);
- ``exposures``: keyed by repository and finding fingerprint (``linter.baseline``): rule,
  severity, verdict, suppression, place, and three moments, each a commit, its committer
  time and the run that recorded it: *first seen* (dated by the history walk, see
  ``unit.py``; ``first_exact`` 0 when the walk stopped before the finding's start, so the
  date is "at least"), *last seen*, and *fixed* (empty while it is public). A fixed
  exposure that comes back is open again, dated from its return.

Each unit's result is one transaction: a kill at any moment leaves every result recorded
before it whole, and the next run (which skips unchanged sources) goes on from there.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from linter.fleet.sources import Source
from linter.fleet.unit import FindingRecord, Previous, Step, UnitResult

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER, engine TEXT NOT NULL,
  rules_version TEXT NOT NULL, sources TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repositories (
  name TEXT PRIMARY KEY, location TEXT NOT NULL, link TEXT NOT NULL DEFAULT '',
  commit_id TEXT, commit_time INTEGER, config TEXT, rules_version TEXT, scanned_run INTEGER,
  status TEXT, problem TEXT NOT NULL DEFAULT '', errors TEXT NOT NULL DEFAULT '[]',
  notes TEXT NOT NULL DEFAULT '[]', history_end TEXT NOT NULL DEFAULT '', checked_run INTEGER,
  root TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS outcomes (
  run INTEGER NOT NULL, repository TEXT NOT NULL, status TEXT NOT NULL, commit_id TEXT,
  problem TEXT NOT NULL DEFAULT '', errors TEXT NOT NULL DEFAULT '[]', seconds REAL, worker TEXT,
  PRIMARY KEY (run, repository));
CREATE TABLE IF NOT EXISTS exposures (
  repository TEXT NOT NULL, fingerprint TEXT NOT NULL, rule_id TEXT NOT NULL,
  severity TEXT NOT NULL, verdict TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL,
  file TEXT NOT NULL, line INTEGER NOT NULL, resource TEXT NOT NULL, suppression TEXT NOT NULL,
  first_commit TEXT, first_time INTEGER NOT NULL, first_exact INTEGER NOT NULL, first_run INTEGER NOT NULL,
  last_commit TEXT, last_time INTEGER NOT NULL, last_run INTEGER NOT NULL,
  fixed_commit TEXT, fixed_time INTEGER, fixed_run INTEGER,
  PRIMARY KEY (repository, fingerprint));
"""


class HistoryError(Exception):
    """The history database cannot be opened or is not seawall's."""


@dataclass(frozen=True)
class Recorded:
    """What recording one result changed: exposures that appeared and that were fixed."""

    appeared: list[FindingRecord]
    fixed: list[str]  # fingerprints


class History:
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                elif row["value"] != SCHEMA_VERSION:
                    raise HistoryError(f"{path}: history schema {row['value']}, this seawall writes {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{path}: not a seawall history database ({exc})") from None

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> Any:
        return _Transaction(self.db)

    # runs

    def start_run(self, engine: str, rules_version: str, sources: str) -> int:
        with self.transaction():
            self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            cur = self.db.execute(
                "INSERT INTO runs (started, engine, rules_version, sources, status) VALUES (?, ?, ?, ?, 'running')", (int(time.time()), engine, rules_version, sources)
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET status = 'done', finished = ? WHERE id = ?", (int(time.time()), run))

    def run_started(self, run: int) -> int:
        row = self.db.execute("SELECT started FROM runs WHERE id = ?", (run,)).fetchone()
        return int(row["started"]) if row else int(time.time())

    # repositories

    def previous(self, name: str) -> Previous | None:
        row = self.db.execute("SELECT commit_id, config, rules_version, errors FROM repositories WHERE name = ? AND commit_id IS NOT NULL", (name,)).fetchone()
        if row is None:
            return None
        return Previous(row["commit_id"], row["config"] or "", row["rules_version"] or "", tuple(json.loads(row["errors"])))

    def record(self, run: int, source: Source, result: UnitResult) -> Recorded:
        """Record one source's result in one transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO repositories (name, location, link) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET location = excluded.location, link = excluded.link",
                (source.name, source.location, source.link),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run, source.name, result.status, result.commit or None, result.problem, json.dumps(result.errors), result.seconds, result.worker),
            )
            if result.status == "error":
                self.db.execute("UPDATE repositories SET status = 'error', problem = ?, checked_run = ? WHERE name = ?", (result.problem, run, source.name))
                return Recorded([], [])
            if result.status == "unchanged":
                self.db.execute("UPDATE repositories SET status = 'unchanged', problem = '', checked_run = ? WHERE name = ?", (run, source.name))
                self.db.execute("UPDATE exposures SET last_run = ? WHERE repository = ? AND fixed_run IS NULL", (run, source.name))
                return Recorded([], [])
            self.db.execute(
                "UPDATE repositories SET commit_id = ?, commit_time = ?, config = ?, rules_version = ?, scanned_run = ?, status = 'scanned', problem = '',"
                " errors = ?, notes = ?, history_end = ?, checked_run = ?, root = ? WHERE name = ?",
                (
                    result.commit, result.commit_time, result.config, result.rules_version, run,
                    json.dumps(result.errors), json.dumps(result.notes), result.history_end, run, result.root, source.name,
                ),
            )
            return self._exposures(run, source.name, result)

    def _exposures(self, run: int, name: str, result: UnitResult) -> Recorded:
        now_time = result.commit_time if result.commit_time is not None else self.run_started(run)
        open_rows = {r["fingerprint"]: r for r in self.db.execute("SELECT * FROM exposures WHERE repository = ? AND fixed_run IS NULL", (name,))}
        appeared: list[FindingRecord] = []
        seen = set()
        for f in result.findings:
            if f.fingerprint in seen:
                continue
            seen.add(f.fingerprint)
            facts = (f.rule_id, f.severity, f.verdict, f.title, f.message, f.file, f.line, f.resource, f.suppression)
            if f.fingerprint in open_rows:
                self.db.execute(
                    "UPDATE exposures SET rule_id = ?, severity = ?, verdict = ?, title = ?, message = ?, file = ?, line = ?, resource = ?, suppression = ?,"
                    " last_commit = ?, last_time = ?, last_run = ? WHERE repository = ? AND fingerprint = ?",
                    (*facts, result.commit, now_time, run, name, f.fingerprint),
                )
                continue
            first_commit, first_time, exact = first_seen(f.fingerprint, result.commit, now_time, result.history, result.history_end)
            self.db.execute(
                "INSERT OR REPLACE INTO exposures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                (name, f.fingerprint, *facts, first_commit, first_time, int(exact), run, result.commit, now_time, run),
            )
            appeared.append(f)
        fixed = []
        if not result.errors:  # a file that could not be checked fixes nothing
            for fingerprint in sorted(set(open_rows) - seen):
                commit, when = fixed_at(fingerprint, result.commit, now_time, result.history)
                self.db.execute(
                    "UPDATE exposures SET fixed_commit = ?, fixed_time = ?, fixed_run = ? WHERE repository = ? AND fingerprint = ?", (commit, when, run, name, fingerprint)
                )
                fixed.append(fingerprint)
        else:
            self.db.execute(
                f"UPDATE exposures SET last_run = ? WHERE repository = ? AND fixed_run IS NULL AND fingerprint NOT IN ({','.join('?' * len(seen))})", (run, name, *seen)
            )
        return Recorded(appeared, fixed)

    # reading

    def rows(self, sql: str, *args: Any) -> Iterator[sqlite3.Row]:
        yield from self.db.execute(sql, args)


def first_seen(fingerprint: str, commit: str, when: int, history: list[Step], end: str) -> tuple[str, int, bool]:
    """The oldest commit of the unbroken line of commits (newest first in ``history``)
    holding ``fingerprint``, and whether that is its start (the walk saw the commit before
    it without the finding, or reached the root, or the previous scan) or only "at least"."""
    first = (commit, when)
    for step in history:
        if fingerprint not in step.fingerprints:
            return first[0], first[1], True
        first = (step.commit, step.time)
    return first[0], first[1], end in ("root", "previous")


def fixed_at(fingerprint: str, commit: str, when: int, history: list[Step]) -> tuple[str, int]:
    """The commit that removed ``fingerprint``: the newest commit after the last one (in
    the walk since the previous scan) that still held it."""
    fixed = (commit, when)
    for step in history:
        if fingerprint in step.fingerprints:
            break
        fixed = (step.commit, step.time)
    return fixed


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
