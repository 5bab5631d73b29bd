"""Internet ingress graded by port: security groups, network ACLs, firewalls, NSGs.

Every provider writes "let traffic in" the same way underneath: *entries* (a security
group's inline rules, a rule resource, a firewall rule's allow blocks) that admit some
sources on some protocols and ports, sometimes with an action (allow/deny) and an order
(rule number, priority) in which they apply, and a *group* they belong to (the security
group, the ACL, the NSG). The check reads entries through params, so one function judges
them all: which entries admit the whole internet, on which ports, whether an earlier deny
of the same group refuses that traffic first, and how bad the reachable ports are
(linter/ports.py: by what is known to listen, not by an accidental overlap).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct, field

from linter.checks import CONDITION, Context, named_check
from linter.conditions import Condition, compile_condition, parse_path
from linter.evaluation import Hit
from linter.graph import Resource
from linter.internet import covers_world, entries
from linter.locate import value_at
from linter.model import Evidence, Path, Severity
from linter.ports import ALL, ENGINE_PORTS, UNKNOWN, Grade, PortRange, as_port, from_to, grade, parse_ports
from linter.values import Unknown

_PROTOCOLS = {
    "-1": "all", "all": "all", "*": "all", "any": "all",
    "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp", "132": "sctp", "sctp": "sctp",
    "1": "icmp", "icmp": "icmp", "58": "icmpv6", "icmpv6": "icmpv6", "ipv6-icmp": "icmpv6",
}  # fmt: skip
_NOT_A_SERVICE = ("icmp", "icmpv6")
_ICMP_NAMES = {"icmp": "ICMP", "icmpv6": "ICMPv6"}
_PORTED = ("tcp", "udp", "sctp")

_PATHS = {"type": "string", "minLength": 1}
_SEVERITY = {"enum": ["critical", "high", "medium", "low", "none"]}

PARAMS: dict[str, Any] = {
    "required": ["what", "sources", "ports"],
    "properties": {
        "what": {"type": "string", "description": 'What the group is called in messages ("security group", "network ACL").'},
        "entries": {**_PATHS, "description": "Path of the list of entries in the resource (a group's inline rules); omitted: the resource itself is one entry."},
        "only": {**CONDITION, "description": "A condition each entry must meet to count, in the rule condition vocabulary, relative to the entry (direction, rule type, not disabled). Deny entries must meet it too to shadow an allow."},
        "sources": {"type": "array", "items": _PATHS, "minItems": 1, "description": "Entry settings holding source addresses (lists, single values or comma-separated strings); the first that covers the internet is reported."},
        "missing_sources": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"unless": {"type": "array", "items": _PATHS, "description": "Entry settings that, when set, make an entry without sources not apply to the internet (source tags)."}},
            "description": "An entry with no sources at all admits the whole internet (Google Cloud firewalls default to 0.0.0.0/0), unless one of `unless` is set.",
        },
        "protocol": {**_PATHS, "description": "Entry setting holding the protocol (names or numbers; -1/all/* mean every protocol; ICMP (icmp, icmpv6, 1, 58) is not a service and is left out unless `grades.icmp` reports it)."},
        "protocols": {"type": "array", "items": {"enum": ["tcp", "udp", "sctp", "all"]}, "description": "Only entries of these protocols count (network ACLs: tcp, udp)."},
        "ports": {
            "type": "object",
            "additionalProperties": False,
            "description": "How an entry writes its ports: `from`/`to` settings, `ranges` (settings holding \"22\", \"1000-2000\", \"22,3389\", \"*\" or lists of them), or `per_protocol` (a list of blocks each with its protocol and port list; no ports means every port of the protocol).",
            "properties": {
                "from": _PATHS,
                "to": _PATHS,
                "ranges": {"type": "array", "items": _PATHS, "minItems": 1},
                "absent": {"enum": ["all", "unknown"], "description": "What an entry that writes no ports means: every port of its protocol (`all`: OpenStack rules, OCI security lists without port options) or not known (`unknown`, the default)."},
                "per_protocol": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["list", "protocol", "ports"],
                    "properties": {"list": _PATHS, "protocol": _PATHS, "ports": _PATHS},
                },
            },
        },
        "action": {
            "type": "object",
            "additionalProperties": False,
            "required": ["path", "allow"],
            "properties": {
                "path": _PATHS,
                "allow": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "default": {"type": "string", "description": "The word an entry that does not write the setting means (the provider's default)."},
            },
            "description": "Entry setting holding allow/deny and the words meaning allow (case-insensitive); omitted: every entry allows.",
        },
        "order": {**_PATHS, "description": "Entry setting holding its evaluation order (rule number, priority; lower first). With it, a deny of the same group evaluated earlier that refuses the internet on the same ports shadows an allow."},
        "group": {"type": "array", "items": _PATHS, "minItems": 1, "description": "Settings of a rule resource that name its group (by reference, name or ID), tried in order; the group's types are the clause's `related.group`."},
        "attached_by": {"type": "array", "items": _PATHS, "description": "Settings through which other resources use the group (`vpc_security_group_ids`); they are named in the evidence, and what they are known to listen on (a database engine's port, `port`) grades the ports."},
        "scope": {"type": "array", "items": _PATHS, "description": "Entry settings that narrow which machines the entry applies to (target tags); when none is set the evidence says it applies to every machine in the network."},
        "grades": {
            "type": "object",
            "additionalProperties": False,
            "description": (
                "The severity for each grade of the reachable ports (linter/ports.py): critical (all ports, remote administration, a database/admin port the range is about), "
                "high (wide or unknown ranges), medium (other ports), web (80/443 alone), icmp (an ICMP entry: ping and network error messages, no service; "
                "only with a severity are ICMP entries read as openings at all), all (every port or every protocol, graded apart from the rest of critical; "
                "default: as `critical`). `none` means not reported. Defaults: critical, high, medium, none, none."
            ),
            "properties": {k: _SEVERITY for k in ("critical", "high", "medium", "web", "icmp", "all")},
        },
        "max_width": {"type": "integer", "minimum": 1, "description": "Ranges wider than this many ports are not reported (a network ACL's ephemeral range)."},
        "unknown_ports": {"enum": ["report", "skip"], "description": "An entry whose ports are not known: graded high (report, the default) or left out (skip)."},
        "placement": {
            "type": "object",
            "additionalProperties": False,
            "required": ["users"],
            "description": "Judge the group by what uses it (linter/checks/reach.py `placement_verdict`): nothing in the scanned code uses it (or its group is not there) is `conditional`; every resource using it is of a `users` role and known to have no public address, or is a load balancer (`front`), is `posture`; otherwise the verdict is the engine's.",
            "properties": {
                "users": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["role", "address"],
                        "properties": {
                            "role": {**_PATHS, "description": "a role of `match.<format>.related`: resources that use groups"},
                            "address": {"type": "object", "description": "how they get a public address, as internet-reach's `address` params (`{}`: never)"},
                            "front": {"type": "boolean", "description": "they are load balancers: only their listeners answer, whatever the group admits"},
                        },
                    },
                },
                "groups": {"type": "array", "items": _PATHS, "minItems": 1, "description": "the users' settings naming their groups, to tell whether a user without subnet is in a network of the scanned code"},
                "network": {**_PATHS, "description": "the group setting naming its network (role `network`)"},
            },
        },
        "note": {"type": "string", "description": "One sentence of evidence added to every finding (what the group is for)."},
        "consequence": {"type": "string", "description": "Added after the message (what else follows from the opening)."},
    },
}


class Entry(Struct):
    """One ingress entry of a security group, network ACL or firewall, as read from its holder."""

    holder: Resource  # the resource whose definition holds the entry
    base: Path  # the entry's path in holder.attrs
    data: Any
    group: Resource | None
    allow: bool | None
    order: int | None
    protocols: list[tuple[str | None, PortRange]] = field(default_factory=list)  # (protocol, ports)
    world: bool | None = False
    source_path: Path = ()
    sources: list[str] = field(default_factory=list)
    defaulted: bool = False


def _get(data: Any, dotted: str) -> Any:
    return value_at(data, parse_path(dotted)) if isinstance(data, dict) else None


def _protocol(value: Any) -> str | None:
    if value is None or isinstance(value, (Unknown, bool)):
        return None
    text = str(value).strip().lower()
    return _PROTOCOLS.get(text, text)


def _only(ctx: Context, params: dict[str, Any]) -> Condition | None:
    spec = params.get("only")
    return ctx.memo(("only", repr(spec)), lambda: compile_condition(spec, "params.only")) if spec else None


def _icmp(params: dict[str, Any]) -> bool:
    """Whether the rule reads ICMP entries as openings (``grades.icmp`` reports them)."""
    return params.get("grades", {}).get("icmp", "none") != "none"


def _ranges(data: Any, params: dict[str, Any]) -> list[tuple[str | None, PortRange]]:
    """(protocol, port range) pairs an entry allows; ICMP (all of its types, as ALL) only
    when the rule reports it, else left out."""
    spec = params["ports"]
    icmp = _icmp(params)
    out: list[tuple[str | None, PortRange]] = []
    if "per_protocol" in spec:
        per = spec["per_protocol"]
        blocks = _get(data, per["list"])
        if isinstance(blocks, Unknown):
            return [(None, UNKNOWN)]
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            proto = _protocol(_get(block, per["protocol"]))
            if proto in _NOT_A_SERVICE:
                if icmp:
                    out.append((proto, ALL))
                continue
            ports = _get(block, per["ports"])
            if proto == "all" or ports is None or ports == []:
                out.append((proto, ALL))
            else:
                out.extend((proto, r) for r in parse_ports(ports))
        return out
    proto = _protocol(_get(data, params["protocol"])) if "protocol" in params else None
    if proto in _NOT_A_SERVICE:
        return [(proto, ALL)] if icmp else []
    if proto == "all":
        return [(proto, ALL)]
    absent = ALL if spec.get("absent") == "all" else UNKNOWN
    if "ranges" in spec:
        values = [v for v in (_get(data, key) for key in spec["ranges"]) if v is not None]
        if not values:
            return [(proto, absent)]
        for value in values:
            out.extend((proto, r) for r in parse_ports(value))
        return out
    lo, hi = _get(data, spec.get("from", "from_port")), _get(data, spec.get("to", "to_port"))
    if lo is None and hi is None and proto not in _PORTED and proto is not None:
        return [(proto, ALL)]  # protocols without ports (ESP, GRE): all of their traffic
    if lo is None and hi is None:
        return [(proto, absent)]
    return [(proto, from_to(lo, hi))]


def _sources(entry: Entry, params: dict[str, Any]) -> None:
    unknown = False
    for key in params["sources"]:
        value = _get(entry.data, key)
        if value is None:
            continue
        truth, idx = covers_world(value)
        if truth is True:
            items = entries(value) or []
            entry.world, entry.source_path, entry.sources = True, entry.base + parse_path(key), [str(items[i]) for i in idx]
            return
        unknown = unknown or truth is None
    missing = params.get("missing_sources")
    if missing is not None and all(_get(entry.data, k) in (None, []) for k in params["sources"]):
        unless = [_get(entry.data, k) for k in missing.get("unless", ())]
        if any(isinstance(v, Unknown) for v in unless):
            entry.world = None
        elif not any(v not in (None, []) for v in unless):
            entry.world, entry.source_path, entry.sources, entry.defaulted = True, entry.base, ["0.0.0.0/0 (no source set)"], True
        return
    entry.world = None if unknown else False


def _group_of(ctx: Context, res: Resource, params: dict[str, Any]) -> Resource | None:
    groups = ctx.related("group")
    if res.type in groups:
        return res
    for setting in params.get("group", ()):
        found = ctx.graph.linked(res, setting, groups)
        if found:
            return found[0]
    return None


def entries_of(ctx: Context, res: Resource, params: dict[str, Any]) -> list[Entry]:
    """The entries written in ``res`` that meet ``only``, read with ``params``."""
    where = params.get("entries")
    path = res.setting_path(where or "")
    value = value_at(res.attrs, path)
    if isinstance(value, Unknown):
        return []  # not known before apply: nothing can be said about the entries
    if where is None:
        items: list[tuple[Path, Any]] = [(path, value)]
    else:
        items = [(path + (i,), item) for i, item in enumerate(value)] if isinstance(value, list) else []
    only = _only(ctx, params)
    group = _group_of(ctx, res, params)
    action = params.get("action")
    out: list[Entry] = []
    for base, data in items:
        if not isinstance(data, dict):
            continue
        if only is not None and only.evaluate(data)[0] is not True:
            continue
        allow: bool | None = True
        if action is not None:
            word = _get(data, action["path"])
            if word is None:
                word = action.get("default")
            allow = None if word is None or isinstance(word, Unknown) else str(word).strip().lower() in {w.lower() for w in action["allow"]}
        order = as_port(_get(data, params["order"])) if "order" in params else None
        entry = Entry(res, base, data, group, allow, order, _ranges(data, params))
        _sources(entry, params)
        out.append(entry)
    return out


def _group_entries(ctx: Context, group: Resource) -> list[Entry]:
    """Every entry of ``group`` under this rule: inline and in rule resources (indexed once)."""

    def build() -> dict[str, list[Entry]]:
        index: dict[str, list[Entry]] = {}
        for clause in ctx.rule.clauses:
            if clause.format != group.format and not (clause.format == "terraform" and group.format == "terraform-plan"):
                continue
            sub = Context(ctx.graph, ctx.rule, clause, clause.params)
            for res in ctx.graph.of_type(*clause.types):
                try:
                    found = entries_of(sub, res, clause.params)
                except Exception:
                    continue
                for e in found:
                    if e.group is not None:
                        index.setdefault(e.group.id, []).append(e)
        return index

    return ctx.graph.memo((ctx.rule.id, "group-entries"), build).get(group.id, [])


def _minus(r: PortRange, taken: list[PortRange]) -> list[PortRange]:
    """The parts of ``r`` that no range of ``taken`` covers."""
    if r.lo is None or r.hi is None:
        return [r]
    parts = [(r.lo, r.hi)]
    for t in taken:
        if t.lo is None or t.hi is None:
            continue
        nxt = []
        for lo, hi in parts:
            if t.hi < lo or t.lo > hi:
                nxt.append((lo, hi))
                continue
            if lo < t.lo:
                nxt.append((lo, t.lo - 1))
            if t.hi < hi:
                nxt.append((t.hi + 1, hi))
        parts = nxt
    return [PortRange(lo, hi) for lo, hi in parts]


def _denied_first(ctx: Context, entry: Entry, proto: str | None) -> list[PortRange]:
    """Port ranges that a deny entry of the same group, applied earlier, refuses to the internet."""
    if entry.order is None or entry.group is None:
        return []
    out: list[PortRange] = []
    for other in _group_entries(ctx, entry.group):
        if other is entry or other.allow is not False or other.world is not True:
            continue
        if other.order is None or other.order >= entry.order:
            continue
        for oproto, r in other.protocols:
            if oproto in ("all", proto) or (oproto is None and proto is None):
                out.append(r)
    return out


def _listening(ctx: Context, group: Resource | None, params: dict[str, Any]) -> tuple[list[int], list[Resource]]:
    """Ports something behind the group is known to listen on, and the resources using it."""
    if group is None or not params.get("attached_by"):
        return [], []
    users = ctx.graph.referrers(group)
    names = {str(s) for s in params["attached_by"]}
    attached = [u for u in users if any(group.id in ids for attr, ids in u.refs.items() if attr in names)]
    ports: list[int] = []
    for user in attached:
        port = as_port(user.setting("port"))
        engine = user.setting("engine")
        if port is None and isinstance(engine, str):
            port = ENGINE_PORTS.get(engine.strip().lower())
        if port is not None:
            ports.append(port)
    return ports, attached


def _severity(g: Grade, params: dict[str, Any], kind: str | None) -> Severity | None:
    """The rule's severity for a grade, or for a ``kind`` of opening graded apart (web, icmp)."""
    table = {"critical": "critical", "high": "high", "medium": "medium", "web": "none", "icmp": "none", **params.get("grades", {})}
    table.setdefault("all", table["critical"])
    key = kind or {Severity.CRITICAL: "critical", Severity.HIGH: "high"}.get(g.severity, "medium")
    word = table[key]
    return None if word == "none" else Severity.parse(word)


def _describe(ranges: Iterable[tuple[str | None, PortRange]]) -> str:
    parts = []
    for proto, r in ranges:
        if proto in _NOT_A_SERVICE:
            parts.append(_ICMP_NAMES[proto])
            continue
        text = r.describe()
        parts.append(f"{proto} {text}" if proto and proto not in ("all",) and r.known and not r.everything else text)
    return ", ".join(dict.fromkeys(parts))


@named_check("internet-ingress", PARAMS)
def internet_ingress(ctx: Context, res: Resource) -> Iterator[Hit]:
    """Entries that admit the whole internet, graded by the ports they reach.

    Reads the entries of the resource (inline rules, or the resource itself as one rule),
    keeps those that meet `only` and admit sources covering the internet, drops the ports an
    earlier deny of the same group refuses (with `order`), and grades what is left by port:
    all ports, remote administration, or a database/admin port the range is about are
    critical; wide or unknown ranges high; other ports medium; 80/443 alone are public web
    endpoints; ICMP is read only when `grades.icmp` reports it (`grades` maps each to the
    rule's severity; `grades.all` grades every port apart from the other critical ones). A range that merely
    contains a sensitive port says so without being graded by it, unless something using
    the group (`attached_by`) is known to listen there. The finding is located on the
    source addresses and names the group, what uses it, and where each deciding value was
    set."""
    params = ctx.params
    wanted = set(params.get("protocols", ()))
    for entry in entries_of(ctx, res, params):
        if entry.allow is not True or entry.world is not True:
            continue
        listening, users = _listening(ctx, entry.group, params)
        reachable: list[tuple[str | None, PortRange]] = []
        shadowed: list[str] = []
        for proto, r in entry.protocols:
            if wanted and proto not in wanted:
                continue
            if r.lo is None and params.get("unknown_ports") == "skip":
                continue
            if r.known and "max_width" in params and not r.everything and (r.hi or 0) - (r.lo or 0) + 1 > params["max_width"]:
                continue
            if r.everything and "max_width" in params:
                continue
            left = _minus(r, _denied_first(ctx, entry, proto))
            if r.known and left != [r]:
                shadowed.append(r.describe())
            reachable.extend((proto, part) for part in left)
        graded: list[tuple[Grade, Severity, str | None, PortRange]] = []
        for proto, r in reachable:
            kind: str | None
            if proto in _NOT_A_SERVICE:
                g, kind = Grade(Severity.LOW, "anyone can ping the hosts behind it and find them (no service listens on ICMP)"), "icmp"
            else:
                found = grade(r, listening)
                g, kind = found or Grade(Severity.LOW, f"web {r.describe()}"), "all" if r.everything else None if found else "web"
            severity = _severity(g, params, kind)
            if severity is not None:
                graded.append((g, severity, proto, r))
        if not graded:
            continue
        g, severity, _, _ = max(graded, key=lambda x: x[1])
        group = entry.group
        name = group.address if group is not None else res.address
        evidence: list[Evidence] = []
        if group is not None and group is not res:
            evidence.append(Evidence(f"rule of {params['what']} {group.address}", group.span))
        elif group is None and ctx.related("group"):
            evidence.append(Evidence(f"its {params['what']} is not defined in the scanned code"))
        for user in users[:3]:
            evidence.append(Evidence(f"used by {user.address}", user.span))
        if shadowed:
            evidence.append(Evidence(f"an earlier deny of the same {params['what']} refuses part of {', '.join(shadowed)}"))
        scope = params.get("scope")
        if scope and all(_get(entry.data, k) in (None, []) for k in scope):
            evidence.append(Evidence(f"no {' or '.join(k.replace('_', ' ') for k in scope)}: the rule applies to every machine in the network"))
        if params.get("note"):
            evidence.append(Evidence(params["note"]))
        label = entry.data.get("name") if group is not None and isinstance(entry.data.get("name"), str) else None
        through = f" through rule {label}" if label else ""
        message = f"{params['what']} {name} admits the whole internet ({', '.join(entry.sources)}) on {_describe((p, r) for _, _, p, r in graded)}{through}: {g.why}"
        if params.get("consequence"):
            message += f"; {params['consequence']}"
        # ports (ICMP has none: a finding about ICMP alone is never merged into a port's finding)
        ports = [(r.lo if r.lo is not None else 0, r.hi if r.hi is not None else 65535) for _, _, p, r in graded if p not in _NOT_A_SERVICE]
        facts: dict[str, Any] = {"ports": ports, "sources": ", ".join(entry.sources)}
        if params.get("placement"):
            from linter.checks.reach import placement_verdict  # reach builds on this module

            judged = placement_verdict(ctx, group)
            if judged is not None:
                facts["verdict"], facts["verdict_reason"], more = judged
                evidence.extend(e for e in more if e not in evidence)
        yield Hit(
            res,
            entry.source_path,
            message=message,
            evidence=evidence,
            severity=severity,
            value=entry.sources,
            facts=facts,
        )

