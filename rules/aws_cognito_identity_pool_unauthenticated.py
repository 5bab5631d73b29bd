"""Identity pools that give guests AWS credentials; high when a guest role is attached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, prop, targets, truth
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

ATTACHMENTS = ("aws_cognito_identity_pool_roles_attachment", "AWS::Cognito::IdentityPoolRoleAttachment")
ROLE_TYPES = ("aws_iam_role", "AWS::IAM::Role")


def _guest_roles(graph: ResourceGraph, pool: Resource) -> list[Evidence]:
    out: list[Evidence] = []
    for att in graph.of_type(*ATTACHMENTS):
        cfn = is_cfn(att)
        if not any(t is pool for t in targets(graph, att, path_of(att, "IdentityPoolId" if cfn else "identity_pool_id"), (pool.type,))):
            continue
        roles: Any = prop(att, "Roles" if cfn else "roles")
        if not isinstance(roles, dict):
            continue
        for key, value in roles.items():
            if str(key).lower() != "unauthenticated" or value is None:
                continue
            path = path_of(att, "Roles" if cfn else "roles", key)
            found = targets(graph, att, path, ROLE_TYPES)
            if found:
                name = found[0].address
            elif isinstance(value, Unknown):
                name = "a role"
            else:
                name = str(value)
            out.append(Evidence(f"{att.address} attaches {name} as the unauthenticated role: guests receive its credentials", locate(att, path)))
    return out


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for pool in graph.of_type("aws_cognito_identity_pool", "AWS::Cognito::IdentityPool"):
        key = "AllowUnauthenticatedIdentities" if is_cfn(pool) else "allow_unauthenticated_identities"
        if truth(prop(pool, key)) is not True:
            continue
        roles = _guest_roles(graph, pool)
        if roles:
            yield Hit(
                pool,
                path_of(pool, key),
                message=f"Cognito identity pool {pool.address} gives anyone on the internet AWS credentials for its unauthenticated role, without signing in",
                evidence=roles,
                severity=Severity.HIGH,
                value=True,
            )
        else:
            yield Hit(
                pool,
                path_of(pool, key),
                message=f"Cognito identity pool {pool.address} allows unauthenticated identities: anyone who knows the pool ID gets an identity, and credentials as soon as a guest role is attached",
                evidence=[Evidence("no unauthenticated role is attached in the scanned code")],
                severity=Severity.MEDIUM,
                value=True,
            )
