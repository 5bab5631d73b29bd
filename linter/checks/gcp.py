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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.values import Unknown, decode_json_value, display, truth

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


def grade(role: Any, table: Sequence[tuple[Iterable[str], Severity]], default: Severity | None = None) -> Severity | None:
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
            t = truth(rule.get("enforce"))
            if t is True:
                return True, ("spec", 0, "rules", i, "enforce")
            if t is None:
                verdict = None
        return verdict, ("spec",)
    t = truth(value_at(policy.attrs, ("boolean_policy", 0, "enforced")))
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
        t = truth(value)
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


# --------------------------------------------------------------------------- storage ACLs

PUBLIC_PREDEFINED_ACLS = {
    "publicread": "anyone on the internet can read",
    "publicreadwrite": "anyone on the internet can read and write",
    "authenticatedread": "anyone with a Google account can read",
}


def acl_grants(res: Resource) -> list[tuple[Path, Any, str]]:
    """(path, value, meaning) of each public ACL entry written in a storage ACL resource."""
    out: list[tuple[Path, Any, str]] = []
    attrs = res.attrs
    predefined = attrs.get("predefined_acl")
    if isinstance(predefined, str) and predefined.strip().lower() in PUBLIC_PREDEFINED_ACLS:
        out.append((("predefined_acl",), predefined, f'predefined ACL "{predefined}": {PUBLIC_PREDEFINED_ACLS[predefined.strip().lower()]}'))
    entries = attrs.get("role_entity")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, str) or ":" not in entry:
            continue
        entry_role, _, entry_entity = entry.partition(":")
        member = public_member(entry_entity)
        if member:
            out.append((("role_entity", i), entry, f"ACL entry {entry_role.strip().upper()} for {WHO[member]}"))
    entity = attrs.get("entity")
    member = public_member(entity)
    if member:
        role = attrs.get("role")
        out.append((("entity",), entity, f"ACL entry {role if isinstance(role, str) else 'access'} for {WHO[member]}"))
    return out


def acl_neutralised(graph: ResourceGraph, bucket: Resource | None, holder: Resource) -> list[Evidence] | None:
    """Evidence that the bucket ignores or rejects public ACLs, or None when nothing does.

    Unknown settings count as neutralising (an unknown value never makes a finding)."""
    for test in (uniform_access, prevention_enforced):
        verdict, evidence = test(graph, bucket, holder)
        if verdict is not False:
            return evidence
    return None


# --------------------------------------------------------------------------- networks


def open_ranges(values: Any) -> tuple[bool | None, list[int]]:
    """Whether a list of address ranges covers the whole internet, and which entries do."""
    from linter.conditions import world_networks

    if isinstance(values, Unknown):
        return None, []
    items = values if isinstance(values, list) else [values]
    return world_networks(items)


@dataclass
class FirewallOpening:
    """What one internet-open firewall rule allows: the worst port range and all of them."""

    holder: Resource
    path: Path  # the source ranges that cover the internet
    cidrs: list[str]
    severity: Severity
    why: str  # the worst port range, in words
    ports: list[str]  # every allowed protocol/port, in words
    defaulted: bool = False  # no source given: Google Cloud uses 0.0.0.0/0

    def describe(self) -> str:
        return ", ".join(self.ports)


def _port_ranges(protocol: Any, ports: Any) -> list[tuple[int | None, int | None, bool, str]]:
    """(from, to, all ports, text) for one allow entry (a protocol and its ports)."""
    from linter.checks.network import parse_port_range

    proto = str(protocol).strip().lower() if isinstance(protocol, (str, int)) else None
    if proto in ("icmp", "1", "ipv6-icmp", "58", "icmpv6"):
        return []  # ping is not a service
    if proto in ("all", "-1"):
        return [(0, 65535, True, "all protocols and ports")]
    label = proto if proto is not None else "(unknown protocol)"
    if proto not in (None, "tcp", "udp", "sctp", "6", "17", "132"):
        return [(0, 65535, True, f"protocol {label}")]
    if ports is None or (isinstance(ports, list) and not ports):
        return [(0, 65535, True, f"all {label} ports")]
    if isinstance(ports, Unknown):
        return [(None, None, False, f"{label} ports not known")]
    out = []
    for p in ports if isinstance(ports, list) else [ports]:
        lo, hi, all_ports = parse_port_range(p)
        text = f"{label}/{p}" if not isinstance(p, Unknown) else f"{label} port not known"
        out.append((lo, hi, all_ports, text))
    return out


def grade_allows(entries: list[tuple[Any, Any]]) -> tuple[Severity, str, list[str]] | None:
    """The worst severity over (protocol, ports) pairs, why, and every range in words; None for web ports only."""
    from linter.checks.network import port_severity

    order = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}
    worst: tuple[Severity, str] | None = None
    texts: list[str] = []
    for protocol, ports in entries:
        for lo, hi, all_ports, text in _port_ranges(protocol, ports):
            texts.append(text)
            graded = port_severity(lo, hi, all_ports)
            if graded is None:
                continue
            if worst is None or order[graded[0]] < order[worst[0]]:
                worst = (graded[0], text if all_ports else graded[1])
    if worst is None:
        return None
    return worst[0], worst[1], texts


def firewall_opening(res: Resource) -> FirewallOpening | None:
    """The internet-open ingress a VPC firewall rule or a firewall policy rule allows, if any."""
    attrs = res.attrs
    direction = attrs.get("direction")
    if isinstance(direction, Unknown) or truth(attrs.get("disabled")) is not False:
        return None
    if isinstance(direction, str) and direction.strip().upper() != "INGRESS":
        return None
    if res.type == "google_compute_firewall":
        if direction is None:
            pass  # INGRESS is the default
        sources = attrs.get("source_ranges")
        defaulted = False
        if sources is None or (isinstance(sources, list) and not sources):
            # with no source at all, Google Cloud applies the rule to 0.0.0.0/0
            if attrs.get("source_tags") or attrs.get("source_service_accounts"):
                return None
            if any(isinstance(attrs.get(k), Unknown) for k in ("source_tags", "source_service_accounts", "source_ranges")):
                return None
            defaulted = True
            path: Path = ()
            cidrs = ["0.0.0.0/0 (default when no source is set)"]
        else:
            is_open, idx = open_ranges(sources)
            if is_open is not True:
                return None
            items = sources if isinstance(sources, list) else [sources]
            cidrs = [str(items[i]) for i in idx]
            path = ("source_ranges",)
        allows = attrs.get("allow")
        if not isinstance(allows, list) or not allows:
            return None
        entries = [(a.get("protocol"), a.get("ports")) for a in allows if isinstance(a, dict)]
    else:
        if direction is None:
            return None  # required on policy rules; not known here
        action = attrs.get("action")
        if not isinstance(action, str) or action.strip().lower() != "allow":
            return None
        match = value_at(attrs, ("match", 0))
        if not isinstance(match, dict):
            return None
        ranges = match.get("src_ip_ranges") or []
        is_open, idx = open_ranges(ranges)
        if is_open is not True:
            return None
        cidrs = [str(ranges[i]) for i in idx]
        path = ("match", 0, "src_ip_ranges")
        defaulted = False
        configs = match.get("layer4_configs")
        if not isinstance(configs, list) or not configs:
            return None
        entries = [(c.get("ip_protocol"), c.get("ports")) for c in configs if isinstance(c, dict)]
    graded = grade_allows(entries)
    if graded is None:
        return None
    severity, why, texts = graded
    return FirewallOpening(res, path, cidrs, severity, why, texts, defaulted)


FIREWALL_TYPES = (
    "google_compute_firewall",
    "google_compute_firewall_policy_rule",
    "google_compute_network_firewall_policy_rule",
    "google_compute_region_network_firewall_policy_rule",
)


# --------------------------------------------------------------------------- Cloud SQL

IPCONF: Path = ("settings", 0, "ip_configuration", 0)


def sql_public_ip(graph: ResourceGraph, db: Resource) -> tuple[bool | None, Path, list[Evidence]]:
    """Whether a Cloud SQL instance has a public IPv4 address, where that is decided, and why."""
    blocked, evidence = org_policy(graph, db, "sql.restrictPublicIp")
    if blocked is not False:
        return False if blocked else None, (), evidence
    settings = value_at(db.attrs, ("settings", 0))
    if isinstance(settings, Unknown) or isinstance(value_at(db.attrs, IPCONF), Unknown):
        return None, (), []
    value = value_at(db.attrs, IPCONF + ("ipv4_enabled",))
    t = truth(value) if value is not None else True
    if t is not True:
        return t, (), []
    if value is not None:
        return True, IPCONF + ("ipv4_enabled",), []
    where = IPCONF if value_at(db.attrs, IPCONF) is not None else ("settings", 0) if settings is not None else ()
    return True, where, [Evidence("ipv4_enabled is not set, and Cloud SQL assigns a public IPv4 address by default")]


def sql_open_networks(db: Resource) -> tuple[bool | None, list[tuple[Path, str]]]:
    """Authorized networks of a Cloud SQL instance that together cover the internet."""
    networks = value_at(db.attrs, IPCONF + ("authorized_networks",))
    if isinstance(networks, Unknown):
        return None, []
    entries = networks if isinstance(networks, list) else []
    values = [e.get("value") if isinstance(e, dict) else e for e in entries]
    truth, idx = open_ranges(values)
    if truth is not True:
        return truth, []
    return True, [(IPCONF + ("authorized_networks", i, "value"), str(values[i])) for i in idx]
