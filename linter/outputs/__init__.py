"""Reporters: one module per ``--format``, each with ``render(result, rules) -> str``."""

from __future__ import annotations

import importlib
from typing import Callable

from linter.model import ScanResult
from linter.ruleset import RuleSet

FORMATS = {
    "text": "linter.outputs.text",
    "json": "linter.outputs.json",
}


def renderer(name: str) -> Callable[[ScanResult, RuleSet], str]:
    module = importlib.import_module(FORMATS[name])
    fn: Callable[[ScanResult, RuleSet], str] = module.render
    return fn
