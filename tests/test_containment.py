"""An error, or an Unknown, in one resource is contained to that resource: every other
resource is still judged by the same rule (issue 13, item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, copy_case

from linter.config import RunConfig
from linter.engine import parse_inputs, run
from linter.evaluation import evaluate_rules
from linter.graph import Resource, ResourceGraph
from linter.model import Span
from linter.ruleset import RuleSet
from linter.values import PDict, PList, Unknown

OPEN_SSH = """
resource "aws_security_group" "open" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def test_unknown_ingress_does_not_hide_the_open_group_next_to_it(scan) -> None:
    result = scan(
        {
            "main.tf": OPEN_SSH
            + 'variable "rules" {}\nresource "aws_security_group" "dynamic" {\n  ingress = var.rules\n}\n'
            + 'resource "aws_network_acl" "acl" {\n  ingress = var.rules\n}\n'
        }
    )
    assert not result.errors, result.errors
    assert [(f.rule_id, f.resource) for f in result.findings] == [("aws-security-group-public-ingress", "aws_security_group.open")]


def test_plan_with_ingress_known_only_after_apply(scan, tmp_path: Path) -> None:
    """Terraform plans every security group without inline rules with ingress unknown."""
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {
            "root_module": {
                "resources": [
                    {"address": "aws_security_group.later", "mode": "managed", "type": "aws_security_group", "name": "later", "values": {"name": "later"}},
                    {
                        "address": "aws_security_group.open",
                        "mode": "managed",
                        "type": "aws_security_group",
                        "name": "open",
                        "values": {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]},
                    },
                ]
            }
        },
        "resource_changes": [
            {"address": "aws_security_group.later", "mode": "managed", "type": "aws_security_group", "name": "later", "change": {"actions": ["create"], "after": {"name": "later"}, "after_unknown": {"ingress": True, "egress": True}}},
            {
                "address": "aws_security_group.open",
                "mode": "managed",
                "type": "aws_security_group",
                "name": "open",
                "change": {"actions": ["create"], "after": {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]}, "after_unknown": {}},
            },
        ],
    }
    result = scan({"plan.json": json.dumps(plan)})
    assert not result.errors, result.errors
    assert [f.resource for f in result.findings if f.rule_id == "aws-security-group-public-ingress"] == ["aws_security_group.open"]


def test_an_exception_on_one_resource_is_reported_and_the_rule_goes_on(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from linter import checks

    check = checks.get("internet-ingress")
    assert check is not None
    real = check.run

    def flaky(ctx: Any, res: Resource) -> Any:
        if res.address == "aws_security_group.cursed":
            raise ZeroDivisionError("boom")
        return real(ctx, res)

    patched = checks.NamedCheck(check.name, flaky, check.params, check.summary, check.doc, check.module)
    real_get = checks.get
    monkeypatch.setattr(checks, "get", lambda name: patched if name == check.name else real_get(name))
    (tmp_path / "main.tf").write_text(OPEN_SSH + OPEN_SSH.replace('"open"', '"cursed"'))
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-security-group-public-ingress"]), rules)
    [err] = result.errors
    assert err.kind == "internal" and err.file.endswith("main.tf") and err.line == 11
    assert "aws-security-group-public-ingress" in err.message and "aws_security_group.cursed" in err.message and "ZeroDivisionError" in err.message
    assert [f.resource for f in result.findings] == ["aws_security_group.open"]


class AllUnknown(PDict):
    """Attributes of which nothing is known: every key holds an Unknown."""

    def get(self, key: Any, default: Any = None) -> Any:
        return Unknown(f"{key} is not known")

    def __getitem__(self, key: Any) -> Any:
        return Unknown(f"{key} is not known")

    def __contains__(self, key: object) -> bool:
        return True


def _unknown_resources(rules: RuleSet) -> list[Resource]:
    out: list[Resource] = []
    span = Span("unknown.tf", 1, 1, 1, 2)
    for clause in (c for rule in rules for c in rule.clauses):
        for rtype in (*clause.types, *(t for ts in clause.related.values() for t in ts)):
            res_id = f"root::{clause.format}:{rtype}"
            out.append(Resource(res_id, f"{rtype}.unknown", rtype, clause.format, AllUnknown(span=span), span, span))
            # a second flavour: the format's own envelope, every value inside it unknown
            envelope = PDict({"Properties": AllUnknown(span=span), "Type": rtype}, span=span) if clause.format == "cloudformation" else PDict({"metadata": Unknown("metadata"), "spec": Unknown("spec"), "kind": rtype}, span=span) if clause.format == "kubernetes" else PDict({k: Unknown(k) for k in ("ingress", "policy", "members", "member", "role", "acl", "bucket", "name", "tags")}, span=span)
            out.append(Resource(res_id + "#2", f"{rtype}.unknown2", rtype, clause.format, envelope, span, span))
    return out


def test_every_rule_survives_resources_whose_every_attribute_is_unknown(rules: RuleSet) -> None:
    graph = ResourceGraph(_unknown_resources(rules))
    findings, errors = evaluate_rules(graph, rules)
    assert not errors, "\n".join(e.message for e in errors[:10])
    # the second flavour leaves settings out, and rules may judge an absent setting by its
    # default; with every attribute unknown, nothing may be concluded
    concluded = [(f.rule_id, f.resource, f.message) for f in findings if not f.resource.endswith(".unknown2")]
    assert not concluded, concluded[:10]


def _unknown_leaves(value: Any) -> Any:
    """The same structure with every scalar replaced by an Unknown (positions kept)."""
    if isinstance(value, dict):
        out = PDict({k: _unknown_leaves(v) for k, v in value.items()}, span=getattr(value, "span", None))
        out.spans = dict(getattr(value, "spans", {}))
        return out
    if isinstance(value, list):
        return PList([_unknown_leaves(v) for v in value], span=getattr(value, "span", None), spans=list(getattr(value, "spans", [])))
    return Unknown("made unknown by the test")


def test_every_rule_survives_its_fail_fixtures_with_every_value_unknown(rules: RuleSet, tmp_path: Path) -> None:
    """The shapes the rules are written for, with nothing known inside them: no rule errs."""
    resources: list[Resource] = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for case in sorted((rule_dir / "fail").iterdir()) if (rule_dir / "fail").is_dir() else []:
            root = copy_case(case, tmp_path / rule_dir.name / case.name)
            parsed, _ = parse_inputs(RunConfig(paths=[str(root)], cache=False))
            for res in parsed.resources:
                res.attrs = _unknown_leaves(res.attrs)
                res.id = f"{rule_dir.name}/{case.name}/{res.id}"
                resources.append(res)
    graph = ResourceGraph(resources)
    _, errors = evaluate_rules(graph, rules)
    assert not errors, "\n".join(e.message for e in errors[:10])
