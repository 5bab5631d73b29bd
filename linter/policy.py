"""Who an IAM-style resource policy lets in: the one place that reads policy statements.

A statement grants public access when it allows (``Effect: Allow``) actions to everyone:
``Principal: "*"``, ``{"AWS": "*"}`` (or a list holding ``"*"``, or an account wildcard such
as ``arn:aws:iam::*:root``), or any ``NotPrincipal`` — and no condition narrows who can
use it. Conditions narrow it when they pin the caller's identity or network to something
specific (``aws:SourceVpce``, ``aws:PrincipalOrgID``, ``aws:SourceArn``…). A condition that
only sets *how* (``aws:SecureTransport``), uses an ``…IfExists`` operator (callers from the
internet simply lack the key), or compares against ``*`` or an internet-wide range does
not narrow anything. A Deny of the same policy that turns away everyone outside a named
network, organisation or account takes the grant back.

Used by the ``public_policy`` condition operator (linter/conditions.py) and by the named
checks of linter/checks/policies.py, so a statement means the same in every rule.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from msgspec import Struct

from linter.internet import world_networks
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
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
        "aws:Ec2InstanceSourceVpc",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalIsAWSService",
    )
)

# condition operators that make a Deny apply to everyone *outside* the listed values
_NEGATED_OPERATORS = (
    "stringnotequals",
    "stringnotequalsignorecase",
    "stringnotlike",
    "arnnotequals",
    "arnnotlike",
    "notipaddress",
)


class PublicGrant(Struct):
    """One Allow statement that lets anyone in."""

    index: int  # statement index
    statement: dict[str, Any]
    path: tuple[Any, ...]  # path to the Principal/NotPrincipal inside the document
    actions: list[str]  # the statement's actions as written ("every action except …" for NotAction)
    reason: str  # why it counts as public: 'Principal "*"', "NotPrincipal with Allow …"

    @property
    def principal(self) -> Any:
        return self.statement.get("Principal", self.statement.get("NotPrincipal"))


def as_list(v: Any) -> list[Any]:
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
    """True for everyone (``"*"``, ``{"AWS": "*"}``, an account wildcard), None when not known."""
    if isinstance(principal, Unknown):
        return None
    if _is_wildcard_principal(principal):
        return True
    if isinstance(principal, dict):
        unknown = False
        for key in ("AWS", "CanonicalUser", "Federated"):
            for value in as_list(principal.get(key)):
                if isinstance(value, Unknown):
                    unknown = True
                elif _is_wildcard_principal(value):
                    return True
        return None if unknown else False
    return False


def _limits_who(operator: str, key: str, values: Any, not_limiting: frozenset[str]) -> bool:
    op = operator.lower()
    if op.endswith("ifexists") or op == "null":
        return False
    k = key.lower()
    if k not in LIMITING_KEYS or k in not_limiting:
        return False
    items = as_list(values)
    if not items:
        return False
    if any(isinstance(v, Unknown) for v in items):
        return True  # a value set at deploy time: assume it names something specific
    texts = [str(v) for v in items]
    if any(t.strip() in ("*", "") for t in texts):
        return False
    if k == "aws:principalisawsservice":
        return all(t.strip().lower() == "true" for t in texts)  # only AWS services themselves
    if k in ("aws:sourceip", "aws:vpcsourceip"):
        is_world, _ = world_networks(texts)
        return not is_world
    if "notequals" in op or "notlike" in op:
        return False  # "anyone except X" does not narrow to X
    return True


def limiting_conditions(statement: dict[str, Any], not_limiting: frozenset[str] = frozenset()) -> list[str]:
    """The condition keys of a statement that narrow who can use it (``not_limiting``:
    lower-case keys that do not count here)."""
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
            if _limits_who(str(operator), str(key), values, not_limiting):
                out.append(f"{operator} {key}")
    return out


def action_matches(patterns: list[str], actions: Iterable[str]) -> list[str]:
    """Which of ``actions`` the statement's action patterns allow (case-insensitive). Globs
    work on both sides: a statement's ``s3:Get*`` allows ``s3:GetObject``, and a rule's
    ``sts:AssumeRole*`` is allowed by a statement's ``sts:AssumeRoleWithWebIdentity``."""
    out = []
    lowered = [p.lower() for p in patterns]
    for action in actions:
        a = action.lower()
        if any(fnmatch.fnmatchcase(a, p) or fnmatch.fnmatchcase(p, a) for p in lowered):
            out.append(action)
    return sorted(out)


def covered(patterns: Iterable[str], by: Iterable[str]) -> bool:
    """Whether every one of ``patterns`` is one of the actions ``by`` names (globs in ``by``)."""
    listed = [b.lower() for b in by]
    return all(any(fnmatch.fnmatchcase(p.lower(), b) for b in listed) for p in patterns)


def statements(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        return []
    st = document.get("Statement")
    if isinstance(st, dict):
        return [st]
    if isinstance(st, list):
        return st
    return []


def _applies_to_everyone(statement: dict[str, Any]) -> bool:
    """A Deny that covers every caller: ``Principal: "*"``/``{"AWS": "*"}``, or a
    ``NotPrincipal`` naming specific principals (everyone else is denied)."""
    if "NotPrincipal" in statement:
        named = statement.get("NotPrincipal")
        values = [v for vs in named.values() for v in as_list(vs)] if isinstance(named, dict) else as_list(named)
        return bool(values) and all(isinstance(v, str) and v.strip() not in ("*", "") for v in values)
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(v == "*" for v in as_list(principal.get("AWS")))
    return False


def _denies_outsiders(statement: dict[str, Any]) -> str | None:
    """When this Deny turns away everyone outside a named network, organisation or
    account, the condition that says so; None otherwise."""
    cond = statement.get("Condition")
    if cond is None:
        return "an unconditional Deny"
    if not isinstance(cond, dict) or not cond:
        return None
    reasons = []
    for operator, clauses in cond.items():
        op = str(operator).lower()
        if op.endswith("ifexists"):
            op = op[: -len("ifexists")]
        if op not in _NEGATED_OPERATORS or not isinstance(clauses, dict) or not clauses:
            return None  # every clause must narrow the Deny to outsiders, or it denies less
        for key, values in clauses.items():
            if str(key).lower() not in LIMITING_KEYS:
                return None
            items = as_list(values)
            if not items or any(isinstance(v, Unknown) for v in items):
                return None
            texts = [str(v).strip() for v in items]
            if any(t in ("*", "") for t in texts):
                return None
            if str(key).lower() in ("aws:sourceip", "aws:vpcsourceip") and world_networks(texts)[0]:
                return None
            reasons.append(f"{operator} {key}")
    return ", ".join(reasons) if reasons else None


def _covers(patterns: list[str], actions: Iterable[str]) -> bool:
    lowered = [p.lower() for p in patterns if isinstance(p, str)]
    for action in actions:
        a = action.lower()
        if not any(fnmatch.fnmatchcase(a, p) for p in lowered):
            return False
    return True


def written_actions(statement: dict[str, Any]) -> list[str]:
    """The known action patterns a statement lists (``Action``, or ``NotAction``'s exclusions)."""
    key = "NotAction" if "NotAction" in statement else "Action"
    return [str(a) for a in as_list(statement.get(key)) if not isinstance(a, Unknown)]


def granted(grant: PublicGrant, actions: Iterable[str]) -> list[str]:
    """Which of ``actions`` the grant's statement allows."""
    wanted = list(actions)
    st = grant.statement
    if "NotAction" in st:
        excluded = written_actions(st)
        return sorted(a for a in wanted if not action_matches(excluded, [a]))
    return action_matches(written_actions(st), wanted)


def taken_back(document: Any, grant: PublicGrant, actions: list[str]) -> str | None:
    """The Deny statement (described) that turns every outsider away from ``actions``."""
    if not actions:
        return None
    for i, st in enumerate(statements(document)):
        if not isinstance(st, dict) or str(st.get("Effect", "")).lower() != "deny":
            continue
        if "NotAction" in st or not _applies_to_everyone(st):
            continue
        patterns = [str(a) for a in as_list(st.get("Action")) if not isinstance(a, Unknown)]
        if not _covers(patterns, actions):
            continue
        why = _denies_outsiders(st)
        if why:
            sid = st.get("Sid")
            name = f'statement {i} ("{sid}")' if isinstance(sid, str) and sid else f"statement {i}"
            return f"{name} denies everyone else ({why})"
    return None


def public_grants(policy: Any, sensitive_actions: Iterable[str] | None = None, not_limiting: Iterable[str] = ()) -> list[PublicGrant]:
    """Statements of ``policy`` (text, JsonString or dict) that let anyone in.

    When ``sensitive_actions`` is given, a statement counts only if it allows one of them
    (``NotAction`` allows everything it does not name). A grant that a Deny statement of the
    same policy takes back from everyone outside a named network, organisation or account
    (the documented way to write a private API or VPC-only policy) does not count.
    ``not_limiting`` names condition keys that do not narrow who in this question (an
    access point delegation key, when the question is who reaches a bucket through its
    access points).
    """
    sensitive = frozenset(sensitive_actions) if sensitive_actions is not None else None
    ignored = frozenset(k.lower() for k in not_limiting)
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
            key, reason = "NotPrincipal", "NotPrincipal with Allow lets in everyone not listed"
        else:
            if principal_is_public(st.get("Principal")) is not True:
                continue
            key, reason = "Principal", f"Principal {_principal_text(st.get('Principal'))}"
        if limiting_conditions(st, ignored):
            continue
        if "NotAction" in st:
            actions = [f"every action except {', '.join(written_actions(st))}"]
        else:
            actions = written_actions(st)
            if sensitive is not None and not action_matches(actions, sensitive):
                continue
        grant = PublicGrant(i, st, base + (key,), actions, reason)
        taken = granted(grant, sensitive) if sensitive is not None else (["*"] if "NotAction" in st else actions)
        if taken_back(document, grant, taken):
            continue  # a Deny of the same policy turns every outsider away from these actions
        out.append(grant)
    return out


def undecided(policy: Any) -> bool:
    """Whether who the policy lets in cannot be told: the document, its statements, or the
    principal of an Allow statement is not known."""
    document = decode_json_value(policy)
    if isinstance(document, Unknown):
        return True
    if isinstance(document, dict) and isinstance(document.get("Statement"), Unknown):
        return True
    for st in statements(document):
        if isinstance(st, Unknown):
            return True
        if not isinstance(st, dict) or "NotPrincipal" in st:
            continue
        effect = st.get("Effect", "Allow")
        if isinstance(effect, Unknown) or (isinstance(effect, str) and effect.lower() == "allow"):
            if principal_is_public(st.get("Principal")) is None:
                return True
    return False


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
