"""Named checks used from rules that are only data, including rules in a user's rule folder:
each family proves its checks work from a user rule folder (YAML only), and that its
group-level questions stay linear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, ROOT, copy_case
from test_rule_fixtures import expected

from linter.config import RunConfig
from linter.engine import run
from linter.graph import ResourceGraph
from linter.model import ScanResult
from linter.ruleset import RuleError, RuleSet, builtin_dir, load_rules
from linter.values import on_off

ENDPOINT_RULE = """\
id: acme-eventgrid-open
title: Event Grid accepts events from every network
severity: high
description: Our own copy of the Event Grid rule, written in a user rule folder as YAML only.
remediation: Add inbound IP rules or turn public network access off.
references: [https://learn.microsoft.com/en-us/azure/event-grid/configure-firewall]
message: "{resource} takes events from anyone: {reason}"
check: public-endpoint
params:
  switch:
    - {settings: [public_network_access_enabled], default: true}
  allows:
    - {addresses: inbound_ip_rule, field: ip_mask}
  severity_by:
    - {setting: local_auth_enabled, equals: false, default: true, severity: low}
match:
  terraform:
    type: [azurerm_eventgrid_topic, azurerm_eventgrid_domain]
"""

FIREWALL_RULE = """\
id: acme-mariadb-azure-services
title: MariaDB admits every Azure-hosted address
severity: medium
description: Our own rule for the allow-Azure-services firewall rule of MariaDB servers.
remediation: Delete the 0.0.0.0 firewall rule and use a private endpoint.
references: [https://learn.microsoft.com/en-us/azure/mariadb/concepts-firewall-rules]
message: "{server} admits every Azure-hosted address through {rule}"
check: firewall-rule
params:
  label: MariaDB server
  server: [server_name]
  azure_services: true
  server_switch:
    - {settings: [public_network_access_enabled], default: true}
  report:
    azure_services: {}
match:
  terraform:
    type: azurerm_mariadb_firewall_rule
    related:
      server: [azurerm_mariadb_server]
"""

MARIADB = """\
resource "azurerm_mariadb_server" "blog" {
  name                = "mariadb-blog"
  resource_group_name = "rg-blog"
  location            = "westeurope"
  sku_name            = "B_Gen5_1"
  version             = "10.3"
}

resource "azurerm_mariadb_firewall_rule" "azure" {
  name                = "azure"
  resource_group_name = "rg-blog"
  server_name         = "mariadb-blog"
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}

resource "azurerm_mariadb_server" "closed" {
  name                          = "mariadb-closed"
  resource_group_name           = "rg-blog"
  location                      = "westeurope"
  sku_name                      = "B_Gen5_1"
  version                       = "10.3"
  public_network_access_enabled = false
}

resource "azurerm_mariadb_firewall_rule" "closed" {
  name                = "azure"
  resource_group_name = "rg-blog"
  server_name         = azurerm_mariadb_server.closed.name
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}
"""


def test_endpoint_checks_from_a_user_rule_folder(tmp_path: Path) -> None:
    """public-endpoint and firewall-rule, used by rules in a user folder: the same findings
    as the built-in Event Grid rule's fixture, graded by the user's own severities."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-eventgrid-open.yaml").write_text(ENDPOINT_RULE)
    (folder / "acme-mariadb-azure-services.yaml").write_text(FIREWALL_RULE)
    rules = load_rules([str(folder)], builtin=False)
    assert {r.id: r.check for r in rules} == {"acme-eventgrid-open": "public-endpoint", "acme-mariadb-azure-services": "firewall-rule"}
    assert all(not r.builtin and r.companion is None for r in rules)

    topics = FIXTURES / "azure-eventgrid-public-network" / "fail" / "open_topics.tf"
    result = run(RunConfig(paths=[str(topics)], rule_dirs=[str(folder)], select=["acme-eventgrid-open"]))
    assert not result.errors
    got = sorted((f.span.line, str(f.severity)) for f in result.findings)
    assert got == [(2, "high"), (21, "low"), (31, "high")]
    assert all(f.message.startswith("azurerm_eventgrid_") and "takes events from anyone" in f.message for f in result.findings)

    project = tmp_path / "project"
    project.mkdir()
    (project / "main.tf").write_text(MARIADB)
    result = run(RunConfig(paths=[str(project)], rule_dirs=[str(folder)], select=["acme-mariadb-azure-services"]))
    assert not result.errors
    assert [(f.span.line, f.message) for f in result.findings] == [
        (13, "MariaDB server azurerm_mariadb_server.blog admits every Azure-hosted address through azurerm_mariadb_firewall_rule.azure")
    ]


def test_endpoint_params_are_checked_when_the_user_rule_loads(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-eventgrid-open.yaml").write_text(ENDPOINT_RULE.replace("field: ip_mask", "feild: ip_mask"))
    with pytest.raises(RuleError) as err:
        load_rules([str(folder)], builtin=False)
    assert "acme-eventgrid-open.yaml" in str(err.value) and "public-endpoint" in str(err.value)


def test_firewall_rules_of_a_server_are_linked_once(tmp_path: Path) -> None:
    """Every firewall rule is judged with all the rules of its server through one index:
    the name lookups grow with the number of rules, not rules x rules or rules x servers."""

    def lookups(n: int) -> int:
        project = tmp_path / f"p{n}"
        project.mkdir()
        parts = []
        for i in range(n):
            parts.append(f'resource "azurerm_mssql_server" "s{i}" {{\n  name = "sql-{i}"\n}}\n')
            for half, (lo, hi) in enumerate((("1.0.0.0", "127.255.255.255"), ("128.0.0.0", "255.255.255.255"))):
                parts.append(
                    f'resource "azurerm_sql_firewall_rule" "r{i}_{half}" {{\n  server_name = "sql-{i}"\n'
                    f'  start_ip_address = "{lo}"\n  end_ip_address = "{hi}"\n}}\n'
                )
        (project / "main.tf").write_text("".join(parts))
        result = run(RunConfig(paths=[str(project)], select=["azure-sql-firewall-open", "azure-sql-server-public-network"]), keep_graph=True)
        assert len([f for f in result.findings if f.rule_id == "azure-sql-firewall-open"]) == 2 * n
        assert len([f for f in result.findings if f.rule_id == "azure-sql-server-public-network"]) == n
        assert result.graph is not None
        return result.graph.lookups

    small, large = lookups(10), lookups(40)
    assert large <= 4 * small + 8, (small, large)


def test_on_off_words() -> None:
    assert [on_off(v) for v in (True, "Enabled", " disabled ", "TRUE", "off", "AllowAll", None, 1)] == [True, True, False, True, False, None, None, None]


# --------------------------------------------------------------------------- public grants (GCP family)

RULE_TEXT = {
    "title": "A test rule for public grants in a user folder",
    "severity": "high",
    "description": "A rule written by a user, as data only, for the public-grant named check.",
    "remediation": "Remove the public principal from the grant.",
    "references": ["https://example.com/public-grants"],
}


def _user_rule(folder: Path, rule_id: str, **body: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rule_id}.yaml").write_text(yaml.safe_dump({"id": rule_id, **RULE_TEXT, **body}, sort_keys=False))


def _scan(tmp_path: Path, files: dict[str, str], rule_dir: Path, rule_id: str) -> ScanResult:
    project = tmp_path / "project"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    result = run(RunConfig(paths=[str(project)], rule_dirs=[str(rule_dir)], select=[rule_id]))
    assert not result.errors, result.errors
    return result


def test_public_grants_family_rule_from_a_user_folder(tmp_path: Path) -> None:
    """The new GCP rule (BigQuery sharing IAM), copied into a user's rule folder under another
    id, fires there on the built-in rule's fixtures: same lines, same severities."""
    data = yaml.safe_load((Path(builtin_dir()) / "gcp-bigquery-analytics-hub-public-iam.yaml").read_text())
    data["id"] = "acme-bigquery-sharing-public"
    folder = tmp_path / "my-rules"
    folder.mkdir()
    (folder / "acme-bigquery-sharing-public.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (folder / "acme_bigquery_sharing_public.py").write_text("raise SystemExit('user Python must never run')\n")
    assert load_rules([str(folder)]).get("acme-bigquery-sharing-public") is not None

    fails = sorted((FIXTURES / "gcp-bigquery-analytics-hub-public-iam" / "fail").iterdir())
    assert fails
    for i, case in enumerate(fails):
        root = copy_case(case, tmp_path / f"case{i}")
        result = run(RunConfig(paths=[str(root)], rule_dirs=[str(folder)], select=["acme-bigquery-sharing-public"]))
        assert not result.errors
        got = {(Path(f.span.file).relative_to(root).as_posix(), f.span.line): str(f.severity) for f in result.findings}
        lines, severities, _ = expected(root, "gcp-bigquery-analytics-hub-public-iam")
        assert set(got) == lines, case.name
        assert {k: got[k] for k in severities} == severities
    for i, case in enumerate(sorted((FIXTURES / "gcp-bigquery-analytics-hub-public-iam" / "pass").iterdir())):
        root = copy_case(case, tmp_path / f"pass{i}")
        assert not run(RunConfig(paths=[str(root)], rule_dirs=[str(folder)], select=["acme-bigquery-sharing-public"])).findings


def test_public_grants_setting_grant_with_a_parent_guard_that_defaults_open(tmp_path: Path) -> None:
    """An Azure-shaped rule: a container's access level is the grant; the storage account
    (by id reference or by name, whichever is written) refuses it only when it says so."""
    rules = tmp_path / "rules"
    _user_rule(
        rules,
        "acme-container-public",
        message="Container {resource} of {target} grants {grant}",
        check="public-grant",
        params={
            "grants": [
                {
                    "setting": "container_access_type",
                    "public": {"blob": "anyone can read its blobs", "container": "anyone can list and read its blobs"},
                    "text": "access level {value}: {who}",
                }
            ],
            "parent": {"settings": ["storage_account_id", "storage_account_name"]},
            "guards": [
                {
                    "when": {"path": "allow_nested_items_to_be_public", "equals": False},
                    "setting": "allow_nested_items_to_be_public",
                    "unset": "{target} does not set allow_nested_items_to_be_public, which defaults to true",
                    "set": "{target} sets allow_nested_items_to_be_public = {value}",
                }
            ],
        },
        match={"terraform": {"type": "azurerm_storage_container", "related": {"parent": ["azurerm_storage_account"]}}},
    )
    tf = """
resource "azurerm_storage_account" "open" {
  name = "acmeopen"
}
resource "azurerm_storage_account" "locked" {
  name                            = "acmelocked"
  allow_nested_items_to_be_public = false
}
resource "azurerm_storage_container" "by_id" {
  name                  = "a"
  storage_account_id    = azurerm_storage_account.open.id
  container_access_type = "container"
}
resource "azurerm_storage_container" "by_name" {
  name                  = "b"
  storage_account_name  = "acmeopen"
  container_access_type = "Blob"
}
resource "azurerm_storage_container" "guarded" {
  name                  = "c"
  storage_account_name  = "acmelocked"
  container_access_type = "blob"
}
resource "azurerm_storage_container" "private" {
  name                  = "d"
  storage_account_name  = "acmeopen"
  container_access_type = "private"
}
"""
    result = _scan(tmp_path, {"main.tf": tf}, rules, "acme-container-public")
    found = {f.resource: f for f in result.findings}
    assert set(found) == {"azurerm_storage_container.by_id", "azurerm_storage_container.by_name"}
    assert found["azurerm_storage_container.by_name"].message == (
        'Container azurerm_storage_account.open of azurerm_storage_account.open grants access level "Blob": anyone can read its blobs'
    )
    assert found["azurerm_storage_container.by_id"].subject == "azurerm_storage_account.open"
    assert [e.message for e in found["azurerm_storage_container.by_id"].evidence] == [
        "azurerm_storage_account.open does not set allow_nested_items_to_be_public, which defaults to true"
    ]


def test_public_grants_statements_limited_by_a_condition_are_not_public(tmp_path: Path) -> None:
    """An AWS-shaped rule: statements of a JSON policy are entries; 'unless' removes the ones a
    condition limits (or that deny); the action is the role graded by glob."""
    rules = tmp_path / "rules"
    limited = {"any": [{"not": {"path": "Effect", "equals": "Allow"}}, {"path": "Condition", "exists": True}]}
    _user_rule(
        rules,
        "acme-queue-policy-public",
        message="{target} lets {who} call {role}",
        check="public-grant",
        params={
            "public": {"*": "anyone"},
            "grants": [
                {"entries": "policy.Statement[*]", "principals": "Principal", "role": "Action", "unless": limited},
                {"entries": "policy.Statement[*]", "principals": "Principal.AWS", "role": "Action", "unless": limited},
            ],
            "severity_by_role": {"sqs:Get*": "medium", "sqs:ReceiveMessage": "none"},
            "parent": {"settings": ["queue_url"], "name_setting": "url"},
        },
        match={"terraform": {"type": "aws_sqs_queue_policy", "related": {"parent": ["aws_sqs_queue"]}}},
    )
    tf = """
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Principal = "*", Action = "sqs:SendMessage" },
      { Effect = "Allow", Principal = { AWS = "*" }, Action = "sqs:GetQueueAttributes" },
      { Effect = "Allow", Principal = { AWS = "*" }, Action = "sqs:ReceiveMessage" },
      { Effect = "Allow", Principal = "*", Action = "sqs:DeleteMessage", Condition = { ArnEquals = { "aws:SourceArn" = "arn:aws:sns:eu-west-1:123456789012:t" } } },
      { Effect = "Deny", Principal = "*", Action = "sqs:*" },
    ]
  })
}
"""
    result = _scan(tmp_path, {"main.tf": tf}, rules, "acme-queue-policy-public")
    got = sorted((f.message, str(f.severity)) for f in result.findings)
    assert got == [
        ("aws_sqs_queue.jobs lets anyone call sqs:GetQueueAttributes", "medium"),
        ("aws_sqs_queue.jobs lets anyone call sqs:SendMessage", "high"),
    ]


def test_public_grants_guard_linked_to_the_protected_resource(tmp_path: Path) -> None:
    """A guard on resources of a related role that link to the protected resource ('via'):
    only the block attached to this bucket counts."""
    rules = tmp_path / "rules"
    _user_rule(
        rules,
        "acme-bucket-policy-public",
        check="public-grant",
        params={
            "public": {"*": "anyone"},
            "grants": [{"entries": "policy.Statement[*]", "principals": "Principal"}],
            "parent": {"settings": ["bucket"], "name_setting": "bucket"},
            "guards": [{"scope": "block", "via": "bucket", "when": {"path": "restrict_public_buckets", "equals": True}}],
        },
        match={"terraform": {"type": "aws_s3_bucket_policy", "related": {"parent": ["aws_s3_bucket"], "block": ["aws_s3_bucket_public_access_block"]}}},
    )
    policy = 'jsonencode({ Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject" }] })'
    tf = f"""
resource "aws_s3_bucket" "a" {{
  bucket = "acme-a"
}}
resource "aws_s3_bucket" "b" {{
  bucket = "acme-b"
}}
resource "aws_s3_bucket_public_access_block" "a" {{
  bucket                  = aws_s3_bucket.a.id
  restrict_public_buckets = true
}}
resource "aws_s3_bucket_policy" "a" {{
  bucket = aws_s3_bucket.a.id
  policy = {policy}
}}
resource "aws_s3_bucket_policy" "b" {{
  bucket = "acme-b"
  policy = {policy}
}}
"""
    result = _scan(tmp_path, {"main.tf": tf}, rules, "acme-bucket-policy-public")
    assert [f.resource for f in result.findings] == ["aws_s3_bucket_policy.b"]
    assert result.findings[0].subject == "aws_s3_bucket.b"


def test_public_grants_organisation_policy_of_another_project_does_not_guard(scan: Any) -> None:
    """'same: [project]': a project-level constraint covers its own project only."""
    tf = """
resource "google_project_organization_policy" "pap" {
  project    = "%s"
  constraint = "constraints/storage.publicAccessPrevention"
  boolean_policy {
    enforced = true
  }
}
resource "google_storage_bucket" "exports" {
  project = "acme-prod"
  name    = "acme-exports"
}
resource "google_storage_bucket_iam_member" "public" {
  bucket = google_storage_bucket.exports.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}
"""
    other = scan({"main.tf": tf % "projects/acme-sandbox"}, select=["gcp-storage-bucket-public-iam"])
    assert [f.resource for f in other.findings] == ["google_storage_bucket_iam_member.public"]
    same = scan({"main.tf": tf % "projects/acme-prod"}, select=["gcp-storage-bucket-public-iam"])
    assert same.findings == []


def test_public_grants_a_role_not_known_matches_only_the_wildcard(scan: Any) -> None:
    tf = """
variable "role" {
  type = string
}
resource "google_cloud_run_v2_service" "api" {
  name     = "api"
  location = "europe-west1"
}
resource "google_cloud_run_v2_service_iam_member" "public" {
  name   = google_cloud_run_v2_service.api.name
  role   = var.role
  member = "allUsers"
}
"""
    result = scan({"main.tf": tf}, select=["gcp-cloud-run-public-invoker"])
    assert [(str(f.severity), f.message) for f in result.findings] == [
        ("high", "Cloud Run service google_cloud_run_v2_service.api grants a role not known before apply to anyone on the internet (allUsers): anyone can call it without credentials")
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"grants": [{"principals": "member"}], "severity_by_role": {"roles/x": "urgent"}}, "params.severity_by_role.roles/x"),
        ({"grants": [{"role": "role"}]}, "params.grants[0]"),
        ({"grants": [{"principals": "member"}], "guards": [{"when": {"path": "x", "equals": 1}, "scope": 3}]}, "params.guards[0].scope"),
    ],
)
def test_public_grants_params_errors_name_the_file_and_field(tmp_path: Path, params: dict[str, Any], field: str) -> None:
    rules = tmp_path / "rules"
    _user_rule(rules, "acme-bad-grant", check="public-grant", params=params, match={"terraform": {"type": "google_x_iam_member"}})
    with pytest.raises(RuleError) as exc:
        load_rules([str(rules)])
    assert "acme-bad-grant.yaml" in str(exc.value)
    assert field in str(exc.value)


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


def test_reach_links_each_instance_subnet_and_group_once(tmp_path: Path) -> None:
    """internet-reach judges every instance through indexes built once per rule: the name
    lookups grow with the number of instances, subnets and groups, not with their product."""

    def lookups(n: int) -> int:
        project = tmp_path / f"p{n}"
        project.mkdir()
        parts = ['resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n', 'resource "aws_internet_gateway" "gw" {\n  vpc_id = aws_vpc.main.id\n}\n']
        parts.append('resource "aws_route_table" "public" {\n  vpc_id = aws_vpc.main.id\n  route {\n    cidr_block = "0.0.0.0/0"\n    gateway_id = aws_internet_gateway.gw.id\n  }\n}\n')
        for i in range(n):
            parts.append(f'resource "aws_subnet" "s{i}" {{\n  vpc_id = aws_vpc.main.id\n  map_public_ip_on_launch = true\n}}\n')
            parts.append(f'resource "aws_route_table_association" "a{i}" {{\n  subnet_id = aws_subnet.s{i}.id\n  route_table_id = aws_route_table.public.id\n}}\n')
            parts.append(f'resource "aws_security_group" "g{i}" {{\n  name = "g{i}"\n  vpc_id = aws_vpc.main.id\n}}\n')
            parts.append(
                f'resource "aws_security_group_rule" "r{i}" {{\n  type = "ingress"\n  security_group_id = "g{i}"\n  protocol = "tcp"\n'
                f'  from_port = 22\n  to_port = 22\n  cidr_blocks = ["0.0.0.0/0"]\n}}\n'
            )
            parts.append(f'resource "aws_instance" "i{i}" {{\n  subnet_id = aws_subnet.s{i}.id\n  security_groups = ["g{i}"]\n}}\n')
        (project / "main.tf").write_text("".join(parts))
        result = run(RunConfig(paths=[str(project)], select=["aws-instance-public-ip-open-ports"]), keep_graph=True)
        assert not result.errors
        assert len(result.findings) == n, [f.message for f in result.findings][:3]
        assert result.graph is not None
        return result.graph.lookups

    small, large = lookups(10), lookups(40)
    assert large <= 4 * small + 8, (small, large)


LIGHTSAIL_RULE = """\
id: acme-lightsail-admin-open
title: Our Lightsail firewalls must not open administration ports
severity: high
description: Our own copy of the Lightsail public ports rule, written in a user rule folder as YAML only.
remediation: Admit the office range only, or use the lightsail-connect alias.
references: [https://docs.aws.amazon.com/lightsail/latest/userguide/understanding-firewall-and-port-mappings-in-amazon-lightsail.html]
message: "{resource} opens {reached} to everyone ({why})"
check: internet-reach
params:
  what: Lightsail instance
  grades: {critical: high, high: none, medium: none}
  address: {always: a Lightsail instance always has a public IP address}
  own: {entries: port_info, sources: [cidrs, ipv6_cidrs], protocol: protocol, ports: {from: from_port, to: to_port}}
match:
  terraform:
    type: aws_lightsail_instance_public_ports
"""

SUBNET_RULE = """\
id: acme-public-subnet
title: Our subnets must not hand out public addresses
severity: medium
description: Our own rule for subnets that map public IPs and route the internet, as YAML only.
remediation: Turn map_public_ip_on_launch off.
references: [https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html]
check: public-subnet
match:
  terraform:
    type: aws_subnet
    related:
      network: [aws_vpc]
      association: [aws_route_table_association]
      route_table: [aws_route_table]
      route: [aws_route]
      gateway: [aws_internet_gateway]
"""


def test_reach_checks_from_a_user_rule_folder(tmp_path: Path) -> None:
    """internet-reach and public-subnet, used by rules in a user folder: the built-in
    Lightsail rule's fixture gives the same lines for the ports the user's grades keep, at
    the user's severity and with the user's message; the subnet rule finds the public
    subnet of the instance rule's fixture."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-lightsail-admin-open.yaml").write_text(LIGHTSAIL_RULE)
    (folder / "acme-public-subnet.yaml").write_text(SUBNET_RULE)
    rules = load_rules([str(folder)], builtin=False)
    assert {r.id: r.check for r in rules} == {"acme-lightsail-admin-open": "internet-reach", "acme-public-subnet": "public-subnet"}
    assert all(not r.builtin and r.companion is None for r in rules)

    ports = FIXTURES / "aws-lightsail-instance-public-ports" / "fail" / "open_ports.tf"
    result = run(RunConfig(paths=[str(ports)], rule_dirs=[str(folder)], select=["acme-lightsail-admin-open"]))
    assert not result.errors
    assert [(f.span.line, str(f.severity), f.message) for f in result.findings] == [
        (23, "high", "aws_lightsail_instance_public_ports.blog opens port 22 to everyone (remote administration 22 (SSH))"),
        (30, "high", "aws_lightsail_instance_public_ports.blog opens port 3306 to everyone (database/admin API 3306 (MySQL))"),
    ]

    subnet = FIXTURES / "aws-instance-public-ip-open-ports" / "fail" / "ssh_cidr_from_tfvars"
    result = run(RunConfig(paths=[str(subnet)], rule_dirs=[str(folder)], select=["acme-public-subnet"]))
    assert not result.errors
    assert [(f.resource, f.span.line, str(f.severity)) for f in result.findings] == [("aws_subnet.public", 17, "medium")]
    assert any("aws_internet_gateway.main" in e.message for e in result.findings[0].evidence)


GROUP_USERS = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  map_public_ip_on_launch = true
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_subnet" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "ssh" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_instance" "web" {
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
}

resource "aws_instance" "worker" {
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
}

resource "aws_instance" "batch" {
  subnet_id = aws_subnet.private.id
}
"""


def test_reach_model_says_what_a_group_exposes(tmp_path: Path) -> None:
    """The questions issue 15 asks the model from another check: which resources use a
    group (by name, or as the default group of their configuration), and which of them
    have a public address."""
    from linter.checks import Context
    from linter.checks.reach import attached_to, public_address
    from linter.ruleset import load_rules as load

    (tmp_path / "main.tf").write_text(GROUP_USERS)
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-instance-public-ip-open-ports"]), keep_graph=True)
    assert not result.errors and result.graph is not None
    assert [f.resource for f in result.findings] == ["aws_instance.web"]
    graph = result.graph
    rule = load().get("aws-instance-public-ip-open-ports")
    assert rule is not None
    clause = next(c for c in rule.clauses if c.format == "terraform")
    ctx = Context(graph, rule, clause, clause.params)
    ssh = next(r for r in graph if r.address == "aws_security_group.ssh")
    default = next(r for r in graph if r.address == "aws_default_security_group.default")
    users = attached_to(ctx, ssh)
    assert sorted(u.address for u in users) == ["aws_instance.web", "aws_instance.worker"]
    assert {u.address: public_address(ctx, u).public for u in users} == {"aws_instance.web": True, "aws_instance.worker": False}
    assert [u.address for u in attached_to(ctx, default)] == ["aws_instance.batch"]
    [finding] = result.findings
    assert "aws_subnet.public sets map_public_ip_on_launch = true" in " ".join(e.message for e in finding.evidence)


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("waf_associated.tf", "aws_wafv2_web_acl_association.shop puts an AWS WAF web ACL in front of it"),
        ("cfn_waf_associated.yaml", "ShopWaf puts an AWS WAF web ACL in front of it"),
        ("web_alb.tf", "no AWS WAF web ACL is associated with it in the scanned code"),
        ("cfn_web.yaml", "no AWS WAF web ACL is associated with it in the scanned code"),
    ],
)
def test_internet_facing_load_balancer_names_its_waf(case: str, says: str, rules: RuleSet, tmp_path: Path) -> None:
    # internet-reach `front.named`: the evidence says whether a web ACL is associated; the
    # finding itself does not change (a WAF filters requests, the load balancer stays public)
    root = copy_case(FIXTURES / "aws-lb-internet-facing" / "fail" / case, tmp_path)
    result = run(RunConfig(paths=[str(root)], select=["aws-lb-internet-facing"]), rules)
    [finding] = result.findings
    assert finding.verdict == "posture"
    assert says in [e.message for e in finding.evidence]


def test_the_table_of_checks_names_the_module_registering_each() -> None:
    """``checks.WHERE`` lets a scan import only the check modules its rules use: it must
    name every registered check and the module that registers it."""
    from linter import checks

    assert checks.WHERE == {name: check.module.rsplit(".", 1)[-1] for name, check in checks.registry().items()}
