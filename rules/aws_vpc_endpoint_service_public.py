"""Endpoint services open to every account; high when connections need no approval."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

SERVICE_TYPES = ("aws_vpc_endpoint_service", "AWS::EC2::VPCEndpointService")


def _star_index(values: Any) -> int | None:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    for i, v in enumerate(values):
        if isinstance(v, str) and v.strip() == "*":
            return i
    return None


def _acceptance(service: Resource | None) -> tuple[Severity, Evidence]:
    if service is None:
        return Severity.MEDIUM, Evidence("the endpoint service is not in the scanned code, so whether connection requests need approval is not known")
    if service.format == "cloudformation":
        path: tuple[Any, ...] = ("Properties", "AcceptanceRequired")
        props = service.attrs.get("Properties")
        value = props.get("AcceptanceRequired") if isinstance(props, dict) else None
        name = "AcceptanceRequired"
    else:
        path = ("acceptance_required",)
        value = service.attrs.get("acceptance_required")
        name = "acceptance_required"
    if isinstance(value, Unknown):
        return Severity.MEDIUM, Evidence(f"{service.address} sets {name} to a value that is not known", locate(service, path))
    if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
        return Severity.MEDIUM, Evidence(f"{service.address} requires acceptance ({name} = true): each connection request waits for approval", locate(service, path))
    if value is None:
        return Severity.HIGH, Evidence(f"{service.address} does not set {name} to true: nothing shows that connection requests need approval", service.span)
    return Severity.HIGH, Evidence(f"{service.address} sets {name} = false: connection requests are accepted automatically", locate(service, path))


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    items: list[tuple[Resource, tuple[Any, ...], Resource | None]] = []
    for service in graph.of_type("aws_vpc_endpoint_service"):
        i = _star_index(service.attrs.get("allowed_principals"))
        if i is not None:
            items.append((service, ("allowed_principals", i), service))
    for perm in graph.of_type("aws_vpc_endpoint_service_allowed_principal"):
        if _star_index(perm.attrs.get("principal_arn")) is not None:
            svc = next(iter(graph.references(perm, "vpc_endpoint_service_id", SERVICE_TYPES)), None)
            items.append((perm, ("principal_arn",), svc))
    for perm in graph.of_type("AWS::EC2::VPCEndpointServicePermissions"):
        props = perm.attrs.get("Properties")
        i = _star_index(props.get("AllowedPrincipals") if isinstance(props, dict) else None)
        if i is not None:
            svc = next(iter(graph.references(perm, "ServiceId", SERVICE_TYPES)), None)
            items.append((perm, ("Properties", "AllowedPrincipals", i), svc))
    for res, path, svc in items:
        severity, why = _acceptance(svc)
        name = svc.address if svc is not None else f"the endpoint service of {res.address}"
        yield Hit(
            res,
            path,
            subject=svc or res,
            message=f"VPC endpoint service {name} allows principal \"*\": any AWS account can create an endpoint to it from its own VPC",
            evidence=[why],
            severity=severity,
            value="*",
        )
