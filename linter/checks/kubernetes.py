"""Kubernetes exposure: what a Service, an Ingress, a Gateway or a pod on the node's
network publishes, and which workloads answer.

The objects are read through the Kubernetes model of linter/parsers/kubernetes, which
holds them in either spelling (a manifest, or the Terraform kubernetes provider's blocks):
the pod templates of any kind (``containers``), a Service's selector edges to the
workloads it routes to (``selector``), an Ingress's backends (``ingress_backends``), a
Gateway's listeners and the routes attached to them (``attached_listeners``). Everything
a format writes in its own words — ``spec.type`` or ``spec[0].type``, ``hostPort`` or
``host_port`` — is a param of the rule's clause for that format, so the checks never ask
which format they read. Resource types come from the clauses: ``related.workload`` (what
a Service routes to; ``workload`` is the role of every object carrying a pod template),
``related.service``, ``related.gateway``, ``related.route``.

Four checks, one idea each:

- ``service-exposure``: a Service published outside the cluster (a load balancer, a port
  on every node, external IPs), unless internal or limited to narrower source ranges;
- ``plain-http``: a front (an Ingress, a Gateway listener) that serves its backends
  without TLS;
- ``published-backend``: a front that publishes a database or an administration interface
  (by the Service's name, its port, or the image of the workloads behind it);
- ``host-exposure``: pods listening on the node's own address (``hostNetwork``,
  ``hostPort``), one finding per container, graded by what they expose.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from linter.checks import Context, named_check
from linter.evaluation import Hit, render
from linter.graph import Resource
from linter.internet import admits_public, covers_world, entries
from linter.locate import value_at
from linter.model import Evidence, Path, Severity
from linter.parsers.kubernetes import (
    ALL_CONTAINERS,
    attached_listeners,
    containers,
    field,
    gateway_listeners,
    ingress_backends,
    pod_templates,
    route_backends,
    route_parents,
    written,
)
from linter.ports import WEB_PORTS, as_port
from linter.ports import service as listening
from linter.values import Unknown, display, truth

# --------------------------------------------------------------------------- params schemas

SETTING = {"type": "string", "minLength": 1}
TEXT = {"type": "string", "minLength": 3}
SEVERITY = {"enum": ["critical", "high", "medium", "low"]}

ANNOTATIONS = {
    "anyOf": [SETTING, {"type": "array", "items": SETTING, "minItems": 1}],
    "description": "the setting(s) holding the object's annotations (`metadata.annotations`, Terraform `metadata[0].annotations`; a Gateway's `spec.infrastructure.annotations` too)",
}
CLASS = {**SETTING, "description": "the setting naming the front's class (`spec.ingressClassName`, `spec.gatewayClassName`), compared with `internal.classes`"}
INTERNAL = {
    "type": "object",
    "additionalProperties": False,
    "description": "what keeps the front inside the network: it is not reported when one holds",
    "properties": {
        "annotations": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "annotation -> the values (case-insensitive) that make it internal; an empty list means any value",
        },
        "classes": {"type": "array", "items": SETTING, "description": "class names (the `class` setting) that are internal (globs, case-insensitive)"},
    },
}
POSTURE = {**TEXT, "description": "report every finding with the `posture` verdict, for this reason (what is not known that would make it reachable)"}
EVIDENCE = {"type": "array", "items": TEXT, "description": "sentences of evidence every finding carries"}

SELECTOR_REASON = "the routes attach only if their namespace's labels match the listener's selector, which the scanned code does not say"
# words that say a backend is a database or an administration interface
SENSITIVE_NAMES = (
    "admin", "dashboard", "console", "grafana", "kibana", "prometheus", "alertmanager", "jaeger",
    "database", "postgres", "mysql", "mariadb", "mongo", "redis", "elasticsearch", "opensearch",
    "etcd", "vault", "consul", "rabbitmq", "kafka", "zookeeper", "memcached", "cassandra", "couchdb",
    "phpmyadmin", "pgadmin", "adminer", "jenkins", "argocd", "minio-console", "spark-master",
)  # fmt: skip

SERVICE = {
    "required": ["at", "ports"],
    "properties": {
        "at": {**SETTING, "description": "the setting the finding is shown on, whose value it shows (`spec.type`, `spec.externalIPs`)"},
        "annotations": ANNOTATIONS,
        "internal": INTERNAL,
        "class": CLASS,
        "sources": {
            "type": "object",
            "additionalProperties": False,
            "description": "who may connect: the Service is reported only when its source ranges are absent or cover the whole internet (narrower or not known: not reported)",
            "properties": {
                "settings": {"type": "array", "items": SETTING, "description": "settings holding source ranges (`spec.loadBalancerSourceRanges`); the first written decides"},
                "annotation": {**SETTING, "description": "an annotation holding comma-separated source ranges, read when no setting is written"},
                "absent": {**TEXT, "description": "evidence when no source range is written"},
            },
        },
        "ports": {
            "type": "object",
            "additionalProperties": False,
            "required": ["list", "port"],
            "description": "how the Service writes its ports",
            "properties": {
                "list": {**SETTING, "description": "the list of ports (`spec.ports`, Terraform `spec[0].port`)"},
                "port": {**SETTING, "description": "the port the Service publishes, in each entry"},
                "target": {**SETTING, "description": "the port it forwards to, in each entry"},
                "node": {**SETTING, "description": "the port opened on every node, in each entry"},
            },
        },
        "addresses": {**SETTING, "description": "a setting holding the addresses the Service answers on (`spec.externalIPs`): when none is a public address the finding is a posture"},
        "sensitive": {**SEVERITY, "description": "the severity when a published or target port is a database, cache, broker or remote administration port (linter/ports.py)"},
        "web": {**TEXT, "description": "when every published port is a web port (80, 443) and none is sensitive: the finding is a posture, with this reason (a public web endpoint is how websites work)"},
        "posture": POSTURE,
        "evidence": EVIDENCE,
    },
}

PLAIN_HTTP = {
    "properties": {
        "annotations": ANNOTATIONS,
        "internal": INTERNAL,
        "class": CLASS,
        "tls": {**SETTING, "description": "the front is the judged resource (an Ingress): it serves TLS when this setting holds an entry (`spec.tls`)"},
        "at": {**SETTING, "description": "with `tls`: the setting the finding is shown on (`spec`)"},
        "protocols": {
            "type": "array",
            "items": SETTING,
            "description": "the front is a Gateway: each listener of these protocols (`HTTP`) that routes of role `route` attach to, with a backend, is reported on its protocol",
        },
    },
}

BACKEND = {
    "properties": {
        "annotations": ANNOTATIONS,
        "internal": INTERNAL,
        "class": CLASS,
        "names": {
            "type": "array",
            "items": SETTING,
            "description": "words that, in a Service's name or a workload's image, say it is a database or an admin interface (default: seawall's list of 32: admin, dashboard, grafana, postgres, redis, vault...)",
        },
        "authenticated": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "annotations of the front that put authentication in front of every backend (annotation -> values, an empty list for any value): not reported",
        },
        "severity": {**SEVERITY, "description": "the severity of this clause's findings (a route that publishes raw TCP is worse than an HTTP path)"},
    },
}

HOST = {
    "required": ["host_network", "ports"],
    "properties": {
        "host_network": {**SETTING, "description": "the pod spec setting that puts pods on the node's network (`hostNetwork`, Terraform `host_network`)"},
        "ports": {
            "type": "object",
            "additionalProperties": False,
            "required": ["list", "container", "host"],
            "description": "how a container writes its ports",
            "properties": {
                "list": {**SETTING, "description": "the container's list of ports (`ports`, Terraform `port`)"},
                "container": {**SETTING, "description": "the port it listens on, in each entry"},
                "host": {**SETTING, "description": "the node port bound to it, in each entry"},
            },
        },
        "messages": {
            "type": "object",
            "additionalProperties": False,
            "description": "the message of each case (facts `{container}`, `{port}`, `{listening}` and the usual placeholders)",
            "properties": {
                "host_network": {**TEXT, "description": "a pod on the node's network"},
                "host_port": {**TEXT, "description": "a container binds a port of the node (`hostPort`)"},
            },
        },
        "sensitive": {**SEVERITY, "description": "the severity when a port is a database, cache, broker or remote administration port"},
        "posture": POSTURE,
        "undeclared": {**TEXT, "description": "a pod on the node's network whose containers declare no port is a posture, for this reason (nothing shows what listens there)"},
        "proxies": {
            "type": "object",
            "additionalProperties": False,
            "required": ["images", "reason"],
            "description": "authenticating proxies: a finding all of whose ports are served by containers running these images is a posture",
            "properties": {
                "images": {
                    "type": "array",
                    "minItems": 1,
                    "items": SETTING,
                    "description": "image names (the last path segment, without tag or digest; globs) of proxies that authenticate every request",
                },
                "reason": {**TEXT, "description": "the posture's reason"},
            },
        },
    },
}


# --------------------------------------------------------------------------- shared


def annotations_of(res: Resource, settings: str | list[str] | None) -> dict[str, Any] | None:
    """The annotations written in ``settings`` (merged), None when one of them is not known."""
    out: dict[str, Any] = {}
    for setting in [settings] if isinstance(settings, str) else settings or []:
        value = res.setting(setting)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value = value[0]
        if isinstance(value, Unknown):
            return None
        if isinstance(value, dict):
            out.update(value)
    return out


def _table_hit(annotations: dict[str, Any], table: dict[str, list[str]] | None) -> str | None:
    """The first annotation of ``table`` written with one of its values, as `key: value`."""
    for key, wanted in (table or {}).items():
        value = annotations.get(key)
        if value is None:
            continue
        if isinstance(value, Unknown):
            return f"{key} is not known"
        text = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if not wanted or text in {w.lower() for w in wanted}:
            return f"{key}: {display(value)}"
    return None


def internal_reason(res: Resource, params: dict[str, Any], annotations: dict[str, Any] | None) -> str | None:
    """Why the front stays inside the network (an annotation, an internal class), if it does;
    annotations or a class that are not known count as internal (an unknown value never
    makes a finding)."""
    spec = params.get("internal") or {}
    if annotations is None:
        return "its annotations are not known"
    found = _table_hit(annotations, spec.get("annotations"))
    if found:
        return found
    if params.get("class"):
        value = res.setting(params["class"])
        if isinstance(value, Unknown):
            return "its class is not known"
        if isinstance(value, str) and any(fnmatch.fnmatchcase(value.strip().lower(), p.lower()) for p in spec.get("classes") or ()):
            return f"class {value}"
    return None


def workloads_of(ctx: Context, service: Resource) -> list[Resource]:
    return ctx.graph.references(service, "selector", ctx.related("workload"))


def workload_evidence(ctx: Context, service: Resource, limit: int = 4) -> list[Evidence]:
    """The workloads a Service routes to, or why none is named."""
    found = workloads_of(ctx, service)
    out = [Evidence(f"routes to {w.address} (its pod labels match the selector)", w.span) for w in found[:limit]]
    if len(found) > limit:
        out.append(Evidence(f"and {len(found) - limit} more workloads"))
    if not found and field(value_at(service.attrs, ("spec",)) if isinstance(value_at(service.attrs, ("spec",)), dict) else None, "selector"):
        out.append(Evidence("no workload in the scanned code matches its selector"))
    return out


def images_of(workloads: Iterable[Resource]) -> list[str]:
    return [c["image"] for w in workloads for _, c in containers(w) if isinstance(c.get("image"), str)]


def sensitive_reason(name: Any, port: Any, images: list[str], words: Iterable[str]) -> str | None:
    """Why a backend looks like a database or an admin interface: its name, its port, or an
    image behind it."""
    lowered = name.lower() if isinstance(name, str) else ""
    for word in words:
        if word in lowered:
            return f"its name suggests {word}"
    number = as_port(port)
    what = listening(number) if number is not None else None
    if what is not None:
        return f"port {number} is {what[0]}"
    for image in images:
        base = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0].lower()
        if any(base.startswith(word) for word in words):
            return f"it runs the image {image}"
    return None


def _severity(name: str | None) -> Severity | None:
    return Severity.parse(name) if name else None


def _posture(hit: Hit, reason: str | None) -> Hit:
    if reason:
        hit.facts["verdict"] = "posture"
        hit.facts["verdict_reason"] = reason
    return hit


def _entries(res: Resource, setting: str) -> list[tuple[Path, dict[str, Any]]]:
    base = res.setting_path(setting)
    value = value_at(res.attrs, base)
    return [(base + (i,), item) for i, item in enumerate(value if isinstance(value, list) else []) if isinstance(item, dict)]


def _rel(entry: dict[str, Any], setting: str | None) -> Any:
    from linter.conditions import parse_path

    return value_at(entry, tuple(parse_path(setting))) if setting else None


# --------------------------------------------------------------------------- services


@named_check("service-exposure", SERVICE)
def service_exposure(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A Service published outside the cluster — a load balancer, a port on every node,
    external IPs — naming the workloads it routes to, graded by the ports it publishes.

    The clause's `when` says how the Service is published (`spec.type: LoadBalancer`); the
    finding is shown on `at`. It is not reported when an `internal` annotation keeps it
    inside the network, nor, with `sources`, when its source ranges (a setting, else an
    annotation of comma-separated ranges) are narrower than the internet or not known.
    Each port whose published or target port is a database or remote administration port
    raises it to `sensitive`. With `addresses` (external IPs), a Service none of whose
    addresses is public is a posture. The workloads it routes to come from the Service's
    selector edges, among the clause's `related.workload` types. Message facts:
    `{published}` (its ports), `{node_ports}` (the node ports, or the range the cluster
    allocates them from), `{addresses}`, `{workloads}`."""
    p = ctx.params
    annotations = annotations_of(res, p.get("annotations"))
    if annotations is None or internal_reason(res, p, annotations):
        return
    evidence = [Evidence(text) for text in p.get("evidence") or ()]
    sources = p.get("sources")
    if sources:
        ranges = next(((s, res.setting(s)) for s in sources.get("settings") or () if res.setting(s) not in (None, [])), None)
        if ranges is None and sources.get("annotation") in annotations:
            ranges = (sources["annotation"], annotations[sources["annotation"]])
        if ranges is not None:
            world, _ = covers_world(ranges[1])
            if world is not True:
                return  # narrower than the internet, or not known
            items = entries(ranges[1]) or []
            evidence.append(Evidence(f"{ranges[0]} {', '.join(display(i) for i in items)} covers the whole internet"))
        elif sources.get("absent"):
            evidence.append(Evidence(sources["absent"]))
    spec = p["ports"]
    published: list[str] = []
    node_ports: list[int] = []
    sensitive: list[str] = []
    for _, entry in _entries(res, spec["list"]):
        port, target, node = _rel(entry, spec["port"]), _rel(entry, spec.get("target")), _rel(entry, spec.get("node"))
        published.append(display(port) if not isinstance(port, (int, str)) or isinstance(port, bool) else str(port))
        if as_port(node) not in (None, 0):
            node_ports.append(as_port(node))  # type: ignore[arg-type]
        for value in (port, target):
            number = as_port(value)
            what = listening(number) if number is not None else None
            if what is not None and f"{number} ({what[0]})" not in sensitive:
                sensitive.append(f"{number} ({what[0]})")
    evidence.extend(workload_evidence(ctx, res))
    severity = None
    if sensitive and p.get("sensitive"):
        severity = _severity(p["sensitive"])
        evidence.append(Evidence(f"it publishes {', '.join(sensitive)}"))
    posture = p.get("posture")
    numbers = [as_port(x) for x in published]
    if p.get("web") and not sensitive and numbers and all(n in WEB_PORTS for n in numbers):
        posture = posture or p["web"].format(published=", ".join(published))
    addresses: list[Any] = []
    if p.get("addresses"):
        addresses = entries(res.setting(p["addresses"])) or []
        public = [admits_public(a) for a in addresses]
        if addresses and all(x is False for x in public):
            posture = posture or "its external IPs are private addresses: reachable from the networks that route them, not from the internet"
    workloads = workloads_of(ctx, res)
    at = res.setting_path(p["at"])
    hit = Hit(
        res,
        at,
        evidence=evidence,
        severity=severity,
        value=value_at(res.attrs, at),
        facts={
            "published": ", ".join(published) or "its ports",
            "node_ports": f"port {', '.join(map(str, node_ports))}" if node_ports else "a port the cluster allocates (30000-32767)",
            "addresses": ", ".join(str(a) for a in addresses),
            "workloads": ", ".join(w.address for w in workloads[:3]) or "no workload in the scanned code",
            "ports": [(n, n) for n in node_ports] if node_ports and p.get("posture") else [(n, n) for n in (as_port(x) for x in published) if n is not None],
        },
    )
    yield _posture(hit, posture)


# --------------------------------------------------------------------------- fronts


def _service_evidence(ctx: Context, services: Iterable[Resource], verb: str = "routes to") -> list[Evidence]:
    out: list[Evidence] = []
    for svc in services:
        out.append(Evidence(f"{verb} Service {svc.address}", svc.span))
        out.extend(Evidence(f"which routes to {w.address}", w.span) for w in workloads_of(ctx, svc)[:3])
    return out


def _by_name(services: Iterable[Resource]) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    for svc in services:
        name = svc.meta.get("name")
        if isinstance(name, str):
            out.setdefault(name, svc)
    return out


def _service_for(name: Any, services: list[Resource], named: dict[str, Resource]) -> Resource | None:
    """The Service a backend names: by its name, or (Terraform) by the resource its
    computed name is taken from."""
    if isinstance(name, Unknown):
        return next((s for s in services if s.id == name.ref), None)
    return named.get(name) if isinstance(name, str) else None


def _public_gateways(ctx: Context, route: Resource) -> list[tuple[Resource, list[tuple[Path, dict[str, Any], bool | None]]]]:
    """The Gateways a route is attached to that are not internal, with the listeners it
    attaches to."""
    gateways = ctx.graph.references(route, "parentRefs", ctx.related("gateway"))
    out = []
    for _, ref in route_parents(route):
        if str(written(ref.get("kind"), "Gateway")) != "Gateway":
            continue
        ns = written(ref.get("namespace"), route.meta["namespace"])
        for gw in gateways:
            if gw.meta.get("name") != ref.get("name") and not (isinstance(ref.get("name"), Unknown) and ref["name"].ref == gw.id):
                continue
            if isinstance(ref.get("name"), str) and gw.meta.get("namespace") != ns:
                continue
            if internal_reason(gw, ctx.params, annotations_of(gw, ctx.params.get("annotations"))):
                continue
            listeners = attached_listeners(route, ref, gw)
            if listeners:
                out.append((gw, listeners))
    return out


@named_check("plain-http", PLAIN_HTTP)
def plain_http(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A front that serves its backends to the internet without TLS: an Ingress with no TLS
    section, a Gateway listener of a plain protocol with routes attached.

    With `tls`, the judged resource is the front (an Ingress): it is reported on `at`
    when the setting holds no entry and it has backends. With `protocols`, it is a
    Gateway: each listener of those protocols to which a route of role `route` attaches
    (by `sectionName`, `port`, the kinds and namespaces the listener allows, hostnames)
    with at least one backend is reported on its protocol, naming the routes (a route that
    only redirects has no backend and does not count). A front kept internal (`internal`)
    is not reported. The evidence names the Services and the workloads behind them.
    Message facts: `{services}`, `{routes}`, `{listener}`, `{port}`."""
    p = ctx.params
    annotations = annotations_of(res, p.get("annotations"))
    if internal_reason(res, p, annotations):
        return
    services = ctx.graph.references(res, None, ctx.related("service"))
    if p.get("tls"):
        tls = res.setting(p["tls"])
        if tls not in (None, []) and not (isinstance(tls, list) and not any(isinstance(t, dict) for t in tls)):
            return
        backends = list(ingress_backends(res))
        if not backends:
            return
        names = sorted({display(n) if not isinstance(n, str) else n for _, n, _ in backends})
        yield Hit(res, res.setting_path(p.get("at") or "spec"), evidence=_service_evidence(ctx, services), facts={"services": ", ".join(names)})
        return
    plain = {str(x).upper() for x in p.get("protocols") or ()}
    routes = ctx.graph.referrers(res, ctx.related("route"), attr="parentRefs")
    for path, listener in gateway_listeners(res):
        if str(listener.get("protocol", "")).upper() not in plain:
            continue
        served: list[Resource] = []
        certain = False
        for route in routes:
            if not any(True for _ in route_backends(route)):
                continue
            for _, ref in route_parents(route):
                if ref.get("name") != res.meta.get("name") and not (isinstance(ref.get("name"), Unknown) and ref["name"].ref == res.id):
                    continue
                for lpath, _, sure in attached_listeners(route, ref, res):
                    if lpath == path and route not in served:
                        served.append(route)
                        certain = certain or sure is True
        if not served:
            continue
        reached = [s for r in served for s in ctx.graph.references(r, "backendRefs", ctx.related("service"))]
        evidence = [Evidence(f"{r.address} is attached to it", r.span) for r in served[:4]] + _service_evidence(ctx, dict.fromkeys(reached))
        protocol_path = path + ("protocol",) if "protocol" in listener else path
        hit = Hit(
            res,
            protocol_path,
            evidence=evidence,
            value=listener.get("protocol"),
            facts={
                "routes": ", ".join(r.address for r in served[:3]) + (f" and {len(served) - 3} more" if len(served) > 3 else ""),
                "listener": str(listener.get("name", "?")),
                "port": str(listener.get("port", "?")),
                "ports": [(n, n) for n in [as_port(listener.get("port"))] if n is not None],
            },
        )
        if not certain:
            hit.facts["verdict"] = "conditional"
            hit.facts["verdict_reason"] = SELECTOR_REASON
        yield hit


@named_check("published-backend", BACKEND)
def published_backend(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A front that publishes a database or an administration interface to the internet:
    a backend whose Service name, port, or the image of a workload behind it says so.

    The judged resource is an Ingress (its backends), or, when the clause names a
    `gateway` role, a Gateway API route attached to a Gateway that is not internal (its
    backend references). Each backend is judged by the words of `names` in the Service's
    name, by its port (a database, cache, broker or remote administration port), and by the
    images of the workloads the Service routes to (the Service's selector edges, among the
    clause's `related.workload` types); the finding is
    shown on the backend and names them. A front kept internal (`internal`), or with an
    `authenticated` annotation (an authentication proxy in front of every backend), is
    not reported. A route that attaches only through listeners admitting namespaces by
    label selector is `conditional`. Message facts: `{backend}`, `{why}`, `{front}`."""
    p = ctx.params
    words = tuple(w.lower() for w in (p.get("names") or SENSITIVE_NAMES))
    services = ctx.graph.references(res, None, ctx.related("service"))
    named = _by_name(services)
    if ctx.related("gateway"):
        gateways = _public_gateways(ctx, res)
        if not gateways:
            return
        front_evidence = [Evidence(f"attached to {gw.address}, listener {', '.join(str(listener.get('name', '?')) for _, listener, _ in listeners)}", gw.span) for gw, listeners in gateways]
        front = ", ".join(gw.address for gw, _ in gateways)
        listener_ports = [listener.get("port") for _, listeners in gateways for _, listener, _ in listeners]
        backends = [(path, ref.get("name"), ref.get("port")) for path, ref in route_backends(res) if str(written(ref.get("kind"), "Service")) == "Service"]
        certain = any(sure is True for _, listeners in gateways for _, _, sure in listeners)
    else:
        annotations = annotations_of(res, p.get("annotations"))
        if annotations is None or internal_reason(res, p, annotations) or _table_hit(annotations, p.get("authenticated")):
            return
        front_evidence, front, listener_ports, certain = [], res.address, [], True
        backends = list(ingress_backends(res))
    for path, name, port in backends:
        svc = _service_for(name, services, named)
        workloads = workloads_of(ctx, svc) if svc is not None else []
        reason = sensitive_reason(name, port, images_of(workloads), words)
        if reason is None:
            reason = next((f"it is published on port {n}, {listening(n)[0]}" for n in (as_port(x) for x in listener_ports) if n is not None and listening(n)), None)  # type: ignore[index]
        if reason is None:
            continue
        evidence = list(front_evidence)
        if svc is not None:
            evidence.append(Evidence(f"Service {svc.address}", svc.span))
        evidence.extend(Evidence(f"which routes to {w.address}", w.span) for w in workloads[:3])
        label = name if isinstance(name, str) else (svc.meta.get("name") if svc is not None else display(name))
        backend = f"{label}:{port}" if port is not None and not isinstance(port, Unknown) else str(label)
        number = as_port(port)
        hit = Hit(
            res,
            path,
            evidence=evidence,
            severity=_severity(p.get("severity")),
            value=label,
            facts={"backend": backend, "why": reason, "front": front, "ports": [(number, number)] if number is not None else []},
        )
        if not certain:
            hit.facts["verdict"] = "conditional"
            hit.facts["verdict_reason"] = SELECTOR_REASON
        yield hit


# --------------------------------------------------------------------------- pods on the node


@named_check("host-exposure", HOST)
def host_exposure(ctx: Context, res: Resource) -> Iterator[Hit]:
    """Pods that listen on the node's own address: a pod on the node's network
    (`hostNetwork`), a container that binds a port of the node (`hostPort`).

    A pod spec with `host_network` true is reported once, on that setting, naming the ports
    its containers declare (whatever they listen on is on the node's address; a host port
    there is the container port itself, so it is not reported again); elsewhere each port
    entry binding a host port is reported on it. A database, cache, broker or remote
    administration port among them raises the finding to `sensitive`. The finding is a
    posture when every port it names is served by an authenticating proxy (`proxies`:
    kube-rbac-proxy in front of a node exporter), or, with `undeclared`, when a pod on the
    node's network declares no port at all (a node agent: nothing shows what listens).
    Whether the node itself is reachable is not in the manifests: with `posture`, every
    finding says so. Message facts: `{container}` and `{port}` (a host port, as written),
    `{listening}` (the ports a pod on the node's network declares)."""
    p = ctx.params
    spec_ports = p["ports"]
    messages = p.get("messages") or {}
    list_path, host_path, listen_path = (res.setting_path(spec_ports[k]) for k in ("list", "host", "container"))
    entries_of: dict[Path, list[tuple[Path, dict[str, Any], dict[str, Any]]]] = {}
    for path, container in containers(res):
        items = value_at(container, list_path)
        for i, entry in enumerate(items if isinstance(items, list) else []):
            if isinstance(entry, dict):
                entries_of.setdefault(_pod_of(path), []).append((path + list_path + (i,), container, entry))
    on_host: list[Path] = []
    for base, spec, _ in pod_templates(res):
        if truth(value_at(spec, res.setting_path(p["host_network"]))) is not True:
            continue
        on_host.append(base)
        declared = [(c, n) for b, found in entries_of.items() if b[: len(base)] == base for _, c, e in found if (n := as_port(value_at(e, listen_path))) is not None]
        hit = Hit(res, base + res.setting_path(p["host_network"]), value=True, facts={"listening": _ports_text([n for _, n in declared])})
        if not declared and p.get("undeclared"):
            _posture(hit, p["undeclared"])
        yield _graded(hit, declared, p, messages.get("host_network"))
    for entry_path, container, entry in (e for b, found in entries_of.items() if not any(b[: len(h)] == h for h in on_host) for e in found):
        host = value_at(entry, host_path)
        if host in (None, 0) or isinstance(host, bool):
            continue
        number = as_port(host)
        hit = Hit(res, entry_path + host_path, value=host, facts={"container": str(container.get("name", "?")), "port": display(host)})
        yield _graded(hit, [(container, number)] if number is not None else [], p, messages.get("host_port"))


def _ports_text(numbers: list[int]) -> str:
    if not numbers:
        return "whatever ports they open (none is declared)"
    return ("port " if len(numbers) == 1 else "ports ") + ", ".join(map(str, dict.fromkeys(numbers)))


def _pod_of(container_path: Path) -> Path:
    """The pod spec path a container path is in (before its list of containers)."""
    for i in range(len(container_path) - 1, -1, -1):
        if container_path[i] in ALL_CONTAINERS:
            return container_path[:i]
    return ()


def _graded(hit: Hit, ports: list[tuple[dict[str, Any], int]], p: dict[str, Any], message: str | None) -> Hit:
    """A host exposure with its message, its ports (each with the container serving it), the
    sensitive ones raising it, and authenticating proxies in front of all of them lowering
    it to a posture."""
    numbers = list(dict.fromkeys(n for _, n in ports))
    sensitive = [f"{n} ({listening(n)[0]})" for n in numbers if listening(n)]  # type: ignore[index]
    if sensitive:
        hit.evidence.append(Evidence(f"it listens on {', '.join(sensitive)}"))
        hit.severity = _severity(p.get("sensitive"))
    if message:
        hit.message = render(message, hit)
    hit.facts["ports"] = [(n, n) for n in numbers]
    proxies = p.get("proxies")
    if proxies and ports:
        images = [_proxy_image(c, proxies["images"]) for c, _ in ports]
        if all(images):
            hit.evidence.append(Evidence(f"{', '.join(dict.fromkeys(i for i in images if i))} serves {'it' if len(numbers) == 1 else 'them'}"))
            return _posture(hit, proxies["reason"])
    return _posture(hit, p.get("posture"))


def _proxy_image(container: dict[str, Any], patterns: list[str]) -> str | None:
    """The container's image when it is one of the authenticating proxies ``patterns``."""
    image = container.get("image")
    if not isinstance(image, str):
        return None
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0].lower()
    return image if any(fnmatch.fnmatchcase(base, pattern.lower()) for pattern in patterns) else None
