"""Cloud Functions whose IAM lets the public invoke or manage them, unless ingress is internal only."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import PublicGrant, grade, iam_check, target_of
from linter.graph import ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

FUNCTIONS = ("google_cloudfunctions_function", "google_cloudfunctions2_function")
ROLES = [
    (("roles/cloudfunctions.invoker", "roles/run.invoker", "roles/cloudfunctions.viewer"), Severity.MEDIUM),
    (("roles/cloudfunctions.developer", "roles/cloudfunctions.admin", "roles/editor", "roles/owner"), Severity.CRITICAL),
]


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    def neutralised(grant: PublicGrant) -> list[Evidence] | None:
        fn = target_of(graph, grant.holder, "cloud_function", FUNCTIONS)
        if fn is None:
            return None
        path = ("ingress_settings",) if fn.type == "google_cloudfunctions_function" else ("service_config", 0, "ingress_settings")
        value = value_at(fn.attrs, path)
        if isinstance(value, Unknown):
            return []
        if isinstance(value, str) and value.strip().upper() == "ALLOW_INTERNAL_ONLY":
            return [Evidence(f"{fn.address} accepts internal traffic only", locate(fn, path))]
        return None

    yield from iam_check(
        graph,
        FUNCTIONS,
        "Cloud Function",
        "cloud_function",
        FUNCTIONS,
        severity=lambda g: grade(g.role, ROLES, Severity.HIGH),
        neutralised=neutralised,
        consequence="anyone can call it without credentials",
    )
