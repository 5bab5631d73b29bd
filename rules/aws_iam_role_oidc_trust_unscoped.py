"""Roles trusting a multi-tenant identity provider (GitHub, GitLab.com, HCP Terraform,
Google, Cognito) with no condition naming the subject."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import path_of, ref_ids
from linter.checks.aws_policy import action_matches, statements
from linter.graph import ResourceGraph
from linter.locate import value_at
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown, decode_json_value

# provider host -> (display name, claims that identify the caller)
PROVIDERS = {
    "token.actions.githubusercontent.com": ("GitHub Actions", ("sub", "repository", "repository_owner", "repository_id", "repository_owner_id", "job_workflow_ref", "environment", "actor", "ref")),
    "gitlab.com": ("GitLab.com", ("sub", "project_path", "namespace_path", "project_id", "namespace_id", "ref")),
    "app.terraform.io": ("HCP Terraform", ("sub", "terraform_organization_name", "terraform_workspace_name", "terraform_project_name")),
    "accounts.google.com": ("Google accounts", ("aud", "oaud", "sub", "email")),
    "cognito-identity.amazonaws.com": ("Cognito identity pools", ("aud",)),
}
WEB_IDENTITY = frozenset({"sts:AssumeRoleWithWebIdentity"})


def _host(text: str) -> str | None:
    t = text.strip().lower()
    if t.startswith("https://"):
        t = t[len("https://"):]
    if ":oidc-provider/" in t:
        t = t.split(":oidc-provider/", 1)[1]
    for host in PROVIDERS:
        if t == host or t.startswith(host + "/"):
            return host
    return None


def _providers_of(graph: ResourceGraph, principal: Any, statement: dict[str, Any]) -> set[str]:
    hosts: set[str] = set()
    values = principal.get("Federated") if isinstance(principal, dict) else None
    unknown = False
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, str):
            h = _host(value)
            if h:
                hosts.add(h)
        elif isinstance(value, Unknown):
            unknown = True
            for rid in ref_ids(value):
                res = graph.get(rid)
                url = res.attrs.get("url") if res is not None and res.format != "cloudformation" else None
                if res is not None and res.format == "cloudformation":
                    url = value_at(res.attrs, ("Properties", "Url"))
                if isinstance(url, str) and _host(url):
                    hosts.add(_host(url))  # type: ignore[arg-type]
    if not hosts and unknown:
        # the provider's ARN is computed: recognise it by the condition keys it uses
        cond = statement.get("Condition")
        for clauses in cond.values() if isinstance(cond, dict) else []:
            for key in clauses if isinstance(clauses, dict) else []:
                h = _host(str(key).split(":", 1)[0]) if ":" in str(key) else None
                if h:
                    hosts.add(h)
    return hosts


def _narrows(value: Any) -> bool | None:
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, Unknown) for v in items):
        return None
    texts = [str(v).strip() for v in items if v is not None]
    if not texts:
        return False
    for text in texts:
        core = text
        for prefix in ("repo:", "project_path:", "organization:"):
            if core.lower().startswith(prefix):
                core = core[len(prefix):]
        if core == "" or core.startswith("*"):
            return False
    return True


def _subject_limited(statement: dict[str, Any], host: str) -> bool | None:
    claims = PROVIDERS[host][1]
    cond = statement.get("Condition")
    if not isinstance(cond, dict):
        return False
    result: bool | None = False
    for operator, clauses in cond.items():
        op = str(operator).lower()
        if isinstance(clauses, Unknown):
            return None
        if op.endswith("ifexists") or "not" in op or op == "null" or not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            k = str(key).lower()
            if not k.startswith(host + ":") or k.split(":", 1)[1] not in claims:
                continue
            narrows = _narrows(value)
            if narrows is True:
                return True
            if narrows is None:
                result = None
    return result


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for role in graph.of_type("aws_iam_role", "AWS::IAM::Role"):
        policy_path = path_of(role, "AssumeRolePolicyDocument") if role.format == "cloudformation" else ("assume_role_policy",)
        document = decode_json_value(value_at(role.attrs, policy_path))
        raw = document.get("Statement") if isinstance(document, dict) else None
        for i, st in enumerate(statements(document)):
            if not isinstance(st, dict) or str(st.get("Effect", "Allow")).lower() != "allow":
                continue
            actions = st.get("Action")
            patterns = [str(a) for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)]
            if "NotAction" not in st and not action_matches(patterns, WEB_IDENTITY):
                continue
            principal = st.get("Principal")
            for host in sorted(_providers_of(graph, principal, st)):
                limited = _subject_limited(st, host)
                if limited is not False:
                    continue
                name, claims = PROVIDERS[host]
                base = ("Statement", i) if isinstance(raw, list) else ("Statement",)
                yield Hit(
                    role,
                    policy_path + base + ("Principal",),
                    message=f"IAM role {role.address} can be assumed by any {name} user or workflow: its trust policy has no condition on {host}:{claims[0]} that names who may use it",
                    evidence=[Evidence(f"{name} issues tokens to anyone who signs up; only a condition on the subject (or, for Google and Cognito, the audience) ties the token to you")],
                    value=host,
                )
