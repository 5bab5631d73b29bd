"""Helm charts rendered by Helm's own engine (helm-python-sdk), findings at the template
or values line that decided them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from linter.config import RunConfig
from linter.engine import run
from linter.parsers.kubernetes import helm
from linter.parsers.kubernetes.helm import align, values_references
from linter.ruleset import RuleSet

CHART = FIXTURES / "_helm" / "storefront"
needs_helm = pytest.mark.skipif(not helm.available(), reason="helm-python-sdk is not installed (pip install -e '.[test]' installs it on Linux x86-64)")


def copy_chart(tmp_path: Path) -> Path:
    target = tmp_path / "storefront"
    shutil.copytree(CHART, target)
    return target


def where(result, root: Path) -> list[tuple[str, str, str, int]]:  # type: ignore[no-untyped-def]
    return sorted((f.rule_id, f.resource, str(Path(f.span.file).relative_to(root)), f.span.line) for f in result.findings)


@needs_helm
def test_values_yaml_decides_the_load_balancer(rules: RuleSet, tmp_path: Path) -> None:
    # issue 16: a chart whose values.yaml sets service.type: LoadBalancer is reported at that line
    chart = copy_chart(tmp_path)
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not result.errors, result.errors
    assert where(result, tmp_path) == [("k8s-service-public-load-balancer", "Service/release-name-storefront", "storefront/values.yaml", 9)]
    [f] = result.findings
    template = [e for e in f.evidence if e.span and e.span.file.endswith("templates/service.yaml")]
    assert template and template[0].span.line == 10, f.evidence
    assert any("routes to Deployment/release-name-storefront" in e.message for e in f.evidence)
    # the chart's templates are scanned through the rendering only: no note, no raw template
    assert not [n for n in result.notes if "Helm chart template" in n.message]
    assert (chart / "templates" / "service.yaml").is_file()


@needs_helm
def test_helm_values_and_helm_set(rules: RuleSet, tmp_path: Path) -> None:
    chart = copy_chart(tmp_path)
    prod = tmp_path / "prod-values.yaml"
    prod.write_text("service:\n  type: ClusterIP\nmetrics:\n  hostPort: 9102\n")
    result = run(RunConfig(paths=[str(chart)], helm_values=[str(prod)], helm_set=["database.service.type=LoadBalancer"]), rules)
    assert not result.errors, result.errors
    got = sorted((f.rule_id, Path(f.span.file).name, f.span.line) for f in result.findings)
    assert got == [
        # the hostPort from the --helm-values file, at its line there
        ("k8s-pod-host-network", "prod-values.yaml", 4),
        # a value given by --helm-set has no file: the template line that writes it
        ("k8s-service-public-load-balancer", "database.yaml", 27),
    ]
    db = next(f for f in result.findings if f.rule_id == "k8s-service-public-load-balancer")
    assert str(db.severity) == "critical" and any("--helm-set database.service.type=LoadBalancer" in e.message for e in db.evidence)
    host = next(f for f in result.findings if f.rule_id == "k8s-pod-host-network")
    assert any(e.span and e.span.file.endswith("templates/deployment.yaml") and e.span.line == 29 for e in host.evidence)


@needs_helm
def test_render_errors_point_at_the_template(rules: RuleSet, tmp_path: Path) -> None:
    chart = copy_chart(tmp_path)
    (chart / "templates" / "required.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  owner: {{ required \"set owner\" .Values.owner }}\n"
    )
    result = run(RunConfig(paths=[str(chart)]), rules)
    [err] = result.errors
    assert err.file.endswith("templates/required.yaml") and err.line == 6 and "set owner" in err.message


@needs_helm
def test_dependencies_not_vendored_are_a_note(rules: RuleSet, tmp_path: Path) -> None:
    chart = copy_chart(tmp_path)
    with open(chart / "Chart.yaml", "a") as fh:
        fh.write("dependencies:\n  - name: redis\n    version: 19.x.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n")
    result = run(RunConfig(paths=[str(chart)]), rules)
    assert not result.errors
    [note] = [n for n in result.notes if "redis" in n.message]
    assert note.line == 8 and "not vendored" in note.message
    # the chart's own templates are still rendered and scanned
    assert [f.rule_id for f in result.findings] == ["k8s-service-public-load-balancer"]


@needs_helm
def test_lookup_and_the_network_are_not_used(rules: RuleSet, tmp_path: Path) -> None:
    chart = copy_chart(tmp_path)
    (chart / "templates" / "lookup.yaml").write_text(
        "{{- $existing := lookup \"v1\" \"Service\" \"default\" \"web\" }}\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        "  found: {{ empty $existing | ternary \"no\" \"yes\" | quote }}\n"
        "  host: {{ getHostByName \"localhost\" | quote }}\n"
    )
    result = run(RunConfig(paths=[str(chart)]), rules, keep_graph=True)
    assert not result.errors, result.errors
    assert result.graph is not None
    probe = next(r for r in result.graph if r.address == "ConfigMap/probe")
    assert probe.attrs["data"] == {"found": "no", "host": ""}


@needs_helm
def test_podinfo_chart_from_the_corpus(rules: RuleSet) -> None:
    chart = CORPUS / "stefanprodan+podinfo" / "charts" / "podinfo"
    if not chart.is_dir():
        pytest.skip("corpus not found")
    result = run(RunConfig(paths=[str(chart)]), rules, keep_graph=True)
    assert not result.errors, result.errors
    assert result.graph is not None
    kinds = sorted(r.type for r in result.graph)
    assert "Deployment" in kinds and "Service" in kinds
    result = run(RunConfig(paths=[str(chart)], helm_set=["service.type=LoadBalancer"]), rules)
    [f] = [f for f in result.findings if f.rule_id == "k8s-service-public-load-balancer"]
    assert f.span.file.endswith("templates/service.yaml")


def test_without_the_engine_a_chart_is_a_note(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_chart(tmp_path)
    monkeypatch.setattr(helm, "available", lambda: False)
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not result.errors and not result.findings
    [note] = [n for n in result.notes if n.file.endswith("Chart.yaml")]
    assert "pip install 'seawall[helm]'" in note.message
    # one note for the chart, not one per template
    assert not [n for n in result.notes if "Helm chart template" in n.message]


def test_alignment_places_rendered_lines_on_template_lines() -> None:
    template = (CHART / "templates" / "service.yaml").read_text()
    rendered = "apiVersion: v1\nkind: Service\nmetadata:\n  name: r-storefront\nspec:\n  type: LoadBalancer\n  selector:\n    a: b\n    c: d\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n"
    assert align(template, rendered)[:13] == [1, 2, 3, 4, 9, 10, 11, 12, 12, 13, 14, 15, 16]
    assert values_references(template) == {("service", "annotations"), ("service", "type"), ("service", "port")}
    assert values_references('{{ index .Values "a-b" "c" }} {{ $.Values.x.y }}') == {("a-b", "c"), ("x", "y")}


@needs_helm
def test_command_line_flags(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    chart = copy_chart(tmp_path)
    values = tmp_path / "internal.yaml"
    values.write_text("service:\n  type: ClusterIP\n")
    base = [sys.executable, "-m", "linter", "scan", str(chart), "--no-config", "--format", "json"]
    proc = subprocess.run(base + ["--helm-values", str(values), "--helm-set", "metrics.hostPort=9102"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [(f["rule_id"], Path(f["file"]).name, f["line"]) for f in report["findings"]] == [("k8s-pod-host-network", "deployment.yaml", 29)]
    proc = subprocess.run(base + ["--helm-values", str(tmp_path / "missing.yaml")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "missing.yaml" in proc.stderr


@needs_helm
def test_a_named_values_file_renders_its_chart(rules: RuleSet) -> None:
    # a pre-commit hook that stages only values.yaml still sees the Service it opens
    result = run(RunConfig(paths=[str(CHART / "values.yaml")]), rules)
    assert not result.errors, result.errors
    assert [(f.rule_id, Path(f.span.file).name, f.span.line) for f in result.findings] == [("k8s-service-public-load-balancer", "values.yaml", 9)]


RELEASE_CASE = FIXTURES / "k8s-service-public-load-balancer" / "fail" / "helm_release_local_chart"


@needs_helm
def test_a_helm_release_renders_its_local_chart_with_its_values(rules: RuleSet, tmp_path: Path) -> None:
    # issue 16: the release's `set` makes the chart's Service public; reported at that set,
    # the template line and the release named in the evidence, with the release's name
    shutil.copytree(RELEASE_CASE, tmp_path / "infra")
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    assert not result.errors, result.errors
    assert where(result, tmp_path) == [("k8s-service-public-load-balancer", "Service/catalog-catalog", "infra/main.tf", 16)]
    [f] = result.findings
    assert any('helm_release.catalog set "service.type"' in e.message and e.span and e.span.file.endswith("templates/service.yaml") and e.span.line == 10 for e in f.evidence)
    assert not [n for n in result.notes if "helm_release" in n.message]


@needs_helm
def test_a_set_sensitive_value_is_applied_but_never_shown(rules: RuleSet, tmp_path: Path) -> None:
    case = tmp_path / "infra"
    shutil.copytree(RELEASE_CASE, case)
    text = (case / "main.tf").read_text().replace("  set {\n", "  set_sensitive {\n")
    (case / "main.tf").write_text(text)
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    [f] = result.findings
    assert f.span.line == 16
    shown = " ".join([f.message] + [e.message for e in f.evidence])
    assert "LoadBalancer" not in shown.replace("load balancer", "") and "value not shown: set_sensitive" in shown


def test_a_helm_release_without_the_engine_is_a_note(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(RELEASE_CASE, tmp_path / "infra")
    monkeypatch.setattr(helm, "available", lambda: False)
    result = run(RunConfig(paths=[str(tmp_path / "infra" / "main.tf")], select=["k8s-service-public-load-balancer"]), rules)
    assert not result.findings and not result.errors
    [note] = [n for n in result.notes if "helm_release.catalog" in n.message]
    assert "pip install 'seawall[helm]'" in note.message and note.line == 3


@needs_helm
def test_a_helm_release_chart_outside_the_scanned_tree_is_not_read(rules: RuleSet, tmp_path: Path) -> None:
    # the chart path leads out of the scanned folder: not rendered, the values are a note
    shutil.copytree(RELEASE_CASE / "charts", tmp_path / "charts")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text((RELEASE_CASE / "main.tf").read_text().replace("./charts/catalog", "../charts/catalog"))
    result = run(RunConfig(paths=[str(tmp_path / "infra")], select=["k8s-service-public-load-balancer"]), rules)
    assert not result.findings
    assert [n for n in result.notes if "helm_release.catalog" in n.message and "not applied" in n.message]
