"""Containing seawall's own failures: one broken file or rule never stops the scan.

An unexpected exception while reading one file (or evaluating one resource) becomes an
input error of kind ``internal`` for that file, with a short message and how to report
it; the scan goes on and the exit code says inputs had errors. ``--debug`` puts the
traceback in the message.
"""

from __future__ import annotations

from linter.model import InputError

_debug = False


def set_debug(value: bool) -> None:
    global _debug
    _debug = value


def internal_error(file: str, exc: BaseException, what: str = "reading this file", line: int = 1) -> InputError:
    if _debug:
        import traceback  # only for --debug: a scan's start-up does not pay for it

        detail = traceback.format_exc()
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return InputError(
        file,
        line,
        1,
        f"internal error while {what}: {detail} (this is a bug in seawall: please report it to its maintainers with this message; --debug shows the traceback)",
        "internal",
    )
