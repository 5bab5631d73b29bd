"""``data "aws_iam_policy_document"`` rendered to the policy JSON it stands for.

The rendered document keeps its structure (a :class:`JsonString`) and the spans of the
blocks it came from, so a finding about a statement's principal lands on the
``principals`` block that grants it.
"""

from __future__ import annotations

from typing import Any

from linter.parsers.hcl.functions import f_jsonencode
from linter.values import JsonString, PDict, PList, Unknown, decode_json_value

_LISTS = (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"), ("not_resources", "NotResource"))


def _one_or_many(values: Any) -> Any:
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return values


def _principals(blocks: Any) -> Any:
    if not isinstance(blocks, list):
        return Unknown("principals not known")
    out = PDict(span=getattr(blocks, "span", None))
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        ptype = block.get("type")
        ids = block.get("identifiers")
        if isinstance(ptype, Unknown):
            return ptype
        if ptype == "*" and isinstance(ids, list) and ids == ["*"]:
            return "*"
        key = str(ptype)
        existing = out.get(key)
        values = list(ids) if isinstance(ids, list) else [ids]
        out[key] = (existing if isinstance(existing, list) else []) + values
        spans = getattr(blocks, "spans", None)
        if spans and i < len(spans):
            out.spans.setdefault(key, spans[i])
    for key in list(out):
        out[key] = _one_or_many(out[key])
    return out


def _statement(block: dict[str, Any]) -> PDict:
    st = PDict(span=getattr(block, "span", None))
    spans = getattr(block, "spans", {})

    def put(key: str, value: Any, source: str) -> None:
        st[key] = value
        if source in spans:
            st.spans[key] = spans[source]

    if "sid" in block:
        put("Sid", block["sid"], "sid")
    put("Effect", block.get("effect", "Allow"), "effect")
    for src, dst in _LISTS:
        if src in block:
            put(dst, _one_or_many(block[src]), src)
    if "principals" in block:
        put("Principal", _principals(block["principals"]), "principals")
    if "not_principals" in block:
        put("NotPrincipal", _principals(block["not_principals"]), "not_principals")
    conditions = block.get("condition")
    if isinstance(conditions, list) and conditions:
        cond = PDict(span=getattr(conditions, "span", None))
        for i, c in enumerate(conditions):
            if not isinstance(c, dict):
                continue
            test, variable = c.get("test"), c.get("variable")
            if isinstance(test, Unknown) or isinstance(variable, Unknown):
                cond[f"unknown{i}"] = Unknown("condition not known")
                continue
            cond.setdefault(str(test), PDict())[str(variable)] = _one_or_many(c.get("values"))
            cspans = getattr(conditions, "spans", None)
            if cspans and i < len(cspans):
                cond.spans.setdefault(str(test), cspans[i])
        put("Condition", cond, "condition")
    return st


def render_policy_document(attrs: dict[str, Any]) -> Any:
    statements = PList(span=getattr(attrs.get("statement"), "span", None))
    by_sid: dict[str, int] = {}

    def add(st: Any, span: Any, replace: bool) -> None:
        sid = st.get("Sid") if isinstance(st, dict) else None
        if isinstance(sid, str) and sid and sid in by_sid:
            if replace:
                statements[by_sid[sid]] = st
                statements.spans[by_sid[sid]] = span
            return
        if isinstance(sid, str) and sid:
            by_sid[sid] = len(statements)
        statements.append(st)
        statements.spans.append(span)

    for source in attrs.get("source_policy_documents") or []:
        doc = decode_json_value(source)
        if isinstance(doc, Unknown) or not isinstance(doc, dict):
            statements.append(PDict({"Effect": "Allow", "Principal": Unknown("from a source document that is not known")}))
            statements.spans.append(None)
            continue
        for st in _as_list(doc.get("Statement")):
            add(st, None, replace=True)
    blocks = attrs.get("statement") or []
    block_spans = getattr(blocks, "spans", [])
    for i, block in enumerate(blocks):
        if isinstance(block, dict):
            add(_statement(block), block_spans[i] if i < len(block_spans) else None, replace=True)
    for override in attrs.get("override_policy_documents") or []:
        doc = decode_json_value(override)
        if isinstance(doc, dict):
            for st in _as_list(doc.get("Statement")):
                add(st, None, replace=True)
    document = PDict({"Version": attrs.get("version", "2012-10-17")})
    if "policy_id" in attrs:
        document["Id"] = attrs["policy_id"]
    document["Statement"] = statements
    document.spans["Statement"] = statements.span
    rendered = f_jsonencode(document)
    return rendered if isinstance(rendered, JsonString) else JsonString(rendered, document)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    return []


def render_google_iam_policy(attrs: dict[str, Any]) -> Any:
    """``data "google_iam_policy"`` -> its ``policy_data`` JSON, each binding keeping its block's span."""
    blocks = attrs.get("binding") or []
    block_spans = getattr(blocks, "spans", [])
    bindings = PList(span=getattr(blocks, "span", None))
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        binding = PDict(span=getattr(block, "span", None))
        spans = getattr(block, "spans", {})
        for src, dst in (("role", "role"), ("members", "members"), ("condition", "condition")):
            if src in block:
                value = block[src]
                if src == "condition" and isinstance(value, list) and value:
                    value = value[0]
                binding[dst] = value
                if src in spans:
                    binding.spans[dst] = spans[src]
        bindings.append(binding)
        bindings.spans.append(block_spans[i] if i < len(block_spans) else None)
    document = PDict({"bindings": bindings})
    document.spans["bindings"] = bindings.span
    rendered = f_jsonencode(document)
    return rendered if isinstance(rendered, JsonString) else JsonString(rendered, document)
