"""Terraform state files in a fleet: what is deployed, checked by the same rules.

A state (``terraform.tfstate``, format version 4, or ``terraform show -json`` of a state)
holds every resource instance with its attribute values as deployed. It is rewritten into
the shape of plan JSON (``planned_values``), which the engine already reads, and each
finding is put back on the state file's own line: the attribute's line when the state
holds it, else the instance's.
"""

from __future__ import annotations

import json
from typing import Any

from linter.model import Path
from linter.values import PDict, PList, plain_data


class StateError(Exception):
    pass


def is_state(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("resources"), list) and isinstance(doc.get("version"), int):
        return True
    return "values" in doc and "format_version" in doc and "planned_values" not in doc


def _address(module: str, mode: str, rtype: str, name: str, key: Any) -> str:
    base = f"{module + '.' if module else ''}{'data.' if mode == 'data' else ''}{rtype}.{name}"
    if key is None:
        return base
    return f"{base}[{json.dumps(key)}]" if isinstance(key, str) else f"{base}[{key}]"


def as_plan(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan-shaped document of a state, and each resource address's attribute values
    as read from the state (positioned, when ``doc`` is)."""
    if "values" in doc:  # `terraform show -json` of a state: already the plan's shape
        top = (doc.get("values") or {}).get("root_module") or {}
        located = {}
        stack = [top]
        while stack:
            module = stack.pop()
            if not isinstance(module, dict):
                continue
            stack.extend(module.get("child_modules") or [])
            for r in module.get("resources") or []:
                if isinstance(r, dict) and isinstance(r.get("address"), str):
                    located[r["address"]] = r.get("values")
        return {"format_version": "1.2", "terraform_version": doc.get("terraform_version", ""), "planned_values": {"root_module": plain_data(top)}}, located
    if doc.get("version") != 4:
        raise StateError(f"unsupported state version {doc.get('version')} (seawall reads version 4, Terraform 0.12 and later)")
    modules: dict[str, list[dict[str, Any]]] = {}
    located = {}
    for r in doc.get("resources") or []:
        if not isinstance(r, dict) or not isinstance(r.get("type"), str) or not isinstance(r.get("name"), str):
            continue
        module = r.get("module") or ""
        mode = r.get("mode") or "managed"
        for instance in r.get("instances") or []:
            if not isinstance(instance, dict):
                continue
            address = _address(module, mode, r["type"], r["name"], instance.get("index_key"))
            values = instance.get("attributes")
            if not isinstance(values, dict):
                continue
            located[address] = values
            entry = {"address": address, "mode": mode, "type": r["type"], "name": r["name"], "provider_name": r.get("provider", ""), "values": plain_data(values)}
            if "index_key" in instance:
                entry["index"] = plain_data(instance["index_key"])
            modules.setdefault(module, []).append(entry)
    root: dict[str, Any] = {"resources": modules.pop("", [])}
    if modules:
        root["child_modules"] = [{"address": m, "resources": rs} for m, rs in sorted(modules.items())]
    return {"format_version": "1.2", "terraform_version": doc.get("terraform_version", ""), "planned_values": {"root_module": root}}, located


def line_of(located: dict[str, Any], address: str, path: Path) -> int | None:
    """The state file's line of ``path`` in the resource ``address``: the deepest entry of
    the path the state holds, else the instance."""
    values = located.get(address)
    if not isinstance(values, PDict):
        return None
    line = values.span.line if values.span else None
    node: Any = values
    for part in path:
        if isinstance(node, PDict) and isinstance(part, str) and part in node:
            span = node.spans.get(part)
            node = node[part]
        elif isinstance(node, PList) and isinstance(part, int) and 0 <= part < len(node):
            span = node.spans[part] if part < len(node.spans) else None
            node = node[part]
        else:
            break
        if span is not None:
            line = span.line
    return line
