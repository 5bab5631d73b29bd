"""Reporters for pull-request checks: SARIF, JUnit, GitHub annotations, GitLab Code
Quality and Markdown, on real scans (the bundled example, fixture cases, projects written
here) and through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from msgspec.structs import replace

from linter.baseline import fingerprint, write_baseline
from linter.config import PathIgnore, RunConfig
from linter.engine import run
from linter.model import Evidence, Finding, InputError, Note, ScanResult, Severity, Span, Suppression
from linter.outputs import FORMATS, renderer
from linter.outputs.paths import report_path
from linter.outputs.sarif import SECURITY_SEVERITY
from linter.ruleset import RuleSet
from linter.suppress import META_RULE

SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ACL = "aws-s3-bucket-public-acl"
RDS = "aws-rds-publicly-accessible"
NEW_FORMATS = ["sarif", "junit", "github", "gitlab", "markdown"]

FIXTURE_CASES = [
    FIXTURES / "aws-rds-publicly-accessible" / "fail" / "from_tfvars",
    FIXTURES / "aws-s3-bucket-public-acl" / "fail" / "cfn_access_control.yaml",
    FIXTURES / "aws-security-group-public-ingress" / "fail" / "cfn_groups.yaml",
    FIXTURES / "k8s-service-public-load-balancer" / "fail" / "public_lb.yaml",
    FIXTURES / "k8s-rbac-anonymous-binding" / "fail" / "bindings.yaml",
]

# a project with one finding of each kind: active, suppressed inline, public by design,
# an unused suppression (a seawall-suppression finding), a safe fix, a parse error
PROJECT = {
    "main.tf": """\
resource "aws_s3_bucket" "inline" {
  bucket = "inline"
  acl    = "public-read" # seawall:ignore aws-s3-bucket-public-acl partner feed, SEC-12
}

resource "aws_s3_bucket" "intended" {
  bucket = "intended"
  acl    = "public-read"
  tags = {
    "seawall:public" = "marketing site, no customer data"
  }
}

resource "aws_s3_bucket" "open" {
  bucket = "open"
  acl    = "public-read" # seawall:ignore aws-rds-publicly-accessible not this one
}

resource "aws_db_instance" "db" {
  publicly_accessible = true
}
""",
    "broken.tf": 'resource "x" {\n  = broken\n',
}


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PROJECT written to a folder that is also the current directory (paths are relative)."""
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in PROJECT.items():
        (root / name).write_text(text)
    monkeypatch.chdir(root)
    return root


def scan(rules: RuleSet, *paths: str, **kwargs) -> ScanResult:
    # the graph is kept as the command line keeps it for Markdown (its exposure diagrams)
    return run(RunConfig(paths=list(paths), **kwargs), rules, keep_graph=True)


def render(fmt: str, result: ScanResult, rules: RuleSet) -> str:
    return renderer(fmt)(result, rules)


def ordered(result: ScanResult) -> list[Finding]:
    return sorted(result.findings, key=lambda f: (f.sort_key(), f.message))


def example(rules: RuleSet) -> ScanResult:
    return scan(rules, "examples")


def fake(rule_id: str = ACL, severity: Severity = Severity.CRITICAL, message: str = "bucket is public", **kwargs) -> Finding:
    fields = dict(
        rule_id=rule_id,
        severity=severity,
        title="S3 bucket ACL grants access to everyone",
        message=message,
        span=Span("main.tf", 3, 3, 3, 25),
        resource="aws_s3_bucket.b",
        path=("acl",),
        value="public-read",
    )
    fields.update(kwargs)
    return Finding(**fields)


# ---------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator():
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SCHEMA} (see ../shared/schemas/README.md)")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


def sarif(result: ScanResult, rules: RuleSet, validator) -> dict:
    doc = json.loads(render("sarif", result, rules))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return doc


def expected_region(span: Span) -> dict:
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line, "endColumn": span.end_column}


def check_results_match_findings(doc: dict, result: ScanResult) -> None:
    run_ = doc["runs"][0]
    results = run_["results"]
    findings = ordered(result)
    assert len(results) == len(findings)
    descriptors = run_["tool"]["driver"]["rules"]
    for res, f in zip(results, findings):
        # the descriptor of the rule at the finding's severity: what code scanning shows
        assert res["ruleId"] in (f.rule_id, f"{f.rule_id}/{f.severity}")
        descriptor = descriptors[res["ruleIndex"]]
        assert descriptor["id"] == res["ruleId"]
        if f.rule_id != META_RULE:
            assert descriptor["properties"]["security-severity"] == res["properties"]["security-severity"] == SECURITY_SEVERITY[f.severity]
        assert res["properties"]["verdict"] == f.verdict and res["properties"]["verdictReason"] == f.verdict_reason
        [loc] = res["locations"]
        assert loc["physicalLocation"]["region"] == expected_region(f.span)
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == os.path.relpath(f.span.file).replace(os.sep, "/")
        assert loc["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        placed = [e for e in f.evidence if e.span is not None]
        related = res.get("relatedLocations", [])
        assert [r["id"] for r in related] == list(range(1, len(placed) + 1))
        for r, e in zip(related, placed):
            assert r["message"]["text"] == e.message
            assert r["physicalLocation"]["region"]["startLine"] == e.span.line
            assert f"]({r['id']})" in res["message"]["text"]
        assert res["message"]["text"].startswith(f.message.replace("[", "\\[").replace("]", "\\]"))
        assert res["partialFingerprints"]["seawall/v1"] == fingerprint(f, os.getcwd())
        assert res["level"] == {"critical": "error", "high": "error", "medium": "warning", "low": "note"}[str(f.severity)]
        assert res["properties"]["severity"] == str(f.severity)
        assert res["properties"]["resource"] == f.resource


def test_sarif_of_the_example_is_valid_and_exact(rules: RuleSet, sarif_validator, in_root: Path) -> None:
    result = example(rules)
    assert result.findings
    doc = sarif(result, rules, sarif_validator)
    assert doc["version"] == "2.1.0"
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "seawall" and driver["version"] == version("seawall")
    check_results_match_findings(doc, result)
    # evidence places become related locations (the tfvars line the value comes from)
    acl = next(r for r in run_["results"] if r["ruleId"].split("/")[0] == ACL)
    assert any(
        r["physicalLocation"]["artifactLocation"]["uri"] == "examples/terraform.tfvars" and r["physicalLocation"]["region"]["startLine"] == 4
        for r in acl["relatedLocations"]
    )
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["invocations"][0]["executionSuccessful"] is True


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_sarif_of_fixture_cases_is_valid_and_exact(rules: RuleSet, sarif_validator, in_root: Path, case: Path) -> None:
    result = scan(rules, os.path.relpath(case))
    assert result.findings, f"{case} has no findings"
    check_results_match_findings(sarif(result, rules, sarif_validator), result)


def test_sarif_rules_carry_help_and_security_severity(rules: RuleSet, sarif_validator, in_root: Path) -> None:
    result = example(rules)
    doc = sarif(result, rules, sarif_validator)
    descriptors = doc["runs"][0]["tool"]["driver"]["rules"]
    ids = [d["id"] for d in descriptors if "/" not in d["id"]]
    assert ids == sorted({f.rule_id for f in result.findings}), "one descriptor per rule with a result, sorted"
    for d in descriptors:
        rule = rules.get(d["id"].split("/")[0])
        assert rule is not None
        assert d["shortDescription"]["text"] == rule.title
        assert " ".join(d["fullDescription"]["text"].split()) == " ".join(rule.description.split())
        assert d["name"] and " " not in d["name"]
        assert d["helpUri"] == rule.references[0]
        assert d["help"]["text"] and d["help"]["markdown"]
        assert f"]({rule.references[0]})" in d["help"]["markdown"]
        assert rule.remediation.split()[0] in d["help"]["markdown"]
        props = d["properties"]
        score = float(props["security-severity"])
        assert 0.0 < score <= 10.0 and isinstance(props["security-severity"], str)
        at = d["id"].split("/")[1] if "/" in d["id"] else str(rule.severity)
        assert score == {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 3.0}[at]
        assert d["defaultConfiguration"]["level"] == {"critical": "error", "high": "error", "medium": "warning", "low": "note"}[at]
        if "/" in d["id"]:  # a severity of the rule's results other than its own: a sub-rule of it
            [rel] = d["relationships"]
            assert rel["target"]["id"] == rule.id and descriptors[rel["target"]["index"]]["id"] == rule.id and rel["kinds"] == ["superset"]
        assert "security" in props["tags"] and set(rule.tags) <= set(props["tags"])
        assert props["precision"] == "high"
        assert d["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_sarif_suppressions_errors_meta_rule_and_fixes(rules: RuleSet, sarif_validator, project: Path) -> None:
    result = scan(rules, ".")
    doc = sarif(result, rules, sarif_validator)
    run_ = doc["runs"][0]
    check_results_match_findings(doc, result)
    by_key = {(r["ruleId"], r["properties"]["resource"]): r for r in run_["results"]}

    inline = by_key[(ACL, "aws_s3_bucket.inline")]
    [s] = inline["suppressions"]
    assert s == {
        "kind": "inSource",
        "status": "accepted",
        "justification": "partner feed, SEC-12",
        "location": s["location"],
        "properties": {"seawall-kind": "inline"},
    }
    assert s["location"]["physicalLocation"]["region"]["startLine"] == 3

    [s] = by_key[(ACL, "aws_s3_bucket.intended")]["suppressions"]
    assert s["kind"] == "inSource" and s["justification"] == "marketing site, no customer data"
    assert s["properties"]["seawall-kind"] == "intended"

    assert "suppressions" not in by_key[(ACL, "aws_s3_bucket.open")]
    assert "baselineState" not in by_key[(ACL, "aws_s3_bucket.open")]

    # the safe fix: replace the reported entry
    fix_finding = next(f for f in result.findings if f.rule_id == RDS)
    assert fix_finding.fix is not None
    [fix] = by_key[(RDS, "aws_db_instance.db")]["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "main.tf"
    [rep] = change["replacements"]
    assert rep["deletedRegion"] == expected_region(fix_finding.fix.span)
    assert rep["insertedContent"]["text"] == fix_finding.fix.replacement == "  publicly_accessible = false"
    assert rep["deletedRegion"]["startColumn"] == 1
    assert fix["description"]["text"] == fix_finding.fix.title

    # the built-in suppression check has a descriptor although it has no Rule
    meta = by_key[(META_RULE, "")]
    descriptor = run_["tool"]["driver"]["rules"][meta["ruleIndex"]]
    assert descriptor["id"] == META_RULE and descriptor["shortDescription"]["text"]

    # the parse error is a tool notification and the run is not successful
    invocation = run_["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [error] = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    loc = error["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "broken.tf" and loc["region"]["startLine"] == 2
    assert "invalid HCL" in error["message"]["text"]


def test_sarif_external_suppressions_from_configuration_and_baseline(rules: RuleSet, sarif_validator, project: Path) -> None:
    (project / "broken.tf").unlink()
    ignores = [PathIgnore(paths=("main.tf",), rules=(RDS,), reason="legacy database, INFRA-88")]
    result = scan(rules, ".", per_path_ignores=ignores)
    doc = sarif(result, rules, sarif_validator)
    [rds] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == RDS]
    assert rds["suppressions"][0]["kind"] == "external"
    assert rds["suppressions"][0]["justification"] == "legacy database, INFRA-88"
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True

    write_baseline([f for f in scan(rules, ".").findings if f.active], str(project / "baseline.json"))
    result = scan(rules, ".", baseline=str(project / "baseline.json"))
    doc = sarif(result, rules, sarif_validator)
    baselined = [r for r in doc["runs"][0]["results"] if r.get("suppressions") and r["suppressions"][0]["properties"]["seawall-kind"] == "baseline"]
    assert len(baselined) == sum(1 for f in result.findings if f.suppression and f.suppression.kind == "baseline") >= 2
    assert all(r["suppressions"][0]["kind"] == "external" and r["suppressions"][0]["status"] == "accepted" for r in baselined)


def test_sarif_fingerprints_survive_runs_and_reformatting(rules: RuleSet, sarif_validator, project: Path) -> None:
    def prints() -> dict[tuple[str, str], tuple[str, int]]:
        doc = sarif(scan(rules, "."), rules, sarif_validator)
        return {
            (r["ruleId"], r["properties"]["resource"]): (r["partialFingerprints"]["seawall/v1"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in doc["runs"][0]["results"]
            if r["ruleId"] != META_RULE
        }

    first = prints()
    assert prints() == first
    main = project / "main.tf"
    text = main.read_text()
    # reformat: a header comment and blank lines shift every line, alignment changes
    main.write_text("# storage for the partner feed\n\n\n" + text.replace("acl    =", "acl =").replace("\n\n", "\n\n\n"))
    moved = prints()
    assert set(moved) == set(first) and len(first) >= 4
    for key, (fp, line) in first.items():
        assert moved[key][0] == fp, key
        assert moved[key][1] > line, "the lines did move"
    assert len({fp for fp, _ in first.values()}) == len(first), "distinct findings, distinct fingerprints"


def test_sarif_marks_findings_present_at_the_base_as_unchanged(rules: RuleSet, sarif_validator, in_root: Path) -> None:
    result = example(rules)
    # findings to fix only: a posture finding is skipped in JUnit and collapsed in Markdown
    fixable = [f for f in result.findings if f.verdict != "posture"]
    old, new = fixable[0], fixable[1:]
    result.findings = [replace(old, suppression=Suppression("preexisting", "present at origin/main"))] + new
    doc = sarif(result, rules, sarif_validator)
    states = {(r["ruleId"].split("/")[0], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r for r in doc["runs"][0]["results"]}
    first = states[(old.rule_id, old.span.line)]
    assert first["baselineState"] == "unchanged" and "suppressions" not in first
    assert all(r["baselineState"] == "new" for r in doc["runs"][0]["results"] if r is not first)
    # the other formats: not annotated, not a Code Quality issue, skipped, counted
    github = render("github", result, rules)
    assert github.count("\n::") + github.startswith("::") == len(new)
    assert len(json.loads(render("gitlab", result, rules))) == len(new)
    skipped = ET.fromstring(render("junit", result, rules).encode()).findall(".//skipped")
    assert len(skipped) == 1 and "present at origin/main" in skipped[0].get("message")
    markdown = render("markdown", result, rules)
    assert "; 1 not new." in markdown and "<details>" not in markdown


def test_sarif_paths_messages_and_unknown_rules(rules: RuleSet, sarif_validator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = tmp_path / "cwd"
    inside.mkdir()
    monkeypatch.chdir(inside)
    outside = tmp_path / "elsewhere" / "main.tf"
    findings = [
        fake(span=Span("dir with space/main.tf", 2, 1, 2, 10), message='list ["0.0.0.0/0"] is \\[open]', evidence=(Evidence("set [here]", Span(str(outside), 7, 1, 7, 5)), Evidence("no place"))),
        fake(rule_id="acme-custom-rule", severity=Severity.LOW, title="Custom title", span=Span(str(outside), 1, 1, 4, 2)),
    ]
    result = ScanResult(findings=findings, errors=[InputError(str(outside), 0, 0, "cannot read", "read")], notes=[Note("dir with space/main.tf", 1, "a note")])
    doc = sarif(result, rules, sarif_validator)
    run_ = doc["runs"][0]
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    acl = by_rule[ACL]
    assert acl["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "dir%20with%20space/main.tf", "uriBaseId": "%SRCROOT%"}
    [rel] = acl["relatedLocations"]
    assert rel["physicalLocation"]["artifactLocation"] == {"uri": outside.as_uri()}
    text = acl["message"]["text"]
    assert text.splitlines()[0] == 'list \\["0.0.0.0/0"\\] is \\\\\\[open\\]'
    assert text.splitlines()[2].startswith("- set \\[here\\] ([") and text.splitlines()[2].endswith("](1))")
    assert text.splitlines()[3] == "- no place"
    custom = by_rule["acme-custom-rule"]
    assert custom["level"] == "note"
    assert custom["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1, "endLine": 4, "endColumn": 2}
    descriptor = run_["tool"]["driver"]["rules"][custom["ruleIndex"]]
    assert descriptor["id"] == "acme-custom-rule" and descriptor["shortDescription"]["text"] == "Custom title"
    [err, note] = run_["invocations"][0]["toolExecutionNotifications"]
    assert err["level"] == "error" and "region" not in err["locations"][0]["physicalLocation"]
    assert note["level"] == "note"


# ---------------------------------------------------------------------------- JUnit


def test_junit_counts_failures_skips_and_errors(rules: RuleSet, project: Path) -> None:
    result = scan(rules, ".")
    text = render("junit", result, rules)
    root = ET.fromstring(text.encode())
    active = [f for f in result.findings if f.active]
    suppressed = [f for f in result.findings if not f.active]
    assert root.tag == "testsuites"
    assert int(root.get("failures")) == len(active) == len(root.findall(".//failure"))
    assert int(root.get("skipped")) == len(suppressed) == len(root.findall(".//skipped")) == 2
    assert int(root.get("errors")) == len(result.errors) == len(root.findall(".//error")) == 1
    assert int(root.get("tests")) == len(result.findings) + len(result.errors) == len(root.findall(".//testcase"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {f.rule_id for f in result.findings} | {"seawall.input"}
    for _name, suite in suites.items():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(suite.findall(".//failure"))
        assert int(suite.get("skipped")) == len(suite.findall(".//skipped"))
    acl = suites[ACL]
    [failing] = [c for c in acl.findall("testcase") if c.find("failure") is not None]
    assert failing.get("classname") == ACL and failing.get("file") == "main.tf" and failing.get("line") == "16"
    failure = failing.find("failure")
    assert failure.get("type") == "critical" and "aws_s3_bucket.open" in failure.get("message")
    assert "evidence: " in failure.text and "fix: " in failure.text
    reasons = sorted(c.find("skipped").get("message") for c in acl.findall("testcase") if c.find("skipped") is not None)
    assert "partner feed, SEC-12" in reasons[1] and "marketing site, no customer data" in reasons[0]
    rds = suites[RDS].find("testcase/failure")
    assert "safe fix: " in rds.text and "publicly_accessible = false" in rds.text
    error = suites["seawall.input"].find("testcase/error")
    assert error.get("type") == "parse" and "invalid HCL" in error.get("message")


def test_junit_escapes_through_the_library_and_drops_control_characters(rules: RuleSet) -> None:
    nasty = 'a <b> & "c" ]]> \x1b[31m\x00 é'
    result = ScanResult(findings=[fake(message=nasty, evidence=(Evidence(nasty, Span("x.tf", 1)),))])
    text = render("junit", result, rules)
    root = ET.fromstring(text.encode())
    failure = root.find(".//failure")
    assert failure.get("message") == 'a <b> & "c" ]]> \\x1b[31m\\x00 é'
    assert 'a <b> & "c" ]]>' in failure.text


def test_junit_of_a_clean_scan_has_one_passing_case(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    root = ET.fromstring(render("junit", scan(rules, "."), rules).encode())
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    [case] = root.findall(".//testcase")
    assert list(case) == []


# ---------------------------------------------------------------------------- GitHub


def test_github_escapes_data_and_properties(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    f = fake(
        message="100% public: a, b\nsecond line\r\nthird",
        title="Title: with, punctuation",
        span=Span("dir,a:b/main.tf", 3, 3, 3, 25),
        evidence=(Evidence("set here: 50%", Span("vars.tfvars", 4)),),
        remediation="Make it private. More text.",
    )
    [line, summary] = render("github", ScanResult(findings=[f]), rules).splitlines()
    assert line == (
        "::error file=dir%2Ca%3Ab/main.tf,line=3,col=3,endLine=3,endColumn=24,"
        f"title={ACL} (critical%2C public now)%3A Title%3A with%2C punctuation"
        "::100%25 public: a, b%0Asecond line%0D%0Athird%0Aevidence: set here: 50%25 (vars.tfvars:4)%0Ahow to fix: Make it private."
    )
    assert summary == "seawall: 1 finding (1 critical): 1 public now."
    from linter.outputs.github import escape_data, escape_property

    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


def test_github_annotates_active_findings_by_severity_and_errors(rules: RuleSet, project: Path) -> None:
    result = scan(rules, ".")
    lines = render("github", result, rules).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    active = [f for f in result.findings if f.active]
    assert len(commands) == len(active) + len(result.errors)
    assert [c.split(" ", 1)[0] for c in commands] == ["::error", "::error", "::notice", "::error"]
    assert "aws_s3_bucket.open" in commands[0] and "aws_s3_bucket.inline" not in "".join(lines)
    assert commands[-1].startswith("::error file=broken.tf,line=2,col=3,")
    assert not lines[-1].startswith("::") and "3 findings" in lines[-1]
    medium = fake(severity=Severity.MEDIUM, span=Span("main.tf", 3, 3, 5, 2))
    [cmd, _] = render("github", ScanResult(findings=[medium]), rules).splitlines()
    assert cmd.startswith("::warning file=main.tf,line=3,endLine=5,title=")  # no columns across lines


# ---------------------------------------------------------------------------- GitLab


def test_gitlab_code_quality_fields(rules: RuleSet, project: Path) -> None:
    result = scan(rules, ".")
    everything = json.loads(render("gitlab", result, rules))
    # a file that could not be checked is an issue too: the merge request must not look clean
    unchecked = [i for i in everything if i["check_name"] == "seawall-input-error"]
    assert len(unchecked) == len(result.errors) == 1
    assert unchecked[0]["severity"] == "blocker" and unchecked[0]["location"]["path"] == report_path(result.errors[0].file)
    assert result.errors[0].message in unchecked[0]["description"]
    issues = [i for i in everything if i not in unchecked]
    active = ordered(ScanResult(findings=[f for f in result.findings if f.active]))
    assert len(issues) == len(active) == 3
    for issue, f in zip(issues, active):
        assert isinstance(issue["description"], str) and f.message in issue["description"]
        assert issue["check_name"] == f.rule_id
        assert issue["fingerprint"] == fingerprint(f, os.getcwd())
        assert issue["severity"] == {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor"}[str(f.severity)]
        assert issue["location"]["path"] == "main.tf"
        assert issue["location"]["lines"]["begin"] == f.span.line and isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["categories"] == ["Security"]
        assert issue["type"] == "issue"
        assert f.rule_id in issue["content"]["body"]
    rds = next(i for i in issues if i["check_name"] == RDS)
    assert "publicly_accessible = false" in rds["content"]["body"]
    acl = next(i for i in issues if i["check_name"] == ACL)
    assert "Evidence:" in acl["content"]["body"]
    assert len({i["fingerprint"] for i in everything}) == len(everything)


def test_gitlab_fingerprints_are_unique_within_a_report(rules: RuleSet) -> None:
    twice = [fake(span=Span("main.tf", 3, 3, 3, 25)), fake(span=Span("main.tf", 9, 3, 9, 25))]
    issues = json.loads(render("gitlab", ScanResult(findings=twice), rules))
    assert len({i["fingerprint"] for i in issues}) == 2


# ---------------------------------------------------------------------------- Markdown


def test_markdown_table_order_and_sections(rules: RuleSet, project: Path) -> None:
    result = scan(rules, ".")
    text = render("markdown", result, rules)
    lines = text.splitlines()
    assert lines[0] == "## seawall: 3 findings to fix, 1 input error"
    table = {line.split("|")[1].strip(): line.split("|")[-2].strip() for line in lines if line.startswith("| ") and "Severity" not in line}
    assert table == {"Critical": "1", "High": "1", "Medium": "0", "Low": "1", "**Total**": "**3**"}
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == ["### Critical (1)", "### High (1)", "### Low (1)", "### Input errors (1)"]
    assert text.index("`aws-s3-bucket-public-acl`") < text.index("`aws-rds-publicly-accessible`") < text.index("`seawall-suppression`")
    assert "- **`main.tf:16`** `aws-s3-bucket-public-acl` _public now_: " in text
    assert "  - **Safe fix** (" in text and "`publicly_accessible = false`" in text
    assert "  - **Fix:** " in text
    details = text[text.index("<details>") :]
    assert "2 accepted or suppressed findings" in details and "partner feed, SEC-12" in details
    assert "marketing site, no customer data" in details
    assert "`broken.tf:2:3` invalid HCL" in text


def test_markdown_orders_many_findings_and_escapes_scanned_text(rules: RuleSet, in_root: Path) -> None:
    result = example(rules)
    text = render("markdown", result, rules)
    assert text.index("### Critical (4)") < text.index("### High (3)")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    # rows by severity, columns by verdict (public now, by default, if, one step away), totals
    severities = {s: sum(1 for f in result.findings if f.active and f.severity == s) for s in Severity}
    assert [row.split(" | ")[-1] for row in table[1:5]] == [f"{severities[s]} |" for s in sorted(Severity, reverse=True)]
    assert table[1].startswith("| Critical | 4 |") and table[-1].endswith(f"| **{len(result.findings)}** |")
    # evidence is a nested list under its finding
    assert '  - var.customer_data_acl = "public-read" (set in terraform.tfvars) (`examples/terraform.tfvars:4`)' in text
    hostile = fake(message="ping @security-team <img src=x> *bold* [link](http://x) $x$ _em_ a|b")
    out = render("markdown", ScanResult(findings=[hostile]), rules)
    assert "@security-team" not in out and "@&#8203;security-team" in out
    assert "\\<img src=x\\>" in out and "\\*bold\\*" in out and "\\[link\\](http://x)" in out and "\\$x\\$" in out and "\\_em\\_" in out


def test_markdown_extras_hook_and_length_budget(rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    from linter.outputs import markdown

    f = fake()
    assert markdown.finding_extras(f, rules) == ""
    monkeypatch.setattr(markdown, "finding_extras", lambda finding, rules, locator=None: "```mermaid\ngraph LR\n  a --> b\n```")
    out = render("markdown", ScanResult(findings=[f]), rules)
    assert "\n  ```mermaid\n  graph LR\n    a --> b\n  ```\n" in out
    monkeypatch.undo()
    many = [fake(span=Span("main.tf", i, 3, i, 25), resource=f"aws_s3_bucket.b{i}", message="x" * 400) for i in range(1, 400)]
    out = render("markdown", ScanResult(findings=many), rules)
    assert len(out) < 65_536
    assert "| **Total** | **399** |" in out and "more findings not listed here" in out


# ---------------------------------------------------------------------------- all formats


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_output_is_byte_identical_across_runs(rules: RuleSet, in_root: Path, fmt: str) -> None:
    first = render(fmt, example(rules), rules)
    second = render(fmt, example(rules), rules)
    assert first == second and first.endswith("\n")


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_every_format_renders_an_empty_scan(rules: RuleSet, fmt: str) -> None:
    assert render(fmt, ScanResult(), rules).endswith("\n")


def test_formats_are_registered() -> None:
    assert set(NEW_FORMATS) <= set(FORMATS)


def test_cli_writes_every_format_from_one_scan(rules: RuleSet, sarif_validator, tmp_path: Path, in_root: Path) -> None:
    extra = {fmt: tmp_path / f"report.{fmt}" for fmt in ["junit", "github", "gitlab", "markdown"]}
    args = [sys.executable, "-m", "linter", "scan", "examples", "--format", "sarif"]
    for fmt, path in extra.items():
        args += ["--output-file", f"{fmt}={path}"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert not list(sarif_validator.iter_errors(doc))
    result = example(rules)
    assert proc.stdout == render("sarif", result, rules), "the CLI prints what the renderer makes"
    for fmt, path in extra.items():
        assert path.read_text() == render(fmt, result, rules), fmt
