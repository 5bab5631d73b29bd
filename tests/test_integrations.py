"""Where users meet seawall: the real pre-commit, real git for --new-only, the GitHub Action."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

PUBLIC = 'resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n  acl    = "public-read"\n}\n'
PRIVATE = 'resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n  acl    = "private"\n}\n'
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    proc = subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def seawall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def test_new_only_reports_what_the_change_introduces(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "old.tf").write_text(PUBLIC)
    git(repo, "init")
    git(repo, "add", ".")
    git(repo, "commit", "-m", "base")
    # the change: reformat the old bucket (lines move), add a new public one
    (repo / "infra" / "old.tf").write_text("# moved around\n\n" + PUBLIC.replace('  bucket = "acme-data"\n', "") .replace("{\n", '{\n  bucket = "acme-data"\n\n'))
    (repo / "infra" / "new.tf").write_text(PUBLIC.replace('"data"', '"exports"').replace("acme-data", "acme-exports"))
    git(repo, "add", ".")
    git(repo, "commit", "-m", "change")
    proc = seawall("scan", "infra", "--new-only", "HEAD~1", "--format", "json", "--no-config", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    active = [f["resource"] for f in doc["findings"] if f["suppressed"] is None]
    old = [f for f in doc["findings"] if f["resource"] == "aws_s3_bucket.data"]
    assert active == ["aws_s3_bucket.exports"]
    assert old and old[0]["suppressed"]["kind"] == "preexisting" and "HEAD~1" in old[0]["suppressed"]["reason"]
    assert "worktree" not in git(repo, "worktree", "list").split("\n")[-1] or len(git(repo, "worktree", "list").splitlines()) == 1
    # nothing new: exit 0, and the text says how many were not new
    proc = seawall("scan", "infra", "--new-only", "HEAD", "--no-config", cwd=repo)
    assert proc.returncode == 0 and "2 not new" in proc.stdout
    # a bad revision is a usage error
    assert seawall("scan", "infra", "--new-only", "no-such-ref", cwd=repo).returncode == 2


def _snapshot_of_this_checkout(dest: Path) -> str:
    """A commit of this checkout as it is (tracked and new files), for pre-commit to install."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        src = ROOT / name
        if src.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    git(dest, "init")
    git(dest, "add", ".")
    git(dest, "commit", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """This checkout as a hooks repository, and a pre-commit home shared by the tests of
    this module (pre-commit installs the hook's environment once)."""
    base = tmp_path_factory.mktemp("hooks")
    hooks_repo = base / "seawall-src"
    hooks_repo.mkdir()
    return hooks_repo, _snapshot_of_this_checkout(hooks_repo), base / "pre-commit-home"


def _hooked_project(tmp_path: Path, hooks: tuple[Path, str, Path]) -> tuple[Path, dict[str, str]]:
    """A git repository with the seawall hook installed; returns it and the environment."""
    hooks_repo, rev, home = hooks
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init")
    config = {"repos": [{"repo": str(hooks_repo), "rev": rev, "hooks": [{"id": "seawall"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, **GIT_ENV, "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=project, env=env, check=True, capture_output=True, timeout=120)
    return project, env


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_pre_commit_blocks_a_public_bucket_and_passes_after_the_fix(tmp_path: Path, hooks: tuple[Path, str, Path]) -> None:
    project, env = _hooked_project(tmp_path, hooks)
    (project / "README.md").write_text("docs\n")
    (project / "package.json").write_text('{"name": "not-infrastructure"}\n')
    (project / "main.tf").write_text(PUBLIC)
    git(project, "add", ".")
    blocked = subprocess.run(["git", "commit", "-m", "add bucket"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "main.tf:3:3: CRITICAL aws-s3-bucket-public-acl" in output
    (project / "main.tf").write_text(PRIVATE)
    git(project, "add", ".")
    passed = subprocess.run(["git", "commit", "-m", "add bucket"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "seawall" in passed.stdout + passed.stderr and "Passed" in passed.stdout + passed.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_pre_commit_blocks_a_regression_made_through_another_file_of_the_module(tmp_path: Path, hooks: tuple[Path, str, Path]) -> None:
    project, env = _hooked_project(tmp_path, hooks)
    infra = project / "infra"
    infra.mkdir()
    variables = 'variable "bucket_acl" {\n  type    = string\n  default = "%s"\n}\n'
    (infra / "variables.tf").write_text(variables % "private")
    (infra / "acl.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "acme-data"\n}\n\n'
        'resource "aws_s3_bucket_acl" "b" {\n  bucket = aws_s3_bucket.b.id\n  acl    = var.bucket_acl\n}\n'
    )
    git(project, "add", ".")
    first = subprocess.run(["git", "commit", "-m", "private bucket"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    # the regression: only variables.tf changes and is staged; the public ACL is in acl.tf
    (infra / "variables.tf").write_text(variables % "public-read")
    git(project, "add", "infra/variables.tf")
    assert git(project, "diff", "--cached", "--name-only") == "infra/variables.tf"
    blocked = subprocess.run(["git", "commit", "-m", "make it public"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "infra/acl.tf:7:3: CRITICAL aws-s3-bucket-public-acl" in output
    assert "infra/variables.tf:3" in output  # the evidence names the staged line


def test_hook_definitions() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"seawall", "seawall-all"}
    assert hooks["seawall"]["types_or"] == ["terraform", "yaml", "json"]
    assert hooks["seawall-all"]["pass_filenames"] is False


def test_changed_files_mode_reports_only_the_files_passed(tmp_path: Path) -> None:
    (tmp_path / "vars.tf").write_text('variable "acl" {\n  default = "public-read"\n}\n')
    (tmp_path / "a.tf").write_text('resource "aws_s3_bucket" "a" {\n  acl = var.acl\n}\n')
    (tmp_path / "b.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = "public-read"\n}\n')
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {}\n")
    proc = seawall("scan", "a.tf", "workflow.yml", "--format", "json", "--no-config", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert [(Path(f["file"]).name, f["line"]) for f in doc["findings"]] == [("a.tf", 2)]
    assert doc["errors"] == [] and doc["notes"] == []
    # a changed variables file reports its whole module
    (tmp_path / "terraform.tfvars").write_text('acl = "public-read-write"\n')
    doc = json.loads(seawall("scan", "terraform.tfvars", "--format", "json", "--no-config", cwd=tmp_path).stdout)
    assert sorted(Path(f["file"]).name for f in doc["findings"]) == ["a.tf", "b.tf"]


def test_action_is_a_composite_action_that_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    text = json.dumps(steps)
    assert "github.action_path" in text and "--format github" in text and "sarif" in text
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    assert "GITHUB_STEP_SUMMARY" in text and "--new-only" in text
    assert {"paths", "fail-on", "new-only"} <= set(action["inputs"])
