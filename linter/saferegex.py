"""Regular expressions from untrusted places (scanned code, users' rules), with a time bound.

Patterns come from code we scan (Terraform's ``regex()``) and from users' rule files. A
pathological pattern must not hang a pre-commit hook, so matching uses the ``regex``
library's timeout, and compiled patterns are cached.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

TIMEOUT_SECONDS = 0.25


class RegexError(Exception):
    pass


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    import regex  # imported when a pattern is first used: most scans never need it

    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as exc:
        raise RegexError(f"invalid regular expression {pattern!r}: {exc}") from None


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args, timeout=TIMEOUT_SECONDS)
    except TimeoutError:
        raise RegexError(f"regular expression took longer than {TIMEOUT_SECONDS}s and was stopped") from None


def safe_search(pattern: str, text: str) -> Any:
    return _guard(compile_pattern(pattern).search, text)


def safe_fullmatch(pattern: str, text: str) -> Any:
    return _guard(compile_pattern(pattern).fullmatch, text)


def safe_finditer(pattern: str, text: str) -> Iterator[Any]:
    return iter(_guard(lambda t, timeout: list(compile_pattern(pattern).finditer(t, timeout=timeout)), text))


def safe_sub(pattern: str, repl: str, text: str) -> str:
    return str(_guard(compile_pattern(pattern).sub, repl, text))
