"""Where units run: local worker processes, or an existing Dask cluster.

Both engines take the same units and yield each :class:`UnitResult` as it is ready, in
any order; the coordinator records each one as it arrives. A unit never raises (errors
are results), so the only failure an engine handles is a worker that dies.

Both pull units from the coordinator's plan only when they have room (a free local worker;
a cluster's threads each busy with one unit and one more queued), so planning streams
and only the units in flight are held.

- ``LocalEngine``: a process pool (``spawn``, so a worker starts clean). At most one unit
  per worker is in flight, so when a worker dies (the pool breaks) the units that were
  running are known: they are run again in a new pool, up to ``ATTEMPTS`` times each, then
  reported as errors. Units that were not running are never charged.
- ``DaskEngine`` (``--cluster ADDRESS``, ``seawall[fleet]``): each unit is one task. The
  scheduler reruns the tasks of a worker that dies on another worker; a task whose
  workers died ``distributed.scheduler.allowed-failures`` times (3 by default) fails with
  ``KilledWorker``, reported as that repository's error. The workers import seawall
  themselves: they must run the same seawall version, and see the local paths listed in
  SOURCES (a shared file system) or clone the URLs (``--allow-network``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from linter.fleet.unit import Unit, UnitResult, scan_unit

ATTEMPTS = 3
WINDOW = 8  # units submitted to a cluster ahead of their results, at least


class EngineError(Exception):
    """The engine cannot run at all (no cluster at that address...)."""


class Engine(Protocol):
    name: str

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]: ...


class LocalEngine:
    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.name = f"local ({self.workers} worker process{'es' if self.workers != 1 else ''})"

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        fresh = iter(units)  # pulled one at a time, when a worker is free (planning streams)
        again: list[tuple[int, Unit]] = []  # units whose worker died, to run again first
        attempts: dict[int, int] = {}  # by the unit's number, for the units that were retried
        count = 0
        context = multiprocessing.get_context("spawn")

        def take() -> tuple[int, Unit] | None:
            nonlocal count
            if again:
                return again.pop()
            unit = next(fresh, None)
            if unit is None:
                return None
            count += 1
            return count, unit

        nxt = take()
        while nxt is not None:
            pool = ProcessPoolExecutor(self.workers, mp_context=context)
            running: dict[Future[UnitResult], tuple[int, Unit]] = {}
            broken = False
            try:
                while (nxt is not None or running) and not broken:
                    while nxt is not None and len(running) < self.workers:
                        try:
                            running[pool.submit(scan_unit, nxt[1])] = nxt
                        except BrokenProcessPool:  # a worker died since the last results: the running units say which
                            broken = True
                            break
                        nxt = take() if len(running) < self.workers else None
                    wait(running, return_when=FIRST_COMPLETED)
                    for future in [f for f in running if f.done()]:
                        index, unit = running.pop(future)
                        problem = future.exception()
                        if problem is None:
                            yield future.result()
                            continue
                        if not isinstance(problem, BrokenProcessPool):  # the result could not come back
                            yield UnitResult(unit.source.name, "error", problem=f"the worker could not return it: {type(problem).__name__}: {problem}")
                            continue
                        # the pool broke: a worker died (killed, out of memory) while this ran
                        broken = True
                        attempts[index] = attempts.get(index, 0) + 1
                        if attempts[index] < ATTEMPTS:
                            again.append((index, unit))
                        else:
                            yield UnitResult(unit.source.name, "error", problem=f"the worker process scanning it died {ATTEMPTS} times")
                    if nxt is None and not broken:
                        nxt = take()
            finally:
                pool.shutdown(wait=not broken, cancel_futures=True)
            if broken:
                again.extend(running.values())  # not finished: started again, uncharged
                if nxt is not None:
                    again.append(nxt)
                again.sort(reverse=True)  # pop() takes them in order
                nxt = take()


class DaskEngine:
    def __init__(self, address: str, timeout: float = 30.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise EngineError("--cluster needs Dask: pip install 'seawall[fleet]'") from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"no Dask scheduler answered at {address}: {exc}") from None
        self.name = f"Dask cluster at {address}"

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        from distributed import as_completed

        fresh = iter(units)
        window = max(WINDOW, 2 * sum(self.client.nthreads().values()))  # every thread busy, one more queued each
        in_flight: dict[Any, Unit] = {}
        done = as_completed(loop=self.client.loop)  # this client, not a default one
        count = 0

        def submit() -> None:
            nonlocal count
            while len(in_flight) < window:
                unit = next(fresh, None)
                if unit is None:
                    return
                count += 1
                future = self.client.submit(scan_unit, unit, pure=False, key=f"seawall-unit-{count}-{unit.source.name}")
                in_flight[future] = unit
                done.add(future)

        submit()
        for future in done:
            unit = in_flight.pop(future)
            try:
                yield future.result()
            except Exception as exc:  # KilledWorker, a worker that cannot import seawall...
                yield UnitResult(unit.source.name, "error", problem=f"the cluster could not run it: {type(exc).__name__}: {exc}")
            finally:
                future.release()
            submit()

    def close(self) -> None:
        self.client.close()
