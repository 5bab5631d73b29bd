"""Terraform values resolve the way Terraform resolves them, and what cannot be known stays Unknown."""

from __future__ import annotations

from pathlib import Path

from linter.graph import ResourceGraph
from linter.locate import locate
from linter.parsers.terraform import load_terraform
from linter.values import JsonString, Unknown


def load(tmp_path: Path, files: dict[str, str], var_files: list[str] | None = None) -> ResourceGraph:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    out = load_terraform([str(tmp_path)], var_files or [], 10**7, str(tmp_path))
    assert not out.errors, out.errors
    return ResourceGraph(out.resources)


def one(graph: ResourceGraph, address: str):
    found = [r for r in graph if r.address == address]
    assert len(found) == 1, [r.address for r in graph]
    return found[0]


VARIABLE = 'variable "v" {\n  default = "from-default"\n}\nresource "null_resource" "r" {\n  value = var.v\n}\n'


def test_variable_default(tmp_path: Path) -> None:
    assert one(load(tmp_path, {"main.tf": VARIABLE}), "null_resource.r").attrs["value"] == "from-default"


def test_tfvars_precedence(tmp_path: Path) -> None:
    files = {
        "main.tf": VARIABLE,
        "terraform.tfvars": 'v = "from-tfvars"\n',
        "a.auto.tfvars": 'v = "from-a-auto"\n',
        "b.auto.tfvars": 'v = "from-b-auto"\n',
    }
    graph = load(tmp_path, files)
    assert one(graph, "null_resource.r").attrs["value"] == "from-b-auto"
    extra = tmp_path / "prod.tfvars"
    extra.write_text('v = "from-var-file"\n')
    graph = load(tmp_path, {}, var_files=[str(extra)])
    assert one(graph, "null_resource.r").attrs["value"] == "from-var-file"


def test_tfvars_json(tmp_path: Path) -> None:
    graph = load(tmp_path, {"main.tf": VARIABLE, "terraform.tfvars.json": '{"v": "from-json"}'})
    assert one(graph, "null_resource.r").attrs["value"] == "from-json"


def test_missing_variable_is_unknown_never_a_guess(tmp_path: Path) -> None:
    graph = load(tmp_path, {"main.tf": 'variable "v" {}\nresource "null_resource" "r" {\n  value = "x-${var.v}"\n}\n'})
    value = one(graph, "null_resource.r").attrs["value"]
    assert isinstance(value, Unknown) and "var.v" in value.reason


def test_locals_chain_across_files_and_cycles(tmp_path: Path) -> None:
    files = {
        "a.tf": 'locals {\n  b = "${local.a}-b"\n  loop1 = local.loop2\n}\n',
        "b.tf": 'locals {\n  a = upper("a")\n  loop2 = local.loop1\n}\n',
        "c.tf": 'resource "null_resource" "r" {\n  value = local.b\n  loop  = local.loop1\n}\n',
    }
    res = one(load(tmp_path, files), "null_resource.r")
    assert res.attrs["value"] == "A-b"
    assert isinstance(res.attrs["loop"], Unknown)


def test_null_means_unset(tmp_path: Path) -> None:
    res = one(load(tmp_path, {"main.tf": 'resource "null_resource" "r" {\n  a = null\n  b = 1\n}\n'}), "null_resource.r")
    assert "a" not in res.attrs and res.attrs["b"] == 1


def test_references_and_referrers(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_s3_bucket" "b" {\n  bucket = "n"\n}\n'
            'locals {\n  id = aws_s3_bucket.b.id\n}\n'
            'resource "aws_s3_bucket_public_access_block" "p" {\n  bucket = local.id\n}\n'
            'resource "aws_s3_bucket_acl" "a" {\n  bucket = aws_s3_bucket.b.bucket\n  depends_on = [aws_s3_bucket_public_access_block.p]\n}\n'
        )
    }
    graph = load(tmp_path, files)
    bucket = one(graph, "aws_s3_bucket.b")
    pab = one(graph, "aws_s3_bucket_public_access_block.p")
    acl = one(graph, "aws_s3_bucket_acl.a")
    assert graph.references(pab, "bucket") == [bucket]  # through a local
    assert isinstance(pab.attrs["bucket"], Unknown) and pab.attrs["bucket"].ref == bucket.id
    assert acl.attrs["bucket"] == "n"  # a configured attribute is known
    assert graph.references(acl, "depends_on") == [pab]
    assert {r.address for r in graph.referrers(bucket)} == {pab.address, acl.address}
    assert graph.referrers(bucket, attr="bucket", types=["aws_s3_bucket_acl"]) == [acl]


def test_policy_document_renders_with_block_spans(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'data "aws_iam_policy_document" "d" {\n'
            '  statement {\n    actions = ["s3:GetObject"]\n'
            '    principals {\n      type = "AWS"\n      identifiers = ["*"]\n    }\n'
            '    condition {\n      test = "StringEquals"\n      variable = "aws:SourceVpce"\n      values = ["vpce-1"]\n    }\n'
            "  }\n}\n"
            'resource "aws_s3_bucket_policy" "p" {\n  bucket = "b"\n  policy = data.aws_iam_policy_document.d.json\n}\n'
        )
    }
    graph = load(tmp_path, files)
    pol = one(graph, "aws_s3_bucket_policy.p")
    doc = pol.attrs["policy"]
    assert isinstance(doc, JsonString)
    st = doc.decoded["Statement"][0]
    assert st["Principal"] == {"AWS": "*"}
    assert st["Action"] == "s3:GetObject"
    assert st["Condition"] == {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    assert locate(pol, ("policy", "Statement", 0, "Principal")).line == 4
    assert '"Principal":{"AWS":"*"}' in str(doc)
    assert graph.references(pol, "policy")[0].address == "data.aws_iam_policy_document.d"


def test_count_and_for_each_expand(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_s3_bucket" "c" {\n  count = 2\n  bucket = "c-${count.index}"\n}\n'
            'resource "aws_s3_bucket" "e" {\n  for_each = toset(["x", "y"])\n  bucket = "e-${each.key}"\n}\n'
            'resource "aws_s3_bucket" "off" {\n  count = 0\n}\n'
        )
    }
    graph = load(tmp_path, files)
    assert one(graph, "aws_s3_bucket.c[1]").attrs["bucket"] == "c-1"
    assert one(graph, 'aws_s3_bucket.e["y"]').attrs["bucket"] == "e-y"
    assert not [r for r in graph if r.address.startswith("aws_s3_bucket.off")]


def test_dynamic_blocks_expand(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "cidrs" {\n  default = ["10.0.0.0/8", "0.0.0.0/0"]\n}\n'
            'resource "aws_security_group" "g" {\n  dynamic "ingress" {\n    for_each = var.cidrs\n'
            "    content {\n      cidr_blocks = [ingress.value]\n    }\n  }\n}\n"
        )
    }
    res = one(load(tmp_path, files), "aws_security_group.g")
    assert [b["cidr_blocks"] for b in res.attrs["ingress"]] == [["10.0.0.0/8"], ["0.0.0.0/0"]]
    assert locate(res, ("ingress", 1, "cidr_blocks")).line == 8


def test_file_function_is_bounded_to_the_scan(tmp_path: Path) -> None:
    outside = tmp_path.parent / "outside-secret.json"
    outside.write_text('{"secret": 1}')
    files = {
        "policy.json": '{\n  "Statement": [{"Principal": "*"}]\n}\n',
        "main.tf": (
            'resource "null_resource" "r" {\n  inside = file("${path.module}/policy.json")\n'
            '  outside = file("../outside-secret.json")\n}\n'
        ),
    }
    res = one(load(tmp_path, files), "null_resource.r")
    assert isinstance(res.attrs["inside"], JsonString)
    assert res.attrs["inside"].decoded["Statement"][0].spans["Principal"].line == 2
    assert isinstance(res.attrs["outside"], Unknown)


def test_origins_name_the_tfvars_line(tmp_path: Path) -> None:
    files = {"main.tf": VARIABLE, "terraform.tfvars": '# comment\nv = "from-tfvars"\n'}
    res = one(load(tmp_path, files), "null_resource.r")
    assert res.origins is not None
    [origin] = res.origins(("value",))
    assert origin.span is not None and origin.span.line == 2 and origin.span.file.endswith("terraform.tfvars")
    assert 'var.v = "from-tfvars"' in origin.message


def test_type_constraints_fill_optional_attributes(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "cfg" {\n'
            "  type = object({\n    name = string\n    port = optional(number, 5432)\n    tags = optional(map(string))\n"
            "    rules = optional(list(object({ cidr = string, public = optional(bool, false) })), [])\n  })\n}\n"
            'resource "null_resource" "r" {\n  port = var.cfg.port\n  tags = var.cfg.tags\n  public = [for r in var.cfg.rules : r.public]\n  name = var.cfg.name\n}\n'
        ),
        "terraform.tfvars": 'cfg = { name = 42, rules = [{ cidr = "0.0.0.0/0" }], extra = "dropped" }\n',
    }
    res = one(load(tmp_path, files), "null_resource.r")
    assert res.attrs["port"] == 5432
    assert "tags" not in res.attrs  # optional without default: null, i.e. not set
    assert res.attrs["public"] == [False]
    assert res.attrs["name"] == "42"  # converted to the declared string type


def test_google_iam_policy_renders_policy_data(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'data "google_iam_policy" "p" {\n  binding {\n    role    = "roles/storage.objectViewer"\n    members = ["allUsers"]\n  }\n}\n'
            'resource "google_storage_bucket_iam_policy" "b" {\n  bucket      = "x"\n  policy_data = data.google_iam_policy.p.policy_data\n}\n'
        )
    }
    res = one(load(tmp_path, files), "google_storage_bucket_iam_policy.b")
    doc = res.attrs["policy_data"]
    assert isinstance(doc, JsonString)
    assert doc.decoded["bindings"][0]["members"] == ["allUsers"]
    assert locate(res, ("policy_data", "bindings", 0, "members")).line == 4


def test_an_entry_without_a_position_is_located_at_its_parent() -> None:
    # a value built by merge() in a module contract has entries with no position: the finding
    # lands on the nearest entry that has one, never on no position at all
    from linter.graph import Resource
    from linter.model import Span
    from linter.values import PDict

    statement = PDict({"Principal": "*"}, span=Span("main.tf", 3))
    statement.spans["Principal"] = None  # type: ignore[assignment]
    attrs = PDict({"policy": statement}, span=Span("main.tf", 1))
    attrs.spans["policy"] = Span("main.tf", 2)
    res = Resource("r", "aws_sqs_queue_policy.q", "aws_sqs_queue_policy", "terraform", attrs, Span("main.tf", 1), Span("main.tf", 1))
    assert locate(res, ("policy", "Principal")).line == 2
