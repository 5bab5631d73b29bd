"""Paths -> the inputs to parse: Terraform module directories and candidate documents.

Cheap and import-light: it only looks at names. Directories that are hidden or belong to
tools (``.git``, ``.terraform``, ``node_modules``…) are skipped (except ``.serverless``,
the Serverless Framework's generated CloudFormation; ``cdk.out`` is not hidden), and symbolic links to
directories are not followed, so a link loop cannot trap the walk.
"""

from __future__ import annotations

import fnmatch
import os
import re

from msgspec import Struct, field

from linter.model import InputError, Note

SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "vendor"})
# hidden directories that hold infrastructure code: the Serverless Framework's generated
# CloudFormation (.serverless/cloudformation-template-*.json)
SCANNED_HIDDEN_DIRS = frozenset({".serverless"})
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".template")


class Inventory(Struct):
    """What discovery found to scan: module folders and documents, and what to report."""

    # module directory -> the scan root it was found under (file functions stay inside it)
    terraform_dirs: dict[str, str] = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)
    # when files are named explicitly, findings are reported for those files only
    report_only: set[str] | None = None
    report_dirs: list[str] = field(default_factory=list)
    report_modules: set[str] = field(default_factory=set)  # directories whose own files are reported
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def excluded(self, path: str) -> bool:
        return path_matches(path, self.exclude)

    def reported(self, file: str) -> bool:
        if self.report_only is None or file in self.report_only:
            return True
        if (os.path.dirname(file) or ".") in self.report_modules:
            return True
        return any(file.startswith(d.rstrip(os.sep) + os.sep) or d == "." for d in self.report_dirs)


def path_matches(path: str, globs: list[str] | tuple[str, ...]) -> bool:
    """Whether a path (as seawall names it) matches one of the configuration's globs, at its
    start or after any directory: ``vendor/**`` matches ``infra/vendor/x.tf`` too."""
    if not globs:
        return False
    posix = path.replace(os.sep, "/")
    return any(fnmatch.fnmatch(posix, g) or fnmatch.fnmatch(posix, "*/" + g.lstrip("/")) for g in globs)


def _norm(path: str) -> str:
    return os.path.normpath(path)


def discover(paths: list[str], overrides: dict[str, str] | None = None, exclude: list[str] | None = None) -> Inventory:
    """``overrides`` are texts given for paths (standard input, an editor buffer): they count
    as existing files even when nothing is on disk under that name. ``exclude`` globs (from
    the configuration) drop files and directories from the walk."""
    inv = Inventory(exclude=list(exclude or []))
    explicit_files: set[str] = set()
    given = {_norm(p) for p in (overrides or {})}
    for raw in paths:
        path = _norm(raw)
        if path in given and not os.path.isdir(path):
            explicit_files.add(path)
            _add_file(path, os.path.dirname(path) or ".", inv)
        elif os.path.isdir(path):
            _walk(path, inv)
        elif os.path.isfile(path):
            explicit_files.add(path)
            _add_file(path, os.path.dirname(path) or ".", inv)
        elif os.path.lexists(path):
            inv.errors.append(InputError(path, 1, 1, "not a regular file or directory; skipped", "read"))
        else:
            inv.errors.append(InputError(path, 1, 1, "no such file or directory", "read"))
    if explicit_files:
        # a named .tf file still loads its whole module for context, but only the named
        # files (and the directories named beside them) are reported. A named variables
        # file changes what its module's resources are, so its module is reported.
        inv.report_only = explicit_files
        inv.report_dirs = [_norm(p) for p in paths if os.path.isdir(p)]
        inv.report_modules = {os.path.dirname(f) or "." for f in explicit_files if f.endswith((".tfvars", ".tfvars.json"))}
        # likewise a named manifest, patch or values file is read through the kustomizations
        # and the Helm chart around it (the files in its folder and the folders above)
        for f in sorted(explicit_files):
            if f.endswith(DOCUMENT_SUFFIXES) and f not in given:
                inv.documents.extend(c for c in rendering_context(f) if not inv.excluded(c))
    inv.documents = sorted(set(inv.documents))
    return inv


CONTEXT_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization", "Chart.yaml")
CONTEXT_LEVELS = 8


def rendering_context(path: str) -> list[str]:
    """The kustomizations and the Chart.yaml in the folders holding ``path`` (up to
    CONTEXT_LEVELS up, stopping at a repository root), which render it. An overlay in a
    sibling folder that uses a base is not found this way: scan the folders to see it."""
    found: list[str] = []
    directory = os.path.dirname(path) or "."
    for _ in range(CONTEXT_LEVELS):
        names = _listdir(directory)
        found.extend(_norm(os.path.join(directory, n)) for n in CONTEXT_FILES if n in names and os.path.isfile(os.path.join(directory, n)))
        parent = _norm(os.path.join(directory, os.pardir))
        if ".git" in names or os.path.abspath(parent) == os.path.abspath(directory):
            break
        directory = parent
    return [f for f in found if f != path]


def _add_file(path: str, root: str, inv: Inventory) -> None:
    if path.endswith((".tf", ".tfvars", ".tfvars.json")):
        directory = os.path.dirname(path) or "."
        if path.endswith(".tf") or any(n.endswith(".tf") for n in _listdir(directory)):
            inv.terraform_dirs.setdefault(directory, root)
    elif path.endswith(DOCUMENT_SUFFIXES + (".tfstate",)) or os.path.basename(path) == "Kustomization":
        inv.documents.append(path)


def _listdir(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _walk(top: str, inv: Inventory) -> None:
    for dirpath, dirnames, filenames in os.walk(top, onerror=lambda e: _walk_error(e, inv)):
        keep = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            if (d.startswith(".") and d not in SCANNED_HIDDEN_DIRS) or d in SKIP_DIRS or inv.excluded(_norm(full)):
                continue
            if os.path.islink(full):
                inv.notes.append(Note(_norm(full), 1, "symbolic link to a directory; not followed"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            full = _norm(os.path.join(dirpath, name))
            if inv.excluded(full):
                continue
            if not os.path.islink(full) and not os.path.isfile(full):
                if full.endswith((".tf", ".tfvars") + DOCUMENT_SUFFIXES):
                    inv.errors.append(InputError(full, 1, 1, "not a regular file (a pipe or device): not checked", "read"))
                continue
            if os.path.islink(full):
                target = os.path.realpath(full)
                root = os.path.realpath(top)
                if not target.startswith(root.rstrip(os.sep) + os.sep) or not os.path.isfile(target):
                    inv.notes.append(Note(full, 1, "symbolic link out of the scanned tree (or broken); not followed"))
                    continue
            _add_file(full, _norm(top), inv)


def _walk_error(exc: OSError, inv: Inventory) -> None:
    inv.errors.append(InputError(_norm(exc.filename or "?"), 1, 1, f"cannot read directory: {exc.strerror or exc}", "read"))


_CFN_YAML_TYPE = re.compile(r"^\s+Type\s*:\s*[\"']?(AWS|Custom|Alexa)::", re.M)
_K8S_API = re.compile(r"^(?:- )?\s*apiVersion\s*:", re.M)
_K8S_KIND = re.compile(r"^(?:- )?\s*kind\s*:", re.M)


def classify_document(path: str, head: str | None = None) -> str | None:
    """What a YAML/JSON file holds, from its name and first bytes: "terraform-plan",
    "terraform-state" (a state file, or ``terraform show -json`` of a state),
    "cloudformation", "kubernetes", "kustomize" (a kustomization, rendered with its
    resources), "helm-chart" (a chart's Chart.yaml), "helm" (a chart template, which needs
    rendering first), or None when it is not an input seawall reads (most YAML and JSON in
    a repository is not). A file that cannot be read raises SourceError: nobody can tell that
    it is not infrastructure."""
    from linter.parsers.terraform.plan import looks_like_plan, looks_like_shown_state
    from linter.sources import read_head

    name = os.path.basename(path)
    if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        return "kustomize"
    if name == "Chart.yaml":
        return "helm-chart"
    if name == "serverless-state.json":
        return None  # the Serverless Framework's copy of .serverless/cloudformation-template-update-stack.json

    text = read_head(path) if head is None else head
    if not text.strip():
        return None
    is_json = text.lstrip().startswith(("{", "["))
    if path.endswith(".tfstate"):
        # not skipped when it is not one: a state that cannot be read is an input error
        return "terraform-state"
    if is_json and looks_like_shown_state(text):
        return "terraform-state"
    if is_json and looks_like_plan(text):
        return "terraform-plan"
    if "AWSTemplateFormatVersion" in text or "AWS::Serverless-2016-10-31" in text:
        return "cloudformation"
    if is_json:
        if '"Resources"' in text and re.search(r'"Type"\s*:\s*"(AWS|Custom)::', text):
            return "cloudformation"
        if '"apiVersion"' in text and '"kind"' in text:
            return "kubernetes"
        return None
    if re.search(r"^Resources\s*:", text, re.M) and _CFN_YAML_TYPE.search(text):
        return "cloudformation"
    if _K8S_API.search(text) and _K8S_KIND.search(text):
        if "{{" in text and "}}" in text:
            return "helm"
        return "kubernetes"
    return None
