"""The HCL layer: positions on every node, heredocs, templates, comments, errors."""

from __future__ import annotations

import pytest

from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.evaluate import EvalError, Evaluator
from linter.values import JsonString


def parse(text: str) -> s.HclFile:
    return s.parse_hcl(text, "t.tf")


def value(text: str, name: str = "x") -> object:
    f = parse(text)
    return Evaluator(lambda n, node: EvalError(n)).eval(f.body.attributes[name].expr)


def test_attribute_and_block_spans() -> None:
    f = parse('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl    = "private"\n}\n')
    block = f.body.blocks[0]
    assert (block.type, block.labels) == ("resource", ["aws_s3_bucket", "b"])
    assert (block.span.line, block.span.end_line) == (1, 4)
    assert (block.header.line, block.header.column, block.header.end_column) == (1, 1, 29)
    acl = block.body.attributes["acl"]
    assert (acl.span.line, acl.span.column, acl.span.end_line, acl.span.end_column) == (3, 3, 3, 21)


def test_nested_and_repeated_blocks_keep_order_and_spans() -> None:
    f = parse(
        'resource "aws_security_group" "g" {\n'
        "  ingress {\n    from_port = 22\n  }\n"
        "  ingress {\n    from_port = 443\n    nested {\n      deep = true\n    }\n  }\n"
        "}\n"
    )
    body = f.body.blocks[0].body
    ingress = list(body.blocks_of("ingress"))
    assert [b.span.line for b in ingress] == [2, 5]
    assert ingress[1].body.blocks[0].body.attributes["deep"].span.line == 8


def test_dynamic_block_structure() -> None:
    f = parse(
        'resource "x" "y" {\n  dynamic "ingress" {\n    for_each = var.cidrs\n    iterator = c\n'
        "    content {\n      cidr_blocks = [c.value]\n    }\n  }\n}\n"
    )
    dyn = f.body.blocks[0].body.blocks[0]
    assert (dyn.type, dyn.labels) == ("dynamic", ["ingress"])
    assert set(dyn.body.attributes) == {"for_each", "iterator"}
    assert next(dyn.body.blocks_of("content")).body.attributes["cidr_blocks"].span.line == 6


def test_comments_of_all_styles_are_collected_with_positions() -> None:
    f = parse('# top\nx = 1 // trailing\n/* block\n comment */\ny = 2 # last\n')
    assert [(c.line, c.column, c.text[:7]) for c in f.comments] == [(1, 1, "# top"), (2, 7, "// trai"), (3, 1, "/* bloc"), (5, 7, "# last")]


def test_crlf_and_missing_final_newline() -> None:
    f = parse('a = "x"\r\nb = <<EOT\r\nline\r\nEOT\r\nc = 3')
    assert f.body.attributes["c"].span.line == 5
    assert Evaluator(lambda n, node: None).eval(f.body.attributes["b"].expr) == "line\n"


def test_heredoc_plain_and_indented() -> None:
    assert value("x = <<EOT\n  keep\n    indent\nEOT\n") == "  keep\n    indent\n"
    assert value("x = <<-EOT\n    strip\n      keep two\n    EOT\n") == "strip\n  keep two\n"


def test_heredoc_interpolation_has_its_own_position() -> None:
    f = parse('x = <<-EOT\n    a ${upper("b")} c\n  EOT\n')
    template = f.body.attributes["x"].expr
    interp = [p for p in template.parts if isinstance(p, s.Interp)][0]
    assert (interp.expr.span.line, interp.expr.span.column) == (2, 9)


def test_heredoc_json_keeps_structure_and_lines() -> None:
    text = 'x = <<JSON\n{\n  "Statement": [\n    {"Principal": "*"}\n  ]\n}\nJSON\n'
    v = value(text)
    assert isinstance(v, JsonString)
    stmt = v.decoded["Statement"]
    assert stmt[0]["Principal"] == "*"
    assert stmt[0].spans["Principal"].line == 4


def test_string_escapes_and_escaped_interpolation() -> None:
    assert value('x = "tab\\there \\"q\\" \\u00e9 $${literal}"') == 'tab\there "q" é ${literal}'


def test_template_directives() -> None:
    assert value('x = "%{ if true }yes%{ else }no%{ endif }"') == "yes"
    assert value('x = "%{ for v in ["a", "b"] }${v};%{ endfor }"') == "a;b;"
    assert value('x = <<EOT\n%{ for k, v in {a = 1} ~}\n${k}=${v}\n%{ endfor ~}\nEOT\n') == "a=1\n"


def test_keywords_as_names() -> None:
    f = parse('x = { in = 1, for = 2 }\nresource "a" "b" {\n  for_each = {}\n}\n')
    assert set(value('x = { in = 1, for = 2 }')) == {"in", "for"}
    assert "for_each" in f.body.blocks[0].body.attributes


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('resource "a" "b" {\n  x = \n}\n', 2, "unexpected"),
        ('resource "a" "b" {\n  x = "unterminated\n}\n', 2, "unexpected"),
        ('a = 1\nb = [1, 2\n', 2, "end of file"),
        ("x = 1 }\n", 1, "unexpected"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(s.HclSyntaxError) as exc:
        parse(text)
    assert exc.value.line == line
    assert words in exc.value.message
    assert "Token(" not in exc.value.message


def test_duplicate_attributes_are_recorded() -> None:
    f = parse('x = 1\nx = 2\n')
    assert f.body.attributes["x"].span.line == 2
    assert [a.span.line for a in f.body.duplicates] == [2]
