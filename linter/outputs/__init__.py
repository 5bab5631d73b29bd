"""Reporters: one module per ``--format``, each with ``render(result, rules) -> str``.

A reporter only formats: it never scans, filters or decides exit codes. Reporters are
imported when used, so a scan pays only for the format it prints.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads FORMATS before anything is scanned
    from linter.model import ScanResult
    from linter.ruleset import RuleSet

FORMATS = {
    "text": "linter.outputs.text",
    "json": "linter.outputs.json",
    "sarif": "linter.outputs.sarif",
    "junit": "linter.outputs.junit",
    "github": "linter.outputs.github",
    "gitlab": "linter.outputs.gitlab",
    "markdown": "linter.outputs.markdown",
}


def renderer(name: str) -> Callable[[ScanResult, RuleSet], str]:
    module = importlib.import_module(FORMATS[name])
    fn: Callable[[ScanResult, RuleSet], str] = module.render
    return fn
