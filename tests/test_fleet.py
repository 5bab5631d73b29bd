"""Fleet scans (issue 20): a generated fleet of real git repositories, scanned, remembered,
reported."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fleetgen import BUCKET_PUBLIC, DB_PRIVATE, DB_PUBLIC, commit, epoch, generated_fleet, git, problem_units

from linter.cli import main
from linter.fleet.history import History
from linter.fleet.report import FleetReport, build, html_page, markdown
from linter.fleet.scan import FleetRun, scan_fleet
from linter.fleet.unit import Unit, UnitResult, scan_unit

NOW = epoch("2025-01-01")


class InProcess:
    """The engine protocol, in this process (the local and Dask engines are tested apart)."""

    name = "in-process"

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.ran: list[str] = []

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        for unit in units:
            if self.stop_after is not None and len(self.ran) == self.stop_after:
                raise KeyboardInterrupt
            self.ran.append(unit.source.name)
            yield scan_unit(unit)


def scan(sources: Path, db: Path | str, engine: InProcess | None = None, **kwargs: object) -> FleetRun:
    history = History(str(db))
    try:
        return scan_fleet(str(sources), history, engine or InProcess(), **kwargs)  # type: ignore[arg-type]
    finally:
        history.close()


def rows(db: Path | str, sql: str) -> list[dict[str, Any]]:
    """What a query reads from a history (a SQLite file or a PostgreSQL URL)."""
    history = History(str(db))
    try:
        return [dict(r) for r in history.rows(sql)]
    finally:
        history.close()


def exposures(db: Path | str) -> dict[tuple[str, str], dict[str, Any]]:
    """(repository, rule id) -> the exposure row."""
    return {(r["repository"], r["rule_id"]): r for r in rows(db, "SELECT * FROM exposures")}


def report_of(db: Path | str) -> FleetReport:
    history = History(str(db))
    try:
        return build(history, now=NOW)
    finally:
        history.close()


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Three repositories with history: ``a`` a public database since 2024-01-10 and a
    public bucket since 2024-02-10; ``b`` an exposure added and removed before any scan;
    ``c`` clean."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    commit(a, "2024-01-01", {"main.tf": DB_PRIVATE.format(name="db")})
    commit(a, "2024-01-10", {"main.tf": DB_PUBLIC.format(name="db")})
    commit(a, "2024-02-10", {"bucket.tf": BUCKET_PUBLIC.format(name="logs")})
    commit(a, "2024-03-01", {"README.md": "docs\n"})
    commit(b, "2024-01-01", {"main.tf": DB_PUBLIC.format(name="db")})
    commit(b, "2024-01-05", {"main.tf": DB_PRIVATE.format(name="db")})
    commit(c, "2024-01-01", {"main.tf": DB_PRIVATE.format(name="db")})
    sources = tmp_path / "sources.txt"
    sources.write_text("a\nb name=team-b\n# a comment\nc\n")
    return sources


def test_first_scan_dates_each_exposure_from_git_history(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    run = scan(fleet, db)
    assert {n: r.status for n, r in run.results.items()} == {"a": "scanned", "team-b": "scanned", "c": "scanned"}
    found = exposures(db)
    assert set(found) == {("a", "aws-rds-publicly-accessible"), ("a", "aws-s3-bucket-public-acl")}
    database, bucket = found["a", "aws-rds-publicly-accessible"], found["a", "aws-s3-bucket-public-acl"]
    a = fleet.parent / "a"
    assert (database["first_time"], database["first_exact"]) == (epoch("2024-01-10"), 1)
    assert database["first_commit"] == git(a, "rev-parse", "HEAD~2")
    assert (bucket["first_time"], bucket["first_exact"]) == (epoch("2024-02-10"), 1)
    assert (database["file"], database["line"], database["verdict"]) == ("main.tf", 4, "exposed")
    assert bucket["fixed_run"] is None
    # b's exposure was fixed before the first scan: never public as far as the fleet knows
    assert sorted(n for n, _ in run.new_exposed) == ["a", "a"]
    report = markdown(report_of(db))
    assert "public for 357 days" in report  # 2024-01-10 -> 2025-01-01
    assert "public for 326 days" in report
    assert "2024-01-10 (" + database["first_commit"][:12] + ")" in report


def test_second_run_scans_nothing_then_dates_changes_to_their_commits(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    scan(fleet, db)
    again = InProcess()
    run = scan(fleet, db, again)
    assert again.ran == [] and {r.status for r in run.results.values()} == {"unchanged"}
    assert not run.appeared and not run.fixed and not run.new_exposed

    a, c = fleet.parent / "a", fleet.parent / "c"
    fixing = commit(a, "2024-05-01", {"main.tf": DB_PRIVATE.format(name="db")})
    commit(a, "2024-05-02", {"README.md": "more docs\n"})
    opening = commit(c, "2024-06-01", {"main.tf": DB_PUBLIC.format(name="db")})
    commit(c, "2024-06-02", {"README.md": "docs\n"})
    third = InProcess()
    run = scan(fleet, db, third)
    assert sorted(third.ran) == ["a", "c"]  # b did not change
    found = exposures(db)
    database = found["a", "aws-rds-publicly-accessible"]
    assert (database["fixed_commit"], database["fixed_time"], database["fixed_run"]) == (fixing, epoch("2024-05-01"), run.run)
    opened = found["c", "aws-rds-publicly-accessible"]
    assert (opened["first_commit"], opened["first_time"], opened["first_exact"], opened["first_run"]) == (opening, epoch("2024-06-01"), 1, run.run)
    assert found["a", "aws-s3-bucket-public-acl"]["fixed_run"] is None
    assert [n for n, _ in run.new_exposed] == ["c"]

    report = report_of(db)
    assert [(e.repository, e.rule_id) for e in report.appeared] == [("c", "aws-rds-publicly-accessible")]
    assert [(e.repository, e.rule_id) for e in report.fixed] == [("a", "aws-rds-publicly-accessible")]
    assert sorted((e.repository, e.rule_id) for e in report.public) == [("a", "aws-s3-bucket-public-acl"), ("c", "aws-rds-publicly-accessible")]
    assert [e.repository for e in report.public if e.days == (NOW - epoch("2024-06-01")) // 86400] == ["c"]


def test_a_walk_stopped_by_its_depth_gives_an_at_least_date(tmp_path: Path, history_at: str) -> None:
    db = history_at
    repo = tmp_path / "old"
    commit(repo, "2023-01-01", {"main.tf": DB_PUBLIC.format(name="db")})
    for day in ("2023-02-01", "2023-03-01", "2023-04-01"):
        commit(repo, day, {"notes.txt": day})
    sources = tmp_path / "sources.txt"
    sources.write_text("old\n")
    scan(sources, db, history_depth=2)
    row = exposures(db)["old", "aws-rds-publicly-accessible"]
    assert (row["first_time"], row["first_exact"]) == (epoch("2023-02-01"), 0)
    report = report_of(db)
    assert report.public[0].age == f"public for at least {(NOW - epoch('2023-02-01')) // 86400} days"
    assert "2023-02-01 or earlier" in markdown(report)


def test_bad_repositories_are_reported_and_the_rest_is_scanned(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    broken = tmp_path / "broken"  # a checkout whose .git points nowhere
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent/seawall\n")
    (broken / "main.tf").write_text(DB_PUBLIC.format(name="db"))
    lost = tmp_path / "lost"  # a blob of the commit is gone from the object store
    commit(lost, "2024-01-01", {"main.tf": DB_PUBLIC.format(name="db")})
    blob = git(lost, "rev-parse", "HEAD:main.tf")
    (lost / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    fleet.write_text(fleet.read_text() + "broken\nlost\nmissing\nhttps://example.com/acme/infra.git\na no-such-ref name=a-at-nothing\n")
    run = scan(fleet, db)
    problems = {n: r.problem for n, r in run.results.items() if r.status == "error"}
    assert set(problems) == {"broken", "lost", "missing", "example.com/acme/infra", "a-at-nothing"}
    assert "has a .git that git cannot read" in problems["broken"]
    assert "main.tf" in problems["lost"]
    assert "missing does not exist" in problems["missing"]
    assert "--allow-network" in problems["example.com/acme/infra"]
    assert "no-such-ref" in problems["a-at-nothing"]
    assert {n: r.status for n, r in run.results.items() if n in ("a", "team-b", "c")} == {"a": "scanned", "team-b": "scanned", "c": "scanned"}
    report = report_of(db)
    assert {r.name for r in report.unscannable} == set(problems)
    assert "## Could not be scanned (5)" in markdown(report)


def test_input_errors_fix_nothing_and_are_not_a_clean_result(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    scan(fleet, db)
    a = fleet.parent / "a"
    commit(a, "2024-05-01", {"main.tf": 'resource "aws_db_instance" "db" {\n  engine = \n'})
    run = scan(fleet, db)
    assert run.results["a"].errors and run.failed == ["a"]
    assert exposures(db)["a", "aws-rds-publicly-accessible"]["fixed_run"] is None
    assert "a" in {r.name for r in report_of(db).unscannable}
    unchanged = scan(fleet, db)  # nothing changed, and a's file still cannot be checked
    assert unchanged.results["a"].status == "unchanged" and unchanged.failed == ["a"]


def test_an_interrupted_run_resumes_without_rescanning_finished_repositories(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    with pytest.raises(KeyboardInterrupt):
        scan(fleet, db, InProcess(stop_after=1))
    assert set(exposures(db)) == {("a", "aws-rds-publicly-accessible"), ("a", "aws-s3-bucket-public-acl")}
    resumed = InProcess()
    run = scan(fleet, db, resumed)
    assert resumed.ran == ["team-b", "c"] and run.results["a"].status == "unchanged"
    assert [r["status"] for r in rows(db, "SELECT status FROM runs ORDER BY id")] == ["interrupted", "done"]


def test_after_an_interrupted_run_the_report_still_shows_the_whole_fleet(fleet: Path, tmp_path: Path, history_at: str) -> None:
    db = history_at
    scan(fleet, db)
    commit(fleet.parent / "b", "2024-05-01", {"README.md": "b\n"})
    commit(fleet.parent / "c", "2024-05-01", {"README.md": "c\n"})
    with pytest.raises(KeyboardInterrupt):
        scan(fleet, db, InProcess(stop_after=0))  # a is recorded unchanged, b and c never
    report = report_of(db)
    assert [r.name for r in report.repositories] == ["a", "c", "team-b"]
    assert sorted(e.rule_id for e in report.public) == ["aws-rds-publicly-accessible", "aws-s3-bucket-public-acl"]
    (tmp_path / "one.txt").write_text("c\n")
    scan(tmp_path / "one.txt", db)  # a finished run over a smaller fleet: the report follows it
    assert [r.name for r in report_of(db).repositories] == ["c"]


def test_a_file_url_is_cloned_partially_and_scanned(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))
    sources = tmp_path / "urls.txt"
    sources.write_text(f"file://{fleet.parent / 'a'} name=remote-a\n")
    run = scan(sources, tmp_path / "h.db")
    assert run.results["remote-a"].status == "scanned", run.results["remote-a"].problem
    assert {r for _, r in exposures(tmp_path / "h.db")} == {"aws-rds-publicly-accessible", "aws-s3-bucket-public-acl"}
    clones = list((tmp_path / "cache" / "fleet-clones").iterdir())
    assert [p.name for p in clones if p.is_dir()] and git(next(p for p in clones if p.is_dir()), "rev-parse", "--is-bare-repository") == "true"
    assert scan(sources, tmp_path / "h.db").results["remote-a"].status == "unchanged"


def test_a_monorepo_folder_is_scanned_with_paths_from_the_repository_root(tmp_path: Path) -> None:
    mono = tmp_path / "mono"
    commit(mono, "2024-01-01", {"infra/prod/main.tf": DB_PUBLIC.format(name="db"), "infra/dev/main.tf": DB_PUBLIC.format(name="db")})
    sources = tmp_path / "sources.txt"
    sources.write_text("mono/infra/prod name=prod\n")
    db = tmp_path / "h.db"
    scan(sources, db)
    row = exposures(db)["prod", "aws-rds-publicly-accessible"]
    assert (row["file"], row["line"]) == ("infra/prod/main.tf", 4)
    exposure = report_of(db).public[0]
    assert exposure.link == f"file://{mono}/infra/prod/main.tf"


class _Page(HTMLParser):
    """Collects what a browser would fetch and checks that every element is closed."""

    VOID = {"meta", "br", "link", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.fetches: list[str] = []
        self.links: list[str] = []
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "link", "object", "embed") or values.get("src"):
            self.fetches.append(f"{tag} {values}")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "tr" and "exposure" in (values.get("class") or ""):
            self.rows += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()


def test_cli_scans_with_local_workers_and_writes_the_reports(fleet: Path, tmp_path: Path, history_at: str) -> None:
    runner = CliRunner()
    db, page, md = history_at, tmp_path / "fleet.html", tmp_path / "fleet.md"
    first = runner.invoke(main, ["fleet", "scan", str(fleet), "--history", str(db), "--workers", "2"])
    assert first.exit_code == 1, first.output  # new exposed findings
    assert "new exposed: a: main.tf:4: aws-rds-publicly-accessible" in first.output
    second = runner.invoke(main, ["fleet", "scan", str(fleet), "--history", str(db), "--workers", "2"])
    assert second.exit_code == 0, second.output
    assert "0 scanned, 3 unchanged" in second.output
    shown = runner.invoke(main, ["fleet", "report", "--history", str(db), "--html", str(page), "--markdown", str(md)])
    assert shown.exit_code == 0, shown.output
    assert shown.output == md.read_text()
    assert "### exposed · critical (1)" in shown.output
    parser = _Page()
    parser.feed(page.read_text())
    parser.close()
    assert parser.stack == [] and parser.fetches == []
    assert parser.rows > 0
    assert all(link.startswith("file://") for link in parser.links)


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "not-a-db"
    bad.write_text("this is not SQLite " * 100)
    (tmp_path / "sources.txt").write_text("missing\n")
    result = runner.invoke(main, ["fleet", "scan", str(tmp_path / "sources.txt"), "--history", str(bad)])
    assert result.exit_code == 2 and "not a seawall history database" in result.output
    result = runner.invoke(main, ["fleet", "scan", str(tmp_path / "sources.txt"), "--history", str(tmp_path / "h.db")])
    assert result.exit_code == 2 and "not scanned: missing" in result.output
    result = runner.invoke(main, ["fleet", "report", "--history", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no history file" in result.output


def test_a_postgresql_history_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("psycopg", reason="psycopg (seawall[postgres]) is not installed")
    (tmp_path / "sources.txt").write_text("missing\n")
    result = CliRunner().invoke(main, ["fleet", "scan", str(tmp_path / "sources.txt"), "--history", "postgresql://fleet:s3cret@127.0.0.1:9/history"])
    assert result.exit_code == 2, result.output
    assert "postgresql://fleet:***@127.0.0.1:9/history: cannot open the PostgreSQL history" in result.output
    assert "s3cret" not in result.output


def test_a_result_is_recorded_whole_or_not_at_all(fleet: Path, history_at: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside one repository's transaction (here: while its exposures are
    written) leaves nothing of it; what was recorded before stays."""
    scan(fleet, history_at)
    commit(fleet.parent / "a", "2024-05-01", {"main.tf": DB_PRIVATE.format(name="db")})
    commit(fleet.parent / "c", "2024-05-01", {"main.tf": DB_PUBLIC.format(name="db")})

    def fail(*args: object) -> None:
        raise RuntimeError("killed while writing")

    monkeypatch.setattr(History, "_exposures", fail)
    with pytest.raises(RuntimeError):
        scan(fleet, history_at)
    monkeypatch.undo()
    found = exposures(history_at)
    assert found["a", "aws-rds-publicly-accessible"]["fixed_run"] is None and ("c", "aws-rds-publicly-accessible") not in found
    assert rows(history_at, "SELECT commit_id FROM repositories WHERE name = 'a'")[0]["commit_id"] != git(fleet.parent / "a", "rev-parse", "HEAD")
    run = scan(fleet, history_at)  # the next run scans what was not recorded
    assert run.results["a"].status == "scanned" and run.fixed == {"a": [found["a", "aws-rds-publicly-accessible"]["fingerprint"]]}
    assert [n for n, _ in run.new_exposed] == ["c"]


def _chromium() -> str | None:
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")) if p), None)


def test_the_html_page_renders_in_a_headless_browser_and_fetches_nothing(fleet: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    browser_path = _chromium()
    if browser_path is None:
        pytest.skip("no chromium on this machine")
    db = tmp_path / "h.db"
    scan(fleet, db)
    page_file = tmp_path / "fleet.html"
    page_file.write_text(html_page(build(History(str(db)))))
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            assert page.title() == "seawall fleet report"
            assert page.locator("tr.exposure").count() >= 2
            assert page.locator("h3", has_text="exposed · critical (1)").is_visible()
            link = page.locator("tr.exposure a", has_text="main.tf:4").first
            href = link.get_attribute("href")
            assert href == f"file://{fleet.parent / 'a'}/main.tf"
            link.click()
            page.wait_for_load_state()
            assert "publicly_accessible = true" in page.inner_text("body")  # the link leads to the file
        finally:
            browser.close()
    assert requests == [page_file.as_uri(), href]


def test_generated_fleet_history(tmp_path: Path) -> None:
    """A generated fleet: the report's ages and counts follow each repository's commits."""
    sources = generated_fleet(tmp_path, 10)
    db = tmp_path / "h.db"
    scan(sources, db)
    found = exposures(db)
    databases = {r for r, rule in found if rule == "aws-rds-publicly-accessible"}
    buckets = {r for r, rule in found if rule == "aws-s3-bucket-public-acl"}
    assert databases == {f"repo{i:03d}" for i in range(10) if i % 3 == 0}
    assert buckets == {"repo005"}  # repo000's bucket was removed again
    assert {found[r, "aws-rds-publicly-accessible"]["first_time"] for r in databases} == {epoch("2024-02-01")}
    assert found["repo005", "aws-s3-bucket-public-acl"]["first_time"] == epoch("2024-03-01")
    assert os.path.exists(db)


STATE = """{
  "version": 4,
  "terraform_version": "1.7.0",
  "serial": 3,
  "lineage": "fleet",
  "outputs": {},
  "resources": [
    {
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "db",
      "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
      "instances": [
        {
          "schema_version": 2,
          "attributes": {
            "engine": "postgres",
            "instance_class": "db.t3.micro",
            "publicly_accessible": %s
          }
        }
      ]
    }
  ]
}
"""


def test_a_folder_of_checkouts_with_a_plain_folder_and_a_state_file(tmp_path: Path, history_at: str) -> None:
    checkouts = tmp_path / "checkouts"
    commit(checkouts / "repo", "2024-01-01", {"main.tf": DB_PUBLIC.format(name="db")})
    (checkouts / "plain").mkdir()
    (checkouts / "plain" / "main.tf").write_text(BUCKET_PUBLIC.format(name="plain"))
    (checkouts / "prod.tfstate").write_text(STATE % "true")
    (checkouts / ".hidden").mkdir()
    db = history_at
    run = scan(checkouts, db)
    assert {n: r.status for n, r in run.results.items()} == {"repo": "scanned", "plain": "scanned", "prod.tfstate": "scanned"}
    found = exposures(db)
    assert set(found) == {("repo", "aws-rds-publicly-accessible"), ("plain", "aws-s3-bucket-public-acl"), ("prod.tfstate", "aws-rds-publicly-accessible")}
    state = found["prod.tfstate", "aws-rds-publicly-accessible"]
    assert (state["file"], state["line"]) == ("prod.tfstate", 19)  # the attribute's line in the state
    assert state["first_time"] >= run.run and state["first_commit"].startswith("sha256:")  # dated by the run that saw it
    assert {r.status for r in scan(checkouts, db).results.values()} == {"unchanged"}
    (checkouts / "prod.tfstate").write_text(STATE % "false")
    again = scan(checkouts, db)
    assert again.results["prod.tfstate"].status == "scanned" and again.fixed == {"prod.tfstate": [state["fingerprint"]]}


def _spawned_workers() -> list[int]:
    """The process-pool workers this process started (found through /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the pool's workers through /proc")
def test_a_local_worker_killed_mid_scan_loses_no_repository(tmp_path: Path) -> None:
    import signal

    from linter.fleet.engines import LocalEngine

    sources = generated_fleet(tmp_path, 6)
    killed: list[int] = []

    def kill_one(source: object, result: object) -> None:
        if not killed:
            workers = _spawned_workers()
            assert workers
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    history = History(str(tmp_path / "h.db"))
    try:
        run = scan_fleet(str(sources), history, LocalEngine(2), progress=kill_one)
    finally:
        history.close()
    assert killed
    assert {n: r.status for n, r in run.results.items()} == {f"repo{i:03d}": "scanned" for i in range(6)}, {n: r.problem for n, r in run.results.items()}
    assert {r for r, _ in exposures(tmp_path / "h.db")} == {"repo000", "repo003", "repo005"}


def test_the_scheduled_workflow_and_the_readme(actionlint: Path) -> None:
    import subprocess

    import yaml

    root = Path(__file__).resolve().parent.parent
    workflow = root / "docs" / "fleet" / "seawall-fleet.yml"
    data = yaml.safe_load(workflow.read_text())
    assert data[True]["schedule"]  # PyYAML reads the key `on` as True
    proc = subprocess.run(["node", str(actionlint), str(workflow)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr
    readme = (root / "README.md").read_text()
    assert "docs/fleet/seawall-fleet.yml" in readme and "seawall fleet scan fleet.txt" in readme


class Counting:
    """An engine that notes, as each unit reaches it, how many sources planning had
    resolved so far, and returns each unit's result at once (without scanning)."""

    name = "counting"

    def __init__(self, resolved: list[str]) -> None:
        self.resolved = resolved
        self.at_dispatch: list[int] = []

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        for unit in units:
            self.at_dispatch.append(len(self.resolved))
            yield UnitResult(unit.source.name, "error", problem="not scanned by this test")


def test_planning_streams_each_unit_is_dispatched_before_the_next_source_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linter.fleet.scan as fleet_scan

    size = 40
    for i in range(size):  # plain folders: planning reads each one's files (its identity)
        (tmp_path / "fleet" / f"r{i:02d}").mkdir(parents=True)
        (tmp_path / "fleet" / f"r{i:02d}" / "main.tf").write_text(f"# {i}\n")
    resolved: list[str] = []
    real = fleet_scan.identify

    def counted(source: object, target: object) -> tuple[str, int | None, str]:
        resolved.append(source.name)  # type: ignore[attr-defined]
        return real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(fleet_scan, "identify", counted)
    engine = Counting(resolved)
    run = scan(tmp_path / "fleet", tmp_path / "h.db", engine)  # type: ignore[arg-type]
    assert len(run.results) == size
    assert engine.at_dispatch == list(range(1, size + 1))  # the first unit ran when 1 of 40 was read


def test_local_workers_pull_units_only_when_a_worker_is_free() -> None:
    from linter.fleet.engines import LocalEngine

    pulled: list[int] = []
    ahead = []
    results = 0
    for result in LocalEngine(2).run(problem_units(12, pulled)):
        assert result.status == "error" and result.problem == "no such repository"
        ahead.append(len(pulled) - results)
        results += 1
    assert results == 12 and len(pulled) == 12
    assert ahead[0] <= 2 and max(ahead) <= 2  # at most one unit a worker is held
