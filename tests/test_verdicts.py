"""Verdicts from the provenance of the deciding values (issue 15, item 1)."""

from __future__ import annotations

from linter.model import Severity

BUCKET = """
variable "acl" {
  default = "public-read"
}
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}
resource "aws_s3_bucket_acl" "data" {
  bucket = aws_s3_bucket.data.id
  acl    = var.acl
}
"""
RULE = "aws-s3-bucket-public-acl"


def _only(result):
    found = [f for f in result.findings if f.rule_id == RULE]
    assert len(found) == 1, [(f.rule_id, f.message) for f in result.findings]
    return found[0]


def test_a_literal_is_exposed(scan) -> None:
    f = _only(scan({"main.tf": BUCKET.replace("var.acl", '"public-read"')}, select=[RULE]))
    assert f.verdict == "exposed" and f.verdict_reason == ""


def test_a_variable_default_is_default_and_names_the_input(scan) -> None:
    f = _only(scan({"main.tf": BUCKET}, select=[RULE]))
    assert f.verdict == "default"
    assert "var.acl" in f.verdict_reason and "default" in f.verdict_reason


def test_a_tfvars_value_is_exposed(scan) -> None:
    f = _only(scan({"main.tf": BUCKET.replace('default = "public-read"', 'default = "private"'), "terraform.tfvars": 'acl = "public-read"\n'}, select=[RULE]))
    assert f.verdict == "exposed"


def test_a_module_argument_is_exposed(scan) -> None:
    files = {
        "modules/bucket/main.tf": BUCKET.replace('default = "public-read"', 'default = "private"'),
        "main.tf": 'module "b" {\n  source = "./modules/bucket"\n  acl    = "public-read"\n}\n',
    }
    found = [f for f in scan(files, select=[RULE]).findings if f.rule_id == RULE]
    assert [f.verdict for f in found] == ["exposed"]


def test_an_unknown_count_is_conditional(scan) -> None:
    text = BUCKET.replace('resource "aws_s3_bucket_acl" "data" {', 'variable "n" {}\nresource "aws_s3_bucket_acl" "data" {\n  count  = var.n').replace("var.acl", '"public-read"')
    f = _only(scan({"main.tf": text}, select=[RULE]))
    assert f.verdict == "conditional" and "not known" in f.verdict_reason


TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
  SSHLocation:
    Type: String
    Default: 0.0.0.0/0
Conditions:
  IsDemo: !Equals [!Ref Env, demo]
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref SSHLocation
        - IpProtocol: tcp
          FromPort: 3306
          ToPort: 3306
          CidrIp: !If [IsDemo, 0.0.0.0/0, 10.0.0.0/8]
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0abcdef1234567890
      SecurityGroupIds: [!Ref Group]
"""


def test_cloudformation_parameter_default_and_undecided_condition(scan) -> None:
    result = scan({"stack.yaml": TEMPLATE}, select=["aws-security-group-public-ingress"])
    by_line = {f.span.line: f for f in result.findings}
    assert by_line[19].verdict == "default" and "SSHLocation" in by_line[19].verdict_reason
    assert by_line[23].verdict == "conditional" and "IsDemo" in by_line[23].verdict_reason


def test_cloudformation_parameter_file_is_exposed(scan, tmp_path) -> None:
    params = tmp_path / "params.json"
    params.write_text('[{"ParameterKey": "SSHLocation", "ParameterValue": "0.0.0.0/0"}, {"ParameterKey": "Env", "ParameterValue": "prod"}]')
    result = scan({"stack.yaml": TEMPLATE}, select=["aws-security-group-public-ingress"], cfn_params=str(params))
    assert [(f.span.line, f.verdict) for f in result.findings] == [(19, "exposed")]


GROUP = """
resource "aws_security_group" "admin" {
  name = "admin"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
PUBLIC_HOST = """
resource "aws_instance" "host" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.admin.id]
}
"""
SG_RULE = "aws-security-group-public-ingress"
HOST_RULE = "aws-instance-public-ip-open-ports"


def test_a_group_nothing_in_the_code_uses_is_conditional(scan) -> None:
    (f,) = scan({"main.tf": GROUP}, select=[SG_RULE]).findings
    assert f.verdict == "conditional" and "nothing in the scanned code uses" in f.verdict_reason
    assert str(f.severity) == "high"  # critical as written, one step down


def test_a_group_only_private_resources_use_is_posture(scan) -> None:
    private = PUBLIC_HOST.replace("associate_public_ip_address = true", 'associate_public_ip_address = false\n  subnet_id = "subnet-0123456789abcdef0"')
    (f,) = scan({"main.tf": GROUP + private}, select=[SG_RULE]).findings
    assert f.verdict == "posture" and "aws_instance.host" in f.verdict_reason
    assert str(f.severity) == "medium"


def test_a_group_a_public_instance_uses_is_exposed(scan) -> None:
    (f,) = scan({"main.tf": GROUP + PUBLIC_HOST}, select=[SG_RULE]).findings
    assert f.verdict == "exposed" and str(f.severity) == "critical"


def test_the_group_and_the_instance_it_exposes_are_one_finding(scan) -> None:
    result = scan({"main.tf": GROUP + PUBLIC_HOST}, select=[SG_RULE, HOST_RULE])
    (f,) = result.findings
    assert f.rule_id == HOST_RULE and f.severity.name == "CRITICAL"
    # both places: the instance (where it is shown) and the group's opening (in the evidence)
    assert any(e.span is not None and e.span.line == 8 and "aws_security_group.admin" in e.message for e in f.evidence)


def test_a_group_opening_the_instance_finding_leaves_out_stays(scan) -> None:
    app = GROUP.replace("  ingress {", '  ingress {\n    from_port   = 8080\n    to_port     = 8080\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n  ingress {', 1)
    result = scan({"main.tf": app + PUBLIC_HOST}, select=[SG_RULE, HOST_RULE])
    got = sorted((f.rule_id, f.span.line) for f in result.findings)
    # the SSH opening is merged into the instance finding; the 8080 one is only the group's
    assert got == [(HOST_RULE, 21), (SG_RULE, 8)], got


def test_a_configured_severity_is_kept_for_an_undecided_condition(scan) -> None:
    """The configuration's severity for a rule is the user's decision: a finding that holds
    under an undecided condition stays conditional but is not lowered below it."""
    rule = "aws-security-group-public-ingress"
    plain = {f.span.line: f for f in scan({"stack.yaml": TEMPLATE}, select=[rule]).findings}
    fixed = {f.span.line: f for f in scan({"stack.yaml": TEMPLATE}, select=[rule], severity_overrides={rule: Severity.CRITICAL}).findings}
    assert plain[23].verdict == fixed[23].verdict == "conditional"
    assert plain[23].severity < Severity.CRITICAL and fixed[23].severity == Severity.CRITICAL
