"""``--new-only BASE_REF``: report only the findings a change introduces.

The base revision is checked out in a temporary ``git worktree`` (with hooks disabled, so
nothing from the repository runs), scanned with the same configuration and paths, and
every finding of the current tree whose baseline fingerprint also occurs in the base is
marked as pre-existing: still visible in machine formats, but not counted. A pull request
that touches one bucket is not blamed for the repository's history.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from msgspec.structs import replace

from linter.baseline import fingerprint
from linter.config import RunConfig
from linter.model import ScanResult, Suppression
from linter.ruleset import RuleSet

_GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "advice.detachedHead=false"]


class NewOnlyError(Exception):
    pass


def _git(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(_GIT + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise NewOnlyError("--new-only needs git, which was not found") from None
    except subprocess.TimeoutExpired:
        raise NewOnlyError(f"git {' '.join(args)} did not finish") from None
    if proc.returncode != 0:
        raise NewOnlyError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def repository_root(path: str) -> str:
    start = path if os.path.isdir(path) else os.path.dirname(path) or "."
    return os.path.realpath(_git(["rev-parse", "--show-toplevel"], start))


def _git_ok(args: list[str], cwd: str) -> str | None:
    """``git args`` output, or None when git says no."""
    try:
        return _git(args, cwd)
    except NewOnlyError:
        return None


def resolve_base(base_ref: str, repo: str) -> str:
    """The commit ``base_ref`` names, or a NewOnlyError saying that it does not exist here
    and how to fetch it (a CI checkout often has only the commit under test)."""
    commit = _git_ok(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{base_ref}^{{commit}}"], repo)
    if commit:
        return commit
    hints = []
    name = re.split(r"[~^@:]", base_ref, maxsplit=1)[0]  # `main` of `main~3`
    if not name or not _git_ok(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"], repo):
        remotes = (_git_ok(["remote"], repo) or "").split()
        remote, _, branch = name.partition("/")
        if remote in remotes and branch:
            hints.append(f"fetch it first: `git fetch {remote} {branch}`")
        else:
            remote = remotes[0] if remotes else "origin"
            hints.append(f"fetch it first: `git fetch {remote} {name}`, then use --new-only {remote}/{name}")
    if _git_ok(["rev-parse", "--is-shallow-repository"], repo) == "true":
        hints.append(
            "this is a shallow clone, which lacks older commits: fetch the history (`git fetch --unshallow`), "
            "or check out with `fetch-depth: 0` (actions/checkout)"
        )
    elif not hints:
        hints.append(f"{name} exists, but its history has no such revision")
    raise NewOnlyError(f"--new-only {base_ref}: no such commit, branch or tag in the git repository {repo}; " + "; ".join(hints))


def _map_path(path: str, repo: str, tree: str) -> str:
    full = os.path.realpath(path)
    rel = os.path.relpath(full, repo)
    if rel.startswith(".."):
        raise NewOnlyError(f"{path} is outside the git repository {repo}")
    return os.path.join(tree, rel)


def new_only(config: RunConfig, rules: RuleSet, base_ref: str, head: ScanResult) -> ScanResult:
    """``head`` (the scan of the working tree) with pre-existing findings marked."""
    from linter.engine import run

    paths = [p for p in config.paths if p not in config.overrides]
    repo = repository_root(paths[0] if paths else ".")
    resolve_base(base_ref, repo)
    parent = tempfile.mkdtemp(prefix="seawall-base-")
    tree = os.path.join(parent, "base")
    try:
        _git(["worktree", "add", "--detach", "--force", tree, base_ref], repo)
        try:
            base_config = replace(
                config,
                paths=[_map_path(p, repo, tree) for p in paths if os.path.exists(_map_path(p, repo, tree))],
                overrides={},
                baseline=None,
                var_files=[_map_path(p, repo, tree) if os.path.realpath(p).startswith(repo) else p for p in config.var_files],
            )
            base = run(base_config, rules) if base_config.paths else ScanResult()
        finally:
            _git(["worktree", "remove", "--force", tree], repo)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    known = {fingerprint(f, tree) for f in base.findings}
    marked = []
    for f in head.findings:
        if f.suppression is None and fingerprint(f, repo) in known:
            f = replace(f, suppression=Suppression("preexisting", f"already present in {base_ref}"))
        marked.append(f)
    return replace(head, findings=marked, compared_with=base_ref)
