"""Safe automatic fixes: rewrite one ``key = value`` entry to the value a rule declares safe.

A fix is offered only when it is certain to be right where it is applied: the finding is on
an attribute the rule names, the entry is written on one line in the reported file, and
its value is written there literally (a value that comes from a variable, a parameter or
a module argument is fixed where it is set, not by overwriting the reference).
"""

from __future__ import annotations

import json
import re

from linter.graph import Resource
from linter.model import Fix, Path, Span
from linter.ruleset import FixSpec
from linter.sources import read_line

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _hcl(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def _yaml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", text) and text.lower() not in ("true", "false", "yes", "no", "null", "on", "off") else json.dumps(text)


def make_fix(spec: FixSpec, holder: Resource, path: Path, span: Span, source_text: str | None = None) -> Fix | None:
    if not path or not isinstance(path[-1], str) or path[-1] not in spec.attributes:
        return None
    if span.line != span.end_line or span.file != holder.span.file and holder.format != "terraform":
        return None
    if holder.origins is not None and holder.origins(path):
        return None  # the value is set elsewhere (variable, parameter, argument)
    key = path[-1]
    line = source_text.split("\n")[span.line - 1] if source_text is not None and span.line <= source_text.count("\n") + 1 else read_line(span.file, span.line)
    written = line[span.column - 1 : span.end_column - 1]
    if not written.lstrip('"').startswith(key):
        return None  # the span is not a plain `key = value` entry
    title = spec.title or f"Set {key} to {spec.value}"
    if holder.format == "terraform":
        name = key if _BARE_KEY.match(key) else json.dumps(key)
        return Fix(span, f"{name} = {_hcl(spec.value)}", title)
    if written.startswith('"'):  # JSON
        return Fix(span, f"{json.dumps(key)}: {json.dumps(spec.value)}", title)
    return Fix(span, f"{key}: {_yaml(spec.value)}", title)
