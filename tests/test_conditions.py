"""The declarative vocabulary: three-valued, with witnesses for locations."""

from __future__ import annotations

import pytest

from linter.conditions import ConditionError, compile_condition, parse_path
from linter.internet import world_networks
from linter.values import Unknown

RES = {
    "acl": "public-read",
    "flag": True,
    "name": "Data-Bucket",
    "tags": {"env": "prod"},
    "ingress": [
        {"from_port": 22, "cidr_blocks": ["10.0.0.0/8"]},
        {"from_port": 5432, "cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0"]},
    ],
    "maybe": Unknown("x"),
    "annotations": {"service.beta.kubernetes.io/scheme": "internal"},
}


def ev(spec):
    return compile_condition(spec).evaluate(RES)


@pytest.mark.parametrize(
    ("spec", "truth", "witnesses"),
    [
        ({"path": "acl", "equals": "public-read"}, True, [("acl",)]),
        ({"path": "acl", "equals": "PUBLIC-READ"}, True, [("acl",)]),
        ({"path": "flag", "equals": "true"}, False, []),
        ({"path": "flag", "equals": True}, True, [("flag",)]),
        ({"path": "acl", "in": ["private", "public-read"]}, True, [("acl",)]),
        ({"path": "name", "matches": "^Data-"}, True, [("name",)]),
        ({"path": "tags", "contains": "env"}, True, [("tags",)]),
        ({"path": "ingress[*].cidr_blocks", "contains": "0.0.0.0/0"}, True, [("ingress", 1, "cidr_blocks", 1)]),
        ({"path": "ingress[*].cidr_blocks", "cidr_open": True}, True, [("ingress", 1, "cidr_blocks", 1)]),
        ({"path": "missing", "exists": True}, False, []),
        ({"path": "missing", "exists": False}, True, [("missing",)]),
        ({"path": "maybe", "equals": "x"}, None, []),
        ({"path": "maybe", "exists": True}, True, [("maybe",)]),
        ({"not": {"path": "maybe", "equals": "x"}}, None, []),
        ({"not": {"path": "acl", "equals": "private"}}, True, [("acl",)]),
        ({"any": [{"path": "maybe", "equals": 1}, {"path": "acl", "equals": "public-read"}]}, True, [("acl",)]),
        ({"any": [{"path": "maybe", "equals": 1}, {"path": "acl", "equals": "x"}]}, None, []),
        ({"all": [{"path": "acl", "equals": "public-read"}, {"path": "maybe", "equals": 1}]}, None, []),
        ({"all": [{"path": "acl", "equals": "public-read"}, {"path": "flag", "equals": True}]}, True, [("acl",)]),
        (
            {"path": "ingress[*]", "where": {"all": [{"path": "cidr_blocks", "cidr_open": True}, {"path": "from_port", "equals": 5432}]}},
            True,
            [("ingress", 1, "cidr_blocks", 1)],
        ),
        (
            {"path": "ingress[*]", "where": {"all": [{"path": "cidr_blocks", "cidr_open": True}, {"path": "from_port", "equals": 22}]}},
            False,
            [],
        ),
        ({"path": 'annotations["service.beta.kubernetes.io/scheme"]', "equals": "internal"}, True, [("annotations", "service.beta.kubernetes.io/scheme")]),
    ],
)
def test_semantics(spec, truth, witnesses) -> None:
    assert ev(spec) == (truth, witnesses)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0.0.0.0/0"], True),
        (["::/0"], True),
        (["1.2.3.4/0"], True),
        (["*"], True),
        (["Internet"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["0.0.0.0/1"], False),
        (["10.0.0.0/8", "203.0.113.9/32"], False),
        ([Unknown("x")], None),
        (["not-a-cidr"], False),
    ],
)
def test_world_networks(values, expected) -> None:
    assert world_networks(values)[0] is expected


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"path": "a"},
        {"path": "a", "equals": 1, "in": [1]},
        {"all": []},
        {"all": [{"path": "a", "equals": 1}], "any": []},
        {"path": "a", "cidr_open": False},
        {"path": "a[", "equals": 1},
        {"path": "a", "matches": "("},
    ],
)
def test_invalid_conditions_are_rejected(spec) -> None:
    with pytest.raises(ConditionError):
        compile_condition(spec)


def test_parse_path() -> None:
    assert parse_path('a.b[0]["c.d"][*]')[:4] == ("a", "b", 0, "c.d")


def test_public_policy_operator() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}]}
    limited = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:1:t"}}}]}
    root = {"policy": doc, "limited": limited, "text": '{"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}}'}
    assert compile_condition({"path": "policy", "public_policy": True}).evaluate(root) == (True, [("policy", "Statement", 0, "Principal")])
    assert compile_condition({"path": "policy", "public_policy": ["sqs:ReceiveMessage"]}).evaluate(root)[0] is False
    assert compile_condition({"path": "limited", "public_policy": True}).evaluate(root)[0] is False
    assert compile_condition({"path": "text", "public_policy": True}).evaluate(root) == (True, [("text", "Statement", "Principal")])
    assert compile_condition({"path": "missing", "public_policy": True}).evaluate(root)[0] is False


@pytest.mark.parametrize(
    ("spec", "value", "truth"),
    [
        ({"path": "p", "at_least": 1}, 10255, True),
        ({"path": "p", "at_least": 1}, "0", False),
        ({"path": "p", "at_least": 1}, Unknown("x"), None),
        ({"path": "p", "at_most": 0}, 0, True),
        ({"path": "p", "at_most": 0}, "not a number", False),
        ({"path": "p", "covers_port": 22}, "20-30", True),
        ({"path": "p", "covers_port": [22, 3389]}, "80,3389", True),
        ({"path": "p", "covers_port": 22}, 443, False),
        ({"path": "p", "covers_port": 22}, Unknown("x"), None),
        ({"path": "p", "covers_port": "sensitive"}, 5432, True),
        ({"path": "p", "covers_port": "sensitive"}, "8080-8090", False),
        ({"path": "p", "covers_port": "sensitive"}, "*", True),
    ],
)
def test_numbers_and_ports(spec: dict, value: object, truth: bool | None) -> None:
    assert compile_condition(spec).evaluate({"p": value})[0] is truth


@pytest.mark.parametrize(
    "spec",
    [
        {"path": "p", "at_least": "one"},
        {"path": "p", "covers_port": "ssh"},
        {"related": {"types": ["a"], "role": "b"}},
        {"related": {"types": ["a"], "direction": "sideways"}},
        {"related": {"types": ["a"], "direction": "anywhere", "via": "x"}},
        {"related": {"types": ["a"], "extra": 1}},
        {"related": {"types": ["a"]}, "path": "x"},
    ],
)
def test_invalid_new_operators(spec: dict) -> None:
    with pytest.raises(ConditionError):
        compile_condition(spec)


K8S = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      hostNetwork: true
      containers:
        - name: web
          image: nginx
"""

RULE = """id: user-service-reaches-host-network
title: A Service reaches a pod on the host network
severity: medium
description: A service selects pods that run in the host's network namespace, which is worth knowing.
remediation: Do not run selected pods on the host network.
references: [https://kubernetes.io/docs/concepts/services-networking/service/]
message: "Service {resource} reaches {related}"
severity_by:
  - when: {path: spec.type, equals: NodePort}
    severity: high
match:
  kubernetes:
    type: Service
    when:
      related:
        direction: out
        types: [Deployment]
        where: {path: spec.template.spec.hostNetwork, equals: true}
"""


def test_connection_condition_severity_by_and_message_from_a_user_rule(tmp_path) -> None:
    from linter.config import RunConfig
    from linter.engine import run

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "user-service-reaches-host-network.yaml").write_text(RULE)
    project = tmp_path / "k8s"
    project.mkdir()
    (project / "app.yaml").write_text(K8S)
    result = run(RunConfig(paths=[str(project)], rule_dirs=[str(rules)], select=["user-service-reaches-host-network"]))
    assert not result.errors, result.errors
    [f] = result.findings
    assert f.span.line == 2 and str(f.severity) == "high" and f.message == "Service Service/web reaches Deployment/web"
    assert any("Deployment/web" in e.message for e in f.evidence)
    # the same rule where the pod is not on the host network: nothing
    (project / "app.yaml").write_text(K8S.replace("hostNetwork: true", "hostNetwork: false"))
    assert run(RunConfig(paths=[str(project)], rule_dirs=[str(rules)], select=["user-service-reaches-host-network"])).findings == []
ROLE_RULE = """id: user-pool-guest-role
title: An identity pool hands its guests a role
severity: medium
description: Guests of the pool receive credentials when a roles attachment names a guest role.
remediation: Detach the unauthenticated role.
references: [https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html]
severity_by:
  - when: {related: {direction: in, role: attachment, via: identity_pool_id, where: {path: roles.unauthenticated, exists: true}}}
    severity: high
match:
  terraform:
    type: aws_cognito_identity_pool
    related: {attachment: [aws_cognito_identity_pool_roles_attachment]}
    when: {path: allow_unauthenticated_identities, equals: true}
"""

POOLS = """resource "aws_cognito_identity_pool" "guests" {
  identity_pool_name               = "guests"
  allow_unauthenticated_identities = true
}

resource "aws_cognito_identity_pool_roles_attachment" "guests" {
  identity_pool_id = aws_cognito_identity_pool.guests.id
  roles = {
    unauthenticated = "arn:aws:iam::111122223333:role/guest"
  }
}

resource "aws_cognito_identity_pool" "members" {
  identity_pool_name               = "members"
  allow_unauthenticated_identities = true
}
"""


def test_severity_by_uses_the_clause_roles_and_names_what_it_found(tmp_path) -> None:
    """A severity_by connection may name a role of the clause (types stay in match), and the
    resource it found is in the evidence: it is why the finding has that severity."""
    from linter.config import RunConfig
    from linter.engine import run

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "user-pool-guest-role.yaml").write_text(ROLE_RULE)
    project = tmp_path / "tf"
    project.mkdir()
    (project / "main.tf").write_text(POOLS)
    result = run(RunConfig(paths=[str(project)], rule_dirs=[str(rules)], select=["user-pool-guest-role"]))
    assert not result.errors, result.errors
    got = {f.resource: (str(f.severity), [e.message for e in f.evidence]) for f in result.findings}
    assert got == {
        "aws_cognito_identity_pool.guests": ("high", ["aws_cognito_identity_pool_roles_attachment.guests refers to aws_cognito_identity_pool.guests"]),
        "aws_cognito_identity_pool.members": ("medium", []),
    }


def test_a_path_steps_into_a_json_document_written_as_text() -> None:
    """A CloudFormation policy written as a JSON string is read like a structure (it was a
    dead end before: no path could reach inside it)."""
    res = {"Policy": '[{"Rules": [], "AllowFromPublic": true}]', "Note": "[not json", "Plain": "text"}
    assert compile_condition({"path": "Policy[*].AllowFromPublic", "equals": True}).evaluate(res) == (True, [("Policy", 0, "AllowFromPublic")])
    assert compile_condition({"path": "Note[0]", "exists": True}).evaluate(res) == (False, [])
    assert compile_condition({"path": "Plain.x", "exists": True}).evaluate(res) == (False, [])


def test_public_policy_keys_that_do_not_limit_and_undecided_principals() -> None:
    delegating = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}]}
    unknown = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": Unknown("var.who")}, "Action": "s3:GetObject"}]}
    named = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject"}]}
    root = {"delegating": delegating, "unknown": unknown, "named": named}
    # the delegation key limits who in general, not when the question is who reaches the bucket through access points
    assert compile_condition({"path": "delegating", "public_policy": True}).evaluate(root)[0] is False
    spec = {"actions": ["s3:GetObject"], "not_limiting": ["s3:DataAccessPointAccount"]}
    assert compile_condition({"path": "delegating", "public_policy": spec}).evaluate(root)[0] is True
    # a principal that is not known leaves the question open (it mattered under `not`)
    assert compile_condition({"path": "unknown", "public_policy": True}).evaluate(root)[0] is None
    assert compile_condition({"not": {"path": "unknown", "public_policy": True}}).evaluate(root)[0] is None
    assert compile_condition({"path": "named", "public_policy": True}).evaluate(root)[0] is False
    with pytest.raises(ConditionError, match="not_limiting"):
        compile_condition({"path": "named", "public_policy": {"actions": ["s3:*"], "keys": []}})
