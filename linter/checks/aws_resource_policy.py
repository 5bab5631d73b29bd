"""Resource policies of AWS services that let anyone in, beyond one ``public_policy`` test.

``linter.checks.aws_policy.public_grants`` answers which statements let everyone in (Allow
statements that no condition narrows and no Deny takes back); ``granted`` which actions a
grant allows. The rules whose decision needs more than that (a severity that depends on
the actions, the endpoint type of the API the policy belongs to, the access point's
network origin) share :func:`policy_hit`: a finding located on the grant's principal,
with the same wording for every rule.
"""

from __future__ import annotations

from typing import Any

from linter.checks import Hit
from linter.checks.aws_policy import PublicGrant, describe_actions, granted, public_grants
from linter.graph import Resource
from linter.model import Evidence, Severity


def principal_value(grant: PublicGrant) -> Any:
    return grant.statement.get("Principal", grant.statement.get("NotPrincipal"))


def policy_hit(
    resource: Resource,
    holder: Resource,
    policy_path: tuple[Any, ...],
    grant: PublicGrant,
    subject: str,
    what: str,
    severity: Severity | None = None,
    evidence: list[Evidence] | None = None,
) -> Hit:
    """A finding about ``resource`` located on the grant's principal inside ``holder``.

    ``subject`` names what is exposed ("SQS queue aws_sqs_queue.jobs"); ``what`` says what
    anyone may do ("receive and delete its messages")."""
    return Hit(
        holder,
        policy_path + grant.path,
        subject=resource,
        message=f"{subject} lets anyone in through its policy: {grant.reason} may {what} with no condition that limits who",
        evidence=list(evidence or []),
        severity=severity,
        value=principal_value(grant),
    )


__all__ = ["describe_actions", "granted", "policy_hit", "principal_value", "public_grants"]
