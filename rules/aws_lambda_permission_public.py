"""Lambda permissions given to "*" without a scope; severity by the action granted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.graph import Resource, ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

# Terraform argument -> CloudFormation property
NAMES = {
    "principal": "Principal",
    "action": "Action",
    "function_name": "FunctionName",
    "source_arn": "SourceArn",
    "source_account": "SourceAccount",
    "principal_org_id": "PrincipalOrgID",
    "event_source_token": "EventSourceToken",
    "function_url_auth_type": "FunctionUrlAuthType",
}
SCOPES = ("source_arn", "source_account", "principal_org_id", "event_source_token")
INVOKE = {"lambda:invokefunction", "lambda:invokeasync"}


def _key(res: Resource, name: str) -> str:
    return NAMES[name] if res.format == "cloudformation" else name


def _path(res: Resource, name: str) -> tuple[str, ...]:
    return ("Properties", NAMES[name]) if res.format == "cloudformation" else (name,)


def _get(res: Resource, name: str) -> Any:
    node: Any = res.attrs
    for part in _path(res, name):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _function(graph: ResourceGraph, res: Resource) -> str:
    types = ["aws_lambda_function", "AWS::Lambda::Function", "AWS::Serverless::Function", "aws_lambda_alias", "AWS::Lambda::Alias"]
    found = graph.references(res, _key(res, "function_name"), types)
    if found:
        return f"Lambda function {found[0].address}"
    name = _get(res, "function_name")
    return f"Lambda function {name}" if isinstance(name, str) else f"the Lambda function of {res.address}"


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for res in graph.of_type("aws_lambda_permission", "AWS::Lambda::Permission"):
        principal = _get(res, "principal")
        if not isinstance(principal, str) or principal.strip() != "*":
            continue
        if any(_get(res, s) is not None for s in SCOPES):
            continue  # scoped (an unknown value counts as a scope)
        action = _get(res, "action")
        if not isinstance(action, str):
            continue
        act = action.strip().lower()
        auth = _get(res, "function_url_auth_type")
        via_url = res.format == "cloudformation" and _get_via_url(res)
        if act == "lambda:invokefunctionurl" or via_url:
            if isinstance(auth, Unknown) or (isinstance(auth, str) and auth.strip().upper() == "NONE"):
                continue  # a public function URL: the URL rule reports it
            severity = Severity.HIGH
            what = f"call its function URL ({action}) with any AWS identity"
        elif act in INVOKE:
            severity = Severity.HIGH
            what = f"invoke it ({action})"
        else:
            severity = Severity.CRITICAL
            what = f"use {action}, which reaches beyond invocation (code, configuration or the function itself)"
        evidence = [Evidence(f"no {', '.join(_key(res, s) for s in SCOPES[:3])} limits the caller")]
        yield Hit(
            res,
            _path(res, "principal"),
            message=f"{_function(graph, res)} is open to every AWS account: {res.address} lets principal \"*\" {what}",
            evidence=evidence,
            severity=severity,
            value=principal,
        )


def _get_via_url(res: Resource) -> bool:
    props = res.attrs.get("Properties")
    value = props.get("InvokedViaFunctionUrl") if isinstance(props, dict) else None
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
