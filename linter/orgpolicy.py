"""Google Cloud organisation policies: does a boolean constraint hold for a resource?

An organisation policy written in the same configuration can switch a public setting off
for every project under it (``sql.restrictPublicIp``, ``sql.restrictAuthorizedNetworks``,
``storage.publicAccessPrevention``…). Two resource shapes say it, told apart by what they
write, not by their type:

- the ``google_org_policy_policy`` shape: ``name = ".../policies/<constraint>"`` and
  ``spec { rules { enforce = "TRUE" } }``;
- the legacy ``google_*_organization_policy`` shape: ``constraint =
  "constraints/<constraint>"`` and ``boolean_policy { enforced = true }``.

A policy applies to a resource when it is in the same configuration and, when it names a
project (``project``, or a ``parent`` of ``projects/<id>``), that project is the resource's
(or the resource names none). The policy types come from the rule (``match.*.related``);
the policies are indexed once per graph by (configuration, constraint).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path
from linter.values import Unknown, truth

Truth = bool | None


def constraint_of(policy: Resource) -> Any:
    """The constraint a policy sets (``sql.restrictPublicIp``); Unknown or None when not known."""
    value = policy.setting("constraint")
    if isinstance(value, str):
        return value.split("/", 1)[1] if value.startswith("constraints/") else value
    if value is not None:
        return value
    name = policy.setting("name")
    if isinstance(name, str):
        return name.rstrip("/").rsplit("/", 1)[-1]
    return name


def enforcement(policy: Resource) -> tuple[Truth, Path]:
    """Whether a boolean policy enforces its constraint, and where that is written."""
    spec_path = policy.setting_path("spec")
    spec = value_at(policy.attrs, spec_path)
    if spec is not None:
        rules_path = policy.setting_path("spec[0].rules")
        rules = value_at(policy.attrs, rules_path)
        if isinstance(spec, Unknown) or isinstance(rules, Unknown):
            return None, spec_path
        verdict: Truth = False
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, dict):
                continue
            t = truth(rule.get("enforce"))
            if t is True:
                return True, rules_path + (i, "enforce")
            if t is None:
                verdict = None
        return verdict, spec_path
    path = policy.setting_path("boolean_policy[0].enforced")
    return truth(value_at(policy.attrs, path)), path


def _project(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith(("folders/", "organizations/")):
        return None
    return text.rstrip("/").rsplit("/", 1)[-1]


def _scope(policy: Resource) -> str | None:
    """The project a policy is limited to; None for folder and organisation policies."""
    project = _project(policy.setting("project"))
    if project is not None:
        return project
    parent = policy.setting("parent")
    if isinstance(parent, str) and parent.strip().startswith("projects/"):
        return _project(parent)
    return None


def _index(graph: ResourceGraph, types: tuple[str, ...]) -> dict[tuple[str, str], list[Resource]]:
    index: dict[tuple[str, str], list[Resource]] = {}
    for policy in graph.of_type(*types):
        name = constraint_of(policy)
        if isinstance(name, str) and name:
            index.setdefault((policy.root, name.lower()), []).append(policy)
    return index


def enforced(graph: ResourceGraph, res: Resource, constraint: str, types: Iterable[str]) -> tuple[Truth, list[Evidence]]:
    """Whether an organisation policy of ``types`` in ``res``'s configuration enforces
    ``constraint`` for it: True with evidence, None when one is written with a value that is
    not known, False otherwise."""
    wanted = tuple(types)
    index = graph.memo(("orgpolicy", wanted), lambda: _index(graph, wanted))
    mine = _project(res.setting("project"))
    verdict: Truth = False
    for policy in index.get((res.root, constraint.lower()), ()):
        scope = _scope(policy)
        if scope is not None and mine is not None and scope != mine:
            continue
        t, path = enforcement(policy)
        if t is True:
            return True, [Evidence(f"{policy.address} enforces the {constraint} constraint", locate(policy, path))]
        if t is None:
            verdict = None
    return verdict, []
