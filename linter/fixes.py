"""Safe automatic fixes: set the attributes a rule names to the value it declares safe.

A fix is offered only when it is certain to be right where it is applied:

- the finding is on an attribute the rule names (``fix.attribute``), or on the mapping
  that holds them; a rule that names several attributes (the four flags of an S3 public
  access block) gets one fix that sets every one of them that is not already safe,
  writing the missing ones, so applying it leaves nothing for the rule to find;
- the value is written there literally. A value that comes from a variable is fixed where
  it is set, the ``terraform.tfvars`` line or the variable's ``default``, when that is a
  literal and the variable feeds nothing but attributes this fix sets; otherwise there is
  no fix, and the finding's evidence says where the value comes from;
- formatting is kept: only the lines that change are rewritten, YAML keeps its
  indentation and comments, and in Terraform the ``=`` signs and trailing comments of the
  lines around an edit are aligned as ``terraform fmt`` aligns them.

Every fix replaces whole lines (``Fix.span`` runs from the first column of its first line
to the end of its last), so one fix can rewrite and insert several lines; the language
server's code action, SARIF ``fixes`` and ``seawall fix`` all apply this same edit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable

from msgspec import Struct

from linter.config import RunConfig
from linter.graph import Resource
from linter.model import Finding, Fix, Path, ScanResult, Span
from linter.ruleset import FixSpec, RuleSet
from linter.sources import looked_at, overridden_in, source_lines
from linter.values import PDict, Unknown

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# a literal HCL value: a string with no template, a number, a bool or null
_HCL_LITERAL = re.compile(r'^(?:"(?:[^"\\$%]|\\.|\$(?!\{)|%(?!\{))*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$')
_COMMENT_TAIL = re.compile(r"\s*(?:#|//).*$")


def _hcl(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def _yaml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", text) and text.lower() not in ("true", "false", "yes", "no", "null", "on", "off") else json.dumps(text)


def _same(current: object, wanted: object) -> bool:
    if isinstance(wanted, bool):
        return current is wanted or str(current).lower() == str(wanted).lower()
    return current == wanted or str(current) == str(wanted)


# --------------------------------------------------------------------------- Terraform lines


class _Cells(Struct):
    """A line cut as ``terraform fmt`` cuts it: the lead (indentation and key), the
    assignment (from ``=`` to the end of a value complete on this line) and a trailing
    comment. ``assign`` is None for lines that are not one-line assignments."""

    lead: str
    assign: str | None
    comment: str | None
    equals_at: int = -1  # the column of `=` as written (0-based)
    comment_gap: int = 1  # spaces before the trailing comment as written
    comment_at: int = -1  # its column as written
    pad: int | None = None  # spaces before `=` and before the comment, once aligned
    comment_pad: int | None = None
    clean: bool = True  # the line starts outside any heredoc or block comment


def _cells(lines: list[str]) -> list[_Cells]:
    """Cut every line of an HCL file, tracking strings, templates, heredocs and comments."""
    out: list[_Cells] = []
    heredoc: str | None = None
    block_comment = False
    for raw in lines:
        line = raw.rstrip("\r")
        clean = heredoc is None and not block_comment
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            out.append(_Cells(line, None, None))
            continue
        equals = -1
        depth_at_equals = 0
        depth = 0
        comment = -1
        tokens = 0  # tokens before the current position, as far as "first token" matters
        i = 0
        quote: list[int] = []  # template depth stack: inside a string when non-empty
        while i < len(line):
            c = line[i]
            if block_comment:
                end = line.find("*/", i)
                if end < 0:
                    i = len(line)
                    break
                block_comment = False
                i = end + 2
                continue
            if quote and depth == quote[-1]:  # inside a quoted string
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    quote.pop()
                elif line.startswith("${", i) or line.startswith("%{", i):
                    depth += 1
                    i += 2
                    continue
                i += 1
                continue
            if c == '"':
                quote.append(depth)
                tokens += 1
            elif c == "#" or line.startswith("//", i):
                comment = i
                break
            elif line.startswith("/*", i):
                end = line.find("*/", i + 2)
                if end < 0:
                    block_comment = True
                    break
                i = end + 2
                continue
            elif line.startswith("<<", i):
                m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$", line[i:])
                if m:
                    heredoc = m.group(1)
                    break
                i += 2
                continue
            elif c in "{[(":
                depth += 1
                tokens += 1
            elif c in "}])":
                depth -= 1
                tokens += 1
            elif c == "=" and equals < 0 and tokens > 0 and line[i + 1 : i + 2] not in ("=", ">") and line[i - 1 : i] not in ("=", "!", "<", ">"):
                equals, depth_at_equals = i, depth
            elif not c.isspace():
                tokens += 1
            i += 1
        body = line[:comment] if comment >= 0 else line
        trailing = line[comment:].rstrip() if comment >= 0 and body.strip() else None
        if trailing is None and comment >= 0:
            body = line  # a comment alone on its line is all lead
        # the value must be complete on this line: as many brackets closed as opened after `=`
        gap = len(body) - len(body.rstrip()) if trailing is not None else 1
        at = comment if trailing is not None else -1
        if equals >= 0 and depth == depth_at_equals and heredoc is None and not quote and not block_comment:
            out.append(_Cells(body[:equals].rstrip(), "= " + body[equals + 1 :].strip(), trailing, equals, gap, at))
        else:
            out.append(_Cells(body.rstrip() if trailing is not None else line, None, trailing, -1, gap, at))
        out[-1].clean = clean
    return out


def _chain(cells: list[_Cells], index: int, has: str) -> range:
    start = end = index
    while start > 0 and getattr(cells[start - 1], has) is not None:
        start -= 1
    while end + 1 < len(cells) and getattr(cells[end + 1], has) is not None:
        end += 1
    return range(start, end + 1)


def _render(cells: list[_Cells], touched: set[int], before: dict[int, _Cells]) -> set[int]:
    """Align the ``=`` signs and trailing comments of each chain of consecutive lines that
    holds a touched line, as ``terraform fmt`` does, when the chain's lines were aligned that
    way ``before`` the edit (new line index -> the line's cells in the original; inserted
    lines have none); a chain written otherwise keeps its spacing. Return the lines that
    may change."""
    region = set(touched)
    while True:
        grown = set(region)
        for i in region:
            for has in ("assign", "comment"):
                if getattr(cells[i], has) is not None:
                    grown.update(_chain(cells, i, has))
        if grown == region:
            break
        region = grown
    done: set[int] = set()
    for i in sorted(region):
        if cells[i].assign is not None and i not in done:
            chain = _chain(cells, i, "assign")
            done.update(chain)
            old = [before[j] for j in chain if j in before]
            if any(c.equals_at != max(len(o.lead) for o in old) + 1 for c in old):
                continue  # not aligned by terraform fmt before: keep the spacing as written
            width = max(len(cells[j].lead) for j in chain)
            for j in chain:
                cells[j].pad = width - len(cells[j].lead) + 1
    done = set()
    for i in sorted(region):
        if cells[i].comment is not None and i not in done:
            chain = _chain(cells, i, "comment")
            done.update(chain)
            old = [before[j] for j in chain if j in before]
            if any(o.comment_at != max(o2.comment_at - o2.comment_gap for o2 in old) + 1 for o in old):
                continue
            width = max(len(_code(cells[j])) for j in chain)
            for j in chain:
                cells[j].comment_pad = width - len(_code(cells[j])) + 1
    return region


def _code(cells: _Cells) -> str:
    if cells.assign is None:
        return cells.lead
    pad = cells.pad if cells.pad is not None else max(cells.equals_at - len(cells.lead), 1)
    return cells.lead + " " * pad + cells.assign


def _line_of(cells: _Cells) -> str:
    """The line as cut, with the spacing ``_render`` chose, or as written."""
    code = _code(cells)
    if cells.comment is None:
        return code
    return code + " " * (cells.comment_pad if cells.comment_pad is not None else cells.comment_gap) + cells.comment


# --------------------------------------------------------------------------- edits


class _Edit(Struct):
    """Lines of one file to set (0-based index -> new text) and to insert after a line."""

    file: str
    lines: list[str]
    replace: dict[int, str]
    insert_after: dict[int, list[str]]


# the cut of the last files fixes were made in (the lines list, kept so its id stays unique)
_cuts: dict[int, tuple[list[str], list[_Cells]]] = {}


def _cut_of(lines: list[str]) -> list[_Cells]:
    hit = _cuts.get(id(lines))
    if hit is not None and hit[0] is lines:
        return hit[1]
    if len(_cuts) >= 16:
        _cuts.clear()
    cells = _cells(lines)
    _cuts[id(lines)] = (lines, cells)
    return cells


def _window(edit: _Edit) -> tuple[int, int]:
    """The lines an edit can affect: from a line cut from a clean start (outside heredocs
    and block comments) before the first edited line, through every line chained to the
    edited ones by aligned ``=`` signs or trailing comments. Cutting and aligning only
    these keeps a fix's cost independent of the file's length (a module of thousands of
    resources got one fix per finding, each cutting the whole file)."""
    cells = _cut_of(edit.lines)
    edited = list(edit.replace) + list(edit.insert_after)
    first, last = min(edited), max(edited)
    while first > 0 and (not cells[first].clean or cells[first - 1].assign is not None or cells[first - 1].comment is not None):
        first -= 1
    while last + 1 < len(cells) and (cells[last + 1].assign is not None or cells[last + 1].comment is not None):
        last += 1
    return first, last + 1


def _as_fix(edit: _Edit, title: str, terraform: bool) -> Fix | None:
    """The edit as one whole-lines replacement, realigned for Terraform."""
    if not edit.replace and not edit.insert_after:
        return None
    start, stop = _window(edit) if terraform else (min([*edit.replace, *edit.insert_after]), max([*edit.replace, *edit.insert_after]) + 1)
    if start or stop < len(edit.lines):
        part = _Edit(edit.file, edit.lines[start:stop], {k - start: v for k, v in edit.replace.items()}, {k - start: v for k, v in edit.insert_after.items()})
        fix = _as_fix_of(part, title, terraform)
        if fix is None:
            return None
        span = fix.span
        return Fix(Span(span.file, span.line + start, span.column, span.end_line + start, span.end_column), fix.replacement, fix.title)
    return _as_fix_of(edit, title, terraform)


def _as_fix_of(edit: _Edit, title: str, terraform: bool) -> Fix | None:
    lines = [line.rstrip("\r") for line in edit.lines]
    cr = "\r" if edit.lines and edit.lines[0].endswith("\r") else ""
    new: list[tuple[int | None, str]] = []  # (original index or None for an inserted line, text)
    for i, line in enumerate(lines):
        new.append((i, edit.replace.get(i, line)))
        for extra in edit.insert_after.get(i, ()):
            new.append((None, extra))
    touched = {k for k, (orig, _) in enumerate(new) if orig is None or orig in edit.replace or orig in edit.insert_after}
    if not touched:
        return None
    if terraform:
        cells = _cells([text for _, text in new])
        original = _cells(lines)
        before = {k: original[orig] for k, (orig, _) in enumerate(new) if orig is not None}
        touched = _render(cells, touched, before)
        new = [(orig, _line_of(c) if k in touched and (c.assign is not None or c.comment is not None) else text) for k, ((orig, text), c) in enumerate(zip(new, cells))]
    first, last = min(touched), max(touched)
    while new[first][0] is None:
        first -= 1
    while last + 1 < len(new) and new[last + 1][0] is None:
        last += 1

    def unchanged(k: int) -> bool:
        orig = new[k][0]
        return orig is not None and new[k][1] == lines[orig]

    while first < last and unchanged(first) and new[first + 1][0] is not None:
        first += 1
    while last > first and unchanged(last):
        last -= 1
    last_orig = max(o for o, _ in new[first : last + 1] if o is not None)
    first_orig = new[first][0]
    assert first_orig is not None
    replacement = (cr + "\n").join(text for _, text in new[first : last + 1])
    if replacement == "\n".join(lines[first_orig : last_orig + 1]):
        return None
    end_column = len(edit.lines[last_orig].rstrip("\r")) + 1
    return Fix(Span(edit.file, first_orig + 1, 1, last_orig + 1, end_column), replacement, title)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


# --------------------------------------------------------------------------- the fix


def make_fix(spec: FixSpec, holder: Resource, path: Path, span: Span) -> Fix | None:
    """The safe fix for a finding on ``holder`` at ``path`` (located at ``span``), or None."""
    if holder.format == "terraform" and span.file.endswith(".json"):
        return None  # Terraform JSON syntax: not rewritten
    if holder.meta.get("contract"):
        return None  # made by a module contract: its settings are the module's, not the call's arguments
    if path and isinstance(path[-1], str) and path[-1] in spec.attributes:
        container: Path = path[:-1]
        reported: str | None = path[-1]
    elif len(spec.attributes) > 1:
        container, reported = path, None  # the finding is on the mapping that holds the attributes
    else:
        return None
    mapping = _mapping_at(holder.attrs, container)
    if mapping is None or mapping.span is None:
        return None
    if reported is None and not any(a in mapping for a in spec.attributes) and container:
        return None
    if os.sep + ".terraform" + os.sep in os.path.abspath(span.file):
        return None  # a downloaded module: not ours to edit
    lines = source_lines(span.file)
    if not lines:
        return None
    wanted = [a for a in (spec.attributes if len(spec.attributes) > 1 else (reported,)) if a is not None]
    title = spec.title or f"Set {wanted[0]} to {spec.value}"
    to_set: list[str] = []
    for attr in wanted:
        current = mapping.get(attr)
        if attr in mapping and (isinstance(current, Unknown) or _same(current, spec.value)):
            continue  # already safe, or not known to be unsafe
        to_set.append(attr)
    if not to_set:
        return None
    written = [a for a in to_set if a in mapping]
    through = [a for a in written if holder.origins is not None and holder.origins(container + (a,))]
    if through:
        if len(to_set) == 1 and holder.format == "terraform":
            return _fix_at_origin(spec, holder, container + (through[0],), mapping, lines, title)
        return None  # part of the fix would overwrite a reference
    edit = _Edit(span.file, lines, {}, {})
    for attr in written:
        entry = mapping.spans.get(attr)
        if entry is None or entry.file != span.file or entry.line != entry.end_line:
            return None
        new = _set_entry(holder.format, lines[entry.line - 1].rstrip("\r"), entry, attr, spec.value)
        if new is None:
            return None
        edit.replace[entry.line - 1] = new
    missing = [a for a in to_set if a not in mapping]
    if missing and not _insert(holder, mapping, missing, spec.value, lines, edit):
        return None
    return _as_fix(edit, title, holder.format == "terraform")


def _mapping_at(root: PDict, path: Path) -> PDict | None:
    node: object = root
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node if isinstance(node, PDict) and not node.via_variable else None


def _set_entry(fmt: str, line: str, entry: Span, key: str, value: object) -> str | None:
    """The line with the entry at ``entry`` set to ``value``; None unless it is written as a
    literal ``key = value`` (HCL) or ``key: value`` (YAML, JSON)."""
    before, text, after = line[: entry.column - 1], line[entry.column - 1 : entry.end_column - 1], line[entry.end_column - 1 :]
    if fmt == "terraform":
        m = re.match(r'^("?)([^"=\s]+)\1(\s*=\s*)(.*)$', text)
        if not m or m.group(2) != key or not _HCL_LITERAL.match(m.group(4).strip()):
            return None
        return f"{before}{text[: m.start(4)]}{_hcl(value)}{after}"
    entry_text = _yaml_entry(line, entry.column)
    if entry_text is None or entry_text[0] != key:
        return None
    _, value_start, value_end = entry_text
    old = line[value_start:value_end]
    if not old or old[0] in "!{[&*|>":
        return None  # a tag (!Ref), a collection, an alias or a block scalar: not a literal
    rendered = json.dumps(value) if line[entry.column - 1] == '"' else _yaml(value)
    return line[:value_start] + rendered + line[value_end:]


_YAML_ENTRY = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:#'"][^:#]*?)\s*:[ \t]+("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#,{}\[\]][^#,{}\[\]]*?)?[ \t]*(?=,|}|]|[ \t]#|$)""")


def _yaml_entry(line: str, column: int) -> tuple[str, int, int] | None:
    """The key of the YAML or JSON entry that starts at ``column`` (1-based) and where its
    one-line scalar value starts and ends (0-based, end exclusive)."""
    m = _YAML_ENTRY.match(line, column - 1)
    if m is None or m.group(2) is None:
        return None
    key = m.group(1)
    if key[:1] in "\"'":
        key = key[1:-1]
    return key, m.start(2), m.end(2)


def _insert(holder: Resource, mapping: PDict, missing: list[str], value: object, lines: list[str], edit: _Edit) -> bool:
    """Write the ``missing`` attributes into ``mapping``: after its last one-line entry (in
    Terraform, its last one-line attribute), with the same indentation."""
    entries = sorted((s for s in mapping.spans.values() if s is not None and s.file == edit.file), key=lambda s: (s.line, s.column))
    if holder.format == "terraform":
        singles = [s for s in entries if s.line == s.end_line and s.line > holder.span.line and "=" in lines[s.line - 1]]
        if singles:
            anchor = singles[-1].line - 1
            indent = _indent(lines[anchor])
        else:  # no attribute to follow: before the closing brace
            close = holder.block_span.end_line - 1
            if close <= holder.span.line - 1 or close >= len(lines) or lines[close].strip() != "}":
                return False
            anchor = close - 1
            indent = _indent(lines[close]) + "  "
        if anchor < holder.span.line - 1 or anchor in edit.insert_after:
            return False
        edit.insert_after[anchor] = [f"{indent}{a if _BARE_KEY.match(a) else json.dumps(a)} = {_hcl(value)}" for a in missing]
        return True
    if not entries:
        return False
    last = entries[-1]
    if last.line != last.end_line and not (last.end_line == last.line + 1 and last.end_column == 1):
        return False  # the last entry spans lines: no safe place after it
    line = lines[last.line - 1].rstrip("\r")
    if next((x.strip() for x in lines if x.strip()), "").startswith(("{", "[")):  # a JSON document
        if line[: last.column - 1].strip() not in ("", "{", ","):
            return False
        indent = " " * (last.column - 1)
        found = _yaml_entry(line, last.column)
        if found is None:
            return False
        end = found[2]
        rest = line[end:]
        edit.replace[last.line - 1] = line[:end] + "".join(f",\n{indent}{json.dumps(a)}: {json.dumps(value)}" for a in missing) + rest
        return True
    if line[: last.column - 1].strip():
        return False  # the entry does not start its line (a flow mapping)
    indent = " " * (last.column - 1)
    edit.insert_after[last.line - 1] = [f"{indent}{a}: {_yaml(value)}" for a in missing]
    return True


# --------------------------------------------------------------------------- variables


_VAR_REF = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_-]*)$")


def _fix_at_origin(spec: FixSpec, holder: Resource, path: Path, mapping: PDict, lines: list[str], title: str) -> Fix | None:
    """``attr = var.NAME`` whose value is set by one literal: fix that line (a tfvars line or
    the variable's ``default``) when the variable feeds nothing but attributes this fix sets."""
    key = path[-1]
    entry = mapping.spans.get(key)
    if entry is None or entry.line != entry.end_line or not isinstance(key, str):
        return None
    written = lines[entry.line - 1][entry.column - 1 : entry.end_column - 1]
    m = re.match(r'^"?[^"=\s]+"?\s*=\s*(.*)$', written)
    ref = _VAR_REF.match(_COMMENT_TAIL.sub("", m.group(1)).strip()) if m else None
    if ref is None or holder.origins is None:
        return None
    name = ref.group(1)
    origins = [ev for ev in holder.origins(path) if ev.span is not None]
    if len(origins) != 1 or not origins[0].message.startswith(f"var.{name} = "):
        return None
    origin = origins[0].span
    assert origin is not None
    if origin.line != origin.end_line or origin.file.endswith(".json"):
        return None
    module_dir = os.path.dirname(entry.file)
    if not _only_feeds(name, module_dir, spec.attributes):
        return None
    target = source_lines(origin.file)
    if not 0 < origin.line <= len(target):
        return None
    line = target[origin.line - 1].rstrip("\r")
    expect = "default" if origin.file.endswith(".tf") else name
    cells = _cells([line])[0]
    if cells.assign is None or cells.lead.strip().strip('"') != expect or not _HCL_LITERAL.match(cells.assign[1:].strip()):
        return None
    cells.assign = f"= {_hcl(spec.value)}"
    edit = _Edit(origin.file, target, {origin.line - 1: _line_of(cells)}, {})
    where = "the variable's default" if expect == "default" else os.path.basename(origin.file)
    return _as_fix(edit, f"{title}: var.{name} = {_hcl(spec.value)} in {where}", True)


def _only_feeds(name: str, module_dir: str, attributes: Iterable[str]) -> bool:
    """Every use of ``var.NAME`` in the module is the whole value of one of ``attributes``."""
    use = re.compile(rf"\bvar\.{re.escape(name)}\b")
    whole = re.compile(rf'^\s*"?({"|".join(re.escape(a) for a in attributes)})"?\s*=\s*var\.{re.escape(name)}\s*(?:(?:#|//).*)?$')
    looked_at(module_dir or ".")
    try:
        names = set(os.listdir(module_dir or "."))
    except OSError:
        return False
    names |= set(overridden_in(module_dir or ".", (".tf",)))
    uses = 0
    for file in sorted(n for n in names if n.endswith(".tf")):
        for line in source_lines(os.path.join(module_dir, file)):
            if use.search(line):
                if not whole.match(line.rstrip("\r")):
                    return False
                uses += 1
    return uses > 0


# --------------------------------------------------------------------------- applying


def apply(text: str, fixes: Iterable[Fix]) -> str:
    """``text`` with ``fixes`` (spans in it, not overlapping) applied."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for fix in sorted(fixes, key=lambda f: (f.span.line, f.span.column), reverse=True):
        s = fix.span
        text = text[: offset(s.line, s.column)] + fix.replacement + text[offset(s.end_line, s.end_column) :]
    return text


# evidence that says where a finding's value was set (see the parsers' ``origins``)
ORIGIN_PREFIXES = ("var.", "local.", "parameter ")
MAX_PASSES = 5


class Outcome(Struct):
    """What ``seawall fix`` did (or would do): the new texts of the files it changes, each
    finding fixed with its fix, the findings of rules with a safe fix that got none (and
    where their value comes from), and the scan of the fixed texts."""

    texts: dict[str, str]
    fixed: list[tuple[Finding, Fix]]
    unfixed: list[tuple[Finding, str]]
    skipped: list[tuple[str, str]]  # files that cannot be rewritten, and why
    result: ScanResult


def fix_all(config: RunConfig, rules: RuleSet) -> Outcome:
    """Scan, apply every safe fix in memory, and scan again until nothing more is fixed
    (a fix never overlaps another in the same pass; the next pass picks up the rest)."""
    from linter.engine import run
    from linter.sources import SourceError, decode_source

    base = dict(config.overrides)
    texts: dict[str, str] = {}
    fixed: list[tuple[Finding, Fix]] = []
    skipped: dict[str, str] = {}
    seen: set[tuple[str, str, int]] = set()
    result = ScanResult()
    for _ in range(MAX_PASSES + 1):
        config.overrides = {**base, **texts}
        result = run(config, rules)
        by_file: dict[str, list[tuple[Finding, Fix]]] = {}
        for f in result.findings:
            if f.active and f.fix is not None and f.fix.span.file not in skipped:
                by_file.setdefault(os.path.normpath(f.fix.span.file), []).append((f, f.fix))
        changed = False
        for file, pairs in sorted(by_file.items()):
            if file not in texts:
                try:
                    with open(file, "rb") as fh:
                        data = fh.read()
                    texts[file] = decode_source(data)
                except (OSError, SourceError) as exc:
                    skipped[file] = str(getattr(exc, "message", exc))
                    continue
                problem = _rewritable(data)
                if problem:
                    skipped[file] = problem
                    del texts[file]
                    continue
            chosen: list[Fix] = []
            end = (0, 0)
            for f, fix in sorted(pairs, key=lambda p: (p[1].span.line, p[1].span.column)):
                if fix in chosen:
                    pass
                elif (fix.span.line, fix.span.column) < end:
                    continue  # overlaps a fix of this pass: the next pass sees it again
                else:
                    chosen.append(fix)
                    end = (fix.span.end_line, fix.span.end_column + 1)
                key = (f.rule_id, f.span.file, f.span.line)  # instances of one resource: one finding to fix
                if key not in seen:
                    seen.add(key)
                    fixed.append((f, fix))
            if chosen:
                texts[file] = apply(texts[file], chosen)
                changed = True
        if not changed:
            break
    unfixed = []
    for f in result.findings:
        rule = rules.get(f.rule_id)
        if f.active and f.fix is None and rule is not None and rule.fixes:
            origins = [e for e in f.evidence if e.message.startswith(ORIGIN_PREFIXES)]
            where = "; ".join(e.message + (f" ({e.span.file}:{e.span.line})" if e.span else "") for e in origins)
            unfixed.append((f, f"the value comes from {where}: change it there" if where else f"no safe automatic fix for this finding (see `seawall rules show {f.rule_id}`)"))
    config.overrides = base
    return Outcome(texts, fixed, unfixed, sorted(skipped.items()), result)


def _rewritable(data: bytes) -> str | None:
    """Why a file cannot be written back byte for byte except for the fix, or None."""
    body = data[len(b"\xef\xbb\xbf") :] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8; not rewritten"
    crlf, lf = body.count(b"\r\n"), body.count(b"\n")
    if crlf and crlf != lf or b"\r" in body.replace(b"\r\n", b""):
        return "mixed line endings; not rewritten"
    return None


def encode_like(original: bytes, text: str) -> bytes:
    """``text`` in the encoding and line endings of ``original`` (see :func:`_rewritable`)."""
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8")
