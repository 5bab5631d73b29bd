"""The library of named checks: the logic rules choose by name and parameterise as data.

A rule file says ``check: <name>`` and ``params: {...}`` (see docs/writing-rules.md). A
named check is a function registered here under its name, with a JSON schema for its
params (validated when the rule is loaded, errors naming the rule file and field) and a
docs section generated from its docstring and schema. The engine calls it once per
resource of the types the rule's ``match`` clauses name, so an error in one resource is
contained to that resource:

    @named_check("internet-ingress", PARAMS)
    def internet_ingress(ctx: Context, res: Resource) -> Iterable[Hit]:
        '''One line saying what it decides.

        The rest of the docstring explains how, for the generated docs.'''

``ctx.params`` holds the rule's params merged with the params of the clause of the
resource's format; ``ctx.graph`` the whole graph (``graph.memo`` for what a check derives
from all of it once), ``ctx.related(role)`` the types a clause names for a role
(``match.terraform.related.server``): resource types come only from the rule's ``match``.

Each module of this package holds one family of checks; shared ideas live in their own
modules (``linter/network.py`` internet ranges, ``linter/ports.py`` ports and what
listens there, ``linter/graph.py`` links, ``linter/values.py`` booleans,
``linter/settings.py`` where each format writes a setting).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from linter.evaluation import Hit

if TYPE_CHECKING:
    from linter.graph import Resource, ResourceGraph
    from linter.ruleset import Clause, Rule

# every named check and the module of linter/checks that registers it: a scan imports only
# the modules of the checks its rules use (a test holds this table to the registrations)
WHERE: dict[str, str] = {
    "component-flag": "controlplane",
    "public-endpoint": "endpoints",
    "firewall-rule": "endpoints",
    "public-grant": "grants",
    "public-grant-guards-off": "grants",
    "internet-ingress": "ingress",
    "service-exposure": "kubernetes",
    "plain-http": "kubernetes",
    "published-backend": "kubernetes",
    "host-exposure": "kubernetes",
    "public-policy": "policies",
    "public-value": "policies",
    "protection-off": "policies",
    "public-role-binding": "rbac",
    "default-role-widened": "rbac",
    "internet-reach": "reach",
    "public-subnet": "reach",
    "data-store-served": "stores",
    "web-identity-trust": "trust",
}
MODULES: tuple[str, ...] = tuple(sorted(set(WHERE.values())))


class Context(Struct):
    """What a named check sees besides the resource it judges."""

    graph: ResourceGraph
    rule: Rule
    clause: Clause
    params: dict[str, Any]
    # what the check worked out about the resource besides its hits (unused by the engine)
    scratch: dict[str, Any] = field(default_factory=dict)

    def related(self, role: str) -> tuple[str, ...]:
        """The resource types the rule's clause for this format names for ``role``."""
        return self.clause.related.get(role, ())

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Per graph, rule and clause: ``compute()`` once for ``key``."""
        return self.graph.memo((self.rule.id, id(self.clause), key), compute)


CheckFn = Callable[[Context, "Resource"], Iterable[Hit]]


class NamedCheck(Struct, frozen=True):
    """A check of the library: its function, the JSON schema of its params, its docs."""

    name: str
    run: CheckFn
    params: dict[str, Any]  # JSON schema of the params object
    summary: str
    doc: str
    module: str


_REGISTRY: dict[str, NamedCheck] = {}

# A param that holds a condition in the rule vocabulary: ``{"x": CONDITION}``. It is validated
# when the rule is loaded like a rule's ``when`` (shape by the schema, then compiled, so a
# bad operator or regular expression is an error naming the rule file and field).
CONDITION: dict[str, Any] = {"$ref": "#/$defs/condition"}


@functools.lru_cache(maxsize=1)
def condition_defs() -> dict[str, Any]:
    """The rule files' condition schema (linter/rule-schema.json), marked to be compiled."""
    import json
    import os

    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "rule-schema.json"), encoding="utf-8") as fh:
        return {"condition": {**json.load(fh)["$defs"]["condition"], "x-condition": True}}


def named_check(name: str, params: dict[str, Any]) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the named check ``name`` with the params schema ``params``."""

    def register(fn: CheckFn) -> CheckFn:
        text = inspect.cleandoc(fn.__doc__ or "")
        summary, _, rest = text.partition("\n\n")
        if not summary:
            raise ValueError(f"named check {name} needs a docstring")
        if name in _REGISTRY and _REGISTRY[name].run is not fn:
            raise ValueError(f"named check {name} is registered twice")
        schema = {"type": "object", "additionalProperties": False, **params}
        schema["$defs"] = {**schema.get("$defs", {}), **condition_defs()}
        _REGISTRY[name] = NamedCheck(name, fn, schema, " ".join(summary.split()), rest.strip(), fn.__module__)
        return fn

    return register


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, NamedCheck]:
    """Every named check, importing the modules that register them."""
    for module in MODULES:
        importlib.import_module(f"linter.checks.{module}")
    return dict(_REGISTRY)


def get(name: str) -> NamedCheck | None:
    if name not in _REGISTRY and name in WHERE:
        importlib.import_module(f"linter.checks.{WHERE[name]}")
    return _REGISTRY.get(name) or registry().get(name)


def _compiles(validator: Any, marked: Any, instance: Any, schema: Any) -> Any:
    """The ``x-condition`` keyword: the value compiles as a condition."""
    import jsonschema

    from linter.conditions import ConditionError, compile_condition

    if marked and isinstance(instance, dict):
        try:
            compile_condition(instance, "condition")
        except ConditionError as exc:
            yield jsonschema.ValidationError(str(exc))


@functools.lru_cache(maxsize=256)
def params_validator(name: str) -> Any:
    import jsonschema

    check = get(name)
    if check is None:
        raise KeyError(name)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-condition": _compiles})
    return cls(check.params)


__all__ = ["Context", "Hit", "NamedCheck", "get", "named_check", "params_validator", "registry"]
