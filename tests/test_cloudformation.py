"""CloudFormation: detection, decoding (YAML and JSON), intrinsic functions, conditions, SAM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from linter.config import RunConfig
from linter.engine import parse_inputs, run
from linter.graph import ResourceGraph
from linter.ruleset import RuleSet
from linter.values import Unknown


def graph_of(tmp_path: Path, name: str, text: str, **kwargs) -> ResourceGraph:
    (tmp_path / name).write_text(text)
    out, _ = parse_inputs(RunConfig(paths=[str(tmp_path)], **kwargs))
    assert not out.errors, out.errors
    return ResourceGraph(out.resources)


def props(graph: ResourceGraph, address: str):
    [res] = [r for r in graph if r.address == address]
    return res.attrs["Properties"]


JSON_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Data"},
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]},
            },
        },
    },
}


def test_json_template_findings_on_their_lines(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "stack.template").write_text(json.dumps(JSON_TEMPLATE, indent=2))
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    got = sorted((f.rule_id, f.span.line) for f in result.findings)
    lines = (tmp_path / "stack.template").read_text().splitlines()
    acl_line = next(i for i, text in enumerate(lines, 1) if '"AccessControl"' in text)
    principal_line = next(i for i, text in enumerate(lines, 1) if '"Principal"' in text)
    assert got == [("aws-s3-bucket-public-acl", acl_line), ("aws-s3-bucket-public-policy", principal_line)]


def test_intrinsics_resolve(tmp_path: Path) -> None:
    text = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    prod: {Class: db.r6g.large}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Thing:
    Type: AWS::Test::Thing
    Properties:
      Sub: !Sub "${Env}-${AWS::Region}-x"
      SubVars: !Sub ["${A}-${Env}", {A: !Ref Env}]
      Join: !Join ["-", [a, !Ref Env]]
      Map: !FindInMap [Sizes, !Ref Env, Class]
      Select: !Select [1, !Ref Names]
      Split: !Split [",", "x,y"]
      IfProd: !If [IsProd, big, small]
      Gone: !If [IsDev, here, !Ref AWS::NoValue]
      Account: !Ref AWS::AccountId
      Other: !GetAtt Other.Arn
    DependsOn: Other
  Other:
    Type: AWS::Test::Other
  DevOnly:
    Type: AWS::Test::Other
    Condition: IsDev
"""
    graph = graph_of(tmp_path, "t.yaml", text)
    p = props(graph, "Thing")
    assert isinstance(p["Sub"], Unknown)  # AWS::Region is known only at deployment
    assert p["SubVars"] == "prod-prod"
    assert p["Join"] == "a-prod"
    assert p["Map"] == "db.r6g.large"
    assert p["Select"] == "b"
    assert p["Split"] == ["x", "y"]
    assert p["IfProd"] == "big"
    assert "Gone" not in p
    assert isinstance(p["Account"], Unknown)
    thing = next(r for r in graph if r.address == "Thing")
    other = next(r for r in graph if r.address == "Other")
    assert graph.references(thing, "Other") == [other]
    assert graph.references(thing, "DependsOn") == [other]
    assert not [r for r in graph if r.address == "DevOnly"]  # its condition is false


def test_parameter_values_file(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Acl: {Type: String, Default: Private}\n'
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: !Ref Acl\n"
    )
    assert not run(RunConfig(paths=[str(tmp_path / "t.yaml")]), rules).findings
    for content in (
        {"Acl": "PublicRead"},
        [{"ParameterKey": "Acl", "ParameterValue": "PublicRead"}],
        {"Parameters": {"Acl": "PublicRead"}},
    ):
        params = tmp_path / "params.json"
        params.write_text(json.dumps(content))
        result = run(RunConfig(paths=[str(tmp_path / "t.yaml")], cfn_params=str(params)), rules)
        [f] = result.findings
        assert any("parameter Acl" in e.message and "params.json" in e.message for e in f.evidence)


def test_finding_in_every_case_is_unconditional(rules: RuleSet, tmp_path: Path) -> None:
    # the condition cannot be decided, but the bucket is public in both cases
    text = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !If [IsProd, acme-prod, acme-dev]
      AccessControl: PublicRead
"""
    (tmp_path / "t.yaml").write_text(text)
    [f] = run(RunConfig(paths=[str(tmp_path)]), rules).findings
    assert not [e for e in f.evidence if e.message.startswith("only when")]


def test_sam_implied_resources(tmp_path: Path) -> None:
    text = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Jwt
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Open:
          Type: Api
          Properties: {Path: /open, Method: get}
        Guarded:
          Type: Api
          Properties: {Path: /guarded, Method: post, RestApiId: !Ref Api}
        Http:
          Type: HttpApi
          Properties: {Path: /h, Method: get}
"""
    graph = graph_of(tmp_path, "template.yaml", text)
    url = props(graph, "FnUrl")
    assert url["AuthType"] == "NONE"
    assert props(graph, "FnOpenMethod")["AuthorizationType"] == "NONE"
    assert props(graph, "FnGuardedMethod")["AuthorizationType"] == "CUSTOM"
    assert props(graph, "FnHttpRoute")["AuthorizationType"] == "NONE"
    fn = next(r for r in graph if r.address == "Fn")
    method = next(r for r in graph if r.address == "FnOpenMethod")
    assert graph.references(method, "Integration") == [fn]
    assert method.span.line == 18


def test_invalid_template_is_an_error_with_a_line(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B: [\n')
    (tmp_path / "good.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n')
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    [err] = result.errors
    assert err.file.endswith("bad.yaml") and err.line == 4 and "invalid template" in err.message
    assert [f.rule_id for f in result.findings] == ["aws-s3-bucket-public-acl"]


def test_a_template_without_resources_is_an_error_not_a_clean_file(rules: RuleSet, tmp_path: Path) -> None:
    """Read as a template but with no Resources mapping: nothing was checked, so the scan
    says so at the line that made it a template (never a clean result)."""
    (tmp_path / "stack.json").write_text('{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Outputs": {}\n}\n')
    (tmp_path / "list.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  - Type: AWS::S3::Bucket\n')
    (tmp_path / "event.json").write_text('{"requestId": 1, "fragment": {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}}\n')
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert [(os.path.basename(n.file), n.message) for n in result.notes if "Resources" in n.message] == [
        ("event.json", "mentions CloudFormation resource types but has no top-level Resources section: not read as a template")
    ]
    errors = sorted((os.path.basename(e.file), e.line, e.message) for e in result.errors)
    assert [(f, line) for f, line, _ in errors] == [("list.yaml", 2), ("stack.json", 2)]
    assert "Resources section is not a mapping" in errors[0][2] and "Resources section is missing" in errors[1][2]
    assert all("nothing in this file was checked" in m for _, _, m in errors)


def test_cfn_lint_is_not_imported_for_terraform_only_scans(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    code = (
        "import sys\nfrom linter.config import RunConfig\nfrom linter.engine import run\n"
        f"run(RunConfig(paths=[{str(tmp_path)!r}]))\nprint('cfnlint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
