"""Baselines: accept today's findings, fail only on new ones.

A finding's fingerprint is made of what it is about, not where it is written: the rule,
the resource's address, the attribute path inside it, and the normalised value, plus the
module directory (Terraform) or the file (CloudFormation, Kubernetes) relative to the
baseline's own directory, so identical addresses in two projects stay apart. Moving lines,
reformatting, or moving a resource to another file of the same module keeps it stable.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from msgspec.structs import replace

from linter.model import Finding, Note, Suppression, format_path

VERSION = 1


def _scope(f: Finding, base_dir: str) -> str:
    file = os.path.abspath(f.span.file)
    # Terraform resources belong to their module directory; others to their file
    holder_file = os.path.abspath(f.resource_span.file) if f.resource_span is not None else file
    scope = os.path.dirname(holder_file) if holder_file.endswith((".tf", ".tfvars")) else holder_file
    rel = os.path.relpath(scope, base_dir)
    return rel.replace(os.sep, "/")


def fingerprint(f: Finding, base_dir: str) -> str:
    parts = [f.rule_id, _scope(f, base_dir), f.resource or f.span.file, format_path(f.path), f.value or f.message]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def write_baseline(findings: list[Finding], path: str) -> int:
    base = os.path.dirname(os.path.abspath(path))
    entries = {}
    for f in findings:
        if f.suppression is not None and f.suppression.kind != "baseline":
            continue
        fp = fingerprint(f, base)
        entries[fp] = {
            "fingerprint": fp,
            "rule_id": f.rule_id,
            "resource": f.resource,
            "path": format_path(f.path),
            "file": os.path.relpath(os.path.abspath(f.span.file), base).replace(os.sep, "/"),
            "message": f.message,
        }
    doc = {"version": VERSION, "entries": [entries[k] for k in sorted(entries)]}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return len(entries)


class BaselineError(Exception):
    pass


def read_baseline(path: str) -> dict[str, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a baseline file (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("entries"), list):
        raise BaselineError(f"{path}: not a seawall baseline (version {VERSION} expected)")
    return {e["fingerprint"]: e for e in doc["entries"] if isinstance(e, dict) and "fingerprint" in e}


def apply_baseline(findings: list[Finding], path: str) -> tuple[list[Finding], list[Note]]:
    """Findings in the baseline become suppressed; entries no longer found are listed."""
    entries = read_baseline(path)
    base = os.path.dirname(os.path.abspath(path))
    seen: set[str] = set()
    out = []
    for f in findings:
        fp = fingerprint(f, base)
        if fp in entries and f.suppression is None:
            seen.add(fp)
            f = replace(f, suppression=Suppression("baseline", f"accepted in {os.path.basename(path)}"))
        out.append(f)
    stale = [
        Note(path, 1, f"baseline entry no longer found: {e['rule_id']} on {e.get('resource') or e.get('file')} ({e.get('file')}); it can be removed")
        for fp, e in sorted(entries.items())
        if fp not in seen
    ]
    return out, stale
