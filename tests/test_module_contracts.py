"""Module contracts (issue 17, item 3): registry modules that were not downloaded are read
through a data file saying what they create from their inputs; findings land on the
calling file's argument line; a module on disk wins; users add their own, validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.parsers.terraform.contracts import BUILTIN_DIR, constraint_interval, load_contracts, parse_source
from linter.ruleset import RuleSet

S3 = 'source = "terraform-aws-modules/s3-bucket/aws"'
SG = 'source = "terraform-aws-modules/security-group/aws"'
VPC = 'source = "terraform-aws-modules/vpc/aws"'
RDS = 'source = "terraform-aws-modules/rds/aws"'
AURORA = 'source = "terraform-aws-modules/rds-aurora/aws"'
EKS = 'source = "terraform-aws-modules/eks/aws"'
SQL = 'source = "GoogleCloudPlatform/sql-db/google//modules/postgresql"'
SQS = 'source = "terraform-aws-modules/sqs/aws"'
SNS = 'source = "terraform-aws-modules/sns/aws"'
GKE = 'source = "terraform-google-modules/kubernetes-engine/google"'
GKE_PRIVATE = 'source = "terraform-google-modules/kubernetes-engine/google//modules/private-cluster"'
OPEN_MASTER = 'master_authorized_networks = [{ cidr_block = "0.0.0.0/0", display_name = "all" }]'
GCS = 'source = "terraform-google-modules/cloud-storage/google//modules/simple_bucket"'
AVM_STORAGE = 'source = "Azure/avm-res-storage-storageaccount/azurerm"'
AVM_VAULT = 'source = "Azure/avm-res-keyvault-vault/azurerm"'
EC2 = 'source = "terraform-aws-modules/ec2-instance/aws"'
OPENSEARCH = 'source = "terraform-aws-modules/opensearch/aws"'
ELASTICACHE = 'source = "terraform-aws-modules/elasticache/aws"'
ALB = 'source = "terraform-aws-modules/alb/aws"'
AVM_AKS = 'source = "Azure/avm-res-containerservice-managedcluster/azurerm"'
EVERYONE = 'principals = [{ type = "AWS", identifiers = ["*"] }]'
MYSQL = 'source = "git::https://github.com/terraform-google-modules/terraform-google-sql-db.git//modules/mysql?ref=v26.1.0"'

# (call head, the public argument (one line), the rule, a gate that turns the module's
# resources off); the argument is written on line 4 of main.tf
CASES = [
    # block_public_acls = false alone is not reported: the module's defaults ignore public
    # ACLs and restrict public buckets, which neutralises every grant
    (S3, "ignore_public_acls = false", "aws-s3-public-access-not-blocked", "create_bucket = false"),
    (S3, "restrict_public_buckets = false", "aws-s3-public-access-not-blocked", "attach_public_policy = false"),
    (SG, 'ingress_cidr_blocks = ["0.0.0.0/0"]', "aws-security-group-public-ingress", "create = false"),
    (SG, 'ingress_with_cidr_blocks = [{ rule = "postgresql-tcp", cidr_blocks = "0.0.0.0/0" }]', "aws-security-group-public-ingress", "create = false"),
    (VPC, 'default_security_group_ingress = [{ cidr_blocks = "0.0.0.0/0", from_port = 22, to_port = 22, protocol = "tcp" }]', "aws-default-security-group-open", "manage_default_security_group = false"),
    (RDS, "publicly_accessible = true", "aws-rds-publicly-accessible", "create_db_instance = false"),
    (AURORA, "publicly_accessible = true", "aws-rds-publicly-accessible", "create = false"),
    (AURORA, 'security_group_rules = { office = { cidr_blocks = ["0.0.0.0/0"] } }', "aws-security-group-public-ingress", "create_security_group = false"),
    (EKS, "endpoint_public_access = true", "aws-eks-endpoint-public", "create = false"),
    (SQL, 'ip_configuration = { authorized_networks = [{ name = "all", value = "0.0.0.0/0" }] }', "gcp-sql-instance-open-authorized-network", ""),
    (MYSQL, 'ip_configuration = { authorized_networks = [{ name = "all", value = "0.0.0.0/0" }] }', "gcp-sql-instance-open-authorized-network", ""),
    (SQS, f'queue_policy_statements = {{ anyone = {{ actions = ["sqs:SendMessage"], {EVERYONE} }} }}', "aws-sqs-queue-public-policy", "create = false"),
    (GKE, OPEN_MASTER, "gcp-gke-control-plane-public", ""),
    (GKE_PRIVATE, OPEN_MASTER, "gcp-gke-control-plane-public", "enable_private_endpoint = true"),
    (GCS, 'iam_members = [{ role = "roles/storage.objectViewer", member = "allUsers" }]', "gcp-storage-bucket-public-iam", 'public_access_prevention = "enforced"'),
    # Azure Verified Modules have no create switch: the safe value is shown by the tests below
    (AVM_STORAGE, 'network_rules = { default_action = "Allow" }', "azure-storage-account-network-open", ""),
    (AVM_VAULT, 'network_acls = { default_action = "Allow" }', "azure-key-vault-public-network", ""),
    (AVM_AKS, 'api_server_access_profile = { authorized_ip_ranges = ["0.0.0.0/0"] }', "azure-aks-api-server-public", ""),
    (SNS, f'topic_policy_statements = {{ anyone = {{ actions = ["sns:Publish"], {EVERYONE} }} }}', "aws-sns-topic-public-policy", "create_topic_policy = false"),
    (ALB, 'listeners = { ssh = { port = 22, protocol = "TCP" } }', "aws-lb-public-admin-port", "create = false"),
    (ELASTICACHE, 'security_group_rules = { office = { cidr_ipv4 = "0.0.0.0/0" } }', "aws-security-group-public-ingress", "create_security_group = false"),
    (OPENSEARCH, f'access_policy_statements = {{ anyone = {{ actions = ["es:ESHttpGet"], {EVERYONE} }} }}', "aws-opensearch-domain-public-policy", "create_access_policy = false"),
]
# arguments every call of that module needs to become something with the public setting
CONTEXT = {
    SG: ['ingress_rules = ["ssh-tcp"]', 'vpc_id = "vpc-1"'],
    VPC: ['public_subnets = ["10.0.1.0/24"]'],
    RDS: ['engine = "postgres"'],
    AURORA: ['engine = "aurora-postgresql"', "instances = { one = {} }"],
    SQL: ['project_id = "p"', 'database_version = "POSTGRES_16"'],
    MYSQL: ['project_id = "p"', 'database_version = "MYSQL_8_0"'],
    SQS: ["create_queue_policy = true"],
    GKE: ['project_id = "p"'],
    GKE_PRIVATE: ['project_id = "p"'],
    GCS: ['project_id = "p"', 'location = "EU"'],
    AVM_STORAGE: ['location = "westeurope"', "public_network_access_enabled = true"],
    AVM_AKS: ['location = "westeurope"', 'parent_id = "/subscriptions/0/resourceGroups/rg"'],
    ALB: ['load_balancer_type = "network"', 'security_group_ingress_rules = { ssh = { from_port = 22, to_port = 22, cidr_ipv4 = "0.0.0.0/0" } }', 'vpc_id = "vpc-1"'],
    ELASTICACHE: ['vpc_id = "vpc-1"', 'replication_group_id = "cache"', 'subnet_ids = ["subnet-1"]'],
    AVM_VAULT: ['location = "westeurope"', 'resource_group_name = "rg"', 'tenant_id = "00000000-0000-0000-0000-000000000000"'],
}


def call(head: str, *arguments: str, version: str | None = None) -> str:
    lines = ['module "m" {', f"  {head}", f'  version = "{version}"' if version else '  name = "example"', *(f"  {a}" for a in arguments)]
    return "\n".join(lines) + "\n}\n"


def found(result) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, os.path.basename(f.span.file), f.span.line) for f in result.findings)


@pytest.mark.parametrize(("head", "argument", "rule", "gate"), CASES, ids=[f"{c[0].split('/')[1]}:{c[1].split()[0]}" for c in CASES])
def test_public_argument_reported_at_its_line(scan, head: str, argument: str, rule: str, gate: str) -> None:
    context = CONTEXT.get(head, [])
    result = scan({"main.tf": call(head, argument, *context)}, select=[rule])
    assert not result.errors
    assert found(result) == [(rule, "main.tf", 4)]
    [f] = result.findings
    assert any("built-in contract" in e.message for e in f.evidence)


# the sql-db submodules, the GKE root module and the Azure Verified Modules create their
# resource unconditionally
GATED = [c for c in CASES if c[3]]


@pytest.mark.parametrize(("head", "argument", "rule", "gate"), GATED, ids=[f"{c[0].split('/')[1]}:{c[1].split()[0]}" for c in GATED])
def test_gate_off_is_clean(scan, head: str, argument: str, rule: str, gate: str) -> None:
    result = scan({"main.tf": call(head, argument, gate, *CONTEXT.get(head, []))}, select=[rule])
    assert not result.errors
    assert found(result) == []


PRIVATE_SQL = 'ip_configuration = { ipv4_enabled = false, private_network = "projects/p/global/networks/n" }'
SAFE = {SQL: [PRIVATE_SQL], MYSQL: [PRIVATE_SQL], GKE_PRIVATE: ["enable_private_endpoint = true"], ALB: ["internal = true"], AVM_AKS: ["api_server_access_profile = { enable_private_cluster = true }"]}


@pytest.mark.parametrize("head", [S3, SG, VPC, RDS, AURORA, EKS, SQL, MYSQL, SQS, SNS, GKE_PRIVATE, GCS, AVM_STORAGE, AVM_VAULT, EC2, OPENSEARCH, ELASTICACHE, ALB, AVM_AKS])
def test_safe_call_is_clean_and_not_a_note(scan, head: str) -> None:
    result = scan({"main.tf": call(head, *CONTEXT.get(head, []), *SAFE.get(head, []))})
    assert not result.errors
    exposures = [f for f in result.findings if f.verdict != "posture"]
    assert exposures == []
    # one step away only: the VPC module's default network ACL admits everything, as AWS's
    # own default does; an instance with no subnet is in the default VPC, whose subnets give
    # it a public address with nothing open yet; an internal load balancer's group open to
    # SSH is one step away
    posture = {VPC: {"aws-network-acl-public-ingress"}, EC2: {"aws-instance-public-ip"}, ALB: {"aws-security-group-public-ingress"}}
    assert {f.rule_id for f in result.findings} <= posture.get(head, set())
    assert not [n for n in result.notes if "remote module" in n.message]


def test_version_ranges_choose_the_contract(scan) -> None:
    # s3-bucket before 3.9.0 left the public access block flags off by default
    old = scan({"main.tf": call(S3, version="3.8.0")}, select=["aws-s3-public-access-not-blocked"])
    assert found(old) == [("aws-s3-public-access-not-blocked", "main.tf", 1)]
    assert any("< 3.9.0" in e.message for e in old.findings[0].evidence)
    assert any("not set in module.m: the default of" in e.message for e in old.findings[0].evidence)
    new = scan({"main.tf": call(S3, version="~> 4.0")}, select=["aws-s3-public-access-not-blocked"])
    assert found(new) == []
    # eks before 21.0 named its inputs cluster_*
    old_eks = scan({"main.tf": call(EKS, "cluster_endpoint_public_access = true", version="20.8.4")}, select=["aws-eks-endpoint-public"])
    assert found(old_eks) == [("aws-eks-endpoint-public", "main.tf", 4)]
    # rds-aurora 7.x opened allowed_cidr_blocks; 8.x has security_group_rules instead
    seven = scan({"main.tf": call(AURORA, 'allowed_cidr_blocks = ["0.0.0.0/0"]', 'engine = "aurora-mysql"', version="7.7.1")}, select=["aws-security-group-public-ingress"])
    assert found(seven) == [("aws-security-group-public-ingress", "main.tf", 4)]


def test_a_version_no_contract_describes_is_a_note(scan) -> None:
    result = scan({"main.tf": call(RDS, "publicly_accessible = true", version="~> 2.0")})
    assert found(result) == []
    assert any("no module contract describes it at this version" in n.message for n in result.notes)


def test_module_on_disk_wins_over_the_contract(scan, tmp_path: Path) -> None:
    # terraform init downloaded the module: its source decides, not the contract
    module = 'resource "aws_s3_bucket_acl" "mine" {\n  bucket = "b"\n  acl    = var.acl\n}\nvariable "acl" {}\nvariable "block_public_acls" {}\n'
    manifest = {"Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "m", "Source": "registry.terraform.io/terraform-aws-modules/s3-bucket/aws", "Dir": ".terraform/modules/m"}]}
    files = {
        "main.tf": call(S3, "block_public_acls = false", 'acl = "public-read"'),
        ".terraform/modules/m/main.tf": module,
        ".terraform/modules/modules.json": json.dumps(manifest),
    }
    result = scan(files, select=["aws-s3-public-access-not-blocked", "aws-s3-bucket-public-acl"])
    assert [(f.rule_id, f.resource) for f in result.findings] == [("aws-s3-bucket-public-acl", "module.m.aws_s3_bucket_acl.mine")]
    assert result.findings[0].span.file.endswith(".terraform/modules/m/main.tf")
    assert not any("contract" in e.message for e in result.findings[0].evidence)


def test_findings_never_point_into_a_contract(scan) -> None:
    arguments = [a for c in CASES for a in [c[1]] if c[0] == SG] + CONTEXT[SG]
    result = scan({"main.tf": call(SG, *arguments)})
    assert result.findings
    for f in result.findings:
        assert f.span.file.endswith("main.tf")
        assert all(e.span is None or not e.span.file.startswith(BUILTIN_DIR) for e in f.evidence)


def test_builtin_contracts_are_valid_and_describe_their_modules() -> None:
    contracts = load_contracts()
    assert not contracts.errors
    modules = {c.module for c in contracts.contracts}
    assert {
        "terraform-aws-modules/s3-bucket/aws",
        "terraform-aws-modules/security-group/aws",
        "terraform-aws-modules/vpc/aws",
        "terraform-aws-modules/rds/aws",
        "terraform-aws-modules/rds-aurora/aws",
        "terraform-aws-modules/eks/aws",
        "GoogleCloudPlatform/sql-db/google",
        "terraform-aws-modules/sqs/aws",
        "terraform-aws-modules/sns/aws",
        "terraform-google-modules/kubernetes-engine/google",
        "terraform-google-modules/cloud-storage/google",
        "Azure/avm-res-storage-storageaccount/azurerm",
        "Azure/avm-res-keyvault-vault/azurerm",
        "terraform-aws-modules/ec2-instance/aws",
        "terraform-aws-modules/opensearch/aws",
        "terraform-aws-modules/elasticache/aws",
        "terraform-aws-modules/alb/aws",
        "Azure/avm-res-containerservice-managedcluster/azurerm",
    } <= modules


def test_readme_names_every_builtin_contract() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted({c.module.split("/")[1] for c in load_contracts().contracts if f"`{c.module.split('/')[1]}`" not in readme})
    assert not missing, f"README's list of built-in module contracts lacks {missing}"


def test_sources_and_constraints() -> None:
    assert parse_source("terraform-aws-modules/security-group/aws//modules/ssh") is not None
    assert parse_source("git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.1.0").key == "github.com/terraform-aws-modules/terraform-aws-vpc"  # type: ignore[union-attr]
    assert parse_source("s3::https://bucket/module.zip") is None
    assert constraint_interval("~> 4.0") == ((4, 0, 0), True, (5, 0, 0), False)
    assert constraint_interval("~> 4.1.2") == ((4, 1, 2), True, (4, 2, 0), False)
    assert constraint_interval(">= 3.0, < 3.9.0") == ((3, 0, 0), True, (3, 9, 0), False)
    assert constraint_interval("latest") is None


def test_git_source_and_submodule_wrapper(scan) -> None:
    result = scan({"main.tf": call('source = "git::https://github.com/terraform-aws-modules/terraform-aws-security-group.git//modules/ssh?ref=v5.1.0"', 'ingress_cidr_blocks = ["0.0.0.0/0"]', 'vpc_id = "v"')}, select=["aws-security-group-public-ingress"])
    assert found(result) == [("aws-security-group-public-ingress", "main.tf", 4)]
    assert "22" in result.findings[0].message


def test_user_contract_for_a_private_module(rules: RuleSet, tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "db.yaml").write_text(
        "module: acme/database/aws\n"
        'versions: ">= 1.0.0"\n'
        "reference: https://git.example.com/acme/terraform-aws-database\n"
        "inputs: {open: false}\n"
        "resources:\n"
        "  aws_db_instance.this:\n"
        "    settings:\n"
        "      publicly_accessible: var.open\n"
    )
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.tf").write_text('module "db" {\n  source  = "app.terraform.io/acme/database/aws"\n  version = "1.2.0"\n  open    = true\n}\n')
    # the registry host of a private registry is not part of the address a contract names
    result = run(RunConfig(paths=[str(project)], contract_dirs=[str(contracts)], select=["aws-rds-publicly-accessible"]), rules)
    assert found(result) == [("aws-rds-publicly-accessible", "main.tf", 4)]
    assert any(str(contracts / "db.yaml") in e.message for e in result.findings[0].evidence)
    without = run(RunConfig(paths=[str(project)], select=["aws-rds-publicly-accessible"]), rules)
    assert found(without) == []


def test_invalid_user_contract_is_an_error_with_file_and_line(rules: RuleSet, tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "bad.yaml").write_text('module: acme/database/aws\nversions: ">= 1.0"\nreference: https://example.com\nresources:\n  aws_db_instance.this:\n    setting: {}\n')
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    result = run(RunConfig(paths=[str(project)], contract_dirs=[str(contracts)]), rules)
    [error] = result.errors
    assert error.file == str(contracts / "bad.yaml") and error.line == 5
    assert "module contract" in error.message and "resources.aws_db_instance.this" in error.message
    # the command line: --contracts names the folder; an error is exit 2 with file and line
    cli = subprocess.run([sys.executable, "-m", "linter", "scan", str(project), "--contracts", str(contracts)], capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 2
    assert f"{contracts / 'bad.yaml'}:5" in cli.stdout + cli.stderr
    assert "Traceback" not in cli.stderr


MODULES = {
    "terraform-aws-modules/s3-bucket/aws": ("terraform-aws-modules+terraform-aws-s3-bucket", ["bucket = \"x\"", "block_public_acls = false", "ignore_public_acls = false", 'acl = "public-read"', "restrict_public_buckets = false"]),
    "terraform-aws-modules/security-group/aws": (
        "terraform-aws-modules+terraform-aws-security-group",
        ['vpc_id = "v"', 'ingress_cidr_blocks = ["0.0.0.0/0"]', 'ingress_rules = ["ssh-tcp", "postgresql-tcp"]', 'ingress_with_cidr_blocks = [{ from_port = 3306, to_port = 3306, protocol = "tcp", cidr_blocks = "10.0.0.0/8,0.0.0.0/0" }, { rule = "redis-tcp", cidr_blocks = "0.0.0.0/0" }]'],
    ),
    "terraform-aws-modules/vpc/aws": ("terraform-aws-modules+terraform-aws-vpc", ['public_subnets = ["10.0.1.0/24"]', "map_public_ip_on_launch = true", 'default_security_group_ingress = [{ cidr_blocks = "0.0.0.0/0", from_port = 22, to_port = 22, protocol = "tcp" }]']),
    "terraform-google-modules/kubernetes-engine/google": ("terraform-google-modules+terraform-google-kubernetes-engine", ['project_id = "p"', OPEN_MASTER]),
    "terraform-google-modules/kubernetes-engine/google//modules/private-cluster": (
        "terraform-google-modules+terraform-google-kubernetes-engine/modules/private-cluster",
        ['project_id = "p"', 'master_authorized_networks = [{ cidr_block = "10.0.0.0/8", display_name = "vpn" }, { cidr_block = "0.0.0.0/0", display_name = "all" }]'],
    ),
    "terraform-google-modules/kubernetes-engine/google//modules/beta-private-cluster": (
        "terraform-google-modules+terraform-google-kubernetes-engine/modules/beta-private-cluster",
        ['project_id = "p"', OPEN_MASTER],
    ),
    "terraform-google-modules/kubernetes-engine/google//modules/beta-public-cluster": ("terraform-google-modules+terraform-google-kubernetes-engine/modules/beta-public-cluster", ['project_id = "p"']),
    "terraform-aws-modules/rds/aws": ("terraform-aws-modules+terraform-aws-rds", ['engine = "postgres"', "publicly_accessible = true"]),
    "terraform-aws-modules/eks/aws": ("terraform-aws-modules+terraform-aws-eks", ["endpoint_public_access = true", 'subnet_ids = ["subnet-1"]', 'vpc_id = "vpc-1"']),
    "GoogleCloudPlatform/sql-db/google//modules/postgresql": (
        "terraform-google-modules+terraform-google-sql-db/modules/postgresql",
        ['project_id = "p"', 'database_version = "POSTGRES_16"', 'ip_configuration = { authorized_networks = [{ name = "all", value = "0.0.0.0/0" }] }'],
    ),
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("module", sorted(MODULES))
def test_contract_agrees_with_the_module_source(rules: RuleSet, tmp_path: Path, module: str) -> None:
    """The same call read through the contract and from the module's real source (the
    corpus) gives the same findings on the same resources."""
    folder, arguments = MODULES[module]
    results = []
    for kind in ("contract", "source"):
        project = tmp_path / kind
        project.mkdir()
        source = module if kind == "contract" else os.path.relpath(CORPUS / folder, project)
        (project / "main.tf").write_text(call(f'source = "{source}"', *arguments))
        result = run(RunConfig(paths=[str(project)]), rules)
        assert not result.errors
        # the rds module puts its instance in a submodule
        results.append(sorted((f.rule_id, f.resource.replace("module.db_instance.", "")) for f in result.findings))
    assert results[0] and results[0] == results[1]


def test_block_flags_off_are_neutralised_by_the_module_defaults(scan) -> None:
    # issue 15: ignore_public_acls and restrict_public_buckets (on by the module's defaults)
    # neutralise every public grant, so turning the two block_* flags off opens nothing
    result = scan({"main.tf": call(S3, "block_public_acls = false", "block_public_policy = false")}, select=["aws-s3-public-access-not-blocked"])
    assert not result.errors
    assert found(result) == []


def test_queue_and_topic_policies_from_statements(scan) -> None:
    # a statement pinned to its source by a condition (4.x calls them conditions) is not public
    pinned = '{ sns = { actions = ["sqs:SendMessage"], principals = [{ type = "Service", identifiers = ["sns.amazonaws.com"] }], conditions = [{ test = "ArnEquals", variable = "aws:SourceArn", values = ["arn:aws:sns:eu-west-1:111122223333:t"] }] } }'
    clean = scan({"main.tf": call(SQS, f"queue_policy_statements = {pinned}", "create_queue_policy = true")}, select=["aws-sqs-queue-public-policy"])
    assert not clean.errors and found(clean) == []
    # the dead-letter queue's own policy, under its two gates
    dlq = f'dlq_queue_policy_statements = {{ anyone = {{ actions = ["sqs:ReceiveMessage"], {EVERYONE} }} }}'
    opened = scan({"main.tf": call(SQS, dlq, "create_dlq = true", "create_dlq_queue_policy = true")}, select=["aws-sqs-queue-public-policy"])
    assert found(opened) == [("aws-sqs-queue-public-policy", "main.tf", 4)]
    assert opened.findings[0].resource == "module.m.aws_sqs_queue_policy.dlq[0]"
    # without the module's topic policy, topic_policy is the topic's own policy
    document = 'topic_policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*", Action = "sns:Publish", Resource = "*" }] })'
    topic = scan({"main.tf": call(SNS, "create_topic_policy = false", document)}, select=["aws-sns-topic-public-policy"])
    assert found(topic) == [("aws-sns-topic-public-policy", "main.tf", 5)]


def test_gke_control_plane_from_the_module_inputs(scan) -> None:
    rule = ["gcp-gke-control-plane-public"]
    # the root module writes no authorized networks block unless networks are listed: every
    # address reaches the API, decided by the module's default (the call's header)
    default = scan({"main.tf": call(GKE, 'project_id = "p"')}, select=rule)
    assert found(default) == [("gcp-gke-control-plane-public", "main.tf", 1)]
    narrow = scan({"main.tf": call(GKE, 'master_authorized_networks = [{ cidr_block = "10.0.0.0/8", display_name = "vpn" }]', 'project_id = "p"')}, select=rule)
    assert found(narrow) == []
    # only the IAM-checked DNS endpoint left
    dns_only = scan({"main.tf": call(GKE, "ip_endpoints_enabled = false", 'project_id = "p"')}, select=rule)
    assert found(dns_only) == []
    # without private nodes the submodule writes no private_cluster_config, but
    # enable_private_endpoint still writes an authorized networks block that lists nobody
    empty = scan({"main.tf": call(GKE_PRIVATE, "enable_private_nodes = false", "enable_private_endpoint = true", 'project_id = "p"')}, select=rule)
    assert found(empty) == []
    assert found(scan({"main.tf": call(GKE_PRIVATE, 'project_id = "p"')}, select=rule)) == [("gcp-gke-control-plane-public", "main.tf", 1)]
    # the generated siblings of the root module and of private-cluster read the same contracts
    beta = 'source = "terraform-google-modules/kubernetes-engine/google//modules/beta-private-cluster"'
    sibling = scan({"main.tf": call(beta, OPEN_MASTER, 'project_id = "p"')}, select=rule)
    assert found(sibling) == [("gcp-gke-control-plane-public", "main.tf", 4)]
    assert any("//modules/beta-private-cluster" in e.message for e in sibling.findings[0].evidence)
    assert found(scan({"main.tf": call(beta, "enable_private_endpoint = true", 'project_id = "p"')}, select=rule)) == []


def test_simple_bucket_keeps_acls_only_when_asked(scan) -> None:
    rule = ["gcp-storage-bucket-public-access-prevention-off"]
    # uniform bucket-level access is on by the module's default
    assert found(scan({"main.tf": call(GCS, 'project_id = "p"', 'location = "EU"')}, select=rule)) == []
    acls = scan({"main.tf": call(GCS, "bucket_policy_only = false", 'project_id = "p"', 'location = "EU"')}, select=rule)
    assert [f.rule_id for f in acls.findings] == rule
    # a website is public by design: not a posture finding
    website = scan({"main.tf": call(GCS, "bucket_policy_only = false", 'website = { main_page_suffix = "index.html" }', 'project_id = "p"', 'location = "EU"')}, select=rule)
    assert found(website) == []


def test_azure_verified_modules_closed_by_their_defaults_and_switches(scan) -> None:
    sa_rule = ["azure-storage-account-network-open"]
    allow = 'network_rules = { default_action = "Allow" }'
    # public network access is off by the module's default: the firewall does not matter
    off = scan({"main.tf": call(AVM_STORAGE, allow, 'location = "westeurope"')}, select=sa_rule)
    assert found(off) == []
    # network_rules = null writes no firewall: every network, at the switch that opened it
    bare = scan({"main.tf": call(AVM_STORAGE, "public_network_access_enabled = true", "network_rules = null", 'location = "westeurope"')}, select=sa_rule)
    assert found(bare) == [("azure-storage-account-network-open", "main.tf", 4)]
    # nested items are not public by default; asked for, the posture rule reports the argument
    nested = scan({"main.tf": call(AVM_STORAGE, "allow_nested_items_to_be_public = true", 'location = "westeurope"')}, select=["azure-storage-account-public-blob-access"])
    assert found(nested) == [("azure-storage-account-public-blob-access", "main.tf", 4)]
    kv_rule = ["azure-key-vault-public-network"]
    context = CONTEXT[AVM_VAULT]
    closed = scan({"main.tf": call(AVM_VAULT, 'network_acls = { default_action = "Allow" }', "public_network_access_enabled = false", *context)}, select=kv_rule)
    assert found(closed) == []
    anywhere = scan({"main.tf": call(AVM_VAULT, 'network_acls = { ip_rules = ["0.0.0.0/0"] }', *context)}, select=kv_rule)
    assert found(anywhere) == [("azure-key-vault-public-network", "main.tf", 4)]


# a public subnet (routed to an internet gateway) and a group open to SSH, beside the call
PUBLIC_NETWORK = """resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
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
resource "aws_security_group" "ssh" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


@pytest.mark.parametrize(("switch", "expected"), [("", [("aws-instance-public-ip-open-ports", "main.tf", 4)]), ("create = false", []), ("ignore_ami_changes = true", [("aws-instance-public-ip-open-ports", "main.tf", 4)])])
def test_ec2_instance_with_a_public_address_in_an_open_group(scan, switch: str, expected: list) -> None:
    # the instance is judged with the caller's subnet and security group, through the graph
    arguments = ["associate_public_ip_address = true", "vpc_security_group_ids = [aws_security_group.ssh.id]", "subnet_id = aws_subnet.public.id"]
    result = scan({"main.tf": call(EC2, *arguments, *([switch] if switch else [])), "network.tf": PUBLIC_NETWORK}, select=["aws-instance-public-ip-open-ports"])
    assert not result.errors
    assert found(result) == expected
    # without a public address the open group reaches nothing
    private = scan({"main.tf": call(EC2, "associate_public_ip_address = false", *arguments[1:]), "network.tf": PUBLIC_NETWORK}, select=["aws-instance-public-ip-open-ports"])
    assert found(private) == []


def test_builtin_contracts_are_read_only_when_a_call_needs_them(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration with no registry module call reads no contract file (a small file's
    scan would otherwise pay for every built-in contract); a registry call reads them."""
    from linter.parsers.terraform import contracts as module

    reads: list[str] = []
    real = module.load_contract_file

    def counted(path: str, builtin: bool = False):  # type: ignore[no-untyped-def]
        reads.append(path)
        return real(path, builtin)

    monkeypatch.setattr(module, "load_contract_file", counted)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    run(RunConfig(paths=[str(plain)], cache=False, workers=1), rules)
    assert reads == []
    called = tmp_path / "called"
    called.mkdir()
    (called / "main.tf").write_text(call(SQS, f'queue_policy_statements = {{ anyone = {{ actions = ["sqs:SendMessage"], {EVERYONE} }} }}', *CONTEXT[SQS]))
    result = run(RunConfig(paths=[str(called)], cache=False, workers=1), rules)
    assert reads and not result.errors
    assert [f.rule_id for f in result.findings] == ["aws-sqs-queue-public-policy"]


def test_opensearch_domain_public_by_its_policy_and_endpoint(scan) -> None:
    rule = ["aws-opensearch-domain-public-policy"]
    statements = f'access_policy_statements = {{ anyone = {{ actions = ["es:ESHttpGet"], {EVERYONE} }} }}'
    # fine-grained access control is on by the module's default: public, one grade down
    default = scan({"main.tf": call(OPENSEARCH, statements)}, select=rule)
    assert found(default) == [("aws-opensearch-domain-public-policy", "main.tf", 4)]
    assert str(default.findings[0].severity) == "high" and default.findings[0].verdict == "exposed"
    # turned off, anyone with the endpoint reads the indices
    bare = scan({"main.tf": call(OPENSEARCH, statements, "advanced_security_options = {}")}, select=rule)
    assert [(f.span.line, str(f.severity)) for f in bare.findings] == [(4, "critical")]
    # in a VPC the endpoint is private; without the module's policy nothing is attached
    for closed in ('vpc_options = { subnet_ids = ["subnet-1"], security_group_ids = ["sg-1"] }', "enable_access_policy = false", "create = false"):
        assert found(scan({"main.tf": call(OPENSEARCH, statements, closed)}, select=rule)) == [], closed
    # a whole document given instead of statements is the domain's policy
    document = 'access_policies = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*", Action = "es:*", Resource = "*" }] })'
    given = scan({"main.tf": call(OPENSEARCH, "create_access_policy = false", document)}, select=rule)
    assert found(given) == [("aws-opensearch-domain-public-policy", "main.tf", 5)]
    # before 1.0 there was no terraform-aws-modules opensearch module to describe
    old = scan({"main.tf": call(OPENSEARCH, statements, version="0.1.0")}, select=rule)
    assert found(old) == [] and any("no module contract describes it at this version" in n.message for n in old.notes)


def test_elasticache_security_group_opens_the_engine_port(scan) -> None:
    rule = ["aws-security-group-public-ingress"]
    context = CONTEXT[ELASTICACHE]
    # a rule without ports opens the engine's port; the cache has no public address, so the
    # opening is one step away
    redis = scan({"main.tf": call(ELASTICACHE, 'security_group_rules = { office = { cidr_ipv4 = "0.0.0.0/0" } }', *context)}, select=rule)
    [f] = redis.findings
    assert f.span.line == 4 and "6379" in f.message and f.verdict == "posture"
    assert "aws_elasticache_replication_group.this[0]" in f.verdict_reason
    # a memcached cluster instead of the replication group: its port, the same group
    memcached = call(ELASTICACHE, 'security_group_rules = { office = { cidr_ipv4 = "0.0.0.0/0" } }', 'engine = "memcached"', "create_cluster = true", "create_replication_group = false", 'cluster_id = "c"', 'vpc_id = "vpc-1"')
    [m] = scan({"main.tf": memcached}, select=rule).findings
    assert m.span.line == 4 and "11211" in m.message and "aws_elasticache_cluster.this[0]" in m.verdict_reason
    # egress rules and a narrow range admit nobody from the internet; create = false makes nothing
    for closed in ('security_group_rules = { out = { type = "egress", cidr_ipv4 = "0.0.0.0/0" } }', 'security_group_rules = { vpc = { cidr_ipv4 = "10.0.0.0/16" } }'):
        assert found(scan({"main.tf": call(ELASTICACHE, closed, *context)}, select=rule)) == [], closed
    off = scan({"main.tf": call(ELASTICACHE, 'security_group_rules = { office = { cidr_ipv4 = "0.0.0.0/0" } }', "create = false", *context)}, select=rule)
    assert found(off) == []
    # 2.x is not described (typed inputs): a note, not a guess
    two = scan({"main.tf": call(ELASTICACHE, 'security_group_rules = { office = { cidr_ipv4 = "0.0.0.0/0" } }', *context[:2], version="~> 2.0")}, select=rule)
    assert found(two) == [] and any("no module contract describes it at this version" in n.message for n in two.notes)


def test_alb_listeners_behind_the_module_security_group(scan) -> None:
    rules = ["aws-lb-public-admin-port", "aws-lb-internet-facing"]
    database = [
        'listeners = { tls = { port = 443, protocol = "TCP", forward = { target_group_key = "db" } } }',
        'target_groups = { db = { port = 5432, protocol = "TCP", target_type = "ip", target_id = "10.0.0.5" } }',
        'security_group_ingress_rules = { https = { from_port = 443, to_port = 443, cidr_ipv4 = "0.0.0.0/0" } }',
        'load_balancer_type = "network"',
        'vpc_id = "vpc-1"',
    ]
    # a public listener forwarding to the database port: reported at the listener's entry as
    # written (not as the module's default port), the target group named
    [f] = [f for f in scan({"main.tf": call(ALB, *database)}, select=rules).findings if f.rule_id == "aws-lb-public-admin-port"]
    assert f.span.line == 4 and f.verdict == "exposed" and "5432" in f.message and 'aws_lb_target_group.this["db"]' in f.message
    # internal is the module's switch; a group that admits only the VPN closes the listener
    assert found(scan({"main.tf": call(ALB, *database, "internal = true")}, select=rules)) == []
    narrow = [a.replace("0.0.0.0/0", "10.0.0.0/8") for a in database]
    assert found(scan({"main.tf": call(ALB, *narrow)}, select=rules)) == []
    # a web listener on the module's default port 80 is posture, decided by the module's default
    web = scan({"main.tf": call(ALB, "listeners = { web = { forward = { target_group_key = \"app\" } } }", 'target_groups = { app = { target_id = "i-1" } }', 'security_group_ingress_rules = { http = { from_port = 80, to_port = 80, cidr_ipv4 = "0.0.0.0/0" } }')}, select=rules)
    assert [(f.rule_id, f.verdict, f.span.line) for f in web.findings] == [("aws-lb-internet-facing", "posture", 1)]
    # 8.x (lists of listeners, create_lb) is another shape: not described
    old = scan({"main.tf": call(ALB, 'http_tcp_listeners = [{ port = 22, protocol = "TCP" }]', version="8.7.0")}, select=rules)
    assert found(old) == [] and any("no module contract describes it at this version" in n.message for n in old.notes)


def test_avm_aks_api_server_in_both_shapes_of_the_module(scan) -> None:
    rule = ["azure-aks-api-server-public"]
    azapi = CONTEXT[AVM_AKS]
    # 0.5 and later (azapi): no access profile means every address reaches the API server,
    # decided by the module's default; the private switch lives inside the profile
    default = scan({"main.tf": call(AVM_AKS, *azapi)}, select=rule)
    assert [(f.span.line, f.verdict) for f in default.findings] == [(1, "default")]
    narrow = scan({"main.tf": call(AVM_AKS, 'api_server_access_profile = { authorized_ip_ranges = ["203.0.113.0/24"] }', *azapi)}, select=rule)
    assert found(narrow) == []
    # 0.2.x (azurerm): private_cluster_enabled is its own input, the default node pool a required one
    azurerm = ['location = "westeurope"', 'resource_group_name = "rg"', 'default_node_pool = { name = "system", vm_size = "Standard_D2s_v5" }']
    old = scan({"main.tf": call(AVM_AKS, 'api_server_access_profile = { authorized_ip_ranges = ["0.0.0.0/0"] }', *azurerm, version="0.2.5")}, select=rule)
    assert found(old) == [("azure-aks-api-server-public", "main.tf", 4)]
    assert any(">= 0.2.0, < 0.3.0" in e.message for e in old.findings[0].evidence)
    assert found(scan({"main.tf": call(AVM_AKS, "private_cluster_enabled = true", *azurerm, version="0.2.5")}, select=rule)) == []
    nodes = scan({"main.tf": call(AVM_AKS, 'default_node_pool = { name = "system", vm_size = "Standard_D2s_v5", node_public_ip_enabled = true }', 'location = "westeurope"', 'resource_group_name = "rg"', "private_cluster_enabled = true", version="~> 0.2.0")}, select=["azure-aks-node-public-ip"])
    assert found(nodes) == [("azure-aks-node-public-ip", "main.tf", 4)]
    # 0.3 and 0.4 are not tied to either shape: a note, not a guess
    between = scan({"main.tf": call(AVM_AKS, 'api_server_access_profile = { authorized_ip_ranges = ["0.0.0.0/0"] }', *azapi, version="0.4.1")}, select=rule)
    assert found(between) == [] and any("no module contract describes it at this version" in n.message for n in between.notes)
