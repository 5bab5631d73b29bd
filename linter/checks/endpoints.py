"""Public endpoints: who can reach a service, and the controls that close it.

A cloud service is reachable on a public endpoint unless its configuration says otherwise.
The checks here read that configuration as data given by each rule:

* the **switch**: the public network flag (``public_network_access_enabled``,
  ``public_network_access = "Enabled"``, ``publicly_accessible``, ``ipv4_enabled``…) in the
  words providers use for on and off, and its provider default when omitted (a default may
  depend on a version setting, or may have changed between provider versions);
* the **controls that close** the endpoint whatever the switch says: a virtual network
  placement (``delegated_subnet_id``), a private-only setting, a resource that links to it
  (a firewall rule, a private endpoint), an organisation policy;
* the **allow-lists** that decide who gets in: address lists (authorized networks,
  ``ip_range_filter``), network rule blocks (``default_action``, ``ip_rules``, inline or a
  separate resource), start-end firewall rule resources, security groups on the service's
  port.

The outcome is one of *everyone*, *some* public addresses, or *none*; each rule maps it to a
severity, a message and, for an outcome one step from exposure, a verdict. Start-end firewall rules are also judged one by one
(``firewall-rule``), with the other rules of the same server: several rules that together
cover the internet are as open as one that does.

An unknown value (a variable without a value, an attribute known only after apply) never
decides anything: the check stays silent rather than guess. Group-level facts (every
firewall rule of a server, every rule resource of a security group) come from indexes built
once per graph and rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct, field

from linter import conditions
from linter.checks import Context, named_check
from linter.evaluation import Hit
from linter.graph import Resource, ResourceGraph
from linter.internet import WIDE_RANGE, admits_public, covers_internet, covers_world, entries, ipv4, ipv4_text, public_addresses
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity, format_path
from linter.orgpolicy import enforced
from linter.ports import ENGINE_PORTS, PortRange, as_port, from_to
from linter.values import Unknown, display, on_off

Truth = bool | None

EVERYONE, SOME, NONE, ABSENT, UNKNOWN = "everyone", "some", "none", "absent", "unknown"

# --------------------------------------------------------------------------- params schemas

_SEVERITY = {"enum": ["critical", "high", "medium", "low"]}
_NAMES = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    ]
}
_OUTCOME = {
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "severity": {**_SEVERITY, "description": "the finding's severity (the rule's own when omitted)"},
                "message": {"type": "string", "minLength": 5, "description": "the message; may use {resource}, {switch}, {admits}, {reason}, {port}, {value}"},
                "verdict": {"enum": ["posture", "conditional"], "description": "the verdict of this outcome's findings, when it is one step from exposure (`posture`: the endpoint is on but nothing admits the internet) or holds only in some cases"},
                "verdict_reason": {"type": "string", "minLength": 20, "description": "why, shown with the verdict; may use the message's fields"},
            },
            "dependentRequired": {"verdict": ["verdict_reason"]},
        },
    ]
}
_SWITCH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["settings"],
    "properties": {
        "settings": {
            **_NAMES,
            "description": "the setting(s) that hold the switch, the first one written wins; a name may be a path (`settings[0].ip_configuration[0].ipv4_enabled`)",
        },
        "public_when": {
            "oneOf": [{"type": "boolean"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}],
            "description": "the value that opens the endpoint: `true` (the default), `false` for a setting that says private (`internal_ip_only`), or the words that mean public (`[AllowAll]`); `Enabled`/`Disabled`, `true`/`false` and their text are read alike",
        },
        "has": {"type": "string", "minLength": 1, "description": "a block setting counts as on when it is written and holds this key (`ssh { public_key }`)"},
        "default": {"type": ["boolean", "string"], "description": "the provider's value when none of the settings is written; the rule's description says which provider version it belongs to"},
        "default_before": {
            "type": "object",
            "additionalProperties": False,
            "required": ["setting", "version", "value"],
            "description": "a default that depends on a version setting (an image version): below `version` the default is `value`",
            "properties": {
                "setting": {"type": "string", "minLength": 1, "description": "the version setting"},
                "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$", "description": "the first version with the ordinary default"},
                "value": {"type": ["boolean", "string"], "description": "the default of older versions"},
            },
        },
        "default_changed": {
            "type": "object",
            "additionalProperties": False,
            "required": ["severity", "evidence"],
            "description": "the provider changed this default between versions: an omitted switch is reported on its own, at this severity",
            "properties": {
                "severity": _SEVERITY,
                "message": {"type": "string", "minLength": 5, "description": "the message; may use {resource}, {switch}"},
                "evidence": {"type": "string", "minLength": 10, "description": "which provider versions make it public"},
            },
        },
    },
}
_CLOSER = {
    "type": "object",
    "additionalProperties": False,
    "oneOf": [
        {"required": ["setting", "written"]},
        {"required": ["setting", "equals"]},
        {"required": ["linked", "via"]},
        {"required": ["org_policy", "role"]},
    ],
    "properties": {
        "setting": {"type": "string", "minLength": 1, "description": "a setting of the resource"},
        "written": {"const": True, "description": "the endpoint is closed when the setting is written and not empty (`delegated_subnet_id`: in a virtual network)"},
        "equals": {"description": "the endpoint is closed when the setting has this value (`private_cluster_enabled: true`)"},
        "linked": {"type": "string", "minLength": 1, "description": "a role of `match.<format>.related`: the endpoint is closed when a resource of these types links to it"},
        "via": {**_NAMES, "description": "the setting(s) of the linking resource that name this one (by reference, name or ID)"},
        "name_setting": {"type": "string", "minLength": 1, "description": "this resource's name setting, for links by name (default `name`)"},
        "org_policy": {"type": "string", "minLength": 1, "description": "an organisation policy constraint (`sql.restrictPublicIp`) that closes the endpoint when enforced"},
        "role": {"type": "string", "minLength": 1, "description": "the role of `match.<format>.related` naming the organisation policy types"},
        "only_if_switch_unset": {"type": "boolean", "description": "the control closes the endpoint only when the switch is not written (Azure turns public access off when a private endpoint is attached and the switch is left unset)"},
    },
}
_LIST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["list"],
    "properties": {
        "list": {"type": "string", "minLength": 1, "description": "an address list inside the block"},
        "field": {"type": "string", "minLength": 1, "description": "the key holding the address when the list holds blocks"},
    },
}
_LINK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role", "via"],
    "properties": {
        "role": {"type": "string", "minLength": 1, "description": "a role of `match.<format>.related`"},
        "via": {**_NAMES, "description": "the setting(s) that link the two resources"},
        "name_setting": {"type": "string", "minLength": 1, "description": "the target's name setting, for links by name (default `name`)"},
        "settings": {**_NAMES, "description": "settings of the linked resource naming its security groups"},
    },
}
_SOURCE = {
    "type": "object",
    "additionalProperties": False,
    "oneOf": [
        {"required": ["addresses"]},
        {"required": ["network_rules"]},
        {"required": ["flag"]},
        {"required": ["firewall"]},
        {"required": ["security_groups"]},
    ],
    "properties": {
        "addresses": {"type": "string", "minLength": 1, "description": "an address list setting: a list, one value or a comma-separated string (`allowed_ips`, `ip_range_filter`)"},
        "field": {"type": "string", "minLength": 1, "description": "addresses: the key holding the address when the list holds blocks (`authorized_networks { value }`)"},
        "configured_by": {"type": "string", "minLength": 1, "description": "addresses: the block whose presence turns the filter on even with an empty list (GKE `master_authorized_networks_config`); otherwise an empty list is no filter"},
        "azure_zero": {"type": "boolean", "description": "a bare `0.0.0.0` means Azure's own services, not an address range"},
        "network_rules": {"type": "string", "minLength": 1, "description": "a network rule block (`network_rules`, `network_acls`, `network_rule_set`) with a default action and address lists"},
        "separate": {**_LINK, "description": "network_rules: a separate resource of this role that holds the block's settings and links to the service"},
        "action": {"type": "string", "minLength": 1, "description": "network_rules: the default action key (default `default_action`)"},
        "action_default": {"type": "string", "minLength": 1, "description": "network_rules: the action when the block sets none (default `Allow`)"},
        "lists": {"type": "array", "items": _LIST, "description": "network_rules: the address lists of the block"},
        "switch": {"type": "string", "minLength": 1, "description": "network_rules: the block's own public switch; `false` closes the endpoint"},
        "flag": {"type": "string", "minLength": 1, "description": "a setting that admits a set of addresses when it has the value `equals`"},
        "admits": {"enum": [EVERYONE, NONE], "description": "flag: `everyone` when the set is open to anyone (every Google Cloud address), `none` when the flag turns on a filter of private networks"},
        "text": {"type": "string", "minLength": 3, "description": "flag: what the flag admits, in words"},
        "firewall": {"type": "string", "minLength": 1, "description": "a role of `match.<format>.related`: start-end firewall rule resources of the service"},
        "start": {"type": "string", "minLength": 1, "description": "firewall: the start address setting (default `start_ip_address`)"},
        "end": {"type": "string", "minLength": 1, "description": "firewall: the end address setting (default `end_ip_address`)"},
        "azure_services": {"type": "boolean", "description": "firewall: `0.0.0.0`-`0.0.0.0` is Azure's 'allow Azure services' rule"},
        "security_groups": {"type": "string", "minLength": 1, "description": "a role of `match.<format>.related`: the security group types the service runs in"},
        "settings": {**_NAMES, "description": "security_groups: the settings naming the groups"},
        "parent": {**_LINK, "description": "security_groups: a parent (a cluster) whose groups apply too"},
        "rules": {"type": "string", "minLength": 1, "description": "security_groups: the role of separate ingress rule resources"},
        "port": {
            "type": "object",
            "additionalProperties": False,
            "description": "security_groups: the service's port: a port setting, else the engine's port, else `default`",
            "properties": {
                "settings": _NAMES,
                "engine": {"type": "string", "minLength": 1},
                "default": {"type": "integer", "minimum": 1, "maximum": 65535},
            },
        },
        "via": {**_NAMES, "description": "firewall: the rule's setting(s) naming the service"},
        "equals": {"description": "flag: the value that admits"},
    },
}
_SEVERITY_BY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["setting", "equals"],
    "properties": {
        "setting": {**_NAMES, "description": "the setting(s) read, the first one written wins"},
        "equals": {"description": "the value that applies this entry"},
        "default": {"description": "the setting's value when it is not written"},
        "severity": {**_SEVERITY, "description": "the finding's severity when the entry applies (the first applying entry with a severity wins)"},
        "evidence": {"type": "string", "minLength": 5, "description": "evidence added when the entry applies"},
        "otherwise": {"type": "string", "minLength": 5, "description": "evidence added when it does not"},
    },
}

ENDPOINT_PARAMS: dict[str, Any] = {
    "properties": {
        "switch": {"type": "array", "items": _SWITCH, "description": "the public switches; the endpoint is public when every one is on (none: always public unless closed)"},
        "closed_when": {"type": "array", "items": _CLOSER, "description": "controls that close the endpoint whatever the switch says"},
        "allows": {"type": "array", "items": _SOURCE, "description": "the allow-lists that decide who gets in, read in order; the first that admits everyone decides"},
        "absent": {"enum": [EVERYONE, NONE], "description": "who gets in when no allow-list is configured (default `everyone`)"},
        "report": {
            "type": "object",
            "additionalProperties": False,
            "description": "what is reported for each outcome (default: `everyone` only, at the rule's severity); `null` or absent: not reported",
            "properties": {EVERYONE: _OUTCOME, SOME: _OUTCOME, NONE: _OUTCOME},
        },
        "severity_by": {"type": "array", "items": _SEVERITY_BY, "description": "settings that grade a reported endpoint (keys disabled, only tokens accepted), with evidence"},
    },
}

FIREWALL_PARAMS: dict[str, Any] = {
    "properties": {
        "label": {"type": "string", "minLength": 2, "description": "what the server is, in messages (`SQL server`): {server} reads `SQL server <address>`, or `the SQL server it belongs to` when it is not in the scanned code"},
        "start": {"type": "string", "minLength": 1, "description": "the start address setting (default `start_ip_address`)"},
        "end": {"type": "string", "minLength": 1, "description": "the end address setting (default `end_ip_address`)"},
        "server": {**_NAMES, "description": "the rule's setting(s) naming its server (types: `match.<format>.related.server`), by reference, name or ID"},
        "server_switch": {"type": "array", "items": _SWITCH, "description": "the server's public switches: a server that refuses public traffic does not use its firewall rules"},
        "server_closed_when": {"type": "array", "items": _CLOSER, "description": "server settings that close its public endpoint (`delegated_subnet_id`)"},
        "azure_services": {"type": "boolean", "description": "`0.0.0.0`-`0.0.0.0` is Azure's 'allow Azure services' rule, not an address"},
        "wide": {"type": "integer", "minimum": 1, "description": "public addresses from which one rule alone is reported as wide (default: as many as a /8)"},
        "report": {
            "type": "object",
            "additionalProperties": False,
            "description": "what is reported: `internet` (alone or with the server's other rules), `wide`, `azure_services`; `null` or absent: not reported",
            "properties": {"internet": _OUTCOME, "wide": _OUTCOME, "azure_services": _OUTCOME},
        },
    },
}

def _verdict(outcome: dict[str, Any], fields: dict[str, Any]) -> dict[str, str]:
    """The verdict facts an outcome gives its findings (none: decided by the engine)."""
    if not outcome.get("verdict"):
        return {}
    return {"verdict": outcome["verdict"], "verdict_reason": _format(outcome["verdict_reason"], fields)}


# --------------------------------------------------------------------------- reading settings


def names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _root(res: Resource) -> Path:
    """Where the resource's settings are written (``Properties`` in CloudFormation)."""
    return res.setting_path("")


def read(res: Resource, name: str) -> tuple[Any, Path]:
    """A setting's value and path; Unknown when the value, or a block holding it, is not
    known; None when it is not written."""
    path = res.setting_path(name)
    return _walk(res.attrs, path), path


def _walk(root: Any, path: Path) -> Any:
    value = value_at(root, path)
    if value is None:
        # not written, or inside a block that is not known (a dynamic block, a variable)
        for i in range(len(path)):
            if isinstance(value_at(root, path[:i]), Unknown):
                return Unknown("a block holding it is not known")
    return value


def shown(res: Resource, path: Path) -> str:
    """A setting's path as its format writes it, for messages."""
    root = _root(res)
    return format_path(path[len(root) :] if path[: len(root)] == root else path)


def _depth(attrs: Any, path: Path) -> int:
    """How much of ``path`` exists."""
    n = 0
    node = attrs
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        n += 1
    return n


def loose_equal(value: Any, expected: Any) -> bool:
    """The rule conditions' equality (:func:`linter.conditions.loose_equal`), except that a
    switch expected on or off reads every on/off word providers write (``"Enabled"``,
    ``"yes"``: :func:`linter.values.on_off`), and surrounding spaces do not count."""
    if isinstance(expected, bool):
        return on_off(value) is expected
    return conditions.loose_equal(value.strip() if isinstance(value, str) else value, expected)


def linked(graph: ResourceGraph, res: Resource, via: Iterable[str], types: Iterable[str], name_setting: str = "name") -> list[Resource]:
    """The resources of ``types`` one of ``res``'s ``via`` settings points at (the first that does)."""
    wanted = tuple(types)
    for setting in via:
        found = graph.linked(res, setting, wanted, name_setting=name_setting)
        if found:
            return found
    return []


def linked_from(graph: ResourceGraph, target: Resource, types: Iterable[str], via: Iterable[str], name_setting: str = "name") -> list[Resource]:
    """The resources of ``types`` whose ``via`` settings point at ``target``."""
    out: list[Resource] = []
    wanted = tuple(types)
    for setting in via:
        for res in graph.linked_from(target, wanted, setting, name_setting=name_setting):
            if res not in out:
                out.append(res)
    return out


# --------------------------------------------------------------------------- the switch


class Switch(Struct):
    """How a public switch reads: public (None: not known), where, and in words."""

    public: Truth
    path: Path
    explicit: bool
    text: str
    value: Any = None
    changed: dict[str, Any] | None = None  # the spec's default_changed, when omitted


def _version(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"^\s*(\d+)\.(\d+)", value)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _is_public(value: Any, spec: dict[str, Any]) -> Truth:
    want = spec.get("public_when", True)
    if isinstance(want, list):
        if not isinstance(value, str):
            return None if isinstance(value, Unknown) else False
        return value.strip().lower() in {w.lower() for w in want}
    on = on_off(value)
    return None if on is None else on is want


def read_switch(res: Resource, spec: dict[str, Any]) -> Switch:
    settings = names(spec["settings"])
    for name in settings:
        value, path = read(res, name)
        if value is None:
            continue
        where = shown(res, path)
        if isinstance(value, Unknown):
            return Switch(None, path, True, f"{where} is not known", value)
        block = value[0] if isinstance(value, list) and value else value
        if isinstance(block, dict) or (isinstance(value, list) and not value):
            key = spec.get("has")
            on = isinstance(block, dict) and (key is None or block.get(key) is not None)
            if not on:
                continue  # a block without the key that turns the switch on: look further
            what = f"{where} holds {key}" if key else f"{where} is written"
            return Switch(_is_public(True, spec), path, True, what, True)
        return Switch(_is_public(value, spec), path, True, f"{where} = {display(value)}", value)
    # none written: the provider default
    paths = [res.setting_path(n) for n in settings]
    depths = [_depth(res.attrs, p) for p in paths]
    path = paths[depths.index(max(depths))]
    deepest = [p for p, d in zip(paths, depths) if d == max(depths)]
    where = shown(res, path) if len(deepest) == 1 else " / ".join(shown(res, p) for p in paths)
    default = spec.get("default", False)
    before = spec.get("default_before")
    if before is not None:
        version, vpath = read(res, before["setting"])
        if isinstance(version, Unknown):
            return Switch(None, vpath, False, "")
        have, limit = _version(version), _version(before["version"])
        if have is not None and limit is not None and have < limit:
            text = f"{where} is not set, and {shown(res, vpath)} = {display(version)} makes it default to {display(before['value'])}"
            return Switch(_is_public(before["value"], spec), vpath, False, text, version)
    text = f"{where} is not set, so it defaults to {display(default)}"
    return Switch(_is_public(default, spec), path, False, text, default, spec.get("default_changed"))


# --------------------------------------------------------------------------- controls that close it


def closed(ctx: Context, res: Resource, closers: list[dict[str, Any]], switch: Switch | None) -> tuple[Truth, list[Evidence]]:
    """Whether a control closes the endpoint (None: one is not known), and evidence of
    controls present that do not close it."""
    notes: list[Evidence] = []
    verdict: Truth = False
    for spec in closers:
        ignored = bool(spec.get("only_if_switch_unset")) and switch is not None and switch.explicit
        if "linked" in spec:
            found = linked_from(ctx.graph, res, ctx.related(spec["linked"]), names(spec["via"]), spec.get("name_setting", "name"))
            if found and not ignored:
                return True, []
            if found:
                note = f"{switch.text} keeps the public endpoint open" if switch is not None else "the public endpoint stays open"
                notes.extend(Evidence(f"{other.address} is attached, but {note}", other.span) for other in found[:2])
            continue
        if ignored:
            continue
        if "org_policy" in spec:
            t, _ = enforced(ctx.graph, res, spec["org_policy"], ctx.related(spec["role"]))
        else:
            value, _ = read(res, spec["setting"])
            if isinstance(value, Unknown):
                t = None
            elif "written" in spec:
                t = value is not None and value != "" and value != []
            else:
                t = value is not None and loose_equal(value, spec["equals"])
        if t is True:
            return True, []
        if t is None:
            verdict = None
    return verdict, notes


# --------------------------------------------------------------------------- allow-lists


class Place(Struct):
    """Where an allow-list admits everyone."""

    holder: Resource
    path: Path
    value: Any
    admits: str  # the value, in words


class Admission(Struct):
    """Whom an endpoint's access setting admits, and where that is written."""

    state: str  # EVERYONE, SOME, NONE, ABSENT or UNKNOWN
    reason: str = ""  # why, in words
    admits: str = ""  # what is admitted, in words
    places: list[Place] = field(default_factory=list)  # where (empty: at the switch)
    where: Path | None = None  # where a missing allow-list would be written
    evidence: list[Evidence] = field(default_factory=list)
    ports: list[tuple[int, int]] = field(default_factory=list)


def _join(values: list[str], limit: int = 3) -> str:
    head = ", ".join(values[:limit])
    return head + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _address_list(holder: Resource, base: Path, value: Any, fieldname: str | None, azure_zero: bool, label: str, configured: bool) -> Admission:
    """An address list: everyone when its entries cover the internet."""
    if isinstance(value, Unknown):
        return Admission(UNKNOWN)
    items = entries(value) or []
    if not items:
        missing = f"there is no {label} block" if fieldname else f"{label} is not set"
        return Admission(NONE if configured else ABSENT, reason=f"{label} is empty" if value is not None else missing, where=base)
    addresses = [item.get(fieldname) if isinstance(item, dict) else (item if isinstance(item, Unknown) else None) for item in items] if fieldname else items
    truth, idx = covers_world(addresses, azure_zero)
    if truth is None:
        return Admission(UNKNOWN)
    texts = [str(a) for a in addresses if isinstance(a, str)]
    if truth:
        listed = _join([str(addresses[i]) for i in idx])
        reason = f"{label} allows {listed}, the whole internet"
        if fieldname:
            places = [Place(holder, base + (i, fieldname), addresses[i], str(addresses[i])) for i in idx]
        else:
            at = base + ((idx[0],) if isinstance(value, list) and len(idx) == 1 else ())
            places = [Place(holder, at, addresses[idx[0]] if len(idx) == 1 else value, listed)]
        return Admission(EVERYONE, reason=reason, admits=listed, places=places)
    public = [a for a in texts if admits_public(a)]
    return Admission(SOME if public else NONE, reason=f"{label} allows {_join(texts)}", admits=_join(public or texts))


def _addresses(res: Resource, spec: dict[str, Any]) -> Admission:
    configured = False
    if "configured_by" in spec:
        block, bpath = read(res, spec["configured_by"])
        if isinstance(block, Unknown):
            return Admission(UNKNOWN)
        if block is None or block == []:
            return Admission(ABSENT, reason=f"there is no {shown(res, bpath)}", where=bpath)
        configured = True
    value, path = read(res, spec["addresses"])
    return _address_list(res, path, value, spec.get("field"), bool(spec.get("azure_zero")), shown(res, path), configured)


def _network_rules(ctx: Context, res: Resource, spec: dict[str, Any]) -> Admission:
    """A network rule block: everyone when its default action is Allow or its address lists
    cover the internet; absent when there is no block."""
    holder: Resource = res
    base: Path = ()
    label = ""
    separate = spec.get("separate")
    evidence: list[Evidence] = []
    found = linked_from(ctx.graph, res, ctx.related(separate["role"]), names(separate["via"]), separate.get("name_setting", "name")) if separate else []
    if found:
        holder = found[0]
        base = _root(holder)
        body: Any = _walk(holder.attrs, base)
        label = holder.address
        evidence.append(Evidence(f"{holder.address} holds the network rules of {res.address}", res.span))
    else:
        body, base = read(res, spec["network_rules"])
        if isinstance(body, list):
            body, base = (body[0], base + (0,)) if body else (None, base)
        label = shown(res, base[:-1] if base and base[-1] == 0 else base)
        if body is None:
            return Admission(ABSENT, reason=f"there is no {label} block", where=base)
    if isinstance(body, Unknown):
        return Admission(UNKNOWN)
    if not isinstance(body, dict):
        return Admission(UNKNOWN)
    own = spec.get("switch")
    if own is not None:
        value = body.get(own)
        if isinstance(value, Unknown) or (value is not None and on_off(value) is None):
            return Admission(UNKNOWN)
        if value is not None and on_off(value) is False:
            return Admission(NONE, reason=f"{label} {own} = {display(value)}")
    key = spec.get("action", "default_action")
    action = body.get(key)
    if isinstance(action, Unknown):
        return Admission(UNKNOWN)
    effective = action if isinstance(action, str) else spec.get("action_default", "Allow")
    if effective.strip().lower() == "allow":
        if action is None:
            reason = f"{label} sets no {key}, which defaults to {effective}"
            return Admission(EVERYONE, reason=reason, admits="every network", places=[Place(holder, base, None, "every network")], evidence=evidence)
        reason = f"{label} {key} = {display(action)} lets every network in"
        return Admission(EVERYONE, reason=reason, admits="every network", places=[Place(holder, base + (key,), action, "every network")], evidence=evidence)
    results = []
    for lst in spec.get("lists", []):
        value = body.get(lst["list"])
        if value is None:
            continue
        got = _address_list(holder, base + (lst["list"],), value, lst.get("field"), False, f"{label} {lst['list']}", True)
        if got.state == EVERYONE:
            got.evidence = evidence + got.evidence
            return got
        results.append(got)
    if any(r.state == UNKNOWN for r in results):
        return Admission(UNKNOWN)
    some = [r for r in results if r.state == SOME]
    return Admission(SOME if some else NONE, reason=f"{label} {key} = {display(action)}", admits=_join([r.admits for r in some]), evidence=evidence)


def _flag(res: Resource, spec: dict[str, Any]) -> Admission:
    value, path = read(res, spec["flag"])
    if isinstance(value, Unknown):
        return Admission(UNKNOWN)
    label = shown(res, path)
    if value is None or not loose_equal(value, spec.get("equals", True)):
        # a filter that is off is part of why everyone gets in; an opening that is off is not
        reason = f"{label} is not {display(spec.get('equals', True))}" if spec.get("admits", EVERYONE) == NONE else ""
        return Admission(ABSENT, reason=reason, where=path)
    text = spec.get("text", label)
    if spec.get("admits", EVERYONE) == EVERYONE:
        return Admission(EVERYONE, reason=f"{label} = {display(value)} admits {text}", admits=text, places=[Place(res, path, value, text)])
    return Admission(NONE, reason=f"{label} = {display(value)}")


# --------------------------------------------------------------------------- start-end firewall rules


class FirewallRange(Struct):
    """One address range of a database server firewall rule."""

    res: Resource
    start: int
    end: int
    path: Path  # the start address, where a finding is reported

    @property
    def azure_services(self) -> bool:
        return self.start == 0 and self.end == 0

    @property
    def public_size(self) -> int:
        return public_addresses(self.start, self.end)

    def describe(self) -> str:
        return ipv4_text(self.start) if self.start == self.end else f"{ipv4_text(self.start)}-{ipv4_text(self.end)}"


class FirewallGroup(Struct):
    """The firewall rules of one server (or of an unknown server: one rule alone)."""

    server: Resource | None
    azure_zero: bool
    ranges: list[FirewallRange] = field(default_factory=list)
    _analysed: tuple[list[FirewallRange], list[FirewallRange]] | None = None

    def counted(self) -> list[FirewallRange]:
        """The ranges that admit public addresses (the Azure services rule aside)."""
        return [r for r in self.ranges if not (self.azure_zero and r.azure_services) and r.public_size > 0]

    def internet(self) -> tuple[list[FirewallRange], list[FirewallRange]]:
        """The rules that cover the internet alone, and those that do only together (each
        one without which the union no longer does)."""
        if self._analysed is None:
            counted = self.counted()
            alone = [r for r in counted if covers_internet([(r.start, r.end)])]
            rest = [r for r in counted if r not in alone]
            together: list[FirewallRange] = []
            if not alone and covers_internet((r.start, r.end) for r in rest):
                together = [r for r in rest if not covers_internet((o.start, o.end) for o in rest if o is not r)] or rest
            self._analysed = (alone, together)
        return self._analysed


class FirewallIndex(Struct):
    """A unit's server firewall rules, by rule resource and by the server they guard."""

    by_rule: dict[str, FirewallGroup] = field(default_factory=dict)
    by_server: dict[str, FirewallGroup] = field(default_factory=dict)


def firewall_index(graph: ResourceGraph, rule_types: Iterable[str], via: list[str], server_types: Iterable[str], start: str, end: str, azure_zero: bool) -> FirewallIndex:
    """Every firewall rule with a known range, grouped by the server it belongs to: one
    pass over the rules, each linked once (through the graph's indexes)."""
    index = FirewallIndex()
    servers = tuple(server_types)
    for res in graph.of_type(*rule_types):
        (lo, start_path), (hi, _) = read(res, start), read(res, end)
        a, b = ipv4(lo), ipv4(hi)
        if a is None or b is None or b < a:
            continue
        rng = FirewallRange(res, a, b, start_path)
        found: list[Resource | None] = list(linked(graph, res, via, servers)) or [None]
        for server in found:
            key = server.id if server is not None else f"?{res.id}"
            group = index.by_server.get(key)
            if group is None:
                group = index.by_server[key] = FirewallGroup(server, azure_zero)
            group.ranges.append(rng)
            index.by_rule.setdefault(res.id, group)
    return index


def _firewall(ctx: Context, res: Resource, spec: dict[str, Any], n: int) -> Admission:
    start, end = spec.get("start", "start_ip_address"), spec.get("end", "end_ip_address")
    via, zero = names(spec["via"]), bool(spec.get("azure_services"))
    index: FirewallIndex = ctx.memo(
        ("firewall-source", n),
        lambda: firewall_index(ctx.graph, ctx.related(spec["firewall"]), via, ctx.clause.types, start, end, zero),
    )
    group = index.by_server.get(res.id)
    if group is None:
        attached = linked_from(ctx.graph, res, ctx.related(spec["firewall"]), via)
        if attached:
            return Admission(UNKNOWN)  # rules whose ranges are not known
        return Admission(ABSENT, reason="no firewall rule admits any address")
    evidence = [
        Evidence(f"firewall rule {r.res.address} admits {'every Azure-hosted address' if zero and r.azure_services else r.describe()}", r.res.span)
        for r in group.ranges
        if (zero and r.azure_services) or r.public_size > 0
    ]
    if len(evidence) > 4:
        evidence = evidence[:4] + [Evidence(f"and {len(evidence) - 4} more firewall rules")]
    admitted = [("Azure services (0.0.0.0)" if zero and r.azure_services else r.describe()) for r in group.ranges if (zero and r.azure_services) or r.public_size > 0]
    if not admitted:
        return Admission(NONE, reason="its firewall rules admit no public address")
    alone, together = group.internet()
    state = EVERYONE if alone or together else SOME
    return Admission(state, reason=f"its firewall admits {_join(admitted)}", admits=_join(admitted), evidence=evidence)


# --------------------------------------------------------------------------- security groups
# A minimal reading of AWS security groups (inline ingress and separate ingress rule
# resources, in either format's spelling): which of them admit the internet on a port. It
# stands in for the shared security-group index (linter/checks/ingress.py) until that lands.

_CIDR_KEYS = ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6", "CidrIp", "CidrIpv6")
_PROTOCOL_KEYS = ("protocol", "ip_protocol", "IpProtocol")
_FROM_KEYS = ("from_port", "FromPort")
_TO_KEYS = ("to_port", "ToPort")
_RULE_VIA = ("security_group_id", "group_name")


class Opening(Struct):
    """Ports opened to some addresses, and where that is written."""

    holder: Resource
    path: Path  # the source addresses
    ports: PortRange
    cidrs: list[str]


def _first(entry: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if key in entry:
            return entry[key]
    return None


def _openings(holder: Resource, base: Path, entry: Any) -> list[Opening]:
    """The internet-wide sources of one ingress rule."""
    if not isinstance(entry, dict):
        return []
    protocol = _first(entry, _PROTOCOL_KEYS)
    text = str(protocol).strip().lower() if isinstance(protocol, (str, int)) and not isinstance(protocol, bool) else ""
    if text in ("icmp", "1", "icmpv6", "58"):
        return []  # ping is not a service
    ports = from_to(-1, -1) if text in ("-1", "all") else from_to(_first(entry, _FROM_KEYS), _first(entry, _TO_KEYS))
    out = []
    for key in _CIDR_KEYS:
        if key not in entry:
            continue
        value = entry[key]
        truth, idx = covers_world(value)
        if truth:
            items = entries(value) or []
            out.append(Opening(holder, base + (key,), ports, [str(items[i]) for i in idx]))
    return out


def group_openings(ctx: Context, group: Resource, rule_role: str | None) -> list[Opening]:
    """Internet-open ingress of a security group: its inline rules and the rule resources
    that attach to it."""
    out: list[Opening] = []
    rules, path = read(group, "ingress")
    for i, entry in enumerate(rules if isinstance(rules, list) else []):
        out.extend(_openings(group, path + (i,), entry))
    if rule_role:
        for rule in linked_from(ctx.graph, group, ctx.related(rule_role), _RULE_VIA):
            direction = rule.setting("type")
            if isinstance(direction, str) and direction.strip().lower() != "ingress":
                continue
            base = _root(rule)
            out.extend(_openings(rule, base, _walk(rule.attrs, base)))
    return out


def _service_port(res: Resource, parent: Resource | None, spec: dict[str, Any]) -> int | None:
    for holder in (res, parent):
        if holder is None:
            continue
        for name in names(spec.get("settings", "port")):
            port = as_port(read(holder, name)[0])
            if port is not None:
                return port
    engine_setting = spec.get("engine")
    for holder in (res, parent):
        if holder is None or not engine_setting:
            continue
        engine = read(holder, engine_setting)[0]
        if isinstance(engine, str):
            text = engine.strip().lower()
            for prefix, port in ENGINE_PORTS.items():
                if text == prefix or text.startswith(prefix + "-"):
                    return port
    default = spec.get("default")
    return int(default) if default is not None else None


def _security_groups(ctx: Context, res: Resource, spec: dict[str, Any]) -> Admission:
    types = ctx.related(spec["security_groups"])
    groups: list[Resource] = []

    def add(holder: Resource, settings: Any) -> None:
        for name in names(settings):
            for group in ctx.graph.linked(holder, name, types):
                if group not in groups:
                    groups.append(group)

    add(res, spec.get("settings"))
    parent = None
    if spec.get("parent"):
        p = spec["parent"]
        parents = linked(ctx.graph, res, names(p["via"]), ctx.related(p["role"]), p.get("name_setting", "name"))
        parent = parents[0] if parents else None
        if parent is not None:
            add(parent, p.get("settings"))
    port = _service_port(res, parent, spec.get("port", {}))
    if not groups:
        return Admission(ABSENT, reason="its security groups are not defined in the scanned code", evidence=[Evidence("its security groups are not defined in the scanned code")])
    evidence = []
    for group in groups:
        for opening in group_openings(ctx, group, spec.get("rules")):
            reaches = opening.ports.covers(port) if port is not None else (True if opening.ports.everything else None)
            if reaches:
                extra = f", which includes port {port}" if port is not None and opening.ports != PortRange(port, port) else ""
                evidence.append(Evidence(f"security group {group.address} admits {', '.join(opening.cidrs)} on {opening.ports.describe()}{extra}", locate(opening.holder, opening.path)))
    ports = [(port, port)] if port is not None else []
    listed = ", ".join(g.address for g in groups)
    if evidence:
        return Admission(EVERYONE, reason=f"its security group admits the whole internet on port {port}", admits="the whole internet", evidence=evidence, ports=ports)
    note = f"its security groups ({listed}) do not admit the internet on port {port if port is not None else '(unknown)'} today; one rule change would expose it"
    return Admission(NONE, reason=note, evidence=[Evidence(note)], ports=ports)


# --------------------------------------------------------------------------- combining


def admission(ctx: Context, res: Resource, sources: list[dict[str, Any]]) -> Admission:
    """Who the allow-lists admit: the first that admits everyone decides; otherwise any not
    known leaves it unknown, and any configured one limits it."""
    seen: list[Admission] = []
    for n, spec in enumerate(sources):
        if "addresses" in spec:
            got = _addresses(res, spec)
        elif "network_rules" in spec:
            got = _network_rules(ctx, res, spec)
        elif "flag" in spec:
            got = _flag(res, spec)
        elif "firewall" in spec:
            got = _firewall(ctx, res, spec, n)
        else:
            got = _security_groups(ctx, res, spec)
        if got.state == EVERYONE:
            return got
        seen.append(got)
    if any(a.state == UNKNOWN for a in seen):
        return Admission(UNKNOWN)
    configured = [a for a in seen if a.state in (SOME, NONE)]
    evidence = [e for a in seen for e in a.evidence]
    ports = [p for a in seen for p in a.ports]
    if configured:
        some = [a for a in configured if a.state == SOME]
        chosen = some or configured
        return Admission(
            SOME if some else NONE,
            reason="; ".join(a.reason for a in chosen if a.reason),
            admits=_join([a.admits for a in some if a.admits]),
            evidence=evidence,
            ports=ports,
        )
    where = next((a.where for a in seen if a.where is not None), None)
    return Admission(ABSENT, reason=" and ".join(a.reason for a in seen if a.reason), where=where, evidence=evidence, ports=ports)


def _format(template: str, fields: dict[str, Any]) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template


def _grade(res: Resource, entries_: list[dict[str, Any]]) -> tuple[Severity | None, list[Evidence]]:
    severity: Severity | None = None
    evidence: list[Evidence] = []
    for spec in entries_:
        value: Any = None
        for name in names(spec["setting"]):
            value, _ = read(res, name)
            if value is not None:
                break
        if isinstance(value, Unknown):
            continue
        if value is None:
            value = spec.get("default")
        applies = value is not None and loose_equal(value, spec["equals"])
        if applies:
            if severity is None and spec.get("severity"):
                severity = Severity.parse(spec["severity"])
            if spec.get("evidence"):
                evidence.append(Evidence(spec["evidence"]))
        elif spec.get("otherwise"):
            evidence.append(Evidence(spec["otherwise"]))
    return severity, evidence


@named_check("public-endpoint", ENDPOINT_PARAMS)
def public_endpoint(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A service whose public endpoint is on, not closed by a control, and admits everyone
    (or, as the rule chooses, some or no public address).

    The endpoint is public when every `switch` is on: its setting as written, in any of the
    words providers use (`true`/`false`, `Enabled`/`Disabled`), or its provider default when
    omitted (`default`, a version-dependent `default_before`, or `default_changed` to report
    an omitted switch whose default changed between provider versions). A control in
    `closed_when` closes it: a setting written (`delegated_subnet_id`), a setting's value
    (`private_cluster_enabled: true`), a resource that links to it (a firewall rule, a private
    endpoint: `linked`, types from `match.<format>.related`), an enforced organisation policy.
    Then the allow-lists in `allows` decide who gets in: address lists, network rule blocks
    (inline or a separate resource), flags, start-end firewall rules of the service, security
    groups on its port. The first that admits everyone decides (reported where it does: the
    open entry, the `Allow` action); an allow-list that is absent admits `absent` (everyone by
    default; reported on the list when it is written empty, else on the switch when that is
    written, else where the list would go). `report` maps the outcome (`everyone`,
    `some`, `none`) to a severity, a message and a verdict (`posture` for an endpoint one step
    from exposure); `severity_by` grades by other settings (keys
    disabled). A value that is not known leaves the endpoint unreported."""
    params = ctx.params
    switches = [read_switch(res, spec) for spec in params.get("switch", [])]
    main = switches[0] if switches else None
    fields: dict[str, Any] = {"resource": res.address, "type": res.type, "switch": "; ".join(s.text for s in switches), "port": "not known"}
    if main is not None and main.changed is not None:
        changed = main.changed
        fields["value"] = "not set"
        yield Hit(
            res,
            main.path,
            message=_format(changed["message"], fields) if changed.get("message") else None,
            evidence=[Evidence(changed["evidence"])],
            severity=Severity.parse(changed["severity"]),
            facts={"switch": fields["switch"]},
        )
        return
    if any(s.public is not True for s in switches):
        return  # a switch is off, or not known
    evidence = [Evidence(s.text) for s in switches if not s.explicit]
    shut, notes = closed(ctx, res, params.get("closed_when", []), main)
    if shut is not False:
        return
    got = admission(ctx, res, params.get("allows", []))
    if got.state == UNKNOWN:
        return
    state = got.state if got.state != ABSENT else params.get("absent", EVERYONE)
    report = params.get("report", {EVERYONE: {}})
    outcome = report.get(state)
    if outcome is None:
        return
    severity = Severity.parse(outcome["severity"]) if outcome.get("severity") else None
    graded, grading = _grade(res, params.get("severity_by", []))
    severity = graded or severity
    evidence = got.evidence + evidence + notes + grading
    fields.update(reason=got.reason, admits=got.admits or ("every address" if state == EVERYONE else "no public address"))
    if got.ports:
        fields["port"] = got.ports[0][0]
    facts = {k: v for k, v in fields.items() if k not in ("resource", "type")}
    if got.ports:
        facts["ports"] = got.ports
    if got.state == EVERYONE and got.places:
        places = got.places
    else:
        # an allow-list that is absent and so lets everyone in: shown on it when it is
        # written empty, else on the switch when that is written (it opened the endpoint),
        # else where the allow-list would go; other outcomes: on the switch
        where = got.where if got.state == ABSENT and state == EVERYONE else None
        if where is not None and _depth(res.attrs, where) == len(where):
            path: Path = where
        elif main is not None and (main.explicit or where is None):
            path = main.path
        else:
            path = where if where is not None else got.where or ()
        value = main.value if main is not None and main.explicit else True
        places = [Place(res, path, value, fields["admits"])]
    for place in places:
        own = {**fields, "admits": place.admits, "value": display(place.value) if not isinstance(place.value, str) else place.value}
        yield Hit(
            place.holder,
            place.path,
            subject=res if place.holder is not res else None,
            message=_format(outcome["message"], own) if outcome.get("message") else None,
            evidence=evidence,
            severity=severity,
            value=place.value,
            facts={**facts, "admits": place.admits, **_verdict(outcome, own)},
        )


@named_check("firewall-rule", FIREWALL_PARAMS)
def firewall_rule(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A start-end firewall rule of a database or service that admits the internet, alone or
    with the other rules of the same server, a very wide public range, or every Azure-hosted
    address.

    The rule's range is read from `start`/`end` (IPv4 addresses, through variables and
    tfvars). Its server is found through `server` (by reference, name or the last segment of
    an ID; types from `match.<format>.related.server`), and every rule of that server is
    judged together, through an index built once: rules whose ranges together hold
    (practically, 99% or more) every public address are reported as `internet` like one that
    does alone. A single range with at least `wide` public addresses is `wide`; private and
    reserved addresses are not counted. With `azure_services`, `0.0.0.0`-`0.0.0.0` is
    Azure's "allow Azure services" rule, reported as `azure_services` and never counted as an
    address. Nothing is reported when the server refuses public traffic (`server_switch` off
    or `server_closed_when`), or when a bound is not known. Messages may use {server},
    {range}, {how} and {rule}."""
    params = ctx.params
    start, end = params.get("start", "start_ip_address"), params.get("end", "end_ip_address")
    via, zero = names(params.get("server")), bool(params.get("azure_services"))
    index: FirewallIndex = ctx.memo(
        ("firewall-rule",),
        lambda: firewall_index(ctx.graph, ctx.clause.types, via, ctx.related("server"), start, end, zero),
    )
    group = index.by_rule.get(res.id)
    if group is None:
        return
    rng = next((r for r in group.ranges if r.res is res), None)
    if rng is None:
        return
    server = group.server
    evidence: list[Evidence] = []
    if server is not None:
        switches = [read_switch(server, spec) for spec in params.get("server_switch", [])]
        if any(s.public is False for s in switches):
            return  # the server refuses public traffic: its firewall rules are not used
        shut, _ = closed(ctx, server, params.get("server_closed_when", []), switches[0] if switches else None)
        if shut is not False:
            return
        evidence.append(Evidence(f"firewall rule of {server.address}", server.span))
        evidence.extend(Evidence(f"{server.address}: {s.text} (its public endpoint is on)") for s in switches if not s.explicit)
    report = params.get("report", {"internet": {}})
    label = params.get("label", "server")
    wide = int(params.get("wide", WIDE_RANGE))
    kind, how = None, ""
    if zero and rng.azure_services:
        kind = "azure_services"
        how = '0.0.0.0-0.0.0.0, "allow Azure services"'
    elif rng.public_size > 0:
        alone, together = group.internet()
        if rng in alone:
            kind, how = "internet", f"its range {rng.describe()} covers every internet address"
        elif rng in together:
            others = [r for r in together if r is not rng]
            kind, how = "internet", f"its range {rng.describe()} and {len(others)} other rule(s) of the same server together cover every internet address"
            evidence.extend(Evidence(f"also admits {o.describe()} ({o.res.address})", o.res.span) for o in others[:3])
        elif rng.public_size >= wide:
            kind, how = "wide", f"its range {rng.describe()} admits {rng.public_size:,} public addresses"
    if kind is None:
        return
    outcome = report.get(kind)
    if outcome is None:
        return
    fields = {
        "resource": res.address,
        "type": res.type,
        "server": f"{label} {server.address}" if server is not None else f"the {label} it belongs to",
        "range": rng.describe(),
        "how": how,
        "rule": res.address,
        "value": rng.describe(),
    }
    yield Hit(
        res,
        rng.path,
        subject=None,
        message=_format(outcome["message"], fields) if outcome.get("message") else None,
        evidence=evidence,
        severity=Severity.parse(outcome["severity"]) if outcome.get("severity") else None,
        value=rng.describe(),
        facts={**{k: v for k, v in fields.items() if k not in ("resource", "type")}, **_verdict(outcome, fields)},
    )
