"""Parsing in worker processes when there are many files.

Parsing is most of a scan's cost, and files parse independently. Before the parsers run,
the files whose parse is not cached yet are split among worker processes; each parses its
share with the same functions the scan uses and puts the results in the cache (on disk when
it is enabled, else sent back into the scan's in-memory table). The scan itself then finds
every parse in the cache, in its own deterministic order, so results are byte-identical
whatever the number of workers. Small scans (a pre-commit hook, an editor) never start a
pool: starting one costs more than it saves.
"""

from __future__ import annotations

import os
from typing import Any

from linter.cache import Cache, current

MIN_FILES = 40  # below this, parse in the scan's own process


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _parse_one(kind: str, path: str, max_bytes: int) -> tuple[str, str, str, Any] | None:
    """Parse one file into the worker's cache; return what the parent must store itself."""
    from linter.sources import SourceError, read_source

    try:
        text = read_source(path, max_bytes)
    except SourceError:
        return None  # the scan reports it when it reads the file
    cache = current()
    if kind == "hcl":
        from linter.parsers.terraform.config import parse_text

        parse_text(text, path)
    elif kind == "cfn":
        from linter.parsers.cloudformation import TemplateError, decode_template

        try:
            decode_template(text, path, [])
        except TemplateError:
            pass
    elif kind == "k8s":
        from linter.parsers.base import ParseOutput
        from linter.parsers.kubernetes import _documents

        _documents(text, path, ParseOutput())
    if cache.enabled:
        return None  # it is on disk, where the scan will find it
    key = Cache.key(kind, path, text)
    return (kind, path, key, cache.prewarmed.get(key))


def _init_worker(cache_enabled: bool) -> None:
    from linter.cache import use
    from linter.progress import Progress
    from linter.progress import use as use_progress

    use_progress(Progress())  # a forked worker never draws: the parent owns the terminal
    cache = Cache(enabled=cache_enabled)
    cache.keep_when_disabled = True
    use(cache)


def _work(batch: list[tuple[str, str, int]]) -> tuple[int, list[tuple[str, str, str, Any]]]:
    out = []
    for kind, path, max_bytes in batch:
        try:
            result = _parse_one(kind, path, max_bytes)
        except Exception:
            result = None
        if result is not None and result[3] is not None:
            out.append(result)
    return len(batch), out


def prewarm(files: list[tuple[str, str]], max_bytes: int, workers: int) -> int:
    """Parse ``files`` ((kind, path) with kind hcl, cfn or k8s) in worker processes.

    Returns how many workers were used (0 when the scan parses everything itself)."""
    workers = workers or default_workers()
    cache = current()
    todo = []
    for kind, path in files:
        if cache.enabled and _cached(cache, kind, path, max_bytes):
            continue
        todo.append((kind, path, max_bytes))
    if workers < 2 or len(todo) < MIN_FILES:
        return 0
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    # largest files first, dealt round-robin, so the workers finish together
    todo.sort(key=lambda item: -_size(item[1]))
    # enough batches for a progress bar that moves; each still holds ~10 files or more
    batches: list[list[tuple[str, str, int]]] = [[] for _ in range(max(workers * 4, min(len(todo) // 10, 200)))]
    for i, item in enumerate(todo):
        batches[i % len(batches)].append(item)
    from linter.progress import current as progress

    bar = progress()
    bar.phase("parsing files", len(todo))
    with context.Pool(workers, initializer=_init_worker, initargs=(cache.enabled,)) as pool:
        for done, results in pool.imap_unordered(_work, [b for b in batches if b]):
            for _kind, _path, key, value in results:
                cache.prewarmed[key] = value
            bar.advance(done)
    return workers


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _cached(cache: Cache, kind: str, path: str, max_bytes: int) -> bool:
    from linter.sources import SourceError, read_source

    try:
        text = read_source(path, max_bytes)
    except SourceError:
        return True
    return cache.has(kind, path, text)
