"""The bundled example project: every planted mistake on its exact line, nothing on the
correct resources, and the S3 findings neutralised when the public access block is fixed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.model import Severity
from linter.ruleset import RuleSet

EXAMPLES = ROOT / "examples"

EXPECTED = {
    # medium, raised to high: the bucket is tagged data_classification = confidential
    ("aws-s3-public-access-not-blocked", "storage.tf", 17, Severity.HIGH),
    ("aws-s3-bucket-public-acl", "storage.tf", 25, Severity.CRITICAL),
    ("aws-s3-bucket-public-policy", "storage.tf", 36, Severity.CRITICAL),
    ("aws-security-group-public-ingress", "database.tf", 15, Severity.CRITICAL),
    ("aws-rds-publicly-accessible", "database.tf", 36, Severity.CRITICAL),
    # critical as written, high as conditional: nothing in the example uses the bastion group
    ("aws-security-group-public-ingress", "network.tf", 13, Severity.HIGH),
}


def findings(path: Path, rules: RuleSet):
    result = run(RunConfig(paths=[str(path)]), rules)
    assert not result.errors
    return result, {(f.rule_id, Path(f.span.file).name, f.span.line, f.severity) for f in result.findings}


def test_every_planted_mistake_and_nothing_else(rules: RuleSet) -> None:
    _, got = findings(EXAMPLES, rules)
    assert got == EXPECTED


def test_evidence_explains_where_values_come_from(rules: RuleSet) -> None:
    result, _ = findings(EXAMPLES, rules)
    acl = next(f for f in result.findings if f.rule_id == "aws-s3-bucket-public-acl")
    assert any(e.span and e.span.file.endswith("terraform.tfvars") and e.span.line == 4 for e in acl.evidence)
    rds = next(f for f in result.findings if f.rule_id == "aws-rds-publicly-accessible")
    assert any("aws_security_group.telemetry_db" in e.message and e.span and e.span.line == 15 for e in rds.evidence)


def test_the_command_from_the_readme_exits_1() -> None:
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", "examples/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout.count(": CRITICAL ") == 4 and proc.stdout.count(": HIGH ") == 2


def test_turning_on_the_block_neutralises_the_s3_findings(rules: RuleSet, tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    storage = copy / "storage.tf"
    text = storage.read_text()
    storage.write_text(text.replace("ignore_public_acls      = false", "ignore_public_acls      = true"))
    _, got = findings(copy, rules)
    rules_hit = {r for r, *_ in got}
    assert "aws-s3-bucket-public-acl" not in rules_hit
    assert "aws-s3-bucket-public-policy" in rules_hit  # restrict_public_buckets is still off
    storage.write_text(text.replace("= false", "= true"))
    _, got = findings(copy, rules)
    assert not {r for r, *_ in got} & {"aws-s3-bucket-public-acl", "aws-s3-bucket-public-policy", "aws-s3-public-access-not-blocked"}
