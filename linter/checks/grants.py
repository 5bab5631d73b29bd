"""Public grants: who a resource lets in, on what, graded by role, unless a guard stops it.

A *grant* is written in one of two ways, and a rule lists where (``grants``):

- a **principal** setting names who gets access: Google Cloud IAM ``member``/``members``
  (``allUsers``, ``allAuthenticatedUsers``), an ACL ``entity``, a BigQuery ``special_group``,
  an Azure role assignment's principal, an AWS statement's ``Principal``. The values that
  mean "the public" and how to say who they are come from the rule (``public``);
- a **setting** whose value alone opens the resource: a canned ACL (``predefined_acl =
  "publicRead"``), a container access level (``container_access_type = "blob"``), a flag
  that switches authentication off.

Grants may sit in a list of entries (``policy_data.bindings[*]``, ``access[*]``,
``Statement[*]``), each with its own role; an entry a condition limits (``unless``) grants
nothing. The role is graded by glob patterns given as data (``severity_by_role``), where
``none`` means the role does not expose anything.

The *protected* resource is the parent the grant applies to, found by reference or by
literal name (``graph.linked``) through ``parent.settings`` among the types the rule's clause
names for the role ``parent`` (``match.<format>.related.parent``); with no ``parent`` the
judged resource protects itself. *Guards* are settings that make the platform refuse or
ignore the grant (a bucket's public access prevention, uniform bucket-level access,
internal-only ingress, an organisation policy constraint): a condition on the protected
resource, on the judged resource, or on resources of a related role in the same
configuration (optionally linked to the protected resource). A guard whose value is not
known counts as on: an unknown value never makes a finding.

Paths (``principals``, ``entries``, ``role``, guard conditions) are written as in ``when``
conditions, from the resource's body (CloudFormation: ``Properties.X``); a JSON document
held in a string is stepped into. ``parent.settings``, ``via`` and ``same`` are setting
names (read in every format through linter/settings.py).
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct

from linter.checks import CONDITION, Context, named_check
from linter.conditions import WILDCARD, Condition, compile_condition, parse_path, resolve
from linter.evaluation import Hit, render
from linter.graph import Resource
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.values import Unknown, display

# --------------------------------------------------------------------------- params schemas


TEMPLATE = {"type": "string", "minLength": 1}
SETTING = {"type": "string", "minLength": 1}
PATH = {"type": "string", "minLength": 1}
WHO_TABLE = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"type": "string", "minLength": 1},
}

GUARDS = {
    "type": "array",
    "description": (
        "Settings that make the platform refuse or ignore a public grant; the first guard that is on "
        "(or whose value is not known) means no finding. A guard that is off may explain itself in the "
        "finding's evidence (setting, unset, set)."
    ),
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "scope": {
                "type": "string",
                "minLength": 1,
                "description": (
                    "Where the guard is read: target (the protected resource; the default), self (the judged "
                    "resource), or the name of a related role (match.<format>.related.<role>), whose resources "
                    "in the same configuration are consulted."
                ),
            },
            "via": {
                **SETTING,
                "description": "For a related role: only its resources whose setting of this name links to the protected resource (by reference or name).",
            },
            "select": {
                **CONDITION,
                "description": "For a related role: which of its resources the guard is about (a value not known never selects), e.g. an organisation policy's constraint name.",
            },
            "when": {
                **CONDITION,
                "description": "The guard is on when this condition holds on the resource it is read on (without it, whenever such a resource is there).",
            },
            "same": {
                "type": "array",
                "items": SETTING,
                "description": (
                    "For a related role: settings that must name the same thing (compared on their last path "
                    "segment) in the guard's resource and the protected one when both write them, e.g. project."
                ),
            },
            "setting": {**PATH, "description": "Path of the setting the evidence shows when the guard is off (target or self)."},
            "unset": {**TEMPLATE, "description": "Evidence when the guard is off and its setting is not written ({target}: the resource's address)."},
            "set": {**TEMPLATE, "description": "Evidence when the guard is off and its setting is written ({target}, {value})."},
        },
    },
}

PUBLIC_GRANT = {
    "required": ["grants"],
    "properties": {
        "public": {
            **WHO_TABLE,
            "description": (
                "The principal values that mean the public (compared case-insensitively) -> how the message "
                'names them, e.g. allUsers: "anyone on the internet (allUsers)". A grant location may give its own.'
            ),
        },
        "grants": {
            "type": "array",
            "minItems": 1,
            "description": "Where the judged resource writes grants; a location the resource does not write gives nothing, so one list serves every shape of a service (member, binding, policy).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "oneOf": [{"required": ["principals"]}, {"required": ["setting", "public"]}],
                "properties": {
                    "principals": {**PATH, "description": "Path of who is granted: one value or a list; the list is reported as one grant (value: the public principals found)."},
                    "setting": {**PATH, "description": "Path of a setting whose value alone opens the resource; its values are the keys of this location's public table (booleans read as true/false)."},
                    "entries": {**PATH, "description": "Path of the entries (with [*]) that each hold principals and a role, e.g. policy_data.bindings[*]; principals, setting, role and unless are then relative to each entry."},
                    "role": {**PATH, "description": "Path of the role the grant gives (relative to the entry)."},
                    "role_separator": {
                        "type": "string",
                        "minLength": 1,
                        "description": 'Each principal value is ROLE<separator>PRINCIPAL (Cloud Storage role_entity "READER:allUsers"): every such value is its own grant, reported on its own element.',
                    },
                    "public": {**WHO_TABLE, "description": "This location's own public values -> words (a canned ACL's meaning); replaces the rule-level table here."},
                    "text": {**TEMPLATE, "description": "How {grant} reads in the message for this location ({role}, {who}, {value}); default '{role} to {who}'."},
                    "unless": {**CONDITION, "description": "A condition on the entry (or resource) that limits the grant to non-public callers; true or not known means no finding."},
                },
            },
        },
        "severity_by_role": {
            "type": "object",
            "description": (
                "Role glob patterns (case-insensitive, first match in the order written) -> critical, high, medium, low, "
                "or none (not an exposure: no finding). '*' also matches a role that is not written or not known. "
                "Roles no pattern matches keep the rule's severity."
            ),
            "additionalProperties": {"enum": ["critical", "high", "medium", "low", "none"]},
        },
        "parent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["settings"],
            "description": "The protected resource, among the clause's related parent types; without it the judged resource is the protected one.",
            "properties": {
                "settings": {"type": "array", "minItems": 1, "items": SETTING, "description": "Settings naming the parent, tried in order (the first one written decides)."},
                "name_setting": {**SETTING, "description": "The parent's setting a literal value is matched against (default name)."},
                "missing": {**TEMPLATE, "description": "Evidence when the parent is not in the scanned code ({name}: the value written)."},
            },
        },
        "guards": GUARDS,
        "facts": {
            "type": "object",
            "additionalProperties": PATH,
            "description": "More message placeholders: name -> path in the judged resource, shown as written (e.g. object: object).",
        },
        "message": {
            **TEMPLATE,
            "description": (
                "The message for this clause, replacing the rule's: {target} (the protected resource, or the name "
                "written), {role}, {who}, {grant}, {principal}, {value}, {resource}."
            ),
        },
    },
}

GRANT_GUARDS_OFF = {
    "required": ["guards"],
    "properties": {
        "guards": GUARDS,
        "at": {**PATH, "description": "Where the finding is reported when that setting is written (else on the resource), and whose value it shows."},
        "unset_value": {"type": "string", "description": "The value the finding shows when the setting at 'at' is not written (its default)."},
    },
}


# --------------------------------------------------------------------------- compiled params


class Location(Struct, frozen=True):
    principals: tuple[Any, ...] | None
    setting: tuple[Any, ...] | None
    entries: tuple[Any, ...] | None
    role: tuple[Any, ...] | None
    separator: str | None
    public: dict[str, tuple[str, str]] | None  # lower-case value -> (as the rule writes it, who)
    text: str
    unless: Condition | None


class Guard(Struct, frozen=True):
    scope: str
    via: str | None
    select: Condition | None
    when: Condition | None
    same: tuple[str, ...]
    setting: Path | None
    unset: str | None
    set: str | None
    key: str  # the guard as written, for indexes


class Parent(Struct, frozen=True):
    settings: tuple[str, ...]
    name_setting: str
    missing: str | None


class Spec(Struct, frozen=True):
    public: dict[str, tuple[str, str]]
    locations: tuple[Location, ...]
    roles: tuple[tuple[str, Severity | None], ...]
    parent: Parent | None
    guards: tuple[Guard, ...]
    message: str | None
    facts: tuple[tuple[str, tuple[Any, ...]], ...]
    at: Path | None
    unset_value: str | None


def _table(data: dict[str, str] | None) -> dict[str, tuple[str, str]]:
    return {str(k).strip().lower(): (str(k), str(v)) for k, v in (data or {}).items()}


def _static(text: str) -> Path:
    parts = parse_path(text)
    if any(p is WILDCARD for p in parts):
        raise ValueError(f"a guard's setting path cannot hold a wildcard: {text!r}")
    return tuple(parts)


def _guard(data: dict[str, Any], where: str) -> Guard:
    def cond(key: str) -> Condition | None:
        return compile_condition(data[key], f"{where}.{key}") if key in data else None

    return Guard(
        scope=str(data.get("scope", "target")),
        via=data.get("via"),
        select=cond("select"),
        when=cond("when"),
        same=tuple(data.get("same") or ()),
        setting=_static(data["setting"]) if "setting" in data else None,
        unset=data.get("unset"),
        set=data.get("set"),
        key=json.dumps(data, sort_keys=True),
    )


@functools.lru_cache(maxsize=512)
def _compile(text: str) -> Spec:
    params = json.loads(text)
    locations = []
    for i, loc in enumerate(params.get("grants") or []):
        locations.append(
            Location(
                principals=parse_path(loc["principals"]) if "principals" in loc else None,
                setting=parse_path(loc["setting"]) if "setting" in loc else None,
                entries=parse_path(loc["entries"]) if "entries" in loc else None,
                role=parse_path(loc["role"]) if "role" in loc else None,
                separator=loc.get("role_separator"),
                public=_table(loc["public"]) if "public" in loc else None,
                text=loc.get("text", "{role} to {who}"),
                unless=compile_condition(loc["unless"], f"params.grants[{i}].unless") if "unless" in loc else None,
            )
        )
    roles = []
    for pattern, level in (params.get("severity_by_role") or {}).items():
        roles.append((str(pattern).strip().lower(), None if level == "none" else Severity.parse(level)))
    parent = params.get("parent")
    return Spec(
        public=_table(params.get("public")),
        locations=tuple(locations),
        roles=tuple(roles),
        parent=Parent(tuple(parent["settings"]), parent.get("name_setting", "name"), parent.get("missing")) if parent else None,
        guards=tuple(_guard(g, f"params.guards[{i}]") for i, g in enumerate(params.get("guards") or [])),
        message=params.get("message"),
        facts=tuple((str(name), parse_path(path)) for name, path in (params.get("facts") or {}).items()),
        at=_static(params["at"]) if "at" in params else None,
        unset_value=params.get("unset_value"),
    )


def spec_of(ctx: Context) -> Spec:
    """The clause's params, compiled once (conditions, paths, tables)."""
    return _compile(json.dumps(ctx.params, default=str))  # key order kept: severity_by_role is ordered


# --------------------------------------------------------------------------- grants


class Grant(Struct):
    """One public grant written in a resource."""

    path: Path  # where to report it
    principals: list[str]  # the public values found, as the rule writes them
    who: str
    role: Any  # the role (None when not written, Unknown when not known)
    value: Any  # what the finding shows: the public principals, or the value as written
    text: str  # how {grant} reads


def _key(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)) and not isinstance(value, Unknown):
        return str(value).strip().lower()
    return None


def _first(entry: Any, parts: tuple[Any, ...] | None, base: Path) -> Any:
    if parts is None:
        return None
    nodes, _ = resolve(entry, parts, base)
    return nodes[0][1] if nodes else None


def grants_in(res: Resource, spec: Spec) -> Iterator[Grant]:
    """Every public grant the locations of ``spec`` find in ``res``."""
    for loc in spec.locations:
        table = loc.public if loc.public is not None else spec.public
        entries = resolve(res.attrs, loc.entries)[0] if loc.entries is not None else [((), res.attrs)]
        for base, entry in entries:
            if isinstance(entry, Unknown) or not isinstance(entry, dict):
                continue
            if loc.unless is not None and loc.unless.evaluate(entry, base)[0] is not False:
                continue  # limited to some callers, or not known to be unlimited
            role = _first(entry, loc.role, base)
            if loc.setting is not None:
                for path, value in resolve(entry, loc.setting, base)[0]:
                    found = table.get(_key(value) or "")
                    if found:
                        yield Grant(path, [found[0]], found[1], role, value, loc.text)
                continue
            assert loc.principals is not None
            for path, value in resolve(entry, loc.principals, base)[0]:
                items = value if isinstance(value, list) else [value]
                if loc.separator is not None:
                    for i, item in enumerate(items):
                        if not isinstance(item, str) or isinstance(item, Unknown) or loc.separator not in item:
                            continue
                        written_role, _, principal = item.partition(loc.separator)
                        found = table.get(_key(principal) or "")
                        if found:
                            yield Grant(path + (i,) if isinstance(value, list) else path, [found[0]], found[1], written_role.strip(), item, loc.text)
                    continue
                hits = list(dict.fromkeys(table[k] for k in (_key(v) for v in items) if k in table))
                if hits:
                    names = [name for name, _ in hits]
                    yield Grant(path, names, " and ".join(w for _, w in hits), role, names, loc.text)


def role_text(role: Any) -> str:
    if isinstance(role, Unknown):
        return "a role not known before apply"
    if isinstance(role, str) and role.strip():
        return role
    return "a role"


def grade(role: Any, table: Iterable[tuple[str, Severity | None]]) -> tuple[bool, Severity | None]:
    """(matched, severity) of the first pattern matching ``role``; severity None on a match is
    'none' (not an exposure). A role not written or not known matches only ``*``."""
    text = role.strip().lower() if isinstance(role, str) and not isinstance(role, Unknown) and role.strip() else None
    for pattern, severity in table:
        if pattern == "*" or (text is not None and fnmatch.fnmatchcase(text, pattern)):
            return True, severity
    return False, None


# --------------------------------------------------------------------------- the protected resource


def protected(ctx: Context, res: Resource, spec: Spec) -> tuple[Resource | None, str, list[Evidence]]:
    """The resource the grant applies to, how the message names it, and evidence when it is
    not in the scanned code."""
    parent = spec.parent
    if parent is None:
        return res, res.address, []
    for setting in parent.settings:
        value = res.setting(setting)
        if value is None:
            continue
        found = ctx.graph.linked(res, setting, ctx.related("parent"), name_setting=parent.name_setting)
        if found:
            return found[0], found[0].address, []
        name = f'"{value}"' if isinstance(value, str) and not isinstance(value, Unknown) and value else f"of {res.address}"
        return None, name, _missing(parent, value)
    return None, f"of {res.address}", _missing(parent, None)


def _missing(parent: Parent, value: Any) -> list[Evidence]:
    return [Evidence(parent.missing.format(name=display(value)))] if parent.missing else []


# --------------------------------------------------------------------------- guards


def _last(value: Any) -> str | None:
    if isinstance(value, str) and not isinstance(value, Unknown) and value.strip():
        return value.strip().rstrip("/").rsplit("/", 1)[-1]
    return None


def _agree(a: Resource, b: Resource, settings: Iterable[str]) -> bool:
    for setting in settings:
        x, y = _last(a.setting(setting)), _last(b.setting(setting))
        if x is not None and y is not None and x != y:
            return False
    return True


def _scoped(ctx: Context, guard: Guard) -> dict[str, list[Resource]]:
    """Configuration root -> the resources of the guard's role it selects (built once per graph)."""
    types = ctx.related(guard.scope)

    def build() -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = {}
        for res in ctx.graph.of_type(*types):
            if guard.select is None or guard.select.evaluate(res.attrs)[0] is True:
                index.setdefault(res.root, []).append(res)
        return index

    return ctx.graph.memo(("guard-scope", types, guard.key), build)


def _is_on(guard: Guard, res: Resource) -> bool:
    if guard.when is None:
        return True
    return guard.when.evaluate(res.attrs)[0] is not False


def _explain(guard: Guard, res: Resource) -> Evidence | None:
    if guard.setting is None:
        return None
    value = value_at(res.attrs, guard.setting)
    if value is None:
        return Evidence(guard.unset.format(target=res.address), res.span) if guard.unset else None
    return Evidence(guard.set.format(target=res.address, value=display(value)), locate(res, guard.setting)) if guard.set else None


def guarded(ctx: Context, res: Resource, target: Resource | None, guards: Iterable[Guard]) -> tuple[bool, list[Evidence]]:
    """Whether a guard stops the exposure; if none does, what the guards that are off say."""
    evidence: list[Evidence] = []
    for guard in guards:
        if guard.scope in ("target", "self"):
            subject = target if guard.scope == "target" else res
            if subject is None:
                continue
            if _is_on(guard, subject):
                return True, []
            found = _explain(guard, subject)
            if found is not None:
                evidence.append(found)
            continue
        anchor = target or res
        if guard.via is not None:
            if target is None:
                continue
            candidates = ctx.graph.linked_from(target, ctx.related(guard.scope), guard.via)
            candidates = [c for c in candidates if guard.select is None or guard.select.evaluate(c.attrs)[0] is True]
        else:
            candidates = _scoped(ctx, guard).get(anchor.root, [])
        for candidate in candidates:
            if _agree(candidate, anchor, guard.same) and _is_on(guard, candidate):
                return True, []
    return False, evidence


def _fact(ctx: Context, res: Resource, value: Any) -> str:
    """A setting as a message names it: the resource a reference stands for, else the value."""
    if isinstance(value, Unknown):
        named = ctx.graph.get(value.ref) if value.ref else None
        return named.address if named is not None else f"(of {res.address})"
    return display(value) if value is not None else "not set"


# --------------------------------------------------------------------------- the checks


@named_check("public-grant", PUBLIC_GRANT)
def public_grant(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A resource grants access to the public (a principal such as allUsers or ``*``, or a setting
    such as a public canned ACL), on itself or on the parent it applies to, and no guard stops it.

    Each grant location of ``grants`` is read; a public value found there is one grant, with
    the role written beside it. ``severity_by_role`` grades the role (``none``: no finding).
    The protected resource is the parent named by ``parent.settings`` (by reference, else by
    literal name among ``related.parent`` types in the same configuration), or the judged
    resource itself. Then ``guards`` are read, first to last: one that is on, or whose value
    is not known, means the platform refuses or ignores the grant and nothing is reported;
    guards that are off explain themselves in the evidence. The finding is on the principal
    (or setting, or list element) that names the public; its subject is the protected
    resource, so that resource's sensitivity and declared intent apply. Message facts:
    ``{target}``, ``{role}``, ``{who}``, ``{grant}``, ``{principal}``."""
    spec = spec_of(ctx)
    grants = list(grants_in(res, spec))
    if not grants:
        return
    target, target_name, evidence = protected(ctx, res, spec)
    stopped, off = guarded(ctx, res, target, spec.guards)
    if stopped:
        return
    evidence = evidence + off
    for grant in grants:
        matched, severity = grade(grant.role, spec.roles)
        if matched and severity is None:
            continue  # a role the rule says exposes nothing
        role = role_text(grant.role)
        facts = {"target": target_name, "role": role, "who": grant.who, "principal": ", ".join(grant.principals)}
        facts["grant"] = grant.text.format(role=role, who=grant.who, value=display(grant.value))
        for name, parts in spec.facts:
            facts[name] = _fact(ctx, res, _first(res.attrs, parts, ()))
        hit = Hit(
            res,
            grant.path,
            subject=target if target is not None and target is not res else None,
            evidence=list(evidence),
            severity=severity if matched else None,
            value=grant.value,
            facts=facts,
        )
        if spec.message:
            hit.message = render(spec.message, hit)
        yield hit


@named_check("public-grant-guards-off", GRANT_GUARDS_OFF)
def public_grant_guards_off(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A resource that can be opened to the public by a grant has none of the guards that would
    refuse one (public access prevention, ACLs turned off, an organisation policy).

    The same ``guards`` as ``public-grant``, read on the judged resource (``scope: self`` or
    ``target``, which is the resource itself here) or on resources of a related role in the
    same configuration: if one is on, or its value is not known, nothing is reported.
    Otherwise the finding is on the setting at ``at`` when it is written (showing its value,
    else ``unset_value``), and the guards that are off explain themselves in the evidence."""
    spec = spec_of(ctx)
    stopped, evidence = guarded(ctx, res, res, spec.guards)
    if stopped:
        return
    path: Path = ()
    value: Any = spec.unset_value
    if spec.at is not None:
        written = value_at(res.attrs, spec.at)
        if written is not None:
            path, value = spec.at, written
    yield Hit(res, path, evidence=evidence, value=value)
