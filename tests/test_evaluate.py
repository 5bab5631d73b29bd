"""Expression evaluation: operators, functions, unknowns."""

from __future__ import annotations

from typing import Any

import pytest

from linter.parsers.hcl.evaluate import EvalError, Evaluator
from linter.parsers.hcl.syntax import parse_hcl
from linter.values import JsonString, Unknown

UNKNOWN = Unknown("var.u has no value")


def root(name: str, node: Any) -> Any:
    if name == "u":
        return UNKNOWN
    if name == "m":
        return {"a": "x", "list": [1, 2, 3]}
    return EvalError(f"unknown {name}")


def ev(expr: str) -> Any:
    f = parse_hcl(f"x = {expr}\n", "t.tf")
    return Evaluator(root).eval(f.body.attributes["x"].expr)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ('"5" + 1', 6),
        ('1 == "1"', False),
        ("true != false", True),
        ("!false && 2 > 1", True),
        ("-(3)", -3),
        ('"a-${1 + 1}-${true}"', "a-2-true"),
        ('m.a', "x"),
        ("m.list[1]", 2),
        ("m.list.0", 1),
        ('m["a"]', "x"),
        ("[for v in m.list : v * 2 if v > 1]", [4, 6]),
        ('{for k, v in {a = 1, b = 2} : v => k}', {"1": "a", "2": "b"}),
        ('{for v in ["a", "b", "a"] : v => v...}', {"a": ["a", "a"], "b": ["b"]}),
        ("[{n = 1}, {n = 2}][*].n", [1, 2]),
        ("false ? 1 : 2", 2),
        ('jsonencode({a = [1, "x"]})', '{"a":[1,"x"]}'),
        ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
        ('merge({a = 1}, {b = 2}, {a = 3})', {"a": 3, "b": 2}),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ('lookup({a = 1}, "b", 9)', 9),
        ('format("%s:%d:%05.1f:%q", "x", 3, 2.5, "y")', 'x:3:002.5:"y"'),
        ('formatlist("%s-x", ["a", "b"])', ["a-x", "b-x"]),
        ('try(m.missing, "fallback")', "fallback"),
        ("can(m.missing)", False),
        ('coalesce("", null, "z")', "z"),
        ('tolist(toset(["b", "a", "b"]))', ["a", "b"]),
        ('cidrsubnet("10.0.0.0/16", 8, 3)', "10.0.3.0/24"),
        ('cidrsubnets("10.0.0.0/16", 8, 8)', ["10.0.0.0/24", "10.0.1.0/24"]),
        ('cidrhost("10.0.0.0/24", 5)', "10.0.0.5"),
        ('element(["a", "b"], 3)', "b"),
        ("flatten([[1, [2]], 3])", [1, 2, 3]),
        ('keys({b = 1, a = 2})', ["a", "b"]),
        ('values({b = 1, a = 2})', [2, 1]),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ('contains(["a"], "a")', True),
        ('length("abc") + length([1, 2])', 5),
        ('join(",", ["a", "b"])', "a,b"),
        ('split(",", "a,b")', ["a", "b"]),
        ('replace("a-b-c", "-", "_")', "a_b_c"),
        ('replace("a1b22", "/[0-9]+/", "#")', "a#b#"),
        ('lower("AbC")', "abc"),
        ('upper("abc")', "ABC"),
        ('tostring(5)', "5"),
        ('tonumber("5")', 5),
        ('tobool("true")', True),
        ("range(3)", [0, 1, 2]),
        ('regex("^([a-z]+)-([0-9]+)$", "ab-12")', ["ab", "12"]),
        ('substr("hello", 1, 3)', "ell"),
        ('trimprefix("s3://b", "s3://")', "b"),
        ("one([5])", 5),
        ("distinct([1, 1, 2])", [1, 2]),
        ('setsubtract(["a", "b"], ["a"])', ["b"]),
        ("max(1, 5, 2)", 5),
    ],
)
def test_values(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_unknown_propagates_through_functions_and_templates() -> None:
    assert isinstance(ev("upper(u)"), Unknown)
    assert isinstance(ev('"x-${u}"'), Unknown)
    assert isinstance(ev("u ? 1 : 2"), Unknown)
    assert isinstance(ev("u == 1"), Unknown)


def test_unknown_with_a_known_answer() -> None:
    assert ev('u ? "same" : "same"') == "same"
    assert ev("false && u") is False
    assert ev("u || true") is True
    assert ev('coalesce("x", u)') == "x"
    # try() returns an unknown value as it is: it is not an error
    assert isinstance(ev('try(u, "fallback")'), Unknown)


def test_jsonencode_keeps_structure_with_unknown_parts() -> None:
    out = ev('jsonencode({Principal = "*", Resource = u})')
    assert isinstance(out, JsonString)
    assert out.decoded["Principal"] == "*"
    assert isinstance(out.decoded["Resource"], Unknown)
    assert out.decoded.spans["Principal"].line == 1


def test_errors_are_values_not_exceptions() -> None:
    for expr in ("m.nope", "m.list[10]", "nosuchfunction(1)", "1 / 0", 'tonumber("x")', "range(1000000)"):
        assert isinstance(ev(expr), EvalError), expr


def test_deep_nesting_does_not_crash() -> None:
    deep = "[" * 400 + "1" + "]" * 400
    f_text = f"x = {deep}\n"
    try:
        f = parse_hcl(f_text, "t.tf")
    except Exception as exc:  # the parser may refuse it, but with a clean error
        assert type(exc).__name__ == "HclSyntaxError"
        return
    Evaluator(root).eval(f.body.attributes["x"].expr)


def test_replace_keeps_a_json_document_and_its_positions() -> None:
    out = ev('replace(jsonencode({Principal = "*", Resource = "arn:_ID_"}), "_ID_", "bucket")')
    assert isinstance(out, JsonString)
    assert out.decoded["Resource"] == "arn:bucket" and '"arn:bucket"' in out
    # an unknown replacement only makes the values that contained the placeholder unknown
    partial = ev('replace(jsonencode({Principal = "*", Resource = "arn:_ID_"}), "_ID_", u)')
    assert partial.decoded["Principal"] == "*" and isinstance(partial.decoded["Resource"], Unknown)
    # and nothing to replace means the unknown does not matter
    assert ev('replace("abc", "_ID_", u)') == "abc"


def test_alltrue_anytrue_with_unknowns() -> None:
    assert ev("anytrue([u, true])") is True
    assert ev("alltrue([u, false])") is False
    assert isinstance(ev("alltrue([u, true])"), Unknown)


def test_yamlencode_of_an_object_keeps_its_positions() -> None:
    # an HCL object literal is positioned data; yamlencode used to raise on it
    out = ev('yamlencode({service = {type = "LoadBalancer"}})')
    assert out == "service:\n  type: LoadBalancer\n"
    assert out.decoded["service"]["type"] == "LoadBalancer" and out.decoded["service"].spans["type"].line == 1
