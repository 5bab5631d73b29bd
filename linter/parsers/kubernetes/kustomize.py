"""Kustomize overlays rendered in Python, for the common subset of kustomization fields.

Every ``kustomization.yaml`` (``.yml``, ``Kustomization``) of ``kind: Kustomization`` found
in a scan is rendered: its ``resources`` (files and folders, nested bases, built first and
copied), its ``components``, its generators' objects, then the transformations in
kustomize's order: ``patchesStrategicMerge``, ``patches`` (strategic merge and JSON 6902,
by target selector), ``namespace``, ``namePrefix``/``nameSuffix``, ``commonLabels`` and
``labels``, ``commonAnnotations``, ``patchesJson6902``, ``replicas``, ``images``; last the
name references (a renamed Service in an Ingress backend, a generated ConfigMap in a pod)
and the generators' hash suffixes.

Values keep the span of the place that wrote them: an entry a patch set carries the
patch's span, every other entry the base file's, so a finding points at the line that
decided the value. :func:`_origins` gives the other file for the evidence: the base's
line when a patch decided, the overlay's kustomization otherwise.

What is not rendered is said in a note on the kustomization (remote bases, ``helmCharts``,
``replacements``, ``transformers``…), never passed over in silence. Files a rendering reads
are not scanned again on their own: they are the rendering's input.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from linter.graph import Resource
from linter.internal import internal_error
from linter.model import Evidence, Finding, InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.parsers.kubernetes import _documents, _objects, _resource, find_pod_specs, get_path, link, read_yaml
from linter.sources import SourceError, looked_at, read_source, source_problem
from linter.values import PDict, PList, display

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# fields that are read; any other top-level field gets a note
SUPPORTED = frozenset({
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "patches", "patchesStrategicMerge",
    "patchesJson6902", "namespace", "namePrefix", "nameSuffix", "commonLabels", "labels", "commonAnnotations",
    "images", "replicas", "configMapGenerator", "secretGenerator", "generatorOptions", "sortOptions", "buildMetadata",
    "transformers",
})
# kinds that live outside namespaces (kustomize's namespace transformer leaves them alone)
CLUSTER_SCOPED = frozenset({
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "StorageClass",
    "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "Node",
    "CSIDriver", "CSINode", "IngressClass", "RuntimeClass", "VolumeAttachment", "ClusterIssuer",
    "PodSecurityPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "GatewayClass",
})
# list fields merged item by item in a strategic merge (by this key); other lists are replaced
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name", "volumes": "name",
    "volumeMounts": "mountPath", "imagePullSecrets": "name", "hostAliases": "ip", "volumeDevices": "devicePath",
}
REPLICATED = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"})
MAX_DEPTH = 30  # nested bases
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|//.*\?|\.git(?:/|$)")


class KustomizeError(Exception):
    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


class KObj(Struct):
    """One object in a rendering, with what the rendering knows about it."""

    obj: PDict
    source: PDict  # the object as written in its file, before any kustomization changed it
    names: set[str] = field(default_factory=set)  # every name it had (patch targets match any)
    stem: str = ""  # a generated object's name before its hash suffix
    hashed: bool = False

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else ""

    def copy(self) -> KObj:
        return KObj(_copy(self.obj), self.source, set(self.names), self.stem, self.hashed)


class Build(Struct):
    objects: list[KObj] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every file the rendering read


# ----------------------------------------------------------------------------- values


def _copy(value: Any) -> Any:
    """A deep copy that keeps every span."""
    if isinstance(value, PDict):
        out = PDict({k: _copy(v) for k, v in value.items()}, span=value.span)
        out.spans = dict(value.spans)
        return out
    if isinstance(value, PList):
        return PList([_copy(v) for v in value], span=value.span, spans=value.spans)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set(node: PDict, key: str, value: Any, span: Span | None) -> None:
    node[key] = value
    if span is not None:
        node.spans[key] = span


def _child(node: PDict, key: str, span: Span | None) -> PDict:
    """``node[key]`` as a mapping, created (at ``span``) when missing."""
    value = node.get(key)
    if not isinstance(value, PDict):
        value = PDict(value if isinstance(value, dict) else {}, span=span)
        _set(node, key, value, span)
    return value


def _delete(node: Any, key: Any) -> None:
    if isinstance(node, PDict):
        node.pop(key, None)
        node.spans.pop(key, None)
    elif isinstance(node, PList) and isinstance(key, int) and 0 <= key < len(node):
        del node[key]
        if key < len(node.spans):
            del node.spans[key]


# ----------------------------------------------------------------------------- reading


def _problem(out: Build, problem: object) -> None:
    if isinstance(problem, InputError):
        out.errors.append(problem)
    elif isinstance(problem, Note):
        out.notes.append(problem)


class Reader:
    """Files read once per scan (a base used by three overlays is parsed once)."""

    def __init__(self, max_bytes: int, overrides: dict[str, str] | None) -> None:
        self.max_bytes = max_bytes
        self.overrides = overrides or {}
        self.texts: dict[str, str] = {}
        self.built: dict[str, Build] = {}

    def text(self, path: str) -> str:
        if path not in self.texts:
            self.texts[path] = self.overrides[path] if path in self.overrides else read_source(path, self.max_bytes)
        return self.texts[path]

    def documents(self, path: str, out: ParseOutput) -> list[PDict]:
        return [o for doc in _documents(self.text(path), path, out) for o in _objects(doc)]


def kustomization_file(directory: str) -> str | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = os.path.normpath(os.path.join(directory, name))
        looked_at(candidate)
        if os.path.isfile(candidate):
            return candidate
    return None


def _read_kustomization(path: str, reader: Reader) -> PDict:
    docs, error, _ = read_yaml(reader.text(path), path)
    if error is not None:
        raise KustomizeError(error.message, Span(path, error.line, error.column))
    value = docs[0] if docs else PDict(span=Span(path, 1))
    if not isinstance(value, PDict):
        raise KustomizeError("a kustomization must be a mapping", Span(path, 1))
    return value


def _entry_span(node: Any, key: Any, fallback: Span) -> Span:
    if isinstance(node, PDict) and key in node.spans:
        return node.spans[key] or fallback
    if isinstance(node, PList) and isinstance(key, int) and 0 <= key < len(node.spans):
        return node.spans[key] or fallback
    return fallback


def _strings(k: PDict, key: str, build: Build) -> Iterator[tuple[str, Span]]:
    """(text, span) of each entry of a list-of-strings field."""
    items = k.get(key)
    here = _entry_span(k, key, k.span)
    if items is None:
        return
    if not isinstance(items, list):
        build.errors.append(InputError(here.file, here.line, here.column, f"kustomization field {key} must be a list"))
        return
    for i, item in enumerate(items):
        span = _entry_span(items, i, here)
        if isinstance(item, str):
            yield item, span
        else:
            build.errors.append(InputError(span.file, span.line, span.column, f"an entry of {key} must be a string"))


# ----------------------------------------------------------------------------- building


def build(directory: str, reader: Reader, stack: tuple[str, ...] = ()) -> Build:
    """Render the kustomization in ``directory`` (memoised per scan)."""
    directory = os.path.normpath(directory)
    if directory in reader.built:
        return reader.built[directory]
    if directory in stack:
        raise KustomizeError(f"kustomizations refer to each other in a cycle: {' -> '.join(stack + (directory,))}")
    if len(stack) > MAX_DEPTH:
        raise KustomizeError(f"bases nested more than {MAX_DEPTH} deep")
    path = kustomization_file(directory)
    if path is None:
        raise KustomizeError(f"{directory} has no kustomization.yaml")
    out = Build()
    out.files.add(path)
    k = _read_kustomization(path, reader)
    if k.get("kind") == "Component":
        raise KustomizeError(f"{path} is a Component: list it under components, not resources", k.spans.get("kind"))
    _apply(k, path, [], reader, out, stack + (directory,))
    _finish(out)
    reader.built[directory] = out
    return out


def _apply(k: PDict, path: str, objects: list[KObj], reader: Reader, out: Build, stack: tuple[str, ...]) -> None:
    """Apply one kustomization (or component) to ``objects`` (what came before it) into ``out``."""
    directory = os.path.dirname(path)
    for key in k:
        if key not in SUPPORTED:
            span = _entry_span(k, key, k.span)
            out.notes.append(Note(path, span.line, f"kustomize field {key!r} is not applied by seawall; the objects are scanned without it"))
    out.objects = objects
    for field_name in ("resources", "bases"):
        for entry, span in _strings(k, field_name, out):
            _add_resource(entry, span, directory, reader, out, stack)
    for entry, span in _strings(k, "components", out):
        _add_component(entry, span, directory, reader, out, stack)
    _generate(k, path, directory, reader, out)
    _patch_strategic(k, directory, reader, out)
    _patches(k, directory, reader, out)
    _namespace(k, out)
    _prefix_suffix(k, out)
    _labels(k, out)
    _annotations(k, out)
    _patches_json6902(k, directory, reader, out)
    _replicas(k, out)
    _images(k, out)
    _transformers(k, directory, reader, out)


def _read_file(target: str, reader: Reader, out: Build) -> list[PDict] | None:
    """The objects of a file the rendering reads, its problems recorded; None when unreadable."""
    part = ParseOutput()
    try:
        docs = reader.documents(target, part)
    except SourceError as exc:
        _problem(out, source_problem(target, exc))
        return None
    out.errors.extend(part.errors)
    out.notes.extend(part.notes)
    out.files.add(target)
    return docs


def _add_resource(entry: str, span: Span, directory: str, reader: Reader, out: Build, stack: tuple[str, ...]) -> None:
    if _REMOTE.search(entry):
        out.notes.append(Note(span.file, span.line, f"remote resource {entry} is not fetched (seawall does not use the network): its objects are not scanned"))
        return
    target = os.path.normpath(os.path.join(directory, entry))
    looked_at(target)
    if os.path.isdir(target):
        try:
            base = build(target, reader, stack)
        except KustomizeError as exc:
            where = exc.span or span
            out.errors.append(InputError(where.file, where.line, where.column, exc.message))
            return
        out.objects.extend(o.copy() for o in base.objects)
        out.files |= base.files
        return
    if not os.path.isfile(target) and target not in reader.overrides:
        out.errors.append(InputError(span.file, span.line, span.column, f"kustomize resource {entry} not found"))
        return
    docs = _read_file(target, reader, out)
    for obj in docs or []:
        if isinstance(obj.get("kind"), str):
            kobj = KObj(_copy(obj), obj)
            kobj.names.add(kobj.name)
            out.objects.append(kobj)


def _add_component(entry: str, span: Span, directory: str, reader: Reader, out: Build, stack: tuple[str, ...]) -> None:
    if _REMOTE.search(entry):
        out.notes.append(Note(span.file, span.line, f"remote component {entry} is not fetched (seawall does not use the network): it is not applied"))
        return
    target = os.path.normpath(os.path.join(directory, entry))
    looked_at(target)
    path = kustomization_file(target) if os.path.isdir(target) else None
    if path is None:
        out.errors.append(InputError(span.file, span.line, span.column, f"kustomize component {entry} not found (a folder with a kustomization.yaml)"))
        return
    if target in stack:
        out.errors.append(InputError(span.file, span.line, span.column, f"component {entry} refers back to itself"))
        return
    try:
        k = _read_kustomization(path, reader)
    except KustomizeError as exc:
        where = exc.span or span
        out.errors.append(InputError(where.file, where.line, where.column, exc.message))
        return
    out.files.add(path)
    _apply(k, path, out.objects, reader, out, stack + (target,))


# ----------------------------------------------------------------------------- selecting


def _group_version(obj: PDict) -> tuple[str, str]:
    api = obj.get("apiVersion")
    api = api if isinstance(api, str) else ""
    group, _, version = api.rpartition("/")
    return group, version


def _matches(kobj: KObj, target: Any) -> bool:
    """A patch target selector (group, version, kind, name, namespace, label and annotation selectors)."""
    if not isinstance(target, dict):
        return False
    group, version = _group_version(kobj.obj)
    for key, actual in (("group", group), ("version", version), ("kind", kobj.kind), ("namespace", _namespace_value(kobj))):
        wanted = target.get(key)
        if wanted is not None and not _regex_match(str(wanted), actual):
            return False
    name = target.get("name")
    if name is not None and not any(_regex_match(str(name), n) for n in kobj.names | {kobj.name}):
        return False
    for key, where in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if isinstance(selector, str) and not _label_selector(selector, _meta(kobj.obj, where)):
            return False
    return True


def _regex_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _namespace_value(kobj: KObj) -> str:
    ns = _meta(kobj.obj, "namespace")
    return ns if isinstance(ns, str) else ""


def _meta(obj: PDict, key: str) -> Any:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    if key in ("labels", "annotations"):
        return value if isinstance(value, dict) else {}
    return value


def _label_selector(selector: str, labels: dict[str, Any]) -> bool:
    """``a=b,c!=d,e,!f,g in (h,i),j notin (k)`` against labels."""
    for term in re.findall(r"[^,(]+(?:\([^)]*\))?", selector):
        term = term.strip()
        m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term)
        if not term:
            continue
        if m:
            values = {v.strip() for v in m.group(3).split(",")}
            inside = m.group(1) in labels and str(labels[m.group(1)]) in values
            if inside != (m.group(2) == "in"):
                return False
            continue
        m = re.fullmatch(r"([\w./-]+)\s*(!=|==|=)\s*(.*)", term)
        if m:
            equal = m.group(1) in labels and str(labels[m.group(1)]) == m.group(3).strip()
            if equal != (m.group(2) != "!="):
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


# ----------------------------------------------------------------------------- patches


def _patch_docs(text_or_path: str, span: Span, directory: str, reader: Reader, out: Build, inline: bool) -> list[Any]:
    """The documents of a patch given as a file path or as inline text (positioned in the
    kustomization, so a finding points at the patch's line there)."""
    if inline:
        return _inline_docs(text_or_path, span, reader, out)
    target = os.path.normpath(os.path.join(directory, text_or_path))
    looked_at(target)
    if not os.path.isfile(target) and target not in reader.overrides:
        out.errors.append(InputError(span.file, span.line, span.column, f"kustomize patch {text_or_path} not found"))
        return []
    part = ParseOutput()
    try:
        text = reader.text(target)
    except SourceError as exc:
        _problem(out, source_problem(target, exc))
        return []
    docs = _documents(text, target, part)
    out.errors.extend(part.errors)
    out.files.add(target)
    return list(docs) if docs else _json_patch_list(text, target)


def _json_patch_list(text: str, path: str) -> list[Any]:
    """A file holding a JSON 6902 list (a YAML sequence at the top)."""
    docs, _, _ = read_yaml(text, path)
    return [d for d in docs[:1] if isinstance(d, PList)]


def _inline_docs(text: str, span: Span, reader: Reader, out: Build) -> list[Any]:
    """Inline patch text, positioned where it is written: a block scalar (``patch: |``)
    starts on the next line, indented; other forms are placed on the key's line."""
    lines = reader.texts.get(span.file, "").split("\n")
    key_line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
    after = key_line.split(":", 1)[1].strip() if ":" in key_line else ""
    first, indent = span.line, 0
    if after.startswith(("|", ">")):
        first = span.line + 1
        for raw in lines[span.line:]:
            if raw.strip():
                indent = len(raw) - len(raw.lstrip(" "))
                break

        def mapper(line: int, col: int) -> tuple[int, int]:
            return first + line, col + 1 + indent
    else:

        def mapper(line: int, col: int) -> tuple[int, int]:
            return span.line, span.column

    docs, error, _ = read_yaml(text, span.file, mapper)
    if error is not None:
        out.errors.append(InputError(error.file, error.line, error.column, f"inline patch: {error.message}"))
    return docs


def _patch_strategic(k: PDict, directory: str, reader: Reader, out: Build) -> None:
    items = k.get("patchesStrategicMerge")
    if not isinstance(items, list):
        return
    here = _entry_span(k, "patchesStrategicMerge", k.span)
    for i, item in enumerate(items):
        span = _entry_span(items, i, here)
        if not isinstance(item, str):
            continue
        inline = "\n" in item or item.lstrip().startswith(("apiVersion", "kind", "{"))
        for doc in _patch_docs(item, span, directory, reader, out, inline):
            if isinstance(doc, PDict):
                _apply_smp(doc, None, span, out)


def _patches(k: PDict, directory: str, reader: Reader, out: Build, field: str = "patches") -> None:
    items = k.get(field)
    if not isinstance(items, list):
        return
    here = _entry_span(k, field, k.span)
    for i, item in enumerate(items):
        span = _entry_span(items, i, here)
        if isinstance(item, str):
            item = PDict({"path": item}, span=span)
            item.spans["path"] = span
        if not isinstance(item, PDict):
            out.errors.append(InputError(span.file, span.line, span.column, f"a {field} entry must be a mapping with path or patch"))
            continue
        if isinstance(item.get("options"), dict) and any(item["options"].get(o) for o in ("allowNameChange", "allowKindChange")):
            out.notes.append(Note(span.file, span.line, "patch options allowNameChange/allowKindChange are not applied by seawall"))
        if isinstance(item.get("patch"), str):
            docs = _patch_docs(item["patch"], _entry_span(item, "patch", span), directory, reader, out, inline=True)
        elif isinstance(item.get("path"), str):
            docs = _patch_docs(item["path"], _entry_span(item, "path", span), directory, reader, out, inline=False)
        else:
            out.errors.append(InputError(span.file, span.line, span.column, f"a {field} entry needs path or patch"))
            continue
        target = item.get("target")
        for doc in docs:
            if isinstance(doc, list):
                if not isinstance(target, dict):
                    out.errors.append(InputError(span.file, span.line, span.column, "a JSON 6902 patch needs a target"))
                    continue
                for kobj in [o for o in out.objects if _matches(o, target)]:
                    _json6902(kobj, doc, span, out)
            elif isinstance(doc, PDict):
                _apply_smp(doc, target if isinstance(target, dict) else None, span, out)


def _patches_json6902(k: PDict, directory: str, reader: Reader, out: Build) -> None:
    """``patchesJson6902`` entries have the shape of ``patches`` entries (a target, a path or
    an inline patch); kustomize applies them later, after the name and label changes."""
    _patches(k, directory, reader, out, "patchesJson6902")


def _apply_smp(patch: PDict, target: dict[str, Any] | None, span: Span, out: Build) -> None:
    """A strategic merge patch onto its target (by selector), or onto the object with its
    own kind and name."""
    if target is None:
        name = _meta(patch, "name")
        ns = _meta(patch, "namespace")
        selector: dict[str, Any] = {"kind": patch.get("kind")}
        group, _ = _group_version(patch)
        if group:
            selector["group"] = re.escape(group)
        if isinstance(name, str):
            selector["name"] = re.escape(name)
        if isinstance(ns, str):
            selector["namespace"] = re.escape(ns)
        matched = [o for o in out.objects if _matches(o, selector)]
        if not matched:
            where = patch.span or span
            out.errors.append(InputError(where.file, where.line, where.column, f"patch target {patch.get('kind')}/{name} not found among the kustomization's resources"))
            return
    else:
        matched = [o for o in out.objects if _matches(o, target)]
    body = PDict({k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}, span=patch.span)
    body.spans = {k: v for k, v in patch.spans.items() if k in body}
    meta = body.get("metadata")
    if isinstance(meta, PDict):
        stripped = PDict({k: v for k, v in meta.items() if k not in ("name", "namespace")}, span=meta.span)
        stripped.spans = {k: v for k, v in meta.spans.items() if k in stripped}
        body["metadata"] = stripped
    for kobj in matched:
        if body.get("$patch") == "delete":
            out.objects = [o for o in out.objects if o is not kobj]
            continue
        _smp(kobj.obj, body)


_DELETE = object()


def _smp(base: PDict, patch: PDict) -> Any:
    """Strategic merge of ``patch`` into ``base`` (in place); returns the result, or _DELETE."""
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        replaced = _copy(patch)
        _delete(replaced, "$patch")
        return replaced
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if not isinstance(key, str):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(base.get(name), list) and isinstance(value, list):
                kept = [(v, s) for v, s in zip(base[name], _spans_of(base[name])) if v not in value]
                base[name] = PList([v for v, _ in kept], span=getattr(base[name], "span", None), spans=[s for _, s in kept])
            continue
        if key.startswith("$"):
            continue
        span = patch.spans.get(key)
        if value is None:
            _delete(base, key)
            continue
        current = base.get(key)
        if isinstance(current, PDict) and isinstance(value, PDict):
            merged = _smp(current, value)
            if merged is _DELETE:
                _delete(base, key)
            elif merged is not current:
                _set(base, key, merged, span)
        elif isinstance(current, list) and isinstance(value, list) and (key in MERGE_KEYS or key == "ports"):
            _set(base, key, _merge_list(current, value, key), None)
        elif isinstance(value, PDict) and value.get("$patch") == "delete":
            _delete(base, key)
        else:
            clean = _copy(value)
            if isinstance(clean, PDict):
                _delete(clean, "$patch")
            _set(base, key, clean, span)
    if isinstance(retain, list):
        for key in [k for k in base if k not in retain]:
            _delete(base, key)
    return base


def _spans_of(items: list[Any]) -> list[Any]:
    spans = list(items.spans) if isinstance(items, PList) else []
    return spans + [None] * (len(items) - len(spans))


def _merge_key(key: str, base: list[Any], patch: list[Any]) -> str | None:
    if key == "ports":
        items = [i for i in base + patch if isinstance(i, dict)]
        if any("containerPort" in i for i in items):
            return "containerPort"
        return "port" if any("port" in i for i in items) else None
    return MERGE_KEYS.get(key)


def _merge_list(base: list[Any], patch: list[Any], key: str) -> PList:
    """A list merged item by item on its merge key (``containers`` by ``name``…)."""
    merge_key = _merge_key(key, base, patch)
    items, spans = list(base), _spans_of(base)
    patch_spans = _spans_of(patch)
    if merge_key is None or not all(isinstance(i, dict) for i in patch):
        return PList(_copy(patch), span=getattr(patch, "span", None), spans=patch_spans)
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        kept = [(i, s) for i, s in zip(patch, patch_spans) if i.get("$patch") != "replace"]
        return PList([_copy(i) for i, _ in kept], span=getattr(patch, "span", None), spans=[s for _, s in kept])
    # kustomize's order: the patch's items first (merged with the base item of the same
    # key), then the base items the patch does not name, in their order
    merged_items: list[Any] = []
    merged_spans: list[Any] = []
    named: set[int] = set()
    for item, span in zip(patch, patch_spans):
        wanted = item.get(merge_key)
        index = next((n for n, b in enumerate(items) if isinstance(b, dict) and b.get(merge_key) == wanted), None)
        if index is not None:
            named.add(index)
        if item.get("$patch") == "delete":
            continue
        if index is not None and isinstance(items[index], PDict) and isinstance(item, PDict):
            merged_items.append(_smp(items[index], item))
            merged_spans.append(spans[index])
        else:
            clean = _copy(item)
            _delete(clean, "$patch")
            merged_items.append(clean)
            merged_spans.append(span)
    for n, (item, span) in enumerate(zip(items, spans)):
        if n not in named:
            merged_items.append(item)
            merged_spans.append(span)
    return PList(merged_items, span=getattr(base, "span", None), spans=merged_spans)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise KustomizeError(f"JSON patch path {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(root: Any, parts: list[str]) -> Any:
    node = root
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                raise KustomizeError(f"path /{'/'.join(parts)} does not exist")
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KustomizeError(f"path /{'/'.join(parts)} does not exist")
            node = node[int(part)]
        else:
            raise KustomizeError(f"path /{'/'.join(parts)} does not exist")
    return node


def _json6902(kobj: KObj, ops: list[Any], span: Span, out: Build) -> None:
    for op in ops:
        if not isinstance(op, PDict):
            continue
        where = op.span or span
        try:
            _one_op(kobj.obj, op)
        except KustomizeError as exc:
            out.errors.append(InputError(where.file, where.line, where.column, f"JSON patch {op.get('op')} {op.get('path')} on {kobj.kind}/{kobj.name}: {exc.message}"))


def _one_op(root: PDict, op: PDict) -> None:
    kind, path = op.get("op"), op.get("path")
    if not isinstance(path, str):
        raise KustomizeError("an operation needs a path")
    parts = _pointer(path)
    if not parts:
        raise KustomizeError("the whole object cannot be replaced")
    parent = _resolve(root, parts[:-1])
    last = parts[-1]
    if kind in ("add", "replace"):
        _put(parent, last, _copy(op.get("value")), op.spans.get("value") or op.span, insert=kind == "add")
    elif kind == "remove":
        _resolve(parent, [last])
        _delete(parent, int(last) if isinstance(parent, list) else last)
    elif kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise KustomizeError(f"{kind} needs from")
        from_parts = _pointer(source)
        value = _resolve(root, from_parts)
        from_parent = _resolve(root, from_parts[:-1])
        value_span = _entry_span(from_parent, int(from_parts[-1]) if isinstance(from_parent, list) else from_parts[-1], op.span)
        if kind == "move":
            _delete(from_parent, int(from_parts[-1]) if isinstance(from_parent, list) else from_parts[-1])
        _put(parent, last, _copy(value), value_span, insert=True)
    elif kind == "test":
        if _resolve(parent, [last]) != op.get("value"):
            raise KustomizeError("test failed")
    else:
        raise KustomizeError(f"unknown operation {kind!r}")


def _put(parent: Any, last: str, value: Any, span: Span | None, insert: bool) -> None:
    if isinstance(parent, PDict):
        if not insert and last not in parent:
            raise KustomizeError(f"{last} does not exist")
        _set(parent, last, value, span)
    elif isinstance(parent, PList):
        spans = _spans_of(parent)
        if last == "-" and insert:
            parent.append(value)
            parent.spans = spans + [span]
            return
        if not last.isdigit() or int(last) > len(parent) or (not insert and int(last) >= len(parent)):
            raise KustomizeError(f"index {last} is out of range")
        index = int(last)
        if insert:
            parent.insert(index, value)
            spans.insert(index, span)
        else:
            parent[index] = value
            spans[index] = span
        parent.spans = spans
    else:
        raise KustomizeError("the parent is not a mapping or a list")


# ----------------------------------------------------------------------------- transformers


def _namespace(k: PDict, out: Build) -> None:
    ns = k.get("namespace")
    if not isinstance(ns, str) or not ns:
        return
    span = _entry_span(k, "namespace", k.span)
    for kobj in out.objects:
        if kobj.kind == "Namespace":
            _set(_child(kobj.obj, "metadata", span), "name", ns, span)  # kustomize renames it
            kobj.names.add(ns)
            continue
        if kobj.kind in CLUSTER_SCOPED:
            if kobj.kind == "ClusterRoleBinding":
                _subjects_namespace(kobj, ns, span)
            continue
        _set(_child(kobj.obj, "metadata", span), "namespace", ns, span)
        if kobj.kind == "RoleBinding":
            _subjects_namespace(kobj, ns, span)


def _subjects_namespace(kobj: KObj, ns: str, span: Span) -> None:
    """ServiceAccount subjects in the ``default`` namespace move with the namespace, as
    kustomize moves them (a subject with no namespace, or another one, stays)."""
    subjects = kobj.obj.get("subjects")
    for s in subjects if isinstance(subjects, list) else []:
        if isinstance(s, PDict) and s.get("kind") == "ServiceAccount" and s.get("namespace") == "default":
            _set(s, "namespace", ns, span)


def _prefix_suffix(k: PDict, out: Build) -> None:
    prefix, suffix = k.get("namePrefix"), k.get("nameSuffix")
    prefix = prefix if isinstance(prefix, str) else ""
    suffix = suffix if isinstance(suffix, str) else ""
    if not prefix and not suffix:
        return
    span = _entry_span(k, "namePrefix" if prefix else "nameSuffix", k.span)
    for kobj in out.objects:
        if kobj.kind in ("Namespace", "CustomResourceDefinition"):
            continue
        meta = _child(kobj.obj, "metadata", span)
        if kobj.stem:
            kobj.stem = prefix + kobj.stem + suffix
        name = meta.get("name")
        if isinstance(name, str):
            _set(meta, "name", prefix + name + suffix, span)
            kobj.names.add(prefix + name + suffix)


def _label_pairs(k: PDict) -> Iterator[tuple[dict[str, Any], bool, bool, Span]]:
    """(labels, include selectors, include templates, span) of commonLabels and labels."""
    common = k.get("commonLabels")
    if isinstance(common, dict) and common:
        yield common, True, True, _entry_span(k, "commonLabels", k.span)
    items = k.get("labels")
    here = _entry_span(k, "labels", k.span)
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and isinstance(item.get("pairs"), dict):
            selectors = item.get("includeSelectors") is True
            yield item["pairs"], selectors, selectors or item.get("includeTemplates") is True, _entry_span(items, i, here)


def _labels(k: PDict, out: Build) -> None:
    for pairs, selectors, templates, span in _label_pairs(k):
        for kobj in out.objects:
            targets = [_child(_child(kobj.obj, "metadata", span), "labels", span)]
            if templates:
                targets.extend(_child(meta, "labels", span) for meta in _template_metadata(kobj, span))
            if selectors:
                spec = kobj.obj.get("spec")
                if isinstance(spec, PDict):
                    if kobj.kind in ("Service", "ReplicationController"):
                        targets.append(_child(spec, "selector", span))
                    elif kobj.kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"):
                        if kobj.kind != "Job" or "selector" in spec:
                            targets.append(_child(_child(spec, "selector", span), "matchLabels", span))
                    elif kobj.kind == "NetworkPolicy":
                        targets.append(_child(_child(spec, "podSelector", span), "matchLabels", span))
            for target in targets:
                for key, value in pairs.items():
                    _set(target, str(key), str(value) if not isinstance(value, str) else value, span)


# where kustomize's label and annotation transformers reach inside the built-in kinds
# (a custom resource's template is left alone, as kustomize leaves it)
TEMPLATE_METADATA: dict[str, tuple[Path, ...]] = {
    **{kind: (("spec", "template"),) for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController")},
    "CronJob": (("spec", "jobTemplate"), ("spec", "jobTemplate", "spec", "template")),
}


def _template_metadata(kobj: KObj, span: Span) -> list[PDict]:
    out = []
    for path in TEMPLATE_METADATA.get(kobj.kind, ()):
        node: Any = kobj.obj
        for part in path:
            node = _child(node, str(part), span) if isinstance(node, PDict) else None
        if isinstance(node, PDict):
            out.append(_child(node, "metadata", span))
    return out


def _annotations(k: PDict, out: Build) -> None:
    pairs = k.get("commonAnnotations")
    if not isinstance(pairs, dict) or not pairs:
        return
    span = _entry_span(k, "commonAnnotations", k.span)
    for kobj in out.objects:
        targets = [_child(_child(kobj.obj, "metadata", span), "annotations", span)]
        targets.extend(_child(meta, "annotations", span) for meta in _template_metadata(kobj, span))
        for target in targets:
            for key, value in pairs.items():
                _set(target, str(key), value if isinstance(value, str) else str(value), span)


def _named_entries(k: PDict, key: str) -> Iterator[tuple[dict[str, Any], Span]]:
    """(entry, span) of each entry of a list of mappings with a ``name`` (images, replicas)."""
    items = k.get(key)
    here = _entry_span(k, key, k.span)
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            yield item, _entry_span(items, i, here)


def _replicas(k: PDict, out: Build) -> None:
    for item, span in _named_entries(k, "replicas"):
        for kobj in out.objects:
            if kobj.kind in REPLICATED and item["name"] in kobj.names | {kobj.name}:
                _set(_child(kobj.obj, "spec", span), "replicas", item.get("count"), span)


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of a container image reference."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def _images(k: PDict, out: Build) -> None:
    for item, span in _named_entries(k, "images"):
        for kobj in out.objects:
            for path in find_pod_specs(kobj.obj, kobj.kind):
                spec = get_path(kobj.obj, path)
                for key in ("initContainers", "containers"):
                    for c in spec.get(key) or [] if isinstance(spec, dict) else []:
                        if isinstance(c, PDict) and isinstance(c.get("image"), str):
                            new = _new_image(c["image"], item)
                            if new is not None:
                                _set(c, "image", new, span)


def _new_image(image: str, item: dict[str, Any]) -> str | None:
    name, tag, digest = split_image(image)
    if name != item["name"]:
        return None
    new_name = str(item["newName"]) if isinstance(item.get("newName"), str) else name
    if item.get("digest") is not None:
        return f"{new_name}@{item['digest']}"
    if item.get("newTag") is not None:
        tag, digest = str(item["newTag"]), ""
    if item.get("tagSuffix") is not None and tag:
        tag = tag + str(item["tagSuffix"])
    return new_name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _transformers(k: PDict, directory: str, reader: Reader, out: Build) -> None:
    """``transformers:`` files holding kustomize's built-in transformer configurations, each
    applied as the kustomization field it stands for. Any other transformer (a plugin, a
    KRM function) is a note: seawall runs no code from the scanned repository."""
    for entry, span in _strings(k, "transformers", out):
        target = os.path.normpath(os.path.join(directory, entry))
        looked_at(target)
        if "\n" in entry or not os.path.isfile(target):
            out.notes.append(Note(span.file, span.line, "inline or remote transformer is not applied by seawall; the objects are scanned without it"))
            continue
        for config in _read_file(target, reader, out) or []:
            field = _builtin_field(config)
            if field is None:
                where = config.spans.get("kind") or span
                out.notes.append(Note(where.file, where.line, f"transformer {config.get('apiVersion')}/{config.get('kind')} is not applied by seawall (only kustomize's built-in ones are); the objects are scanned without it"))
                continue
            _apply_transformer(field, directory, reader, out)


def _builtin_field(config: PDict) -> PDict | None:
    """A built-in transformer configuration as the kustomization field it stands for."""
    if config.get("apiVersion") != "builtin":
        return None
    kind = config.get("kind")
    span = config.span
    out = PDict(span=span)

    def put(key: str, value: Any, at: str) -> None:
        out[key] = value
        out.spans[key] = config.spans.get(at, span)

    specs = " ".join(str(f.get("path", "")) for f in config.get("fieldSpecs") or [] if isinstance(f, dict))
    if kind == "LabelTransformer" and isinstance(config.get("labels"), dict):
        selectors = "selector" in specs
        put("labels", PList([{"pairs": config["labels"], "includeSelectors": selectors, "includeTemplates": selectors or "template" in specs}], span=span, spans=[config.spans.get("labels", span)]), "labels")
    elif kind == "AnnotationsTransformer" and isinstance(config.get("annotations"), dict):
        put("commonAnnotations", config["annotations"], "annotations")
    elif kind == "NamespaceTransformer" and isinstance(_meta(config, "namespace"), str):
        meta = config["metadata"]
        out["namespace"] = meta["namespace"]
        out.spans["namespace"] = meta.spans.get("namespace", span) if isinstance(meta, PDict) else span
    elif kind == "PrefixSuffixTransformer":
        for key, name in (("prefix", "namePrefix"), ("suffix", "nameSuffix")):
            if isinstance(config.get(key), str):
                put(name, config[key], key)
    elif kind == "ImageTagTransformer" and isinstance(config.get("imageTag"), dict):
        put("images", PList([config["imageTag"]], span=span, spans=[config.spans.get("imageTag", span)]), "imageTag")
    elif kind == "ReplicaCountTransformer" and isinstance(config.get("replica"), dict):
        put("replicas", PList([config["replica"]], span=span, spans=[config.spans.get("replica", span)]), "replica")
    elif kind in ("PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer"):
        entry = PDict({k: v for k, v in config.items() if k in ("patch", "path", "target", "paths", "patches")}, span=span)
        entry.spans = {k: config.spans.get(k, span) for k in entry}
        put("patches", PList([entry], span=span, spans=[span]), "kind")
    else:
        return None
    return out


def _apply_transformer(field: PDict, directory: str, reader: Reader, out: Build) -> None:
    _patches(field, directory, reader, out)
    _namespace(field, out)
    _prefix_suffix(field, out)
    _labels(field, out)
    _annotations(field, out)
    _replicas(field, out)
    _images(field, out)


# ----------------------------------------------------------------------------- generators


def _generate(k: PDict, path: str, directory: str, reader: Reader, out: Build) -> None:
    given = k.get("generatorOptions")
    options: dict[str, Any] = given if isinstance(given, dict) else {}
    for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        items = k.get(field_name)
        here = _entry_span(k, field_name, k.span)
        for i, item in enumerate(items if isinstance(items, list) else []):
            span = _entry_span(items, i, here)
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                out.errors.append(InputError(span.file, span.line, span.column, f"a {field_name} entry needs a name"))
                continue
            try:
                data = _generator_data(item, directory, reader, out, kind, span)
            except KustomizeError as exc:
                where = exc.span or span
                out.errors.append(InputError(where.file, where.line, where.column, exc.message))
                continue
            own = item.get("options")
            _add_generated(item, kind, data, {**options, **(own if isinstance(own, dict) else {})}, span, out)


def _generator_data(item: dict[str, Any], directory: str, reader: Reader, out: Build, kind: str, span: Span) -> dict[str, str]:
    data: dict[str, str] = {}
    for literal in item.get("literals") or []:
        key, sep, value = str(literal).partition("=")
        if not sep:
            raise KustomizeError(f"literal {literal!r} is not key=value", span)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        data[key.strip()] = value
    for entry in item.get("files") or []:
        key, sep, rel = str(entry).partition("=")
        if not sep:
            key, rel = os.path.basename(str(entry)), str(entry)
        data[key.strip()] = _generator_file(rel.strip(), directory, reader, out, span)
    for entry in item.get("envs") or ([item["env"]] if isinstance(item.get("env"), str) else []):
        text = _generator_file(str(entry), directory, reader, out, span)
        for line in text.split("\n"):
            line = line.strip()
            if line and not line.startswith("#"):
                key, sep, value = line.partition("=")
                if sep:
                    data[key.strip()] = value
    return data


def _generator_file(rel: str, directory: str, reader: Reader, out: Build, span: Span) -> str:
    target = os.path.normpath(os.path.join(directory, rel))
    looked_at(target)
    try:
        text = reader.text(target)
    except SourceError as exc:
        raise KustomizeError(f"generator file {rel}: {exc.message}", span) from None
    out.files.add(target)
    return text


def _add_generated(item: dict[str, Any], kind: str, data: dict[str, str], options: dict[str, Any], span: Span, out: Build) -> None:
    name = item["name"]
    behavior = item.get("behavior") or "create"
    meta = PDict({"name": name}, span=span)
    meta.spans["name"] = span
    for key in ("labels", "annotations"):
        if isinstance(options.get(key), dict):
            meta[key] = PDict({str(a): str(b) for a, b in options[key].items()}, span=span)
            meta.spans[key] = span
    if isinstance(item.get("namespace"), str):
        meta["namespace"] = item["namespace"]
        meta.spans["namespace"] = span
    obj = PDict({"apiVersion": "v1", "kind": kind, "metadata": meta}, span=span)
    if kind == "Secret":
        obj["type"] = str(item.get("type") or "Opaque")
        obj["data"] = PDict({k: base64.b64encode(v.encode()).decode() for k, v in data.items()}, span=span)
    else:
        obj["data"] = PDict(data, span=span)
    obj.spans = {k: span for k in obj}
    hashed = not options.get("disableNameSuffixHash")
    if behavior in ("merge", "replace"):
        existing = next((o for o in out.objects if o.kind == kind and (o.stem or o.name) == name), None)
        if existing is None:
            raise_span = span
            out.errors.append(InputError(raise_span.file, raise_span.line, raise_span.column, f"{kind} {name} to {behavior} is not generated by a base"))
            return
        if behavior == "merge":
            current = existing.obj.get("data")
            if isinstance(current, PDict):
                for key, value in obj["data"].items():
                    _set(current, key, value, span)
            else:
                _set(existing.obj, "data", obj["data"], span)
        else:
            _set(existing.obj, "data", obj["data"], span)
        return
    kobj = KObj(obj, obj, {name}, stem=name if hashed else "", hashed=hashed)
    out.objects.append(kobj)


def content_hash(obj: dict[str, Any]) -> str:
    """kustomize's name suffix for a generated ConfigMap or Secret: the SHA-256 of its
    kind, type and data as Go's JSON encoder writes them (sorted keys, ``<>&`` escaped,
    an empty name), the first ten hex digits with 0 1 3 a e spelled g h k m t."""
    kind = obj.get("kind")
    encoded: dict[str, Any] = {"kind": kind, "name": "", "data": dict(obj.get("data") or {})}
    if kind == "Secret":
        encoded["type"] = obj.get("type") or "Opaque"
    if obj.get("binaryData"):
        encoded["binaryData"] = dict(obj["binaryData"])
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


# ----------------------------------------------------------------------------- finishing

# (kind referred to, path inside the referring object relative to a pod spec or the object)
_POD_REFS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ServiceAccount", ("serviceAccountName",)),
    ("ConfigMap", ("volumes", "*", "configMap", "name")),
    ("Secret", ("volumes", "*", "secret", "secretName")),
    ("PersistentVolumeClaim", ("volumes", "*", "persistentVolumeClaim", "claimName")),
    ("ConfigMap", ("volumes", "*", "projected", "sources", "*", "configMap", "name")),
    ("Secret", ("volumes", "*", "projected", "sources", "*", "secret", "name")),
    ("Secret", ("imagePullSecrets", "*", "name")),
    ("ConfigMap", ("containers", "*", "envFrom", "*", "configMapRef", "name")),
    ("Secret", ("containers", "*", "envFrom", "*", "secretRef", "name")),
    ("ConfigMap", ("containers", "*", "env", "*", "valueFrom", "configMapKeyRef", "name")),
    ("Secret", ("containers", "*", "env", "*", "valueFrom", "secretKeyRef", "name")),
    ("ConfigMap", ("initContainers", "*", "envFrom", "*", "configMapRef", "name")),
    ("Secret", ("initContainers", "*", "envFrom", "*", "secretRef", "name")),
    ("ConfigMap", ("initContainers", "*", "env", "*", "valueFrom", "configMapKeyRef", "name")),
    ("Secret", ("initContainers", "*", "env", "*", "valueFrom", "secretKeyRef", "name")),
)
# (kind of the referring object, kind referred to, path); a kind written in the reference
# itself (roleRef.kind, scaleTargetRef.kind, subjects[].kind) is given as "@<field>"
_OBJECT_REFS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Ingress", "Service", ("spec", "defaultBackend", "service", "name")),
    ("Ingress", "Service", ("spec", "backend", "serviceName")),
    ("Ingress", "Service", ("spec", "rules", "*", "http", "paths", "*", "backend", "service", "name")),
    ("Ingress", "Service", ("spec", "rules", "*", "http", "paths", "*", "backend", "serviceName")),
    ("Ingress", "Secret", ("spec", "tls", "*", "secretName")),
    ("StatefulSet", "Service", ("spec", "serviceName")),
    ("HorizontalPodAutoscaler", "@kind", ("spec", "scaleTargetRef", "name")),
    ("RoleBinding", "@kind", ("roleRef", "name")),
    ("ClusterRoleBinding", "@kind", ("roleRef", "name")),
    ("RoleBinding", "@kind", ("subjects", "*", "name")),
    ("ClusterRoleBinding", "@kind", ("subjects", "*", "name")),
)


def _finish(out: Build) -> None:
    """Hash suffixes of generated objects, then every reference to a renamed object."""
    for kobj in out.objects:
        if kobj.stem:
            meta = _child(kobj.obj, "metadata", kobj.obj.span)
            name = f"{kobj.stem}-{content_hash(kobj.obj)}" if kobj.hashed else kobj.stem
            _set(meta, "name", name, meta.spans.get("name"))
            kobj.names.add(name)
    renamed: dict[tuple[str, str], str] = {}
    for kobj in out.objects:
        for old in kobj.names | {kobj.stem}:
            if old and old != kobj.name:
                renamed.setdefault((kobj.kind, old), kobj.name)
    if not renamed:
        return
    for kobj in out.objects:
        for path in find_pod_specs(kobj.obj, kobj.kind):
            spec = get_path(kobj.obj, path)
            for kind, rel in _POD_REFS:
                _rename_at(spec, rel, kind, renamed)
        for holder, kind, rel in _OBJECT_REFS:
            if kobj.kind == holder:
                _rename_at(kobj.obj, rel, kind, renamed)


def _rename_at(node: Any, rel: tuple[str, ...], kind: str, renamed: dict[tuple[str, str], str]) -> None:
    """Follow ``rel`` (``*`` for every list item) and rename the reference at its end."""
    if not rel or node is None:
        return
    head, rest = rel[0], rel[1:]
    if head == "*":
        for item in node if isinstance(node, list) else []:
            _rename_at(item, rest, kind, renamed)
        return
    if not isinstance(node, PDict) or head not in node:
        return
    if rest:
        _rename_at(node[head], rest, kind, renamed)
        return
    wanted = node.get(kind[1:]) if kind.startswith("@") else kind
    value = node[head]
    new = renamed.get((wanted, value)) if isinstance(wanted, str) and isinstance(value, str) else None
    if new is not None:
        node[head] = new  # the span stays where the reference is written


# ----------------------------------------------------------------------------- scanning


class Renderings(Struct):
    output: ParseOutput
    consumed: set[str]  # files read by a rendering: not scanned again on their own


def render_kustomizations(paths: list[str], max_bytes: int, overrides: dict[str, str] | None = None) -> Renderings:
    """Render every kustomization (Components are applied through the kustomizations that
    use them) into resources for the graph."""
    reader = Reader(max_bytes, overrides)
    out = ParseOutput()
    consumed: set[str] = set()
    components: dict[str, str] = {}  # directory -> its Component kustomization
    for path in sorted(paths):
        out.files.append(path)
        consumed.add(path)
        directory = os.path.dirname(path) or "."
        try:
            text = reader.text(path)
        except SourceError as exc:
            out.problem(source_problem(path, exc))
            continue
        if re.search(r"^kind:\s*[\"']?Component\b", text, re.M):
            components[os.path.normpath(directory)] = path
            continue
        try:
            result = build(directory, reader)
        except KustomizeError as exc:
            where = exc.span or Span(path, 1)
            out.errors.append(InputError(where.file, where.line, where.column, exc.message))
            continue
        except RecursionError:
            out.errors.append(InputError(path, 1, 1, "kustomization nested too deeply to analyse"))
            continue
        except Exception as exc:
            out.errors.append(internal_error(path, exc, "rendering the kustomization"))
            continue
        consumed |= result.files
        out.files.extend(sorted(result.files))
        group: list[Resource] = []
        counts: dict[str, int] = {}
        for kobj in result.objects:
            res = _resource(kobj.obj, path, counts)
            if res is None:
                continue
            res.id = f"{directory}::kustomize::{res.address}" + (f"#{counts[res.address]}" if counts[res.address] > 1 else "")
            res.meta["kustomization"] = path
            res.meta["link_group"] = f"kustomize:{directory}"
            res.origins = _origins(kobj, path)
            group.append(res)
        try:
            link(group)
        except Exception as exc:
            out.errors.append(internal_error(path, exc, "linking the kustomization's objects"))
        out.resources.extend(group)
        out.stats["kustomizations"] = out.stats.get("kustomizations", 0) + 1
        out.errors.extend(result.errors)
        out.notes.extend(result.notes)
    for path in components.values():
        if path not in consumed:
            out.notes.append(Note(path, 1, "kustomize Component not used by any kustomization in the scan: its patches are not applied"))
    out.errors = list(dict.fromkeys(out.errors))
    out.notes = list(dict.fromkeys(out.notes))
    return Renderings(out, consumed)


def _origins(kobj: KObj, kustomization: str) -> Any:
    """Evidence naming the other file: the base's line when the overlay decided the value,
    the kustomization otherwise."""
    from linter.locate import locate

    source_file = kobj.source.span.file if kobj.source.span else ""
    header = kobj.obj.span or Span(kustomization, 1)

    def origins(path: Path) -> list[Evidence]:
        span = locate(Resource("", "", kobj.kind, "kubernetes", kobj.obj, header, header), path)
        if not source_file or span.file == source_file:
            return [Evidence(f"deployed through the kustomization {kustomization}", Span(kustomization, 1))]
        before, base_span = _in_source(kobj, path)
        if before is None or isinstance(before, (dict, list)):
            what = f"the base {base_span.file}:{base_span.line} does not set it"
        else:
            what = f"the base has {display(before)} at {base_span.file}:{base_span.line}"
        return [Evidence(f"{what}; the kustomization {kustomization} sets it here", base_span)]

    return origins


def _in_source(kobj: KObj, path: Path) -> tuple[Any, Span]:
    """The value and place of ``path`` in the object as its base wrote it. A list item is
    followed by its merge key (a container by name), since patches reorder lists."""
    rendered: Any = kobj.obj
    node: Any = kobj.source
    span: Span = kobj.source.span or Span(kobj.source.span.file if kobj.source.span else "", 1)
    for part in path:
        if isinstance(part, int) and isinstance(rendered, list) and isinstance(node, list):
            item = rendered[part] if 0 <= part < len(rendered) else None
            key = next((k for k in ("name", "mountPath", "containerPort", "port") if isinstance(item, dict) and k in item), None)
            index = next((n for n, b in enumerate(node) if isinstance(b, dict) and b.get(key) == item[key]), None) if key and isinstance(item, dict) else part
            if index is None or not 0 <= index < len(node):
                return None, span
            span = _entry_span(node, index, span)
            rendered, node = item, node[index]
        elif isinstance(part, str) and isinstance(node, dict):
            if part not in node:
                return None, span
            span = _entry_span(node, part, span)
            rendered = rendered.get(part) if isinstance(rendered, dict) else None
            node = node[part]
        else:
            return None, span
    return node, span


def _distance(res: Resource, file: str) -> tuple[int, str]:
    """How far a rendering is from a file: the kustomization sharing the longest folder
    path with it (the base that holds the file) comes first."""
    home = os.path.dirname(res.meta["kustomization"]) or "."
    near = os.path.commonpath([os.path.abspath(home), os.path.abspath(os.path.dirname(file) or ".")])
    return -len(near), home


def merge_overlay_findings(findings: list[Finding], resources: dict[str, Resource]) -> list[Finding]:
    """One finding per rule and place: a base's finding that an overlay left unchanged is
    reported once, by the kustomization nearest to the file, naming the other renderings."""
    from msgspec.structs import replace

    groups: dict[tuple[str, Span], list[Finding]] = {}
    others: list[Finding] = []
    for f in findings:
        res = resources.get(f.resource_id)
        if res is not None and "kustomization" in res.meta:
            groups.setdefault((f.rule_id, f.span), []).append(f)
        else:
            others.append(f)
    for (_, span), group in groups.items():
        if len(group) == 1:
            others.append(group[0])
            continue

        group.sort(key=lambda f: _distance(resources[f.resource_id], span.file))
        first, rest = group[0], group[1:]
        extra = tuple(
            Evidence(f"also deployed through the kustomization {resources[f.resource_id].meta['kustomization']} (as {f.resource})", Span(resources[f.resource_id].meta["kustomization"], 1))
            for f in rest
        )
        others.append(replace(first, evidence=first.evidence + extra))
    return others
