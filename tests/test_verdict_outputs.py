"""Every verdict shown in every format, and what fails the run (issue 15, items 3 and 4):
exposed, default and conditional findings at or above fail-on fail it; posture findings are
reported in their own section and fail it only when strict."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT
from msgspec.structs import replace

from linter.config import RunConfig
from linter.engine import run
from linter.model import Finding, ScanResult, Severity
from linter.outputs import renderer
from linter.outputs.sarif import SECURITY_SEVERITY
from linter.ruleset import RuleSet

ACL = "aws-s3-bucket-public-acl"
NODES = "aws-eks-node-group-ssh-open"
SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"

# one finding of each verdict: a literal ACL (public now), an ACL from a variable default
# (public by default), one that exists only if an unknown flag is on (public if), and EKS
# nodes opening SSH in subnets with no route from the internet (one step away)
BUCKETS = """\
variable "acl" {
  default = "public-read"
}
variable "debug" {
  type = bool
}
resource "aws_s3_bucket" "now" {
  bucket = "now"
  acl    = "public-read"
}
resource "aws_s3_bucket" "by_default" {
  bucket = "by-default"
  acl    = var.acl
}
resource "aws_s3_bucket" "debug" {
  count  = var.debug ? 1 : 0
  bucket = "debug"
  acl    = "public-read"
}
"""
LINES = {"exposed": 9, "default": 13, "conditional": 18}


def write_project(root: Path, buckets: bool = True, nodes: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if buckets:
        (root / "main.tf").write_text(BUCKETS)
    if nodes:
        shutil.copy(FIXTURES / NODES / "fail" / "private_subnets.tf", root / "nodes.tf")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(write_project(tmp_path / "repo"))
    return tmp_path / "repo"


def scan(rules: RuleSet, **kwargs) -> ScanResult:
    return run(RunConfig(paths=["."], select=[ACL, NODES], **kwargs), rules)


def by_verdict(result: ScanResult) -> dict[str, Finding]:
    out = {f.verdict: f for f in result.findings}
    assert len(out) == len(result.findings) == 4, [(f.rule_id, f.span.line, f.verdict) for f in result.findings]
    return out


def test_the_project_has_one_finding_of_each_verdict(rules: RuleSet, project: Path) -> None:
    found = by_verdict(scan(rules))
    assert {v: f.span.line for v, f in found.items() if v != "posture"} == LINES
    assert found["exposed"].severity == Severity.CRITICAL and found["exposed"].verdict_reason == ""
    # one step down for a default or a case, two for posture (evaluation.SEVERITY_TABLE)
    assert found["default"].severity == found["conditional"].severity == Severity.HIGH
    assert "var.acl" in found["default"].verdict_reason
    assert "var.debug" in found["conditional"].verdict_reason
    assert found["posture"].rule_id == NODES and found["posture"].severity == Severity.LOW and found["posture"].verdict_reason


def test_a_possible_instance_of_a_module_call_is_conditional(scan, tmp_path: Path) -> None:
    """A module called only when an unknown flag is on: what it creates holds in some cases
    (the module's folder is outside the scanned one, so it is not also judged on its own)."""
    files = {
        "modules/bucket/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  acl    = "public-read"\n}\n',
        "live/main.tf": 'variable "on" {\n  type = bool\n}\nmodule "b" {\n  source = "../modules/bucket"\n  count  = var.on ? 1 : 0\n}\n',
    }
    found = scan(files, select=[ACL], paths=[str(tmp_path / "project" / "live")]).findings
    assert [(f.resource, f.verdict) for f in found] == [("module.b[0].aws_s3_bucket.b", "conditional")]
    assert "module.b[0] is called at" in found[0].verdict_reason


# ---------------------------------------------------------------------------- formats


def render(fmt: str, result: ScanResult, rules: RuleSet) -> str:
    return renderer(fmt)(result, rules)


def test_text_shows_verdicts_a_posture_section_and_counts(rules: RuleSet, project: Path) -> None:
    result = scan(rules)
    text = render("text", result, rules)
    assert "main.tf:9:3: CRITICAL aws-s3-bucket-public-acl [public now] " in text
    assert "main.tf:13:3: HIGH aws-s3-bucket-public-acl [public by default] " in text
    assert "main.tf:18:3: HIGH aws-s3-bucket-public-acl [public if] " in text
    assert "    verdict: public through a default" in text
    section = text.index("one step away: 1 posture finding (nothing is reachable through it today; it fails the run only with --strict):")
    posture = text.index(f"nodes.tf:36:5: LOW {NODES} [one step away] ")
    assert max(text.index("[public now]"), text.index("[public by default]"), text.index("[public if]")) < section < posture
    # shown quietly: the first line, why and the fix, no source frame
    quiet = text[posture:].split("\n\n")[0].splitlines()
    assert [line.split(":")[0].strip() for line in quiet[1:]] == ["verdict", "fix"]
    assert "4 findings (1 critical, 2 high, 1 low) in 2 files: 1 public now, 1 public by default, 1 public if, 1 one step away;" in text

    hidden = render("text", scan(rules, show_posture=False), rules)
    assert "[one step away]" not in hidden and "one step away: " not in hidden
    assert "1 one step away (those one step away not listed: show-posture = false)" in hidden

    strict = render("text", scan(rules, strict=True), rules)
    assert "one step away: 1 posture finding (nothing is reachable through it today; --strict: it fails the run like exposures):" in strict
    assert "    36 |     ec2_ssh_key" in strict  # in full, with its source


def test_json_carries_the_verdict_and_counts(rules: RuleSet, project: Path) -> None:
    doc = json.loads(render("json", scan(rules), rules))
    assert doc["version"] == 1
    got = {(Path(f["file"]).name, f["line"]): (f["verdict"], f["verdict_reason"]) for f in doc["findings"]}
    assert got[("main.tf", 9)] == ("exposed", "")
    assert got[("main.tf", 13)][0] == "default" and "var.acl" in got[("main.tf", 13)][1]
    assert got[("main.tf", 18)][0] == "conditional"
    assert got[("nodes.tf", 36)][0] == "posture"
    assert doc["summary"]["by_verdict"] == {"exposed": 1, "default": 1, "conditional": 1, "posture": 1}
    assert doc["summary"]["strict"] is False


def test_sarif_shows_seawalls_severity_on_github(rules: RuleSet, project: Path) -> None:
    """Code scanning reads security-severity from the rule: each severity of a rule's results
    has a descriptor of its own, and every result names the one at its severity."""
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SCHEMA}")
    import jsonschema

    result = scan(rules)
    doc = json.loads(render("sarif", result, rules))
    errors = list(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(doc))
    assert not errors, [e.message for e in errors[:3]]
    run_ = doc["runs"][0]
    descriptors = run_["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == [NODES, f"{NODES}/low", ACL, f"{ACL}/high"]
    assert descriptors[2]["properties"]["security-severity"] == "9.5"  # the rule's own: critical
    assert descriptors[3]["properties"]["security-severity"] == "8.0"
    assert descriptors[1]["properties"]["security-severity"] == "3.0"
    assert descriptors[3]["relationships"][0]["target"] == {"id": ACL, "index": 2}
    findings = {(Path(f.span.file).name, f.span.line): f for f in result.findings}
    for res in run_["results"]:
        loc = res["locations"][0]["physicalLocation"]
        f = findings[(Path(loc["artifactLocation"]["uri"]).name, loc["region"]["startLine"])]
        descriptor = descriptors[res["ruleIndex"]]
        assert res["ruleId"] == descriptor["id"] and descriptor["id"].split("/")[0] == f.rule_id
        # what GitHub shows (the rule's) and the result's own both say seawall's severity
        assert descriptor["properties"]["security-severity"] == res["properties"]["security-severity"] == SECURITY_SEVERITY[f.severity]
        assert res["properties"]["verdict"] == f.verdict and res["properties"]["verdictReason"] == f.verdict_reason


def test_junit_posture_is_skipped_unless_strict(rules: RuleSet, project: Path) -> None:
    root = ET.fromstring(render("junit", scan(rules), rules))
    assert root.get("failures") == "3" and root.get("skipped") == "1"
    [skipped] = root.iter("skipped")
    assert skipped.get("message", "").startswith("one step away: ") and "--strict" in skipped.get("message", "")
    texts = " ".join(e.text or "" for e in root.iter("failure"))
    assert "verdict: public now" in texts and "verdict: public by default: " in texts and "verdict: public if: " in texts
    strict = ET.fromstring(render("junit", scan(rules, strict=True), rules))
    assert strict.get("failures") == "4" and strict.get("skipped") == "0"


def test_github_annotations_name_the_verdict_and_posture_is_a_notice(rules: RuleSet, project: Path) -> None:
    result = scan(rules)
    lines = render("github", result, rules).splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:-1]] == ["::error", "::error", "::error", "::notice"]  # failing ones first
    assert "(critical%2C public now)" in lines[0] and "(low%2C one step away)" in lines[3]
    assert "%0Apublic by default: public through a default" in "".join(lines)
    assert lines[-1] == "seawall: 4 findings (1 critical, 2 high, 1 low): 1 public now, 1 public by default, 1 public if, 1 one step away."
    # a posture finding is a notice whatever its severity, unless the run is strict
    severe = replace(by_verdict(result)["posture"], severity=Severity.HIGH)
    assert render("github", ScanResult(findings=[severe]), rules).startswith("::notice ")
    assert render("github", ScanResult(findings=[severe], strict=True), rules).startswith("::error ")


def test_gitlab_issues_name_the_verdict_and_posture_is_info(rules: RuleSet, project: Path) -> None:
    result = scan(rules)
    issues = {(i["location"]["path"], i["location"]["lines"]["begin"]): i for i in json.loads(render("gitlab", result, rules))}
    assert issues[("main.tf", 9)]["severity"] == "blocker" and "(public now)" in issues[("main.tf", 9)]["description"]
    assert issues[("main.tf", 13)]["severity"] == "critical" and "Why public by default: " in issues[("main.tf", 13)]["content"]["body"]
    assert issues[("nodes.tf", 36)]["severity"] == "info" and "(one step away)" in issues[("nodes.tf", 36)]["description"]
    strict = {i["location"]["path"]: i for i in json.loads(render("gitlab", scan(rules, strict=True), rules)) if i["location"]["path"] == "nodes.tf"}
    assert strict["nodes.tf"]["severity"] == "minor"


def test_markdown_table_by_verdict_and_a_posture_section(rules: RuleSet, project: Path) -> None:
    text = render("markdown", scan(rules), rules)
    lines = text.splitlines()
    assert lines[0] == "## seawall: 3 findings to fix, 1 one step away"
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| Severity | Public now | Public by default | Public if | One step away | Total |"
    assert table[1:] == ["| Critical | 1 | 0 | 0 | 0 | 1 |", "| High | 0 | 1 | 1 | 0 | 2 |", "| Medium | 0 | 0 | 0 | 0 | 0 |", "| Low | 0 | 0 | 0 | 1 | 1 |", "| **Total** | **1** | **1** | **1** | **1** | **4** |"]
    assert "`aws-s3-bucket-public-acl` _public by default_: " in text and "  - **Why public by default:** " in text
    details = text[text.index("<details>") :]
    assert details.startswith("<details>\n<summary>1 finding one step away (posture: nothing is reachable through it today; it fails the run only with --strict)</summary>")
    assert f"`{NODES}` (low)" in details and "### Low" not in text
    strict = render("markdown", scan(rules, strict=True), rules)
    assert strict.startswith("## seawall: 4 findings to fix\n") and "### Low (1)" in strict and "one step away (posture" not in strict


# ---------------------------------------------------------------------------- exit codes


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """`seawall ARGS` in this process (a normal exit, so the runner sees the code)."""
    from linter.cli import main

    monkeypatch.setenv("SEAWALL_NO_FAST_EXIT", "1")

    def _run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return _run


@pytest.mark.parametrize("verdict", ["exposed", "default", "conditional"])
def test_exposed_default_and_conditional_fail_the_run(cli, tmp_path: Path, verdict: str) -> None:
    root = write_project(tmp_path / "p", nodes=False)
    lines = BUCKETS.splitlines()
    keep = {"exposed": (6, 10), "default": (10, 14), "conditional": (14, 19)}[verdict]
    (root / "main.tf").write_text("\n".join(lines[:6] + lines[keep[0] : keep[1]]) + "\n")
    proc = cli("scan", str(root), "--no-config", "--select", ACL)
    assert proc.exit_code == 1, proc.output
    assert proc.output.count(f" {ACL} [") == 1
    assert cli("scan", str(root), "--no-config", "--select", ACL, "--fail-on", "critical").exit_code == (1 if verdict == "exposed" else 0)


def test_posture_fails_only_when_strict(cli, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", buckets=False)
    args = ["scan", str(root), "--select", NODES]
    proc = cli(*args, "--no-config")
    assert proc.exit_code == 0, proc.output
    assert "one step away: 1 posture finding" in proc.output
    assert cli(*args, "--no-config", "--strict").exit_code == 1
    assert cli(*args, "--no-config", "--strict", "--fail-on", "medium").exit_code == 0  # below fail-on
    (root / ".seawall.toml").write_text("strict = true\n")
    assert cli(*args).exit_code == 1
    (root / ".seawall.toml").write_text("show-posture = false\n")
    hidden = cli(*args)
    assert hidden.exit_code == 0 and "[one step away]" not in hidden.output and "1 one step away" in hidden.output
    (root / ".seawall.toml").write_text('strict = "yes"\n')
    bad = cli(*args)
    assert bad.exit_code == 2 and "strict" in bad.output and "true or false" in bad.output


def test_fix_leaves_posture_findings_without_failing_unless_strict(cli, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", buckets=False)
    assert cli("fix", str(root), "--no-config", "--select", NODES, "--dry-run").exit_code == 0
    assert cli("fix", str(root), "--no-config", "--select", NODES, "--dry-run", "--strict").exit_code == 1


def test_the_action_strict_input(tmp_path: Path) -> None:
    from test_action import run_action

    ws = write_project(tmp_path / "ws", buckets=False)
    relaxed = run_action(ws, tmp_path / "runner", {"new-only": "false", "upload-sarif": "false"}, {})
    assert relaxed.passed, relaxed.log
    assert relaxed.outputs["action"]["posture"] == "1" and relaxed.outputs["action"]["exposed"] == "0"
    strict = run_action(ws, tmp_path / "runner2", {"new-only": "false", "upload-sarif": "false", "strict": "true"}, {})
    assert not strict.passed and "--strict" in strict.log
    assert "0 public now, by default or in some cases; 1 one step away" in strict.log
