"""The steps of seawall's GitHub Action (``action.yml``), one subcommand each.

``action.yml`` only wires inputs and step outputs to these subcommands, so every step can be
run (and is tested, ``tests/test_action.py``) in a scratch git repository with the
environment variables GitHub sets: ``GITHUB_WORKSPACE``, ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY``, ``RUNNER_TEMP``, ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``,
``GITHUB_BASE_REF``, ``GITHUB_ACTION_PATH``, and the inputs as ``INPUT_*`` variables.

- ``prepare``  check the runner's ``python3`` and name the virtual environment, the pip
               cache and its key (the cache step between ``prepare`` and ``install`` restores it)
- ``install``  seawall into its own virtual environment under ``$RUNNER_TEMP`` with the pinned
               versions of ``constraints.txt``; the caller's Python is never touched
- ``scan``     fetch the pull request's base only when it is missing (shallow only when the
               clone already is), scan, write the reports under ``$RUNNER_TEMP/seawall`` and
               the counts as outputs, append the summary; seawall's exit code is an output
- ``upload-refused``  after a failed SARIF upload: a warning saying why, not a failure
- ``finish``   fail the job on findings at or above ``fail-on`` (unless ``soft-fail``) and on
               input errors

It runs with the runner's ``python3`` (3.8 or later) and the standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from typing import Any

MIN_PYTHON = (3, 10)
REPORT_DIR = "seawall"


# --------------------------------------------------------------------------- GitHub's files


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def set_output(name: str, value: object) -> None:
    text = str(value)
    if "\n" in text:
        raise ValueError(f"output {name} must be one line")
    path = env("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name}={text}\n")
    else:
        print(f"{name}={text}")


def command(kind: str, message: str, title: str = "seawall") -> None:
    """A workflow command (``::warning title=…::message``), escaped as GitHub requires."""
    message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    title = title.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    print(f"::{kind} title={title}::{message}", flush=True)


def lines(name: str) -> list[str]:
    """A list input: one item per line, blank lines and surrounding spaces dropped, never
    split on spaces (a path may hold them)."""
    return [item.strip() for item in env(name).splitlines() if item.strip()]


def flag(name: str, default: bool = False) -> bool:
    value = env(name).strip().lower()
    if not value:
        return default
    if value in ("true", "yes", "1", "on"):
        return True
    if value in ("false", "no", "0", "off"):
        return False
    raise SystemExit(fail(f"input {name[6:].lower().replace('_', '-')} must be true or false, not {value!r}"))


def fail(message: str) -> int:
    command("error", message)
    return 1


def event() -> dict[str, Any]:
    path = env("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…``, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def action_path() -> str:
    return env("GITHUB_ACTION_PATH") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runner_temp() -> str:
    temp = env("RUNNER_TEMP")
    if not temp:
        raise SystemExit(fail("RUNNER_TEMP is not set: this runs inside a GitHub Actions job"))
    return temp


def venv_dir() -> str:
    return os.path.join(runner_temp(), "seawall-venv")


def venv_executable(name: str) -> str:
    if os.name == "nt":
        return os.path.join(venv_dir(), "Scripts", name + ".exe")
    return os.path.join(venv_dir(), "bin", name)


# --------------------------------------------------------------------------- prepare, install


def prepare() -> int:
    if sys.version_info[:2] < MIN_PYTHON:
        return fail(
            f"seawall needs Python {'.'.join(map(str, MIN_PYTHON))} or later; the runner's python3 is {platform.python_version()}. "
            "Use a newer runner image (ubuntu-22.04 or later) or put actions/setup-python before this action."
        )
    digest = hashlib.sha256()
    for name in ("constraints.txt", "pyproject.toml"):
        with open(os.path.join(action_path(), name), "rb") as fh:
            digest.update(fh.read())
    key = f"seawall-pip-{platform.system()}-{platform.machine()}-py{sys.version_info[0]}.{sys.version_info[1]}-{digest.hexdigest()[:16]}"
    set_output("venv", venv_dir())
    set_output("pip-cache", os.path.join(runner_temp(), "seawall-pip-cache"))
    set_output("cache-key", key)
    return 0


def install() -> int:
    root = action_path()
    constraints = os.path.join(root, "constraints.txt")
    cache = os.path.join(runner_temp(), "seawall-pip-cache")
    # the folder actions/cache saves, even when pip had nothing to cache (local wheels)
    os.makedirs(cache, exist_ok=True)
    python = venv_executable("python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv_dir()], check=True)
    pip_env = dict(os.environ, PIP_CACHE_DIR=cache, PIP_CONSTRAINT=constraints, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--progress-bar", "off", "--constraint", constraints, root],
        env=pip_env,
    )
    if proc.returncode != 0:
        return fail(f"installing seawall failed (pip exited {proc.returncode}); see the log above")
    seawall = venv_executable("seawall")
    version = subprocess.run([seawall, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(version)
    set_output("seawall", seawall)
    return 0


# --------------------------------------------------------------------------- the base revision


def git(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=env("GITHUB_WORKSPACE") or ".", capture_output=True, text=True, check=check)


def has_commit(rev: str) -> bool:
    return git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0


def base_revision() -> str | None:
    """The revision a pull request is compared with, fetched only when it is missing: with
    ``--depth=1`` when the clone is shallow already, in full otherwise (a full clone stays
    full). None when there is no base or it cannot be had (then every finding counts)."""
    payload = event()
    sha = dig(payload, "pull_request", "base", "sha")
    sha = sha if isinstance(sha, str) else ""
    ref = env("GITHUB_BASE_REF") or dig(payload, "pull_request", "base", "ref") or ""
    if not sha and not ref:
        return None
    if sha and has_commit(sha):
        return sha
    tracking = f"refs/remotes/origin/{ref}" if ref else ""
    if not sha and has_commit(tracking):
        return tracking
    shallow = git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    depth = ["--depth=1"] if shallow else []
    attempts = ([sha] if sha else []) + ([f"+refs/heads/{ref}:{tracking}"] if ref else [])
    for what in attempts:
        proc = git("fetch", "--no-tags", "--no-recurse-submodules", *depth, "origin", what)
        if proc.returncode != 0:
            print(f"git fetch origin {what}: {proc.stderr.strip()}")
            continue
        if sha and has_commit(sha):
            return sha
        if tracking and has_commit(tracking):
            return tracking
    command("warning", f"could not fetch the base of this pull request ({ref or sha}): every finding is reported as if it were new")
    return None


# --------------------------------------------------------------------------- scan


def counts(report: dict[str, Any]) -> dict[str, int]:
    """Active findings (not accepted, suppressed or already on the base), and how many of them
    are exposures and how many posture, by each finding's ``verdict``: ``exposed``,
    ``default`` and ``conditional`` (public now, by default, in some cases) are exposures,
    which fail the run at or above fail-on; ``posture`` (one step away) fails it only when
    strict. A finding without a verdict (a report of an older seawall) counts as an exposure."""
    active = [f for f in report.get("findings", []) if isinstance(f, dict) and not f.get("suppressed")]
    posture = sum(1 for f in active if f.get("verdict") == "posture")
    return {"findings": len(active), "exposed": len(active) - posture, "posture": posture}


def scan() -> int:
    workspace = env("GITHUB_WORKSPACE") or os.getcwd()
    out_dir = os.path.join(runner_temp(), REPORT_DIR)
    os.makedirs(out_dir, exist_ok=True)
    sarif, report_json, summary = (os.path.join(out_dir, n) for n in ("seawall.sarif", "seawall.json", "seawall-summary.md"))
    for stale in (sarif, report_json, summary):
        if os.path.exists(stale):
            os.remove(stale)
    seawall = env("SEAWALL") or venv_executable("seawall")
    args = [seawall, "scan", "--format", "github", "--output-file", f"sarif={sarif}", "--output-file", f"json={report_json}", "--output-file", f"markdown={summary}"]
    fail_on = env("INPUT_FAIL_ON").strip()
    if fail_on:
        args += ["--fail-on", fail_on]
    if flag("INPUT_STRICT"):
        args.append("--strict")
    base = None
    if flag("INPUT_NEW_ONLY", True) and env("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target"):
        base = base_revision()
        if base:
            args += ["--new-only", base]
    args += lines("INPUT_EXTRA_ARGS")
    args += ["--", *(lines("INPUT_PATHS") or ["."])]
    print("seawall " + " ".join(_quote(a) for a in args[1:]), flush=True)
    code = subprocess.run(args, cwd=workspace).returncode
    set_output("exit-code", code)
    set_output("base", base or "")
    if os.path.exists(report_json):
        with open(report_json, encoding="utf-8") as fh:
            found = counts(json.load(fh))
        for name, value in found.items():
            set_output(name, value)
    else:
        found = {}
        command("error", f"seawall wrote no report (exit code {code}); see the log above")
    for name, path in (("sarif-file", sarif), ("json-file", report_json), ("markdown-file", summary)):
        set_output(name, path if os.path.exists(path) else "")
    step_summary = env("GITHUB_STEP_SUMMARY")
    if step_summary and os.path.exists(summary):
        with open(summary, encoding="utf-8") as src, open(step_summary, "a", encoding="utf-8") as dst:
            dst.write(src.read())
    if found:
        print(f"seawall: {found['findings']} findings ({found['exposed']} exposed, {found['posture']} posture), exit code {code}")
    return 0


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_=./,:@" for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------- upload, finish


def upload_refused() -> int:
    """The SARIF upload step failed (it runs with ``continue-on-error``): say why it was most
    likely refused, as a warning; the findings are still in the log and the job summary."""
    payload = event()
    head, base = dig(payload, "pull_request", "head", "repo", "full_name"), dig(payload, "pull_request", "base", "repo", "full_name")
    forked = dig(payload, "pull_request", "head", "repo", "fork") is True or bool(head and base and head != base)
    if forked:
        reason = (
            "this pull request comes from a fork, whose token cannot write security events; "
            "the findings are in the annotations and the job summary"
        )
    else:
        reason = (
            "code scanning refused it: it may not be enabled for this repository, or the job lacks "
            "`permissions: security-events: write`; the findings are in the annotations and the job summary"
        )
    command("warning", f"the SARIF report was not uploaded to code scanning: {reason}", "seawall: SARIF upload refused")
    return 0


def finish() -> int:
    code_text = env("SEAWALL_EXIT_CODE").strip()
    if not code_text.isdigit():
        return fail("seawall did not run (see the scan step)")
    code = int(code_text)
    findings = env("SEAWALL_FINDINGS", "?")
    kinds = f"{env('SEAWALL_EXPOSED', '?')} public now, by default or in some cases; {env('SEAWALL_POSTURE', '?')} one step away"
    if code == 0:
        print(f"seawall: no finding that fails the run at or above fail-on ({findings} findings: {kinds})")
        return 0
    if code == 1:
        if flag("INPUT_SOFT_FAIL"):
            command("warning", f"seawall found findings that fail the run at or above fail-on ({findings} findings: {kinds}); soft-fail is on, so the job passes")
            return 0
        return fail(f"seawall found findings that fail the run at or above fail-on ({findings} findings: {kinds}; see the annotations and the job summary)")
    if code == 2:
        command("error", "seawall could not check every input (errors with their file and line above); soft-fail does not cover unchecked files")
        return 2
    return fail(f"seawall exited with {code}")


STEPS = {"prepare": prepare, "install": install, "scan": scan, "upload-refused": upload_refused, "finish": finish}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in STEPS:
        print(f"usage: {os.path.basename(argv[0])} {'|'.join(STEPS)}", file=sys.stderr)
        return 2
    return STEPS[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
