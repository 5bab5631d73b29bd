"""The bundled example project: every planted mistake on its exact line with its verdict (one
of each), nothing on the correct resources, the run failing on exposures and showing the
posture finding apart, and the S3 findings neutralised when the public access block is fixed."""

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
    # the four flags off with nothing granted yet: one step away (high: the bucket is tagged
    # data_classification = confidential, which raises it)
    ("aws-s3-public-access-not-blocked", "storage.tf", 17, Severity.HIGH, "posture"),
    ("aws-s3-bucket-public-acl", "storage.tf", 25, Severity.CRITICAL, "exposed"),
    ("aws-s3-bucket-public-policy", "storage.tf", 36, Severity.CRITICAL, "exposed"),
    ("aws-security-group-public-ingress", "database.tf", 15, Severity.CRITICAL, "exposed"),
    ("aws-rds-publicly-accessible", "database.tf", 36, Severity.CRITICAL, "exposed"),
    # critical as written; nothing in the example uses the bastion group: public if it is used
    ("aws-security-group-public-ingress", "network.tf", 13, Severity.HIGH, "conditional"),
    # the admin host on a public address, its group admitting SSH from var.admin_cidr, whose
    # default (not set in terraform.tfvars) is the internet; the group's own finding is
    # merged into this one
    ("aws-instance-public-ip-open-ports", "network.tf", 68, Severity.HIGH, "default"),
    # a public policy attached only while a feature flag that is not known is on
    ("aws-s3-bucket-public-policy", "storage.tf", 96, Severity.HIGH, "conditional"),
    # SSH opened on nodes in private subnets: nothing reaches it today
    ("aws-eks-node-group-ssh-open", "cluster.tf", 36, Severity.LOW, "posture"),
    # the web load balancer's HTTPS open to the world: how websites work, shown one step away
    ("aws-security-group-public-web-ingress", "network.tf", 39, Severity.LOW, "posture"),
}


def findings(path: Path, rules: RuleSet):
    result = run(RunConfig(paths=[str(path)]), rules)
    assert not result.errors
    return result, {(f.rule_id, Path(f.span.file).name, f.span.line, f.severity, f.verdict) for f in result.findings}


def test_every_planted_mistake_and_nothing_else(rules: RuleSet) -> None:
    _, got = findings(EXAMPLES, rules)
    assert got == EXPECTED


def test_each_verdict_appears(rules: RuleSet) -> None:
    from linter.evaluation import VERDICTS

    assert {verdict for *_, verdict in EXPECTED} == set(VERDICTS)


def test_evidence_explains_where_values_come_from(rules: RuleSet) -> None:
    result, _ = findings(EXAMPLES, rules)
    acl = next(f for f in result.findings if f.rule_id == "aws-s3-bucket-public-acl")
    assert any(e.span and e.span.file.endswith("terraform.tfvars") and e.span.line == 4 for e in acl.evidence)
    rds = next(f for f in result.findings if f.rule_id == "aws-rds-publicly-accessible")
    assert any("aws_security_group.telemetry_db" in e.message and e.span and e.span.line == 15 for e in rds.evidence)
    admin = next(f for f in result.findings if f.verdict == "default")
    assert "var.admin_cidr" in admin.verdict_reason
    debug = next(f for f in result.findings if f.verdict == "conditional" and f.span.line == 96)
    assert "data.aws_ssm_parameter.debug_exports" in debug.verdict_reason


def seawall(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_command_from_the_readme_fails_on_exposures_and_shows_posture_apart() -> None:
    proc = seawall("scan", "examples/")
    assert proc.returncode == 1
    assert proc.stdout.count(": CRITICAL ") == 4 and proc.stdout.count(": HIGH ") == 4 and proc.stdout.count(": LOW ") == 2
    section = proc.stdout.index("one step away: 3 posture findings (nothing is reachable through them today; they fail the run only with --strict):")
    assert proc.stdout.index("examples/cluster.tf:36:5: LOW aws-eks-node-group-ssh-open [one step away]") > section
    assert proc.stdout.index("examples/network.tf:39:5: LOW aws-security-group-public-web-ingress [one step away]") > section
    # the debug bucket has no public access block, but it is public if its policy is created: not one step away
    assert "aws-s3-bucket-no-public-access-block" not in proc.stdout
    assert proc.stdout.count("[public now]") == 4 and proc.stdout.index("[public if]") < section and proc.stdout.index("[public by default]") < section
    assert "10 findings (4 critical, 4 high, 2 low) in 4 files: 4 public now, 1 public by default, 2 public if, 3 one step away;" in proc.stdout


def test_posture_alone_passes_and_strict_fails_it() -> None:
    only = ["scan", "examples/", "--select", "aws-eks-node-group-ssh-open,aws-security-group-public-web-ingress"]
    assert seawall(*only).returncode == 0
    strict = seawall(*only, "--strict")
    assert strict.returncode == 1 and "--strict: they fail the run like exposures" in strict.stdout


def test_the_readme_shows_one_finding_of_each_verdict_as_seawall_prints_it() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- verdict-examples -->\n```text\n", 1)[1].split("```", 1)[0]
    output = seawall("scan", "examples/").stdout
    shown = [line for line in block.splitlines() if line.strip() and line.strip() != "..."]
    assert {label for label in ("[public now]", "[public by default]", "[public if]", "[one step away]") if label in block} == {
        "[public now]", "[public by default]", "[public if]", "[one step away]"
    }
    for line in shown:
        assert line in output, f"README verdict example is stale: {line}"


def test_turning_on_the_block_neutralises_the_s3_findings(rules: RuleSet, tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    storage = copy / "storage.tf"
    text = storage.read_text()
    storage.write_text(text.replace("ignore_public_acls      = false", "ignore_public_acls      = true"))
    _, got = findings(copy, rules)
    rules_hit = {r for r, name, line, *_ in got if name == "storage.tf" and line < 80}
    assert "aws-s3-bucket-public-acl" not in rules_hit
    assert "aws-s3-bucket-public-policy" in rules_hit  # restrict_public_buckets is still off
    storage.write_text(text.replace("= false", "= true"))
    _, got = findings(copy, rules)
    # the debug exports bucket (line 80 on) has no public access block of its own
    customer_data = {r for r, name, line, *_ in got if name == "storage.tf" and line < 80}
    assert not customer_data & {"aws-s3-bucket-public-acl", "aws-s3-bucket-public-policy", "aws-s3-public-access-not-blocked"}
