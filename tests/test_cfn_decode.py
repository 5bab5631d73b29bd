"""Decoding CloudFormation templates: one path, PyYAML's C loader with marks.

The reference is what seawall used before, cfn-lint's decoder (still installed: cfn-lint
is a dependency): every template of the fixtures and of the corpus decodes to the same
values with the same spans. Then each behaviour on its own: every short-form tag in its
long form, JSON (escapes, big numbers, tabs, positions), duplicate keys (a note, the last
one wins, as before), and the errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, FIXTURES, ROOT

from linter.discover import classify_document
from linter.model import Note, Span
from linter.parsers.cloudformation import TemplateError, _decode
from linter.values import PDict, PList

# --------------------------------------------------------------------------- the reference


def _reference(text: str, path: str) -> Any:
    """cfn-lint's decoder and the conversion seawall applied to its nodes until now."""
    from cfnlint.decode import decode_str

    template, matches = decode_str(text)
    if template is None or matches:
        return ("error", [m.message for m in matches])

    def span(start: Any, end: Any) -> Span:
        return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def convert(node: Any, fallback: Span) -> Any:
        start, end = getattr(node, "start_mark", None), getattr(node, "end_mark", None)
        here = span(start, end) if start is not None and end is not None else fallback
        if isinstance(node, dict):
            out = PDict(span=here)
            for key, value in node.items():
                kstart = getattr(key, "start_mark", None)
                vend = getattr(value, "end_mark", None) or getattr(key, "end_mark", None)
                entry = span(kstart, vend) if kstart is not None and vend is not None else here
                out[str(key)] = convert(value, entry)
                out.spans[str(key)] = entry
            return out
        if isinstance(node, list):
            spans = []
            for v in node:
                s, e = getattr(v, "start_mark", None), getattr(v, "end_mark", None)
                spans.append(span(s, e) if s is not None and e is not None else here)
            return PList([convert(v, here) for v in node], span=here, spans=spans)
        return str(node) if isinstance(node, str) else node

    return convert(template, Span(path, 1))


def shape(value: Any) -> Any:
    """Values with every span, as plain tuples (PDict/PList compare by content only)."""
    if isinstance(value, PDict):
        return ("map", tuple(value.span), [(k, tuple(value.spans[k]), shape(v)) for k, v in value.items()])
    if isinstance(value, PList):
        return ("seq", tuple(value.span), [(tuple(s), shape(v)) for s, v in zip(value.spans, value)])
    return (type(value).__name__, value)


def _templates(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json", ".template") and path.is_file():
            try:
                if classify_document(str(path)) == "cloudformation":
                    found.append(path)
            except (OSError, UnicodeDecodeError):
                continue
    return found


def _same_as_reference(paths: list[Path]) -> list[str]:
    different = []
    for path in paths:
        text = path.read_text(errors="replace")
        reference = _reference(text, str(path))
        try:
            ours: Any = shape(_decode(text, str(path), []))
        except TemplateError as exc:
            ours = ("error", exc.message)
        if isinstance(reference, tuple):  # both refuse the file
            same = ours[0] == "error"
        else:
            same = ours == shape(reference)
        if not same:
            different.append(str(path))
    return different


def test_every_fixture_template_decodes_as_before() -> None:
    paths = _templates(FIXTURES)
    assert len(paths) > 80
    assert not _same_as_reference(paths)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("project", ["aws-cloudformation+aws-cloudformation-templates", "widdix+aws-cf-templates"])
def test_every_corpus_template_decodes_as_before(project: str) -> None:
    paths = _templates(CORPUS / project)
    assert len(paths) > 40
    assert not _same_as_reference(paths)


# --------------------------------------------------------------------------- behaviours


def decode(text: str, notes: list[Note] | None = None) -> PDict:
    return _decode(text, "t.yaml", notes if notes is not None else [])


SHORT_FORMS = {
    "!Ref Name": {"Ref": "Name"},
    "!Condition IsProd": {"Condition": "IsProd"},
    "!Sub 'arn:${AWS::Partition}:s3:::${B}'": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${B}"},
    "!Sub ['${A}-x', {A: !Ref P}]": {"Fn::Sub": ["${A}-x", {"A": {"Ref": "P"}}]},
    "!GetAtt Bucket.Arn": {"Fn::GetAtt": ["Bucket", "Arn"]},
    "!GetAtt Cluster.Endpoint.Address": {"Fn::GetAtt": ["Cluster", "Endpoint.Address"]},
    "!GetAtt [Bucket, Arn]": {"Fn::GetAtt": ["Bucket", "Arn"]},
    "!If [IsProd, a, !Ref AWS::NoValue]": {"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]},
    "!Join ['', [a, !Ref B]]": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
    "!Select [0, !GetAZs '']": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
    "!Split [',', !ImportValue Out]": {"Fn::Split": [",", {"Fn::ImportValue": "Out"}]},
    "!FindInMap [Map, !Ref AWS::Region, Key]": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
    "!Base64 text": {"Fn::Base64": "text"},
    "!Cidr [!GetAtt Vpc.CidrBlock, 6, 8]": {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 6, 8]},
    "!Equals [!Ref Env, prod]": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    "!And [!Condition A, !Not [!Condition B]]": {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
    "!Or [!Condition A, !Condition B]": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
    "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
    "!ToJsonString {a: 1}": {"Fn::ToJsonString": {"a": 1}},
    "!Length [1, 2]": {"Fn::Length": [1, 2]},
    "!Ref 123": {"Ref": "123"},  # a tagged scalar stays text, as cfn-lint reads it
}


@pytest.mark.parametrize("written", SHORT_FORMS.keys())
def test_short_form_tags_become_the_long_form(written: str) -> None:
    doc = decode(f"X: {written}\n")
    assert doc["X"] == SHORT_FORMS[written]
    assert doc["X"] == _reference(f"X: {written}\n", "t.yaml")["X"]


def test_short_forms_keep_their_marks() -> None:
    doc = decode("Resources:\n  B:\n    Properties:\n      Name: !Sub\n        - '${A}'\n        - A: !GetAtt\n            - X\n            - Arn\n")
    name = doc["Resources"]["B"]["Properties"]["Name"]
    assert (name.span.line, name.span.column) == (4, 13)
    sub = name["Fn::Sub"]
    assert [s.line for s in sub.spans] == [5, 6]
    getatt = sub[1]["A"]
    assert getatt.span.line == 6 and [s.line for s in getatt["Fn::GetAtt"].spans] == [7, 8]


def test_json_templates() -> None:
    text = (
        '{\n\t"AWSTemplateFormatVersion": "2010-09-09",\n'
        '\t"Resources": {\n\t\t"B": {"Type": "AWS::S3::Bucket", "Properties": {\n'
        '\t\t\t"BucketName": "caf\\u00e9-\\"q\\"",\n'
        '\t\t\t"Big": 123456789012345678901234567890,\n'
        '\t\t\t"Path": "a\\/b",\n'
        '\t\t\t"List": [1, "two", {"Ref": "P"}]\n'
        "\t\t}}\n\t}\n}\n"
    )
    doc = decode(text)
    props = doc["Resources"]["B"]["Properties"]
    assert props["BucketName"] == 'café-"q"'
    assert props["Big"] == 123456789012345678901234567890
    assert props["Path"] == "a/b"
    assert props["List"] == [1, "two", {"Ref": "P"}]
    assert (props.spans["BucketName"].line, props.spans["BucketName"].column) == (5, 4)
    assert props["List"].spans[2].line == 8


def test_duplicate_keys_note_and_last_wins_in_yaml_and_json() -> None:
    notes: list[Note] = []
    doc = decode("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Type: AWS::SNS::Topic\n", notes)
    assert doc["Resources"]["B"]["Type"] == "AWS::SNS::Topic"
    assert [(n.line, "duplicate key 'Type'" in n.message) for n in notes] == [(4, True)]
    notes = []
    doc = decode('{\n  "Resources": {"B": {"Type": "AWS::S3::Bucket"}},\n  "Resources": {"C": {"Type": "AWS::SNS::Topic"}}\n}\n', notes)
    assert list(doc["Resources"]) == ["C"]
    assert [n.line for n in notes] == [3]


def test_a_merge_key_may_be_overridden_without_a_note() -> None:
    notes: list[Note] = []
    doc = decode("Base: &b\n  A: 1\n  B: 2\nX:\n  <<: *b\n  B: 3\n", notes)
    assert doc["X"] == {"A": 1, "B": 3}
    assert notes == []


def test_keys_are_text() -> None:
    doc = decode("Mappings:\n  Accounts:\n    123456789012:\n      Name: prod\n    true: x\n")
    assert list(doc["Mappings"]["Accounts"]) == ["123456789012", "True"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B: [\n', 4, "invalid template"),
        ("a: 1\n---\nb: 2\n", 2, "invalid template"),
        ("~: 1\n", 1, "null"),
        ("- a\n- b\n", 1, "a template must be a mapping"),
        ("a: &a [*a, *a]\n", 1, "invalid template"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TemplateError) as exc:
        decode(text)
    assert exc.value.line == line and words in exc.value.message


def test_an_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    with pytest.raises(TemplateError) as exc:
        decode(bomb)
    assert "through aliases" in exc.value.message


def test_cfn_lint_is_not_imported_to_scan_templates(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / "t.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub "${AWS::StackName}-b"\n')
    code = (
        "import sys\nfrom linter.config import RunConfig\nfrom linter.engine import run\n"
        f"r = run(RunConfig(paths=[{str(tmp_path)!r}]))\nprint(r.resources, 'cfnlint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["2", "False"], out.stderr
