"""Generated fleets for the fleet tests and the benchmark: small git repositories (real
``git``) whose commits add and remove exposures at fixed dates."""

from __future__ import annotations

import calendar
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from linter.fleet.sources import Source
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


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout.strip()


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
    a private database first (2024-01-01); when i % 3 == 0 it becomes public on
    2024-02-01; when i % 5 == 0 a public bucket is added on 2024-03-01 and, when also
    i % 2 == 0, removed again on 2024-04-01."""
    names = []
    for i in range(count):
        repo = root / f"repo{i:03d}"
        commit(repo, "2024-01-01", {"main.tf": DB_PRIVATE.format(name=f"db{i}")})
        if i % 3 == 0:
            commit(repo, "2024-02-01", {"main.tf": DB_PUBLIC.format(name=f"db{i}")})
        if i % 5 == 0:
            commit(repo, "2024-03-01", {"bucket.tf": BUCKET_PUBLIC.format(name=f"b{i}")})
            if i % 2 == 0:
                commit(repo, "2024-04-01", {"bucket.tf": None})
        names.append(repo.name)
    sources = root / "sources.txt"
    sources.write_text("".join(f"{n}\n" for n in names))
    return sources


def problem_units(count: int, pulled: list[int]) -> Iterator[Unit]:
    """``count`` units whose source has a problem (a worker answers at once, without
    scanning), noting in ``pulled`` each one an engine takes: engines' streaming tests."""
    for i in range(count):
        pulled.append(i)
        yield Unit(Source(f"u{i}", f"/nonexistent/u{i}", "local", problem="no such repository"), "test")
