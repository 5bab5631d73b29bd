"""The VS Code extension (editors/vscode): its client code driven against `seawall lsp` over
stdio by the Node LSP libraries (editors/vscode/test/client.test.mjs, node's test runner),
and the `.vsix` packaged with @vscode/vsce. Installed by `npm ci` from its package-lock.json;
skipped only when Node.js and npm are absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

HERE = ROOT / "editors" / "vscode"


@pytest.fixture(scope="module")
def extension() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed: the extension cannot be built")
    if not (HERE / "node_modules" / "vscode-languageclient").is_dir():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"npm ci failed: {proc.stderr[-2000:]}"
    proc = subprocess.run(["npm", "run", "compile"], cwd=HERE, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return HERE


def test_client_gets_diagnostics_from_seawall_lsp(extension: Path) -> None:
    env = dict(os.environ, SEAWALL_PYTHON=sys.executable)
    proc = subprocess.run(["node", "--test", "test/"], cwd=extension, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# pass 3" in proc.stdout and "# skipped 0" in proc.stdout, proc.stdout


def test_vsix_packages(extension: Path, tmp_path: Path) -> None:
    out = tmp_path / "seawall.vsix"
    proc = subprocess.run(["npx", "--no-install", "vsce", "package", "--out", str(out)], cwd=extension, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    names = set(zipfile.ZipFile(out).namelist())
    assert {"extension/package.json", "extension/out/extension.js", "extension/out/settings.js"} <= names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
    assert not any(n.startswith(("extension/src/", "extension/test/")) for n in names)
