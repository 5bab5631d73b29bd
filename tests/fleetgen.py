"""Generated fleets for the fleet tests and the benchmark: small git repositories (real
``git``) whose commits add and remove exposures at fixed dates."""

from __future__ import annotations

import calendar
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.fleet.unit import Unit

DB_PUBLIC = """resource "aws_db_instance" "{name}" {{
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  publicly_accessible = true
}}
"""
BUCKET_PUBLIC = """resource "aws_s3_bucket_acl" "{name}" {{
  bucket = "{name}-data"
  acl    = "public-read"
}}
"""
DB_PRIVATE = """resource "aws_db_instance" "{name}" {{
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  publicly_accessible = false
}}
"""


def epoch(day: str) -> int:
    """'2024-01-31' -> seconds since the epoch (UTC midnight)."""
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=_ENV).stdout.strip()


def commit(repo: Path, day: str, files: dict[str, str | None], message: str = "change") -> str:
    """Write (or, for None, delete) ``files`` in ``repo`` and commit them on ``day``;
    returns the commit id. The repository is created on its first commit."""
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", "main")
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    stamp = f"{day}T00:00:00+0000"
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "fleet",
        "GIT_AUTHOR_EMAIL": "fleet@example.com",
        "GIT_COMMITTER_NAME": "fleet",
        "GIT_COMMITTER_EMAIL": "fleet@example.com",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=repo, check=True, capture_output=True, env=env)
    return git(repo, "rev-parse", "HEAD")


def generated_fleet(root: Path, count: int) -> Path:
    """``count`` repositories in ``root`` and a SOURCES list naming them. Repository i:
    a private database ``db`` first (2024-01-01); when i % 3 == 0 it becomes public on
    2024-02-01; when i % 5 == 0 a public bucket is added on 2024-03-01 and, when also
    i % 2 == 0, removed again on 2024-04-01. Repositories with the same story are copies
    of one written by ``git fast-import`` (a few git processes a story, not several a
    commit of each repository: 200 repositories take about a second), checked out so
    ``commit`` can add to each."""
    import shutil
    import tempfile

    names = []
    with tempfile.TemporaryDirectory(prefix="fleetgen-") as stories:
        for i in range(count):
            story = (i % 3 == 0, i % 5 == 0, i % 10 == 0)
            template = Path(stories) / "".join("1" if part else "0" for part in story)
            if not template.exists():
                _write_story(template, *story)
            repo = root / f"repo{i:03d}"
            shutil.copytree(template, repo, symlinks=True)
            names.append(repo.name)
    sources = root / "sources.txt"
    sources.write_text("".join(f"{n}\n" for n in names))
    return sources


def _write_story(repo: Path, public_db: bool, bucket: bool, bucket_removed: bool) -> None:
    changes: list[tuple[str, dict[str, str | None]]] = [("2024-01-01", {"main.tf": DB_PRIVATE.format(name="db")})]
    if public_db:
        changes.append(("2024-02-01", {"main.tf": DB_PUBLIC.format(name="db")}))
    if bucket:
        changes.append(("2024-03-01", {"bucket.tf": BUCKET_PUBLIC.format(name="logs")}))
        if bucket_removed:
            changes.append(("2024-04-01", {"bucket.tf": None}))
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=_stream(changes), check=True, capture_output=True, env=_ENV)
    git(repo, "checkout", "-q", "-f", "main")


def _stream(changes: list[tuple[str, dict[str, str | None]]]) -> bytes:
    """A fast-import stream: one commit on ``main`` a (day, files) change, in order."""
    out = []
    for day, files in changes:
        who = f"fleet <fleet@example.com> {epoch(day)} +0000"
        out.append(f"commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata 6\nchange\n")
        for name, text in files.items():
            if text is None:
                out.append(f"D {name}\n")
            else:
                data = text.encode()
                out.append(f"M 100644 inline {name}\ndata {len(data)}\n{text}\n")
        out.append("\n")
    return "".join(out).encode()


def problem_units(count: int, pulled: list[int]) -> Iterator[Unit]:
    """``count`` units whose source has a problem (a worker answers at once, without
    scanning), noting in ``pulled`` each one an engine takes: engines' streaming tests."""
    from linter.fleet.sources import Source
    from linter.fleet.unit import Unit

    for i in range(count):
        pulled.append(i)
        yield Unit(Source(f"u{i}", f"/nonexistent/u{i}", "local", problem="no such repository"), "test")
