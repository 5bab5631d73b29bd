"""Documentation generated from the rule files (the README's rule table)."""

from __future__ import annotations

import re

from linter.ruleset import RuleSet

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
FORMAT_NAMES = {"terraform": "Terraform", "cloudformation": "CloudFormation", "kubernetes": "Kubernetes"}


def rules_table(rules: RuleSet) -> str:
    rows = ["| rule | severity | formats | what it finds |", "|---|---|---|---|"]
    for rule in sorted(rules, key=lambda r: (r.provider or "~", r.id)):
        formats = ", ".join(FORMAT_NAMES[f] for f in rule.formats)
        rows.append(f"| `{rule.id}` | {rule.severity} | {formats} | {rule.title} |")
    return "\n".join(rows)


def update_readme(text: str, rules: RuleSet) -> str:
    block = f"{START}\n{len(rules.rules)} rules.\n\n{rules_table(rules)}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)


def main() -> None:
    """``python -m linter.docs``: regenerate the README's rule table in place."""
    from pathlib import Path

    from linter.ruleset import load_rules

    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(update_readme(readme.read_text(), load_rules()))


if __name__ == "__main__":
    main()
