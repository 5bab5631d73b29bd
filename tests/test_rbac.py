"""What linter/checks/rbac.py makes of roles: the built-in ClusterRoles of
linter/k8s-rbac.yaml graded by what they let their subjects do."""

from __future__ import annotations

import pytest

from linter.checks.rbac import DEFAULT_SHAPE, Rule, _within, builtin_rules, grade_rules, knowledge, read_rule


def level_of(rules: list[dict[str, object]]) -> str:
    parsed = [read_rule(r, DEFAULT_SHAPE) for r in rules]
    return grade_rules([(r, None) for r in parsed if r is not None], knowledge()["grants"])[0]


@pytest.mark.parametrize(
    ("role", "level"),
    [
        ("cluster-admin", "control"),
        ("admin", "control"),
        ("edit", "control"),  # reads secrets, execs into pods
        ("view", "read"),  # no secret
        ("system:public-info-viewer", "none"),
        ("system:discovery", "none"),
        ("system:basic-user", "none"),
        ("system:monitoring", "read"),  # /metrics is not a public URL
    ],
)
def test_built_in_roles(role: str, level: str) -> None:
    rules = builtin_rules(role)
    assert rules is not None
    assert level_of(rules) == level


@pytest.mark.parametrize(
    ("rule", "level"),
    [
        ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, "control"),
        ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}, "control"),
        ({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}, "control"),
        ({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}, "control"),
        ({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate"]}, "control"),
        # secrets of another API group are not the core secrets
        ({"apiGroups": ["example.com"], "resources": ["secrets"], "verbs": ["get"]}, "read"),
        ({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["delete"]}, "write"),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["watch"]}, "read"),
        ({"nonResourceURLs": ["/healthz", "/version"], "verbs": ["get"]}, "none"),
        ({"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectrulesreviews"], "verbs": ["create"]}, "none"),
    ],
)
def test_a_rule_is_graded_by_the_most_dangerous_grant_it_reaches(rule: dict[str, object], level: str) -> None:
    assert level_of([rule]) == level


def test_a_rule_within_the_built_in_ones_adds_nothing() -> None:
    builtin = [r for r in (read_rule(x, DEFAULT_SHAPE) for x in builtin_rules("system:discovery") or []) if r is not None]
    assert _within(Rule(("get",), (), (), ("/version", "/apis/apps")), builtin)
    assert not _within(Rule(("get",), (), (), ("/metrics",)), builtin)
    assert not _within(Rule(("get",), ("",), ("secrets",), ()), builtin)


def test_a_rule_part_of_which_is_not_known_is_not_read() -> None:
    from linter.values import Unknown

    assert read_rule({"apiGroups": [""], "resources": Unknown("var.resources"), "verbs": ["get"]}, DEFAULT_SHAPE) is None
