"""The README stays true: its rule table is generated from the rules, its test command is .ci/run's."""

from __future__ import annotations

import re

from conftest import ROOT

from linter.docs import TERMINAL_SVG, example_diagram, update_readme
from linter.ruleset import RuleSet


def test_rule_table_is_current(rules: RuleSet) -> None:
    text = (ROOT / "README.md").read_text()
    assert update_readme(text, rules) == text, "README rule table is stale: run `python -m linter.docs` to regenerate it"


def test_pictures_are_current(rules: RuleSet) -> None:
    text = (ROOT / "README.md").read_text()
    diagram = example_diagram(ROOT)
    assert "aws_db_instance.telemetry" in diagram
    assert update_readme(text, rules, diagram) == text, "README exposure diagram is stale: run `python -m linter.docs`"
    svg = (ROOT / TERMINAL_SVG).read_text()
    assert f"]({TERMINAL_SVG})" in text
    # the capture shows the example's findings (rich writes spaces as &#160;)
    flat = svg.replace("&#160;", " ")
    for rule in ("aws-s3-bucket-public-acl", "aws-rds-publicly-accessible", "aws-s3-public-access-not-blocked"):
        assert rule in flat, f"{TERMINAL_SVG} is stale: run `python -m linter.docs`"
    assert "10 findings (4 critical, 4 high, 2 low)" in flat and "[one step away]" in flat


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", readme)
    assert m, "README must show the test command in a sh block after <!-- test-command -->"
    ci = (ROOT / ".ci" / "run").read_text()
    assert m.group(1).strip() in ci


def test_custom_rule_example_in_the_readme_works(tmp_path) -> None:
    from linter.config import RunConfig
    from linter.engine import run
    from linter.ruleset import load_rules

    readme = (ROOT / "README.md").read_text()
    m = re.search(r"`security/seawall-rules/(acme-[a-z0-9-]+)\.yaml`:\n\n```yaml\n(.*?)```", readme, re.S)
    assert m, "the README shows one complete custom rule"
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / f"{m.group(1)}.yaml").write_text(m.group(2))
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.tf").write_text('resource "aws_s3_bucket" "a" {\n  tags = { Owner = "x" }\n}\nresource "aws_s3_bucket" "b" {}\n')
    (project / "t.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n')
    result = run(RunConfig(paths=[str(project)], select=[m.group(1)]), load_rules([str(rules_dir)]))
    assert sorted(f.resource for f in result.findings) == ["B", "aws_s3_bucket.b"]


def test_checks_reference_is_current(rules) -> None:
    from linter.docs import WRITING_RULES, update_writing_rules

    text = (ROOT / WRITING_RULES).read_text()
    assert update_writing_rules(text, rules) == text, f"{WRITING_RULES} checks reference is stale: run `python -m linter.docs`"


def test_verdict_table_is_generated_from_the_severity_table() -> None:
    from linter.docs import VERDICTS_END, VERDICTS_START, verdicts_table
    from linter.evaluation import SEVERITY_TABLE

    text = (ROOT / "README.md").read_text()
    block = text.split(VERDICTS_START, 1)[1].split(VERDICTS_END, 1)[0]
    assert block.strip() == verdicts_table(), "README verdict table is stale: run `python -m linter.docs`"
    rows = [line.split(" | ") for line in verdicts_table().splitlines()[2:]]
    assert [row[0].strip("| ") for row in rows] == ["critical", "high", "medium", "low"]
    assert [row[-1].strip("| ") for row in rows] == [str(SEVERITY_TABLE["posture"][s]) for s in sorted(SEVERITY_TABLE["posture"], reverse=True)]
