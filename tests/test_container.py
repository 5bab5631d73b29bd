"""The container image recipe (Dockerfile): linted with hadolint (from the test extra), its
promises checked (non-root, pinned install, nothing fetched at run time), and built and run
with no network when a container engine is available (there is none on the development
machine; CI's `container` job builds it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_finds_nothing() -> None:
    beside = Path(sys.executable).parent / "hadolint"  # the test extra's, in this venv
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[test]' installs it)")
    proc = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_runs_as_an_unprivileged_user_with_pinned_versions_and_no_fetching() -> None:
    steps = instructions()
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    installs = [rest for word, rest in final if word == "RUN" and "pip install" in rest]
    assert installs and all("--constraint" in r and "/wheels/" in r for r in installs), "install the built wheel with constraints.txt"
    assert not re.search(r"\b(curl|wget|git clone|ADD\s+https?:)", DOCKERFILE), "nothing is downloaded outside pip"
    assert [rest for word, rest in final if word == "ENTRYPOINT"] == ['["seawall"]']
    # everything the wheel build needs is copied, and .dockerignore keeps none of it out
    copied = {p for word, rest in steps if word == "COPY" and "--from" not in rest for p in rest.split()[:-1]}
    assert {"pyproject.toml", "README.md", "constraints.txt", "linter", "rules", "examples"} <= copied
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert not copied & ignored


def engine() -> str | None:
    for tool in ("docker", "podman"):
        path = shutil.which(tool)
        if path and subprocess.run([path, "info"], capture_output=True, timeout=30).returncode == 0:
            return path
    return None


def test_image_builds_and_scans_without_network(tmp_path) -> None:
    tool = engine()
    if tool is None:
        pytest.skip("no container engine here (docker/podman info fails); CI's container job builds the image")
    tag = "seawall-test:latest"
    build = subprocess.run([tool, "build", "--tag", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-3000:]
    proc = subprocess.run(
        [tool, "run", "--rm", "--network", "none", "--volume", f"{ROOT / 'examples'}:/src:ro", tag, "scan", "."], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1 and "aws-s3-bucket-public-acl" in proc.stdout, proc.stdout + proc.stderr
