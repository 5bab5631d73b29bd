"""Data stores the configuration fills with data, and the features that serve them publicly.

What a store holds is written elsewhere: a bucket that receives server access logs,
CloudTrail trails, AWS Config snapshots, flow logs or exports is named as the destination
by the resources that write there (by reference, by name, by ARN or domain name), and a
store may be tagged as sensitive. A feature meant for public content (static website
hosting) on such a store is a finding: hosting turned on where data lands is the step
before serving it, and when anyone can already read the store (a public policy or ACL that
no guard flag neutralises) the data is being served now.

Writers, features, grants and guards are data (the rule's params); their resource types
come from the rule's ``match.<format>.related`` roles. Every writer is linked once per
graph and rule, through an index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from linter.checks import Context, named_check
from linter.evaluation import Hit
from linter.graph import Resource
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.policy import public_grants
from linter.saferegex import RegexError, safe_search
from linter.sensitivity import SensitivityPolicy
from linter.settings import setting_values
from linter.tags import resource_tags
from linter.values import JsonString, Unknown, truth

_NAME = {"type": "string", "minLength": 1}
_ROLE = {**_NAME, "description": "a role of `match.<format>.related`"}
_SEVERITY = {"enum": ["critical", "high", "medium", "low"]}

# where something is: a setting of the store, or a resource of a role that links to it
_PLACE = {
    "type": "object",
    "additionalProperties": False,
    "oneOf": [{"required": ["setting"]}, {"required": ["role", "via"]}, {"required": ["role", "configuration"]}],
    "properties": {
        "setting": {**_NAME, "description": "a setting of the store"},
        "role": _ROLE,
        "via": {**_NAME, "description": "the setting of the role's resources naming the store (by reference, name, ARN or domain)"},
        "configuration": {"const": True, "description": "every resource of the role in the store's configuration applies (an account-level block)"},
    },
}

PARAMS: dict[str, Any] = {
    "required": ["what", "feature", "serving", "holds"],
    "properties": {
        "what": {**_NAME, "description": "what the store is, in messages (`S3 bucket`)"},
        "feature": {**_NAME, "description": "the serving feature, in messages (`static website hosting`)"},
        "name": {**_NAME, "description": "the store's name setting, for links by name (default `name`)"},
        "pattern": {**_NAME, "description": "a regular expression whose first group takes the store's name out of a value written elsewhere (an ARN with a prefix, a domain name); default: the value itself"},
        "serving": {"type": "array", "minItems": 1, "items": _PLACE, "description": "where the feature is turned on: a block written in the store, or a resource that links to it; the first found is where the finding is shown"},
        "holds": {
            "type": "array",
            "minItems": 1,
            "description": "resources that write data into the store",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "via", "what"],
                "properties": {
                    "role": _ROLE,
                    "via": {**_NAME, "description": "their setting naming the store (`[*]` allowed)"},
                    "what": {**_NAME, "description": "what the store then holds (`server access logs`)"},
                },
            },
        },
        "sensitive_tags": {"type": "boolean", "description": "a store tagged as sensitive by seawall's default sensitivity policy (`data_classification = confidential`, `pii = true`…) holds data too"},
        "readable": {
            "type": "object",
            "additionalProperties": False,
            "required": ["severity", "grants"],
            "description": "when anyone can already read the store, the finding has this severity",
            "properties": {
                "severity": _SEVERITY,
                "grants": {
                    "type": "array",
                    "minItems": 1,
                    "description": "where anyone is let in: a policy that lets everyone perform `public_policy` actions, or a setting with one of `values`; a guard flag named by `unless` cancels it",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["value"],
                        "oneOf": [{"required": ["public_policy"]}, {"required": ["values"]}],
                        "properties": {
                            "role": _ROLE,
                            "via": {**_NAME, "description": "with `role`: the setting naming the store"},
                            "value": {**_NAME, "description": "the setting holding the policy or the value (of the store, or of the role's resource)"},
                            "public_policy": {"type": "array", "minItems": 1, "items": _NAME, "description": "actions a public statement must allow"},
                            "values": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "values that let anyone in (`public-read`)"},
                            "unless": {**_NAME, "description": "a guard flag that neutralises the grant when a guard turns it on"},
                        },
                    },
                },
                "guards": {"type": "array", "items": _PLACE, "description": "where guard flags are written: a block of the store (the flag is read inside it), resources that link to it, or resources of the configuration"},
            },
        },
    },
}


class Index(Struct):
    """Store id -> why it holds data, built once per graph and rule."""

    holds: dict[str, list[Evidence]] = field(default_factory=dict)
    by_name: dict[tuple[str, str], list[Resource]] = field(default_factory=dict)


def _name_of(value: Any, pattern: str | None) -> str | None:
    if not isinstance(value, str) or isinstance(value, (JsonString, Unknown)):
        return None
    text = value.strip()
    if not pattern:
        return text or None
    try:
        m = safe_search(pattern, text)
    except RegexError:
        return None
    if m is None:
        return None
    return str(m.group(1)) if m.groups() else str(m.group(0))


def _stores_at(ctx: Context, index: Index, res: Resource, path: Path) -> list[Resource]:
    """The stores a value points at: by reference, else by the name it writes."""
    found = ctx.graph.linked_at(res, path, ctx.clause.types, by_name=False)
    if found:
        return found
    name = _name_of(value_at(res.attrs, path), ctx.params.get("pattern"))
    return list(index.by_name.get((res.root, name), ())) if name else []


def _index(ctx: Context) -> Index:
    index = Index()
    name_setting = ctx.params.get("name", "name")
    for store in ctx.graph.of_type(*ctx.clause.types):
        name = store.setting(name_setting)
        if isinstance(name, str) and name.strip() and not isinstance(name, Unknown):
            index.by_name.setdefault((store.root, name.strip()), []).append(store)
    for spec in ctx.params["holds"]:
        for writer in ctx.graph.of_type(*ctx.related(spec["role"])):
            for path, _ in setting_values(writer, spec["via"]):
                for store in _stores_at(ctx, index, writer, path):
                    if store is not writer:
                        index.holds.setdefault(store.id, []).append(Evidence(f"it receives {spec['what']} from {writer.address}", locate(writer, path)))
    return index


def _linking(ctx: Context, index: Index, store: Resource, role: str, via: str) -> list[Resource]:
    """Resources of ``role`` whose ``via`` setting names ``store`` (by reference or name)."""

    def build() -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for res in ctx.graph.of_type(*ctx.related(role)):
            for path, _ in setting_values(res, via):
                for target in _stores_at(ctx, index, res, path):
                    if res not in out.setdefault(target.id, []):
                        out[target.id].append(res)
        return out

    linked: dict[str, list[Resource]] = ctx.memo(("stores-linking", role, via), build)
    return linked.get(store.id, [])


def _places(ctx: Context, index: Index, store: Resource, spec: dict[str, Any]) -> list[tuple[Resource, Path]]:
    """Where a place spec is, for ``store``: (holder, path of the setting or ())."""
    if "setting" in spec:
        path = store.setting_path(spec["setting"])
        value = value_at(store.attrs, path)
        written = value not in (None, [], {}, "") and not isinstance(value, Unknown)
        return [(store, path)] if written else []
    if spec.get("configuration"):
        same: dict[str, list[Resource]] = ctx.memo(("stores-configuration", spec["role"]), lambda: _by_root(ctx.graph.of_type(*ctx.related(spec["role"]))))
        return [(r, ()) for r in same.get(store.root, [])]
    return [(r, ()) for r in _linking(ctx, index, store, spec["role"], spec["via"])]


def _by_root(resources: list[Resource]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for res in resources:
        out.setdefault(res.root, []).append(res)
    return out


def _guarded(ctx: Context, index: Index, store: Resource, guards: list[dict[str, Any]], flag: str) -> bool:
    """Whether a guard turns ``flag`` on for ``store``."""
    for spec in guards:
        for holder, _ in _places(ctx, index, store, spec):
            where = f"{spec['setting']}.{flag}" if "setting" in spec else flag
            if truth(holder.setting(where)) is True:
                return True
    return False


def _readable(ctx: Context, index: Index, store: Resource, spec: dict[str, Any]) -> list[Evidence]:
    """Evidence that anyone can read the store today (a grant no guard neutralises)."""
    out: list[Evidence] = []
    guards = spec.get("guards", [])
    for grant in spec["grants"]:
        if grant.get("unless") and _guarded(ctx, index, store, guards, grant["unless"]):
            continue
        holders = [store] if "role" not in grant else _linking(ctx, index, store, grant["role"], grant["via"])
        for holder in holders:
            path = holder.setting_path(grant["value"])
            value = value_at(holder.attrs, path)
            if value is None or isinstance(value, Unknown):
                continue
            if "public_policy" in grant:
                for g in public_grants(value, frozenset(grant["public_policy"])):
                    out.append(Evidence(f"{holder.address} lets anyone read it ({g.reason})", locate(holder, path + g.path)))
            elif isinstance(value, str) and value.strip().lower() in {v.lower() for v in grant["values"]}:
                out.append(Evidence(f"{holder.address} sets {grant['value']} = {value}: anyone can read it", locate(holder, path)))
    return out


def _tagged(store: Resource) -> list[Evidence]:
    policy = SensitivityPolicy()
    keys = {k.lower() for k in policy.keys}
    values = {v.lower() for v in policy.values}
    return [Evidence(f"it is tagged {key} = {value}", span) for key, (value, span) in sorted(resource_tags(store).items()) if key.lower() in keys and str(value).strip().lower() in values]


@named_check("data-store-served", PARAMS)
def data_store_served(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A store the configuration fills with data (logs, audit trails, exports, or tags that
    say it is sensitive) with a feature turned on that serves it publicly (website hosting).

    What the store holds comes from the resources that write into it (`holds`: their
    setting names the store by reference, or by a name, ARN or domain name that `pattern`
    takes the store's name out of) and, with `sensitive_tags`, from its tags. The feature
    is a block written in the store or a resource that links to it (`serving`; the finding
    is shown on the first found). When anyone can already read the store — a public policy
    or a public value in `readable.grants` that no guard flag (`unless`, turned on by one
    of `readable.guards`: a block of the store, a resource linking to it, an account-level
    resource of the configuration) neutralises — the finding has `readable.severity`. A
    store with the feature and no sign of data is an ordinary site and is not reported."""
    params = ctx.params
    index: Index = ctx.memo(("stores-index",), lambda: _index(ctx))
    why = list(index.holds.get(res.id, []))
    if params.get("sensitive_tags"):
        why.extend(_tagged(res))
    if not why:
        return
    serving: tuple[Resource, Path] | None = None
    for spec in params["serving"]:
        found = _places(ctx, index, res, spec)
        if found:
            serving = found[0]
            break
    if serving is None:
        return
    holder, path = serving
    readable = _readable(ctx, index, res, params["readable"]) if params.get("readable") else []
    severity = Severity.parse(params["readable"]["severity"]) if readable else None
    reasons = "; ".join(dict.fromkeys(e.message for e in why[:3]))
    message = f"{params['what']} {res.address} holds data ({reasons}) but has {params['feature']} turned on"
    if readable:
        message += ", and anyone can already read it"
    yield Hit(
        holder,
        path,
        subject=res if holder is not res else None,
        message=None if ctx.rule.message else message,
        evidence=why[:3] + readable[:2],
        severity=severity,
        facts={"holds": reasons},
    )
