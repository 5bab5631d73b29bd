"""Reading repositories at a commit without touching them.

Decision: a commit is laid out by reading its tree with git's plumbing (``ls-tree`` lists
the blobs, one ``cat-file --batch`` streams them) into a folder of our own, not by
``git worktree add`` nor ``git archive``:

- nothing in the repository changes: ``worktree add`` writes under ``.git/worktrees`` (a
  read-only or shared checkout fails, a killed worker leaves an entry behind, two scans
  of one repository contend for its lock);
- the blobs are the committed bytes: ``archive`` and ``checkout`` apply the repository's
  filters (a ``smudge`` command configured in ``.git/config`` would run: code from the
  scanned repository) and ``archive`` leaves out files marked ``export-ignore`` in
  ``.gitattributes`` (a repository could hide its Terraform from the scan that way);
- it works the same on bare repositories and clones made for the scan.

Submodules (gitlinks) are not followed; each is a note. Symbolic links are recreated as
links; the scan itself never follows one out of the folder.

Every git call disables hooks and fsmonitor and never asks for credentials.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from msgspec import Struct

_GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "advice.detachedHead=false"]
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
TIMEOUT = 600


class GitError(Exception):
    """A git command failed: the message says which and why."""


def git(args: list[str], cwd: str, timeout: int = TIMEOUT) -> str:
    try:
        proc = subprocess.run(_GIT + args, cwd=cwd, capture_output=True, timeout=timeout, env={**os.environ, **_ENV})
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except NotADirectoryError:
        raise GitError(f"{cwd} is not a folder") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} did not finish in {timeout} s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or proc.stdout.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args[:2])}: {message.splitlines()[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout.decode("utf-8", "replace")


class Repository(Struct, frozen=True):
    """A local git repository and the folder of it a source names (``prefix``, "" for all)."""

    git_dir: str  # where git commands run
    prefix: str  # the source's folder inside the repository, "/"-separated, "" for the root


def find_repository(path: str) -> Repository | None:
    """The repository holding the folder ``path`` (a work tree, a folder in one, or a bare
    repository), or None when it is not in git; GitError when ``path`` holds a ``.git``
    that git cannot read (a corrupt checkout is reported, never scanned as a folder)."""
    try:
        inside = git(["rev-parse", "--is-inside-work-tree", "--is-bare-repository", "--show-prefix"], path).split("\n")
    except GitError as exc:
        if os.path.lexists(os.path.join(path, ".git")):  # a checkout git cannot read is not a plain folder
            raise GitError(f"{path} has a .git that git cannot read: {exc}") from None
        return None
    if inside[:1] == ["true"]:
        return Repository(path, inside[2].strip().rstrip("/") if len(inside) > 2 else "")
    if inside[1:2] == ["true"]:
        return Repository(path, "")
    return None


def resolve(repo: Repository, ref: str) -> tuple[str, int]:
    """The commit ``ref`` names and its committer time (seconds since the epoch)."""
    out = git(["log", "-1", "--format=%H %ct", "--end-of-options", f"{ref}^{{commit}}", "--"], repo.git_dir).split()
    if len(out) != 2:
        raise GitError(f"no commit {ref}")
    return out[0], int(out[1])


def config_identity(repo: Repository, commit: str, names: tuple[str, ...]) -> str:
    """The blob ids of the configuration files that could apply to the source at
    ``commit`` (its folder and every folder above it): they change when any of them does."""
    parts = repo.prefix.split("/") if repo.prefix else []
    candidates: list[str] = []
    for depth in range(len(parts), -1, -1):
        folder = "/".join(parts[:depth])
        candidates.extend(f"{folder}/{n}" if folder else n for n in names)
    out = git(["ls-tree", "--full-tree", "-z", commit, "--", *candidates], repo.git_dir)
    entries = sorted(e for e in out.split("\0") if e)
    return ";".join(entries)


def first_parents(repo: Repository, commit: str, stop: str | None, limit: int) -> tuple[list[tuple[str, int]], str]:
    """The commits before ``commit`` on its first-parent line, newest first, and why the
    list ends: "previous" (the next one is ``stop``), "root" (there is none) or "limit"
    (``limit`` commits were listed and there are more)."""
    out = git(["log", "--first-parent", f"--max-count={max(limit, 0) + 2}", "--format=%H %ct", commit, "--"], repo.git_dir)
    older = [(sha, int(when)) for sha, _, when in (line.partition(" ") for line in out.splitlines()[1:])]
    commits: list[tuple[str, int]] = []
    for sha, when in older:
        if sha == stop:
            return commits, "previous"
        if len(commits) == limit:
            return commits, "limit"
        commits.append((sha, when))
    return commits, "root"


def materialize(repo: Repository, commit: str, dest: str) -> list[str]:
    """Write the files of ``commit`` (under the source's prefix) into the empty folder
    ``dest``, keeping their paths; returns notes on what was not written."""
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if repo.prefix:
        args += ["--", repo.prefix]
    listing = git(args, repo.git_dir)
    blobs: list[tuple[str, str, str]] = []  # (mode, oid, path)
    notes = []
    for entry in listing.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "commit":
            notes.append(f"{path}: a git submodule, not scanned")
        elif kind == "blob":
            blobs.append((mode, oid, path))
    if not blobs:
        return notes
    root = os.path.realpath(dest)
    proc = subprocess.Popen(_GIT + ["cat-file", "--batch"], cwd=repo.git_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **_ENV})
    assert proc.stdin is not None and proc.stdout is not None
    try:
        # git reads all the ids first: its answers would fill the pipe while we write them
        ids = "".join(f"{oid}\n" for _, oid, _ in blobs).encode()
        import threading

        writer = threading.Thread(target=_feed, args=(proc.stdin, ids), daemon=True)
        writer.start()
        for mode, oid, path in blobs:
            header = proc.stdout.readline().decode().split()
            if len(header) != 3 or header[0] != oid:
                raise GitError(f"git cat-file: unexpected answer for {path}: {' '.join(header)}")
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)
            target = os.path.join(root, *path.split("/"))
            parent = os.path.dirname(target)
            os.makedirs(parent, exist_ok=True)
            if not os.path.realpath(parent).startswith(root):  # never write outside dest
                notes.append(f"{path}: not written (its folder leads outside the checkout)")
                continue
            if mode == "120000":
                os.symlink(data.decode("utf-8", "surrogateescape"), target)
            else:
                with open(target, "wb") as fh:
                    fh.write(data)
        writer.join()
    finally:
        proc.stdout.close()
        proc.wait(timeout=60)
    return notes


def _feed(stream: object, data: bytes) -> None:
    try:
        stream.write(data)  # type: ignore[attr-defined]
        stream.close()  # type: ignore[attr-defined]
    except OSError:  # git stopped early; its error is read from the other side
        pass


def clone(url: str, dest: str) -> None:
    """A bare, partial clone of ``url`` into ``dest`` (or an update of the clone already
    there): every commit and tree, and only the file contents a scan reads (fetched when
    first read; a server without partial clone sends them all)."""
    if os.path.isdir(os.path.join(dest, "objects")):
        git(["fetch", "--quiet", "--prune", "--force", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], dest)
        return
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    git(["clone", "--quiet", "--bare", "--filter=blob:none", "--no-hardlinks", "--", url, dest], os.path.dirname(dest))
