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



PUBLIC_DB = 'resource "aws_db_instance" "%s" {\n  engine              = "mysql"\n  publicly_accessible = true\n%s}\n'


def _provider(alias: str, tags: str) -> str:
    alias_line = f'  alias  = "{alias}"\n' if alias else ""
    default_tags = f"  default_tags {{\n    tags = {{\n      {tags}\n    }}\n  }}\n" if tags else ""
    return f'provider "aws" {{\n{alias_line}  region = "eu-west-1"\n{default_tags}}}\n'


def _scan_project(tmp_path: Path, rules: RuleSet, files: dict[str, str]) -> dict[str, Severity]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-rds-publicly-accessible"]), rules)
    return {f.resource: f.severity for f in result.findings}


def test_provider_default_tags_decide_sensitivity(rules: RuleSet, tmp_path: Path) -> None:
    # default_tags apply to every resource of the provider configuration it uses: the one
    # named with `provider = aws.x`, the one a module is given in `providers`, else the default
    files = {
        "providers.tf": _provider("", 'team = "data"') + _provider("pii", 'data_classification = "confidential"'),
        "main.tf": (
            PUBLIC_DB % ("plain", "")
            + PUBLIC_DB % ("customers", "  provider            = aws.pii\n")
            + 'module "given" {\n  source = "./given"\n  providers = {\n    aws = aws.pii\n  }\n}\n'
        ),
        "given/main.tf": PUBLIC_DB % ("d", ""),
    }
    assert _scan_project(tmp_path / "a", rules, files) == {
        "aws_db_instance.plain": Severity.HIGH,  # team = "data" says nothing about the data
        "aws_db_instance.customers": Severity.CRITICAL,
        "module.given.aws_db_instance.d": Severity.CRITICAL,  # its `aws` is the caller's aws.pii
    }
    files = {
        "providers.tf": _provider("", 'pii = "true"') + _provider("public", ""),
        "main.tf": (
            PUBLIC_DB % ("plain", "")
            + PUBLIC_DB % ("declassified", '  tags = {\n    pii = "false"\n  }\n')
            + 'module "inherits" {\n  source = "./inherits"\n}\n'
            + 'module "given" {\n  source = "./given"\n  providers = {\n    aws = aws.public\n  }\n}\n'
        ),
        "inherits/main.tf": PUBLIC_DB % ("d", ""),
        "given/main.tf": PUBLIC_DB % ("d", ""),
    }
    assert _scan_project(tmp_path / "b", rules, files) == {
        "aws_db_instance.plain": Severity.CRITICAL,
        "aws_db_instance.declassified": Severity.HIGH,  # its own tag overrides the default
        "module.inherits.aws_db_instance.d": Severity.CRITICAL,  # the default provider is passed down
        "module.given.aws_db_instance.d": Severity.HIGH,  # given aws.public, which has no default tags
    }
    result = run(RunConfig(paths=[str(tmp_path / "b" / "main.tf")], select=["aws-rds-publicly-accessible"]), rules)
    plain = next(f for f in result.findings if f.resource == "aws_db_instance.plain")
    [why] = [e for e in plain.evidence if "severity raised" in e.message]
    assert "is tagged pii = true (a default tag of provider aws (" in why.message
    assert why.span is not None and why.span.file.endswith("providers.tf") and why.span.line == 5


def test_plan_tags_all_carry_the_provider_default_tags(rules: RuleSet, tmp_path: Path) -> None:
    values = {"engine": "mysql", "publicly_accessible": True, "tags": {"team": "data"}, "tags_all": {"team": "data", "pii": "true"}}
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [{"address": "aws_db_instance.d", "mode": "managed", "type": "aws_db_instance", "name": "d", "values": values}]}},
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan, indent=2))
    [f] = run(RunConfig(paths=[str(tmp_path / "plan.json")], select=["aws-rds-publicly-accessible"]), rules).findings
    assert f.severity is Severity.CRITICAL
    assert any("pii = true (a default tag of the provider (tags_all in the plan))" in e.message for e in f.evidence)
