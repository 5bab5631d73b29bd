"""`seawall graph`: how each finding is reached, as Mermaid and DOT, for the example project."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydot
import pytest
from conftest import ROOT

from linter.config import RunConfig
from linter.diagrams import dot, label_lines, mermaid
from linter.engine import run
from linter.exposure import INTERNET, ExposureGraph, Node, exposure_graph, rank
from linter.outputs.markdown import render as markdown
from linter.ruleset import RuleSet


@pytest.fixture(scope="module")
def example(rules: RuleSet) -> tuple[ExposureGraph, object]:
    result = run(RunConfig(paths=[str(ROOT / "examples")]), rules, keep_graph=True)
    return exposure_graph(result.graph, [f for f in result.findings if f.active]), result


def seawall(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=ROOT, capture_output=True, text=True)


# Mermaid flowchart syntax for what diagrams.py writes: a node is an id and a quoted label
# in one of three shapes, an edge joins two declared ids with an optional quoted label
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"[^"`|]*"'
_NODE = re.compile(rf"^  ({_ID})(?:\(\({_LABEL}\)\)|\[/{_LABEL}/\]|\[{_LABEL}\])$")
_EDGE = re.compile(rf"^  ({_ID}) (?:-->|-\.->)(?:\|{_LABEL}\|)? ({_ID})$")
_CLASSDEF = re.compile(r"^  classDef [a-z]+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},stroke-width:\dpx$")
_CLASS = re.compile(rf"^  class ({_ID}(?:,{_ID})*) [a-z]+$")


def check_mermaid(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    nodes: set[str] = set()
    edges: list[tuple[str, str]] = []
    for line in lines[1:]:
        if m := _NODE.match(line):
            assert m.group(1) not in nodes, f"node declared twice: {line}"
            assert m.group(1) not in ("end", "graph", "subgraph"), "a Mermaid keyword as an id"
            nodes.add(m.group(1))
        elif m := _EDGE.match(line):
            assert m.group(1) in nodes and m.group(2) in nodes, f"edge to an undeclared node: {line}"
            edges.append((m.group(1), m.group(2)))
        elif m := _CLASS.match(line):
            assert set(m.group(1).split(",")) <= nodes
        else:
            assert _CLASSDEF.match(line), f"not valid Mermaid flowchart syntax: {line!r}"
    return nodes, edges


def test_mermaid_for_the_example_is_valid_and_every_node_has_a_location(example: tuple[ExposureGraph, object]) -> None:
    proc = seawall("graph", "examples", "--no-config")
    assert proc.returncode == 0, proc.stderr
    nodes, edges = check_mermaid(proc.stdout)
    assert "internet" in nodes and len(nodes) == len(example[0].nodes)
    located = re.findall(r'^  (n\d+)\S*"(.*)"', proc.stdout, re.M)
    assert located and all(re.search(r"<br/>examples/[\w./]+:\d+(<br/>|$)", label) for _, label in located), "every node but the internet says file:line"
    # the lines named exist and hold what the node says
    for _, label in located:
        file, line = re.search(r"(examples/[\w./]+):(\d+)", label).groups()  # type: ignore[union-attr]
        assert int(line) <= len((ROOT / file).read_text().split("\n"))


def test_the_example_paths(example: tuple[ExposureGraph, object]) -> None:
    picture, _ = example
    by_title = {n.title: k for k, n in picture.nodes.items() if n.kind == "resource"}
    edges = {(e.source, e.target): e for e in picture.edges.values()}

    def edge(a: str, b: str) -> bool:
        src = INTERNET if a == INTERNET else by_title[a]
        return (src, by_title[b]) in edges

    # internet -> security group (0.0.0.0/0:5432) -> database
    assert edge(INTERNET, "aws_security_group.telemetry_db")
    assert edge("aws_security_group.telemetry_db", "aws_db_instance.telemetry")
    assert not edge(INTERNET, "aws_db_instance.telemetry"), "the database is reached through its security group"
    sg = picture.nodes[by_title["aws_security_group.telemetry_db"]]
    assert sg.detail == "cidr_blocks = var.db_client_cidrs" and sg.span is not None and sg.span.line == 15
    # internet -> ingress rule (0.0.0.0/0:22) -> its security group
    assert edge(INTERNET, "aws_vpc_security_group_ingress_rule.bastion_ssh")
    assert edge("aws_vpc_security_group_ingress_rule.bastion_ssh", "aws_security_group.bastion")
    # bucket <- policy (Principal "*"), ACL, and the public access block that does not stop them
    for control in ("aws_s3_bucket_policy.customer_data", "aws_s3_bucket_acl.customer_data", "aws_s3_bucket_public_access_block.customer_data"):
        assert edge(INTERNET, control) and edge(control, "aws_s3_bucket.customer_data")
    assert picture.nodes[by_title["aws_s3_bucket_policy.customer_data"]].detail == 'Principal = "*"'
    # values flow (dashed) into what they decide: the tfvars ACL into the ACL resource
    values = {n.span.file.split("/")[-1] + f":{n.span.line}": k for k, n in picture.nodes.items() if n.kind == "value" and n.span}
    assert edges[(values["terraform.tfvars:4"], by_title["aws_s3_bucket_acl.customer_data"])].dashed
    assert edges[(values["terraform.tfvars:7"], by_title["aws_security_group.telemetry_db"])].dashed
    # the good resources of the example are not drawn
    assert not any("private" in t or "internal" in t for t in by_title)


def test_dot_is_valid_and_matches_mermaid(example: tuple[ExposureGraph, object]) -> None:
    proc = seawall("graph", "examples", "--no-config", "--format", "dot")
    assert proc.returncode == 0
    graphs = pydot.graph_from_dot_data(proc.stdout)
    assert graphs, "pydot could not parse the DOT output"
    graph = graphs[0]
    names = {n.get_name() for n in graph.get_nodes()} - {"node", "edge"}
    assert len(names) == len(example[0].nodes)
    assert len(graph.get_edges()) == len(example[0].edges)
    for node in graph.get_nodes():
        if node.get_name() not in ("node", "edge", "internet"):
            assert re.search(r"examples/[\w./]+:\d+", node.get_label() or ""), node.get_name()


def test_hostile_text_cannot_break_the_diagrams(tmp_path: Path, rules: RuleSet) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'
        'resource "aws_s3_bucket_acl" "a" {\n  bucket = aws_s3_bucket.b.id\n  acl = "public-read" # "] --> x(("`|end|#quot;\n}\n'
    )
    result = run(RunConfig(paths=[str(tmp_path)]), rules, keep_graph=True)
    picture = exposure_graph(result.graph, [f for f in result.findings if f.active])
    assert len(picture.nodes) >= 3
    check_mermaid(mermaid(picture))
    assert pydot.graph_from_dot_data(dot(picture))


def test_no_findings_draws_an_empty_chart(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    proc = seawall("graph", str(tmp_path), "--no-config")
    assert proc.returncode == 0 and proc.stdout == "flowchart LR\n" and "nothing to draw" in proc.stderr


def test_markdown_embeds_a_diagram_for_each_critical_finding(example: tuple[ExposureGraph, object], rules: RuleSet) -> None:
    _, result = example
    report = markdown(result, rules)  # type: ignore[arg-type]
    blocks = re.findall(r"```mermaid\n(.*?)  ```", report, re.S)
    critical = [f for f in result.findings if f.active and str(f.severity) == "critical"]  # type: ignore[attr-defined]
    assert len(blocks) == len(critical) == 4
    for block in blocks:
        check_mermaid("\n".join(line[2:] for line in block.split("\n")))
    high = report.split("### High", 1)[1]
    assert "```mermaid" not in high, "only critical findings get a diagram"
    # without the graph (a caller that did not keep it) the report has no diagrams
    from msgspec.structs import replace

    assert "```mermaid" not in markdown(replace(result, graph=None), rules)  # type: ignore[type-var]


def test_ranks() -> None:
    assert rank("aws_vpc_security_group_ingress_rule") < rank("aws_security_group") < rank("aws_db_instance")
    assert rank("aws_s3_bucket_policy") < rank("aws_s3_bucket")
    assert rank("AWS::EC2::SecurityGroupIngress") < rank("AWS::EC2::SecurityGroup") < rank("AWS::RDS::DBInstance")
    assert rank("azurerm_network_security_rule") < rank("azurerm_network_security_group") < rank("azurerm_storage_account")
    assert rank("google_compute_firewall") < rank("google_compute_instance")
    assert label_lines(Node(INTERNET, "internet", "Internet"), str) == ["Internet"]


@pytest.fixture(scope="module")
def mermaid_parser() -> Path:
    """Mermaid's own parser (tests/mermaid, installed from its package-lock.json with npm)."""
    here = ROOT / "tests" / "mermaid"
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed: Mermaid's own parser cannot run (the grammar check above still does)")
    if not (here / "node_modules" / "mermaid").is_dir():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=here, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"npm ci failed: {proc.stderr[-2000:]}"
    return here / "check.mjs"


def test_mermaid_parses_with_mermaid_itself(mermaid_parser: Path, tmp_path: Path, rules: RuleSet) -> None:
    example_chart = tmp_path / "example.mmd"
    example_chart.write_text(seawall("graph", "examples", "--no-config").stdout)
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'
        'resource "aws_s3_bucket_acl" "a" {\n  bucket = aws_s3_bucket.b.id\n  acl = "public-read" # "] --> x(("`|end|#quot;\n}\n'
    )
    result = run(RunConfig(paths=[str(tmp_path / "main.tf")]), rules, keep_graph=True)
    hostile = tmp_path / "hostile.mmd"
    hostile.write_text(mermaid(exposure_graph(result.graph, [f for f in result.findings if f.active])))
    broken = tmp_path / "broken.mmd"
    broken.write_text('flowchart LR\n  a["x"] -->\n')  # the parser does reject bad input
    proc = subprocess.run(["node", str(mermaid_parser), str(example_chart), str(hostile), str(broken)], capture_output=True, text=True, timeout=300)
    verdicts = {Path(v["file"]).name: v for v in map(json.loads, proc.stdout.splitlines())}
    assert verdicts["example.mmd"]["ok"] and verdicts["example.mmd"]["type"].startswith("flowchart"), verdicts["example.mmd"]
    assert verdicts["hostile.mmd"]["ok"], verdicts["hostile.mmd"]
    assert not verdicts["broken.mmd"]["ok"]
