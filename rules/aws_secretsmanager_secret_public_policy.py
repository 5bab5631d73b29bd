"""Secret policies that let anyone in; high rather than critical when only the value is
reachable and the secret uses the AWS managed key, which other accounts cannot use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_resource_policy import describe_actions, granted, policy_hit, public_grants
from linter.graph import Resource, ResourceGraph
from linter.locate import locate
from linter.model import Evidence, Severity
from linter.ruleset import Rule
from linter.values import Unknown

# reading or writing the value needs the secret's KMS key
VALUE_ACTIONS = frozenset(
    {
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
    }
)
# managing the secret does not
MANAGEMENT_ACTIONS = frozenset(
    {
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:RotateSecret",
        "secretsmanager:CancelRotateSecret",
        "secretsmanager:RestoreSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:ReplicateSecretToRegions",
        "secretsmanager:StopReplicationToReplica",
    }
)
SENSITIVE = VALUE_ACTIONS | MANAGEMENT_ACTIONS
SECRET_TYPES = ("aws_secretsmanager_secret", "AWS::SecretsManager::Secret")
MANAGED_KEY = "alias/aws/secretsmanager"


def _props(res: Resource) -> dict[str, Any]:
    if res.format == "cloudformation":
        props = res.attrs.get("Properties")
        return props if isinstance(props, dict) else {}
    return res.attrs


def _sources(graph: ResourceGraph) -> Iterator[tuple[Resource, tuple[str, ...], Resource | None, Any]]:
    """(policy holder, path of the policy, the secret when known, block-public-policy value)."""
    for secret in graph.of_type("aws_secretsmanager_secret"):
        if secret.attrs.get("policy") is not None:
            yield secret, ("policy",), secret, None
    for pol in graph.of_type("aws_secretsmanager_secret_policy"):
        target = next(iter(graph.references(pol, "secret_arn", SECRET_TYPES)), None)
        yield pol, ("policy",), target, pol.attrs.get("block_public_policy")
    for pol in graph.of_type("AWS::SecretsManager::ResourcePolicy"):
        target = next(iter(graph.references(pol, "SecretId", SECRET_TYPES)), None)
        yield pol, ("Properties", "ResourcePolicy"), target, _props(pol).get("BlockPublicPolicy")


def _uses_managed_key(secret: Resource | None) -> tuple[bool, Evidence | None]:
    if secret is None:
        return False, None
    name = "KmsKeyId" if secret.format == "cloudformation" else "kms_key_id"
    key = _props(secret).get(name)
    if key is None:
        return True, Evidence(f"{secret.address} sets no {name}: it is encrypted with the AWS managed key aws/secretsmanager, which other accounts cannot use", secret.span)
    if isinstance(key, str) and key.strip().lower() == MANAGED_KEY:
        path = ("Properties", name) if secret.format == "cloudformation" else (name,)
        return True, Evidence(f"{secret.address} is encrypted with the AWS managed key {MANAGED_KEY}, which other accounts cannot use", locate(secret, path))
    return False, None


def _blocked(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True  # cannot tell: stay silent
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for holder, path, secret, block in _sources(graph):
        if _blocked(block):
            continue
        policy: Any = holder.attrs
        for part in path:
            policy = policy.get(part) if isinstance(policy, dict) else None
        for grant in public_grants(policy, SENSITIVE):
            actions = granted(grant, SENSITIVE)
            managed, why = _uses_managed_key(secret)
            value_only = not any(a in MANAGEMENT_ACTIONS for a in actions)
            subject = f"secret {secret.address}" if secret is not None else f"the secret of {holder.address}"
            evidence = []
            severity = Severity.CRITICAL
            if value_only and managed and why is not None:
                severity = Severity.HIGH
                evidence.append(why)
                evidence.append(Evidence("every principal of the secret's own account can still use it, whatever its IAM permissions"))
            elif secret is None:
                evidence.append(Evidence("the secret is not defined in the scanned code, so its KMS key is not known"))
            yield policy_hit(
                secret or holder,
                holder,
                path,
                grant,
                subject,
                describe_actions(actions),
                severity=severity,
                evidence=evidence,
            )
