"""Kubernetes manifests -> resources for the graph, with the edges that decide exposure.

Every document of every file (``---`` streams, ``kind: List``) becomes a resource whose
address is ``Kind/name`` (``namespace/Kind/name`` outside the default namespace). The pod
templates of any kind are found by their shape in one place (:func:`find_pod_specs`); an
object carrying one is a *workload*, indexed in the graph under :data:`WORKLOAD` too. Edges:

- Service ``spec.selector`` -> the workloads whose pod labels match (same namespace);
- Ingress backends -> Services (same namespace);
- RoleBinding/ClusterRoleBinding ``roleRef`` -> the Role/ClusterRole, ``subjects`` -> ServiceAccounts;
- NetworkPolicy ``podSelector`` -> the workloads it selects;
- a workload's ``serviceAccountName`` -> the ServiceAccount;
- Gateway API routes ``parentRefs`` -> Gateways, ``backendRefs`` -> Services.

The same objects written with the Terraform kubernetes provider (``kubernetes_service_v1``,
``kubernetes_deployment``...) join the same model through :func:`link_terraform`: their kind
comes from the resource type, their fields are read in either spelling (``spec.selector``
or ``spec[0].selector``, ``podSelector`` or ``pod_selector``: :func:`find`), and they get
the same edges and the same *workload* role. Edges join objects of the same directory
only, and Terraform objects of the same configuration (see :func:`link`).
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

import yaml

from linter.graph import Resource, ref_ids
from linter.internal import internal_error
from linter.model import InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.positioned import Converter
from linter.progress import current as progress
from linter.sources import SourceError, read_source, source_problem
from linter.values import PDict, Unknown
from linter.yamlsafe import SafeLoader, YamlBudgetError, bounded_nodes, describe_yaml_error

# the name every object carrying a pod template is also indexed under in the graph, so a
# rule about pods names ``type: workload`` and sees every kind that runs pods
WORKLOAD = "workload"
# kinds that never carry a pod template and can be large: not walked (a Knative Service
# is a "Service" that does carry one, so kinds are not skipped by name otherwise)
_NO_PODS = frozenset({"ConfigMap", "Secret", "CustomResourceDefinition", "PrometheusRule"})
# deep enough for spec.jobTemplate.spec.template.spec, operator replica specs and the
# Terraform provider's blocks (spec[0].job_template[0].spec[0].template[0].spec[0])
_WALK_DEPTH = 12
_WALK_NODES = 5000
# where a pod spec lists its containers: manifests, the Terraform kubernetes provider
_CONTAINER_LISTS = ("containers", "container")
ALL_CONTAINERS = ("initContainers", "containers", "ephemeralContainers", "init_container", "container")
# kinds whose objects have no namespace
CLUSTER_SCOPED = frozenset({"ClusterRole", "ClusterRoleBinding", "Namespace", "GatewayClass", "IngressClass"})
ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute"})


def get_path(node: Any, path: Path) -> Any:
    """The value at ``path`` inside plain or positioned data, or None."""
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def field(node: Any, *names: str) -> Any:
    """The first of ``names`` a mapping writes, as a manifest spells it (``sectionName``) or
    as the Terraform provider does (``section_name``); None when it writes none."""
    if not isinstance(node, dict):
        return None
    for name in names:
        for key in (name, _snake(name)):
            if key in node:
                return node[key]
    return None


def find(node: Any, *keys: str | tuple[str, ...], base: Path = ()) -> tuple[Path, Any]:
    """The value at ``keys`` inside an object in either spelling, and its path.

    Each key may be a tuple of names (``("rules", "rule")``), each tried as written and in
    snake_case. A Terraform nested block is a list of one mapping: it is stepped through
    (``spec[0].selector``) when a key follows it. (None, the path so far) when missing."""
    path = base
    for key in keys:
        if isinstance(node, list) and len(node) == 1 and isinstance(node[0], dict):
            node, path = node[0], path + (0,)
        if not isinstance(node, dict):
            return path, None
        names = key if isinstance(key, tuple) else (key,)
        for name in names:
            found = next((k for k in (name, _snake(name)) if k in node), None)
            if found is not None:
                node, path = node[found], path + (found,)
                break
        else:
            return path, None
    return path, node


def written(value: Any, default: Any) -> Any:
    """``value`` unless it is absent or empty (an Unknown is kept: it is written)."""
    return default if value is None or (isinstance(value, str) and not value) else value


def block(path: Path, value: Any) -> tuple[Path, Any]:
    """A mapping written as a Terraform block (a list of one) or directly."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return path + (0,), value[0]
    return path, value


def mapping_at(node: Any, *keys: str | tuple[str, ...], base: Path = ()) -> tuple[Path, dict[str, Any] | None]:
    """:func:`find` for a mapping (a block unwrapped); None when it is not one."""
    path, value = block(*find(node, *keys, base=base))
    return path, value if isinstance(value, dict) else None


def items_at(node: Any, *keys: str | tuple[str, ...], base: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, mapping) of every entry of the list at ``keys`` (repeated blocks or a list)."""
    path, value = find(node, *keys, base=base)
    for i, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, dict):
            yield path + (i,), item


def _is_pod_spec(node: dict[Any, Any]) -> bool:
    """A PodSpec by its shape: ``containers`` (the Terraform provider: ``container``) is a
    list of mappings naming an image."""
    for key in _CONTAINER_LISTS:
        items = node.get(key)
        if not isinstance(items, list) or not items:
            continue
        if not all(isinstance(c, dict) and isinstance(c.get("image", c.get("name")), str) for c in items):
            continue
        if any(isinstance(c.get("image"), str) for c in items):
            return True
    return False


def find_pod_specs(obj: Any, kind: str = "") -> tuple[Path, ...]:
    """The paths of every pod spec inside an object, whatever its kind.

    A breadth-first walk (at most ``_WALK_DEPTH`` levels and ``_WALK_NODES`` containers, never
    into ``metadata`` or ``status``) stops at each mapping shaped like a PodSpec: a Pod's
    ``spec``, ``spec.template.spec`` (Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job, DeploymentConfig, Argo Rollout, Knative Service…),
    ``spec.jobTemplate.spec.template.spec`` (CronJob), ``template.spec`` (PodTemplate),
    the replica specs of operators (``spec.<x>ReplicaSpecs.<role>.template.spec``) and the
    Terraform provider's blocks (``spec[0].template[0].spec[0]``)."""
    if kind in _NO_PODS or not isinstance(obj, dict):
        return ()
    found: list[Path] = []
    queue: deque[tuple[Path, Any]] = deque([((), obj)])
    visited = 0
    while queue and visited < _WALK_NODES:
        path, node = queue.popleft()
        visited += 1
        if isinstance(node, dict):
            if path and _is_pod_spec(node):
                found.append(path)
                continue
            children: Any = ((k, v) for k, v in node.items() if isinstance(k, str) and k not in ("metadata", "status"))
        else:
            children = enumerate(node)
        if len(path) < _WALK_DEPTH:
            queue.extend((path + (k,), v) for k, v in children if isinstance(v, (dict, list)))
    return tuple(found)


def pod_spec_paths(res: Resource) -> tuple[Path, ...]:
    """Where the pod specs of a Kubernetes object are (found once, when it is read)."""
    paths: tuple[Path, ...] = res.meta.get("pod_specs", ())
    return paths


def pod_spec(res: Resource) -> Any:
    """The (first) pod spec of a workload, or None."""
    paths = pod_spec_paths(res)
    return get_path(res.attrs, paths[0]) if paths else None


def pod_templates(res: Resource) -> Iterator[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """(path, pod spec, pod labels) of every pod template of a workload. The labels are
    the template's ``metadata.labels`` (a Pod's own labels): the metadata beside the
    ``spec`` that holds the pod spec."""
    for path in pod_spec_paths(res):
        spec = get_path(res.attrs, path)
        holder = path
        while holder and isinstance(holder[-1], int):
            holder = holder[:-1]  # a Terraform block: spec[0]
        _, labels = find(get_path(res.attrs, holder[:-1]), "metadata", "labels")
        if isinstance(spec, dict):
            yield path, spec, labels if isinstance(labels, dict) else {}


def containers(res: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, container) for every container and init container of every pod template."""
    for path, spec, _ in pod_templates(res):
        for key in ALL_CONTAINERS:
            items = spec.get(key)
            if isinstance(items, list):
                for i, c in enumerate(items):
                    if isinstance(c, dict):
                        yield path + (key, i), c


def namespace_of(obj: Any) -> str:
    ns = find(obj, "metadata", "namespace")[1]
    if isinstance(ns, Unknown):
        return f"?{ns.ref or ns.reason}"  # not known: equal only to the same unknown
    return ns if isinstance(ns, str) and ns else "default"


def kind_of(res: Resource) -> str:
    """The Kubernetes kind of an object, whatever format wrote it."""
    return str(res.meta.get("kind") or res.type)


def name_of(obj: Any) -> Any:
    """An object's name as written (an Unknown when Terraform computes it)."""
    _, name = find(obj, "metadata", "name")
    return name if name is not None else find(obj, "metadata", "generateName")[1]


def _documents(text: str, path: str, out: ParseOutput) -> list[PDict]:
    """Every object in a YAML stream (cached by content)."""
    from linter.cache import current

    cache = current()
    cached = cache.get("k8s", path, text)
    if cached is None:
        part = ParseOutput()
        cached = (_read_documents(text, path, part), part.errors, part.notes)
        cache.put("k8s", path, text, cached)
    docs, errors, notes = cached
    out.errors.extend(errors)
    out.notes.extend(notes)
    return docs


def _read_documents(text: str, path: str, out: ParseOutput) -> list[PDict]:
    """Every object in a YAML stream; a broken document is reported and the others kept.

    The stream is read in one pass; when a document in it is broken, PyYAML cannot go on
    past the error, so the stream is read again one ``---`` section at a time (each with
    its own line offset), and every section but the broken ones is kept."""
    part = ParseOutput()
    docs = _read_stream(text, path, 0, part)
    if not part.errors:
        out.notes.extend(part.notes)
        return docs
    docs = []
    for offset, section in _sections(text):
        docs.extend(_read_stream(section, path, offset, out))
    return docs


_SEPARATOR = re.compile(r"^---(?=[ \t]|$)", re.M)


def _sections(text: str) -> Iterator[tuple[int, str]]:
    """(line offset, text) of each ``---`` section of a stream (a separator starts a section)."""
    starts = [0] + [m.start() for m in _SEPARATOR.finditer(text) if m.start() > 0]
    for begin, end in zip(starts, starts[1:] + [len(text)]):
        yield text.count("\n", 0, begin), text[begin:end]


def read_yaml(text: str, path: str, mapper: Any = None) -> tuple[list[Any], InputError | None, list[Any]]:
    """Every document of a YAML stream as positioned values, until the first error.

    Returns the documents, the error (at its place in the file, through ``mapper``) and the
    keys written twice. Every YAML reader of the Kubernetes inputs (manifests,
    kustomizations, patches, values files, rendered charts) goes through here."""
    docs: list[Any] = []
    error: InputError | None = None
    converter = Converter(path, mapper)
    place = mapper or (lambda line, col: (line + 1, col + 1))
    loader = SafeLoader(text)
    try:
        for node in bounded_nodes(loader, text):
            docs.append(converter.convert(node))
    except YamlBudgetError as exc:
        line, column = place(exc.line - 1, exc.column - 1)
        error = InputError(path, line, column, str(exc), "parse")
    except yaml.YAMLError as exc:
        line, column, message = describe_yaml_error(exc)
        line, column = place(line - 1, column - 1)
        error = InputError(path, line, column, message, "parse")
    finally:
        loader.dispose()
    return docs, error, converter.duplicates


def _read_stream(text: str, path: str, offset: int, out: ParseOutput) -> list[PDict]:
    docs, error, duplicates = read_yaml(text, path, (lambda line, col: (line + offset + 1, col + 1)) if offset else None)
    if error is not None:
        out.errors.append(error)
    for dup in duplicates:
        out.notes.append(Note(path, dup.span.line, f"duplicate key {dup.key!r}; the last one is used, as the API server would"))
    return [d for d in docs if isinstance(d, PDict)]


def _objects(doc: PDict) -> Iterator[PDict]:
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            if isinstance(item, PDict):
                yield item
    else:
        yield doc


def load_kubernetes(paths: list[str], max_bytes: int, overrides: dict[str, str] | None = None) -> ParseOutput:
    out = ParseOutput()
    for path in paths:
        progress().advance()
        out.files.append(path)
        try:
            text = overrides[path] if overrides and path in overrides else read_source(path, max_bytes)
        except SourceError as exc:
            out.problem(source_problem(path, exc))
            continue
        counts: dict[str, int] = {}
        try:
            for doc in _documents(text, path, out):
                for obj in _objects(doc):
                    res = _resource(obj, path, counts)
                    if res is not None:
                        out.resources.append(res)
        except RecursionError:
            out.errors.append(InputError(path, 1, 1, "document nested too deeply to analyse", "parse"))
        except Exception as exc:
            out.errors.append(internal_error(path, exc))
    try:
        link(out.resources)
    except Exception as exc:
        out.errors.append(internal_error(paths[0] if paths else "?", exc, "linking Kubernetes objects"))
    return out


def _resource(obj: PDict, path: str, counts: dict[str, int]) -> Resource | None:
    kind, api = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return None
    name = get_path(obj, ("metadata", "name"))
    name = name if isinstance(name, str) and name else (get_path(obj, ("metadata", "generateName")) or "(unnamed)")
    ns = namespace_of(obj)
    address = f"{kind}/{name}" if ns == "default" else f"{ns}/{kind}/{name}"
    counts[address] = counts.get(address, 0) + 1
    rid = f"{path}::{address}" + (f"#{counts[address]}" if counts[address] > 1 else "")
    header = obj.spans.get("kind", obj.span) or Span(path, 1)
    pod_specs = find_pod_specs(obj, kind)
    return Resource(
        id=rid,
        address=address,
        type=kind,
        format="kubernetes",
        attrs=obj,
        span=header,
        block_span=obj.span or header,
        meta={"kind": kind, "namespace": ns, "name": name, "api_version": api, "pod_specs": pod_specs},
        roles=(WORKLOAD,) if pod_specs else (),
    )


def _selector_matches(selector: Any, labels: dict[Any, Any]) -> bool:
    """Whether a selector matches pod labels: a Service's plain map, or a label selector
    (``matchLabels``/``matchExpressions``, in either spelling)."""
    if not isinstance(selector, dict) or not selector:
        return False
    structured = field(selector, "matchLabels") is not None or field(selector, "matchExpressions") is not None
    match_labels = block((), field(selector, "matchLabels"))[1] if structured else selector
    if isinstance(match_labels, dict):
        for k, v in match_labels.items():
            if isinstance(v, Unknown) or labels.get(k) != v:
                return False
    expressions = field(selector, "matchExpressions") if structured else None
    for expr in expressions if isinstance(expressions, list) else []:
        if not isinstance(expr, dict):
            return False
        key, op, values = expr.get("key"), expr.get("operator"), written(expr.get("values"), [])
        if not isinstance(values, list) or any(isinstance(v, Unknown) for v in values):
            return False  # not known: the selector is not taken to match
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _selects(selector: Any, workload: Resource) -> bool:
    """A selector matches a workload when it matches the labels of any of its pod templates."""
    return any(_selector_matches(selector, labels) for _, _, labels in pod_templates(workload))


def ingress_backends(res: Resource) -> Iterator[tuple[Path, Any, Any]]:
    """(path, service name, port) of every backend of an Ingress (networking/v1 and older,
    manifests and the Terraform provider's ``kubernetes_ingress``/``_v1``). The name is an
    Unknown when Terraform computes it."""
    base, spec = mapping_at(res.attrs, "spec")
    if spec is None:
        return

    def one(path: Path, backend: Any) -> Iterator[tuple[Path, Any, Any]]:
        path, backend = block(path, backend)
        if not isinstance(backend, dict):
            return
        _, svc = mapping_at(backend, "service")
        if svc is not None and svc.get("name") is not None:
            _, port = mapping_at(svc, "port")
            number = field(port, "number") if port is not None else None
            yield path, svc["name"], number if number is not None else field(port, "name")
        elif field(backend, "serviceName") is not None:
            yield path, field(backend, "serviceName"), field(backend, "servicePort")

    for key in ("defaultBackend", "default_backend", "backend"):
        if key in spec:
            yield from one(base + (key,), spec[key])
    for rule_path, rule in items_at(spec, ("rules", "rule"), base=base):
        http_path, http = mapping_at(rule, "http", base=rule_path)
        for entry_path, entry in items_at(http, ("paths", "path"), base=http_path):
            if "backend" in entry:
                yield from one(entry_path + ("backend",), entry["backend"])


def route_parents(res: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, parent reference) of a Gateway API route (``spec.parentRefs``)."""
    base, spec = mapping_at(res.attrs, "spec")
    yield from items_at(spec, "parentRefs", base=base)


def route_backends(res: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, backend reference) of a Gateway API route (``spec.rules[*].backendRefs``)."""
    base, spec = mapping_at(res.attrs, "spec")
    for rule_path, rule in items_at(spec, ("rules", "rule"), base=base):
        yield from items_at(rule, "backendRefs", base=rule_path)


def gateway_listeners(res: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, listener) of a Gateway API Gateway (``spec.listeners``)."""
    base, spec = mapping_at(res.attrs, "spec")
    yield from items_at(spec, ("listeners", "listener"), base=base)


# the route kinds a listener admits when its allowedRoutes names none, by protocol
_DEFAULT_ROUTES = {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute"), "TLS": ("TLSRoute",), "TCP": ("TCPRoute",), "UDP": ("UDPRoute",)}


def _host_matches(listener_host: Any, route_hosts: Any) -> bool | None:
    """Whether a listener's hostname admits any of a route's hostnames (a ``*.`` wildcard
    covers one or more labels; either side absent admits everything)."""
    if not isinstance(listener_host, str) or not listener_host:
        return None if isinstance(listener_host, Unknown) else True
    hosts = route_hosts if isinstance(route_hosts, list) else []
    if not hosts:
        return True
    result: bool | None = False
    for host in hosts:
        if not isinstance(host, str):
            result = None
            continue
        for a, b in ((listener_host, host), (host, listener_host)):
            if a == b or (a.startswith("*.") and b.endswith(a[1:])):
                return True
    return result


def attached_listeners(route: Resource, ref: dict[str, Any], gateway: Resource) -> list[tuple[Path, dict[str, Any], bool | None]]:
    """The listeners of ``gateway`` a route's parent reference attaches it to, each with
    whether that is certain (None: it depends on something not known, such as the labels
    of the route's namespace for ``from: Selector``).

    As the Gateway API says: ``sectionName`` and ``port`` narrow the reference to one
    listener; the listener must admit the route's kind (``allowedRoutes.kinds``, by
    default the kinds of its protocol), its namespace (``allowedRoutes.namespaces.from``:
    ``Same`` by default, ``All``, ``Selector``) and one of its hostnames."""
    section, port = field(ref, "sectionName"), field(ref, "port")
    kind = kind_of(route)
    out: list[tuple[Path, dict[str, Any], bool | None]] = []
    for path, listener in gateway_listeners(gateway):
        if section is not None and section != listener.get("name"):
            continue
        if port is not None and str(port) != str(listener.get("port")):
            continue
        _, allowed = mapping_at(listener, "allowedRoutes")
        kinds = [field(k, "kind") for _, k in items_at(allowed, "kinds")] if allowed is not None else []
        protocol = str(listener.get("protocol", "")).upper()
        if kind not in (kinds or _DEFAULT_ROUTES.get(protocol, ())):
            continue
        _, namespaces = mapping_at(allowed, "namespaces") if allowed is not None else ((), None)
        scope = str(written(field(namespaces, "from"), "Same"))
        certain: bool | None = True
        if scope == "Same" and route.meta["namespace"] != gateway.meta["namespace"]:
            continue
        if scope == "Selector":
            certain = None
        host = _host_matches(listener.get("hostname"), field(mapping_at(route.attrs, "spec")[1], "hostnames"))
        if host is False:
            continue
        out.append((path, listener, None if host is None else certain))
    return out


def link(resources: list[Resource]) -> None:
    """Add the Kubernetes edges (selectors, backends, bindings, routes), per group.

    Manifests that are deployed together live together (one directory, one stream on
    standard input, one rendering of an overlay or a chart: ``meta["link_group"]``);
    linking across directories would join unrelated examples that happen to share names
    and labels. Terraform objects are grouped by configuration."""
    by_dir: dict[str, list[Resource]] = {}
    for res in resources:
        # a rendering (an overlay, a chart) is deployed together whatever files wrote it
        by_dir.setdefault(res.meta.get("link_group") or os.path.dirname(res.span.file), []).append(res)
    for group in by_dir.values():
        _link_group(group)


# Terraform kubernetes provider types whose kind is not the type's words in CamelCase
_TERRAFORM_KINDS = {"daemonset": "DaemonSet", "http_route": "HTTPRoute", "grpc_route": "GRPCRoute", "tcp_route": "TCPRoute", "tls_route": "TLSRoute", "udp_route": "UDPRoute"}
_TERRAFORM_PREFIX = "kubernetes_"
_TERRAFORM_VERSION = re.compile(r"_v\d+(?:(?:alpha|beta)\d+)?$")
# provider resources that are not objects of one kind
_TERRAFORM_NOT_OBJECTS = frozenset({"manifest", "annotations", "labels", "env", "config_map_v1_data", "node_taint", "token_request", "default_service_account"})


def terraform_kind(rtype: str) -> str | None:
    """The kind a Terraform kubernetes provider resource type writes (``kubernetes_service_v1``
    -> ``Service``, ``kubernetes_daemonset`` -> ``DaemonSet``), or None."""
    if not rtype.startswith(_TERRAFORM_PREFIX):
        return None
    base = _TERRAFORM_VERSION.sub("", rtype[len(_TERRAFORM_PREFIX) :])
    if not base or base in _TERRAFORM_NOT_OBJECTS:
        return None
    return _TERRAFORM_KINDS.get(base) or "".join(part.capitalize() for part in base.split("_"))


def link_terraform(resources: list[Resource]) -> list[Resource]:
    """Kubernetes objects written with the Terraform kubernetes provider join the model:
    their kind, name, namespace and pod templates (found by shape, as in manifests) are
    recorded, an object carrying a pod template becomes a workload, and they are linked
    like manifests, per configuration. The objects a ``kubernetes_manifest`` (``manifest``)
    or ``kubectl_manifest`` (``yaml_body``) writes are returned as Kubernetes objects of
    their own (:func:`terraform_manifests`), judged like manifests and linked with the rest."""
    manifests = terraform_manifests(resources)
    group: list[Resource] = list(manifests)
    for res in resources:
        kind = terraform_kind(res.type) if res.meta.get("mode", "managed") == "managed" and not res.type.startswith("data.") else None
        if kind is None:
            continue
        name = name_of(res.attrs)
        pod_specs = find_pod_specs(res.attrs, kind)
        res.meta.update(kind=kind, name=name if isinstance(name, str) else f"?{res.address}", namespace=namespace_of(res.attrs), pod_specs=pod_specs, link_group=f"terraform:{res.root}")
        if pod_specs and WORKLOAD not in res.roles:
            res.roles = (*res.roles, WORKLOAD)
        group.append(res)
    link(group)
    return manifests


# what a Terraform resource's expansion says about whether it exists (verdicts)
_INSTANCE_META = ("mode", "unknown_expansion", "possible_instance")


def terraform_manifests(resources: list[Resource]) -> list[Resource]:
    """The Kubernetes object of each ``kubernetes_manifest`` (its ``manifest`` object, with
    the HCL positions of every field) and of each ``kubectl_manifest`` (its ``yaml_body``,
    when it is a ``file()`` or a literal text), as a Kubernetes object addressed by the
    Terraform resource: a finding lands on the line of the field in the ``.tf`` (or the
    YAML file), and the values' origins (variables) are the Terraform resource's."""
    out: list[Resource] = []
    for res in resources:
        if res.format != "terraform" or res.meta.get("mode", "managed") != "managed":
            continue
        objects: list[tuple[PDict, Path | None]]
        if res.type == "kubernetes_manifest":
            body = res.attrs.get("manifest")
            objects = [(body, ("manifest",))] if isinstance(body, PDict) else []
        elif res.type == "kubectl_manifest":
            objects = [(obj, None) for obj in _yaml_body(res)]
            path = getattr(res.attrs.get("yaml_body"), "path", None)
            if objects and isinstance(path, str):
                res.meta["reads_manifest"] = os.path.normpath(path)
        else:
            continue
        for obj, prefix in objects:
            made = _resource(obj, res.span.file, {})
            if made is None:
                continue
            made.id = f"{res.id}::{made.address}"
            made.address = f"{res.address} ({made.address})"
            made.call_chain = res.call_chain
            made.meta.update({k: res.meta[k] for k in _INSTANCE_META if k in res.meta})
            made.meta["link_group"] = f"terraform:{res.root}"
            if prefix is not None:
                made.origins = _prefixed(res.origins, prefix)
                made.chain = _prefixed(res.chain, prefix)
            out.append(made)
    return out


def _prefixed(function: Any, prefix: Path) -> Any:
    return (lambda path: function(prefix + tuple(path))) if function is not None else None


def _yaml_body(res: Resource) -> list[PDict]:
    """The objects of a ``kubectl_manifest``'s ``yaml_body``: a ``file()`` is read with its
    own positions; a literal text (a heredoc) is placed on the ``.tf`` lines that hold it."""
    from linter.values import SourcedText

    body = res.attrs.get("yaml_body")
    if not isinstance(body, str) or isinstance(body, Unknown):
        return []
    span = res.attrs.spans.get("yaml_body") if isinstance(res.attrs, PDict) else None
    if isinstance(body, SourcedText) and body.path:
        docs, error, _ = read_yaml(str(body), body.path)
    elif span is not None and span.end_line and span.end_line - span.line >= str(body).count("\n"):
        # a heredoc: its text starts on the line after the attribute's
        first = span.line + 1
        docs, error, _ = read_yaml(str(body), span.file, lambda line, col: (first + line, col + 1))
    else:
        at = span or res.span
        docs, error, _ = read_yaml(str(body), at.file, lambda line, col: (at.line, at.column))
    if error is not None:  # shown by the engine with the other input errors
        res.meta["manifest_error"] = error
    return [obj for doc in docs if isinstance(doc, PDict) for obj in _objects(doc)]


def helm_release_notes(resources: list[Resource]) -> list[Note]:
    """A note for each Terraform ``helm_release`` of a remote chart that gives the chart
    values (``set``, ``set_list``, ``set_sensitive``, ``values``): they are not rendered
    into the chart (nothing is downloaded), so what they make public is not checked. A
    release of a local chart is rendered with them (``helm.render_releases``)."""
    out: list[Note] = []
    for res in resources:
        if res.type != "helm_release" or res.format not in ("terraform", "terraform-plan"):
            continue
        given = [key for key in ("set", "set_list", "set_sensitive", "values") if res.attrs.get(key) not in (None, [])]
        if given:
            out.append(
                Note(
                    res.span.file,
                    res.span.line,
                    f"{res.address}: the release's chart values ({', '.join(given)}) are not applied to its remote chart (nothing is downloaded), so what they publish is not checked; "
                    "scan a local chart with them: seawall scan CHART --helm-values FILE --helm-set key=value",
                )
            )
    return out


def _link_group(resources: list[Resource]) -> None:
    workloads: dict[str, list[Resource]] = {}
    by_name: dict[tuple[str, str, str], Resource] = {}
    by_id = {res.id: res for res in resources}
    for res in resources:
        kind = kind_of(res)
        ns = res.meta["namespace"]
        if pod_spec_paths(res):
            workloads.setdefault(ns, []).append(res)
        by_name.setdefault((kind, "" if kind in CLUSTER_SCOPED else ns, str(res.meta["name"])), res)

    def named(kind: str, ns: Any, name: Any) -> set[str]:
        """The object of ``kind`` a reference names: by its name, or (Terraform) by the
        resource a computed name is taken from."""
        if isinstance(name, Unknown):
            return {i for i in ref_ids(name) if i in by_id and kind_of(by_id[i]) == kind}
        if not isinstance(name, str):
            return set()
        space = "" if kind in CLUSTER_SCOPED else (ns if isinstance(ns, str) and ns else "")
        found = by_name.get((kind, space, name))
        return {found.id} if found is not None else set()

    for res in resources:
        ns = res.meta["namespace"]
        kind = kind_of(res)
        refs: dict[str, set[str]] = {}
        if kind == "Service":
            _, selector = find(res.attrs, "spec", "selector")
            if isinstance(selector, dict) and selector:
                refs["selector"] = {w.id for w in workloads.get(ns, []) if _selects(selector, w)}
        elif kind == "Ingress":
            refs["backend"] = set().union(set(), *(named("Service", ns, name) for _, name, _ in ingress_backends(res)))
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            _, role = mapping_at(res.attrs, "roleRef")
            if role is not None:
                role_kind = str(written(role.get("kind"), "ClusterRole"))
                found = named(role_kind, ns, role.get("name"))
                if found:
                    refs["roleRef"] = found
            for _, s in items_at(res.attrs, ("subjects", "subject")):
                if s.get("kind") == "ServiceAccount":
                    refs.setdefault("subjects", set()).update(named("ServiceAccount", written(s.get("namespace"), ns), s.get("name")))
        elif kind == "NetworkPolicy":
            _, selector = mapping_at(res.attrs, "spec", "podSelector")
            if selector is not None:
                # an empty podSelector selects every pod of the namespace
                refs["podSelector"] = {w.id for w in workloads.get(ns, []) if not selector or _selects(selector, w)}
        elif kind in ROUTE_KINDS:
            for _, ref in route_parents(res):
                if str(written(ref.get("kind"), "Gateway")) == "Gateway":
                    refs.setdefault("parentRefs", set()).update(named("Gateway", written(ref.get("namespace"), ns), ref.get("name")))
            for _, ref in route_backends(res):
                if str(written(ref.get("kind"), "Service")) == "Service":
                    refs.setdefault("backendRefs", set()).update(named("Service", written(ref.get("namespace"), ns), ref.get("name")))
        for _, spec, _ in pod_templates(res):
            sa = field(spec, "serviceAccountName")
            found = named("ServiceAccount", ns, sa) if sa is not None else set()
            if found:
                refs.setdefault("serviceAccountName", set()).update(found)
        edges = {k: frozenset(v - {res.id}) for k, v in refs.items() if v - {res.id}}
        res.refs = {**res.refs, **edges} if edges else res.refs
