"""Deployed state (issue 17, item 5): a state file, or `terraform show -json` of a state, is
judged like a plan; findings land on the .tf source when it is present, else on the state
file, whose lines are never quoted (state holds secrets)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleSet

SECRET = "hunter2-not-a-real-password"

SOURCE = """resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}

resource "aws_s3_bucket_acl" "data" {
  bucket = aws_s3_bucket.data.id
  acl    = "private"
}
"""


def state(acl: str = "public-read") -> dict:
    """A state file as Terraform 1.x writes it (format 4): the ACL was changed in the console."""
    provider = 'provider["registry.terraform.io/hashicorp/aws"]'
    return {
        "version": 4,
        "terraform_version": "1.9.5",
        "serial": 7,
        "lineage": "3f0f1c8e-1111-2222-3333-444455556666",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": "aws_s3_bucket",
                "name": "data",
                "provider": provider,
                "instances": [{"schema_version": 0, "attributes": {"bucket": "acme-data", "id": "acme-data", "tags": {}}, "sensitive_attributes": []}],
            },
            {
                "mode": "managed",
                "type": "aws_s3_bucket_acl",
                "name": "data",
                "provider": provider,
                "instances": [
                    {
                        "schema_version": 0,
                        "attributes": {"bucket": "acme-data", "acl": acl, "id": f"acme-data,{acl}"},
                        "sensitive_attributes": [],
                        "dependencies": ["aws_s3_bucket.data"],
                    }
                ],
            },
            {
                "mode": "managed",
                "type": "aws_db_instance",
                "name": "db",
                "provider": provider,
                "module": "module.db",
                "instances": [{"index_key": 0, "schema_version": 2, "attributes": {"identifier": "db", "password": SECRET, "publicly_accessible": False}}],
            },
        ],
    }


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_public_bucket_in_a_state_file_is_reported_on_the_state(rules: RuleSet, tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(state(), indent=2))
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    assert not result.errors
    [f] = result.findings
    assert (f.span.file, f.span.line) == (str(path), _line_of(path, '"acl": "public-read"'))
    assert f.resource == "aws_s3_bucket_acl.data"
    assert any("values from the state terraform.tfstate: what is deployed now" in e.message for e in f.evidence)


def test_with_the_source_the_finding_is_on_the_tf_line_and_the_source_is_judged_too(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(SOURCE.replace('"private"', "var.acl") + 'variable "acl" {\n  default = "authenticated-read"\n}\n')
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state(), indent=2))
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    assert not result.errors
    # the live ACL (public-read) and the one the next apply sets (authenticated-read) are both findings
    found = sorted((Path(f.span.file).name, f.span.line, "state" if any("from the state" in e.message for e in f.evidence) else "source") for f in result.findings)
    assert found == [("main.tf", 7, "source"), ("main.tf", 7, "state")]
    live = next(f for f in result.findings if any("from the state" in e.message for e in f.evidence))
    assert "public-read" in live.message
    assert any("the line shown is where the source sets it" in e.message for e in live.evidence)


def test_terraform_show_json_of_a_state(rules: RuleSet, tmp_path: Path) -> None:
    shown = {
        "format_version": "1.0",
        "terraform_version": "1.9.5",
        "values": {
            "root_module": {
                "resources": [
                    {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data", "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"bucket": "acme-data"}},
                    {"address": "aws_s3_bucket_acl.data", "mode": "managed", "type": "aws_s3_bucket_acl", "name": "data", "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"bucket": "acme-data", "acl": "public-read-write"}},
                ]
            }
        },
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(shown, indent=2))
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    assert not result.errors
    [f] = result.findings
    assert (f.span.file, f.span.line) == (str(path), _line_of(path, '"acl": "public-read-write"'))


def test_state_lines_are_never_quoted(tmp_path: Path) -> None:
    data = state()
    # the secret sits on the line next to the deciding value
    data["resources"][1]["instances"][0]["attributes"] = {"bucket": "acme-data", "acl": "public-read", "master_password": SECRET}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(data, indent=2))
    out = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--no-config"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1, out.stderr
    assert "aws-s3-bucket-public-acl" in out.stdout
    assert SECRET not in out.stdout + out.stderr
    assert '"master_password"' not in out.stdout


def test_a_state_seawall_cannot_read_is_an_error(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "terraform.tfstate").write_text('{"version": 3, "serial": 1, "modules": []}')
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    [error] = result.errors
    assert error.file.endswith("terraform.tfstate") and "version 4" in error.message
    (tmp_path / "terraform.tfstate").write_text('{"version": 4, "lineage": ')
    [error] = run(RunConfig(paths=[str(tmp_path)]), rules).errors
    assert "invalid JSON" in error.message
