"""Configuration: discovery, keys, errors that name the file and key; baselines; custom rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from linter.config import ConfigError, RunConfig, apply_config_file, find_config

PUBLIC = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl    = "public-read"\n}\n'
DB = 'resource "aws_db_instance" "d" {\n  engine = "mysql"\n  publicly_accessible = true\n}\n'


def seawall(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


def findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    doc = json.loads(proc.stdout)
    return sorted((f["rule_id"], f["severity"]) for f in doc["findings"] if f["suppressed"] is None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    infra = tmp_path / "repo" / "infra"
    infra.mkdir(parents=True)
    (infra / "s3.tf").write_text(PUBLIC)
    (infra / "db.tf").write_text(DB)
    return tmp_path / "repo"


def test_discovery_walks_up_to_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.seawall]\nignore = ["aws-s3-bucket-public-acl"]\n')
    assert find_config(str(project / "infra")) == str(project / "pyproject.toml")
    assert findings(seawall("scan", str(project / "infra"), "--format", "json")) == [("aws-rds-publicly-accessible", "high")]
    # a .seawall.toml nearer to the scanned path wins
    (project / "infra" / ".seawall.toml").write_text('select = ["aws-s3-bucket-public-acl"]\n')
    assert findings(seawall("scan", str(project / "infra"), "--format", "json")) == [("aws-s3-bucket-public-acl", "critical")]
    # --no-config ignores both
    assert len(findings(seawall("scan", str(project / "infra"), "--format", "json", "--no-config"))) == 2


def test_pyproject_without_a_seawall_table_is_not_a_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(str(project / "infra")) != str(project / "pyproject.toml")


@pytest.mark.parametrize(
    "text",
    [
        '[project]\nname = "x"\n\n[tool.seawall]\nignore = ["aws-s3-bucket-public-acl"\nfail-on = "high"\n',  # unclosed list
        '[project]\nname = "x\n',  # broken elsewhere: it may hold [tool.seawall], nobody can tell
    ],
    ids=["seawall-table", "elsewhere"],
)
def test_unparsable_pyproject_is_an_error_not_a_silent_fallback(project: Path, text: str) -> None:
    # a configuration further up that would be used instead if the broken file were skipped
    (project.parent / ".seawall.toml").write_text('ignore = ["aws-s3-bucket-public-acl", "aws-rds-publicly-accessible"]\n')
    (project / "pyproject.toml").write_text(text)
    assert find_config(str(project / "infra")) == str(project / "pyproject.toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        apply_config_file(RunConfig(), str(project / "pyproject.toml"))
    proc = seawall("scan", str(project / "infra"))
    assert proc.returncode == 2 and not proc.stdout
    line = text.count("\n", 0, text.index("fail-on") if "fail-on" in text else len(text) - 1) + 1
    assert f"{project / 'pyproject.toml'}: invalid TOML" in proc.stderr and f"line {line}" in proc.stderr, proc.stderr
    assert "--no-config" in proc.stderr
    # the language server says the same at the top of the file
    from pygls.workspace import PositionCodec

    from linter.lsp import Linter, LintRequest

    path = str(project / "infra" / "s3.tf")
    [diag] = Linter().diagnostics(LintRequest("file://" + path, path, PUBLIC, 1, {}, PositionCodec()))
    assert diag.code == "configuration-error" and "invalid TOML" in diag.message


def test_a_named_pyproject_without_a_seawall_table_is_an_error(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: no \[tool.seawall\] table"):
        apply_config_file(RunConfig(), str(project / "pyproject.toml"))


def test_explicit_config_and_flag_override(project: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "strict.toml"
    cfg.write_text('fail-on = "critical"\n[severity]\n"aws-rds-publicly-accessible" = "low"\n')
    proc = seawall("scan", str(project / "infra"), "--config", str(cfg), "--format", "json")
    assert findings(proc) == [("aws-rds-publicly-accessible", "low"), ("aws-s3-bucket-public-acl", "critical")]
    assert proc.returncode == 1
    (project / "infra" / "s3.tf").unlink()
    assert seawall("scan", str(project / "infra"), "--config", str(cfg)).returncode == 0  # only a low finding
    assert seawall("scan", str(project / "infra"), "--config", str(cfg), "--fail-on", "low").returncode == 1  # the flag wins


def test_exclude_var_files_and_per_path_ignores(project: Path) -> None:
    legacy = project / "legacy"
    legacy.mkdir()
    (legacy / "old.tf").write_text(PUBLIC)
    vendored = project / "vendor-modules"
    vendored.mkdir()
    (vendored / "x.tf").write_text(PUBLIC)
    (project / "prod.tfvars").write_text('acl = "public-read"\n')
    (project / "infra" / "vars.tf").write_text('variable "acl" {\n  default = "private"\n}\nresource "aws_s3_bucket" "v" {\n  acl = var.acl\n}\n')
    (project / ".seawall.toml").write_text(
        'exclude = ["vendor-modules/**"]\nvar-files = ["prod.tfvars"]\n'
        '[[per-path-ignores]]\npaths = ["legacy/**"]\nrules = ["aws-s3-bucket-public-acl"]\nreason = "decommissioned in Q3"\n'
    )
    doc = json.loads(seawall("scan", str(project), "--format", "json").stdout)
    files = sorted((Path(f["file"]).parent.name, f["line"], f["suppressed"]["kind"] if f["suppressed"] else None) for f in doc["findings"] if f["rule_id"] == "aws-s3-bucket-public-acl")
    assert files == [("infra", 3, None), ("infra", 5, None), ("legacy", 3, "config")]
    assert not any("vendor-modules" in f["file"] for f in doc["findings"])


def test_sensitivity_from_config(project: Path) -> None:
    (project / "infra" / "db.tf").write_text(DB.replace("true\n", 'true\n  tags = { tier = "gold" }\n'))
    (project / ".seawall.toml").write_text('[sensitivity]\nkeys = ["tier"]\nvalues = ["gold"]\n')
    assert ("aws-rds-publicly-accessible", "critical") in findings(seawall("scan", str(project), "--format", "json"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('fail-on = "urgent"\n', "fail-on: unknown severity 'urgent'"),
        ('select = "x"\nbogus = 1\n', "bogus: unknown key"),
        ("select = [1]\n", "select: must be a list of strings"),
        ("[severity]\nx = 3\n", "severity.x: must be a non-empty string"),
        ("[[per-path-ignores]]\npaths = [\"a\"]\nrules = [\"b\"]\n", "per-path-ignores[0].reason: required"),
        ("not toml = = =\n", "invalid TOML"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, text: str, words: str) -> None:
    cfg = tmp_path / ".seawall.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as exc:
        apply_config_file(RunConfig(), str(cfg))
    assert str(cfg) in str(exc.value) and words in str(exc.value)


def test_pyproject_errors_name_the_table(tmp_path: Path) -> None:
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text("[tool.seawall]\nfail_on = \"high\"\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.seawall.fail_on: unknown key"):
        apply_config_file(RunConfig(), str(cfg))


def test_unknown_rule_in_config_is_a_usage_error(project: Path) -> None:
    (project / ".seawall.toml").write_text('ignore = ["aws-no-such-rule"]\n')
    proc = seawall("scan", str(project))
    assert proc.returncode == 2
    assert ".seawall.toml: ignore: unknown rule id: aws-no-such-rule" in proc.stderr


def test_baseline_survives_reformatting_and_reports_only_new(project: Path, tmp_path: Path) -> None:
    base = project / ".seawall-baseline.json"
    proc = seawall("baseline", str(project), "-o", str(base), "--no-config")
    assert proc.returncode == 0 and "2 findings recorded" in proc.stdout
    # reformat: comments added, attributes reordered, lines shifted, resource moved to another file
    (project / "infra" / "s3.tf").unlink()
    (project / "infra" / "storage.tf").write_text('# storage\n\n\nresource "aws_s3_bucket" "b" {\n  acl = "public-read"\n\n  bucket = "x"\n}\n')
    proc = seawall("scan", str(project), "--baseline", str(base), "--no-config", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    doc = json.loads(proc.stdout)
    assert doc["summary"]["findings"] == 0 and doc["summary"]["suppressed"] == 2
    # a new public bucket is reported; a fixed one leaves a stale entry
    (project / "infra" / "db.tf").write_text('resource "aws_s3_bucket" "new" {\n  acl = "public-read-write"\n}\n')
    proc = seawall("scan", str(project), "--baseline", str(base), "--no-config", "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [(f["resource"], f["suppressed"]) for f in doc["findings"] if f["suppressed"] is None] == [("aws_s3_bucket.new", None)]
    assert any("baseline entry no longer found: aws-rds-publicly-accessible" in n["message"] for n in doc["notes"])


def test_bad_baseline_file_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    proc = seawall("scan", str(project), "--baseline", str(bad))
    assert proc.returncode == 2 and "not a seawall baseline" in proc.stderr


RULE = """id: acme-s3-bucket-needs-owner-tag
title: Buckets must say which team owns them
severity: low
description: Every bucket carries an owner tag so that a public one can be traced to a team quickly.
remediation: Add an Owner tag naming the team.
references: [https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html]
message: "{resource} has no Owner tag"
match:
  terraform:
    type: aws_s3_bucket
    when: {not: {path: tags.Owner, exists: true}}
"""


def test_custom_rule_directory(project: Path, tmp_path: Path) -> None:
    rules_dir = tmp_path / "acme-rules"
    rules_dir.mkdir()
    (rules_dir / "acme-s3-bucket-needs-owner-tag.yaml").write_text(RULE)
    (project / ".seawall.toml").write_text(f'rule-dirs = ["{rules_dir}"]\nselect = ["acme-s3-bucket-needs-owner-tag"]\n')
    doc = json.loads(seawall("scan", str(project), "--format", "json").stdout)
    [f] = doc["findings"]
    assert (f["rule_id"], f["message"], f["line"]) == ("acme-s3-bucket-needs-owner-tag", "aws_s3_bucket.b has no Owner tag", 1)
    # the same flag from the command line, and the same schema errors as built-in rules
    (rules_dir / "acme-s3-bucket-needs-owner-tag.yaml").write_text(RULE.replace("severity: low", "severity: urgent"))
    proc = seawall("scan", str(project / "infra"), "--no-config", "--rules", str(rules_dir))
    assert proc.returncode == 2 and "acme-s3-bucket-needs-owner-tag.yaml: severity:" in proc.stderr
    (rules_dir / "acme-s3-bucket-needs-owner-tag.yaml").write_text(RULE + "check: python\n")
    proc = seawall("scan", str(project / "infra"), "--no-config", "--rules", str(rules_dir))
    assert proc.returncode == 2 and "python checks are only allowed in seawall's built-in rules" in proc.stderr
