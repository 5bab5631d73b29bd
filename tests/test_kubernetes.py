"""Kubernetes: documents, kinds, edges, Helm and standard input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

from linter.config import RunConfig
from linter.engine import parse_inputs, run
from linter.graph import ResourceGraph
from linter.parsers.kubernetes import pod_spec
from linter.ruleset import RuleSet

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec:
  selector: {app: web}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
    - http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
"""


def load(tmp_path: Path, files: dict[str, str]) -> tuple[ResourceGraph, object]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out, _ = parse_inputs(RunConfig(paths=[str(tmp_path)]))
    return ResourceGraph(out.resources), out


def test_documents_kinds_and_edges(tmp_path: Path) -> None:
    graph, out = load(tmp_path, {"app.yaml": APP})
    by = {r.address: r for r in graph}
    assert set(by) == {"shop/Deployment/web", "shop/Service/web", "other/Service/web", "shop/ServiceAccount/web", "shop/Ingress/web", "shop/NetworkPolicy/deny-all"}
    deploy, svc = by["shop/Deployment/web"], by["shop/Service/web"]
    assert graph.references(svc, "selector") == [deploy]
    assert graph.references(by["other/Service/web"], "selector") == []  # other namespace
    assert graph.references(by["shop/Ingress/web"], "backend") == [svc]
    assert graph.references(by["shop/NetworkPolicy/deny-all"], "podSelector") == [deploy]
    assert graph.references(deploy, "serviceAccountName") == [by["shop/ServiceAccount/web"]]
    assert pod_spec(deploy)["containers"][0]["image"] == "nginx"
    assert deploy.span.line == 2  # the kind line


def test_service_finding_names_the_deployment(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    [f] = result.findings
    assert any("shop/Deployment/web" in e.message and e.span and e.span.line == 2 for e in f.evidence)


def test_list_kind_and_every_workload_kind(tmp_path: Path) -> None:
    graph, _ = load(tmp_path, {"list.yaml": (FIXTURES / "k8s-service-public-load-balancer" / "pass" / "internal_or_restricted.yaml").read_text()})
    assert len([r for r in graph if r.type == "Service"]) == 5
    text = (FIXTURES / "k8s-pod-host-network" / "fail" / "host_network_and_port.yaml").read_text()
    graph, _ = load(tmp_path, {"pods.yaml": text})
    cron = next(r for r in graph if r.type == "CronJob")
    assert pod_spec(cron)["containers"][0]["name"] == "exporter"


def test_helm_templates_are_skipped_with_a_note(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  type: LoadBalancer\n")
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not result.errors and not result.findings
    assert any("Helm chart template" in n.message for n in result.notes)


def test_other_yaml_is_ignored_silently(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx\n")
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "workflow.yml").write_text("on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n")
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not result.errors and not result.notes and result.files_scanned == 0


def test_broken_document_keeps_the_others(rules: RuleSet, tmp_path: Path) -> None:
    good = (FIXTURES / "k8s-service-node-port" / "fail" / "node_port.yaml").read_text()
    (tmp_path / "mixed.yaml").write_text(good + "---\napiVersion: v1\nkind: Service\nmetadata: {name: [\n")
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    [err] = result.errors
    assert err.file.endswith("mixed.yaml") and err.line >= 12 and "invalid YAML" in err.message
    assert [f.rule_id for f in result.findings] == ["k8s-service-node-port"]


def test_stdin_with_a_filename() -> None:
    manifest = (FIXTURES / "k8s-service-node-port" / "fail" / "node_port.yaml").read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "scan", "-", "--stdin-filename", "chart.yaml"],
        input=manifest, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("chart.yaml:6:3: MEDIUM k8s-service-node-port ")


def test_a_broken_document_does_not_hide_the_later_ones(rules: RuleSet, tmp_path: Path) -> None:
    # issue 13 item 2: the documents after a broken one are read from the next `---`
    text = """apiVersion: v1
kind: Service
metadata: {name: ssh}
spec:
  type: LoadBalancer
  ports: [{port: 22}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken}
data:
  a: [unclosed
---
apiVersion: v1
kind: Service
metadata: {name: mysql}
spec:
  type: LoadBalancer
  ports: [{port: 3306}]
"""
    (tmp_path / "stream.yaml").write_text(text)
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-service-public-load-balancer"]), rules)
    assert sorted((f.resource, f.span.line) for f in result.findings) == [("Service/mysql", 18), ("Service/ssh", 5)]
    [err] = result.errors
    assert err.file.endswith("stream.yaml") and 8 <= err.line <= 13 and "invalid YAML" in err.message


POD_CARRIERS = """apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    metadata: {labels: {app: hello}}
    spec:
      hostNetwork: true
      containers: [{image: ghcr.io/knative/helloworld-go}]
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy}
spec:
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers:
        - name: legacy
          image: legacy:1
          ports: [{containerPort: 8080, hostPort: 8080}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary}
spec:
  template:
    metadata: {labels: {app: canary}}
    spec:
      hostNetwork: true
      containers: [{name: app, image: canary:2}]
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: train}
spec:
  pytorchReplicaSpecs:
    Master:
      template:
        metadata: {labels: {job: train, role: master}}
        spec:
          containers: [{name: pytorch, image: trainer:1}]
    Worker:
      template:
        metadata: {labels: {job: train, role: worker}}
        spec:
          hostNetwork: true
          containers: [{name: pytorch, image: trainer:1}]
---
apiVersion: v1
kind: Service
metadata: {name: workers}
spec:
  type: LoadBalancer
  selector: {role: worker}
  ports: [{port: 29500}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          properties:
            containers: {type: array, items: {type: object}}
"""


def test_any_kind_carrying_a_pod_template_is_a_workload(rules: RuleSet, tmp_path: Path) -> None:
    # issue 16 item 3: pod templates are found by their shape, in any kind
    graph, _ = load(tmp_path, {"carriers.yaml": POD_CARRIERS})
    by = {r.address: r for r in graph}
    assert pod_spec(by["Service/hello"])["containers"][0]["image"] == "ghcr.io/knative/helloworld-go"
    assert pod_spec(by["DeploymentConfig/legacy"])["containers"][0]["name"] == "legacy"
    assert pod_spec(by["CustomResourceDefinition/widgets.example.com"]) is None
    assert pod_spec(by["Service/workers"]) is None
    # a Service selects a custom resource through the labels of any of its pod templates
    assert graph.references(by["Service/workers"], "selector") == [by["PyTorchJob/train"]]
    result = run(RunConfig(paths=[str(tmp_path)], select=["k8s-pod-host-network", "k8s-service-public-load-balancer"]), rules)
    got = sorted((f.rule_id, f.resource, f.span.line) for f in result.findings)
    assert got == [
        ("k8s-pod-host-network", "DeploymentConfig/legacy", 22),
        ("k8s-pod-host-network", "PyTorchJob/train", 48),
        ("k8s-pod-host-network", "Rollout/canary", 31),
        ("k8s-pod-host-network", "Service/hello", 8),
        ("k8s-service-public-load-balancer", "Service/workers", 55),
    ]
    [lb] = [f for f in result.findings if f.rule_id == "k8s-service-public-load-balancer"]
    assert any("PyTorchJob/train" in e.message for e in lb.evidence)


def test_helm_release_values_are_noted_not_silently_ignored(rules: RuleSet, tmp_path: Path) -> None:
    # a release of a remote chart that makes the chart's Service public through `set` is
    # not rendered (nothing is downloaded): the run says so at the release instead of
    # looking clean (a local chart is rendered with the values: tests/test_helm.py)
    (tmp_path / "main.tf").write_text(
        'resource "helm_release" "catalog" {\n'
        '  name  = "catalog"\n'
        '  repository = "https://charts.example.com"\n'
        '  chart = "catalog"\n'
        "  set {\n"
        '    name  = "service.type"\n'
        '    value = "LoadBalancer"\n'
        "  }\n"
        "}\n"
        'resource "helm_release" "plain" {\n'
        '  name  = "plain"\n'
        '  chart = "./charts/catalog"\n'
        "}\n"
    )
    result = run(RunConfig(paths=[str(tmp_path)], cache=False), rules)
    notes = [n for n in result.notes if "helm_release" in n.message]
    assert [(Path(n.file).name, n.line) for n in notes] == [("main.tf", 1)]
    assert "(set)" in notes[0].message and "remote chart" in notes[0].message and "--helm-set" in notes[0].message


def test_kubernetes_manifest_values_keep_their_origins(rules: RuleSet, tmp_path: Path) -> None:
    # a manifest field from a variable's default is a `default` verdict, as for any
    # Terraform attribute; a kubectl_manifest read from file() points into that file
    (tmp_path / "main.tf").write_text(
        'variable "service_type" {\n  default = "LoadBalancer"\n}\n'
        'resource "kubernetes_manifest" "db" {\n'
        "  manifest = {\n"
        '    apiVersion = "v1"\n    kind = "Service"\n    metadata = { name = "db" }\n'
        "    spec = {\n      type = var.service_type\n      ports = [{ port = 5432 }]\n    }\n"
        "  }\n}\n"
        'resource "kubectl_manifest" "cache" {\n  yaml_body = file("${path.module}/cache.yaml")\n}\n'
    )
    (tmp_path / "cache.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: cache\nspec:\n  type: NodePort\n  ports: [{port: 6379}]\n")
    (tmp_path / "objects").mkdir()
    (tmp_path / "objects" / "cache.yaml").write_text((tmp_path / "cache.yaml").read_text())
    (tmp_path / "cache.yaml").unlink()
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace("/cache.yaml", "/objects/cache.yaml"))
    # only the configuration is scanned: the YAML file is read through the kubectl_manifest
    result = run(RunConfig(paths=[str(tmp_path / "main.tf"), str(tmp_path / "objects" / "cache.yaml")], cache=False), rules)
    assert not result.errors, result.errors
    found = sorted((f.rule_id, Path(f.span.file).name, f.span.line, f.verdict) for f in result.findings)
    assert [f.resource for f in result.findings if f.rule_id == "k8s-service-node-port"] == ["kubectl_manifest.cache (Service/cache)"]
    assert found == [
        ("k8s-service-node-port", "cache.yaml", 6, "exposed"),
        ("k8s-service-public-load-balancer", "main.tf", 10, "default"),
    ]


def test_a_kubectl_manifest_with_broken_yaml_is_an_error(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "kubectl_manifest" "x" {\n  yaml_body = <<-YAML\n    kind: [unclosed\n  YAML\n}\n')
    result = run(RunConfig(paths=[str(tmp_path)], cache=False), rules)
    assert [(Path(e.file).name, "invalid YAML" in e.message) for e in result.errors] == [("main.tf", True)]
