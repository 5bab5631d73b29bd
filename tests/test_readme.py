"""The README stays true: its rule table is generated from the rules, its test command is .ci/run's."""

from __future__ import annotations

import re

from linter.docs import update_readme
from linter.ruleset import RuleSet

from conftest import ROOT


def test_rule_table_is_current(rules: RuleSet) -> None:
    text = (ROOT / "README.md").read_text()
    assert update_readme(text, rules) == text, "README rule table is stale: run `python -m linter.docs` to regenerate it"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", readme)
    assert m, "README must show the test command in a sh block after <!-- test-command -->"
    ci = (ROOT / ".ci" / "run").read_text()
    assert m.group(1).strip() in ci
