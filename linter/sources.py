"""Reading input files: size limits, binary detection, encodings, line endings.

Every parser reads through :func:`read_source`, so a bad file becomes one clear
:class:`SourceError` (with a line when one is known) and never a traceback.
"""

from __future__ import annotations

import json
import os

from linter.model import InputError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class SourceError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1, kind: str = "read") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.kind = kind


def text_encoding(data: bytes) -> str:
    """The encoding of a text file from its first bytes: UTF-32 or UTF-16 by their byte-order
    mark, or without one by the pattern of NUL bytes around a first ASCII character (the rule
    of JSON, RFC 8259, and of YAML 1.2 §5.2); otherwise UTF-8 (a UTF-8 BOM is dropped)."""
    encoding = json.detect_encoding(data[:4])
    return "utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding


def decode_source(data: bytes) -> str:
    """Bytes of a text file -> str with ``\\n`` line endings; raises SourceError when not text."""
    encoding = text_encoding(data)
    if encoding == "utf-8-sig":
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise SourceError("binary file (contains NUL bytes): not checked", line, kind="read")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        name = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise SourceError(
            f"not valid {name} (byte 0x{data[exc.start]:02x}): not checked; save the file as UTF-8", line, column, kind="read"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_head(path: str, size: int = 65536) -> str:
    """The first ``size`` bytes of a file as text, to tell what it holds (decoded as
    :func:`decode_source` would, undecodable bytes replaced); SourceError when unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(size)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", kind="read") from None
    return data.decode(text_encoding(data), errors="replace")


# what the unit of the scan in progress looked at (``linter/units.py``), while recording
_looked: set[str] | None = None


def looked_at(path: str) -> None:
    """Record that the unit being evaluated depends on ``path``: its content (or that it is
    missing) and the names in its folder. :func:`read_source` records every file it reads;
    code that checks for a file or lists a folder calls this itself."""
    if _looked is not None:
        _looked.add(os.path.normpath(path))


def start_recording() -> None:
    global _looked
    _looked = set()


def stop_recording() -> set[str]:
    global _looked
    looked, _looked = _looked or set(), None
    return looked


# path -> (what its stat said, digest) of the bytes this process last read from it
# (read_source, the planner): a fingerprint takes the digest when the file's stat is
# unchanged, instead of reading and hashing the file again
_DIGESTS: dict[str, tuple[tuple[int, int, int, int], str]] = {}
# a file changed this recently may change again within its clock's resolution without a
# different time (git's "racily clean" files): its digest is not remembered
_RACY_NS = 2_000_000_000


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def remember_digest(path: str, st: os.stat_result, data: bytes) -> str:
    """The digest of ``data``, read from ``path`` after ``st`` was taken; remembered unless
    the file changed in the last two seconds."""
    import hashlib
    import time

    digest = "f" + hashlib.sha256(data).hexdigest()
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS:
        _DIGESTS[os.path.normpath(path)] = (_stat_key(st), digest)
    return digest


def fingerprints(paths: set[str]) -> dict[str, str]:
    """Path -> a digest of what is there now: a file's bytes, a folder's names, or missing.
    Equal fingerprints mean a unit reads the same."""
    import hashlib
    import stat

    out: dict[str, str] = {}
    for path in sorted(paths):
        try:
            st = os.stat(path)
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                out[path] = "d" + hashlib.sha256("\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape")).hexdigest()
            elif stat.S_ISREG(mode):
                known = _DIGESTS.get(path)
                if known is not None and known[0] == _stat_key(st):
                    out[path] = known[1]
                    continue
                with open(path, "rb") as fh:
                    out[path] = remember_digest(path, st, fh.read())
            else:  # a pipe or a device is never opened: it could block the scan
                out[path] = f"s{stat.S_IFMT(mode)}"
        except OSError:
            out[path] = "-"
    return out


def read_source(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    looked_at(path)
    try:
        st = os.stat(path)
        size = st.st_size
        if size > max_bytes:
            raise SourceError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (max-file-size): not checked", kind="read")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", kind="read") from None
    if _looked is not None:  # a unit is recording what it reads: its fingerprint follows
        remember_digest(path, st, data)
    return decode_source(data)


def source_problem(path: str, exc: SourceError) -> InputError:
    """A SourceError as what the output shows: an input error. A file that looks like
    infrastructure code and could not be checked is never a clean result (the
    configuration's ``allow-unchecked`` turns chosen ones into notes, in the engine)."""
    return InputError(path, exc.line, exc.column, exc.message, exc.kind)


# texts given for paths instead of the files on disk (standard input, editor buffers),
# set by the engine for the scan in progress
_overrides: dict[str, str] = {}
# the lines of each file read for the scan in progress (fixes and excerpts of one file read
# it once: re-reading a large file per finding made a module of many resources quadratic)
_lines: dict[str, list[str]] = {}


def set_overrides(overrides: dict[str, str]) -> None:
    global _overrides
    _overrides = {os.path.normpath(k): v for k, v in overrides.items()}
    _lines.clear()


def forget_lines() -> None:
    """Drop the lines read so far (a unit of the scan is done with its files)."""
    _lines.clear()


def override_text(path: str) -> str | None:
    return _overrides.get(os.path.normpath(path)) if _overrides else None


def overridden_in(directory: str, suffixes: tuple[str, ...]) -> list[str]:
    """Names of overridden files directly in ``directory`` (an unsaved new buffer)."""
    directory = os.path.normpath(directory)
    return [os.path.basename(p) for p in _overrides if os.path.dirname(p) == directory and p.endswith(suffixes)]


def source_lines(path: str) -> list[str]:
    """The lines of a file as seawall read it (the override when there is one); none when
    it cannot be read. Read once per scan: the list is shared, never change it."""
    cached = _lines.get(path)
    if cached is not None:
        return cached
    text = override_text(path)
    if text is None:
        try:
            text = read_source(path)
        except SourceError:
            return []
    lines = _lines[path] = text.split("\n")
    return lines


def read_line(path: str, line: int) -> str:
    """One line of a file as seawall read it (the override when there is one)."""
    lines = source_lines(path)
    return lines[line - 1] if 0 < line <= len(lines) else ""

