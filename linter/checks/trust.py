"""Who may assume a role: trust policies that let a multi-tenant identity provider in.

A role's trust policy (``assume_role_policy``) lets a web identity provider assume it with
``sts:AssumeRoleWithWebIdentity``. Some providers issue tokens to anyone who signs up
(GitHub Actions, GitLab.com, HCP Terraform, Google accounts, Cognito identity pools): for
them, only a condition on a claim that names *who* the token was issued to (the subject,
the repository, the audience of a Google or Cognito token) keeps the rest of the world out.
Which providers are open to anyone, and which claims identify the caller, are data (the
rule's ``providers``); the statements are read with the policy helpers of
linter/checks/aws_policy.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Context, named_check
from linter.evaluation import Hit
from linter.graph import Resource, ref_ids
from linter.locate import value_at
from linter.model import Evidence, Path
from linter.policy import action_matches, statements
from linter.values import Unknown, decode_json_value

Truth = bool | None

_NAME = {"type": "string", "minLength": 1}

PARAMS: dict[str, Any] = {
    "required": ["policy", "actions", "providers"],
    "properties": {
        "policy": {**_NAME, "description": "the setting holding the trust policy (`assume_role_policy`)"},
        "actions": {"type": "array", "minItems": 1, "items": _NAME, "description": "the actions that assume the role with a token (`sts:AssumeRoleWithWebIdentity`); a statement with `NotAction` counts"},
        "providers": {
            "type": "array",
            "minItems": 1,
            "description": "identity providers that issue tokens to anyone, each recognised by its host in the `Federated` principal (a URL, an `oidc-provider/` ARN, or a provider resource of role `provider` whose `url` names it), or by its condition keys when the principal is not known",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["host", "name", "claims"],
                "properties": {
                    "host": {**_NAME, "description": "the issuer's host (`token.actions.githubusercontent.com`)"},
                    "name": {**_NAME, "description": "the provider in messages (`GitHub Actions`)"},
                    "claims": {"type": "array", "minItems": 1, "items": _NAME, "description": "claims that identify the caller (`sub`, `repository`…); the first is named in messages"},
                },
            },
        },
        "url": {**_NAME, "description": "the provider resource's setting holding its URL (default `url`)"},
        "prefixes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "prefixes a claim value may start with before what it names (`repo:`): a value that is empty or a wildcard after them (`*`, `repo:*`) names no one",
        },
    },
}


def _hosts(spec: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(p["host"]).lower(): p for p in spec}


def _host(text: str, known: dict[str, dict[str, Any]]) -> str | None:
    t = text.strip().lower()
    if t.startswith("https://"):
        t = t[len("https://") :]
    if ":oidc-provider/" in t:
        t = t.split(":oidc-provider/", 1)[1]
    for host in known:
        if t == host or t.startswith(host + "/"):
            return host
    return None


def _providers(ctx: Context, statement: dict[str, Any], known: dict[str, dict[str, Any]]) -> set[str]:
    """The hosts of the multi-tenant providers a statement trusts."""
    principal = statement.get("Principal")
    values = principal.get("Federated") if isinstance(principal, dict) else None
    hosts: set[str] = set()
    unknown = False
    provider_types = ctx.related("provider")
    url_setting = ctx.params.get("url", "url")
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, str):
            host = _host(value, known)
            if host:
                hosts.add(host)
        elif isinstance(value, Unknown):
            unknown = True
            for rid in ref_ids(value):
                provider = ctx.graph.get(rid)
                url = provider.setting(url_setting) if provider is not None and provider.type in provider_types else None
                host = _host(url, known) if isinstance(url, str) else None
                if host:
                    hosts.add(host)
    if not hosts and unknown:
        # the provider's ARN is computed: recognise it by the condition keys it uses
        cond = statement.get("Condition")
        for clauses in cond.values() if isinstance(cond, dict) else []:
            for key in clauses if isinstance(clauses, dict) else []:
                host = _host(str(key).split(":", 1)[0], known) if ":" in str(key) else None
                if host:
                    hosts.add(host)
    return hosts


def _names_someone(value: Any, prefixes: list[str]) -> Truth:
    """Whether a condition value names something specific (not empty, not a wildcard)."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, Unknown) for v in items):
        return None
    texts = [str(v).strip() for v in items if v is not None]
    if not texts:
        return False
    for text in texts:
        core = text
        for prefix in prefixes:
            if core.lower().startswith(prefix.lower()):
                core = core[len(prefix) :]
        if core == "" or core.startswith("*"):
            return False
    return True


def _limited(statement: dict[str, Any], host: str, claims: list[str], prefixes: list[str]) -> Truth:
    """Whether a condition on one of the provider's identifying claims names someone."""
    cond = statement.get("Condition")
    if not isinstance(cond, dict):
        return False
    result: Truth = False
    wanted = {c.lower() for c in claims}
    for operator, clauses in cond.items():
        op = str(operator).lower()
        if isinstance(clauses, Unknown):
            return None
        if op.endswith("ifexists") or "not" in op or op == "null" or not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            k = str(key).lower()
            if not k.startswith(host + ":") or k.split(":", 1)[1] not in wanted:
                continue
            names = _names_someone(value, prefixes)
            if names is True:
                return True
            if names is None:
                result = None
    return result


@named_check("web-identity-trust", PARAMS)
def web_identity_trust(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A role whose trust policy lets a multi-tenant identity provider assume it without a
    condition that names who the token was issued to.

    Each allowing statement of the trust policy (`policy`) that grants one of `actions`
    (or uses `NotAction`) is read for the providers it trusts: the `Federated` principal as
    a URL or an `oidc-provider/` ARN, a provider resource of role `provider` (its `url`),
    or, when the principal is computed, the provider named by its condition keys. For each
    provider of `providers`, the statement must carry a condition (not `…IfExists`, not
    negated, not `Null`) on one of the provider's `claims` whose values name something
    specific: `*`, `repo:*` (after `prefixes`) or an empty value do not. A condition that
    is not known leaves the statement unreported. Shown on the statement's principal."""
    params = ctx.params
    path = res.setting_path(params["policy"])
    document = decode_json_value(value_at(res.attrs, path))
    known = _hosts(params["providers"])
    prefixes = list(params.get("prefixes", ()))
    raw = document.get("Statement") if isinstance(document, dict) else None
    for i, st in enumerate(statements(document)):
        if not isinstance(st, dict) or str(st.get("Effect", "Allow")).lower() != "allow":
            continue
        actions = st.get("Action")
        patterns = [str(a) for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)]
        if "NotAction" not in st and not action_matches(patterns, frozenset(params["actions"])):
            continue
        for host in sorted(_providers(ctx, st, known)):
            provider = known[host]
            claims = [str(c) for c in provider["claims"]]
            if _limited(st, host, claims, prefixes) is not False:
                continue
            base: Path = ("Statement", i) if isinstance(raw, list) else ("Statement",)
            name = provider["name"]
            yield Hit(
                res,
                path + base + ("Principal",),
                message=None if ctx.rule.message else f"IAM role {res.address} can be assumed by any {name} user or workflow: its trust policy has no condition on {host}:{claims[0]} that names who may use it",
                evidence=[Evidence(f"{name} issues tokens to anyone who signs up; only a condition on a claim that names you ({', '.join(claims[:3])}{'…' if len(claims) > 3 else ''}) ties the token to you")],
                value=host,
                facts={"provider": name, "claim": f"{host}:{claims[0]}"},
            )
