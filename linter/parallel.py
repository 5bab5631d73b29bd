"""Evaluating a scan's units in worker processes when there are many files.

Parsing is most of a scan's cost, and units (``linter/units.py``) are independent: each is
parsed, its graph built and its rules run wherever it lands, and only its
:class:`~linter.units.UnitResult` (findings, errors, notes, directives) comes back to the
scan, never a parse. The scan takes the results in its own order, so output is
byte-identical for any number of workers. Small scans (a pre-commit hook, an editor) never
start a pool: starting one costs more than it saves. Workers are forked (they inherit the
loaded rules and the plan); where fork does not exist the scan evaluates its units itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.units import Context, Part, UnitResult

MIN_FILES = 40  # below this, evaluate in the scan's own process
PHASE = "parsing files and evaluating rules"  # what the progress bar shows, one step per unit

# the job of a forked pool: set before the pool starts, inherited by its workers
_job: tuple[list[tuple[Part, ...]], Context] | None = None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _files(unit: tuple[Part, ...]) -> int:
    return sum(len(p.paths) + len(p.charts) + len(p.kustomizations) for p in unit)


def run_units(units: list[tuple[Part, ...]], ctx: Context) -> Iterator[UnitResult]:
    """Each unit's result, in the order of ``units``: from the cache when the unit is
    unchanged (``ctx.digest`` set), else evaluated here or in worker processes."""
    from linter.progress import current as progress
    from linter.units import cached_result, store_result

    progress().phase(PHASE, len(units))
    done: dict[int, UnitResult] = {}
    if ctx.digest:
        for i, unit in enumerate(units):
            hit = cached_result(unit, ctx)
            if hit is not None:
                done[i] = hit
                progress().advance()
    todo = [i for i in range(len(units)) if i not in done]
    for i, result in _evaluate([units[i] for i in todo], ctx):
        if ctx.digest:
            store_result(units[todo[i]], ctx, result)
        done[todo[i]] = result
    for i in range(len(units)):
        yield done.pop(i)


def _evaluate(units: list[tuple[Part, ...]], ctx: Context) -> Iterator[tuple[int, UnitResult]]:
    """(index, result) of every unit, in any order."""
    from linter.progress import Progress, use
    from linter.progress import current as progress

    bar = progress()
    workers = ctx.config.workers or default_workers()
    if workers > 1 and len(units) > 1 and sum(_files(u) for u in units) >= MIN_FILES:
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            yield from _in_pool(units, ctx, min(workers, len(units)), bar)
            return
    from linter.units import evaluate_unit

    for i, unit in enumerate(units):
        use(Progress())  # the bar counts units; the parsers' own counting would double it
        try:
            result = evaluate_unit(unit, ctx)
        finally:
            use(bar)
        collect_unit()
        bar.advance()
        yield i, result


def collect_unit() -> None:
    """Free what a unit left in reference cycles. The scan runs with the automatic
    collector off (``engine.run``), so cycles would otherwise live to the end; everything
    the unit made is still in the youngest generation, so collecting that one generation
    looks at the unit's objects only, never at the rest of the heap."""
    import gc

    gc.collect(0)


def _init_worker() -> None:
    from linter.progress import Progress, use

    use(Progress())  # a forked worker never draws: the parent owns the terminal


def _work(index: int) -> tuple[int, UnitResult]:
    from linter.units import evaluate_unit

    assert _job is not None
    units, ctx = _job
    result = evaluate_unit(units[index], ctx)
    collect_unit()
    return index, result


def _before_fork(ctx: Context) -> None:
    """Do once here what every worker would otherwise do for itself, then fork: import the
    checks and the parsers, compile the rules' deferred conditions, and freeze the result so
    no collection touches (and copies) the pages the workers share."""
    import gc
    import importlib

    from linter import checks

    checks.registry()
    for rule in [*ctx.rules, *ctx.rules.deciding]:
        rule.prepare()
    for module in PARSERS:
        importlib.import_module(module)
    gc.freeze()


# the readers a corpus-sized scan needs (imported lazily by a small one)
PARSERS = (
    "linter.parsers.terraform",
    "linter.parsers.cloudformation",
    "linter.parsers.kubernetes",
    "linter.parsers.kubernetes.helm",
    "linter.parsers.kubernetes.kustomize",
)


def _in_pool(units: list[tuple[Part, ...]], ctx: Context, workers: int, bar: object) -> Iterator[tuple[int, UnitResult]]:
    import multiprocessing

    global _job
    # largest units first, so the workers finish together
    order = sorted(range(len(units)), key=lambda i: -sum(p.size() for p in units[i]))
    _job = (units, ctx)
    _before_fork(ctx)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
            for index, result in pool.imap_unordered(_work, order):
                bar.advance()  # type: ignore[attr-defined]
                yield index, result
    finally:
        _job = None
        import gc

        gc.unfreeze()  # a long-lived caller (tests, a library user) collects it again
