"""OpenSearch Serverless network policies with a rule that allows public access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, prop, truth
from linter.graph import ResourceGraph
from linter.model import Evidence
from linter.ruleset import Rule
from linter.values import Unknown, decode_json_value


def _resources(entry: dict[str, Any]) -> list[str]:
    out: list[str] = []
    rules = entry.get("Rules")
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        kind = rule.get("ResourceType")
        names = rule.get("Resource")
        for name in names if isinstance(names, list) else [names]:
            if isinstance(name, str):
                out.append(f"{name} ({kind})" if isinstance(kind, str) and not name.startswith(str(kind)) else name)
    return out


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for pol in graph.of_type("aws_opensearchserverless_security_policy", "AWS::OpenSearchServerless::SecurityPolicy"):
        cfn = is_cfn(pol)
        kind = prop(pol, "Type" if cfn else "type")
        if not isinstance(kind, str) or kind.lower() != "network":
            continue
        key = "Policy" if cfn else "policy"
        document = decode_json_value(prop(pol, key))
        if isinstance(document, Unknown):
            continue
        entries = document if isinstance(document, list) else [document]
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or truth(entry.get("AllowFromPublic")) is not True:
                continue
            covered = _resources(entry)
            where = (i, "AllowFromPublic") if isinstance(document, list) else ("AllowFromPublic",)
            yield Hit(
                pol,
                path_of(pol, key, *where),
                message=f"OpenSearch Serverless network policy {pol.address} allows access from the internet to {', '.join(covered[:4]) or 'its collections'}",
                evidence=[Evidence("requests still need a signed IAM or SAML identity admitted by a data access policy")],
                value=True,
            )
