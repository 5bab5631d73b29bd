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


def test_new_only_with_a_revision_that_is_not_there_says_how_to_fetch_it(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    (upstream / "infra").mkdir(parents=True)
    (upstream / "infra" / "main.tf").write_text(PUBLIC)
    git(upstream, "init")
    git(upstream, "add", ".")
    git(upstream, "commit", "-m", "one")
    (upstream / "infra" / "main.tf").write_text(PRIVATE)
    git(upstream, "commit", "-am", "two")
    # a CI checkout: one commit deep, the base branch not fetched
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--no-local", upstream.as_uri(), "checkout")
    checkout = tmp_path / "checkout"

    def error(ref: str) -> str:
        proc = seawall("scan", "infra", "--new-only", ref, "--no-config", cwd=checkout)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        return " ".join(proc.stderr.split())

    missing = error("nosuchref")
    assert "--new-only nosuchref: no such commit, branch or tag" in missing
    assert "`git fetch origin nosuchref`" in missing and "--new-only origin/nosuchref" in missing
    assert "shallow clone" in missing and "fetch-depth: 0" in missing
    assert "`git fetch origin release`" in error("origin/release")
    # the branch is there but not its history: fetching the branch would not help
    parent = error("HEAD~1")
    assert "shallow clone" in parent and "git fetch --unshallow" in parent and "git fetch origin" not in parent
    # once the history is fetched, the same command works
    git(checkout, "fetch", "--quiet", "--unshallow")
    assert seawall("scan", "infra", "--new-only", "HEAD~1", "--no-config", cwd=checkout).returncode == 0


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
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A snapshot of this checkout to install the hooks from, and a pre-commit home shared by
    the tests of this module (pre-commit builds the hook's environment once)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed")
    base = tmp_path_factory.mktemp("pre-commit")
    hooks_repo = base / "seawall-src"
    hooks_repo.mkdir()
    rev = _snapshot_of_this_checkout(hooks_repo)
    env = {**os.environ, **GIT_ENV, "HOME": str(base), "PRE_COMMIT_HOME": str(base / "pre-commit-home")}
    return {"repo": str(hooks_repo), "rev": rev, **{f"env:{k}": v for k, v in env.items()}}


def _pre_commit_project(project: Path, pre_commit: dict[str, str]) -> dict[str, str]:
    """A git repository using the ``seawall`` hook; returns the environment to run git and pre-commit in."""
    project.mkdir()
    git(project, "init")
    config = {"repos": [{"repo": pre_commit["repo"], "rev": pre_commit["rev"], "hooks": [{"id": "seawall"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    return {k[4:]: v for k, v in pre_commit.items() if k.startswith("env:")}


PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def test_pre_commit_blocks_a_public_bucket_and_passes_after_the_fix(tmp_path: Path, pre_commit: dict[str, str]) -> None:
    project = tmp_path / "project"
    env = _pre_commit_project(project, pre_commit)
    (project / "README.md").write_text("docs\n")
    (project / "package.json").write_text('{"name": "not-infrastructure"}\n')
    subprocess.run(PRE_COMMIT + ["install"], cwd=project, env=env, check=True, capture_output=True, timeout=120)
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


def test_pre_commit_blocks_a_regression_made_through_another_file_of_the_module(tmp_path: Path, pre_commit: dict[str, str]) -> None:
    """Issue 13 item 7: only variables.tf is staged; the public ACL it makes is in acl.tf."""
    project = tmp_path / "project"
    env = _pre_commit_project(project, pre_commit)
    subprocess.run(PRE_COMMIT + ["install"], cwd=project, env=env, check=True, capture_output=True, timeout=120)
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
    (infra / "variables.tf").write_text(variables % "public-read")
    git(project, "add", "infra/variables.tf")
    assert git(project, "diff", "--cached", "--name-only") == "infra/variables.tf"
    blocked = subprocess.run(["git", "commit", "-m", "make it public"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    # public through the variable's default: a 'default' verdict, one step below critical
    assert "infra/acl.tf:7:3: HIGH aws-s3-bucket-public-acl" in output
    assert "infra/variables.tf:3" in output  # the evidence names the staged line


CFN_YAML = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n"
CFN_JSON = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}}}, indent=2) + "\n"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 5432\n"
VARIABLE_ACL = 'variable "acl" {\n  default = "private"\n}\n\nresource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n  acl    = var.acl\n}\n'


def test_pre_commit_hook_checks_every_extension_the_readme_promises(tmp_path: Path, pre_commit: dict[str, str]) -> None:
    """Each file below holds one public setting; each is staged alone in its folder (the
    variables files beside a committed module), so a file the hook's filter leaves out
    loses its finding. The README promises .tf, .tfvars, .tfvars.json, plan JSON, and
    CloudFormation and Kubernetes in .yaml, .yml, .json and .template."""
    project = tmp_path / "project"
    env = _pre_commit_project(project, pre_commit)
    for module in ("tfvars", "tfvars-json"):
        (project / module).mkdir()
        (project / module / "main.tf").write_text(VARIABLE_ACL)
    plan = ROOT / "tests" / "fixtures" / "aws-s3-bucket-public-acl" / "fail" / "plan_with_source" / "plan.json"
    staged = {
        "main.tf": (PUBLIC, "main.tf:3:3: CRITICAL aws-s3-bucket-public-acl"),
        "tfvars/terraform.tfvars": ('acl = "public-read"\n', "tfvars/main.tf:7:3: CRITICAL aws-s3-bucket-public-acl"),
        "tfvars-json/prod.auto.tfvars.json": ('{"acl": "public-read"}\n', "tfvars-json/main.tf:7:3: CRITICAL aws-s3-bucket-public-acl"),
        "plan/plan.json": (plan.read_text(), "plan/plan.json:"),
        "cfn/stack.yaml": (CFN_YAML, "cfn/stack.yaml:6:7: CRITICAL aws-s3-bucket-public-acl"),
        "cfn/stack.json": (CFN_JSON, "cfn/stack.json:"),
        "cfn/stack.template": (CFN_YAML, "cfn/stack.template:6:7: CRITICAL aws-s3-bucket-public-acl"),
        "k8s/db.yml": (SERVICE, "k8s/db.yml:6:3: CRITICAL k8s-service-public-load-balancer"),
    }
    for name, (text, _) in staged.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(project, "add", ".")
    proc = subprocess.run(PRE_COMMIT + ["run", "seawall", "--files", *staged], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    missing = [name for name, (_, expected) in staged.items() if expected not in output]
    assert not missing, f"the hook did not check {missing}:\n{output}"
    assert "plan/plan.json:" in output and "CRITICAL aws-s3-bucket-public-acl" in output.split("plan/plan.json:", 1)[1].splitlines()[0]


def test_hook_definitions() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"seawall", "seawall-all"}
    # by name only: identify gives `.template` no tags, and a UTF-16 file is not `text` to it
    assert "types_or" not in hooks["seawall"] and hooks["seawall"]["types"] == ["file"]
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
    assert "GITHUB_ACTION_PATH/action/seawall_action.py" in text  # the steps' logic (tests/test_action.py runs it)
    script = (ROOT / "action" / "seawall_action.py").read_text()
    assert '"--format", "github"' in script and "sarif=" in script
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    assert "GITHUB_STEP_SUMMARY" in script and '"--new-only"' in script
    assert {"paths", "fail-on", "new-only"} <= set(action["inputs"])
