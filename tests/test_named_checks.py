"""Named checks (linter/checks/): how they scale, and rules written for them in a user's rule folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.graph import ResourceGraph
from linter.ruleset import RuleSet

# --------------------------------------------------------------------------- AWS policies, S3, Azure storage

S3_RULES = ["aws-s3-bucket-public-policy", "aws-s3-bucket-public-acl", "aws-s3-object-public-acl", "aws-s3-public-access-not-blocked", "aws-s3-access-point-public-policy"]


def _buckets(n: int) -> str:
    """One module with n buckets, each configured by the satellite resources that name it."""
    parts = ['resource "aws_s3_account_public_access_block" "account" {\n  block_public_acls = true\n}\n']
    for i in range(n):
        parts.append(
            f'''
resource "aws_s3_bucket" "b{i}" {{
  bucket = "acme-data-{i}"
}}
resource "aws_s3_bucket_acl" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  acl    = "public-read"
}}
resource "aws_s3_bucket_policy" "b{i}" {{
  bucket = "acme-data-{i}"
  policy = jsonencode({{ Statement = [{{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "*" }}] }})
}}
resource "aws_s3_bucket_public_access_block" "b{i}" {{
  bucket             = aws_s3_bucket.b{i}.id
  block_public_acls  = false
  ignore_public_acls = false
}}
resource "aws_s3_object" "b{i}" {{
  bucket = "acme-data-{i}"
  key    = "report.csv"
  acl    = "public-read"
}}
'''
        )
    return "".join(parts)


def _cost(tmp_path: Path, rules: RuleSet, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """(graph lookups, resources handed out by type, findings) for a scan of n buckets."""
    project = tmp_path / f"n{n}"
    project.mkdir()
    (project / "main.tf").write_text(_buckets(n))
    handed = [0]
    of_type = ResourceGraph.of_type

    def counting(self: ResourceGraph, *types: str) -> list[Any]:
        out = of_type(self, *types)
        handed[0] += len(out)
        return out

    monkeypatch.setattr(ResourceGraph, "of_type", counting)
    result = run(RunConfig(paths=[str(project)], select=S3_RULES, cache=False), rules, keep_graph=True)
    monkeypatch.setattr(ResourceGraph, "of_type", of_type)
    assert not result.errors and result.graph is not None
    return result.graph.lookups, handed[0], len(result.findings)


def test_s3_rules_link_buckets_in_linear_time(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 23: finding a bucket's ACL, policy and public access block went through
    every resource of a type for each bucket. Counted, not timed: 4x the buckets may cost
    at most 4.5x the lookups and the resources examined."""
    small = _cost(tmp_path, rules, 25, monkeypatch)
    large = _cost(tmp_path, rules, 100, monkeypatch)
    # every bucket is reported by the ACL, policy, object and block rules; the account block once
    assert small[2] == 4 * 25 + 1 and large[2] == 4 * 100 + 1
    assert small[0] > 0, "the S3 rules link through the graph's indexes"
    assert large[0] <= 4.5 * small[0], f"lookups grow faster than the buckets: {small[0]} for 25, {large[0]} for 100"
    print(f"lookups {small[0]} -> {large[0]}, resources examined {small[1]} -> {large[1]}")
    assert large[1] <= 4.5 * small[1], f"resources examined grow faster than the buckets: {small[1]} for 25, {large[1]} for 100"


def test_aws_policy_family_rule_from_a_user_rule_folder(tmp_path: Path) -> None:
    """A rule for an AWS resource policy seawall ships no rule for, written as YAML alone in
    a user's rule folder, fires through the public-policy check: the built-in
    aws-s3-multi-region-access-point-public-policy, as a team would write it."""
    import yaml

    builtin = yaml.safe_load((ROOT / "rules" / "aws-s3-multi-region-access-point-public-policy.yaml").read_text())
    rule = {**builtin, "id": "acme-mrap-public-policy"}
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-mrap-public-policy.yaml").write_text(yaml.safe_dump(rule, sort_keys=False))
    case = FIXTURES / "aws-s3-multi-region-access-point-public-policy"
    for kind, name, line in (("fail", "buckets_delegate.tf", 55), ("fail", "cfn_buckets_elsewhere.yaml", 24), ("pass", "buckets_do_not_delegate.tf", None)):
        project = tmp_path / kind / name
        project.mkdir(parents=True)
        (project / name).write_text((case / kind / name).read_text())
        result = run(RunConfig(paths=[str(project)], rule_dirs=[str(folder)], select=["acme-mrap-public-policy"], cache=False))
        assert not result.errors
        got = [(f.rule_id, f.span.line, str(f.severity)) for f in result.findings]
        assert got == ([("acme-mrap-public-policy", line, "critical")] if line else []), (name, got)


def test_grant_check_params_are_checked_when_the_rule_loads() -> None:
    """A mistake in a grant rule's params (a guard's severity, a condition inside a guard)
    is an error naming the rule file and the field, before anything is scanned."""
    from linter.ruleset import RuleError, parse_rule

    def rule(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "acme-queue-public",
            "title": "Queue policy lets anyone in",
            "severity": "high",
            "description": "A queue policy statement lets every principal send or read messages.",
            "remediation": "Name the principals that use the queue.",
            "references": ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"],
            "check": "public-policy",
            "params": params,
            "match": {"terraform": {"type": "aws_sqs_queue"}},
        }

    with pytest.raises(RuleError, match=r"acme-queue-public\.yaml: params\.guards\[0\]\.severity: .*'urgent'"):
        parse_rule(rule({"policy": "policy", "guards": [{"when": {"path": "fifo_queue", "equals": True}, "severity": "urgent"}]}), "/x/acme-queue-public.yaml", builtin=False)
    with pytest.raises(RuleError, match=r"params\.guards\[0\]\.when: .*'equal' was unexpected"):
        parse_rule(rule({"policy": "policy", "guards": [{"when": {"path": "fifo_queue", "equal": True}}]}), "/x/acme-queue-public.yaml", builtin=False)
    with pytest.raises(RuleError, match=r"params.*'policy'"):
        parse_rule(rule({"grades": [{"actions": ["sqs:SendMessage"]}]}), "/x/acme-queue-public.yaml", builtin=False)
    assert parse_rule(rule({"policy": "policy"}), "/x/acme-queue-public.yaml", builtin=False).check == "public-policy"
