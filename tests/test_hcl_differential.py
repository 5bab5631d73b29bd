"""The fast HCL parser (tree-sitter) against the reference (python-hcl2's Lark grammar).

Both build :mod:`linter.parsers.hcl.syntax`'s nodes; this proves they build the same tree
with the same spans (every node, every comment, the same error for a broken file) on every
``.tf`` file of the fixtures and of the corpus, and on hand-written cases for each construct
where the two grammars differ in shape.

What is compared is the whole tree, as nested tuples. Two normalisations, neither of which
the rest of seawall can see:

- adjacent literal pieces of a template are joined: Lark splits ``a$${b}c`` into three
  literal pieces, tree-sitter reads one; evaluation joins them either way;
- nothing else. (Comments come sorted by position from both; the Lark walk sorts them.)

A broken file gives the same error from both because the fast parser hands the broken
stretch to Lark. It reads that stretch in pieces (one per top-level item), so on a file whose
first error is followed by more broken items the message may name a nearer token than a
whole-file Lark parse would; no file here does that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, FIXTURES

from linter.parsers.hcl import _lark, _treesitter
from linter.parsers.hcl import syntax as s


def _span(span: Any) -> tuple[int, int, int, int]:
    return (span.line, span.column, span.end_line, span.end_column)


def _parts(parts: list[Any]) -> list[Any]:
    out: list[Any] = []
    for p in parts:
        if isinstance(p, str):
            if out and isinstance(out[-1], str):
                out[-1] += p
            else:
                out.append(p)
        elif isinstance(p, s.Interp):
            out.append(("Interp", _expr(p.expr), p.strip_left, p.strip_right))
        elif isinstance(p, s.IfDirective):
            out.append(("If", _expr(p.cond), _parts(p.then), _parts(p.otherwise)))
        else:
            out.append(("For", p.key_var, p.value_var, _expr(p.collection), _parts(p.body)))
    return [p for p in out if p != ""]


def _expr(e: Any) -> tuple[Any, ...]:
    n = type(e).__name__
    if isinstance(e, s.Literal):
        return (n, _span(e.span), type(e.value).__name__, e.value)
    if isinstance(e, s.Template):
        return (n, _span(e.span), _parts(e.parts), e.positions, e.indent)
    if isinstance(e, s.TupleExpr):
        return (n, _span(e.span), [_expr(i) for i in e.items])
    if isinstance(e, s.ObjectExpr):
        return (n, _span(e.span), [(_expr(i.key), _expr(i.value), i.literal_key) for i in e.items])
    if isinstance(e, s.Variable):
        return (n, _span(e.span), e.name)
    if isinstance(e, s.GetAttr):
        return (n, _span(e.span), _expr(e.obj), e.name)
    if isinstance(e, s.Index):
        return (n, _span(e.span), _expr(e.obj), _expr(e.key))
    if isinstance(e, s.Splat):
        return (n, _span(e.span), _expr(e.obj), [(k, v if k == "attr" else _expr(v)) for k, v in e.ops], e.full)
    if isinstance(e, s.Call):
        return (n, _span(e.span), e.name, [_expr(a) for a in e.args], e.expand_last)
    if isinstance(e, s.Conditional):
        return (n, _span(e.span), _expr(e.cond), _expr(e.yes), _expr(e.no))
    if isinstance(e, s.BinaryOp):
        return (n, _span(e.span), e.op, _expr(e.left), _expr(e.right))
    if isinstance(e, s.UnaryOp):
        return (n, _span(e.span), e.op, _expr(e.operand))
    if isinstance(e, s.Paren):
        return (n, _span(e.span), _expr(e.expr))
    if isinstance(e, s.ForExpr):
        key = _expr(e.key_expr) if e.key_expr is not None else None
        cond = _expr(e.cond) if e.cond is not None else None
        return (n, _span(e.span), e.key_var, e.value_var, _expr(e.collection), key, _expr(e.value_expr), cond, e.group)
    raise TypeError(n)


def _body(b: s.Body) -> tuple[Any, ...]:
    return (
        [(a.name, _span(a.span), _expr(a.expr)) for a in b.attributes.values()],
        [(a.name, _span(a.span)) for a in b.duplicates],
        [(k.type, k.labels, _span(k.span), _span(k.header), _body(k.body)) for k in b.blocks],
    )


def tree(parse: Any, text: str, path: str = "t.tf") -> tuple[Any, ...]:
    """The whole syntax tree as nested tuples, or the error."""
    try:
        f = parse(s._normalise(text), path)
    except s.HclSyntaxError as exc:
        return ("error", exc.line, exc.column, exc.message)
    return (_body(f.body), [(c.line, c.column, c.text, c.whole_line) for c in f.comments])


def assert_same(text: str, path: str = "t.tf") -> None:
    reference = tree(_lark.parse_file, text, path)
    fast = tree(_treesitter.parse_file, text, path)
    assert fast == reference


CASES = {
    "negative numbers and unary operators": "a = -1\nb = - 2\nc = x -1\nd = !x && -y.z\ne = 1.5e3\nf = -0.25\ng = - 0.5\n",
    # tree-sitter's grammar has no exponent without a fraction; the reference reads the file
    "a number tree-sitter does not read": "a = 1e3\nb = 2E-2\n",
    "precedence": "a = 1 + 2 * 3 - 4 / 2 % 1\nb = a < b == c >= d || e && !f\nc = (1 + 2) * 3\n",
    "conditionals nest to the right": "a = x ? 1 : y ? 2 : z ? 3 : 4\nb = (x ? 1 : 2) ? 3 : 4\nc = x == 1 ? y : z + 1\n",
    "postfix chains and splats": "a = x.y[0].z\nb = x[*].y.z[1]\nc = x.*.y\nd = x.0.y\ne = (x).y[\"k\"]\nf = f(x)[0].y\n",
    "calls": "a = f()\nb = g(1, [2, 3]...)\nc = provider::aws::arn_parse(x)\nd = h(\n  # inside\n  1,\n  2, // after\n)\n",
    "collections": 'a = [1, "two", [3], {}]\nb = { in = 1, for = 2, "q" = 3, (k) = 4, x: 5 }\nc = {\n  a = 1\n  b = 2,\n}\n',
    "for expressions": "a = [for v in l : v if v != null]\nb = {for k, v in m : k => v... if k != \"x\"}\nc = [for i, v in l : { i = i }]\n",
    "strings and escapes": 'a = "tab\\t \\"q\\" \\u00e9 \\\\"\nb = "$${literal} and %%{ literal }"\nc = ""\nd = "x${y}z${f(1)}"\n',
    "template directives": 'a = "%{ if x ~} yes %{~ else } no %{ endif }"\nb = "%{ for k, v in m }${k}=${v},%{ endfor }"\n',
    "heredocs": "a = <<EOT\nplain ${x}\n  %{ if y }z%{ endif }\nEOT\nb = <<-EOT\n    trimmed ${f(\"a\")}\n      keep\n    EOT\nc = <<JSON\n{\"Principal\": \"*\"}\nJSON\n",
    "blocks, labels and comments": '# top\nresource "aws_s3_bucket" "b" { # trailing\n  /* block\n     comment */\n  bucket = "x" // tail\n  nested {\n  }\n}\nlocals {}\nin { x = 1 }\n',
    "non-ASCII columns": 'locals {\n  a = "é${var.x}ü" # café\n  b = { "clé" = var.y, "ü" = "€${1}" }\n}\n# ☃ ${x}\nc = "😀" // after\n',
    "duplicates and keywords as names": "x = 1\nx = 2\nfor_each = 3\nblock {\n  if = 1\n}\n",
    "deep nesting": "a = " + "[" * 50 + "1" + "]" * 50 + "\n",
    "unterminated string": 'resource "a" "b" {\n  bucket = "oops\n  acl    = "private"\n}\n\nx = "y"\n',
    "syntax errors": 'resource "a" "b" {\n  x = \n}\n',
    "error at end of file": "a = 1\nb = [1, 2\n",
    "stray brace": "x = 1 }\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_constructs(text: str) -> None:
    assert_same(text)


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.rglob("*.tf"))


def test_every_fixture() -> None:
    files = _fixture_files()
    assert len(files) > 500
    different = [str(p) for p in files if tree(_lark.parse_file, p.read_text(errors="replace"), str(p)) != tree(_treesitter.parse_file, p.read_text(errors="replace"), str(p))]
    assert not different, different[:10]


def _corpus_projects() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("project", _corpus_projects(), ids=lambda p: p.name)
def test_every_corpus_file(project: Path) -> None:
    different = []
    for path in sorted(project.rglob("*.tf")):
        text = path.read_text(errors="replace")
        if tree(_lark.parse_file, text, str(path)) != tree(_treesitter.parse_file, text, str(path)):
            different.append(str(path))
    assert not different, different[:10]


# Where the two differ, the fast parser reads what HCL allows and the reference grammar does not.
DIFFERENCES = {
    # Lark's lexer takes "-0.5" after a name as a number, then finds two operands in a row
    "subtracting a written fraction": ("a = x -0.5\n", "BinaryOp"),
    # HCL names are Unicode identifiers; the Lark grammar's are ASCII
    "a non-ASCII name": ("naïve = 1\n", "Literal"),
}


@pytest.mark.parametrize(("text", "kind"), DIFFERENCES.values(), ids=DIFFERENCES.keys())
def test_documented_differences(text: str, kind: str) -> None:
    assert tree(_lark.parse_file, text)[0] == "error"
    fast = _treesitter.parse_file(s._normalise(text), "t.tf")
    assert [type(a.expr).__name__ for a in fast.body.attributes.values()] == [kind]


def test_the_comparison_sees_a_difference() -> None:
    """The tree tuples are fine enough to tell two parses apart by one column."""
    a = tree(_lark.parse_file, "x = 1\n")
    b = tree(_lark.parse_file, "x =  1\n")
    assert a != b
