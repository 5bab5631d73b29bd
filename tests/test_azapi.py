"""azapi_resource (issue 17, item 4): bodies with ARM property names judged by the Azure rules.
The rules' own fixtures (tests/fixtures/azure-*/{fail,pass}/azapi.tf) prove each rule on
exact lines; these tests cover what fixtures cannot: plans, unknown values, the table."""

from __future__ import annotations

import json
from pathlib import Path

from linter.config import RunConfig
from linter.engine import run
from linter.parsers.terraform.azapi import table
from linter.ruleset import RuleSet


def _account(body: str, api: str = "2023-05-01") -> str:
    return f'resource "azapi_resource" "sa" {{\n  type      = "Microsoft.Storage/storageAccounts@{api}"\n  name      = "st"\n  parent_id = "rg"\n  body      = {body}\n}}\n'


def test_every_table_entry_is_judged_or_consulted_by_some_rule(rules: RuleSet) -> None:
    # consulted: a Container App environment decides whether its apps are public
    matched = {t for r in rules.rules for c in r.clauses for t in c.all_types()}
    for arm, spec in table().items():
        assert spec["type"] in matched, f"{arm}: no rule judges or consults {spec['type']}"


def test_plan_with_a_json_text_body(rules: RuleSet, tmp_path: Path) -> None:
    # azapi 1.x plans hold the body as JSON text
    body = json.dumps({"properties": {"allowBlobPublicAccess": True}})
    values = {"type": "Microsoft.Storage/storageAccounts@2022-09-01", "name": "st", "parent_id": "rg", "body": body}
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [{"address": "azapi_resource.sa", "mode": "managed", "type": "azapi_resource", "name": "sa", "values": values}]}},
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan, indent=2))
    result = run(RunConfig(paths=[str(tmp_path / "plan.json")], select=["azure-storage-account-public-blob-access"]), rules)
    assert [f.resource for f in result.findings] == ["azapi_resource.sa"]


def test_values_seawall_does_not_know_are_not_guessed(scan) -> None:
    # an enum value outside the table, and a body that is not known: no finding, no error
    odd = _account('{ properties = { publicNetworkAccess = "SecuredByPerimeter", networkAcls = { defaultAction = "Allow" } } }')
    result = scan({"main.tf": odd}, select=["azure-storage-account-network-open"])
    assert not result.errors and not result.findings
    unknown = _account("var.body") + 'variable "body" {}\n'
    result = scan({"main.tf": unknown})
    assert not result.errors and not result.findings


def test_a_known_value_reported_through_a_variable_names_its_origin(scan) -> None:
    text = _account("{ properties = { allowBlobPublicAccess = var.public } }") + 'variable "public" {\n  default = true\n}\n'
    [f] = scan({"main.tf": text}, select=["azure-storage-account-public-blob-access"]).findings
    assert f.span.line == 5
    assert any("var.public" in e.message for e in f.evidence)
    assert any("written with azapi" in e.message for e in f.evidence)
