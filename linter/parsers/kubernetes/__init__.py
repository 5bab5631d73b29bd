"""Kubernetes manifests -> resources for the graph, with the edges that decide exposure.

Every document of every file (``---`` streams, ``kind: List``) becomes a resource whose
address is ``Kind/name`` (``namespace/Kind/name`` outside the default namespace). The pod
templates of any kind are found by their shape in one place (:func:`find_pod_specs`); an
object carrying one is a *workload*, indexed in the graph under :data:`WORKLOAD` too. Edges:

- Service ``spec.selector`` -> the workloads whose pod labels match (same namespace);
- Ingress backends -> Services (same namespace);
- RoleBinding/ClusterRoleBinding ``roleRef`` -> the Role/ClusterRole, ``subjects`` -> ServiceAccounts;
- NetworkPolicy ``podSelector`` -> the workloads it selects;
- a workload's ``serviceAccountName`` -> the ServiceAccount.

Edges join objects of the same directory only (see :func:`link`).
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

import yaml

from linter.graph import Resource
from linter.internal import internal_error
from linter.model import InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.positioned import Converter
from linter.progress import current as progress
from linter.sources import SourceError, read_source, source_problem
from linter.values import PDict
from linter.yamlsafe import SafeLoader, YamlBudgetError, check_node_budget, describe_yaml_error

# the name every object carrying a pod template is also indexed under in the graph, so a
# rule about pods names ``type: workload`` and sees every kind that runs pods
WORKLOAD = "workload"
# kinds that never carry a pod template and can be large: not walked (a Knative Service
# is a "Service" that does carry one, so kinds are not skipped by name otherwise)
_NO_PODS = frozenset({"ConfigMap", "Secret", "CustomResourceDefinition", "PrometheusRule"})
_WALK_DEPTH = 8  # deep enough for spec.jobTemplate.spec.template.spec and operator replica specs
_WALK_NODES = 5000


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


def _is_pod_spec(node: dict[Any, Any]) -> bool:
    """A PodSpec by its shape: ``containers`` is a list of mappings naming an image."""
    items = node.get("containers")
    if not isinstance(items, list) or not items:
        return False
    if not all(isinstance(c, dict) and isinstance(c.get("image", c.get("name")), str) for c in items):
        return False
    return any(isinstance(c.get("image"), str) for c in items)


def find_pod_specs(obj: Any, kind: str = "") -> tuple[Path, ...]:
    """The paths of every pod spec inside an object, whatever its kind.

    A breadth-first walk (at most ``_WALK_DEPTH`` levels and ``_WALK_NODES`` containers, never
    into ``metadata`` or ``status``) stops at each mapping shaped like a PodSpec: a Pod's
    ``spec``, ``spec.template.spec`` (Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job, DeploymentConfig, Argo Rollout, Knative Service…),
    ``spec.jobTemplate.spec.template.spec`` (CronJob), ``template.spec`` (PodTemplate) and
    the replica specs of operators (``spec.<x>ReplicaSpecs.<role>.template.spec``)."""
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
    the template's ``metadata.labels`` (a Pod's own labels)."""
    for path in pod_spec_paths(res):
        spec = get_path(res.attrs, path)
        labels = get_path(res.attrs, path[:-1] + ("metadata", "labels"))
        if isinstance(spec, dict):
            yield path, spec, labels if isinstance(labels, dict) else {}


def containers(res: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, container) for every container and init container of every pod template."""
    for path, spec, _ in pod_templates(res):
        for key in ("initContainers", "containers", "ephemeralContainers"):
            items = spec.get(key)
            if isinstance(items, list):
                for i, c in enumerate(items):
                    if isinstance(c, dict):
                        yield path + (key, i), c


def namespace_of(obj: Any) -> str:
    ns = get_path(obj, ("metadata", "namespace"))
    return ns if isinstance(ns, str) and ns else "default"


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
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            check_node_budget(node)
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
        meta={"namespace": ns, "name": name, "api_version": api, "pod_specs": pod_specs},
        roles=(WORKLOAD,) if pod_specs else (),
    )


def _selector_matches(selector: Any, labels: dict[Any, Any]) -> bool:
    if not isinstance(selector, dict) or not selector:
        return False
    match_labels = selector.get("matchLabels") if "matchLabels" in selector or "matchExpressions" in selector else selector
    if isinstance(match_labels, dict):
        for k, v in match_labels.items():
            if labels.get(k) != v:
                return False
    expressions = selector.get("matchExpressions") if "matchExpressions" in selector else None
    for expr in expressions if isinstance(expressions, list) else []:
        if not isinstance(expr, dict):
            return False
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
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


def ingress_backends(res: Resource) -> Iterator[tuple[Path, str, Any]]:
    """(path, service name, port) of every backend of an Ingress (networking/v1 and older)."""
    spec = res.attrs.get("spec")
    if not isinstance(spec, dict):
        return

    def one(path: Path, backend: Any) -> Iterator[tuple[Path, str, Any]]:
        if not isinstance(backend, dict):
            return
        svc = backend.get("service")
        if isinstance(svc, dict) and isinstance(svc.get("name"), str):
            port = svc.get("port")
            yield path, svc["name"], (port.get("number") or port.get("name")) if isinstance(port, dict) else None
        elif isinstance(backend.get("serviceName"), str):
            yield path, backend["serviceName"], backend.get("servicePort")

    for key in ("defaultBackend", "backend"):
        yield from one(("spec", key), spec.get(key))
    rules = spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        paths = get_path(rule, ("http", "paths"))
        for j, p in enumerate(paths if isinstance(paths, list) else []):
            if isinstance(p, dict):
                yield from one(("spec", "rules", i, "http", "paths", j, "backend"), p.get("backend"))


def link(resources: list[Resource]) -> None:
    """Add the Kubernetes edges (selectors, backends, bindings), per directory.

    Manifests that are deployed together live together (one directory, or one stream on
    standard input); linking across directories would join unrelated examples that happen
    to share names and labels."""
    by_dir: dict[str, list[Resource]] = {}
    for res in resources:
        # a rendering (an overlay, a chart) is deployed together whatever files wrote it
        by_dir.setdefault(res.meta.get("link_group") or os.path.dirname(res.span.file), []).append(res)
    for group in by_dir.values():
        _link_group(group)


def _link_group(resources: list[Resource]) -> None:
    workloads: dict[str, list[Resource]] = {}
    by_name: dict[tuple[str, str, str], Resource] = {}
    for res in resources:
        ns = res.meta["namespace"]
        if pod_spec_paths(res):
            workloads.setdefault(ns, []).append(res)
        cluster_scoped = res.type in ("ClusterRole", "ClusterRoleBinding", "Namespace")
        by_name.setdefault((res.type, "" if cluster_scoped else ns, res.meta["name"]), res)
    for res in resources:
        ns = res.meta["namespace"]
        refs: dict[str, set[str]] = {}
        if res.type == "Service":
            selector = get_path(res.attrs, ("spec", "selector"))
            if isinstance(selector, dict) and selector:
                refs["selector"] = {w.id for w in workloads.get(ns, []) if _selects(selector, w)}
        elif res.type == "Ingress":
            refs["backend"] = {by_name[("Service", ns, name)].id for _, name, _ in ingress_backends(res) if ("Service", ns, name) in by_name}
        elif res.type in ("RoleBinding", "ClusterRoleBinding"):
            role = get_path(res.attrs, ("roleRef",))
            if isinstance(role, dict):
                kind, name = role.get("kind"), role.get("name")
                key = (str(kind), "" if kind == "ClusterRole" else ns, str(name))
                if key in by_name:
                    refs["roleRef"] = {by_name[key].id}
            subjects = get_path(res.attrs, ("subjects",))
            for s in subjects if isinstance(subjects, list) else []:
                if isinstance(s, dict) and s.get("kind") == "ServiceAccount":
                    key = ("ServiceAccount", str(s.get("namespace") or ns), str(s.get("name")))
                    if key in by_name:
                        refs.setdefault("subjects", set()).add(by_name[key].id)
        elif res.type == "NetworkPolicy":
            selector = get_path(res.attrs, ("spec", "podSelector"))
            if isinstance(selector, dict):
                # an empty podSelector selects every pod of the namespace
                refs["podSelector"] = {w.id for w in workloads.get(ns, []) if not selector or _selects(selector, w)}
        for _, spec, _ in pod_templates(res):
            sa = spec.get("serviceAccountName")
            if isinstance(sa, str) and ("ServiceAccount", ns, sa) in by_name:
                refs.setdefault("serviceAccountName", set()).add(by_name[("ServiceAccount", ns, sa)].id)
        res.refs = {k: frozenset(v - {res.id}) for k, v in refs.items() if v - {res.id}}

