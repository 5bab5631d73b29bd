"""Terraform plan JSON (``terraform show -json plan.out``) and deployed state: fully resolved values, same rules.

A plan's ``planned_values`` hold every resource instance with its values as Terraform will
create them (variables, modules, ``count`` and ``for_each`` all resolved); values known only
after apply are missing there and marked in ``resource_changes[].change.after_unknown``,
and become Unknown here. References between resources come from the plan's
``configuration`` (``expressions.<attr>.references``).

Deployed state is read the same way: a state file (``terraform.tfstate``, format 4: each
resource's ``instances[].attributes``) or ``terraform show -json`` of a state (``values``
instead of ``planned_values``). Its values are what is live now, so a setting changed
outside the code is judged too. State holds secrets: its lines are never quoted in output
(:func:`is_state_file`), only the deciding values, redacted as every message is.

Locations: when the Terraform source is beside the plan (the plan's directory holds ``.tf``
files, or ``--plan-source DIR`` names it), the source is evaluated too and each plan value
takes the span of the same attribute of the same resource instance in the source, so a
finding lands on the ``.tf`` line. Otherwise it lands on the resource's entry in the plan
file itself.
"""

from __future__ import annotations

import json
import os
from typing import Any

from linter.graph import Resource
from linter.model import Evidence, InputError, Span
from linter.parsers.base import ParseOutput
from linter.sources import SourceError, read_source, source_problem
from linter.values import PDict, PList, Unknown


def looks_like_plan(head: str) -> bool:
    return '"format_version"' in head and ('"planned_values"' in head or '"terraform_version"' in head)


def is_state_file(path: str) -> bool:
    """Whether ``path`` holds deployed state (a state file, or ``terraform show -json`` of a
    state): its lines are never quoted in output, only the deciding values (state holds secrets)."""
    if path.endswith(".tfstate"):
        return True
    if not path.endswith(".json"):
        return False
    from linter.sources import read_head

    try:
        head = read_head(path)
    except Exception:
        return False
    return looks_like_shown_state(head)


def looks_like_shown_state(head: str) -> bool:
    """``terraform show -json`` of a state (not of a plan): ``values`` without a plan's keys."""
    return looks_like_plan(head) and '"values"' in head and not any(k in head for k in ('"planned_values"', '"resource_changes"', '"prior_state"'))


def _state_entries(state: Any) -> list[Any]:
    """The resource instances of a state file as the entries ``terraform show -json`` lists
    (address, mode, type, name, values), positioned when ``state`` is."""
    out: list[Any] = []
    for res in state.get("resources") or []:
        if not isinstance(res, dict) or not isinstance(res.get("type"), str) or not isinstance(res.get("name"), str):
            continue
        mode = res.get("mode", "managed")
        local = f"{'data.' if mode == 'data' else ''}{res['type']}.{res['name']}"
        module = res.get("module")
        base = f"{module}.{local}" if isinstance(module, str) and module else local
        for inst in res.get("instances") or []:
            if not isinstance(inst, dict):
                continue
            key = inst.get("index_key")
            address = base if key is None else f"{base}[{json.dumps(key)}]"
            entry = {"address": address, "mode": mode, "type": res["type"], "name": res["name"], "values": inst.get("attributes") or {}}
            out.append(PDict(entry, span=inst.span) if isinstance(inst, PDict) else entry)
    return out


def _document_entries(doc: Any) -> tuple[str, list[Any]]:
    """("plan" or "state", the resource entries) of a plan, a ``terraform show -json`` of a
    state, or a state file."""
    if "planned_values" in doc:
        root = (doc.get("planned_values") or {}).get("root_module") or {}
        kind = "plan"
    elif "format_version" in doc:
        root = (doc.get("values") or {}).get("root_module") or {}
        kind = "state"
    else:
        return "state", _state_entries(doc)
    return kind, [r for m in _modules(root) for r in (m.get("resources") or []) if isinstance(r, dict)]


def _modules(module: dict[str, Any]) -> list[dict[str, Any]]:
    out = [module]
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            out.extend(_modules(child))
    return out


def _strip_index(address: str) -> str:
    """``module.a["x"].aws_s3_bucket.b[0]`` -> ``module.a.aws_s3_bucket.b`` (config address)."""
    out = []
    depth = 0
    for ch in address:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _module_of(address: str) -> str:
    """The module path of a resource address: ``module.a.module.b.aws_x.y[0]`` -> ``module.a.module.b``."""
    parts = _strip_index(address).split(".")
    mods = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        mods.append(f"module.{parts[i + 1]}")
        i += 2
    return ".".join(mods)


def _config_resources(config: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Config address (with module path, no indexes) -> the configuration entry."""
    out: dict[str, dict[str, Any]] = {}
    for res in config.get("resources") or []:
        if isinstance(res, dict) and isinstance(res.get("address"), str):
            out[prefix + res["address"]] = res
    for name, call in (config.get("module_calls") or {}).items():
        if isinstance(call, dict) and isinstance(call.get("module"), dict):
            out.update(_config_resources(call["module"], f"{prefix}module.{name}."))
    return out


def _with_unknowns(values: Any, unknown: Any, address: str) -> Any:
    """Plan values with the parts Terraform knows only after apply marked Unknown."""
    if unknown is True:
        return Unknown(f"{address} is known only after apply")
    if isinstance(values, dict) and isinstance(unknown, dict):
        out = dict(values)
        for k, u in unknown.items():
            out[k] = _with_unknowns(values.get(k), u, address)
        return out
    if isinstance(values, list) and isinstance(unknown, list):
        return [_with_unknowns(v, unknown[i] if i < len(unknown) else False, address) for i, v in enumerate(values)]
    return values


def _positioned(value: Any, source: Any, fallback: Span) -> Any:
    """Plan data as PDict/PList, each entry taking the span of the same entry in ``source``."""
    if isinstance(value, dict):
        spans_from = source if isinstance(source, PDict) else None
        out = PDict(span=spans_from.span if spans_from is not None and spans_from.span else fallback)
        for k, v in value.items():
            if v is None:
                continue  # null means "not set", as in the source
            sub = source.get(k) if isinstance(source, dict) else None
            span = spans_from.spans.get(k) if spans_from is not None else None
            out[k] = _positioned(v, sub, span or out.span)
            out.spans[k] = span or out.span
        return out
    if isinstance(value, list):
        items, spans = [], []
        for i, v in enumerate(value):
            sub = source[i] if isinstance(source, list) and i < len(source) else None
            span = source.spans[i] if isinstance(source, PList) and i < len(source.spans) else None
            items.append(_positioned(v, sub, span or fallback))
            spans.append(span or fallback)
        return PList(items, span=fallback, spans=spans)
    return value


def load_plan(path: str, max_bytes: int, source: dict[str, Resource] | None) -> ParseOutput:
    """Resources of a plan file; ``source`` maps addresses to the resources evaluated from the .tf files."""
    try:
        return _load_plan(path, max_bytes, source)
    except RecursionError:
        return ParseOutput(files=[path], errors=[InputError(path, 1, 1, "plan nested too deeply to analyse", "parse")])
    except Exception as exc:
        from linter.internal import internal_error

        return ParseOutput(files=[path], errors=[internal_error(path, exc)])


def _load_plan(path: str, max_bytes: int, source: dict[str, Resource] | None) -> ParseOutput:
    out = ParseOutput(files=[path])
    try:
        text = read_source(path, max_bytes)
        plan = json.loads(text)
    except SourceError as exc:
        out.problem(source_problem(path, exc))
        return out
    except ValueError as exc:
        out.errors.append(InputError(path, getattr(exc, "lineno", 1), getattr(exc, "colno", 1), f"invalid JSON: {exc}"))
        return out
    if isinstance(plan, dict) and "format_version" not in plan and ("lineage" in plan or path.endswith(".tfstate")):
        state_version = plan.get("version")
        if state_version != 4 or not isinstance(plan.get("resources", []), list):
            out.errors.append(InputError(path, 1, 1, f"not a Terraform state seawall reads (version {state_version!r}; version 4 is written by Terraform 0.12 and later)"))
            return out
    else:
        version = str(plan.get("format_version", "")) if isinstance(plan, dict) else ""
        if not version.startswith(("0.", "1.")):
            out.errors.append(InputError(path, 1, 1, f"unsupported plan format_version {version or '(missing)'}"))
            return out
    unknowns: dict[str, Any] = {}
    for change in plan.get("resource_changes") or []:
        if isinstance(change, dict) and isinstance(change.get("change"), dict):
            unknowns[change.get("address", "")] = change["change"].get("after_unknown") or {}
    config = _config_resources((plan.get("configuration") or {}).get("root_module") or {})
    positioned = None if source else _positioned_entries(text, path)
    kind, entries = _document_entries(plan)
    what = f"the plan {os.path.basename(path)}"
    if kind == "state":
        what = f"the state {os.path.basename(path)}: what is deployed now" + ("; the line shown is where the source sets it" if source else "")
    ids = {e["address"]: f"{path}::{e['address']}" for e in entries if isinstance(e.get("address"), str)}
    by_config: dict[str, list[str]] = {}
    for address in ids:
        by_config.setdefault(_strip_index(address), []).append(address)
    for index, entry in enumerate(entries):
        address = entry.get("address")
        rtype = entry.get("type")
        if not isinstance(address, str) or not isinstance(rtype, str):
            continue
        mode = entry.get("mode", "managed")
        values = _with_unknowns(entry.get("values") or {}, unknowns.get(address, {}), address)
        src = None
        if source:
            src = source.get(address) or source.get(_strip_index(address))
        if src is not None:
            header, block_span, attrs = src.span, src.block_span, _positioned(values, src.attrs, src.span)
            call_chain = src.call_chain
        else:
            entry_pos = positioned[index] if positioned and index < len(positioned) else None
            header = entry_pos.span if isinstance(entry_pos, PDict) and entry_pos.span else Span(path, 1)
            values_pos = entry_pos.get("values") if isinstance(entry_pos, PDict) else None
            block_span, attrs, call_chain = header, _positioned(values, values_pos, header), ()
        module = _module_of(address)
        cfg = config.get(_strip_index(address), {})
        refs: dict[str, frozenset[str]] = {}
        for attr, expr in (cfg.get("expressions") or {}).items():
            targets: set[str] = set()
            for ref in _references(expr):
                target = _reference_target(ref, module)
                for candidate in by_config.get(target, []):
                    if candidate != address:
                        targets.add(ids[candidate])
            if targets:
                refs[attr] = frozenset(targets)
        out.resources.append(
            Resource(
                id=ids[address],
                address=address,
                type=rtype if mode == "managed" else f"data.{rtype}",
                format="terraform",
                attrs=attrs,
                span=header,
                block_span=block_span,
                refs=refs,
                call_chain=call_chain + (Evidence(f"values from {what}", Span(path, 1)),),
                meta={"mode": mode, kind: path},
            )
        )
    return out


def _references(expr: Any) -> list[str]:
    """Every ``references`` list inside a configuration expression (blocks nest them)."""
    out: list[str] = []
    if isinstance(expr, dict):
        refs = expr.get("references")
        if isinstance(refs, list):
            out.extend(r for r in refs if isinstance(r, str))
        for k, v in expr.items():
            if k != "references":
                out.extend(_references(v))
    elif isinstance(expr, list):
        for item in expr:
            out.extend(_references(item))
    return out


def _reference_target(ref: str, module: str) -> str:
    """``aws_s3_bucket.b.id`` (inside ``module``) -> the config address ``module.x.aws_s3_bucket.b``."""
    parts = _strip_index(ref).split(".")
    if parts[0] == "data" and len(parts) >= 3:
        local = ".".join(parts[:3])
    elif len(parts) >= 2 and parts[0] not in ("var", "local", "module", "each", "count", "path", "self", "terraform"):
        local = ".".join(parts[:2])
    else:
        return ""
    return f"{module}.{local}" if module else local


def _positioned_entries(text: str, path: str) -> list[Any] | None:
    """The planned resource entries of the plan file, positioned, in document order."""
    from linter.positioned import json_with_positions

    doc = json_with_positions(text, path)
    if not isinstance(doc, dict):
        return None
    return _document_entries(doc)[1]
