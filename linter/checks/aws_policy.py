"""Who an IAM-style resource policy lets in.

A statement grants public access when it allows (``Effect: Allow``) actions to everyone:
``Principal: "*"``, ``{"AWS": "*"}`` (or a list holding ``"*"``, or an account wildcard such
as ``arn:aws:iam::*:root``), or any ``NotPrincipal`` — and no condition narrows who can
use it. Conditions narrow it when they pin the caller's identity or network to something
specific (``aws:SourceVpce``, ``aws:PrincipalOrgID``, ``aws:SourceArn``…). A condition that
only sets *how* (``aws:SecureTransport``), uses an ``…IfExists`` operator (callers from the
internet simply lack the key), or compares against ``*`` or an internet-wide range does
not narrow anything.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from linter.conditions import world_networks
from linter.values import Unknown, decode_json_value

# condition keys that restrict who (or from where) a statement applies to
LIMITING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceVpce",
        "aws:SourceVpc",
        "aws:SourceIp",
        "aws:VpcSourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalServiceName",
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceOwner",
        "aws:userid",
        "aws:username",
        "aws:CalledVia",
        "kms:CallerAccount",
        "lambda:FunctionUrlAuthType",
        "sns:Endpoint",
        "cognito-identity.amazonaws.com:aud",
        "sts:ExternalId",
        "token.actions.githubusercontent.com:sub",
        "sqs:SourceArn",
    )
)


@dataclass
class PublicGrant:
    index: int  # statement index
    statement: dict[str, Any]
    path: tuple[Any, ...]  # path to the Principal/NotPrincipal inside the document
    actions: list[str]
    reason: str  # why it counts as public


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, list):
        return list(v)
    return [v]


def _is_wildcard_principal(value: Any) -> bool:
    if isinstance(value, str):
        text = value.strip()
        if text == "*":
            return True
        # arn:aws:iam::*:root and similar account wildcards
        parts = text.split(":")
        return len(parts) >= 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "*"
    return False


def principal_is_public(principal: Any) -> bool | None:
    if isinstance(principal, Unknown):
        return None
    if _is_wildcard_principal(principal):
        return True
    if isinstance(principal, dict):
        unknown = False
        for key in ("AWS", "CanonicalUser", "Federated"):
            for value in _as_list(principal.get(key)):
                if isinstance(value, Unknown):
                    unknown = True
                elif _is_wildcard_principal(value):
                    return True
        return None if unknown else False
    return False


def _limits_who(operator: str, key: str, values: Any) -> bool:
    op = operator.lower()
    if op.endswith("ifexists") or op == "null":
        return False
    if key.lower() not in LIMITING_KEYS:
        return False
    items = _as_list(values)
    if not items:
        return False
    if any(isinstance(v, Unknown) for v in items):
        return True  # a value set at deploy time: assume it names something specific
    texts = [str(v) for v in items]
    if any(t.strip() in ("*", "") for t in texts):
        return False
    if key.lower() in ("aws:sourceip", "aws:vpcsourceip"):
        is_world, _ = world_networks(texts)
        return not is_world
    if "notequals" in op or "notlike" in op:
        return False  # "anyone except X" does not narrow to X
    return True


def limiting_conditions(statement: dict[str, Any]) -> list[str]:
    """The condition keys of a statement that narrow who can use it."""
    cond = statement.get("Condition")
    if not isinstance(cond, dict):
        return []
    out = []
    for operator, clauses in cond.items():
        if isinstance(clauses, Unknown):
            out.append("(unknown condition)")
            continue
        if not isinstance(clauses, dict):
            continue
        for key, values in clauses.items():
            if _limits_who(str(operator), str(key), values):
                out.append(f"{operator} {key}")
    return out


def action_matches(patterns: list[str], actions: frozenset[str] | set[str] | list[str]) -> list[str]:
    """Which of ``actions`` the statement's action patterns allow (case-insensitive globs)."""
    out = []
    for action in actions:
        a = action.lower()
        if any(fnmatch.fnmatchcase(a, p.lower()) for p in patterns):
            out.append(action)
    return sorted(out)


def statements(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        return []
    st = document.get("Statement")
    if isinstance(st, dict):
        return [st]
    if isinstance(st, list):
        return st
    return []


def public_grants(policy: Any, sensitive_actions: frozenset[str] | None = None) -> list[PublicGrant]:
    """Statements of ``policy`` (text, JsonString or dict) that let anyone in.

    When ``sensitive_actions`` is given, a statement counts only if it allows one of them
    (``NotAction`` allows everything it does not name).
    """
    document = decode_json_value(policy)
    out: list[PublicGrant] = []
    raw = document.get("Statement") if isinstance(document, dict) else None
    for i, st in enumerate(statements(document)):
        if not isinstance(st, dict):
            continue
        effect = st.get("Effect", "Allow")
        if not isinstance(effect, str) or effect.lower() != "allow":
            continue
        base: tuple[Any, ...] = ("Statement", i) if isinstance(raw, list) else ("Statement",)
        if "NotPrincipal" in st:
            public, key, reason = True, "NotPrincipal", "NotPrincipal with Allow lets in everyone not listed"
        else:
            verdict = principal_is_public(st.get("Principal"))
            if verdict is not True:
                continue
            public, key, reason = True, "Principal", f"Principal {_principal_text(st.get('Principal'))}"
        if not public or limiting_conditions(st):
            continue
        if "NotAction" in st:
            excluded = ", ".join(str(a) for a in _as_list(st.get("NotAction")))
            actions = [f"every action except {excluded}"]
        else:
            actions = [str(a) for a in _as_list(st.get("Action")) if not isinstance(a, Unknown)]
            if sensitive_actions is not None and not action_matches(actions, sensitive_actions):
                continue
        out.append(PublicGrant(i, st, base + (key,), actions, reason))
    return out


def _principal_text(p: Any) -> str:
    if isinstance(p, str):
        return f'"{p}"'
    if isinstance(p, dict):
        return "{" + ", ".join(f'{k}: "{v}"' if isinstance(v, str) else f"{k}: {v}" for k, v in p.items()) + "}"
    return str(p)


def describe_actions(actions: list[str], limit: int = 4) -> str:
    if not actions:
        return "actions"
    if len(actions) > limit:
        return ", ".join(actions[:limit]) + f" and {len(actions) - limit} more"
    return ", ".join(actions)
