"""Severity that means something: sensitivity raises it; intended exposure is declared, not hidden."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.evaluation import evaluate_rules
from linter.graph import ResourceGraph
from linter.model import Severity
from linter.parsers.terraform import load_terraform
from linter.ruleset import RuleSet
from linter.sensitivity import SensitivityPolicy

DB = 'resource "aws_db_instance" "d" {\n  engine = "mysql"\n  publicly_accessible = true\n  tags = {\n    %s\n  }\n}\n'


def scan_one(tmp_path: Path, rules: RuleSet, name: str, text: str, **kwargs):
    (tmp_path / name).write_text(text)
    return run(RunConfig(paths=[str(tmp_path)], **kwargs), rules)


def test_sensitive_tag_raises_one_level_and_says_so(rules: RuleSet, tmp_path: Path) -> None:
    [f] = scan_one(tmp_path, rules, "main.tf", DB % 'pii = "true"').findings
    assert f.severity is Severity.CRITICAL  # high, raised
    assert any("severity raised one level" in e.message and e.span and e.span.line == 5 for e in f.evidence)
    [f] = scan_one(tmp_path, rules, "main.tf", DB % 'data_classification = "public"').findings
    assert f.severity is Severity.HIGH


def test_sensitivity_keys_and_values_are_configurable(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(DB % 'tier = "gold"')
    out = load_terraform([str(tmp_path)], [], 10**7, str(tmp_path))
    graph = ResourceGraph(out.resources)
    rds = RuleSet([rules.get("aws-rds-publicly-accessible")])
    [plain], _ = evaluate_rules(graph, rds)
    [raised], _ = evaluate_rules(graph, rds, sensitivity=SensitivityPolicy(keys=("tier",), values=("gold",)))
    assert (plain.severity, raised.severity) == (Severity.HIGH, Severity.CRITICAL)


def test_sensitivity_in_cloudformation_and_kubernetes(rules: RuleSet, tmp_path: Path) -> None:
    cfn = (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n'
        "      Engine: mysql\n      PubliclyAccessible: true\n      Tags:\n        - {Key: Confidentiality, Value: Restricted}\n"
    )
    [f] = scan_one(tmp_path, rules, "t.yaml", cfn).findings
    assert f.severity is Severity.CRITICAL
    k8s = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: {data-classification: confidential}\nspec:\n  type: NodePort\n"
    (tmp_path / "t.yaml").unlink()
    [f] = scan_one(tmp_path, rules, "svc.yaml", k8s).findings
    assert f.severity is Severity.HIGH  # medium, raised


PUBLIC_SITE = 'resource "aws_s3_bucket" "site" {\n  bucket = "acme-www"\n  acl    = "public-read"\n  tags = {\n    "seawall:public" = %s\n  }\n}\n'


def test_declared_public_by_design_is_accepted_visibly(rules: RuleSet, tmp_path: Path) -> None:
    result = scan_one(tmp_path, rules, "main.tf", PUBLIC_SITE % '"marketing website, no customer data"')
    [f] = result.findings
    assert f.suppression is not None and f.suppression.kind == "intended"
    assert f.suppression.reason == "marketing website, no customer data" and f.suppression.span.line == 5
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0
    assert "accepted aws-s3-bucket-public-acl" in proc.stdout and "public by design: marketing website" in proc.stdout
    doc = json.loads(subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--format", "json"], capture_output=True, text=True, cwd=ROOT).stdout)
    assert doc["summary"]["findings"] == 0 and doc["summary"]["suppressed"] == 1
    assert doc["findings"][0]["suppressed"]["kind"] == "intended"


def test_declaration_without_a_reason_does_not_count(rules: RuleSet, tmp_path: Path) -> None:
    [f] = scan_one(tmp_path, rules, "main.tf", PUBLIC_SITE % '"true"').findings
    assert f.suppression is None
    assert any("gives no reason" in e.message for e in f.evidence)


def test_declared_in_kubernetes_and_cloudformation(rules: RuleSet, tmp_path: Path) -> None:
    k8s = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: www\n  annotations:\n    seawall.dev/public: public storefront behind a WAF\n"
        "spec:\n  type: LoadBalancer\n  selector: {app: www}\n  ports: [{port: 443}]\n"
    )
    [f] = scan_one(tmp_path, rules, "svc.yaml", k8s).findings
    assert f.suppression is not None and f.suppression.reason == "public storefront behind a WAF"
    (tmp_path / "svc.yaml").unlink()
    cfn = (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Site:\n    Type: AWS::S3::Bucket\n'
        "    Metadata:\n      seawall:\n        public: static website\n    Properties:\n      AccessControl: PublicRead\n"
    )
    [f] = scan_one(tmp_path, rules, "t.yaml", cfn).findings
    assert f.suppression is not None and f.suppression.reason == "static website"
