"""An on-disk cache of units' results and validated rule files, keyed by content; parses
are kept in memory only (the language server's open modules, editor buffers).

Location: ``$SEAWALL_CACHE_DIR``, else ``$XDG_CACHE_HOME/seawall``, else
``~/.cache/seawall``. Everything lives in one SQLite file (the standard library's
``sqlite3``, write-ahead log) under a directory named for the cache format and the
versions of seawall, Python and the parsers, so an upgrade never reads stale entries; the
whole directory is safe to delete at any time. ``--no-cache`` turns it off.

SQLite's transactions mean concurrent scans and worker processes never see a
half-written entry; an entry that cannot be read is treated as missing, and a file that is
not a database is replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sqlite3
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

FORMAT = 3
MEMORY_ENTRIES = 64


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    """The name of the versioned cache directory: the cache format, Python, seawall, and the
    installed parsers (identified by where they are and when they were installed, which is
    cheaper than reading their package metadata on every start)."""
    import importlib.util

    from linter import __version__

    stamp = hashlib.sha256()
    for module in ("hcl2", "yaml", "lark", "tree_sitter", "tree_sitter_hcl"):
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            mtime = os.stat(origin).st_mtime_ns if origin else 0
        except OSError:
            mtime = 0
        stamp.update(f"{module}:{origin}:{mtime};".encode())
    # seawall's own code: a checkout's edits (no version bump) must not read stale parses
    package = os.path.dirname(os.path.abspath(__file__))
    for folder, _dirs, names in sorted(os.walk(package)):
        for name in sorted(names):
            if name.endswith(".py"):
                try:
                    stamp.update(f"{name}:{os.stat(os.path.join(folder, name)).st_mtime_ns};".encode())
                except OSError:
                    continue
    return f"f{FORMAT}-py{sys.version_info.major}.{sys.version_info.minor}-seawall-{__version__}-{stamp.hexdigest()[:12]}"


def base_dir() -> Path:
    explicit = os.environ.get("SEAWALL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "seawall" if xdg else Path.home() / ".cache" / "seawall"


class Cache:
    """Content-keyed entries in one SQLite file. A disabled cache (``enabled=False``) stores
    nothing.

    ``keep`` > 0 (the language server) also keeps up to that many parses of files on disk in
    memory, most recently used first: a change to one buffer then re-parses that buffer only
    and reads nothing back from disk for the rest of its module."""

    def __init__(self, enabled: bool = True, root: Path | None = None, keep: int = 0) -> None:
        self.enabled = enabled
        self.root = (root or base_dir()) / _versions()
        self.keep = keep
        self.hits = 0
        self.misses = 0
        self.reads = 0  # entries read back from disk
        self.memory: OrderedDict[str, Any] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._broken = False

    @property
    def file(self) -> Path:
        """The one file every entry is packed into."""
        return self.root / "cache.sqlite"

    @staticmethod
    def key(kind: str, path: str, text: str) -> str:
        # the path is part of the key: cached values carry spans that name their file
        digest = hashlib.sha256()
        for part in (kind, path, text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        """The connection of this process (a forked worker opens its own); None when the
        cache is off or cannot be opened. A file that is not a database is replaced."""
        if not self.enabled or self._broken:
            return None
        if self._db is not None and self._pid == os.getpid():
            return self._db
        for attempt in (1, 2):
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.file, timeout=10, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")  # a cache: losing the last writes to a crash only costs time
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            except sqlite3.DatabaseError:
                if attempt == 1:
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            os.unlink(f"{self.file}{suffix}")
                    continue
                self._broken = True
                return None
            except (sqlite3.Error, OSError):
                self._broken = True
                return None
            self._db, self._pid = db, os.getpid()
            return db
        return None

    def _load(self, key: str) -> Any | None:
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            return pickle.loads(row[0]) if row is not None else None
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError, IndexError):
            return None

    def _store(self, key: str, value: Any) -> None:
        db = self._connect()
        if db is None:
            return
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, data))
        except (sqlite3.Error, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            pass  # a cache that cannot be written only costs time

    def get(self, kind: str, path: str, text: str, memory_only: bool = False) -> Any | None:
        """A parse kept in memory, or None. Parses are never written to disk: parsing a
        file again (tree-sitter, libyaml) costs about what reading and unpickling it back
        does, and writing every parse of a cold scan cost a sixth of its CPU; the disk
        holds units' results, which make a warm re-scan parse nothing. ``memory_only``
        entries (editor buffers) and, with ``keep`` (the language server), the parses of
        files on disk are kept in a small most-recently-used table."""
        if not (memory_only or self.keep):
            return None
        key = self.key(kind, path, text)
        value = self.memory.get(key)
        if value is None:
            self.misses += 1
            return None
        self.memory.move_to_end(key)
        self.hits += 1
        return value

    def _remember(self, key: str, value: Any) -> None:
        self.memory[key] = value
        self.memory.move_to_end(key)
        while len(self.memory) > max(MEMORY_ENTRIES, self.keep):
            self.memory.popitem(last=False)

    def put(self, kind: str, path: str, text: str, value: Any, memory_only: bool = False) -> None:
        if memory_only or self.keep:
            self._remember(self.key(kind, path, text), value)

    def get_blob(self, name: str) -> Any | None:
        """A single named entry (the validated rule files)."""
        return self._load(f"blob:{name}") if self.enabled else None

    def put_blob(self, name: str, value: Any) -> None:
        if self.enabled:
            self._store(f"blob:{name}", value)

    def get_unit(self, key: str) -> Any | None:
        """A unit's stored result (``linter/units.py`` checks that what it read is unchanged)."""
        value = self._load(f"unit:{key}") if self.enabled else None
        if value is not None:
            self.hits += 1
            self.reads += 1
        else:
            self.misses += 1
        return value

    def put_unit(self, key: str, value: Any) -> None:
        if self.enabled:
            self._store(f"unit:{key}", value)


_current = Cache(enabled=False)


def current() -> Cache:
    """The cache of the scan in progress (set by the engine)."""
    return _current


def use(cache: Cache) -> None:
    global _current
    _current = cache
