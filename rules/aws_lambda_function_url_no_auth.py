"""Function URLs with no authentication whose function lets everyone invoke the URL."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, prop, targets
from linter.checks.aws_policy import action_matches
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown

FUNCTION_TYPES = ("aws_lambda_function", "AWS::Lambda::Function", "AWS::Serverless::Function")
PERMISSION_TYPES = ("aws_lambda_permission", "AWS::Lambda::Permission")


def _public_permissions(graph: ResourceGraph, fn: Resource) -> tuple[list[Resource], bool]:
    """Permissions on ``fn`` that let everyone invoke its URL; and whether one is not known."""
    found: list[Resource] = []
    unknown = False
    for perm in graph.of_type(*PERMISSION_TYPES):
        cfn = is_cfn(perm)
        if not any(t is fn for t in targets(graph, perm, path_of(perm, "FunctionName" if cfn else "function_name"), FUNCTION_TYPES)):
            continue
        principal = prop(perm, "Principal" if cfn else "principal")
        action = prop(perm, "Action" if cfn else "action")
        if isinstance(principal, Unknown) or isinstance(action, Unknown):
            unknown = True
            continue
        if principal != "*" or not isinstance(action, str):
            continue
        if action_matches([action], {"lambda:InvokeFunctionUrl"}):
            found.append(perm)
    return found, unknown


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for url in graph.of_type("aws_lambda_function_url", "AWS::Lambda::Url"):
        cfn = is_cfn(url)
        key = "AuthType" if cfn else "authorization_type"
        auth = prop(url, key)
        if not isinstance(auth, str) or auth.upper() != "NONE":
            continue
        evidence: list[Evidence] = []
        implied = url.meta.get("implied_by")
        fns = targets(graph, url, path_of(url, "TargetFunctionArn" if cfn else "function_name"), FUNCTION_TYPES)
        name = implied or (fns[0].address if fns else "its function")
        if implied:
            evidence.append(Evidence("SAM grants everyone lambda:InvokeFunctionUrl for a URL with AuthType NONE"))
        elif fns:
            perms, unknown = _public_permissions(graph, fns[0])
            if not perms:
                continue  # no one may call it: Lambda answers 403 (or the permission is not known)
            evidence.extend(Evidence(f"{p.address} lets everyone (principal \"*\") invoke the function URL", locate(p, path_of(p, "Principal" if is_cfn(p) else "principal"))) for p in perms[:2])
        else:
            evidence.append(Evidence("the function is not defined in the scanned code, so its permissions are not known"))
        yield Hit(
            url,
            path_of(url, key),
            message=f"the function URL of {name} ({url.address}) needs no authentication: anyone on the internet can invoke the function",
            evidence=evidence,
            value="NONE",
        )
