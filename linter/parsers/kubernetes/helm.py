"""Helm charts rendered by Helm's own engine, then scanned like any manifest.

A folder with a ``Chart.yaml`` (not inside another chart's ``charts/``) is rendered with the
chart's ``values.yaml``, the ``--helm-values`` files and the ``--helm-set`` values, as
``helm template`` would (release ``release-name``, namespace ``default``). The engine is
Helm's Go SDK, through the optional ``helm-python-sdk`` package (``pip install
'seawall[helm]'``); seawall never interprets Go templates itself. Rendering runs in a
child process with a time limit, with no cluster (``lookup`` returns nothing), no plugins,
no post-renderer and no download (a dependency that is not vendored under ``charts/`` is
a note).

Positions: each rendered document is read with positions in the rendered text, and each
rendered line is placed on the template line that wrote it (:func:`align`), so a finding
points into ``templates/<file>``. A value that came from a values file points at that file's
line instead (:func:`_values_spans`), and the evidence names the template. The values
heuristic and its limits are described in docs/architecture.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from msgspec import Struct

from linter.graph import Resource
from linter.internal import internal_error
from linter.model import Evidence, InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.parsers.kubernetes import _objects, _resource, link, read_yaml
from linter.sources import SourceError, looked_at, read_source, source_problem
from linter.values import PDict, PList, SourcedText, contains_unknown, display, plain_data

RELEASE = "release-name"
NAMESPACE = "default"
TIMEOUT = 120  # seconds for one chart
INSTALL_HINT = "install the Helm extra to render charts: pip install 'seawall[helm]' (Helm's own engine, no helm binary needed)"


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("helm_python") is not None


def chart_roots(chart_files: list[str]) -> list[str]:
    """The chart folders to render: each folder holding a Chart.yaml, except a subchart
    vendored inside another chart's ``charts/`` (its parent renders it)."""
    dirs = sorted({os.path.normpath(os.path.dirname(p) or ".") for p in chart_files})
    return [d for d in dirs if not any(d.startswith(os.path.join(r, "charts") + os.sep) for r in dirs if r != d)]


class ValueSource(Struct):
    """Values read with positions: the chart's own file, a --helm-values file, or what a
    Terraform ``helm_release`` gives (``values`` entries, ``set`` blocks)."""

    file: str
    values: Any
    # how the evidence names it, when it is not the chart's own values
    label: str = ""
    # the values are passed to Helm as --set strings, not as values (positions only)
    positions_only: bool = False
    # set_sensitive: the evidence does not show the value
    sensitive: bool = False


class Release(Struct):
    """A Terraform ``helm_release`` whose chart is a local folder: rendered with its name,
    namespace, ``values`` and ``set``/``set_list``/``set_sensitive``, as the provider would."""

    address: str
    span: Span
    name: str
    namespace: str
    sources: list[ValueSource]
    sets: list[str]


# ----------------------------------------------------------------------------- rendering


def _render_request(chart: str, values: dict[str, Any], sets: list[str], release: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {"chart": os.path.abspath(chart), "values": values, "set": sets, "release": release, "namespace": namespace}


def render_in_child(chart: str, values: dict[str, Any], sets: list[str], release: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, Any]:
    """Render in a child process: Helm's library runs Go code with its own threads, which a
    forking parent must not hold, and a template that loops for ever is stopped by the time
    limit instead of hanging the scan."""
    with tempfile.TemporaryDirectory(prefix="seawall-helm-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
        for name in ("HELM_PLUGINS", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG", "HELM_REPOSITORY_CACHE"):
            env[name] = os.path.join(home, name.lower())
        env["HOME"] = home
        env["KUBECONFIG"] = os.path.join(home, "no-kubeconfig")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "linter.parsers.kubernetes.helm"],
                input=json.dumps(_render_request(chart, values, sets, release, namespace)),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=env,
                cwd=home,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"rendering took longer than {TIMEOUT} s; stopped"}
    try:
        answer: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": "the Helm engine stopped: " + (" ".join(tail) or f"exit code {proc.returncode}")}
    return answer


def _child_main() -> int:
    """The child: read a request on standard input, answer JSON on standard output."""
    request = json.loads(sys.stdin.read())
    try:
        import helm_python as helm
    except ImportError as exc:
        print(json.dumps({"error": f"helm-python-sdk is not importable: {exc}"}))
        return 0
    try:
        values = request["values"]
        set_values: dict[str, Any] = {}
        for text in request["set"]:
            parsed = helm.parse_set_string(text)
            values = merge_values(values, parsed)
            set_values = merge_values(set_values, parsed)
        with helm.Chart.load(request["chart"]) as chart:
            declared = [d.get("name") for d in chart.metadata.get("dependencies") or [] if isinstance(d, dict)]
            loaded = {d.get("name") for d in chart.dependencies}
            manifests = chart.render(values, name=request["release"], namespace=request["namespace"], is_install=True)
        print(json.dumps({"manifests": manifests, "missing": [d for d in declared if d not in loaded], "values": values, "set": set_values}))
    except Exception as exc:
        print(json.dumps({"error": str(getattr(exc, "detail", None) or exc)}))
    return 0


def merge_values(base: Any, override: Any) -> Any:
    """Helm's merge of user values: mappings merge key by key, anything else replaces, and
    ``null`` removes a key."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge_values(out.get(key), value)
        return out
    return override


# ----------------------------------------------------------------------------- positions


_ACTION = re.compile(r"\{\{.*?\}\}", re.S)


def align(template: str, rendered: str) -> list[int]:
    """For each rendered line, the 1-based template line that wrote it.

    A template line is matched by its text outside ``{{ }}`` (indentation aside), going
    forward from the last match; a loop's body matches again from the start. A rendered
    line no static text explains (from ``include``, ``toYaml``, ``tpl``) is placed on the
    next template line that holds an action, where it came from."""
    lines = template.split("\n")
    patterns: list[re.Pattern[str] | None] = []
    has_action: list[bool] = []
    for line in lines:
        pieces = _ACTION.split(line.strip())
        static = "".join(pieces).strip()
        has_action.append("{{" in line)
        if len(static) < 2 or line.strip().startswith("{{/*") or line.strip().startswith("#"):
            patterns.append(None if len(static) < 2 else re.compile(re.escape(line.strip())))
            continue
        patterns.append(re.compile(".*?".join(re.escape(p.strip()) if i in (0, len(pieces) - 1) else re.escape(p) for i, p in enumerate(pieces))))
    out: list[int] = []
    pointer = 0
    for raw in rendered.split("\n"):
        text = raw.strip()
        found = None
        if text:
            for order in (range(pointer, len(lines)), range(0, pointer)):
                for j in order:
                    pattern = patterns[j]
                    if pattern is not None and pattern.fullmatch(text):
                        found = j
                        break
                if found is not None:
                    break
        if found is None:
            found = next((j for j in range(pointer, len(lines)) if has_action[j]), pointer)
            found = min(found, max(len(lines) - 1, 0))
        else:
            pointer = found
        out.append(found + 1)
    return out


_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_INDEX_REF = re.compile(r"index\s+\$?\.Values((?:\s+\"[^\"]+\")+)")


def values_references(text: str) -> set[tuple[str, ...]]:
    """The values paths a template names (``.Values.a.b``, ``index .Values "a" "b"``)."""
    refs = {tuple(m.group(1)[1:].split(".")) for m in _VALUES_REF.finditer(text)}
    refs |= {tuple(re.findall(r"\"([^\"]+)\"", m.group(1))) for m in _INDEX_REF.finditer(text)}
    return refs


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (str(k),))
    elif not isinstance(value, list):
        yield path, value


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _same(leaf: Any, rendered: Any) -> bool:
    """A rendered scalar equals a values leaf (a number may have been quoted)."""
    if type(leaf) is type(rendered):
        return bool(leaf == rendered)
    return isinstance(rendered, str) and isinstance(leaf, (int, float)) and not isinstance(leaf, bool) and str(leaf) == rendered


def _span_of(sources: list[ValueSource], path: tuple[str, ...]) -> Span | None:
    """Where the value at ``path`` was last written (the last values file that sets it)."""
    for source in reversed(sources):
        node = source.values
        span = None
        for part in path:
            if not isinstance(node, PDict) or part not in node:
                span = None
                break
            span = node.spans.get(part)
            node = node[part]
        if span is not None:
            return span
    return None


def _values_spans(
    obj: Any,
    refs: set[tuple[str, ...]],
    final: dict[str, Any],
    sources: list[ValueSource],
    moved: dict[tuple[int, Any], Span],
    set_values: dict[str, Any],
    template_lines: list[str],
) -> None:
    """Point each rendered scalar that a values file decided at that file's line.

    A scalar is taken from the values when a path the template references (or a leaf
    under it) holds an equal value and either its last key is the rendered key
    (``type: {{ .Values.service.type }}``) or it is the only such path and the value is
    a string of at least four characters, and the template line it was placed on holds an
    action (a line without ``{{`` wrote its text as it stands). ``moved`` keeps the template
    span replaced. A value given by ``--helm-set`` has no file: it stays on the template line."""
    leaves: dict[tuple[str, ...], Any] = {}
    for ref in refs:
        value = _get(final, ref)
        for sub, leaf in _leaves(value, ref):
            if _get(set_values, sub) is None:
                leaves[sub] = leaf
    if not leaves:
        return

    def _templated(line: int) -> bool:
        return 0 < line <= len(template_lines) and "{{" in template_lines[line - 1]

    def visit(node: Any) -> None:
        items = node.items() if isinstance(node, PDict) else enumerate(node) if isinstance(node, PList) else ()
        for key, value in list(items):
            if isinstance(value, (dict, list)):
                visit(value)
                continue
            if value is None:
                continue
            same = [p for p, leaf in leaves.items() if _same(leaf, value)]
            chosen = next((p for p in same if p[-1] == key), None)
            if chosen is None and len(same) == 1 and isinstance(value, str) and len(value) >= 4:
                chosen = same[0]
            if chosen is None:
                continue
            span = _span_of(sources, chosen)
            if span is None:
                continue
            spans = node.spans
            old = spans.get(key) if isinstance(spans, dict) else (spans[key] if key < len(spans) else None)
            if old is not None and not _templated(old.line):
                continue  # a line with no action in the template wrote it as it stands
            if old is not None:
                moved[(id(node), key)] = old
            if isinstance(spans, dict):
                spans[key] = span
            elif key < len(spans):
                spans[key] = span

    visit(obj)


# ----------------------------------------------------------------------------- scanning


def read_values(path: str, max_bytes: int, out: ParseOutput) -> ValueSource | None:
    try:
        text = read_source(path, max_bytes)
    except SourceError as exc:
        out.problem(source_problem(path, exc))
        return None
    docs, error, _ = read_yaml(text, path)
    if error is not None:
        out.errors.append(error)
        return None
    value = docs[0] if docs else PDict(span=Span(path, 1))
    if not isinstance(value, dict):
        out.errors.append(InputError(path, 1, 1, "a values file must be a mapping"))
        return None
    return ValueSource(path, value)


def render_charts(chart_files: list[str], max_bytes: int, values_files: list[str], sets: list[str]) -> tuple[ParseOutput, set[str]]:
    """Render each chart; returns the resources and the chart folders rendered (their
    files are the rendering's input and are not scanned on their own)."""
    out = ParseOutput()
    rendered: set[str] = set()
    roots = chart_roots(chart_files)
    if not roots:
        return out, rendered
    if not available():
        for root in roots:
            out.notes.append(Note(os.path.join(root, "Chart.yaml"), 1, f"Helm chart not rendered, so its templates are not scanned: {INSTALL_HINT}"))
        return out, rendered
    user_sources = [s for s in (read_values(f, max_bytes, out) for f in values_files) if s is not None]
    for root in roots:
        try:
            if _render_chart(root, max_bytes, user_sources, sets, out):
                rendered.add(root)
        except Exception as exc:
            out.errors.append(internal_error(os.path.join(root, "Chart.yaml"), exc, "rendering the Helm chart"))
    return out, rendered


def render_releases(resources: list[Resource], max_bytes: int, scan_paths: list[str]) -> tuple[ParseOutput, set[str]]:
    """Render the local chart of each Terraform ``helm_release`` with the release's values.

    A release whose ``chart`` is a folder with a ``Chart.yaml`` inside the scanned tree and
    that names no ``repository`` is rendered with its ``name``, ``namespace``, ``values``
    entries (``yamlencode(...)``, ``file(...)``, text) and ``set``, ``set_list`` and
    ``set_sensitive`` blocks, in the provider's order (values, then the set blocks). A value
    they decided is reported at the argument that wrote it (the ``set`` block's value, the
    line of the values file or of the ``yamlencode`` object); a ``set_sensitive`` value is
    never shown. Returns the resources and the ids of the releases rendered (the others
    keep the note that their values are not applied)."""
    out = ParseOutput()
    done: set[str] = set()
    allowed = [os.path.realpath(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in scan_paths]
    for res in resources:
        if res.type != "helm_release" or res.format != "terraform":
            continue
        chart_dir = _local_chart(res, allowed)
        if chart_dir is None:
            continue
        done.add(res.id)
        if not available():
            out.notes.append(Note(res.span.file, res.span.line, f"{res.address}: its local chart {chart_dir} is not rendered with the release's values: {INSTALL_HINT}"))
            continue
        try:
            release = _release(res, max_bytes, out)
            _render_chart(chart_dir, max_bytes, release.sources, release.sets, out, release)
        except Exception as exc:
            out.errors.append(internal_error(res.span.file, exc, f"rendering the chart of {res.address}"))
    return out, done


def _local_chart(res: Resource, allowed: list[str]) -> str | None:
    """The folder of a release's chart when it is local and inside the scanned tree."""
    repository = res.attrs.get("repository")
    chart = res.attrs.get("chart")
    if (repository is not None and repository != "") or not isinstance(chart, str) or not chart or "://" in chart:
        return None
    # a relative chart path is relative to Terraform's working directory, the root module
    path = chart if os.path.isabs(chart) else os.path.join(res.root, chart)
    real = os.path.realpath(path)
    if not any(real == a or real.startswith(a.rstrip(os.sep) + os.sep) for a in allowed):
        return None
    return os.path.normpath(path) if os.path.isfile(os.path.join(path, "Chart.yaml")) else None


def _release(res: Resource, max_bytes: int, out: ParseOutput) -> Release:
    name = res.attrs.get("name")
    namespace = res.attrs.get("namespace")
    release = Release(res.address, res.span, name if isinstance(name, str) and name else RELEASE, namespace if isinstance(namespace, str) and namespace else NAMESPACE, [], [])
    values = res.attrs.get("values")
    for i, entry in enumerate(values if isinstance(values, list) else []):
        span = values.spans[i] if isinstance(values, PList) and i < len(values.spans) and values.spans[i] is not None else res.span
        source: ValueSource | None = None
        if isinstance(entry, SourcedText) and entry.path:
            source = read_values(entry.path, max_bytes, out)
            if source is not None:
                source.label = f"the values file {entry.path} of {res.address}"
        elif isinstance(entry, SourcedText) and isinstance(entry.decoded, PDict):
            source = ValueSource(span.file, entry.decoded, label=f"the values of {res.address}")
        elif isinstance(entry, str):
            docs, error, _ = read_yaml(entry, span.file, lambda line, col, at=span: (at.line, at.column))
            if error is not None or (docs and not isinstance(docs[0], dict)):
                out.errors.append(InputError(span.file, span.line, span.column, f"{res.address}: values entry {i} is not a YAML mapping"))
            elif docs:
                source = ValueSource(span.file, docs[0], label=f"the values of {res.address}")
        else:
            out.notes.append(Note(span.file, span.line, f"{res.address}: values entry {i} is not known, so the chart is rendered without it"))
        if source is not None:
            release.sources.append(source)
    for kind in ("set", "set_list", "set_sensitive"):
        blocks = res.attrs.get(kind)
        for i, block in enumerate(blocks if isinstance(blocks, list) else []):
            span = blocks.spans[i] if isinstance(blocks, PList) and i < len(blocks.spans) and blocks.spans[i] is not None else res.span
            key, value = (block.get("name"), block.get("value")) if isinstance(block, dict) else (None, None)
            if not isinstance(key, str) or value is None or contains_unknown(value):
                out.notes.append(Note(span.file, span.line, f"{res.address}: a {kind} whose name or value is not known is not applied to the chart"))
                continue
            text = "{" + ",".join(_set_word(v) for v in value) + "}" if isinstance(value, list) else _set_word(value)
            release.sets.append(f"{key}={text}")
            at = block.spans.get("value", span) if isinstance(block, PDict) else span
            placed = _set_positions(key, at)
            if placed is not None:
                shown = f'{res.address} {kind} "{key}"'
                release.sources.append(ValueSource(at.file, placed, label=shown, positions_only=True, sensitive=kind == "set_sensitive"))
    return release


def _set_word(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _set_positions(name: str, span: Span) -> PDict | None:
    """Where a ``set`` name's value is written, as a values tree (``a.b`` -> {a: {b}}), for
    names without list indexes or escaped dots."""
    if "[" in name or "\\" in name:
        return None
    parts = name.split(".")
    root = node = PDict(span=span)
    for part in parts[:-1]:
        child = PDict(span=span)
        node[part] = child
        node.spans[part] = span
        node = child
    node[parts[-1]] = None
    node.spans[parts[-1]] = span
    return root


def _render_chart(root: str, max_bytes: int, user_sources: list[ValueSource], sets: list[str], out: ParseOutput, release: Release | None = None) -> bool:
    chart_yaml = os.path.join(root, "Chart.yaml")
    own = read_values(os.path.join(root, "values.yaml"), max_bytes, out) if os.path.isfile(os.path.join(root, "values.yaml")) else None
    sources = ([own] if own else []) + user_sources
    user_values: dict[str, Any] = {}
    for source in user_sources:
        if not source.positions_only:
            user_values = merge_values(user_values, plain_data(source.values))
    name, namespace = (release.name, release.namespace) if release else (RELEASE, NAMESPACE)
    answer = render_in_child(root, user_values, sets, name, namespace)
    if "error" in answer:
        error = _render_error(root, str(answer["error"]))
        if release is not None:  # shown on the release, naming the chart's line
            error = InputError(release.span.file, release.span.line, release.span.column, f"{release.address}: {error.message} ({error.file}:{error.line})")
        out.errors.append(error)
        return False
    out.files.append(chart_yaml)
    out.files.extend(source.file for source in sources)
    for name in answer.get("missing") or []:
        out.notes.append(Note(chart_yaml, _line_of(chart_yaml, str(name)), f"Helm dependency {name!r} is not vendored under charts/ (seawall downloads nothing): its templates are not scanned"))
    final = merge_values(plain_data(own.values) if own else {}, answer.get("values") or {})
    helpers = _helpers_refs(root)
    group: list[Resource] = []
    counts: dict[str, int] = {}
    for key, text in sorted((answer.get("manifests") or {}).items()):
        if not isinstance(text, str) or not text.strip() or not key.endswith((".yaml", ".yml", ".json")):
            continue
        template = os.path.join(root, key.split("/", 1)[1]) if "/" in key else os.path.join(root, key)
        try:
            source_text = read_source(template, max_bytes)
        except SourceError:
            source_text = ""
        out.files.append(template)
        refs = values_references(source_text) | helpers
        # values a --helm-set gave have no file; a release's set blocks have their lines
        unplaced = {} if release is not None else answer.get("set") or {}
        for obj, moved in _read_rendered(text, template, source_text, refs, final, sources, unplaced, out):
            if _is_test_hook(obj):
                continue
            res = _resource(obj, template, counts)
            if res is None:
                continue
            tag = f"helm[{release.address}]" if release is not None else "helm"
            res.id = f"{root}::{tag}::{res.address}" + (f"#{counts[res.address]}" if counts[res.address] > 1 else "")
            res.meta["helm_chart"] = root
            res.meta["link_group"] = f"{tag}:{root}"
            res.origins = _origins(obj, moved, chart_yaml, sets, sources, release)
            group.append(res)
    link(group)
    out.resources.extend(group)
    return True


def _is_test_hook(obj: PDict) -> bool:
    """A ``helm test`` hook: a pod run by ``helm test`` only, never by an install (and often
    named with random characters, which would make the output differ from run to run)."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    hook = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
    return isinstance(hook, str) and any(h.strip().startswith("test") for h in hook.split(","))


def _helpers_refs(root: str) -> set[tuple[str, ...]]:
    refs: set[tuple[str, ...]] = set()
    templates = os.path.join(root, "templates")
    for dirpath, _, names in os.walk(templates):
        looked_at(dirpath)
        for name in names:
            if name.endswith(".tpl"):
                looked_at(os.path.join(dirpath, name))
                try:
                    with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                        refs |= values_references(fh.read())
                except OSError:
                    continue
    return refs


def _line_of(path: str, word: str) -> int:
    looked_at(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if re.search(rf"name:\s*[\"']?{re.escape(word)}[\"']?\s*$", line):
                    return n
    except OSError:
        pass
    return 1


# Helm names the template in its errors: "template: chart/templates/x.yaml:12:3: executing
# ...", "execution error at (chart/templates/x.yaml:6:12): ...", "parse error at
# (chart/templates/x.yaml:3): ..."
_TEMPLATE_ERROR = re.compile(r"(?:template: |\()[^/\s()]+/((?:[^:\s()]+/)*[^:\s()]+):(\d+)(?::(\d+))?\)?:\s*(.*)", re.S)


def _render_error(root: str, message: str) -> InputError:
    """A rendering error at the template line Helm names."""
    m = _TEMPLATE_ERROR.search(message)
    if m:
        return InputError(os.path.join(root, m.group(1)), int(m.group(2)), int(m.group(3) or 1), f"Helm could not render the chart: {m.group(4).strip()}")
    return InputError(os.path.join(root, "Chart.yaml"), 1, 1, f"Helm could not render the chart: {message.strip()}")


def _read_rendered(
    text: str,
    template: str,
    source_text: str,
    refs: set[tuple[str, ...]],
    final: dict[str, Any],
    sources: list[ValueSource],
    set_values: dict[str, Any],
    out: ParseOutput,
) -> Iterator[tuple[PDict, dict[tuple[int, Any], Span]]]:
    lines = align(source_text, text) if source_text else []

    def mapper(line: int, col: int) -> tuple[int, int]:
        return (lines[line] if 0 <= line < len(lines) else 1), col + 1

    docs, error, _ = read_yaml(text, template, mapper)
    for doc in docs:
        if not isinstance(doc, PDict):
            continue
        for obj in _objects(doc):
            moved: dict[tuple[int, Any], Span] = {}
            _values_spans(obj, refs, final, sources, moved, set_values, source_text.split("\n"))
            yield obj, moved
    if error is not None:
        out.errors.append(InputError(template, error.line, error.column, f"the chart renders invalid YAML here: {error.message}"))


def _origins(obj: PDict, moved: dict[tuple[int, Any], Span], chart_yaml: str, sets: list[str], sources: list[ValueSource], release: Release | None) -> Any:
    """Evidence naming the other place: the template line when values decided the value
    (and which values: the chart's, a file or argument of the helm_release), the chart
    (and the helm_release that renders it) otherwise."""

    def origins(path: Path) -> list[Evidence]:
        node: Any = obj
        template_span: Span | None = None
        placed: Span | None = None
        for part in path:
            if (id(node), part) in moved:
                template_span = moved[(id(node), part)]
                spans = node.spans
                placed = spans.get(part) if isinstance(spans, dict) else spans[part] if isinstance(part, int) and part < len(spans) else None
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        if template_span is not None:
            source = _source_at(sources, placed)
            label = source.label if source is not None and source.label else "the chart's values"
            shown = "value not shown: set_sensitive" if source is not None and source.sensitive else display(node)
            return [Evidence(f"written by the template {template_span.file}:{template_span.line} from {label} ({shown})", template_span)]
        if release is not None:
            return [Evidence(f"rendered from the Helm chart {os.path.dirname(chart_yaml) or '.'} by {release.address} (its values and set arguments)", release.span)]
        extra = f" and --helm-set {', '.join(sets)}" if sets else ""
        return [Evidence(f"rendered from the Helm chart {os.path.dirname(chart_yaml) or '.'} with its values{extra}", Span(chart_yaml, 1))]

    return origins


def _source_at(sources: list[ValueSource], span: Span | None) -> ValueSource | None:
    """The values source that wrote ``span`` (the last one whose values hold it)."""
    if span is None:
        return None

    def holds(node: Any) -> bool:
        spans = node.spans.values() if isinstance(node, PDict) else node.spans if isinstance(node, PList) else ()
        children = node.values() if isinstance(node, PDict) else node if isinstance(node, PList) else ()
        return any(s is span for s in spans) or any(holds(c) for c in children)

    return next((source for source in reversed(sources) if source.file == span.file and holds(source.values)), None)


if __name__ == "__main__":
    raise SystemExit(_child_main())
