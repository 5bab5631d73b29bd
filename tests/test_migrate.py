"""`seawall migrate`: the peers' suppressions in a real git repository become seawall's, with
their reasons; what has no counterpart is listed; after --write the same findings are
suppressed by a real scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from linter import coverage, migrate, suppress

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=t", "-c", "user.email=t@example.com"]

TERRAFORM = """\
resource "aws_s3_bucket" "site" {
  bucket = "acme-site"
}

resource "aws_s3_bucket_acl" "site" {
  #checkov:skip=CKV_AWS_20:public website, no customer data
  bucket = aws_s3_bucket.site.id
  acl    = "public-read"
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = false #tfsec:ignore:aws-s3-block-public-acls
  block_public_policy     = true
  ignore_public_acls      = false
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_18:no access logging for the log bucket itself
  bucket = "acme-logs"
}

resource "aws_security_group" "ssh" {
  name = "bastion"
  ingress {
    from_port = 22
    to_port   = 22
    protocol  = "tcp"
    # kics-scan ignore-line
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Site:
    Type: AWS::S3::Bucket
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_20
            comment: static website
      cfn_nag:
        rules_to_suppress:
          - id: W35
            reason: access logs not needed
    Properties:
      AccessControl: PublicRead
"""

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata:
  name: agent
  annotations:
    checkov.io/skip1: CKV_K8S_19=node agent that must see the host network
    ignore-check.kube-linter.io/host-network: node agent
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: example/agent:1.0
"""


def git_repo(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    subprocess.run([*GIT, "init", "-q", str(path)], check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=path, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "infra"], cwd=path, check=True)
    return path


def seawall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})


def scan(path: Path) -> dict[tuple[str, str, int], str | None]:
    """(rule, file, line) -> suppression kind of each finding of a real scan."""
    out = seawall("scan", "--no-cache", "--format", "json", ".", cwd=path)
    assert out.returncode in (0, 1), out.stderr
    data = json.loads(out.stdout)
    return {(f["rule_id"], f["file"], f["line"]): (f["suppressed"] or {}).get("kind") for f in data["findings"]}


def test_dry_run_shows_the_diff_and_changes_nothing(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"main.tf": TERRAFORM})
    out = seawall("migrate", "--dry-run", ".", cwd=repo)
    assert out.returncode == 0, out.stderr
    assert (repo / "main.tf").read_text() == TERRAFORM
    assert "+  # seawall:ignore aws-s3-bucket-public-acl public website, no customer data" not in out.stdout  # it goes above the resource
    assert "+# seawall:ignore aws-s3-bucket-public-acl public website, no customer data" in out.stdout
    assert "--- a/main.tf" in out.stdout and "+++ b/main.tf" in out.stdout
    assert "dry run" in out.stdout and "--write" in out.stdout
    status = subprocess.run([*GIT, "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_terraform_suppressions_are_rewritten_and_then_suppress_the_same_findings(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"main.tf": TERRAFORM})
    before = scan(repo)
    assert before[("aws-s3-bucket-public-acl", "main.tf", 8)] is None
    out = seawall("migrate", "--write", ".", cwd=repo)
    assert out.returncode == 0, out.stderr
    text = (repo / "main.tf").read_text()
    lines = text.splitlines()
    # Checkov's skip is for the whole resource: the seawall comment is just above it, with the reason
    assert lines[lines.index('resource "aws_s3_bucket_acl" "site" {') - 1] == "# seawall:ignore aws-s3-bucket-public-acl public website, no customer data"
    # tfsec's covers its line; it gave no reason, so the placeholder that does not count
    acls = next(i for i, line in enumerate(lines) if "block_public_acls" in line)
    assert lines[acls - 1] == f"  # seawall:ignore aws-s3-public-access-not-blocked {migrate.REASON_NEEDED}"
    assert suppress.is_placeholder(migrate.REASON_NEEDED)
    # the peer's own suppressions stay, for a team running both while it switches
    assert "#checkov:skip=CKV_AWS_20" in text and "#tfsec:ignore:aws-s3-block-public-acls" in text
    after = scan(repo)
    acl = next(k for k in after if k[0] == "aws-s3-bucket-public-acl")
    assert after[acl] == "inline"
    block = [k for k in after if k[0] == "aws-s3-public-access-not-blocked"]
    assert block and all(after[k] is None for k in block)  # reason needed: not suppressed
    assert any(k[0] == suppress.META_RULE for k in after)  # and the placeholder is reported
    # what has no counterpart is listed, not dropped
    assert "main.tf:20: checkov CKV_AWS_18:" in out.stdout
    assert "kics" in out.stdout and "names no check" in out.stdout


def test_cloudformation_and_kubernetes_metadata(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"stack.yaml": TEMPLATE, "k8s/pod.yaml": MANIFEST})
    before = scan(repo)
    assert before[("aws-s3-bucket-public-acl", "stack.yaml", 15)] is None
    assert any(k[0] == "k8s-pod-host-network" and before[k] is None for k in before)
    out = seawall("migrate", "--write", ".", cwd=repo)
    assert out.returncode == 0, out.stderr
    template = (repo / "stack.yaml").read_text()
    assert '      seawall:\n        ignore:\n          - {rule: aws-s3-bucket-public-acl, reason: "static website"}\n      checkov:' in template
    manifest = (repo / "k8s/pod.yaml").read_text()
    assert '    seawall.dev/ignore: "k8s-pod-host-network node agent that must see the host network"\n    checkov.io/skip1:' in manifest
    after = scan(repo)
    assert after[("aws-s3-bucket-public-acl", "stack.yaml", 18)] == "inline"
    assert all(after[k] == "inline" for k in after if k[0] == "k8s-pod-host-network")
    assert "W35" in out.stdout and "host-network" in out.stdout  # cfn_nag and kube-linter ids with no counterpart are listed


def test_json_template_gets_a_seawall_key_beside_the_peers(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_17", "comment": "read replica for the partner"}]}},
                "Properties": {"PubliclyAccessible": True, "Engine": "postgres", "DBInstanceClass": "db.t3.micro"},
            }
        }
    }
    repo = git_repo(tmp_path / "repo", {"db.json": json.dumps(template, indent=2) + "\n"})
    out = seawall("migrate", "--write", ".", cwd=repo)
    assert out.returncode == 0, out.stderr
    written = json.loads((repo / "db.json").read_text())
    assert written["Resources"]["Db"]["Metadata"]["seawall"] == {"ignore": [{"rule": "aws-rds-publicly-accessible", "reason": "read replica for the partner"}]}
    after = scan(repo)
    assert [after[k] for k in after if k[0] == "aws-rds-publicly-accessible"] == ["inline"]


def test_peer_configuration_becomes_seawall_configuration(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "repo",
        {
            ".checkov.yaml": "framework: [terraform]\nskip-check:\n  - CKV_AWS_17\n  - CKV_AWS_18\n",
            ".trivyignore": "# reviewed in SEC-9\nAVD-AWS-0086 exp:2030-01-01\n",
            ".trivyignore.yaml": "misconfigurations:\n  - id: AVD-AWS-0087\n    paths: [legacy/*.tf]\n    statement: legacy buckets, gone in Q3\n  - id: aws-s3-no-public-buckets\n    paths: [old/*.tf]\n",
            "main.tf": 'resource "aws_db_instance" "db" {\n  publicly_accessible = true\n}\n',
        },
    )
    out = seawall("migrate", "--write", ".", cwd=repo)
    assert out.returncode == 0, out.stderr
    config = tomllib.loads((repo / ".seawall.toml").read_text())
    assert config["ignore"] == ["aws-rds-publicly-accessible", "aws-s3-public-access-not-blocked"]
    assert config["per-path-ignores"] == [{"paths": ["legacy/*.tf"], "rules": ["aws-s3-public-access-not-blocked"], "reason": "legacy buckets, gone in Q3"}]
    assert "CKV_AWS_18" in out.stdout  # no counterpart: listed
    assert "old/*.tf" not in (repo / ".seawall.toml").read_text() and "needs a reason" in out.stdout
    assert "not carried over" in out.stdout  # the expiry
    after = scan(repo)
    assert not any(k[0] == "aws-rds-publicly-accessible" for k in after)  # ignored by the configuration


def test_existing_pyproject_table_is_extended_in_place(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "infra"\n\n[tool.seawall]\n# our settings\nfail-on = "high"\nignore = ["k8s-service-node-port"]\n'
    repo = git_repo(tmp_path / "repo", {"pyproject.toml": pyproject, ".checkov.yml": "skip-check: CKV_AWS_17,CKV_AWS_20\n"})
    plan = migrate.plan(str(repo))
    old, new = plan.changes["pyproject.toml"]
    assert old == pyproject and "# our settings" in new
    assert tomllib.loads(new)["tool"]["seawall"]["ignore"] == ["k8s-service-node-port", "aws-rds-publicly-accessible", "aws-s3-bucket-public-acl"]
    assert ".seawall.toml" not in plan.changes


def test_migrating_twice_changes_nothing_more(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"main.tf": TERRAFORM, "stack.yaml": TEMPLATE, "k8s/pod.yaml": MANIFEST})
    first = migrate.plan(str(repo))
    first.write()
    assert migrate.plan(str(repo)).changes == {}


def test_unparsable_file_is_an_error_with_its_line_and_the_rest_goes_on(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"bad.tf": 'resource "x" "y" {\n  #checkov:skip=CKV_AWS_20:why\n  a = \n', "main.tf": TERRAFORM})
    out = seawall("migrate", ".", cwd=repo)
    assert out.returncode == 2
    assert "bad.tf:" in out.stdout + out.stderr and "not migrated" in out.stdout + out.stderr
    assert "+# seawall:ignore aws-s3-bucket-public-acl" in out.stdout


def test_trivy_expiry_and_reason_beside_the_ignore() -> None:
    found = migrate._comment_suppressions("#trivy:ignore:AVD-AWS-0086:exp:2030-05-01 partner upload bucket", "a.tf", 3)
    assert found == [migrate.Found("trivy", "AVD-AWS-0086", "partner upload bucket", "a.tf", 3, until="2030-05-01")]
    two = migrate._comment_suppressions("#tfsec:ignore:aws-s3-block-public-acls tfsec:ignore:aws-s3-ignore-public-acls", "a.tf", 1)
    assert [f.check for f in two] == ["aws-s3-block-public-acls", "aws-s3-ignore-public-acls"] and all(not f.reason for f in two)


def test_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    out = seawall("migrate", str(tmp_path / "nope"), cwd=tmp_path)
    assert out.returncode == 2 and "nope" in out.stderr and "Traceback" not in out.stderr


def test_every_other_tool_id_resolves_to_something_that_exists() -> None:
    peer = coverage.load()
    for other, entry in peer.equivalents.items():
        resolved = peer.resolve(other)
        assert resolved is not None and resolved.rules, (other, entry)


@pytest.mark.parametrize("peer_id", ["CKV_AWS_20", "AVD-AWS-0086", "aws-s3-block-public-acls"])
def test_translation_through_the_map(peer_id: str) -> None:
    outcome = migrate.translate(migrate.Found("x", peer_id, "why", "f", 1))
    assert outcome.rules and not outcome.problem


def test_readme_documents_migrate() -> None:
    assert "seawall migrate" in (ROOT / "README.md").read_text()


def test_a_configuration_seawall_cannot_extend_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {".seawall.toml": 'ignore = "aws-rds-publicly-accessible"\n', ".checkov.yaml": "skip-check: [CKV_AWS_20]\n"})
    out = seawall("migrate", ".", cwd=repo)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert ".seawall.toml: ignore is not an array" in out.stdout


def test_trivy_paths_written_as_one_string(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {".trivyignore.yaml": "misconfigurations:\n  - id: AVD-AWS-0087\n    paths: legacy/*.tf\n    statement: legacy buckets\n"})
    plan = migrate.plan(str(repo))
    config = tomllib.loads(plan.changes[".seawall.toml"][1])
    assert config["per-path-ignores"][0]["paths"] == ["legacy/*.tf"]


def test_comments_in_yaml_that_seawall_cannot_place_are_listed(tmp_path: Path) -> None:
    template = TEMPLATE.replace("      AccessControl: PublicRead\n", "      AccessControl: PublicRead # kics-scan ignore-line\n")
    repo = git_repo(tmp_path / "repo", {"stack.yaml": template})
    plan = migrate.plan(str(repo))
    kics = [o for o in plan.outcomes if o.found.tool == "kics"]
    assert len(kics) == 1 and kics[0].found.line == 15 and not kics[0].rules and "names no check" in kics[0].problem
