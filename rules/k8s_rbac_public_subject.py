"""Bindings whose subjects are the public."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.graph import ResourceGraph
from linter.model import Evidence, Severity
from linter.ruleset import Rule

PUBLIC_SUBJECTS = {
    ("User", "system:anonymous"): (Severity.CRITICAL, "anyone, without credentials"),
    ("Group", "system:unauthenticated"): (Severity.CRITICAL, "anyone, without credentials"),
    ("Group", "system:authenticated"): (Severity.HIGH, "every identity that can authenticate to the cluster"),
}


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for binding in graph.of_type("RoleBinding", "ClusterRoleBinding"):
        subjects = binding.attrs.get("subjects")
        ref = binding.attrs.get("roleRef")
        role = ref if isinstance(ref, dict) else {}
        role_name = f"{role.get('kind', 'role')} {role.get('name', '?')}"
        targets = graph.references(binding, "roleRef")
        for i, subject in enumerate(subjects if isinstance(subjects, list) else []):
            if not isinstance(subject, dict):
                continue
            key = (str(subject.get("kind")), str(subject.get("name")))
            if key not in PUBLIC_SUBJECTS:
                continue
            severity, who = PUBLIC_SUBJECTS[key]
            evidence = [Evidence(f"the role it grants: {t.address}", t.span) for t in targets]
            yield Hit(
                binding,
                ("subjects", i, "name"),
                message=f"{binding.address} grants {role_name} to {key[1]}: {who}",
                evidence=evidence,
                severity=severity,
                value=key[1],
            )
