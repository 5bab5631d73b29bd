"""Documentation generated from the code: the README's rule table, its table of verdicts
and severity (from ``evaluation.SEVERITY_TABLE``), its exposure diagram, the terminal
capture in ``docs/images/terminal.svg``, the reference of named checks in
``docs/writing-rules.md`` (from each check's docstring and params schema), and the peer map
``docs/coverage.md`` (from ``linter/coverage.yaml``, see linter/coverage.py).

``python -m linter.docs`` regenerates them all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from linter import coverage
from linter.evaluation import SEVERITY_TABLE
from linter.ruleset import RuleSet

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
DIAGRAM_START, DIAGRAM_END = "<!-- exposure:start -->", "<!-- exposure:end -->"
TERMINAL_SVG = "docs/images/terminal.svg"
EXAMPLE_COMMAND = ["scan", "examples", "--no-config"]
FORMAT_NAMES = {"terraform": "Terraform", "cloudformation": "CloudFormation", "kubernetes": "Kubernetes"}
CHECKS_START, CHECKS_END = "<!-- checks:start -->", "<!-- checks:end -->"
VERDICTS_START, VERDICTS_END = "<!-- verdicts:start -->", "<!-- verdicts:end -->"
WRITING_RULES = "docs/writing-rules.md"


def _schema_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(_schema_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_schema_type(schema.get('items', {}))}"
    if kind == "object" and "properties" in schema:
        return "mapping: " + ", ".join(f"`{k}`" for k in schema["properties"])
    return str(kind)


def checks_reference(rules: RuleSet) -> str:
    """Markdown for every named check: what it decides, its params, the rules using it."""
    from linter.checks import registry

    used: dict[str, list[str]] = {}
    for rule in rules:
        if rule.check not in (None, "python"):
            used.setdefault(str(rule.check), []).append(rule.id)
    parts = []
    for name, check in sorted(registry().items()):
        props: dict[str, Any] = check.params.get("properties", {})
        required = set(check.params.get("required", ()))
        rows = ["| param | type | what it says |", "|---|---|---|"]
        for key, schema in props.items():
            text = " ".join(str(schema.get("description", "")).split()).replace("|", "\\|")
            rows.append(f"| `{key}`{' (required)' if key in required else ''} | {_schema_type(schema)} | {text} |")
        users = ", ".join(f"`{r}`" for r in sorted(used.get(name, []))) or "none"
        body = "\n\n".join(p for p in (check.summary, check.doc) if p)
        parts.append(f"### `{name}`\n\n{body}\n\n" + "\n".join(rows) + f"\n\nUsed by: {users}.")
    return "\n\n".join(parts)


def update_writing_rules(text: str, rules: RuleSet) -> str:
    return _replace_block(text, CHECKS_START, CHECKS_END, checks_reference(rules))


def rules_table(rules: RuleSet) -> str:
    rows = ["| rule | severity | formats | what it finds |", "|---|---|---|---|"]
    for rule in sorted(rules, key=lambda r: (r.provider or "~", r.id)):
        formats = ", ".join(FORMAT_NAMES[f] for f in rule.formats)
        # a rule whose every finding has one verdict shows the severity its findings get
        severity = f"{SEVERITY_TABLE[rule.verdict][rule.severity]} ({rule.verdict})" if rule.verdict else str(rule.severity)
        rows.append(f"| `{rule.id}` | {severity} | {formats} | {rule.title} |")
    return "\n".join(rows)


def verdicts_table() -> str:
    """The severity of a finding by the rule's severity (how bad the exposure is when public
    as written) and the finding's verdict: ``evaluation.SEVERITY_TABLE`` as Markdown."""
    from linter.evaluation import SEVERITY_TABLE
    from linter.model import Severity
    from linter.verdicts import label

    verdicts = list(SEVERITY_TABLE)
    rows = ["| rule's severity | " + " | ".join(f"{label(v)} (`{v}`)" for v in verdicts) + " |", "|---|" + "---|" * len(verdicts)]
    for severity in sorted(Severity, reverse=True):
        rows.append(f"| {severity} | " + " | ".join(str(SEVERITY_TABLE[v][severity]) for v in verdicts) + " |")
    return "\n".join(rows)


def _replace_block(text: str, start: str, end: str, body: str) -> str:
    return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: f"{start}\n{body}\n{end}", text, flags=re.S)


def update_readme(text: str, rules: RuleSet, diagram: str | None = None) -> str:
    text = _replace_block(text, START, END, f"{len(rules.rules)} rules.\n\n{rules_table(rules)}")
    text = _replace_block(text, VERDICTS_START, VERDICTS_END, verdicts_table())
    if diagram is not None:
        text = _replace_block(text, DIAGRAM_START, DIAGRAM_END, f"```mermaid\n{diagram}```")
    return text


def example_diagram(root: Path) -> str:
    """``seawall graph examples``: Mermaid of how the example project's findings are reached."""
    proc = _seawall(root, ["graph", *EXAMPLE_COMMAND[1:]])
    return proc.stdout


def terminal_svg(root: Path) -> str:
    """What ``seawall scan examples`` shows in a colour terminal, as an SVG picture."""
    import io

    from rich.console import Console
    from rich.text import Text

    proc = _seawall(root, [*EXAMPLE_COMMAND, "--color", "always"])
    console = Console(record=True, width=132, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(Text.from_ansi(proc.stdout.rstrip("\n")), soft_wrap=False, crop=False)
    return console.export_svg(title="seawall scan examples")


def _seawall(root: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(root / ".docs-cache"), "NO_COLOR": ""}
    proc = subprocess.run([sys.executable, "-m", "linter", *args], cwd=root, capture_output=True, text=True, env=env)
    shutil.rmtree(root / ".docs-cache", ignore_errors=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"seawall {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def main() -> None:
    """``python -m linter.docs``: regenerate the README's rule table, verdict table and
    exposure diagram, and the terminal picture, from a checkout."""
    from linter.ruleset import load_rules

    root = Path(__file__).resolve().parent.parent
    rules = load_rules()
    readme = root / "README.md"
    readme.write_text(update_readme(readme.read_text(), rules, example_diagram(root)))
    guide = root / WRITING_RULES
    guide.write_text(update_writing_rules(guide.read_text(), rules))
    (root / coverage.DOC).write_text(coverage.page(rules))
    picture = root / TERMINAL_SVG
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_text(terminal_svg(root))
    print(f"updated {readme.name}, {WRITING_RULES}, {coverage.DOC} and {TERMINAL_SVG}")


if __name__ == "__main__":
    main()
