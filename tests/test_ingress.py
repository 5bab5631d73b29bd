"""Internet ingress: ports in every spelling, grading by what listens, evidence of this
finding only (issue 13, items 12 and 13)."""

from __future__ import annotations

import pytest

from linter.model import Severity
from linter.ports import ALL, UNKNOWN, PortRange, from_to, grade, parse_ports


@pytest.mark.parametrize(
    ("written", "ranges"),
    [
        (22, [PortRange(22, 22)]),
        ("22", [PortRange(22, 22)]),
        ("1000-2000", [PortRange(1000, 2000)]),
        ("*", [ALL]),
        ("22,3389", [PortRange(22, 22), PortRange(3389, 3389)]),
        ("21, 22-23", [PortRange(21, 21), PortRange(22, 23)]),
        (["80", "8000-8100"], [PortRange(80, 80), PortRange(8000, 8100)]),
        ("ssh", [UNKNOWN]),
        ("30-20", [UNKNOWN]),
        ("22/22", [PortRange(22, 22)]),  # Alibaba Cloud
        ("8000/9000", [PortRange(8000, 9000)]),
        ("-1/-1", [ALL]),
        ("1/65535", [ALL]),
        ("22/x", [UNKNOWN]),
    ],
)
def test_ports_in_every_spelling(written: object, ranges: list[PortRange]) -> None:
    assert parse_ports(written) == ranges


def test_from_to_pairs() -> None:
    assert from_to(-1, -1) == ALL and from_to(0, 65535) == ALL and from_to("22", 22) == PortRange(22, 22)
    assert from_to(None, 22) == UNKNOWN


@pytest.mark.parametrize(
    ("r", "listening", "severity", "words"),
    [
        (PortRange(8080, 8090), (), Severity.MEDIUM, "includes 8086 (InfluxDB); nothing known to listen there"),
        (PortRange(8080, 8090), (8086,), Severity.CRITICAL, "database/admin API 8086 (InfluxDB)"),
        (PortRange(5432, 5432), (), Severity.CRITICAL, "5432 (PostgreSQL)"),
        (PortRange(9200, 9300), (), Severity.CRITICAL, "9200 (Elasticsearch)"),
        (PortRange(20, 30), (), Severity.CRITICAL, "remote administration 22 (SSH)"),
        (PortRange(10000, 11100), (), Severity.HIGH, "1101 ports (includes 10250 (kubelet)"),
        (PortRange(443, 443), (), None, ""),
        (ALL, (), Severity.CRITICAL, "all ports"),
        (UNKNOWN, (), Severity.HIGH, "ports not known"),
    ],
)
def test_grading_by_what_is_known_to_listen(r: PortRange, listening: tuple[int, ...], severity: Severity | None, words: str) -> None:
    g = grade(r, listening)
    if severity is None:
        assert g is None
    else:
        assert g is not None and g.severity == severity and words in g.why, g


def test_a_port_range_is_labelled_as_the_range_it_is(scan) -> None:
    result = scan(
        {
            "main.tf": """
resource "aws_security_group" "app" {
  ingress {
    description = "user service ports"
    from_port   = 8080
    to_port     = 8090
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
        },
        select=["aws-security-group-public-ingress"],
    )
    [f] = result.findings
    # medium as written, one step down: nothing in the code uses the group (conditional)
    assert f.severity == Severity.LOW and f.verdict == "conditional"
    assert "ports 8080-8090" in f.message and "includes 8086 (InfluxDB)" in f.message and "database/admin API" not in f.message
    assert f.ports == ((8080, 8090),)


def test_a_range_reaching_what_is_known_to_listen_is_critical(scan) -> None:
    result = scan(
        {
            "main.tf": """
resource "aws_security_group" "db" {
  ingress {
    from_port   = 5400
    to_port     = 5500
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_db_instance" "main" {
  engine                 = "postgres"
  publicly_accessible    = true
  vpc_security_group_ids = [aws_security_group.db.id]
}
"""
        },
        select=["aws-security-group-public-ingress"],
    )
    [f] = result.findings
    assert f.severity == Severity.CRITICAL and "5432 (PostgreSQL)" in f.message
    assert any("used by aws_db_instance.main" in e.message for e in f.evidence)


TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  SSHLocation:
    Type: String
    Default: 0.0.0.0/0
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web and ssh
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref SSHLocation
        - IpProtocol: tcp
          FromPort: 8888
          ToPort: 8888
          CidrIp: 0.0.0.0/0
"""


def test_evidence_comes_from_the_witness_of_this_finding_only(scan) -> None:
    result = scan({"stack.yaml": TEMPLATE}, select=["aws-security-group-public-ingress"])
    by_line = {f.span.line: f for f in result.findings}
    assert set(by_line) == {15, 19}
    assert any("SSHLocation" in e.message for e in by_line[15].evidence)
    assert not any("SSHLocation" in e.message for e in by_line[19].evidence), [e.message for e in by_line[19].evidence]


def test_exposure_and_posture_rules_split_a_groups_ports_without_overlap(scan) -> None:
    """Issue 15: the web/ICMP posture rule reports only what the exposure rule leaves out,
    ICMP is read only by the rule that grades it, and an ICMP finding carries no ports (so
    it is never merged into a port's finding)."""
    result = scan(
        {
            "main.tf": """
resource "aws_security_group" "mixed" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = -1
    to_port     = -1
    protocol    = "icmp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
        },
        select=["aws-security-group-public-ingress", "aws-security-group-public-web-ingress"],
    )
    by_line: dict[int, list[str]] = {}
    for f in result.findings:
        by_line.setdefault(f.span.line, []).append(f.rule_id)
    assert by_line == {
        7: ["aws-security-group-public-ingress"],
        13: ["aws-security-group-public-web-ingress"],
        19: ["aws-security-group-public-web-ingress"],
        25: ["aws-security-group-public-ingress"],
    }
    icmp = next(f for f in result.findings if f.span.line == 19)
    assert icmp.verdict == "posture" and icmp.ports == () and "ICMP" in icmp.message


def test_network_acl_rules_split_every_port_from_administration_ports(scan) -> None:
    """`grades.all` grades every port apart from the other critical ports: the admin rule
    keeps SSH, the posture rule keeps every port and FTP, the ephemeral range is neither's."""
    result = scan(
        {
            "main.tf": """
resource "aws_network_acl" "public" {
  vpc_id = "vpc-0123456789abcdef0"
  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 22
    to_port    = 22
  }
  ingress {
    protocol   = "tcp"
    rule_no    = 110
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 20
    to_port    = 21
  }
  ingress {
    protocol   = "tcp"
    rule_no    = 120
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }
  ingress {
    protocol   = "-1"
    rule_no    = 130
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
"""
        },
        select=["aws-network-acl-public-admin-ingress", "aws-network-acl-public-ingress"],
    )
    got = sorted((f.span.line, f.rule_id) for f in result.findings)
    assert got == [(8, "aws-network-acl-public-admin-ingress"), (16, "aws-network-acl-public-ingress"), (32, "aws-network-acl-public-ingress")]
    assert all(f.verdict == "posture" for f in result.findings)
