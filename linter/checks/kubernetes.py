"""What a Kubernetes object exposes and what it reaches: services, ingresses, pods, bindings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.graph import Resource, ResourceGraph
from linter.model import Evidence
from linter.parsers.kubernetes import WORKLOAD, containers, pod_templates
from linter.ports import DATABASE_PORTS, REMOTE_ADMIN_PORTS

# annotations that make a LoadBalancer Service internal, per cloud
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "networking.gke.io/load-balancer-type": ("internal",),
    "cloud.google.com/load-balancer-type": ("internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/oci-load-balancer-internal": ("true",),
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": ("private",),
}
# annotations / classes that make an Ingress internal
INTERNAL_INGRESS_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/scheme": ("internal",),
    "kubernetes.io/ingress.class": ("gce-internal", "internal", "nginx-internal"),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
}
INTERNAL_INGRESS_CLASSES = ("gce-internal", "internal", "nginx-internal", "alb-internal")

SENSITIVE_NAMES = (
    "admin", "dashboard", "console", "grafana", "kibana", "prometheus", "alertmanager", "jaeger",
    "database", "postgres", "mysql", "mariadb", "mongo", "redis", "elasticsearch", "opensearch",
    "etcd", "vault", "consul", "rabbitmq", "kafka", "zookeeper", "memcached", "cassandra", "couchdb",
    "phpmyadmin", "pgadmin", "adminer", "jenkins", "argocd", "minio-console", "spark-master",
)
SENSITIVE_PORTS = {**DATABASE_PORTS, **REMOTE_ADMIN_PORTS}


def object_annotations(res: Resource) -> dict[str, Any]:
    meta = res.attrs.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def annotation_matches(res: Resource, table: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    for key, value in object_annotations(res).items():
        wanted = table.get(str(key))
        if wanted is not None and str(value).strip().lower() in wanted:
            return str(key), str(value)
    return None


def reached_workloads(graph: ResourceGraph, service: Resource) -> list[Resource]:
    return graph.references(service, "selector")


def workload_evidence(graph: ResourceGraph, service: Resource, limit: int = 4) -> list[Evidence]:
    found = reached_workloads(graph, service)
    out = [Evidence(f"routes to {w.address} (its pod labels match the selector)", w.span) for w in found[:limit]]
    if len(found) > limit:
        out.append(Evidence(f"and {len(found) - limit} more workloads"))
    if not found:
        selector = service.attrs.get("spec", {}).get("selector") if isinstance(service.attrs.get("spec"), dict) else None
        if selector:
            out.append(Evidence("no workload in the scanned manifests matches its selector"))
    return out


def service_ports(service: Resource) -> list[tuple[int, dict[str, Any]]]:
    spec = service.attrs.get("spec")
    ports = spec.get("ports") if isinstance(spec, dict) else None
    return [(i, p) for i, p in enumerate(ports if isinstance(ports, list) else []) if isinstance(p, dict)]


def sensitive_reason(name: str, port: Any = None, images: list[str] | None = None) -> str | None:
    """Why a backend looks like a database or an admin interface, if it does."""
    lowered = name.lower()
    for word in SENSITIVE_NAMES:
        if word in lowered:
            return f"its name suggests {word}"
    try:
        number = int(port) if port is not None and not isinstance(port, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is not None and number in SENSITIVE_PORTS:
        return f"port {number} is {SENSITIVE_PORTS[number]}"
    for image in images or []:
        base = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0].lower()
        for word in SENSITIVE_NAMES:
            if base.startswith(word) or base == word:
                return f"it runs the image {image}"
    return None


def images_of(workloads: list[Resource]) -> list[str]:
    out = []
    for w in workloads:
        for _, c in containers(w):
            image = c.get("image")
            if isinstance(image, str):
                out.append(image)
    return out


def host_exposures(res: Resource) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, what) for hostNetwork and hostPort settings of a workload's pods."""
    for base, spec, _ in pod_templates(res):
        if spec.get("hostNetwork") is True:
            yield base + ("hostNetwork",), "hostNetwork: true puts the pods on the node's own network interfaces"
    for path, c in containers(res):
        ports = c.get("ports")
        for i, p in enumerate(ports if isinstance(ports, list) else []):
            if isinstance(p, dict) and p.get("hostPort") not in (None, 0):
                yield path + ("ports", i, "hostPort"), f"container {c.get('name', '?')} binds hostPort {p.get('hostPort')} on the node"


def workloads(graph: ResourceGraph) -> list[Resource]:
    """Every object that carries a pod template, whatever its kind."""
    return graph.of_type(WORKLOAD)
