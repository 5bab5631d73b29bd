"""The command as users run it: flags, output formats, exit codes (0 clean, 1 findings, 2 errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PUBLIC = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl    = "public-read"\n}\n'
PRIVATE = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'


def seawall(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linter", *args], cwd=cwd or ROOT, capture_output=True, text=True, input=stdin, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "public.tf").write_text(PUBLIC)
    return tmp_path


def test_findings_exit_1_with_the_text_shape(project: Path) -> None:
    proc = seawall("scan", str(project))
    assert proc.returncode == 1, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"{project / 'public.tf'}:3:3: CRITICAL aws-s3-bucket-public-acl ")
    assert "    fix: " in proc.stdout
    assert proc.stdout.rstrip().endswith("scanned.")


def test_clean_exit_0(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PRIVATE)
    proc = seawall("scan", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("0 findings")


def test_json_report_is_versioned_and_complete(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = seawall("scan", str(project), "--format", "json", "--output", str(out))
    assert proc.returncode == 1
    assert proc.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["version"] == 1
    [f] = doc["findings"]
    assert {"rule_id", "severity", "title", "message", "file", "line", "column", "end_line", "end_column", "resource", "evidence"} <= set(f)
    assert (f["rule_id"], f["line"], f["column"], f["end_line"], f["end_column"]) == ("aws-s3-bucket-public-acl", 3, 3, 3, 25)
    assert f["resource"] == "aws_s3_bucket.b"
    assert doc["errors"] == []
    assert doc["summary"]["findings"] == 1 and doc["summary"]["by_severity"]["critical"] == 1


def test_fail_on_threshold(project: Path) -> None:
    assert seawall("scan", str(project), "--fail-on", "critical").returncode == 1
    (project / "public.tf").write_text(
        'resource "aws_s3_bucket_public_access_block" "p" {\n  bucket = "x"\n  block_public_acls = false\n}\n'
    )
    proc = seawall("scan", str(project), "--fail-on", "high")
    assert proc.returncode == 0 and "MEDIUM" in proc.stdout


def test_select_and_ignore(project: Path) -> None:
    assert seawall("scan", str(project), "--ignore", "aws-s3-bucket-public-acl").returncode == 0
    assert seawall("scan", str(project), "--select", "aws-rds-publicly-accessible,aws-security-group-public-ingress").returncode == 0
    assert seawall("scan", str(project), "--select", "aws-s3-bucket-public-acl").returncode == 1


def test_unknown_rule_id_is_a_usage_error(project: Path) -> None:
    proc = seawall("scan", str(project), "--select", "no-such-rule")
    assert proc.returncode == 2
    assert "unknown rule id: no-such-rule" in proc.stderr


def test_bad_flag_is_a_usage_error(project: Path) -> None:
    assert seawall("scan", str(project), "--format", "xml").returncode == 2
    assert seawall("scan", str(project), "--fail-on", "urgent").returncode == 2


def test_broken_file_is_reported_and_the_rest_still_scanned(project: Path) -> None:
    broken = project / "other"
    broken.mkdir()
    (broken / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = \n}\n')
    proc = seawall("scan", str(project), "--format", "json")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    [err] = doc["errors"]
    assert err["file"].endswith("broken.tf") and err["line"] == 2 and "invalid HCL" in err["message"]
    assert [f["rule_id"] for f in doc["findings"]] == ["aws-s3-bucket-public-acl"]
    assert "Traceback" not in proc.stderr


def test_missing_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    proc = seawall("scan", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "no such file or directory" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_named_file_reports_only_that_file_but_loads_its_module(tmp_path: Path) -> None:
    (tmp_path / "vars.tf").write_text('variable "acl" {\n  default = "public-read"\n}\n')
    (tmp_path / "bucket.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = var.acl\n}\n')
    (tmp_path / "other.tf").write_text('resource "aws_s3_bucket" "c" {\n  acl = "public-read"\n}\n')
    proc = seawall("scan", str(tmp_path / "bucket.tf"), "--format", "json")
    doc = json.loads(proc.stdout)
    assert [(Path(f["file"]).name, f["line"]) for f in doc["findings"]] == [("bucket.tf", 2)]


def test_var_file_flag(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "acl" {\n  default = "private"\n}\nresource "aws_s3_bucket" "b" {\n  acl = var.acl\n}\n')
    varfile = tmp_path / "prod.tfvars"
    varfile.write_text('acl = "public-read-write"\n')
    assert seawall("scan", str(tmp_path)).returncode == 0
    assert seawall("scan", str(tmp_path), "--var-file", str(varfile)).returncode == 1


def test_exclude_flag_is_repeatable_and_adds_to_the_configuration(tmp_path: Path) -> None:
    for sub in ("infra", "generated", "third_party/mods", "legacy"):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / "main.tf").write_text(PUBLIC)
    (tmp_path / ".seawall.toml").write_text('exclude = ["legacy/**"]\n')

    def scanned(*flags: str) -> list[str]:
        proc = seawall("scan", ".", "--format", "json", *flags, cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        return sorted(Path(f["file"]).parent.as_posix() for f in json.loads(proc.stdout)["findings"])

    assert scanned() == ["generated", "infra", "third_party/mods"]
    assert scanned("--exclude", "generated/**", "--exclude", "third_party") == ["infra"]
    assert scanned("--exclude", "generated/**", "--no-config") == ["infra", "legacy", "third_party/mods"]


def test_fail_on_help_lists_the_severities() -> None:
    out = seawall("scan", "--help").stdout
    assert "--fail-on [critical|high|medium|low]" in out
    assert "--exclude GLOB" in out


def test_console_script_and_version() -> None:
    proc = seawall("--version")
    assert proc.returncode == 0 and "seawall" in proc.stdout


def test_rules_list_and_show() -> None:
    proc = seawall("rules")
    assert proc.returncode == 0
    assert "aws-s3-bucket-public-acl" in proc.stdout and proc.stdout.rstrip().endswith("rules")
    doc = json.loads(seawall("rules", "--format", "json").stdout)
    assert {"id", "severity", "provider", "formats", "title"} <= set(doc[0])
    only_k8s = json.loads(seawall("rules", "--format", "json", "--provider", "kubernetes").stdout)
    assert only_k8s and all(r["provider"] == "kubernetes" for r in only_k8s)
    show = seawall("rules", "show", "aws-s3-bucket-public-acl")
    assert show.returncode == 0
    assert "How to fix it" in show.stdout and "https://docs.aws.amazon.com" in show.stdout
    assert seawall("rules", "show", "no-such-rule").returncode == 2


@pytest.mark.parametrize(("given", "provider"), [("gcp", "google"), ("google", "google"), ("k8s", "kubernetes"), ("AWS", "aws"), ("azure", "azure")])
def test_rules_provider_accepts_provider_names_and_id_prefixes(given: str, provider: str) -> None:
    proc = seawall("rules", "--format", "json", "--provider", given)
    assert proc.returncode == 0, proc.stderr
    chosen = json.loads(proc.stdout)
    assert chosen and all(r["provider"] == provider for r in chosen)
    everything = json.loads(seawall("rules", "--format", "json").stdout)
    assert len(chosen) == sum(r["provider"] == provider for r in everything)


def test_rules_provider_rejects_an_unknown_value_with_the_choices() -> None:
    proc = seawall("rules", "--provider", "foo")
    assert proc.returncode == 2 and not proc.stdout
    assert "'foo'" in proc.stderr
    for choice in ("aws", "azure", "gcp", "google", "k8s", "kubernetes"):
        assert choice in proc.stderr


def test_safe_fixes_are_offered_only_for_literal_values(tmp_path: Path) -> None:
    from linter.config import RunConfig
    from linter.engine import run

    (tmp_path / "main.tf").write_text(
        PUBLIC
        + 'variable "acl" {\n  default = "public-read"\n}\nresource "aws_s3_bucket" "v" {\n  acl = var.acl\n}\n'
        + 'variable "shared" {\n  default = "public-read"\n}\nresource "aws_s3_bucket" "s" {\n  acl = var.shared\n  tags = { acl = var.shared }\n}\n'
        + 'resource "aws_s3_bucket" "e" {\n  for_each = { a = "public-read" }\n  acl      = each.value\n}\n'
    )
    fixes = {f.resource: f.fix for f in run(RunConfig(paths=[str(tmp_path)])).findings}
    fix = fixes["aws_s3_bucket.b"]
    assert fix is not None and fix.replacement == '  acl    = "private"'  # the whole line, alignment kept
    assert (fix.span.line, fix.span.column, fix.span.end_line, fix.span.end_column) == (3, 1, 3, 25)
    # a variable feeding only this attribute is fixed where it is set, its default
    at_default = fixes["aws_s3_bucket.v"]
    assert at_default is not None and (at_default.span.line, at_default.replacement) == (6, '  default = "private"')
    # a variable that feeds something else too, and a value that is not a variable: no fix
    assert fixes["aws_s3_bucket.s"] is None
    assert fixes['aws_s3_bucket.e["a"]'] is None
