"""Property-based fuzzing: random and mutated inputs never raise an uncaught exception and
always finish, in every parser and in the condition evaluator.

Runs with a fixed seed (``derandomize``) in CI. For a longer local run:

    SEAWALL_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py --hypothesis-show-statistics

Any input that ever crashed is kept in ``tests/fixtures/_fuzz/<parser>/`` and replayed by
``test_regression_corpus``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.conditions import ConditionError, compile_condition
from linter.parsers.cloudformation import load_cloudformation
from linter.parsers.hcl.syntax import HclSyntaxError, parse_hcl
from linter.parsers.kubernetes import load_kubernetes
from linter.parsers.terraform.config import build_config
from linter.parsers.terraform.instance import ModuleInstance, Options
from linter.parsers.terraform.plan import load_plan

EXAMPLES = int(os.environ.get("SEAWALL_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
REGRESSIONS = FIXTURES / "_fuzz"


def _seeds(*suffixes: str) -> list[str]:
    out = []
    for base in (FIXTURES, ROOT / "examples"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in suffixes and "_fuzz" not in path.parts:
                out.append(path.read_text(errors="replace"))
    return out


HCL_SEEDS = _seeds(".tf", ".tfvars")
YAML_SEEDS = [s for s in _seeds(".yaml", ".yml") if "apiVersion" in s]
CFN_SEEDS = [s for s in _seeds(".yaml", ".yml", ".json") if "AWSTemplateFormatVersion" in s or "AWS::" in s]
PLAN_SEEDS = [s for s in _seeds(".json") if '"format_version"' in s]
SYNTAX = ' \n\t{}[]()"=$%~#/*:,.-_<>!?&|\\\'`@0123456789abcxyzAWS'


@st.composite
def mutated(draw: Any, seeds: list[str]) -> str:
    """A seed input with a few random edits: cuts, repeats, insertions, line swaps, truncation."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if not text:
            break
        i = draw(st.integers(min_value=0, max_value=len(text)))
        j = draw(st.integers(min_value=i, max_value=min(len(text), i + 40)))
        kind = draw(st.sampled_from(["delete", "repeat", "insert", "swap", "truncate", "replace"]))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "repeat":
            text = text[:j] + text[i:j] * draw(st.integers(min_value=1, max_value=4)) + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.text(alphabet=SYNTAX, max_size=12)) + text[i:]
        elif kind == "swap":
            lines = text.split("\n")
            if len(lines) > 1:
                a = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                b = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "\n".join(lines)
        elif kind == "truncate":
            text = text[:i]
        else:
            text = text[:i] + draw(st.text(alphabet=SYNTAX, min_size=1, max_size=3)) + text[j:]
    return text


inputs_hcl = st.one_of(mutated(HCL_SEEDS), st.text(alphabet=SYNTAX, max_size=200))


def check_hcl(text: str) -> None:
    """Parsing raises only HclSyntaxError; evaluating a module of the result never raises."""
    try:
        parsed = parse_hcl(text, "fuzz.tf")
    except HclSyntaxError:
        return
    config = build_config("fuzzdir", [parsed])
    module = ModuleInstance(config, "fuzz", "", {}, (), Options(max_bytes=10**6, scan_root="/nonexistent"))
    for inst in module.all_instances():
        inst.attrs()
        assert isinstance(inst.refs, dict)


@FUZZ
@given(inputs_hcl)
def test_terraform_parser_and_evaluator(text: str) -> None:
    check_hcl(text)


def check_kubernetes(text: str) -> None:
    out = load_kubernetes(["fuzz.yaml"], 10**6, {"fuzz.yaml": text})
    assert not [e for e in out.errors if e.kind == "internal"], out.errors


@FUZZ
@given(st.one_of(mutated(YAML_SEEDS), st.text(alphabet=SYNTAX + "&*!|>", max_size=200)))
def test_kubernetes_parser(text: str) -> None:
    check_kubernetes(text)


def check_cloudformation(text: str) -> None:
    out = load_cloudformation(["fuzz.yaml"], 10**6, None, {"fuzz.yaml": text})
    assert not [e for e in out.errors if e.kind == "internal"], out.errors


@FUZZ
@given(mutated(CFN_SEEDS))
def test_cloudformation_parser(text: str) -> None:
    check_cloudformation(text)


def check_plan(text: str, tmp: Path) -> None:
    path = tmp / "plan.json"
    path.write_text(text)
    out = load_plan(str(path), 10**7, None)
    assert not [e for e in out.errors if e.kind == "internal"], out.errors


@FUZZ
@given(mutated(PLAN_SEEDS))
def test_plan_parser(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    check_plan(text, tmp_path_factory.mktemp("plan"))


# ----------------------------------------------------------------------------- conditions

OPS = ["equals", "in", "matches", "contains", "exists", "cidr_open", "public_policy", "where"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=12), st.sampled_from(["0.0.0.0/0", "::/0", "*", "10.0.0.0/8", "public-read"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "b", "Statement", "Principal", "Effect", "Action", "Condition", "cidr"]), inner, max_size=4)),
    max_leaves=20,
)
paths = st.lists(st.sampled_from(["a", "b", "[*]", "[0]", "Statement", "Principal", "cidr", '["x.y"]']), min_size=1, max_size=4).map(lambda parts: ".".join(parts).replace(".[", "["))
conditions = st.recursive(
    st.builds(lambda p, op, arg: {"path": p, op: arg}, paths, st.sampled_from(OPS), st.one_of(json_values, st.just(True), st.lists(st.text(max_size=5), max_size=3))),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
        st.builds(lambda p, x: {"path": p, "where": x}, paths, inner),
    ),
    max_leaves=6,
)


@FUZZ
@given(conditions, json_values)
def test_condition_evaluator(spec: Any, value: Any) -> None:
    try:
        cond = compile_condition(spec)
    except ConditionError:
        return
    truth, witnesses = cond.evaluate(value)
    assert truth in (True, False, None)
    assert isinstance(witnesses, list)


# ----------------------------------------------------------------------------- regressions


def _regressions() -> list[Path]:
    return sorted(p for p in REGRESSIONS.rglob("*") if p.is_file()) if REGRESSIONS.is_dir() else []


@pytest.mark.parametrize("case", _regressions(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_regression_corpus(case: Path, tmp_path: Path) -> None:
    text = case.read_text(errors="replace")
    kind = case.parent.name
    if kind == "hcl":
        check_hcl(text)
    elif kind == "kubernetes":
        check_kubernetes(text)
    elif kind == "cloudformation":
        check_cloudformation(text)
    elif kind == "plan":
        check_plan(text, tmp_path)
    else:  # pragma: no cover - a folder without a checker is a mistake
        pytest.fail(f"no checker for regression folder {kind}")
