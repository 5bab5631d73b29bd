"""An on-disk cache of parse results and validated rule files, keyed by content.

Location: ``$SEAWALL_CACHE_DIR``, else ``$XDG_CACHE_HOME/seawall``, else
``~/.cache/seawall``. Everything lives under a directory named for the cache format and
the versions of seawall, Python and the parsers, so an upgrade never reads stale entries;
the whole directory is safe to delete at any time. ``--no-cache`` turns it off.

Entries are written atomically (a temporary file renamed into place), so concurrent
scans and worker processes never see a half-written entry; an entry that cannot be read
is treated as missing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

FORMAT = 2
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
    """Content-keyed pickles. A disabled cache (``enabled=False``) stores nothing.

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
        self.prewarmed: dict[str, Any] = {}
        self.keep_when_disabled = False

    @staticmethod
    def key(kind: str, path: str, text: str) -> str:
        # the path is part of the key: cached values carry spans that name their file
        digest = hashlib.sha256()
        for part in (kind, path, text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _file(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.pickle"

    def get(self, kind: str, path: str, text: str, memory_only: bool = False) -> Any | None:
        """The cached value, or None. ``memory_only`` entries (editor buffers, which change
        on every keystroke) live in a small in-memory table and never on disk; parses made
        by worker processes for this scan wait in ``prewarmed``."""
        key = self.key(kind, path, text)
        if memory_only or self.keep:
            value = self.memory.get(key)
            if value is not None:
                self.memory.move_to_end(key)
                self.hits += 1
            if memory_only or value is not None:
                return value
        value = self.prewarmed.pop(key, None)
        if value is not None:
            self.hits += 1
            return value
        if not self.enabled:
            return None
        target = self._file(kind, key)
        try:
            with open(target, "rb") as fh:
                value = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        self.reads += 1
        if self.keep:
            self._remember(key, value)
        return value

    def _remember(self, key: str, value: Any) -> None:
        self.memory[key] = value
        self.memory.move_to_end(key)
        while len(self.memory) > max(MEMORY_ENTRIES, self.keep):
            self.memory.popitem(last=False)

    def put(self, kind: str, path: str, text: str, value: Any, memory_only: bool = False) -> None:
        key = self.key(kind, path, text)
        if memory_only or self.keep:
            self._remember(key, value)
        if memory_only:
            return
        if not self.enabled:
            if self.keep_when_disabled:
                self.prewarmed[key] = value  # a worker process sends it back to the scan
            return
        target = self._file(kind, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            pass  # a cache that cannot be written only costs time

    def has(self, kind: str, path: str, text: str) -> bool:
        key = self.key(kind, path, text)
        return key in self.prewarmed or (self.enabled and self._file(kind, key).exists())

    def get_blob(self, name: str) -> Any | None:
        """A single named entry (the validated rule files)."""
        if not self.enabled:
            return None
        try:
            with open(self.root / f"{name}.pickle", "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            return None

    def put_blob(self, name: str, value: Any) -> None:
        if not self.enabled:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.root / f"{name}.pickle")
        except (OSError, pickle.PicklingError):
            pass


_current = Cache(enabled=False)


def current() -> Cache:
    """The cache of the scan in progress (set by the engine)."""
    return _current


def use(cache: Cache) -> None:
    global _current
    _current = cache
