"""What a fleet is made of: SOURCES, a file listing repositories or a folder of checkouts.

A list file has one source a line; ``#`` starts a comment; words are split like a shell
splits them (quote a path with spaces)::

    LOCATION [REF] [name=NAME] [link=TEMPLATE]

- a local path (relative to the list file): a git repository, or a folder inside one (a
  project of a monorepo), scanned at REF (default ``HEAD``); a folder outside git is
  scanned as it is; a Terraform state file (``.tfstate``) or plan JSON
  (``terraform show -json``) is scanned as it is;
- a git URL (``https://``, ``ssh://``, ``git://``, ``user@host:path``): cloned only with
  ``--allow-network``; ``file://`` URLs are local and need no permission.

``name=`` is the repository's key in the history (default: the location as written);
``link=`` the template of links to file lines (see ``report.py``).

A folder given as SOURCES is a folder of checkouts: each entry in it (a folder, a state
or plan file) is a source named after it, scanned at ``HEAD``.

Every problem with an entry (a path that does not exist, a URL without permission, a
name used twice) is a source that cannot be scanned, reported with its line; the rest of
the fleet is scanned.

Sources are yielded one at a time, as they are read: the coordinator plans and dispatches
each one before reading the next (``scan.py``), so the first units run while the rest of a
long list is still being read, and only the names seen so far are kept (to refuse a name
used twice).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Iterator

from msgspec import Struct

STATE_SUFFIXES = (".tfstate", ".json")
_NETWORK_URL = re.compile(r"^(?:https?|ssh|git|git\+ssh|ssh\+git)://|^[\w.-]+@[\w.-]+:")


class SourcesError(Exception):
    """SOURCES itself cannot be read: nothing can be scanned."""


class Source(Struct, frozen=True):
    """One repository (or state file) of the fleet."""

    name: str
    location: str  # an absolute local path, or a URL
    kind: str  # "local" (a path: git, a folder or a file) | "url"
    ref: str = "HEAD"
    link: str = ""  # a link template for its files, if the list gives one
    problem: str = ""  # why it cannot be scanned, when that is known before trying
    where: str = ""  # "list.txt:12", the line that lists it

    @property
    def needs_network(self) -> bool:
        return self.kind == "url" and not self.location.startswith("file://")


def read_sources(path: str) -> Iterator[Source]:
    """The sources of a list file or of a folder of checkouts, one at a time. The list
    itself is read (or the folder listed) now: SourcesError is raised here, before any
    source is yielded."""
    if os.path.isdir(path):
        return _folder(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the list of sources: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SourcesError(f"{path}: the list of sources is not UTF-8 text ({exc.reason})") from None
    return parse_sources(text, path)


def parse_sources(text: str, path: str) -> Iterator[Source]:
    return _unique(_entries(text, path))


def _entries(text: str, path: str) -> Iterator[Source]:
    base = os.path.dirname(os.path.abspath(path))
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{path}:{number}"
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            yield Source(name=f"{path}:{number}", location=line.strip(), kind="local", problem=f"cannot read this line: {exc}", where=where)
            continue
        if words:
            yield _entry(words, base, where)


def _entry(words: list[str], base: str, where: str) -> Source:
    location, rest = words[0], words[1:]
    options: dict[str, str] = {}
    positional: list[str] = []
    for word in rest:
        key, sep, value = word.partition("=")
        if sep and key in ("name", "link", "ref"):
            options[key] = value
        else:
            positional.append(word)
    problem = ""
    if len(positional) > 1:
        problem = f"unexpected words {' '.join(positional[1:])!r} (expected: LOCATION [REF] [name=NAME] [link=TEMPLATE])"
    ref = options.get("ref") or (positional[0] if positional else "HEAD")
    if _NETWORK_URL.match(location) or location.startswith("file://"):
        kind, full = "url", location
        name = options.get("name") or _url_name(location)
    else:
        kind = "local"
        full = os.path.normpath(os.path.join(base, os.path.expanduser(location)))
        name = options.get("name") or os.path.normpath(location)
        if not problem and not os.path.exists(full):
            problem = f"{full} does not exist"
    return Source(name=name, location=full, kind=kind, ref=ref, link=options.get("link", ""), problem=problem, where=where)


def _url_name(url: str) -> str:
    """``https://user:token@github.com/acme/infra.git`` -> ``github.com/acme/infra``."""
    text = re.sub(r"^[a-z+]+://", "", url)
    text = re.sub(r"^[^@/]*@", "", text)  # credentials or the ssh user
    text = text.replace(":", "/", 1) if ":" in text.split("/", 1)[0] else text
    return text.removesuffix("/").removesuffix(".git")


def _folder(path: str) -> Iterator[Source]:
    base = os.path.abspath(path)
    try:
        names = sorted(os.listdir(base))
    except OSError as exc:
        raise SourcesError(f"{path}: cannot list the folder of checkouts: {exc.strerror or exc}") from None
    return _checkouts(base, names)


def _checkouts(base: str, names: list[str]) -> Iterator[Source]:
    for name in names:
        full = os.path.join(base, name)
        if name.startswith("."):
            continue
        if os.path.isdir(full) or name.endswith(STATE_SUFFIXES):
            yield Source(name=name, location=full, kind="local", where=full)


def _unique(sources: Iterable[Source]) -> Iterator[Source]:
    """A name listed twice would mix two histories: the later entries are problems."""
    seen: dict[str, str] = {}
    for s in sources:
        if s.name in seen:
            s = Source(name=f"{s.name} ({s.where})", location=s.location, kind=s.kind, ref=s.ref, problem=f"the name {s.name!r} is already used at {seen[s.name]} (give name=...)", where=s.where)
        else:
            seen[s.name] = s.where
        yield s
