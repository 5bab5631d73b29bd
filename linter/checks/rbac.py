"""Kubernetes RBAC that lets the public in, graded by what the role grants.

A (Cluster)RoleBinding is public when one of its subjects is everyone (``system:anonymous``,
``system:unauthenticated``) or every identity the cluster knows (``system:authenticated``,
every service account). How bad it is depends on the role: the one the binding's
``roleRef`` names, found in the scanned code (the same directory for manifests, the same
configuration for Terraform) or, for a ClusterRole every cluster has (``cluster-admin``,
``edit``, ``view``, ``system:discovery``…), in seawall's table of built-in roles
(linter/k8s-rbac.yaml). A role's rules are graded by the same table's ``grants``: reading
secrets, exec into pods, starting pods, escalating are ``control``; other changes are
``write``; reading is ``read``; the public health and version URLs are nothing. A default
ClusterRole that is bound to everyone in every cluster (``system:public-info-viewer``) and
that the scanned code redefines with more rules is judged the same way.

Names are read through a ``shape`` (the Kubernetes API's names by default; a Terraform
clause gives the kubernetes provider's, whose blocks are lists of one).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from linter.checks import Context, named_check
from linter.conditions import parse_path, resolve
from linter.evaluation import Hit
from linter.graph import Resource
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.values import Unknown

LEVELS = ("control", "write", "read")
_SEVERITY = {"enum": ["critical", "high", "medium", "low", "none"]}
_NAME = {"type": "string", "minLength": 1}

SHAPE = {
    "type": "object",
    "additionalProperties": False,
    "description": "where the format writes each part of a binding or a role, as paths (defaults: the Kubernetes API's names; the Terraform kubernetes provider's blocks are lists of one)",
    "properties": {
        key: {**_NAME, "description": desc}
        for key, desc in {
            "role_ref": "the binding's role reference (`roleRef`)",
            "subjects": "the binding's list of subjects (`subjects`)",
            "rules": "the role's list of rules (`rules`)",
            "api_groups": "a rule's API groups (`apiGroups`)",
            "non_resource_urls": "a rule's non-resource URLs (`nonResourceURLs`)",
            "name": "the object's name (`metadata.name`)",
            "namespace": "the object's namespace (`metadata.namespace`)",
            "labels": "the object's labels (`metadata.labels`)",
            "aggregation": "an aggregated ClusterRole's selectors (`aggregationRule.clusterRoleSelectors`)",
            "match_labels": "a selector's labels (`matchLabels`)",
        }.items()
    },
}
SUBJECTS = {
    "type": "array",
    "minItems": 1,
    "description": "the public subjects, each with what a grant to it is worth, by the role's level (`control`, `write`, `read`, `unknown` when the role is not known; `none` or absent: not reported)",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "who", "grades"],
        "properties": {
            "kind": {"enum": ["User", "Group", "ServiceAccount"]},
            "name": _NAME,
            "who": {**_NAME, "description": "who that is, in messages (`anyone, without credentials`)"},
            "grades": {"type": "object", "additionalProperties": False, "properties": {k: _SEVERITY for k in (*LEVELS, "unknown")}},
        },
    },
}
COMMON: dict[str, Any] = {
    "subjects": SUBJECTS,
    "shape": SHAPE,
}

DEFAULT_SHAPE = {
    "role_ref": "roleRef",
    "subjects": "subjects",
    "rules": "rules",
    "api_groups": "apiGroups",
    "non_resource_urls": "nonResourceURLs",
    "name": "metadata.name",
    "namespace": "metadata.namespace",
    "labels": "metadata.labels",
    "aggregation": "aggregationRule.clusterRoleSelectors",
    "match_labels": "matchLabels",
}


@functools.lru_cache(maxsize=1)
def knowledge() -> dict[str, Any]:
    """linter/k8s-rbac.yaml: the built-in ClusterRoles and what grants mean."""
    from linter.yamlsafe import load_yaml_bounded

    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "k8s-rbac.yaml"), encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml_bounded(fh.read())
    return data


def builtin_rules(name: str, _seen: frozenset[str] = frozenset()) -> list[dict[str, Any]] | None:
    """The rules of a built-in ClusterRole (its aggregated roles' included), or None."""
    role = knowledge()["roles"].get(name)
    if role is None or name in _seen:
        return None
    rules = list(role.get("rules") or [])
    for other in role.get("aggregates") or []:
        rules.extend(builtin_rules(other, _seen | {name}) or [])
    return rules


# --------------------------------------------------------------------------- reading rules


def _shape(ctx: Context) -> dict[str, str]:
    return {**DEFAULT_SHAPE, **(ctx.params.get("shape") or {})}


def _at(node: Any, path: str) -> Any:
    """The value at a shape path; a list of one mapping (a Terraform block) is its mapping."""
    value = value_at(node, tuple(parse_path(path)))
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


def _path_of(node: Any, path: str) -> Path:
    found, deepest = resolve(node, parse_path(path))
    return found[0][0] if found else deepest


def _strings(value: Any) -> list[str] | None:
    """A rule's list of names; None when any part is not known."""
    if value is None:
        return []
    if isinstance(value, Unknown) or not isinstance(value, list):
        return None if isinstance(value, Unknown) else ([value] if isinstance(value, str) else [])
    if any(isinstance(v, Unknown) for v in value):
        return None
    return [str(v) for v in value]


class Rule(Struct, frozen=True):
    """One rule of a role, normalised: verbs, API groups, resources, URLs."""

    verbs: tuple[str, ...]
    groups: tuple[str, ...]
    resources: tuple[str, ...]
    urls: tuple[str, ...]


def read_rule(node: Any, shape: dict[str, str]) -> Rule | None:
    """A rule in either format's names; None when part of it is not known."""
    if not isinstance(node, dict):
        return None
    parts = [_strings(node.get("verbs")), _strings(_at(node, shape["api_groups"])), _strings(node.get("resources")), _strings(_at(node, shape["non_resource_urls"]))]
    if any(p is None for p in parts):
        return None
    verbs, groups, resources, urls = (tuple(p or ()) for p in parts)
    return Rule(verbs, groups, resources, urls)


def _covers(pattern: str, name: str) -> bool:
    """An RBAC resource or URL pattern covers a name: ``*``, ``pods/*``, ``*/scale``, ``/api/*``."""
    if pattern in ("*", name):
        return True
    if pattern.endswith("/*") and name.startswith(pattern[:-1]):
        return True
    return pattern.startswith("*/") and name.endswith(pattern[1:])


def _public_url(url: str) -> bool:
    return any(_covers(p, url) for p in knowledge()["public_urls"]) and url != "*"


def reaches(rule: Rule, entry: dict[str, Any]) -> bool:
    """Whether a rule allows one of a grant entry's verbs on one of its resources."""
    wanted = entry.get("verbs") or []
    if "*" not in rule.verbs and not set(rule.verbs) & set(wanted):
        return False
    resources = entry.get("resources")
    if rule.urls and not rule.resources:
        return not resources and any(not _public_url(u) for u in rule.urls)
    if resources:
        groups = entry.get("api_groups")
        if groups is not None and "*" not in rule.groups and not set(rule.groups) & set(groups):
            return False
        return any(_covers(r, w) for r in rule.resources for w in resources)
    public = set(knowledge()["public_resources"])
    return any(r not in public for r in rule.resources)


class Grade(Struct):
    """What a role lets its subjects do: its level, why, and where."""

    level: str  # control | write | read | none | unknown
    says: str
    role: str  # "ClusterRole cluster-admin"
    evidence: list[Evidence] = field(default_factory=list)


def grade_rules(rules: list[tuple[Rule, Written | None]], grants: list[dict[str, Any]]) -> tuple[str, str, Written | None]:
    """The most dangerous level the rules reach: (level, what it lets them do, the rule)."""
    best: tuple[str, str, Written | None] = ("none", "", None)
    for rule, where in rules:
        for entry in grants:
            if reaches(rule, entry):
                if LEVELS.index(entry["level"]) < (LEVELS.index(best[0]) if best[0] in LEVELS else len(LEVELS)):
                    best = (entry["level"], entry["says"], where)
                break
    return best


def _grants(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.params.get("grants") or knowledge()["grants"])


def _role_index(ctx: Context) -> dict[tuple[str, str, str, str], list[Resource]]:
    """(configuration, kind, namespace, name) -> the roles of the clause's related types."""

    def build() -> dict[tuple[str, str, str, str], list[Resource]]:
        shape = _shape(ctx)
        index: dict[tuple[str, str, str, str], list[Resource]] = {}
        for kind, role in (("ClusterRole", "cluster_role"), ("Role", "role")):
            for res in ctx.graph.of_type(*ctx.related(role)):
                name = _at(res.attrs, shape["name"])
                if isinstance(name, str):
                    ns = "" if kind == "ClusterRole" else _namespace(res, shape)
                    index.setdefault((res.root, kind, ns, name), []).append(res)
        return index

    return ctx.memo(("rbac-roles",), build)


def _namespace(res: Resource, shape: dict[str, str]) -> str:
    ns = _at(res.attrs, shape["namespace"])
    return ns if isinstance(ns, str) and ns else "default"


def _role_rules(ctx: Context, role: Resource) -> list[tuple[Rule, Written | None]] | None:
    """A role's rules with where each is written (an aggregated role: the rules of the
    roles it selects in the scanned code); None when part of it is not known."""
    shape = _shape(ctx)
    out: list[tuple[Rule, Written | None]] = []
    selectors = value_at(role.attrs, tuple(parse_path(shape["aggregation"])))
    if isinstance(selectors, dict):  # one selector written as a map (a Terraform block)
        selectors = [selectors]
    if isinstance(selectors, list) and selectors:
        index = _role_index(ctx)
        for (root, kind, _, _), found in index.items():
            for other in found:
                labels = _at(other.attrs, shape["labels"])
                if root != role.root or kind != "ClusterRole" or other is role or not isinstance(labels, dict):
                    continue
                for sel in selectors:
                    wanted = _at(sel, shape["match_labels"]) if isinstance(sel, dict) else None
                    if isinstance(wanted, dict) and wanted and all(labels.get(k) == v for k, v in wanted.items()):
                        out.extend(_own_rules(other, shape) or [])
        return out or None
    own = _own_rules(role, shape)
    return None if own is None else list(own)


class Written(Struct, frozen=True):
    """Where a rule is written: the role holding it, and its span."""

    role: str
    span: Any


def _own_rules(role: Resource, shape: dict[str, str]) -> list[tuple[Rule, Written]] | None:
    rules = value_at(role.attrs, tuple(parse_path(shape["rules"])))
    if isinstance(rules, Unknown):
        return None
    base = tuple(parse_path(shape["rules"]))
    out = []
    for i, node in enumerate(rules if isinstance(rules, list) else []):
        rule = read_rule(node, shape)
        if rule is None:
            return None
        out.append((rule, Written(role.address, locate(role, base + (i,)))))
    return out


def grade_binding(ctx: Context, binding: Resource) -> Grade | None:
    """What the role a binding names grants; None when the reference is not known."""
    shape = _shape(ctx)
    ref = _at(binding.attrs, shape["role_ref"])
    if not isinstance(ref, dict):
        return None
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    label = f"{kind} {name}"
    roles = [r for r in ctx.graph.references(binding, "roleRef") if r.type in ctx.related("cluster_role" if kind == "ClusterRole" else "role")]
    if not roles:
        ns = "" if kind == "ClusterRole" else _namespace(binding, shape)
        roles = _role_index(ctx).get((binding.root, kind, ns, name), [])
    grants = _grants(ctx)
    if roles:
        role = roles[0]
        rules = _role_rules(ctx, role)
        if rules is None:
            return Grade("unknown", "", label, [Evidence(f"the role it grants, {role.address}, has rules that are not known", role.span)])
        level, says, where = grade_rules(rules, grants)
        evidence = [Evidence(f"the role it grants: {role.address}", role.span)]
        if where is not None and level != "none":
            evidence.append(Evidence(f"a rule of {where.role} lets them {says}", where.span))
        return Grade(level, says, label, evidence)
    builtin = builtin_rules(name) if kind == "ClusterRole" else None
    if builtin is not None:
        parsed = [read_rule(r, DEFAULT_SHAPE) for r in builtin]
        level, says, _ = grade_rules([(r, None) for r in parsed if r is not None], grants)
        return Grade(level, says, label, [Evidence(f"{label} is built into every cluster (RBAC bootstrap policy, Kubernetes {knowledge()['as_of']}): it lets them {says or 'read public information only'}")])
    return Grade("unknown", "", label, [Evidence(f"{label} is not in the scanned code and is not a built-in role: what it grants is not known")])


def _severity(subject: dict[str, Any], level: str) -> Severity | None:
    text = (subject.get("grades") or {}).get(level)
    return Severity.parse(text) if isinstance(text, str) and text != "none" else None


BINDING_PARAMS: dict[str, Any] = {
    "required": ["subjects"],
    "properties": {
        **COMMON,
        "grants": {"type": "array", "description": "what rules grant, most dangerous first (default: linter/k8s-rbac.yaml's `grants`)", "items": {"type": "object"}},
    },
}


@named_check("public-role-binding", BINDING_PARAMS)
def public_role_binding(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A (Cluster)RoleBinding grants a role to a public subject (everyone, or every identity the cluster authenticates), graded by what the role lets them do.

    Each subject of the binding (`shape.subjects`) that is one of `subjects` (kind and
    name) is a finding, shown on its name, graded by the subject's `grades` for the level of
    the role: the role the binding's reference names (`shape.role_ref`), found among the
    clause's `related.cluster_role`/`related.role` types (by the manifests' links, else by
    name and namespace in the same configuration), else a built-in ClusterRole of
    linter/k8s-rbac.yaml, else `unknown`. A role's level is the most dangerous `grants`
    entry one of its rules reaches (an aggregated ClusterRole: the rules of the roles its
    selectors match). A level a subject does not grade (such as the public health and
    version URLs of `system:public-info-viewer`, level `none`) is not reported; a reference
    that is not known is not reported. Message facts: `{subject}`, `{who}`, `{role}`,
    `{grant}`, `{level}`."""
    shape = _shape(ctx)
    subjects = value_at(res.attrs, tuple(parse_path(shape["subjects"])))
    if not isinstance(subjects, list):
        return
    base = _path_of(res.attrs, shape["subjects"])
    wanted = {(s["kind"], s["name"]): s for s in ctx.params["subjects"]}
    grade: Grade | None = None
    for i, subject in enumerate(subjects):
        if not isinstance(subject, dict):
            continue
        key = (subject.get("kind"), subject.get("name"))
        spec = wanted.get(key) if all(isinstance(k, str) for k in key) else None
        if spec is None:
            continue
        grade = grade if grade is not None else grade_binding(ctx, res)
        if grade is None:
            return
        severity = _severity(spec, grade.level)
        if severity is None:
            continue
        who = f"{key[0]} {key[1]}"
        grant = grade.says if grade.level in LEVELS else "do whatever it grants (not known here)"
        yield Hit(
            res,
            base + (i, "name"),
            evidence=list(grade.evidence),
            severity=severity,
            value=key[1],
            facts={"subject": who, "who": spec["who"], "role": grade.role, "grant": grant, "level": grade.level},
        )


WIDENED_PARAMS: dict[str, Any] = {
    "required": ["subjects", "defaults"],
    "properties": {
        **COMMON,
        "defaults": {
            "type": "object",
            "minProperties": 1,
            "description": "built-in ClusterRoles every cluster binds to public subjects, with those subjects (`system:public-info-viewer: [Group system:unauthenticated]`)",
            "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^(User|Group) \\S+$"}},
        },
        "grants": BINDING_PARAMS["properties"]["grants"],
    },
}


@named_check("default-role-widened", WIDENED_PARAMS)
def default_role_widened(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A built-in ClusterRole that every cluster binds to the public is redefined with more rules than its own, granting them to everyone.

    The API server keeps the default bindings of `defaults` (the role -> the subjects it is
    bound to in every cluster) and, when it reconciles a built-in role, adds what is
    missing but leaves extra rules in place. So the rules a scanned ClusterRole of that
    name (`shape.name`) has beyond the built-in ones (linter/k8s-rbac.yaml; a rule is
    beyond when something it allows is not allowed by a built-in rule) are granted to
    those subjects. They are graded like a binding's role, by the most severe grade of
    the default subjects in `subjects`, and shown on the first extra rule that reaches
    that level. Rules not known leave the role unreported. Message facts: `{subject}`,
    `{who}`, `{role}`, `{grant}`, `{level}`."""
    shape = _shape(ctx)
    name = _at(res.attrs, shape["name"])
    if not isinstance(name, str) or name not in ctx.params["defaults"]:
        return
    builtin = [r for r in (read_rule(x, DEFAULT_SHAPE) for x in builtin_rules(name) or []) if r is not None]
    own = _own_rules(res, shape)
    if own is None:
        return
    base = _path_of(res.attrs, shape["rules"])
    extra = [(rule, at, i) for i, (rule, at) in enumerate(own) if not _within(rule, builtin)]
    if not extra:
        return
    level, says, where = grade_rules([(r, e) for r, e, _ in extra], _grants(ctx))
    index = next((i for r, e, i in extra if e is where), extra[0][2])
    by_key = {f"{s['kind']} {s['name']}": s for s in ctx.params["subjects"]}
    best: tuple[Severity, dict[str, Any]] | None = None
    for subject in ctx.params["defaults"][name]:
        spec = by_key.get(subject)
        severity = _severity(spec, level) if spec is not None else None
        if severity is not None and (best is None or severity > best[0]):
            best = (severity, spec)  # type: ignore[assignment]
    if best is None:
        return
    severity, spec = best
    subject_text = f"{spec['kind']} {spec['name']}"
    yield Hit(
        res,
        base + (index,),
        evidence=[Evidence(f"every cluster binds ClusterRole {name} to {', '.join(ctx.params['defaults'][name])}; the API server keeps extra rules when it reconciles the role")],
        severity=severity,
        value=name,
        facts={"subject": subject_text, "who": spec["who"], "role": f"ClusterRole {name}", "grant": says, "level": level},
    )


def _within(rule: Rule, builtin: list[Rule]) -> bool:
    """Whether everything a rule allows is allowed by one of the built-in rules."""
    for verb in rule.verbs:
        if rule.urls:
            for url in rule.urls:
                if not any((verb in b.verbs or "*" in b.verbs) and any(_covers(p, url) for p in b.urls) for b in builtin):
                    return False
        for group in rule.groups or ("",):
            for resource in rule.resources:
                if not any((verb in b.verbs or "*" in b.verbs) and (group in b.groups or "*" in b.groups) and any(_covers(p, resource) for p in b.resources) for b in builtin):
                    return False
    return True


__all__ = ["Grade", "builtin_rules", "grade_binding", "knowledge", "reaches"]
