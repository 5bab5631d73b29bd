"""Public OpenSearch/Elasticsearch domains whose access policy lets anyone in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import first_block, is_cfn, path_of, prop, targets, truth
from linter.checks.aws_policy import describe_actions, public_grants
from linter.graph import Resource, ResourceGraph
from linter.locate import value_at
from linter.model import Evidence, Path, Severity
from linter.ruleset import Rule
from linter.values import Unknown

DOMAIN_TYPES = ("aws_opensearch_domain", "aws_elasticsearch_domain", "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain")
POLICY_TYPES = ("aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy")
HTTP_ACTIONS = frozenset({"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpPatch", "es:ESHttpDelete"})


def _in_vpc(domain: Resource) -> bool | None:
    if is_cfn(domain):
        vpc: Any = prop(domain, "VPCOptions")
        subnets = vpc.get("SubnetIds") if isinstance(vpc, dict) else None
    else:
        block = first_block(domain.attrs.get("vpc_options"))
        subnets = block.get("subnet_ids") if isinstance(block, dict) else None
    if subnets is None:
        return False
    if isinstance(subnets, Unknown):
        return None
    return bool(subnets)


def _fine_grained(domain: Resource) -> bool | None:
    if is_cfn(domain):
        return truth(prop(domain, "AdvancedSecurityOptions", "Enabled"))
    block = first_block(domain.attrs.get("advanced_security_options"))
    return truth(block.get("enabled")) if isinstance(block, dict) else False


def _policies(graph: ResourceGraph, domain: Resource) -> list[tuple[Resource, Path]]:
    out: list[tuple[Resource, Path]] = []
    own = path_of(domain, "AccessPolicies" if is_cfn(domain) else "access_policies")
    if value_at(domain.attrs, own) is not None:
        out.append((domain, own))
    if not is_cfn(domain):
        for pol in graph.of_type(*POLICY_TYPES):
            if any(t is domain for t in targets(graph, pol, ("domain_name",), (domain.type,))):
                out.append((pol, ("access_policies",)))
            elif isinstance(pol.attrs.get("domain_name"), str) and pol.attrs.get("domain_name") == domain.attrs.get("domain_name"):
                out.append((pol, ("access_policies",)))
    return out


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    seen_policies: set[str] = set()
    for domain in graph.of_type(*DOMAIN_TYPES):
        policies = _policies(graph, domain)
        seen_policies.update(p.id for p, _ in policies if p is not domain)
        if not policies or _in_vpc(domain) is not False:
            continue
        fgac = _fine_grained(domain)
        if fgac is None:
            continue
        for holder, path in policies:
            for grant in public_grants(value_at(holder.attrs, path), HTTP_ACTIONS):
                evidence = [Evidence(f"{domain.address} has no VPC options: its endpoint is public", domain.span)]
                if fgac:
                    evidence.append(Evidence("fine-grained access control is on: requests still need a user or a signed IAM identity"))
                yield Hit(
                    holder,
                    path + grant.path,
                    subject=domain,
                    message=f"OpenSearch domain {domain.address} is open to the internet: {grant.reason} may {describe_actions(grant.actions)} with no condition that limits who",
                    evidence=evidence,
                    severity=Severity.HIGH if fgac else Severity.CRITICAL,
                    value=grant.statement.get("Principal", grant.statement.get("NotPrincipal")),
                )
    # policy resources whose domain is not in the scanned code
    for pol in graph.of_type(*POLICY_TYPES):
        if pol.id in seen_policies:
            continue
        for grant in public_grants(pol.attrs.get("access_policies"), HTTP_ACTIONS):
            yield Hit(
                pol,
                ("access_policies",) + grant.path,
                message=f"{pol.address} lets anyone use its domain: {grant.reason} may {describe_actions(grant.actions)} with no condition that limits who",
                evidence=[Evidence("the domain is not defined in the scanned code, so whether it sits in a VPC is not known")],
                severity=Severity.HIGH,
                value=grant.statement.get("Principal", grant.statement.get("NotPrincipal")),
            )
