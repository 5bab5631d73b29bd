"""``seawall fleet scan --cluster``: the same units on a real Dask cluster (a scheduler and
two worker processes on loopback), the same results as local worker processes; and the
issue's acceptance test: a generated fleet of 200 repositories with history."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_database
from fleetgen import DB_PRIVATE, DB_PUBLIC, commit, epoch, generated_fleet, problem_units

from linter.cli import main
from linter.fleet.engines import DaskEngine, EngineError
from linter.fleet.history import History
from linter.fleet.report import build, markdown
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


def recorded(db: Path | str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What a history (a SQLite file or a PostgreSQL URL) says, without run numbers:
    repositories and exposures."""
    history = History(str(db))
    try:
        repos = [
            tuple(r[k] for k in r.keys())
            for r in history.rows("SELECT name, commit_id, commit_time, config, rules_version, status, problem, errors FROM repositories ORDER BY name")
        ]
        found = [
            tuple(r[k] for k in r.keys())
            for r in history.rows(
                "SELECT repository, fingerprint, rule_id, severity, verdict, suppression, file, line, resource, first_commit, first_time, first_exact,"
                " last_commit, last_time, fixed_commit, fixed_time FROM exposures ORDER BY repository, fingerprint"
            )
        ]
        return repos, found
    finally:
        history.close()


ACCEPTANCE_SIZE = 200
NOW = epoch("2025-01-01")


def test_a_fleet_of_200_repositories_locally_and_on_the_cluster(cluster: object, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Issue 20's acceptance test. 200 small repositories with git history (tests/fleetgen.py:
    a private database made public on 2024-02-01 in every third one, a public bucket added on
    2024-03-01 in every fifth and removed on 2024-04-01 in the even ones among them), scanned
    by local workers into a SQLite file and on the cluster into PostgreSQL (a SQLite file
    without the server package): the same histories, the report's ages, then commits that
    open and fix exposures dated to their commits, then a run that scans nothing."""
    try:
        remote: Path | str = new_database(request.getfixturevalue("postgres"))
    except pytest.skip.Exception:
        remote = tmp_path / "cluster.db"
    sources = generated_fleet(tmp_path / "fleet", ACCEPTANCE_SIZE)
    local = tmp_path / "local.db"
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    runner = CliRunner()

    def both(scanned: int, code: int) -> None:
        for history, engine in ((local, ["--workers", "2"]), (remote, ["--cluster", address])):
            done = runner.invoke(main, ["fleet", "scan", str(sources), "--history", str(history), "-q", *engine])
            assert done.exit_code == code, done.output
            assert f"{ACCEPTANCE_SIZE} repositories, {scanned} scanned, {ACCEPTANCE_SIZE - scanned} unchanged, 0 not (fully) scanned" in done.output, done.output
        assert recorded(local) == recorded(remote)

    both(ACCEPTANCE_SIZE, 1)
    databases = {f"repo{i:03d}" for i in range(ACCEPTANCE_SIZE) if i % 3 == 0}
    buckets = {f"repo{i:03d}" for i in range(ACCEPTANCE_SIZE) if i % 5 == 0 and i % 2 == 1}  # the others were removed again
    history = History(str(remote))
    try:
        report = build(history, now=NOW)
    finally:
        history.close()
    assert len(report.public) == len(databases) + len(buckets) == 87
    assert {(e.repository, e.rule_id) for e in report.public} == {(r, "aws-rds-publicly-accessible") for r in databases} | {(r, "aws-s3-bucket-public-acl") for r in buckets}
    ages: dict[str, set[str]] = {}
    for e in report.public:
        ages.setdefault(e.rule_id, set()).add(e.age)
    assert ages == {"aws-rds-publicly-accessible": {"public for 335 days"}, "aws-s3-bucket-public-acl": {"public for 306 days"}}  # since 2024-02-01, 2024-03-01
    assert len(report.appeared) == 87 and not report.fixed
    text = markdown(report)
    assert "public for 335 days" in text and "2024-03-01 (" in text

    # a day of changes: repo000 fixes its database, repo001 opens one, repo005 drops its bucket
    fleet = sources.parent
    fixed_db = commit(fleet / "repo000", "2024-05-01", {"main.tf": DB_PRIVATE.format(name="db")})
    opened = commit(fleet / "repo001", "2024-05-02", {"main.tf": DB_PUBLIC.format(name="db")})
    dropped = commit(fleet / "repo005", "2024-05-03", {"bucket.tf": None})
    commit(fleet / "repo005", "2024-05-04", {"README.md": "docs\n"})
    both(3, 1)
    history = History(str(remote))
    try:
        report = build(history, now=NOW)
    finally:
        history.close()
    assert [(e.repository, e.rule_id, e.first_commit, e.age) for e in report.appeared] == [("repo001", "aws-rds-publicly-accessible", opened, "public for 244 days")]
    assert sorted((e.repository, e.rule_id, e.fixed_commit, e.fixed_time) for e in report.fixed) == [
        ("repo000", "aws-rds-publicly-accessible", fixed_db, epoch("2024-05-01")),
        ("repo005", "aws-s3-bucket-public-acl", dropped, epoch("2024-05-03")),
    ]
    assert len(report.public) == 86

    both(0, 0)  # nothing changed: nothing scanned, on either engine


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
