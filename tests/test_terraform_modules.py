"""Terraform in depth: modules, count/for_each, plan JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleSet

ACL = FIXTURES / "aws-s3-bucket-public-acl"


def scan_copy(case: Path, tmp_path: Path, rules: RuleSet, **kwargs):
    target = tmp_path / case.name
    shutil.copytree(case, target)
    return target, run(RunConfig(paths=[str(target)], **kwargs), rules)


def test_module_finding_names_every_call_site(rules: RuleSet, tmp_path: Path) -> None:
    root, result = scan_copy(ACL / "fail" / "module_two_levels", tmp_path, rules, select=["aws-s3-bucket-public-acl"])
    [f] = result.findings
    assert f.resource == "module.storage.module.bucket.aws_s3_bucket_acl.this"
    assert f.span.file.endswith("modules/bucket/main.tf") and f.span.line == 16
    calls = [e for e in f.evidence if " is called at " in e.message]
    assert [(Path(e.span.file).relative_to(root).as_posix(), e.span.line) for e in calls] == [
        ("main.tf", 1),
        ("modules/storage/main.tf", 10),
    ]
    # the value is explained back to the caller that chose it
    origins = [(Path(e.span.file).relative_to(root).as_posix(), e.span.line) for e in f.evidence if e.span and "var." in e.message]
    assert ("modules/storage/main.tf", 13) in origins and ("main.tf", 4) in origins


def test_module_call_site_in_text_and_json(tmp_path: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(ACL / "fail" / "module_two_levels", target)
    text = subprocess.run([sys.executable, "-m", "linter", "scan", str(target)], capture_output=True, text=True, cwd=ROOT).stdout
    assert f"module.storage is called at {target}/main.tf:1" in text
    doc = json.loads(subprocess.run([sys.executable, "-m", "linter", "scan", str(target), "--format", "json"], capture_output=True, text=True, cwd=ROOT).stdout)
    evidence = doc["findings"][0]["evidence"]
    assert any(e["message"].startswith("module.storage.module.bucket is called at") and e["line"] == 10 for e in evidence)


def test_for_each_flags_only_the_public_instance(rules: RuleSet, tmp_path: Path) -> None:
    _, result = scan_copy(ACL / "fail" / "for_each_one_of_three", tmp_path, rules, select=["aws-s3-bucket-public-acl"])
    assert [f.resource for f in result.findings] == ['aws_s3_bucket_acl.b["exports"]']
    assert 'aws_s3_bucket.b["exports"]' in result.findings[0].message


def test_unknown_for_each_is_analysed_once_and_says_so(rules: RuleSet, tmp_path: Path) -> None:
    _, result = scan_copy(ACL / "fail" / "unknown_for_each", tmp_path, rules, select=["aws-s3-bucket-public-acl"])
    [f] = result.findings
    assert f.resource == "aws_s3_bucket.b"
    assert any("analysed once" in e.message and "var.names" in e.message for e in f.evidence)


def test_module_outputs_carry_references_across_modules(rules: RuleSet, tmp_path: Path) -> None:
    _, result = scan_copy(ACL / "pass" / "module_caller_passes_private", tmp_path, rules)
    assert not result.findings  # the caller's block applies to the module's bucket through module.bucket.id


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_remote_module_is_noted_once_per_call_and_not_fetched(rules: RuleSet, tmp_path: Path) -> None:
    # (a module with a built-in contract is read through it: tests/test_module_contracts.py)
    write(tmp_path, {"main.tf": 'module "label" {\n  source  = "cloudposse/label/null"\n  version = "0.25.0"\n}\nmodule "git" {\n  source = "git::https://example.com/x.git"\n}\n'})
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    notes = [n for n in result.notes if "remote module" in n.message]
    assert [(n.line, n.message.split(" ")[0]) for n in notes] == [(1, "module.label"), (5, "module.git")]
    assert all("seawall has no module contract for it" in n.message for n in notes)
    assert not result.errors


def test_initialised_remote_module_is_read_from_dot_terraform(rules: RuleSet, tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "store" {\n  source = "acme/store/aws"\n  acl    = "public-read"\n}\n',
            ".terraform/modules/modules.json": json.dumps(
                {"Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "store", "Source": "registry.terraform.io/acme/store/aws", "Dir": ".terraform/modules/store"}]}
            ),
            ".terraform/modules/store/main.tf": 'variable "acl" {}\nresource "aws_s3_bucket" "b" {\n  acl = var.acl\n}\n',
        },
    )
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    assert [f.resource for f in result.findings] == ["module.store.aws_s3_bucket.b"]
    assert not [n for n in result.notes if "remote module" in n.message]


def test_module_that_calls_itself_is_cut_with_a_note(rules: RuleSet, tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'module "me" {\n  source = "./"\n}\nresource "aws_s3_bucket" "b" {\n  acl = "public-read"\n}\n', "a/main.tf": 'module "b" {\n  source = "../b"\n}\n', "b/main.tf": 'module "a" {\n  source = "../a"\n}\n'})
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not result.errors
    assert any("calls itself" in n.message for n in result.notes)
    assert [f.resource for f in result.findings] == ["aws_s3_bucket.b"]


def test_module_count_and_for_each(rules: RuleSet, tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": (
                'module "c" {\n  source = "./m"\n  count  = 2\n  acl    = count.index == 1 ? "public-read" : "private"\n}\n'
                'module "e" {\n  source   = "./m"\n  for_each = {a = "private", b = "public-read-write"}\n  acl      = each.value\n}\n'
            ),
            "m/main.tf": 'variable "acl" {}\nresource "aws_s3_bucket" "b" {\n  acl = var.acl\n}\n',
        },
    )
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    assert sorted(f.resource for f in result.findings) == ['module.c[1].aws_s3_bucket.b', 'module.e["b"].aws_s3_bucket.b']


def test_plan_without_source_points_into_the_plan(rules: RuleSet, tmp_path: Path) -> None:
    shutil.copy(ACL / "fail" / "plan_with_source" / "plan.json", tmp_path / "plan.json")
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    [f] = result.findings
    assert f.span.file.endswith("plan.json")
    assert f.span.line == 33  # the "acl" entry of aws_s3_bucket_acl.data in planned_values


def test_plan_source_option(rules: RuleSet, tmp_path: Path) -> None:
    src = ACL / "fail" / "plan_with_source"
    (tmp_path / "plans").mkdir()
    shutil.copy(src / "plan.json", tmp_path / "plans" / "plan.json")
    shutil.copy(src / "main.tf", tmp_path / "main.tf")
    result = run(RunConfig(paths=[str(tmp_path / "plans")], plan_source=str(tmp_path), select=["aws-s3-bucket-public-acl"]), rules)
    [f] = result.findings
    assert (Path(f.span.file).name, f.span.line) == ("main.tf", 12)


def test_named_plan_file_reports_findings_on_its_source_lines(rules: RuleSet, tmp_path: Path) -> None:
    # a plan named on the command line (as a pre-commit hook or CI step does): its findings
    # land on the .tf lines of its source, which were not named, and are still reported
    src = ACL / "fail" / "plan_with_source"
    shutil.copytree(src, tmp_path / "p")
    plan = str(tmp_path / "p" / "plan.json")
    for kwargs in ({}, {"plan_source": str(tmp_path / "p")}):
        result = run(RunConfig(paths=[plan], select=["aws-s3-bucket-public-acl"], **kwargs), rules)
        [f] = result.findings
        assert (Path(f.span.file).name, f.span.line) == ("main.tf", 12)
        assert any(e.span is not None and e.span.file == plan for e in f.evidence)
    # ... with the source elsewhere, through --plan-source
    (tmp_path / "plans").mkdir()
    shutil.copy(src / "plan.json", tmp_path / "plans" / "plan.json")
    result = run(RunConfig(paths=[str(tmp_path / "plans" / "plan.json")], plan_source=str(tmp_path / "p"), select=["aws-s3-bucket-public-acl"]), rules)
    assert [(Path(f.span.file).name, f.span.line) for f in result.findings] == [("main.tf", 12)]


def test_suppression_in_a_plan_source_applies_when_only_the_plan_is_named(rules: RuleSet, tmp_path: Path) -> None:
    shutil.copytree(ACL / "fail" / "plan_with_source", tmp_path / "p")
    main = tmp_path / "p" / "main.tf"
    main.write_text(main.read_text().replace("# expect: aws-s3-bucket-public-acl", "# seawall:ignore aws-s3-bucket-public-acl public download mirror"))
    result = run(RunConfig(paths=[str(tmp_path / "p" / "plan.json")], select=["aws-s3-bucket-public-acl"]), rules)
    [f] = result.findings
    assert f.suppression is not None and f.suppression.reason == "public download mirror"


def test_plan_supersedes_the_source_beside_it(rules: RuleSet, tmp_path: Path) -> None:
    shutil.copytree(ACL / "fail" / "plan_with_source", tmp_path / "p")
    result = run(RunConfig(paths=[str(tmp_path / "p")]), rules)
    assert len(result.findings) == 1  # not once from the plan and again from the .tf files
    assert result.findings[0].resource == "aws_s3_bucket_acl.data"


def test_unsupported_plan_version_is_an_error(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text('{"format_version": "2.0", "terraform_version": "9.0", "planned_values": {}}')
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert [e.message for e in result.errors] == ["unsupported plan format_version 2.0"]


NACL_RULES = """
variable "create" {
  type = bool
}

resource "aws_network_acl" "main" {
  vpc_id = "vpc-1"
}

resource "aws_network_acl_rule" "in" {
  count          = var.create ? length(local.rules) : 0
  network_acl_id = aws_network_acl.main.id
  rule_number    = 100 + count.index
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = local.rules[count.index].cidr
  from_port      = local.rules[count.index].port
  to_port        = element(local.rules, count.index).port
}
"""


def test_unknown_count_over_a_known_list_analyses_each_element(scan) -> None:
    # count depends on a variable with no value (in real modules: a data source); the list
    # it counts is known, so each of its elements is a possible instance
    locals_tf = """
data "aws_vpc" "main" {
  default = true
}

locals {
  rules = [
    { cidr = "10.0.0.0/8", port = 443, vpc = data.aws_vpc.main.id },
    { cidr = "0.0.0.0/0", port = 22, vpc = data.aws_vpc.main.id },
    { cidr = "0.0.0.0/0", port = 3389, vpc = data.aws_vpc.main.id },
  ]
}
"""
    result = scan({"main.tf": NACL_RULES, "locals.tf": locals_tf}, select=["aws-network-acl-public-admin-ingress"])
    assert sorted((f.resource, f.span.line) for f in result.findings) == [
        ("aws_network_acl_rule.in[1]", 17),
        ("aws_network_acl_rule.in[2]", 17),
    ]
    for f in result.findings:
        [why] = [e for e in f.evidence if "possible instance" in e.message]
        assert "count is not known" in why.message and "each of the 3 elements of local.rules" in why.message
        assert why.span is not None and why.span.line == 11


def test_unknown_count_bounded_by_its_conditional(scan) -> None:
    # `var.create ? 1 : 0` with var.create unknown: at most one instance, with count.index 0
    tf = """
variable "create" {
  type = bool
}

resource "aws_network_acl_rule" "ssh" {
  count          = var.create ? 1 : 0
  network_acl_id = "acl-1"
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = ["0.0.0.0/0", "10.0.0.0/8"][count.index]
  from_port      = 22
  to_port        = 22
}
"""
    result = scan({"main.tf": tf}, select=["aws-network-acl-public-admin-ingress"])
    [f] = result.findings
    assert f.resource == "aws_network_acl_rule.ssh[0]"
    assert any("its one possible instance" in e.message for e in f.evidence)


def test_unknown_count_over_a_data_source_list_says_what_was_not_checked(scan) -> None:
    locals_tf = """
data "http" "rules" {
  url = "https://example.com/rules.json"
}

locals {
  rules = jsondecode(data.http.rules.response_body)
}
"""
    result = scan({"main.tf": NACL_RULES, "locals.tf": locals_tf}, select=["aws-network-acl-public-admin-ingress"])
    assert not result.findings
    [note] = [n for n in result.notes if n.message.startswith("aws_network_acl_rule.in:")]
    assert note.line == 10
    assert "count is not known" in note.message and "nor is local.rules" in note.message
    assert note.message.endswith("cidr_block, from_port, to_port could not be checked")


def test_unknown_count_on_a_module_call_analyses_each_known_element(scan) -> None:
    caller = """
variable "n" {
  type = number
}

locals {
  cidrs = ["10.0.0.0/8", "0.0.0.0/0"]
}

module "acl" {
  source = "./acl"
  count  = var.n
  cidr   = local.cidrs[count.index]
}
"""
    child = """
variable "cidr" {}

resource "aws_network_acl_rule" "ssh" {
  network_acl_id = "acl-1"
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = var.cidr
  from_port      = 22
  to_port        = 22
}
"""
    result = scan({"main.tf": caller, "acl/main.tf": child}, select=["aws-network-acl-public-admin-ingress"])
    [f] = result.findings
    assert f.resource == "module.acl[1].aws_network_acl_rule.ssh"
    assert any("module.acl[1] is called at" in e.message and "each of the 2 elements of local.cidrs" in e.message for e in f.evidence)


PUBLIC_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Principal": "*",\n      "Action": "s3:GetObject",\n      "Resource": "arn:aws:s3:::%s/*"\n    }\n  ]\n}\n'


def test_file_and_templatefile_beside_the_module_resolve_from_any_working_directory(rules: RuleSet, tmp_path: Path, monkeypatch) -> None:
    # path.module is relative to the root module's directory, and so are file()'s relative
    # paths (Terraform's working directory), wherever seawall runs and however deep the module
    write(
        tmp_path / "repo",
        {
            "infra/main.tf": (
                'resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}\n'
                'resource "aws_s3_bucket_policy" "data" {\n  bucket = aws_s3_bucket.data.id\n  policy = file("${path.module}/policy.json")\n}\n'
                'module "site" {\n  source = "./modules/site"\n}\n'
            ),
            "infra/policy.json": PUBLIC_POLICY % "acme-data",
            "infra/modules/site/main.tf": (
                'resource "aws_s3_bucket" "site" {\n  bucket = "acme-site"\n}\n'
                'resource "aws_s3_bucket_policy" "site" {\n  bucket = aws_s3_bucket.site.id\n'
                '  policy = templatefile("${path.module}/policy.tftpl", { bucket = "acme-site" })\n}\n'
            ),
            "infra/modules/site/policy.tftpl": PUBLIC_POLICY % "${bucket}",
        },
    )
    infra = tmp_path / "repo" / "infra"
    for cwd, target in ((infra, "."), (tmp_path / "repo", "infra"), (tmp_path, "repo/infra"), (tmp_path, "repo"), (infra / "modules", "..")):
        monkeypatch.chdir(cwd)
        result = run(RunConfig(paths=[target], select=["aws-s3-bucket-public-policy"]), rules)
        got = sorted((Path(cwd, f.span.file).resolve().relative_to(infra).as_posix(), f.span.line, f.resource) for f in result.findings)
        assert got == [
            ("modules/site/policy.tftpl", 6, "module.site.aws_s3_bucket_policy.site"),
            ("policy.json", 6, "aws_s3_bucket_policy.data"),
        ], (cwd, target)


def _named(rules: RuleSet, root: Path, *names: str):
    result = run(RunConfig(paths=[str(root / n) for n in names], select=["aws-s3-bucket-public-acl"]), rules)
    return sorted((Path(f.span.file).relative_to(root).as_posix(), f.span.line) for f in result.findings)


def test_finding_is_reported_when_a_file_on_its_value_chain_is_named(rules: RuleSet, tmp_path: Path) -> None:
    # the pre-commit case: only variables.tf is staged; the public ACL sits in acl.tf
    write(
        tmp_path,
        {
            "infra/variables.tf": 'variable "bucket_acl" {\n  type    = string\n  default = "public-read"\n}\n',
            "infra/acl.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-data"\n}\nresource "aws_s3_bucket_acl" "b" {\n  bucket = aws_s3_bucket.b.id\n  acl    = var.bucket_acl\n}\n',
            "infra/other.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n',
        },
    )
    assert _named(rules, tmp_path, "infra/variables.tf") == [("infra/acl.tf", 6)]
    assert _named(rules, tmp_path, "infra/other.tf") == []  # a file off the chain does not bring it in
    # through locals deeper than the evidence shows
    write(tmp_path, {"infra/locals.tf": "locals {\n  a = local.b\n  b = local.c\n  c = local.d\n  d = var.bucket_acl\n}\n"})
    (tmp_path / "infra/acl.tf").write_text((tmp_path / "infra/acl.tf").read_text().replace("var.bucket_acl", "local.a"))
    assert _named(rules, tmp_path, "infra/variables.tf") == [("infra/acl.tf", 6)]
    assert _named(rules, tmp_path, "infra/locals.tf") == [("infra/acl.tf", 6)]


def test_finding_is_reported_when_the_file_deciding_its_count_is_named(rules: RuleSet, tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "variables.tf": 'variable "share" {\n  default = true\n}\n',
            "main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-data"\n}\nresource "aws_s3_bucket_acl" "b" {\n  count  = var.share ? 1 : 0\n  bucket = aws_s3_bucket.b.id\n  acl    = "public-read"\n}\n',
        },
    )
    assert _named(rules, tmp_path, "variables.tf") == [("main.tf", 7)]


def test_finding_in_a_module_is_reported_when_the_callers_file_is_named(rules: RuleSet, tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "envs/prod/main.tf": 'module "site" {\n  source = "../../modules/site"\n  acl    = local.acl\n}\n',
            "envs/prod/locals.tf": 'locals {\n  acl = var.site_acl\n}\nvariable "site_acl" {}\n',
            "envs/prod/terraform.tfvars": 'site_acl = "public-read"\n',
            "modules/site/main.tf": 'variable "acl" {}\nresource "aws_s3_bucket" "site" {\n  bucket = "acme-site"\n}\nresource "aws_s3_bucket_acl" "site" {\n  bucket = aws_s3_bucket.site.id\n  acl    = var.acl\n}\n',
        },
    )
    for named in ("envs/prod/main.tf", "envs/prod/locals.tf", "envs/prod/terraform.tfvars"):
        assert _named(rules, tmp_path, named) == [("modules/site/main.tf", 7)], named


LIBRARY = {
    "main.tf": 'resource "aws_s3_bucket" "this" {\n  bucket = var.bucket\n}\n\nresource "aws_s3_bucket_acl" "this" {\n  bucket = aws_s3_bucket.this.id\n  acl    = var.acl\n}\n',
    "variables.tf": 'variable "bucket" {\n  type = string\n}\n\nvariable "acl" {\n  type    = string\n  default = "public-read"\n}\n',
    "examples/private/main.tf": 'module "bucket" {\n  source = "../../"\n  bucket = "acme-private"\n  acl    = "private"\n}\n',
}


def test_published_module_is_judged_with_its_own_defaults(rules: RuleSet, tmp_path: Path) -> None:
    # a module library whose only example overrides the public default: what its users get
    # by default is still public, and is reported on the module's line
    write(tmp_path, LIBRARY)
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    [f] = result.findings
    assert (Path(f.span.file).name, f.span.line, f.resource) == ("main.tf", 7, "aws_s3_bucket_acl.this")
    assert any("judged on its own" in e.message and "with its variables' defaults" in e.message for e in f.evidence)
    assert any(e.span is not None and e.span.file.endswith("variables.tf") and e.span.line == 7 for e in f.evidence)


def test_module_finding_reached_by_a_caller_and_by_its_defaults_is_reported_once(rules: RuleSet, tmp_path: Path) -> None:
    write(tmp_path, {**LIBRARY, "examples/complete/main.tf": 'module "s3" {\n  source = "../../"\n  bucket = "acme-complete"\n}\n'})
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules)
    [f] = result.findings
    assert f.resource == "module.s3.aws_s3_bucket_acl.this"  # the deepest way names the call
    messages = [e.message for e in f.evidence]
    assert any(m.startswith("module.s3 is called at") for m in messages)
    assert "also reached as aws_s3_bucket_acl.this" in messages
    assert any("judged on its own" in m for m in messages)


def test_module_without_defaults_is_not_guessed_on_its_own(rules: RuleSet, tmp_path: Path) -> None:
    # a required variable has no value on its own: only the caller's argument decides
    files = dict(LIBRARY)
    files["variables.tf"] = 'variable "bucket" {\n  type = string\n}\n\nvariable "acl" {\n  type = string\n}\n'
    write(tmp_path, files)
    assert not run(RunConfig(paths=[str(tmp_path)], select=["aws-s3-bucket-public-acl"]), rules).findings
