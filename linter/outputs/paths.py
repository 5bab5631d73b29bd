"""How reports name files: relative to the current directory (a CI workspace, a repository
root) with forward slashes, or absolute when the file is outside it."""

from __future__ import annotations

import os


def relative_path(file: str) -> str | None:
    """``file`` relative to the current directory with forward slashes, or None when outside it."""
    full = os.path.abspath(file)
    try:
        rel = os.path.relpath(full, os.getcwd())
    except ValueError:  # another drive (Windows)
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.replace(os.sep, "/")


def report_path(file: str) -> str:
    """The relative path when inside the current directory, else the absolute one."""
    rel = relative_path(file)
    return rel if rel is not None else os.path.abspath(file).replace(os.sep, "/")
