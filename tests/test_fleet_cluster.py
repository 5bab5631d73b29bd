"""``seawall fleet scan --cluster``: the same units on a real Dask cluster (a scheduler and
two worker processes on loopback), the same results as local worker processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fleetgen import generated_fleet, problem_units

from linter.cli import main
from linter.fleet.engines import DaskEngine, EngineError
from linter.fleet.history import History
from linter.fleet.scan import scan_fleet

distributed = pytest.importorskip("distributed")

FLEET_SIZE = 12


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=40, worker_dashboard_address=None
    ) as local:
        yield local


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_fleet(tmp_path_factory.mktemp("fleet"), FLEET_SIZE)


def recorded(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What a history says, without run numbers: repositories and exposures."""
    con = sqlite3.connect(db)
    try:
        repos = con.execute("SELECT name, commit_id, commit_time, config, rules_version, status, problem, errors FROM repositories ORDER BY name").fetchall()
        found = con.execute(
            "SELECT repository, fingerprint, rule_id, severity, verdict, file, line, resource, first_commit, first_time, first_exact, last_commit, fixed_commit"
            " FROM exposures ORDER BY repository, fingerprint"
        ).fetchall()
        return repos, found
    finally:
        con.close()


def test_the_cluster_finds_what_local_workers_find(cluster: object, fleet: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    local, remote = tmp_path / "local.db", tmp_path / "cluster.db"
    done = runner.invoke(main, ["fleet", "scan", str(fleet), "--history", str(local), "--workers", "2"])
    assert done.exit_code == 1, done.output
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    done = runner.invoke(main, ["fleet", "scan", str(fleet), "--history", str(remote), "--cluster", address])
    assert done.exit_code == 1, done.output
    assert f"on Dask cluster at {address}: {FLEET_SIZE} repositories, {FLEET_SIZE} scanned" in done.output
    assert recorded(local) == recorded(remote)
    repos, found = recorded(remote)
    assert len(repos) == FLEET_SIZE and len(found) == 5  # databases of repo 0, 3, 6, 9; repo005's bucket
    again = runner.invoke(main, ["fleet", "scan", str(fleet), "--history", str(remote), "--cluster", address])
    assert again.exit_code == 0 and f"0 scanned, {FLEET_SIZE} unchanged" in again.output


def test_a_worker_killed_mid_scan_loses_no_repository(cluster: object, fleet: Path, tmp_path: Path) -> None:
    client = distributed.Client(cluster.scheduler_address)  # type: ignore[attr-defined]
    try:
        pids = client.run(os.getpid)
    finally:
        client.close()
    victim = next(iter(pids.values()))
    killed = threading.Event()

    def kill_on_first(source: object, result: object) -> None:
        if not killed.is_set():
            killed.set()
            os.kill(victim, signal.SIGKILL)  # the other units are queued or running

    engine = DaskEngine(cluster.scheduler_address)  # type: ignore[attr-defined]
    history = History(str(tmp_path / "h.db"))
    try:
        run = scan_fleet(str(fleet), history, engine, progress=kill_on_first)
    finally:
        engine.close()
        history.close()
    assert killed.is_set()
    assert {r.status for r in run.results.values()} == {"scanned"}, {n: r.problem for n, r in run.results.items()}
    assert len(run.results) == FLEET_SIZE
    assert recorded(tmp_path / "h.db")[1] == recorded_local(fleet, tmp_path)


def recorded_local(fleet: Path, tmp_path: Path) -> list[tuple[object, ...]]:
    db = tmp_path / "local.db"
    CliRunner().invoke(main, ["fleet", "scan", str(fleet), "--history", str(db), "--workers", "1"])
    return recorded(db)[1]


def test_the_cluster_is_fed_units_as_it_has_room(cluster: object) -> None:
    """Planning streams to a cluster too: a window of units is submitted ahead of their
    results (2 workers x 1 thread: the minimum window, 8), never the whole plan."""
    from linter.fleet.engines import WINDOW

    engine = DaskEngine(cluster.scheduler_address)  # type: ignore[attr-defined]
    pulled: list[int] = []
    ahead = []
    try:
        for results, result in enumerate(engine.run(problem_units(40, pulled))):
            assert result.problem == "no such repository"
            ahead.append(len(pulled) - results)
    finally:
        engine.close()
    assert len(ahead) == 40 and len(pulled) == 40
    assert ahead[0] <= WINDOW and max(ahead) <= WINDOW


def test_no_scheduler_is_a_clear_error() -> None:
    with pytest.raises(EngineError, match="no Dask scheduler answered at tcp://127.0.0.1:9"):
        DaskEngine("tcp://127.0.0.1:9", timeout=2)
