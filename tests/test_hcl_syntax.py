"""The HCL layer: positions on every node, heredocs, templates, comments, errors.

Every test runs with both parsers: tree-sitter (the default where its wheel is installed)
and the Lark fallback (used where it is not)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from linter.parsers import hcl
from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.evaluate import EvalError, Evaluator
from linter.values import JsonString


def _without_tree_sitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a platform without tree-sitter's wheel: importing it fails."""
    monkeypatch.setitem(sys.modules, "tree_sitter_hcl", None)  # None in sys.modules makes import raise ImportError
    monkeypatch.delitem(sys.modules, "linter.parsers.hcl._treesitter", raising=False)
    monkeypatch.delattr(hcl, "_treesitter", raising=False)
    s._fast.cache_clear()


@pytest.fixture(autouse=True, params=["tree-sitter", "lark"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    s._fast.cache_clear()
    if request.param == "lark":
        _without_tree_sitter(monkeypatch)
    assert s.parser_name() == request.param
    yield request.param
    monkeypatch.undo()
    s._fast.cache_clear()


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
        ('resource "a" "b" {\n  x = "unterminated\n}\n', 2, "unterminated string"),
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


def test_unterminated_string_is_reported_where_it_starts() -> None:
    """The string left open on line 2 runs on to the next quote (line 6); the error names line 2."""
    text = 'resource "aws_s3_bucket" "b" {\n  bucket = "oops\n  acl    = "private"\n}\n\nx = "y"\n'
    with pytest.raises(s.HclSyntaxError) as exc:
        parse(text)
    assert (exc.value.line, exc.value.column) == (2, 12)
    assert "unterminated string" in exc.value.message


def test_unterminated_string_that_closes_later_without_another_error() -> None:
    # the run-on string ends at the next quote and the rest happens to parse: still an error
    with pytest.raises(s.HclSyntaxError) as exc:
        parse('a = "x\nb = "\nlabel "l" {\n}\n')
    assert (exc.value.line, exc.value.column, "unterminated string" in exc.value.message) == (1, 5, True)
    with pytest.raises(s.HclSyntaxError) as exc:
        parse('resource "aws_s3_bucket\n" "b" {\n}\n')
    assert (exc.value.line, exc.value.column) == (1, 10)


def test_a_line_break_inside_an_interpolation_is_allowed() -> None:
    assert value('x = "a${join(",",\n  ["b", "c"])}d"\n') == "ab,cd"


def test_partial_parse_keeps_the_blocks_around_a_half_typed_line(parser: str) -> None:
    text = (
        'resource "aws_s3_bucket" "a" {\n  bucket = "a"\n}\n\n'
        'resource "aws_s3_bucket_acl" "b" {\n  acl = \n}\n\n'
        'resource "aws_s3_bucket" "c" {\n  bucket = "c" # note\n}\n'
    )
    partial = s.parse_hcl_partial(text, "t.tf")
    assert [(e.line, "unexpected" in e.message) for e in partial.errors] == [(6, True)]
    if parser == "lark":  # the fallback stops at the first error: nothing is kept
        assert partial.file.body.blocks == []
        return
    assert [(b.labels[1], b.span.line) for b in partial.file.body.blocks] == [("a", 1), ("c", 9)]
    bucket = partial.file.body.blocks[1].body.attributes["bucket"]
    assert (bucket.span.line, bucket.span.column, bucket.span.end_column) == (10, 3, 15)
    assert [(c.line, c.text) for c in partial.file.comments] == [(10, "# note")]


def test_partial_parse_reports_each_broken_block(parser: str) -> None:
    text = 'a = 1\nresource "x" "y" {\n  b = "open\n}\nlocals {\n  c = 2\n}\nresource "x" "z" {\n  d = [\n}\n'
    partial = s.parse_hcl_partial(text, "t.tf")
    if parser == "lark":
        assert [(e.line, e.column) for e in partial.errors] == [(3, 7)]
        return
    assert [(e.line, e.column) for e in partial.errors] == [(3, 7), (10, 1)]
    assert "unterminated string" in partial.errors[0].message
    assert list(partial.file.body.attributes) == ["a"]
    assert [b.type for b in partial.file.body.blocks] == ["locals"]


def test_partial_parse_of_a_valid_file_is_the_whole_file() -> None:
    text = 'resource "a" "b" {\n  x = [for v in var.l : v if v != null]\n}\ny = 1\n'
    partial = s.parse_hcl_partial(text, "t.tf")
    assert partial.errors == []
    whole = parse(text)
    assert [b.span for b in partial.file.body.blocks] == [b.span for b in whole.body.blocks]
    assert list(partial.file.body.attributes) == ["y"]


def test_the_fallback_is_used_when_tree_sitter_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_tree_sitter(monkeypatch)
    assert s.parser_name() == "lark"
    f = parse('resource "a" "b" {\n  acl = "public-read"\n}\n')
    assert f.body.blocks[0].body.attributes["acl"].span.line == 2
    assert "linter.parsers.hcl._treesitter" not in sys.modules
