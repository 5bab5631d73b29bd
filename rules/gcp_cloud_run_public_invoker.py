"""Cloud Run services open to the public (IAM or a disabled invoker check), unless ingress is internal."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import PublicGrant, grade, iam_check, target_of
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

ROLES = [
    (("roles/run.invoker",), Severity.MEDIUM),
    (("roles/run.developer", "roles/run.admin", "roles/editor", "roles/owner"), Severity.CRITICAL),
]


def _internal_only(service: Resource) -> list[Evidence] | None:
    if service.type == "google_cloud_run_v2_service":
        path: tuple = ("ingress",)
        value = service.attrs.get("ingress")
        internal = "INGRESS_TRAFFIC_INTERNAL_ONLY"
    else:
        path = ("metadata", 0, "annotations", "run.googleapis.com/ingress")
        value = value_at(service.attrs, path)
        internal = "INTERNAL"
    if isinstance(value, Unknown):
        return []
    if isinstance(value, str) and value.strip().upper() == internal:
        return [Evidence(f"{service.address} accepts internal traffic only", locate(service, path))]
    return None


def _service(graph: ResourceGraph, holder: Resource) -> Resource | None:
    if holder.type.startswith("google_cloud_run_v2_service"):
        return target_of(graph, holder, "name", ("google_cloud_run_v2_service",))
    return target_of(graph, holder, "service", ("google_cloud_run_service",))


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def neutralised(grant: PublicGrant) -> list[Evidence] | None:
        service = _service(graph, grant.holder)
        return _internal_only(service) if service is not None else None

    yield from iam_check(
        graph,
        ("google_cloud_run_service",),
        "Cloud Run service",
        "service",
        ("google_cloud_run_service",),
        severity=lambda g: grade(g.role, ROLES, Severity.HIGH),
        neutralised=neutralised,
        consequence="anyone can call it without credentials",
    )
    yield from iam_check(
        graph,
        ("google_cloud_run_v2_service",),
        "Cloud Run service",
        "name",
        ("google_cloud_run_v2_service",),
        severity=lambda g: grade(g.role, ROLES, Severity.HIGH),
        neutralised=neutralised,
        consequence="anyone can call it without credentials",
    )
    for service in graph.of_type("google_cloud_run_v2_service"):
        flag = service.attrs.get("invoker_iam_disabled")
        if not (flag is True or (isinstance(flag, str) and flag.lower() == "true")):
            continue
        if _internal_only(service) is not None:
            continue
        yield Hit(
            service,
            ("invoker_iam_disabled",),
            message=f"Cloud Run service {service.address} skips the invoker IAM check (invoker_iam_disabled = true): anyone who reaches it can call it",
            severity=Severity.MEDIUM,
            value=True,
        )
