"""Google Cloud: who an IAM resource lets in, and the settings that stop public access.

Every Google Cloud service that has IAM exposes it in Terraform through three resource
shapes, ``<service>_iam_binding`` (a role and a ``members`` list), ``<service>_iam_member``
(a role and one ``member``) and ``<service>_iam_policy`` (a whole ``policy_data`` JSON
document, usually rendered from ``data "google_iam_policy"``). A grant is public when a
member is ``allUsers`` (anyone on the internet, no sign-in) or ``allAuthenticatedUsers``
(anyone with any Google account, which anyone can create). IAM conditions cannot be attached
to bindings of those two members, so a condition is never counted as a limit.

Members that are not known (a variable with no value) are never counted: an Unknown
member makes no finding. A public member given through a variable, a local, a
``terraform.tfvars`` value or a ``for_each`` is found like one written inline; the finding
is located on the ``member``/``members`` argument (for a policy document, on the
``members`` of the offending binding, wherever the binding is written).

The second half answers "is the public grant neutralised": organisation policy
constraints written in the same configuration (``storage.publicAccessPrevention``,
``storage.uniformBucketLevelAccess``, ``sql.restrictPublicIp``…), and bucket-level settings.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.values import Unknown, decode_json_value, display

PUBLIC_MEMBERS = {
    "allusers": "allUsers",
    "allauthenticatedusers": "allAuthenticatedUsers",
}
WHO = {
    "allUsers": "anyone on the internet (allUsers)",
    "allAuthenticatedUsers": "anyone with a Google account (allAuthenticatedUsers)",
}
IAM_SUFFIXES = ("_iam_binding", "_iam_member", "_iam_policy")


def public_member(value: Any) -> str | None:
    """``"allUsers"`` / ``"allAuthenticatedUsers"`` (any case) -> its canonical name, else None."""
    if isinstance(value, str):
        return PUBLIC_MEMBERS.get(value.strip().lower())
    return None


def who(members: Iterable[str]) -> str:
    return " and ".join(WHO.get(m, m) for m in dict.fromkeys(members))


@dataclass
class PublicGrant:
    """One role granted to the public by one IAM resource."""

    holder: Resource  # the IAM resource (binding, member or policy)
    path: Path  # where to report: member, members, or policy_data.bindings[i].members
    role: Any  # the role (may be Unknown or None)
    members: list[str]  # the public members, canonical names
    shape: str  # "binding" | "member" | "policy"

    @property
    def who(self) -> str:
        return who(self.members)

    @property
    def role_text(self) -> str:
        if isinstance(self.role, str):
            return self.role
        return "a role not known before apply" if isinstance(self.role, Unknown) else "a role"


def iam_shape(rtype: str) -> str | None:
    for suffix in IAM_SUFFIXES:
        if rtype.endswith(suffix):
            return suffix.rsplit("_", 1)[1]
    return None


def iam_types(*prefixes: str) -> list[str]:
    """``google_pubsub_topic`` -> the three IAM resource types of that service."""
    return [p + s for p in prefixes for s in IAM_SUFFIXES]


def iam_resources(graph: ResourceGraph, *prefixes: str) -> list[Resource]:
    return graph.of_type(*iam_types(*prefixes))


def _public_in(values: Any) -> list[str]:
    items = values if isinstance(values, list) else [values]
    out = []
    for v in items:
        m = public_member(v)
        if m and m not in out:
            out.append(m)
    return out


def public_grants(res: Resource) -> list[PublicGrant]:
    """The grants to ``allUsers``/``allAuthenticatedUsers`` written in one IAM resource."""
    shape = iam_shape(res.type)
    attrs = res.attrs
    out: list[PublicGrant] = []
    if shape == "member":
        found = _public_in(attrs.get("member"))
        if found:
            out.append(PublicGrant(res, ("member",), attrs.get("role"), found, shape))
    elif shape == "binding":
        found = _public_in(attrs.get("members"))
        if found:
            out.append(PublicGrant(res, ("members",), attrs.get("role"), found, shape))
    elif shape == "policy":
        document = decode_json_value(attrs.get("policy_data"))
        bindings = document.get("bindings") if isinstance(document, dict) else None
        for i, binding in enumerate(bindings if isinstance(bindings, list) else []):
            if not isinstance(binding, dict):
                continue
            found = _public_in(binding.get("members"))
            if found:
                out.append(PublicGrant(res, ("policy_data", "bindings", i, "members"), binding.get("role"), found, shape))
    return out


def role_matches(role: Any, patterns: Iterable[str]) -> bool:
    """Whether ``role`` matches one of the glob ``patterns`` (case-insensitive)."""
    if not isinstance(role, str):
        return False
    r = role.strip().lower()
    return any(fnmatch.fnmatchcase(r, p.lower()) for p in patterns)


def grade(role: Any, table: list[tuple[Iterable[str], Severity]], default: Severity | None = None) -> Severity | None:
    """The severity of the first row whose role patterns match ``role``, else ``default``."""
    for patterns, severity in table:
        if role_matches(role, patterns):
            return severity
    return default


# --------------------------------------------------------------------------- the protected resource


def root_of(res: Resource) -> str:
    return res.id.split("::", 1)[0]


def target_of(graph: ResourceGraph, holder: Resource, attr: str, types: Iterable[str], name_attrs: Iterable[str] = ("name",)) -> Resource | None:
    """The resource an IAM/ACL resource applies to: by reference, else by its literal name or id."""
    types = tuple(types)
    found = graph.references(holder, attr, types)
    if found:
        return found[0]
    value = holder.attrs.get(attr)
    if not isinstance(value, str) or not value:
        return None
    root = root_of(holder)
    for candidate in graph.of_type(*types):
        if root_of(candidate) != root:
            continue
        for name_attr in name_attrs:
            name = candidate.attrs.get(name_attr)
            if isinstance(name, str) and name and (value == name or value.endswith("/" + name)):
                return candidate
    return None


def describe_target(graph: ResourceGraph, holder: Resource, attr: str, types: Iterable[str], name_attrs: Iterable[str] = ("name",)) -> str:
    target = target_of(graph, holder, attr, types, name_attrs)
    if target is not None:
        return target.address
    value = holder.attrs.get(attr)
    if isinstance(value, str) and value:
        return f'"{value}"'
    return f"of {holder.address}"


# --------------------------------------------------------------------------- organisation policies

ORG_POLICY_TYPES = (
    "google_project_organization_policy",
    "google_folder_organization_policy",
    "google_organization_policy",
    "google_org_policy_policy",
)


def _truth(value: Any) -> bool | None:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def _constraint_of(policy: Resource) -> Any:
    if policy.type == "google_org_policy_policy":
        name = policy.attrs.get("name")
        if isinstance(name, str):
            return name.rsplit("/", 1)[-1]
        return name
    value = policy.attrs.get("constraint")
    if isinstance(value, str):
        return value.split("/", 1)[1] if value.startswith("constraints/") else value
    return value


def _enforced(policy: Resource) -> tuple[bool | None, Path]:
    """Whether a boolean organisation policy enforces its constraint, and where that is written."""
    if policy.type == "google_org_policy_policy":
        rules = value_at(policy.attrs, ("spec", 0, "rules"))
        verdict: bool | None = False
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, dict):
                continue
            t = _truth(rule.get("enforce"))
            if t is True:
                return True, ("spec", 0, "rules", i, "enforce")
            if t is None:
                verdict = None
        return verdict, ("spec",)
    t = _truth(value_at(policy.attrs, ("boolean_policy", 0, "enforced")))
    return t, ("boolean_policy", 0, "enforced")


def _same_project(policy: Resource, res: Resource) -> bool:
    if policy.type != "google_project_organization_policy":
        return True  # folder and organisation policies cover every project under them
    a, b = policy.attrs.get("project"), res.attrs.get("project")
    if not isinstance(a, str) or not isinstance(b, str):
        return True
    return a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1]


def org_policy(graph: ResourceGraph, res: Resource, constraint: str) -> tuple[bool | None, list[Evidence]]:
    """Whether an organisation policy in the same configuration enforces ``constraint`` for ``res``.

    True with evidence when one enforces it; None when one is configured with a value that
    is not known; False otherwise.
    """
    root = root_of(res)
    verdict: bool | None = False
    for policy in graph.of_type(*ORG_POLICY_TYPES):
        if root_of(policy) != root or not _same_project(policy, res):
            continue
        name = _constraint_of(policy)
        if isinstance(name, Unknown):
            continue
        if not isinstance(name, str) or name.lower() != constraint.lower():
            continue
        enforced, path = _enforced(policy)
        if enforced is True:
            return True, [Evidence(f"{policy.address} enforces the {constraint} constraint", locate(policy, path))]
        if enforced is None:
            verdict = None
    return verdict, []


# --------------------------------------------------------------------------- storage

BUCKET_TYPES = ("google_storage_bucket",)


def bucket_of(graph: ResourceGraph, holder: Resource) -> Resource | None:
    return target_of(graph, holder, "bucket", BUCKET_TYPES)


def prevention_enforced(graph: ResourceGraph, bucket: Resource | None, holder: Resource) -> tuple[bool | None, list[Evidence]]:
    """Public access prevention for a bucket: enforced on the bucket or by organisation policy."""
    if bucket is not None:
        value = bucket.attrs.get("public_access_prevention")
        if isinstance(value, Unknown):
            return None, []
        if isinstance(value, str) and value.strip().lower() == "enforced":
            return True, [Evidence(f'{bucket.address} sets public_access_prevention = "enforced"', locate(bucket, ("public_access_prevention",)))]
    return org_policy(graph, bucket or holder, "storage.publicAccessPrevention")


def uniform_access(graph: ResourceGraph, bucket: Resource | None, holder: Resource) -> tuple[bool | None, list[Evidence]]:
    """Uniform bucket-level access (ACLs off): on the bucket or by organisation policy."""
    if bucket is not None:
        value = bucket.attrs.get("uniform_bucket_level_access")
        t = _truth(value)
        if t is None:
            return None, []
        if t:
            return True, [Evidence(f"{bucket.address} sets uniform_bucket_level_access = true, which turns ACLs off", locate(bucket, ("uniform_bucket_level_access",)))]
    return org_policy(graph, bucket or holder, "storage.uniformBucketLevelAccess")


def bucket_evidence(bucket: Resource | None, holder: Resource, acl: bool = False) -> list[Evidence]:
    """Why nothing stops the exposure: what the bucket leaves off."""
    if bucket is None:
        return [Evidence(f"the bucket {display(holder.attrs.get('bucket'))} is not defined in the scanned code, so no public access prevention is known to stop this")]
    out = []
    pap = bucket.attrs.get("public_access_prevention")
    if pap is None:
        out.append(Evidence(f'{bucket.address} does not set public_access_prevention (defaults to "inherited")', bucket.span))
    else:
        out.append(Evidence(f"{bucket.address} sets public_access_prevention = {display(pap)}", locate(bucket, ("public_access_prevention",))))
    if acl:
        if bucket.attrs.get("uniform_bucket_level_access") is None:
            out.append(Evidence(f"{bucket.address} does not set uniform_bucket_level_access, so ACLs stay on", bucket.span))
        else:
            out.append(Evidence(f"{bucket.address} sets uniform_bucket_level_access = false, so ACLs stay on", locate(bucket, ("uniform_bucket_level_access",))))
    return out


# --------------------------------------------------------------------------- a whole IAM rule


def iam_check(
    graph: ResourceGraph,
    prefixes: Iterable[str],
    kind: str,
    parent_attr: str,
    parent_types: Iterable[str] = (),
    severity: Callable[[PublicGrant], Severity | None] | None = None,
    neutralised: Callable[[PublicGrant], list[Evidence] | None] | None = None,
    evidence: Callable[[PublicGrant], list[Evidence]] | None = None,
    consequence: str = "",
) -> Iterator[Any]:
    """Hits for every public grant on the IAM resources of ``prefixes``.

    ``kind`` names the protected thing ("Pub/Sub topic"); ``parent_attr`` is the IAM
    resource's argument naming it. ``severity`` grades a grant (None keeps the rule's);
    ``neutralised`` returns evidence when something stops the grant (no finding then);
    ``consequence`` says what the public can then do.
    """
    from linter.checks import Hit

    for holder in iam_resources(graph, *prefixes):
        for grant in public_grants(holder):
            if neutralised is not None and neutralised(grant) is not None:
                continue
            target = describe_target(graph, holder, parent_attr, parent_types)
            text = f"{kind} {target} grants {grant.role_text} to {grant.who}"
            if consequence:
                text += f": {consequence}"
            yield Hit(
                holder,
                grant.path,
                message=text,
                evidence=(evidence(grant) if evidence is not None else []),
                severity=severity(grant) if severity is not None else None,
                value=grant.members,
            )
