"""Who can reach an Azure (azurerm) resource over the network.

Azure services are reachable on a public endpoint unless their configuration says
otherwise, so most questions here combine a provider default with an explicit setting:

* flags that read ``true``/``false`` or ``"Enabled"``/``"Disabled"`` and have a default
  when omitted (:func:`flag`);
* network ACL blocks (``network_acls``, ``network_rules``, ``network_rule_set``…) whose
  ``default_action`` is ``Allow`` or whose IP rules cover the internet (:func:`acl_opening`);
* server firewall rules written as a start and an end IPv4 address
  (:func:`firewall_range`, :func:`covers_internet`), where ``0.0.0.0``–``0.0.0.0`` is
  Azure's special rule that admits every Azure-hosted address;
* parents found by reference or by name (a container's storage account, a firewall
  rule's server: :func:`linked`, :func:`linked_children`).

An unknown value (a variable without a value, an attribute known only after apply) never
decides anything: the functions return ``None`` for it and rules stay silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from linter.checks import Hit
from linter.graph import Resource, ResourceGraph
from linter.internet import WIDE_RANGE, covers_internet, ipv4, ipv4_text, merge, public_addresses
from linter.internet import covers_world as world_entries
from linter.model import Evidence, Path, Severity
from linter.values import Unknown, display

# --------------------------------------------------------------------------- plain values


def to_bool(value: Any) -> bool | None:
    """``true``/``"true"``/``"Enabled"`` -> True, the opposites -> False, anything else -> None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "enabled", "enable", "yes"):
            return True
        if text in ("false", "disabled", "disable", "no"):
            return False
    return None


def is_set(value: Any) -> bool:
    """A value that is written and not empty (an Unknown counts: it will have a value)."""
    if isinstance(value, Unknown):
        return True
    return value is not None and value != "" and value != []


@dataclass
class Flag:
    """An on/off setting: its effective value (None when unknown), where it is, and whether written."""

    name: str
    value: bool | None
    path: Path
    explicit: bool
    default: bool | None = None
    raw: Any = None  # the value as written

    def describe(self) -> str:
        if self.explicit:
            written = self.raw if self.raw is not None else self.value
            return f"{self.name} = {display(written) if not isinstance(written, Unknown) else '(unknown)'}"
        shown = "true" if self.default else "false"
        return f"{self.name} is not set, so it defaults to {shown}"


def flag(attrs: Any, names: str | Iterable[str], default: bool | None, base: Path = ()) -> Flag:
    """The first of ``names`` that is set in ``attrs``; the default when none is."""
    names = (names,) if isinstance(names, str) else tuple(names)
    if isinstance(attrs, Unknown):
        return Flag(names[0], None, base, True, default)
    if isinstance(attrs, dict):
        for name in names:
            value = attrs.get(name)
            if value is None:
                continue
            if isinstance(value, Unknown):
                return Flag(name, None, base + (name,), True, default, value)
            return Flag(name, to_bool(value), base + (name,), True, default, value)
    return Flag(names[0], default, base + (names[0],), False, default)


def block(attrs: Any, name: str) -> tuple[Any, Path]:
    """A nested block (the first one when written as a list) and its path; None when absent."""
    if not isinstance(attrs, dict):
        return (attrs if isinstance(attrs, Unknown) else None), (name,)
    value = attrs.get(name)
    if isinstance(value, list):
        if not value:
            return None, (name,)
        return value[0], (name, 0)
    if isinstance(value, (dict, Unknown)):
        return value, (name,)
    return None, (name,)


def _root(res: Resource) -> str:
    return res.id.split("::", 1)[0]


# --------------------------------------------------------------------------- address lists


@dataclass
class Opening:
    truth: bool | None  # True: every network may connect; None: not known
    path: Path  # where it is decided (the action, the open IP entry, or the missing block)
    reason: str


def acl_opening(
    attrs: Any,
    block_name: str,
    *,
    action_key: str = "default_action",
    absent_block: str = "Allow",
    absent_action: str = "Allow",
    ip_lists: Iterable[tuple[str, str | None]] = (("ip_rules", None),),
    azure_zero: bool = False,
) -> Opening:
    """Does a network rule block let every network in?

    True when the block is absent and the service default then allows everything, when its
    default action is ``Allow``, or when the addresses it allows cover the internet.
    ``ip_lists`` names the lists of allowed addresses: (key, None) for a list of strings,
    (key, subkey) for a list of blocks holding the address in ``subkey``.
    """
    blk, path = block(attrs, block_name)
    if isinstance(blk, Unknown):
        return Opening(None, path, "")
    if not isinstance(blk, dict):
        if absent_block.lower() == "allow":
            return Opening(True, path, f"there is no {block_name} block, so every network is allowed")
        return Opening(False, path, "")
    action = blk.get(action_key)
    if isinstance(action, Unknown):
        return Opening(None, path + (action_key,), "")
    effective = action if isinstance(action, str) else absent_action
    if effective.strip().lower() == "allow":
        if action is None:
            return Opening(True, path, f"{block_name} sets no {action_key}, which defaults to Allow")
        return Opening(True, path + (action_key,), f'{block_name} {action_key} = "Allow" lets every network in')
    unknown = False
    for key, sub in ip_lists:
        values = blk.get(key)
        if values is None:
            continue
        if isinstance(values, Unknown):
            unknown = True
            continue
        if sub is None:
            truth, idx = world_entries(values, azure_zero)
            if truth:
                entry = path + (key,) + ((idx[0],) if len(idx) == 1 and isinstance(values, list) else ())
                return Opening(True, entry, f"{block_name} {key} allows {_entries(values, idx)}, the whole internet")
            unknown = unknown or truth is None
            continue
        rules = values if isinstance(values, list) else [values]
        addresses = [r.get(sub) if isinstance(r, dict) else r for r in rules]
        truth, idx = world_entries(addresses, azure_zero)
        if truth:
            at = path + (key, idx[0], sub) if len(idx) == 1 else path + (key,)
            return Opening(True, at, f"{block_name} {key} allows {_entries(addresses, idx)}, the whole internet")
        unknown = unknown or truth is None
    return Opening(None if unknown else False, path, "")


def _entries(values: Any, idx: list[int]) -> str:
    if isinstance(values, list):
        return ", ".join(str(values[i]) for i in idx) or display(values)
    return display(values)


# --------------------------------------------------------------------------- firewall ranges

@dataclass
class FirewallRange:
    res: Resource
    start: int
    end: int
    start_path: Path
    end_path: Path

    @property
    def azure_services(self) -> bool:
        return self.start == 0 and self.end == 0

    @property
    def public_size(self) -> int:
        return public_addresses(self.start, self.end)

    def describe(self) -> str:
        if self.start == self.end:
            return ipv4_text(self.start)
        return f"{ipv4_text(self.start)}-{ipv4_text(self.end)}"


def firewall_range(res: Resource, start_key: str = "start_ip_address", end_key: str = "end_ip_address") -> FirewallRange | None:
    """The range of a firewall rule resource; None when a bound is unknown or not an IPv4 address."""
    start, end = ipv4(res.attrs.get(start_key)), ipv4(res.attrs.get(end_key))
    if start is None or end is None or end < start:
        return None
    return FirewallRange(res, start, end, (start_key,), (end_key,))


# --------------------------------------------------------------------------- parents and children


def _name_of(value: Any, by_id: bool) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.rstrip("/").rsplit("/", 1)[-1] if by_id else value


def linked(graph: ResourceGraph, res: Resource, attrs: Iterable[str], types: Iterable[str], name_key: str = "name") -> list[Resource]:
    """The resources of ``types`` that ``res`` points at through one of ``attrs``.

    By reference first (``server_id = azurerm_mssql_server.main.id``); otherwise by a
    literal name (``server_name = "sql-main"``) or the last segment of a literal resource ID,
    matched against ``name_key`` of resources in the same configuration.
    """
    types = tuple(types)
    for attr in attrs:
        found = graph.references(res, attr, types)
        if found:
            return found
    for attr in attrs:
        name = _name_of(res.attrs.get(attr), attr.endswith("_id"))
        if name:
            root = _root(res)
            found = [p for p in graph.of_type(*types) if _root(p) == root and p.attrs.get(name_key) == name]
            if found:
                return found
    return []


def linked_children(graph: ResourceGraph, parent: Resource, types: Iterable[str], attrs: Iterable[str], name_key: str = "name") -> list[Resource]:
    """Resources of ``types`` whose ``attrs`` point at ``parent`` (by reference or by name)."""
    attrs = tuple(attrs)
    out = [c for c in graph.of_type(*types) if parent in linked(graph, c, attrs, (parent.type,), name_key)]
    return out


def private_endpoints_of(graph: ResourceGraph, res: Resource) -> list[Resource]:
    return graph.referrers(res, ("azurerm_private_endpoint",), "private_service_connection")


# --------------------------------------------------------------------------- firewall rules of database servers


@dataclass
class FirewallKind:
    """One family of firewall rule resources and the servers they belong to."""

    product: str  # "SQL server", "PostgreSQL server"…
    rule_types: tuple[str, ...]
    link_attrs: tuple[str, ...]
    server_types: tuple[str, ...]
    start_key: str = "start_ip_address"
    end_key: str = "end_ip_address"
    azure_zero: bool = True  # 0.0.0.0-0.0.0.0 means "allow Azure services"
    # the server's public network switch: names, default
    public_flag: tuple[str, ...] = ("public_network_access_enabled",)
    # settings of the server that place it in a virtual network with no public endpoint
    private_when_set: tuple[str, ...] = ()


SQL_FIREWALL = FirewallKind(
    "SQL server",
    ("azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule"),
    ("server_id", "server_name"),
    ("azurerm_mssql_server", "azurerm_sql_server"),
)
POSTGRESQL_FIREWALL = FirewallKind(
    "PostgreSQL server",
    ("azurerm_postgresql_firewall_rule", "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_cosmosdb_postgresql_firewall_rule"),
    ("server_id", "server_name", "cluster_id"),
    ("azurerm_postgresql_server", "azurerm_postgresql_flexible_server", "azurerm_cosmosdb_postgresql_cluster"),
    public_flag=("public_network_access_enabled", "coordinator_public_ip_access_enabled"),
    private_when_set=("delegated_subnet_id",),
)
MYSQL_FIREWALL = FirewallKind(
    "MySQL server",
    ("azurerm_mysql_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule"),
    ("server_id", "server_name"),
    ("azurerm_mysql_server", "azurerm_mysql_flexible_server"),
    public_flag=("public_network_access", "public_network_access_enabled"),
    private_when_set=("delegated_subnet_id",),
)
MARIADB_FIREWALL = FirewallKind(
    "MariaDB server",
    ("azurerm_mariadb_firewall_rule",),
    ("server_name",),
    ("azurerm_mariadb_server",),
)
SYNAPSE_FIREWALL = FirewallKind(
    "Synapse workspace",
    ("azurerm_synapse_firewall_rule",),
    ("synapse_workspace_id",),
    ("azurerm_synapse_workspace",),
)
REDIS_FIREWALL = FirewallKind(
    "Redis cache",
    ("azurerm_redis_firewall_rule",),
    ("redis_cache_name",),
    ("azurerm_redis_cache",),
    start_key="start_ip",
    end_key="end_ip",
    azure_zero=False,
    private_when_set=("subnet_id",),
)


@dataclass
class ServerRules:
    server: Resource | None
    ranges: list[FirewallRange] = field(default_factory=list)


def firewall_rules_by_server(graph: ResourceGraph, kind: FirewallKind) -> list[ServerRules]:
    """The known firewall ranges grouped by the server they belong to (None: server not found)."""
    groups: dict[str, ServerRules] = {}
    for res in graph.of_type(*kind.rule_types):
        rng = firewall_range(res, kind.start_key, kind.end_key)
        if rng is None:
            continue
        servers: Sequence[Resource | None] = linked(graph, res, kind.link_attrs, kind.server_types)
        for server in servers or [None]:
            key = server.id if server is not None else f"?{res.id}"
            groups.setdefault(key, ServerRules(server)).ranges.append(rng)
    return list(groups.values())


def server_public_flag(server: Resource | None, kind: FirewallKind) -> Flag | None:
    """The server's public network switch; False also when the server sits in a virtual network."""
    if server is None:
        return None
    for name in kind.private_when_set:
        if is_set(server.attrs.get(name)):
            return Flag(name, False, (name,), True, None)
    return flag(server.attrs, kind.public_flag, True)


def firewall_open_hits(graph: ResourceGraph, kind: FirewallKind) -> Iterator[Hit]:
    """Firewall rules that admit the whole internet (critical) or a very wide public range (high)."""
    for group in firewall_rules_by_server(graph, kind):
        public = server_public_flag(group.server, kind)
        if public is not None and public.value is False:
            continue  # the server refuses public traffic: its firewall rules are not used
        counted = [r for r in group.ranges if not (kind.azure_zero and r.azure_services) and r.public_size > 0]
        alone = [r for r in counted if covers_internet([(r.start, r.end)])]
        rest = [r for r in counted if r not in alone]
        together: list[FirewallRange] = []
        if not alone and covers_internet((r.start, r.end) for r in rest):
            # the rules without which the union would no longer cover everything
            together = [r for r in rest if not covers_internet((o.start, o.end) for o in rest if o is not r)] or rest
        where = f"{kind.product} {group.server.address}" if group.server is not None else f"the {kind.product} it belongs to"
        for rng in counted:
            evidence: list[Evidence] = []
            if group.server is not None:
                evidence.append(Evidence(f"firewall rule of {group.server.address}", group.server.span))
                if public is not None and not public.explicit:
                    evidence.append(Evidence(f"{group.server.address}: {public.describe()}, so its public endpoint is on"))
            if rng in alone:
                severity, how = Severity.CRITICAL, f"its range {rng.describe()} covers every internet address"
            elif rng in together:
                others = [r for r in together if r is not rng]
                severity, how = Severity.CRITICAL, f"its range {rng.describe()} and {len(others)} other rule(s) of the same server together cover every internet address"
                for other in others[:3]:
                    evidence.append(Evidence(f"also admits {other.describe()} ({other.res.address})", other.res.span))
            elif rng.public_size >= WIDE_RANGE:
                severity, how = Severity.HIGH, f"its range {rng.describe()} admits {rng.public_size:,} public addresses"
            else:
                continue
            yield Hit(
                rng.res,
                rng.start_path,
                message=f"{where} is open to the internet through firewall rule {rng.res.address}: {how}",
                evidence=evidence,
                severity=severity,
                value=rng.describe(),
            )


def azure_services_hits(graph: ResourceGraph, kinds: Iterable[FirewallKind]) -> Iterator[Hit]:
    """The 0.0.0.0-0.0.0.0 rule: every address of every Azure tenant may connect."""
    for kind in kinds:
        for group in firewall_rules_by_server(graph, kind):
            public = server_public_flag(group.server, kind)
            if public is not None and public.value is False:
                continue
            for rng in group.ranges:
                if not rng.azure_services:
                    continue
                where = f"{kind.product} {group.server.address}" if group.server is not None else f"the {kind.product} it belongs to"
                evidence = [Evidence(f"firewall rule of {group.server.address}", group.server.span)] if group.server is not None else []
                yield Hit(
                    rng.res,
                    rng.start_path,
                    message=f"{where} admits connections from any Azure-hosted address, including other customers' resources, through firewall rule {rng.res.address} (0.0.0.0-0.0.0.0, \"allow Azure services\")",
                    evidence=evidence,
                    value=rng.describe(),
                )


def public_endpoint_hits(
    graph: ResourceGraph,
    kinds: Iterable[FirewallKind],
    server_types: Iterable[str],
    label: str,
    private_when_set: tuple[str, ...] = (),
) -> Iterator[Hit]:
    """Servers whose public endpoint is on and admits public addresses through firewall rules.

    Without firewall rules these servers refuse every public client, so a server is
    reported only when at least one of its rules admits a public address (the Azure
    services rule included). ``private_when_set`` names settings that put the server in a
    virtual network instead (``delegated_subnet_id``).
    """
    groups: dict[str, list[tuple[FirewallKind, FirewallRange]]] = {}
    for kind in kinds:
        for group in firewall_rules_by_server(graph, kind):
            if group.server is None:
                continue
            for rng in group.ranges:
                if rng.azure_services or rng.public_size > 0:
                    groups.setdefault(group.server.id, []).append((kind, rng))
    for server in graph.of_type(*server_types):
        entries = groups.get(server.id)
        if not entries:
            continue
        kind = entries[0][0]
        if any(is_set(server.attrs.get(name)) for name in private_when_set + kind.private_when_set):
            continue
        public = flag(server.attrs, kind.public_flag, True)
        if public.value is not True:
            continue
        shown = [("Azure services (0.0.0.0)" if r.azure_services else r.describe()) for _, r in entries]
        evidence = [Evidence(f"firewall rule {r.res.address} admits {'every Azure-hosted address' if r.azure_services else r.describe()}", r.res.span) for _, r in entries[:4]]
        if len(entries) > 4:
            evidence.append(Evidence(f"and {len(entries) - 4} more firewall rules"))
        how = public.describe()
        yield Hit(
            server,
            public.path,
            message=f"{label} {server.address} has a public endpoint ({how}) that its firewall opens to {', '.join(shown[:3])}{' and more' if len(shown) > 3 else ''}",
            evidence=evidence,
            value=True,
        )


# --------------------------------------------------------------------------- storage

STORAGE_ACCOUNT = "azurerm_storage_account"


def storage_account_of(graph: ResourceGraph, res: Resource) -> list[Resource]:
    """The storage account a container (or network rules resource) belongs to."""
    return linked(graph, res, ("storage_account_id", "storage_account_name"), (STORAGE_ACCOUNT,))


def nested_items_public(account: Resource) -> Flag:
    """Whether the account lets containers opt into anonymous access.

    azurerm v3/v4 call it ``allow_nested_items_to_be_public`` (default true); v2 called it
    ``allow_blob_public_access`` (default false). With neither written, the v3/v4 default
    applies.
    """
    attrs = account.attrs
    if attrs.get("allow_nested_items_to_be_public") is None and attrs.get("allow_blob_public_access") is not None:
        return flag(attrs, "allow_blob_public_access", False)
    return flag(attrs, "allow_nested_items_to_be_public", True)


@dataclass
class NetworkState:
    open: bool | None
    holder: Resource  # the resource to report in
    path: Path
    reason: str
    evidence: list[Evidence] = field(default_factory=list)


def storage_network(graph: ResourceGraph, account: Resource) -> NetworkState:
    """Can every network reach the account (public network access on, and its rules allow all)?"""
    public = flag(account.attrs, "public_network_access_enabled", True)
    if public.value is not True:
        return NetworkState(public.value, account, public.path, public.describe())
    separate = linked_children(graph, account, ("azurerm_storage_account_network_rules",), ("storage_account_id", "storage_account_name"))
    if separate:
        rules = separate[0]
        opening = acl_opening({"network_rules": [rules.attrs]}, "network_rules")
        path = opening.path[2:]
        reason = opening.reason.replace("network_rules ", f"{rules.address} ")
        return NetworkState(opening.truth, rules, path, reason, [Evidence(f"network rules of {account.address}", account.span)])
    opening = acl_opening(account.attrs, "network_rules")
    if opening.truth and not isinstance(account.attrs.get("network_rules"), list) and public.explicit:
        return NetworkState(True, account, public.path, f"{public.describe()} and {opening.reason}")
    return NetworkState(opening.truth, account, opening.path, opening.reason)


# --------------------------------------------------------------------------- network security groups

NSG = "azurerm_network_security_group"
NSG_RULE = "azurerm_network_security_rule"


@dataclass
class NsgRule:
    holder: Resource  # the NSG (inline rule) or the azurerm_network_security_rule
    base: Path  # path of the rule inside holder
    rule: dict[str, Any]
    group: Resource | None

    def get(self, key: str) -> Any:
        return self.rule.get(key)

    def text(self, key: str) -> str | None:
        value = self.rule.get(key)
        return value.strip().lower() if isinstance(value, str) else None

    @property
    def priority(self) -> int | None:
        value = self.rule.get("priority")
        try:
            return int(value) if value is not None and not isinstance(value, (bool, Unknown)) else None
        except (TypeError, ValueError):
            return None


def nsg_rules(graph: ResourceGraph) -> list[NsgRule]:
    """Every security rule: inline ``security_rule`` blocks and standalone rule resources."""
    out: list[NsgRule] = []
    for group in graph.of_type(NSG):
        rules = group.attrs.get("security_rule")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict):
                out.append(NsgRule(group, ("security_rule", i), rule, group))
    for res in graph.of_type(NSG_RULE):
        groups = linked(graph, res, ("network_security_group_name",), (NSG,))
        out.append(NsgRule(res, (), res.attrs, groups[0] if groups else None))
    return out


def nsg_internet_source(rule: NsgRule) -> tuple[bool | None, Path, list[str]]:
    """Whether the rule's source is the whole internet (``*``, ``Internet``, ``0.0.0.0/0``…)."""
    single = rule.get("source_address_prefix")
    many = rule.get("source_address_prefixes")
    unknown = False
    if single is not None:
        truth, _ = world_entries([single])
        if truth:
            return True, rule.base + ("source_address_prefix",), [str(single)]
        unknown = truth is None
    if many is not None:
        truth, idx = world_entries(many)
        if truth:
            return True, rule.base + ("source_address_prefixes",), [str(many[i]) for i in idx]
        unknown = unknown or truth is None
    return (None if unknown else False), rule.base, []


def nsg_port_ranges(rule: NsgRule) -> list[tuple[int, int, bool]] | None:
    """The destination port ranges (from, to, all ports); None when any of them is unknown."""
    from linter.checks.network import parse_port_range

    values: list[Any] = []
    single = rule.get("destination_port_range")
    if single is not None:
        values.append(single)
    many = rule.get("destination_port_ranges")
    if isinstance(many, Unknown):
        return None
    if isinstance(many, list):
        values.extend(many)
    out = []
    for value in values:
        if isinstance(value, Unknown):
            return None
        lo, hi, everything = parse_port_range(value)
        if lo is None or hi is None:
            return None
        out.append((lo, hi, everything))
    return out


def _covers_ports(outer: list[tuple[int, int, bool]], inner: list[tuple[int, int, bool]]) -> bool:
    merged = merge((lo, hi) for lo, hi, _ in outer)
    return all(any(a <= lo and hi <= b for a, b in merged) for lo, hi, _ in inner)


def nsg_denied_first(rule: NsgRule, ports: list[tuple[int, int, bool]], others: list[NsgRule]) -> NsgRule | None:
    """An inbound Deny rule of the same group, evaluated first, that blocks the same internet traffic."""
    mine = rule.priority
    if mine is None or rule.group is None:
        return None
    protocol = rule.text("protocol") or "*"
    for other in others:
        if other is rule or other.group is not rule.group:
            continue
        if other.text("direction") != "inbound" or other.text("access") != "deny":
            continue
        theirs = other.priority
        if theirs is None or theirs >= mine:
            continue
        if (other.text("protocol") or "*") not in ("*", protocol):
            continue
        if nsg_internet_source(other)[0] is not True:
            continue
        blocked = nsg_port_ranges(other)
        if blocked is not None and _covers_ports(blocked, ports):
            return other
    return None
