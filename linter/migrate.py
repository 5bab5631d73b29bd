"""``seawall migrate``: the reviewed exceptions of the tool a team ran before become seawall's.

It finds a peer's suppressions in a repository and writes the seawall suppression that
silences the same exposure, keeping the reason:

- Terraform comments: Checkov ``#checkov:skip=CKV_AWS_20:reason`` (the whole resource: the
  seawall comment goes just above the resource's first line), tfsec and Trivy
  ``#tfsec:ignore:<id>`` / ``#trivy:ignore:<id>`` with ``:exp:YYYY-MM-DD`` (the line they
  cover: the seawall comment goes just above it, with ``until=``);
- CloudFormation ``Metadata``: Checkov ``checkov: {skip: [{id, comment}]}`` and cfn_nag
  ``cfn_nag: {rules_to_suppress: [{id, reason}]}`` (a ``seawall: {ignore: [...]}`` entry is
  written beside them, in YAML and JSON templates);
- Kubernetes annotations: Checkov ``checkov.io/skip1: CKV_K8S_20=reason`` and kube-linter
  ``ignore-check.kube-linter.io/<check>: reason`` (a ``seawall.dev/ignore`` annotation beside
  them);
- configuration: ``.checkov.yaml`` ``skip-check``, ``.trivyignore`` and ``.trivyignore.yaml``
  (``misconfigurations``) become ``ignore`` and ``per-path-ignores`` of the seawall
  configuration (``.seawall.toml``, or ``[tool.seawall]`` of ``pyproject.toml`` when that
  is where it is).

The peer's check ids are translated through the peer map (linter/coverage.yaml,
docs/coverage.md). Nothing is dropped silently: a suppression whose check has no seawall
counterpart, one that names no check (KICS ``kics-scan ignore-line``), and a file that
cannot be read are listed with the reason. A suppression without a reason is written with
the placeholder ``TODO: reason needed`` (visible, and it does not suppress until someone
writes the reason). The peer's own suppressions are left in place, so both tools can run
side by side while a team switches. A dry run (the default) prints the diff; ``--write``
applies it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable
from typing import Any

import tomlkit
import yaml
from msgspec import Struct, field

from linter import coverage, suppress
from linter.newonly import _git_ok
from linter.parsers.cloudformation import _json_as_yaml
from linter.parsers.hcl.syntax import HclSyntaxError, parse_hcl
from linter.yamlsafe import SafeLoader, compose_all

# what a suppression without a reason is migrated with: a placeholder (suppress.is_placeholder)
REASON_NEEDED = "TODO: reason needed"

_MARKERS = re.compile(r"checkov|tfsec:ignore|trivy:ignore|kics-scan|cfn_nag|kube-linter\.io", re.I)
_CHECKOV_COMMENT = re.compile(r"checkov:skip=(?P<id>[A-Za-z0-9_]+)(?::(?P<reason>.*))?", re.I)
_AQUA_COMMENT = re.compile(r"(?P<tool>tfsec|trivy):ignore:(?P<id>[A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?::exp:(?P<exp>\d{4}-\d{2}-\d{2}))?", re.I)
_KICS_COMMENT = re.compile(r"kics-scan\s+(?P<what>ignore-line|ignore-block|ignore|disable=\S+)", re.I)
_CHECKOV_ANNOTATION = re.compile(r"checkov\.io/skip\d*$")
_KUBE_LINTER_ANNOTATION = "ignore-check.kube-linter.io/"
_SKIP_DIRS = {".git", ".terraform", "node_modules", ".venv", "venv", "__pycache__"}
TERRAFORM_SUFFIXES = (".tf",)
YAML_SUFFIXES = (".yaml", ".yml", ".template")
JSON_SUFFIXES = (".json",)
CHECKOV_CONFIGS = (".checkov.yaml", ".checkov.yml")


class MigrateError(Exception):
    """The repository cannot be migrated at all (not a directory)."""


class Found(Struct, frozen=True):
    """One suppression of a peer, as written."""

    tool: str  # checkov, tfsec, trivy, kics, cfn_nag, kube-linter
    check: str  # the peer's check id ("" when it names none)
    reason: str
    file: str  # relative to the repository
    line: int
    until: str | None = None
    paths: tuple[str, ...] = ()  # a configuration entry limited to these paths

    @property
    def written(self) -> str:
        return f"{self.tool} {self.check}".strip()


class Outcome(Struct):
    """What became of one peer suppression."""

    found: Found
    rules: tuple[str, ...] = ()  # the seawall rules it now suppresses
    problem: str = ""  # why it was not migrated
    notes: list[str] = field(default_factory=list)


class Plan(Struct):
    """The migration of one repository: the files it changes and what became of each peer
    suppression."""

    root: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # relative path -> (old, new)
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that could not be read

    def diff(self) -> str:
        out: list[str] = []
        for rel, (old, new) in sorted(self.changes.items()):
            out.extend(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"))
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)

    def write(self) -> list[str]:
        for rel, (_old, new) in sorted(self.changes.items()):
            with open(os.path.join(self.root, rel), "w", encoding="utf-8", newline="") as fh:
                fh.write(new)
        return sorted(self.changes)

    def report(self) -> str:
        done = [o for o in self.outcomes if o.rules]
        left = [o for o in self.outcomes if not o.rules]
        lines = [f"{len(self.outcomes)} peer suppression(s) found: {len(done)} migrated, {len(left)} not migrated"]
        for o in done:
            f = o.found
            lines.append(f"  {f.file}:{f.line}: {f.written} -> {', '.join(o.rules)}")
            lines.extend(f"      {n}" for n in o.notes)
        if left:
            lines.append("not migrated (review these by hand):")
            for o in left:
                lines.append(f"  {o.found.file}:{o.found.line}: {o.found.written or o.found.tool}: {o.problem}")
        for e in self.errors:
            lines.append(f"error: {e}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- translation


def translate(found: Found) -> Outcome:
    """The seawall rules a peer suppression becomes, through the peer map."""
    if not found.check:
        return Outcome(found, problem=f"{found.tool} names no check here, so seawall cannot tell which rule it means; add a seawall suppression with the rule ids by hand")
    peer = coverage.load()
    entry = peer.resolve(found.check)
    if entry is None:
        return Outcome(found, problem=f"{found.check} is not one of the exposure checks seawall maps (docs/coverage.md); seawall has no counterpart to suppress")
    if entry.kind == "reason":
        return Outcome(found, problem=f"no seawall counterpart ({entry.id}): {entry.reason}")
    notes = []
    for rule in entry.rules:
        others = sorted(c.id for c in peer.checks if rule in c.rules and c.id != entry.id)
        if others:
            shown = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
            notes.append(f"{rule} also reports what {shown} check: the suppression covers those too")
    if entry.id != found.check:
        notes.insert(0, f"{found.check} is {entry.id} of the peer map")
    return Outcome(found, rules=entry.rules, notes=notes)


def _inline(found: Found) -> Outcome:
    """``translate`` for a suppression written in the code, where seawall's needs a reason."""
    outcome = translate(found)
    if outcome.rules and not found.reason:
        outcome.notes.append(f'no reason given: written as "{REASON_NEEDED}", which suppresses nothing until you write why')
    return outcome


def _reason(reasons: Iterable[str]) -> str:
    given = list(dict.fromkeys(r.strip() for r in reasons if r.strip()))
    return "; ".join(given) if given else REASON_NEEDED


def _until(untils: Iterable[str | None]) -> str | None:
    dates = sorted(u for u in untils if u)
    return dates[0] if dates else None  # the earliest: the suppression lapses no later than the peer's


def _per_rule(items: list[Outcome]) -> dict[str, tuple[str, str | None]]:
    """rule -> (reason, until) for the outcomes that land on one place."""
    out: dict[str, tuple[str, str | None]] = {}
    for rule in dict.fromkeys(r for o in items for r in o.rules):
        mine = [o for o in items if rule in o.rules]
        reasoned = [o for o in mine if o.found.reason]
        chosen = reasoned or mine
        out[rule] = (_reason(o.found.reason for o in chosen), _until(o.found.until for o in chosen))
    return out


def _by_reason(per_rule: dict[str, tuple[str, str | None]]) -> list[tuple[tuple[str, ...], str, str | None]]:
    groups: dict[tuple[str, str | None], list[str]] = {}
    for rule, key in per_rule.items():
        groups.setdefault(key, []).append(rule)
    return [(tuple(rules), reason, until) for (reason, until), rules in groups.items()]


# --------------------------------------------------------------------------- files


def repository_files(root: str) -> list[str]:
    """The files of the repository, relative to ``root``: git's (tracked and untracked, not
    ignored) inside a git work tree, else every file below ``root``."""
    listed = _git_ok(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root)
    if listed is not None:
        return sorted({p for p in listed.split("\0") if p and os.path.isfile(os.path.join(root, p))})
    out: list[str] = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        rel = os.path.relpath(here, root)
        out.extend(os.path.normpath(os.path.join(rel, f)) for f in files)
    return sorted(out)


def plan(root: str) -> Plan:
    """Everything a migration of the repository at ``root`` would change."""
    if not os.path.isdir(root):
        raise MigrateError(f"{root}: not a directory")
    result = Plan(root)
    ignores: list[Outcome] = []
    for rel in repository_files(root):
        name = os.path.basename(rel)
        path = os.path.join(root, rel)
        is_config = rel in CHECKOV_CONFIGS or rel in (".trivyignore", ".trivyignore.yaml", ".trivyignore.yml")
        if not (is_config or rel.endswith(TERRAFORM_SUFFIXES + YAML_SUFFIXES + JSON_SUFFIXES)):
            continue
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            if is_config or name.endswith(TERRAFORM_SUFFIXES):
                result.errors.append(f"{rel}: cannot read ({exc}); its suppressions are not migrated")
            continue
        if is_config:
            ignores.extend(_config_file(rel, text, result))
        elif not _MARKERS.search(text):
            continue
        elif rel.endswith(TERRAFORM_SUFFIXES):
            _terraform(rel, text, result)
        else:
            _documents(rel, text, result)
    if ignores:
        _configuration(root, ignores, result)
    return result


def _change(result: Plan, rel: str, old: str, lines: list[str]) -> None:
    new = "".join(lines)
    if new != old:
        result.changes[rel] = (old, new)


def _newline(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


# --------------------------------------------------------------------------- Terraform


def _comment_suppressions(text: str, rel: str, line: int) -> list[Found]:
    found: list[Found] = []
    m = _CHECKOV_COMMENT.search(text)
    if m is not None:
        found.append(Found("checkov", m.group("id").upper(), (m.group("reason") or "").strip(" *"), rel, line))
    tokens = list(_AQUA_COMMENT.finditer(text))
    if tokens:
        # words after the last token are the reason people write beside an ignore
        rest = text[tokens[-1].end() :].strip(" */-:#")
        for t in tokens:
            found.append(Found(t.group("tool").lower(), t.group("id"), rest, rel, line, until=t.group("exp")))
    k = _KICS_COMMENT.search(text)
    if k is not None:
        found.append(Found("kics", "", "", rel, line))
    return found


def _terraform(rel: str, text: str, result: Plan) -> None:
    try:
        hcl = parse_hcl(text, rel)
    except HclSyntaxError as exc:
        result.errors.append(f"{rel}:{exc.line}: cannot parse ({exc.message}); its suppressions are not migrated")
        return
    lines = text.splitlines(keepends=True)
    code_lines = _code_lines(lines, {c.line for c in hcl.comments if c.whole_line})
    existing = {c.line: parsed[0] for c in hcl.comments if (parsed := suppress.parse_directive(c.text)) is not None}
    targets: dict[int, list[Outcome]] = {}
    for c in hcl.comments:
        for found in _comment_suppressions(c.text, rel, c.line):
            outcome = _inline(found)
            result.outcomes.append(outcome)
            if not outcome.rules:
                continue
            if found.tool == "checkov":  # the whole resource
                block = next((b for b in hcl.body.blocks if b.span.line <= c.line <= b.span.end_line), None)
                if block is None:
                    block = next((b for b in hcl.body.blocks if b.header.line == _next_code(c.line, code_lines)), None)
                if block is None:
                    outcome.problem, outcome.rules = "a Checkov skip outside any resource suppresses nothing", ()
                    continue
                target = block.header.line
            else:  # the line it is on, or the next line of code
                target = c.line if not c.whole_line else _next_code(c.line, code_lines)
            targets.setdefault(target, []).append(outcome)
    nl = _newline(lines)
    inserts: dict[int, list[str]] = {}  # 0-based line index -> lines inserted before it
    appends: dict[int, str] = {}  # 0-based line index -> a comment at its end
    for target, items in sorted(targets.items()):
        if target > len(lines):
            for o in items:
                o.problem, o.rules = "it covers no line of code", ()
            continue
        per_rule = _per_rule(items)
        covered = set(existing.get(target, ())) | set(existing.get(target - 1, ()))
        for rule in [r for r in per_rule if r in covered]:
            del per_rule[rule]
            for o in items:
                if rule in o.rules:
                    o.notes.append(f"already suppressed by the seawall comment at line {target - 1 if rule in existing.get(target - 1, ()) else target}")
        reasoned = {r: v for r, v in per_rule.items() if v[0] != REASON_NEEDED}
        unreasoned = {r: v for r, v in per_rule.items() if v[0] == REASON_NEEDED}
        whole, tail = (reasoned, unreasoned) if reasoned else (unreasoned, {})
        indent = _indent(lines[target - 1])
        if whole:
            inserts.setdefault(target - 1, []).append(indent + _comment(whole) + nl)
        if tail:
            appends[target - 1] = " " + _comment(tail)
    for index, comment in appends.items():
        body = lines[index].rstrip("\r\n")
        lines[index] = body + comment + lines[index][len(body) :]
    for index in sorted(inserts, reverse=True):
        lines[index:index] = inserts[index]
    _change(result, rel, text, lines)


def _comment(per_rule: dict[str, tuple[str, str | None]]) -> str:
    reason = _reason(v[0] for v in per_rule.values() if v[0] != REASON_NEEDED)
    return suppress.directive_comment(per_rule, reason, _until(v[1] for v in per_rule.values()))


def _code_lines(lines: list[str], comment_lines: set[int]) -> list[int]:
    return [i for i, line in enumerate(lines, 1) if line.strip() and i not in comment_lines]


def _next_code(line: int, code_lines: list[int]) -> int:
    return next((i for i in code_lines if i > line), line + 1)


# --------------------------------------------------------------------------- CloudFormation and Kubernetes


def _pairs(node: Any) -> dict[str, tuple[Any, Any]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _items(node: Any) -> list[Any]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _scalar(node: Any) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _documents(rel: str, text: str, result: Plan) -> None:
    is_json = rel.endswith(JSON_SUFFIXES)
    try:
        docs = compose_all(_json_as_yaml(text) if is_json else text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        if re.search(r"checkov|cfn_nag|kube-linter\.io", text):
            result.errors.append(f"{rel}:{line}: cannot parse ({getattr(exc, 'problem', None) or exc}); its suppressions are not migrated")
        return
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        # comments seawall has no place for in these formats: listed, never dropped
        comment = line.partition("#")[2] if not is_json else ""
        for found in _comment_suppressions(comment, rel, number) if comment else ():
            if found.tool != "checkov":
                outcome = translate(found)
                outcome.rules, outcome.problem = (), outcome.problem or f"a {found.tool} comment in a YAML file is not migrated: write the seawall suppression (Metadata or annotation) by hand for {', '.join(outcome.rules)}"
                result.outcomes.append(outcome)
    inserts: dict[int, list[str]] = {}
    for doc in docs:
        top = _pairs(doc)
        if "Resources" in top:
            for _name, (_k, res) in _pairs(top["Resources"][1]).items():
                if "Metadata" in _pairs(res):
                    _cloudformation(rel, lines, _pairs(res)["Metadata"][1], is_json, result, inserts)
        elif "kind" in top and "metadata" in top:
            annotations = _pairs(top["metadata"][1]).get("annotations")
            if annotations is not None:
                _kubernetes(rel, lines, annotations[1], result, inserts)
    for index in sorted(inserts, reverse=True):
        lines[index:index] = inserts[index]
    _change(result, rel, text, lines)


def _cloudformation(rel: str, lines: list[str], metadata: Any, is_json: bool, result: Plan, inserts: dict[int, list[str]]) -> None:
    meta = _pairs(metadata)
    outcomes: list[Outcome] = []
    anchor = None
    for tool, list_key, reason_key in (("checkov", "skip", "comment"), ("cfn_nag", "rules_to_suppress", "reason")):
        if tool not in meta:
            continue
        key_node, value = meta[tool]
        anchor = anchor or key_node
        for entry in _items(_pairs(value).get(list_key, (None, None))[1]):
            fields = _pairs(entry)
            check = _scalar(fields["id"][1]) if "id" in fields else ""
            reason = _scalar(fields[reason_key][1]) if reason_key in fields else ""
            outcome = _inline(Found(tool, check, reason, rel, entry.start_mark.line + 1))
            if not check:
                outcome.problem = f"an entry of {tool} without an id suppresses nothing"
            result.outcomes.append(outcome)
            if outcome.rules:
                outcomes.append(outcome)
    if not outcomes or anchor is None:
        return
    per_rule = _per_rule(outcomes)
    if "seawall" in meta:
        ignore_list = _items(_pairs(meta["seawall"][1]).get("ignore", (None, None))[1])
        written = {_scalar(_pairs(e).get("rule", (None, None))[1]) for e in ignore_list}
        missing = [r for r in per_rule if r not in written]
        for o in outcomes:
            if missing:
                o.problem, o.rules = f"Metadata.seawall already exists: add {', '.join(missing)} to its ignore list by hand", ()
            else:
                o.notes.append("already in Metadata.seawall.ignore")
        return
    index, column = anchor.start_mark.line, anchor.start_mark.column
    line = lines[index] if index < len(lines) else ""
    key_column = column - 1 if is_json and column > 0 and line[column - 1 : column] == '"' else column
    if line[:key_column].strip():
        for o in outcomes:
            o.problem, o.rules = "the peer's Metadata is written on one line; add Metadata.seawall.ignore by hand", ()
        return
    indent, nl = line[:key_column], _newline(lines)
    if is_json:
        entries = [{"rule": r, "reason": reason, **({"until": until} if until else {})} for r, (reason, until) in per_rule.items()]
        inserts.setdefault(index, []).append(f'{indent}"seawall": {json.dumps({"ignore": entries})},{nl}')
    else:
        block = [f"{indent}seawall:{nl}", f"{indent}  ignore:{nl}"]
        block += [f"{indent}    - {suppress.metadata_entry(r, reason, until)}{nl}" for r, (reason, until) in per_rule.items()]
        inserts.setdefault(index, []).extend(block)


def _kubernetes(rel: str, lines: list[str], annotations: Any, result: Plan, inserts: dict[int, list[str]]) -> None:
    pairs = _pairs(annotations)
    outcomes: list[Outcome] = []
    anchor = None
    for key, (key_node, value) in pairs.items():
        if _CHECKOV_ANNOTATION.match(key):
            check, _, reason = _scalar(value).partition("=")
            found = Found("checkov", check.strip().upper(), reason.strip(), rel, key_node.start_mark.line + 1)
        elif key.startswith(_KUBE_LINTER_ANNOTATION):
            found = Found("kube-linter", key[len(_KUBE_LINTER_ANNOTATION) :], _scalar(value).strip(), rel, key_node.start_mark.line + 1)
        else:
            continue
        anchor = anchor or key_node
        outcome = _inline(found)
        result.outcomes.append(outcome)
        if outcome.rules:
            outcomes.append(outcome)
    if not outcomes or anchor is None:
        return
    written = {r for k, (_kn, v) in pairs.items() if k.startswith(suppress.ANNOTATION) for r in (suppress.parse_directive(f"{suppress.DIRECTIVE} {_scalar(v)}") or ((),))[0]}
    per_rule = {r: v for r, v in _per_rule(outcomes).items() if r not in written}
    for o in outcomes:
        if not any(r in per_rule for r in o.rules):
            o.notes.append(f"already suppressed by a {suppress.ANNOTATION} annotation")
    index, column = anchor.start_mark.line, anchor.start_mark.column
    line = lines[index] if index < len(lines) else ""
    if line[:column].strip():
        for o in outcomes:
            o.problem, o.rules = "the annotations are written on one line; add the seawall.dev/ignore annotation by hand", ()
        return
    taken = list(pairs)
    for rules, reason, until in _by_reason(per_rule):
        key = suppress.annotation_key(taken)
        taken.append(key)
        inserts.setdefault(index, []).append(f"{line[:column]}{key}: {suppress.annotation_value(rules, reason, until)}{_newline(lines)}")


# --------------------------------------------------------------------------- configuration


def _config_file(rel: str, text: str, result: Plan) -> list[Outcome]:
    """The peer's skip lists, translated (added to the seawall configuration by the caller)."""
    found: list[Found] = []
    if rel == ".trivyignore":
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if line:
                check, _, rest = line.partition(" ")
                exp = re.search(r"exp:(\d{4}-\d{2}-\d{2})", rest)
                found.append(Found("trivy", check, "", rel, number, until=exp.group(1) if exp else None))
    else:
        try:
            data = yaml.load(text, Loader=SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            result.errors.append(f"{rel}:{mark.line + 1 if mark else 1}: cannot parse ({exc}); its skip list is not migrated")
            return []
        if rel in CHECKOV_CONFIGS:
            skips = data.get("skip-check", []) if isinstance(data, dict) else []
            ids = [s.strip() for s in (skips.split(",") if isinstance(skips, str) else skips if isinstance(skips, list) else []) if str(s).strip()]
            found += [Found("checkov", str(i).strip(), "", rel, _line_of(text, str(i))) for i in ids]
        else:
            entries = data.get("misconfigurations") if isinstance(data, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("id"):
                    paths = entry.get("paths") or []
                    paths = [paths] if isinstance(paths, str) else paths if isinstance(paths, list) else []
                    found.append(Found("trivy", str(entry["id"]), str(entry.get("statement") or "").strip(), rel, _line_of(text, str(entry["id"])),
                                       until=str(entry["expired_at"]) if entry.get("expired_at") else None, paths=tuple(str(p) for p in paths)))
    outcomes = []
    for f in found:
        outcome = translate(f)
        result.outcomes.append(outcome)
        if outcome.rules and f.until:
            outcome.notes.append(f"its expiry ({f.until}) is not carried over: seawall's configuration ignores do not expire")
        if outcome.rules and f.paths and not f.reason:
            outcome.problem, outcome.rules = "an ignore limited to paths needs a reason in seawall's per-path-ignores, and this one has no statement: add it by hand with the reason", ()
        if outcome.rules:
            outcomes.append(outcome)
    return outcomes


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _configuration(root: str, ignores: list[Outcome], result: Plan) -> None:
    """Adds the translated skip lists to the seawall configuration of the repository."""
    seawall_toml = os.path.join(root, ".seawall.toml")
    pyproject = os.path.join(root, "pyproject.toml")
    rel, nested = ".seawall.toml", False
    old = _read(seawall_toml)
    if old is None:
        text = _read(pyproject)
        if text is not None and re.search(r"^\[tool\.seawall[\].]", text, re.M):
            rel, nested, old = "pyproject.toml", True, text
    try:
        doc = tomlkit.parse(old or "")
    except Exception as exc:  # tomlkit's parse errors have no common public base
        result.errors.append(f"{rel}: invalid TOML ({exc}); the skip lists are not migrated")
        for o in ignores:
            o.problem, o.rules = f"{rel} could not be read", ()
        return
    table: Any = doc
    if nested:
        table = doc["tool"]["seawall"]
    for key, kind in (("ignore", "an array of rule ids"), ("per-path-ignores", "an array of tables")):
        if key in table and not isinstance(table[key], list):
            result.errors.append(f"{rel}: {key} is not {kind}; the skip lists are not migrated")
            for o in ignores:
                o.problem, o.rules = f"{rel} could not be updated", ()
            return
    globals_ = [o for o in ignores if not o.found.paths]
    if globals_:
        current = table.get("ignore")
        listed = list(current) if current is not None else []
        added = [r for o in globals_ for r in o.rules if r not in listed]
        if added:
            array = current if current is not None else tomlkit.array()
            for rule in dict.fromkeys(added):
                array.append(rule)
            if current is None:
                table["ignore"] = array
    scoped = [o for o in ignores if o.found.paths]
    if scoped:
        current_aot = table.get("per-path-ignores")
        aot = current_aot if current_aot is not None else tomlkit.aot()
        for o in scoped:
            entry = tomlkit.table()
            entry["paths"] = list(o.found.paths)
            entry["rules"] = list(o.rules)
            entry["reason"] = o.found.reason
            aot.append(entry)
        if current_aot is None:
            table["per-path-ignores"] = aot
    new = tomlkit.dumps(doc)
    if new != (old or ""):
        result.changes[rel] = (old or "", new)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except OSError:
        return None


__all__ = ["REASON_NEEDED", "Found", "MigrateError", "Outcome", "Plan", "plan", "repository_files", "translate"]
