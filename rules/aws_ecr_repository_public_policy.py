"""ECR repository policies that let anyone in: pushing is critical, pulling high."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_resource_policy import describe_actions, granted, policy_hit, public_grants
from linter.graph import Resource, ResourceGraph
from linter.locate import value_at
from linter.model import Path, Severity
from linter.ruleset import Rule

PULL = frozenset({"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"})
PUSH = frozenset(
    {
        "ecr:PutImage",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:BatchDeleteImage",
        "ecr:SetRepositoryPolicy",
        "ecr:DeleteRepositoryPolicy",
        "ecr:DeleteRepository",
        "ecr:PutLifecyclePolicy",
        "ecr:DeleteLifecyclePolicy",
        "ecr:PutImageTagMutability",
        "ecr:PutImageScanningConfiguration",
        "ecr:ReplicateImage",
    }
)


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    sources: list[tuple[Resource, Path]] = [(pol, ("policy",)) for pol in graph.of_type("aws_ecr_repository_policy")]
    sources += [(repo, ("Properties", "RepositoryPolicyText")) for repo in graph.of_type("AWS::ECR::Repository")]
    for holder, path in sources:
        policy = value_at(holder.attrs, path)
        if policy is None:
            continue
        for grant in public_grants(policy, PULL | PUSH):
            push = granted(grant, PUSH)
            pull = granted(grant, PULL)
            if holder.type == "aws_ecr_repository_policy":
                repo = next(iter(graph.references(holder, "repository", ["aws_ecr_repository"])), None)
            else:
                repo = holder
            subject = f"ECR repository {repo.address}" if repo is not None else f"the ECR repository of {holder.address}"
            if push:
                what = f"push or administer images ({describe_actions(push)})"
                severity = Severity.CRITICAL
            else:
                what = f"pull images ({describe_actions(pull)})"
                severity = Severity.HIGH
            yield policy_hit(repo or holder, holder, path, grant, subject, what, severity=severity)
