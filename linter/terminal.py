"""What the terminal gets: colour and a progress bar only for a person watching.

Colour follows ``--color`` (auto, always, never); in ``auto`` it is on when the stream is a
terminal, ``NO_COLOR`` is unset or empty (https://no-color.org) and ``TERM`` is not
``dumb``. A progress bar is drawn only for the ``text`` format, on a standard error that is
a terminal, and never with ``--quiet``: pipes, CI logs and machine formats never see one.
"""

from __future__ import annotations

import os
from typing import TextIO

COLOR_CHOICES = ("auto", "always", "never")


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def color_wanted(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def progress_wanted(fmt: str, quiet: bool, stream: TextIO) -> bool:
    return fmt == "text" and not quiet and os.environ.get("TERM") != "dumb" and is_terminal(stream)
