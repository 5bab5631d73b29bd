"""How the internet reaches a resource: public addresses, internet-facing fronts, and what
the security groups or firewall rules in front of it admit.

A resource is reachable from the internet on a port when three things hold together:

* it has a **public address**: its own (a flag that asks for one, an Elastic IP that links
  to it, a switch such as ``ip_address_type = "Public"``, a network interface with an
  access config), one its **subnet** gives it (a subnet that maps public IPs on launch and
  routes the internet to an internet gateway, through its own route table or its
  network's main one), the **default network** it lands in when it names no subnet, or an
  **internet-facing front** it sits behind (a load balancer whose scheme is not internal);
* what **filters** its traffic admits the internet on that port: the security groups it
  names (or the default group it gets when it names none), read through
  :func:`linter.checks.ingress.entries_of`; firewall rules of its network that target it;
  rules the resource writes itself; a port the service opens on its own (EKS remote
  access); or nothing at all (a container group has no firewall);
* something **listens** there: a listener, a published container port (when the rule
  names them), or whatever the filter lets through.

The model (:class:`Reach`) is built once per graph, rule and clause and answers the
questions other checks ask too: :func:`public_address` of a resource, :func:`attached_to`
(what uses a security group, or what a firewall rule applies to),
:meth:`Reach.public_subnet`, :meth:`Reach.internet_routes`. Resource types come from the
rule's ``match.<format>.related`` roles (``subnet``, ``route_table``, ``group``…); the
settings that hold each fact are params, with AWS's names as defaults where a provider's
network model is fixed (subnets, route tables, routes). Unknown values never decide: an
address or a route that is not known leaves the answer unknown, and unknown is reported
only where a rule says so (``placement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from linter.checks import Context, named_check
from linter.checks.endpoints import _CLOSER, _SWITCH, closed, read_switch, shown
from linter.checks.ingress import PARAMS as INGRESS_PARAMS
from linter.checks.ingress import Entry, entries_of
from linter.conditions import Condition, compile_condition
from linter.evaluation import Hit
from linter.graph import Resource
from linter.internet import world_networks
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.ports import ALL, Grade, PortRange, as_port, grade, parse_ports
from linter.settings import setting_values
from linter.values import JsonString, Unknown, display, on_off, truth

Truth = bool | None

# --------------------------------------------------------------------------- params schema

_NAME = {"type": "string", "minLength": 1}
_NAMES = {"type": "array", "items": _NAME, "minItems": 1}
_SEVERITY = {"enum": ["critical", "high", "medium", "low", "none"]}
_ROLE = {**_NAME, "description": "a role of `match.<format>.related`"}

# how entries are read, as the internet-ingress check reads them (minus what names a group in messages)
_ENTRY_PROPS = {k: v for k, v in INGRESS_PARAMS["properties"].items() if k in ("entries", "only", "sources", "missing_sources", "protocol", "protocols", "ports", "action", "order", "group")}
_ENTRIES = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sources", "ports"],
    "properties": {**_ENTRY_PROPS},
}
_ROLE_ENTRIES = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role", "sources", "ports"],
    "properties": {"role": {**_ROLE, "description": "the role whose resources hold these entries (a group's inline rules, a rule resource)"}, **_ENTRY_PROPS},
}

NETWORK_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "How subnets, route tables and routes are written (defaults: AWS's names). Roles: `subnet`, `network` (VPCs), "
        "`association` (route table associations), `route_table`, `route` (route resources), `gateway` (internet gateways), "
        "`main_association` (main route table associations)."
    ),
    "properties": {
        "public_ip": {**_NAME, "description": "the subnet setting that gives every instance a public address on launch (default `map_public_ip_on_launch`)"},
        "subnet_network": {**_NAME, "description": "the subnet setting naming its network (default `vpc_id`)"},
        "association_subnet": {**_NAME, "description": "the association setting naming its subnet (default `subnet_id`)"},
        "route_table": {**_NAME, "description": "the setting of an association, a route or a main association naming its route table (default `route_table_id`); a route whose table is a network is in the network's main table"},
        "inline_routes": {**_NAME, "description": "a route table's inline routes (default `route`)"},
        "destinations": {**_NAMES, "description": "route settings holding the destination (default `cidr_block`, `ipv6_cidr_block`, `destination_cidr_block`, `destination_ipv6_cidr_block`)"},
        "gateway": {**_NAME, "description": "the route setting naming its target gateway (default `gateway_id`)"},
        "gateway_prefix": {**_NAME, "description": "the ID prefix of an internet gateway written as a literal (default `igw-`)"},
        "main_network": {**_NAME, "description": "the main association's setting naming its network (default `vpc_id`)"},
        "default_table_network": {**_NAME, "description": "the setting of a route table that manages a network's default (main) table (default `default_route_table_id`)"},
    },
}
_NETWORK_DEFAULTS: dict[str, Any] = {
    "public_ip": "map_public_ip_on_launch",
    "subnet_network": "vpc_id",
    "association_subnet": "subnet_id",
    "route_table": "route_table_id",
    "inline_routes": "route",
    "destinations": ["cidr_block", "ipv6_cidr_block", "destination_cidr_block", "destination_ipv6_cidr_block"],
    "gateway": "gateway_id",
    "gateway_prefix": "igw-",
    "main_network": "vpc_id",
    "default_table_network": "default_route_table_id",
}

ADDRESS_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "How the resource gets a public address. Setting names may hold `[*]` (every element of a list).",
    "properties": {
        "flags": {**_NAMES, "description": "settings that ask for a public address when true (or when a block is written: an access config) and refuse one when false"},
        "linked": {
            "type": "array",
            "description": "resources that give it a public address by linking to it (Elastic IPs)",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "via"],
                "properties": {"role": _ROLE, "via": {**_NAMES, "description": "their settings naming this resource"}},
            },
        },
        "names": {
            "type": "array",
            "description": "public address resources it names (an Azure network interface's `ip_configuration[*].public_ip_address_id`): naming one that meets `where` gives it a public address",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "via"],
                "properties": {
                    "role": _ROLE,
                    "via": {**_NAME, "description": "its setting naming them (`[*]` allowed)"},
                    "where": {"type": "object", "description": "a condition on the named resource (a SKU that is reachable at all); not met or not known: not a public address known from the code"},
                },
            },
        },
        "subnets": {**_NAMES, "description": "settings naming its subnets (role `subnet`): a public subnet gives it an address, and subnets that all have no route from the internet make an address useless"},
        "default_network": {"type": "boolean", "description": "when no subnet is named it is launched in the default network, whose subnets give public addresses and route the internet, unless one of its groups belongs to a network of the scanned code (`groups.network`)"},
        "switch": {"type": "array", "items": _SWITCH, "description": "settings whose value makes it public (`ip_address_type = \"Public\"`, a scheme), read as the public-endpoint check reads them, with their defaults"},
        "closed_when": {"type": "array", "items": _CLOSER, "description": "settings that keep it off the internet whatever the switch says (placed in a subnet)"},
        "always": {"type": "string", "minLength": 10, "description": "it always has a public address; the sentence says so in the evidence"},
    },
}

GROUPS_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["settings", "entries"],
    "description": "The security groups that filter its traffic (role `group`), read on the front when there is one.",
    "properties": {
        "settings": {**_NAMES, "description": "settings naming its groups (by reference, name or ID; `[*]` allowed)"},
        "entries": {"type": "array", "minItems": 1, "items": _ROLE_ENTRIES, "description": "how each role's resources write the groups' entries, as the internet-ingress check reads them (`group` settings name the group of a rule resource)"},
        "unnamed": {
            "oneOf": [
                {"enum": ["admit", "closed"]},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["default"],
                    "properties": {
                        "default": {**_ROLE, "description": "the role of the default group a resource gets when it names none (the configuration's own)"},
                        "when": {"type": "object", "description": "a condition on the holder: the default group applies only when it holds; otherwise nothing filters"},
                    },
                },
            ],
            "description": "when it names no group: `admit` (nothing filters its traffic), `closed` (nothing reaches it: an Azure Standard public address denies inbound traffic no NSG allows), or the default group of its configuration (default: `admit`)",
        },
        "attachments": {
            "type": "array",
            "description": "resources that attach groups to it (or to its subnet) from outside: an Azure network interface's or subnet's NSG association",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "via", "group"],
                "properties": {
                    "role": {**_ROLE, "description": "the attaching resources' role"},
                    "via": {**_NAME, "description": "their setting naming what the group is attached to"},
                    "group": {**_NAME, "description": "their setting naming the group"},
                    "through": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["setting", "role"],
                        "description": "the group is attached to something it names (its subnet), not to itself",
                        "properties": {"setting": {**_NAME, "description": "its setting naming it (`[*]` allowed)"}, "role": _ROLE},
                    },
                },
            },
        },
        "missing": {"enum": ["admit", "ignore"], "description": "a named group not in the scanned code: assumed to admit everything (`admit`), or left out (`ignore`, the default)"},
        "network": {**_NAME, "description": "the group setting naming its network (role `network`), for `address.default_network`"},
    },
}

FIREWALLS_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role", "entries", "network", "interfaces"],
    "description": "Firewall rules of its network that target it (Google Cloud VPC firewalls).",
    "properties": {
        "role": {**_ROLE, "description": "the firewall rules' role"},
        "entries": {**_ENTRIES, "description": "how a firewall rule writes what it admits, as the internet-ingress check reads it"},
        "network": {**_NAME, "description": "the rule's setting naming its network (by reference or name)"},
        "interfaces": {**_NAME, "description": "the resource's list of network interfaces"},
        "interface_network": {**_NAME, "description": "an interface's network (default `network`)"},
        "interface_subnetwork": {**_NAME, "description": "an interface's subnetwork (role `subnetwork`), whose own `network` setting names the network (default `subnetwork`)"},
        "default_network": {**_NAME, "description": "the network's name when an interface names neither (default `default`)"},
        "targets": {
            "type": "array",
            "description": "how a rule narrows the resources it applies to: a rule with none of these settings applies to every resource of its network",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "resource"],
                "properties": {"rule": {**_NAME, "description": "the rule's setting (`target_tags`)"}, "resource": {**_NAME, "description": "the resource's setting it must share a value with (`tags`; `[*]` allowed)"}},
            },
        },
    },
}

PARAMS: dict[str, Any] = {
    "required": ["what"],
    "properties": {
        "what": {"type": "string", "minLength": 2, "description": "what the resource is, in messages (`EC2 instance`)"},
        "address": ADDRESS_PARAMS,
        "front": {
            "type": "object",
            "additionalProperties": False,
            "required": ["role", "via", "switch"],
            "description": "it is reached through a front it belongs to (a listener's load balancer): the front must be internet-facing",
            "properties": {
                "role": _ROLE,
                "via": {**_NAMES, "description": "settings naming the front"},
                "switch": {"type": "array", "items": _SWITCH, "description": "the front's settings that make it internet-facing (`internal = false`, the default)"},
                "only": {"type": "object", "description": "a condition the front must meet to count (not a gateway load balancer)"},
                "named": {
                    "type": "array",
                    "description": "resources linked to the front that the evidence names, or says are absent (a web application firewall association); they do not change the finding",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["role", "link", "present", "absent"],
                        "properties": {
                            "role": _ROLE,
                            "link": {**_NAMES, "description": "their settings that point at the front"},
                            "present": {**_NAME, "description": "the evidence when one is found: `{related}` names them"},
                            "absent": {**_NAME, "description": "the evidence when none is found in the scanned code"},
                        },
                    },
                },
            },
        },
        "network": NETWORK_PARAMS,
        "groups": GROUPS_PARAMS,
        "firewalls": FIREWALLS_PARAMS,
        "own": {**_ENTRIES, "description": "the resource writes its own entries (a Lightsail instance's public ports), read as the internet-ingress check reads them"},
        "opens": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ports", "at", "why"],
            "description": "the service opens these ports to the whole internet itself (EKS remote access without source security groups; the clause's `when` says when); one finding, shown on `at`",
            "properties": {
                "ports": {"type": "array", "minItems": 1, "items": {"type": ["integer", "string"]}, "description": "the ports, in any spelling (`22`, `\"1000-2000\"`)"},
                "at": {**_NAME, "description": "the setting that opens them, where the finding is shown"},
                "why": {"type": "string", "minLength": 10, "description": "evidence: how the service opens them"},
            },
        },
        "published": {
            "type": "array",
            "minItems": 1,
            "description": "what listens: the first source that holds ports decides (a load balancer's listener, a container group's exposed ports else its containers' ports); one finding per published port. Without it, whatever the filter admits is reachable.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["port"],
                "properties": {
                    "list": {**_NAME, "description": "a list of blocks, each publishing a port (`[*]` allowed); omitted: the resource itself publishes one"},
                    "port": {**_NAME, "description": "the port setting (in the block)"},
                    "protocol": {**_NAME, "description": "the protocol setting (in the block), for messages"},
                    "backend": {**_NAME, "description": "the port traffic is forwarded to (in the block): graded too"},
                    "backends": {
                        "type": "array",
                        "description": "resources traffic is forwarded to, whose ports are graded too (a listener's target groups)",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["role", "via", "port"],
                            "properties": {"role": _ROLE, "via": {**_NAMES, "description": "settings naming them (`[*]` allowed)"}, "port": {**_NAME, "description": "their port setting"}},
                        },
                    },
                },
            },
        },
        "placement": {
            "type": "object",
            "additionalProperties": False,
            "description": "what is reported for each state of the public address: `report` (graded by port), `none`, or a severity with a verdict; defaults: public `report`, unknown `none`, none `none`",
            "properties": {
                state: {
                    "oneOf": [
                        {"enum": ["report", "none"]},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["severity"],
                            "properties": {"severity": _SEVERITY, "verdict": {"enum": ["posture", "conditional"], "description": "the finding's verdict"}, "evidence": {"type": "string", "minLength": 10}},
                        },
                    ]
                }
                for state in ("public", "unknown", "none")
            },
        },
        "unreached": {
            "type": "object",
            "additionalProperties": False,
            "description": (
                "Report the other side instead: a resource whose public address is known and that nothing reaches at `grades` (what a rule with the same "
                "params reports) gets one finding where its address is decided, with the rule's severity and verdict (a posture: one rule away). "
                "Openings the grades leave out (web ports) are named in the evidence. Not reported when the address or the filter is not known."
            ),
            "properties": {
                "evidence": {"type": "string", "minLength": 10, "description": "one sentence of evidence added to each finding"},
                "users": {**_ROLE, "description": "resources that use it (a virtual machine using a network interface), named in the evidence"},
            },
        },
        "grades": {  # as internet-ingress grades ports; ICMP is not read here, and all ports stay critical
            **INGRESS_PARAMS["properties"]["grades"],
            "description": "The severity for each grade of the reached ports (linter/ports.py): critical (all ports, remote administration, a database/admin port), high (wide or unknown ranges), medium (other ports), web (80/443 alone). `none` means not reported. Defaults: critical, high, medium, none.",
            "properties": {k: v for k, v in INGRESS_PARAMS["properties"]["grades"]["properties"].items() if k not in ("icmp", "all")},
        },
        "note": {"type": "string", "minLength": 10, "description": "one sentence of evidence added to every finding"},
    },
}

SUBNET_PARAMS: dict[str, Any] = {
    "properties": {
        "network": NETWORK_PARAMS,
    },
}

# --------------------------------------------------------------------------- the model


class Address(Struct):
    """Whether a resource has a public address (None: not known), where that is decided in
    the resource, and why, in evidence."""

    public: Truth
    path: Path = ()
    evidence: list[Evidence] = field(default_factory=list)
    how: str = ""


class Route(Struct):
    """A route that sends the whole internet to an internet gateway."""

    holder: Resource  # the route table (inline route) or the route resource
    path: Path  # the destination, in holder
    destination: str
    gateway: Resource | None  # the internet gateway, when it is in the code
    table: Resource | None

    def evidence(self) -> Evidence:
        gw = self.gateway.address if self.gateway is not None else "an internet gateway"
        where = f"route table {self.table.address}" if self.table is not None else self.holder.address
        via = f" ({self.holder.address})" if self.table is not None and self.holder is not self.table else ""
        return Evidence(f"{where} sends {self.destination} to {gw}{via}", locate(self.holder, self.path))


class Opening(Struct, eq=False):
    """Entries of a filter that admit the whole internet, with what they belong to."""

    what: str  # "security group", "firewall rule"
    owner: Resource  # the group or rule
    entry: Entry
    certain: bool = True  # False: whether it allows, admits the internet or applies is not known

    def ranges(self) -> list[PortRange]:
        return [r for _, r in self.entry.protocols]

    def covers(self, port: int) -> Truth:
        truth_: Truth = False
        for r in self.ranges():
            c = r.covers(port)
            if c:
                return True
            if c is None:
                truth_ = None
        return truth_

    def evidence(self) -> list[Evidence]:
        """Where it admits the internet, and where the deciding sources were set (a
        parameter's default decides the verdict as much as a value of the resource)."""
        ports = ", ".join(dict.fromkeys(r.describe() for r in self.ranges())) or "no port"
        holder = self.entry.holder
        out = [Evidence(f"{self.what} {self.owner.address} admits {', '.join(self.entry.sources)} on {ports}", locate(holder, self.entry.source_path))] if self.what else []
        if holder.origins is not None and self.entry.source_path:
            out.extend(holder.origins(self.entry.source_path))
        return out


def _params(ctx: Context, key: str) -> dict[str, Any]:
    value = ctx.params.get(key)
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


class Reach:
    """How the internet reaches resources, for one rule clause: its roles and params."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.graph = ctx.graph
        self.net = {**_NETWORK_DEFAULTS, **_params(ctx, "network")}
        self._routes: dict[str, tuple[Truth, list[Route]]] = {}
        self._tables: dict[str, tuple[list[Route], bool]] = {}
        self._openings: dict[str, list[Opening]] | None = None
        self._conditions: dict[str, Condition] = {}

    def role(self, name: str) -> tuple[str, ...]:
        return self.ctx.related(name)

    def condition(self, spec: Any, where: str) -> Condition:
        key = repr(spec)
        if key not in self._conditions:
            self._conditions[key] = compile_condition(spec, where)
        return self._conditions[key]

    # ------------------------------------------------------------------ routes and subnets

    def _gateway(self, holder: Resource, path: Path) -> tuple[Truth, Resource | None]:
        """Is the route's target (at ``path``) an internet gateway?"""
        value = value_at(holder.attrs, path)
        if value is None:
            return False, None
        found = self.graph.linked_at(holder, path, self.role("gateway"), by_name=False)
        if found:
            return True, found[0]
        if isinstance(value, Unknown):
            return (False, None) if value.ref else (None, None)
        if isinstance(value, str) and not isinstance(value, JsonString):
            return value.strip().startswith(self.net["gateway_prefix"]), None
        return False, None

    def _routes_in(self, holder: Resource, base: Path, table: Resource | None) -> tuple[list[Route], bool]:
        """Internet routes written in one route (``base`` in ``holder``); and whether one is not known."""
        found: list[Route] = []
        unknown = False
        data = value_at(holder.attrs, base)
        if isinstance(data, Unknown):
            return [], True
        if not isinstance(data, dict):
            return [], False
        gateway_path = base + (self.net["gateway"],) if base else holder.setting_path(self.net["gateway"])
        for key in self.net["destinations"]:
            path = base + (key,) if base else holder.setting_path(key)
            value = value_at(holder.attrs, path)
            if value is None:
                continue
            world: Truth = None if isinstance(value, Unknown) else world_networks([value])[0]
            if world is False:
                continue
            is_igw, gw = self._gateway(holder, gateway_path)
            if is_igw is False:
                continue
            if world is None or is_igw is None:
                unknown = True
                continue
            found.append(Route(holder, path, str(value), gw, table))
        return found, unknown

    def table_routes(self, table: Resource) -> tuple[list[Route], bool]:
        """Routes of a route table that send the whole internet to an internet gateway (inline
        and route resources); and whether some route's destination or target is not known."""
        if table.id in self._tables:
            return self._tables[table.id]
        routes: list[Route] = []
        unknown = False
        for path, inline in setting_values(table, self.net["inline_routes"]):
            if isinstance(inline, Unknown):
                unknown = True
                continue
            for i, _ in enumerate(inline if isinstance(inline, list) else []):
                more, unk = self._routes_in(table, path + (i,), table)
                routes.extend(more)
                unknown = unknown or unk
        for route in self.graph.linked_from(table, self.role("route"), self.net["route_table"]):
            more, unk = self._routes_in(route, (), table)
            routes.extend(more)
            unknown = unknown or unk
        self._tables[table.id] = (routes, unknown)
        return routes, unknown

    def _main_routes(self, network: Resource) -> tuple[list[Route], bool]:
        """Internet routes of a network's main route table, as far as the code manages it."""
        tables: list[Resource] = []
        for main in self.graph.linked_from(network, self.role("main_association"), self.net["main_network"]):
            tables.extend(t for t in self.graph.linked(main, self.net["route_table"], self.role("route_table")) if t not in tables)
        tables.extend(t for t in self.graph.linked_from(network, self.role("route_table"), self.net["default_table_network"]) if t not in tables)
        routes: list[Route] = []
        unknown = False
        for table in tables:
            more, unk = self.table_routes(table)
            routes.extend(more)
            unknown = unknown or unk
        # a route whose table is the network itself (aws_vpc.main.main_route_table_id)
        for route in self.graph.linked_from(network, self.role("route"), self.net["route_table"]):
            more, unk = self._routes_in(route, (), None)
            routes.extend(more)
            unknown = unknown or unk
        return routes, unknown

    def internet_routes(self, subnet: Resource) -> tuple[Truth, list[Route]]:
        """Does the subnet's route table send the internet to an internet gateway? The table
        is the one associated with the subnet, else its network's main table; None when the
        association, the table or a route is not known from the code."""
        if subnet.id in self._routes:
            return self._routes[subnet.id]
        routes: list[Route] = []
        unknown = False
        associations = self.graph.linked_from(subnet, self.role("association"), self.net["association_subnet"])
        if associations:
            for assoc in associations:
                tables = self.graph.linked(assoc, self.net["route_table"], self.role("route_table"))
                unknown = unknown or not tables
                for table in tables:
                    more, unk = self.table_routes(table)
                    routes.extend(more)
                    unknown = unknown or unk
        else:
            networks = self.graph.linked(subnet, self.net["subnet_network"], self.role("network"))
            if not networks:
                unknown = True
            for network in networks:
                more, unk = self._main_routes(network)
                routes.extend(more)
                unknown = unknown or unk
        answer: tuple[Truth, list[Route]] = (True, routes) if routes else ((None if unknown else False), [])
        self._routes[subnet.id] = answer
        return answer

    def public_subnet(self, subnet: Resource) -> tuple[Truth, list[Evidence]]:
        """A subnet that gives every instance a public address and routes the internet to it."""
        setting = self.net["public_ip"]
        flag = truth(subnet.setting(setting))
        if flag is not True:
            return flag, []
        routed, routes = self.internet_routes(subnet)
        if routed is not True:
            return routed, []
        evidence = [Evidence(f"subnet {subnet.address} sets {setting} = true", locate(subnet, subnet.setting_path(setting)))]
        evidence.extend(r.evidence() for r in routes[:2])
        return True, evidence

    # ------------------------------------------------------------------ public addresses

    def _subnets(self, res: Resource, settings: Iterable[str]) -> tuple[list[tuple[Resource, Path]], bool, bool]:
        """(subnet, path of the reference) of ``res``; whether any subnet is named; whether
        every named one is in the scanned code."""
        out: list[tuple[Resource, Path]] = []
        named = False
        complete = True
        for name in settings:
            for path, value in setting_values(res, name):
                items = _items(value)
                if not items and not isinstance(value, Unknown):
                    continue
                named = True
                found = self.graph.linked_at(res, path, self.role("subnet"))
                if isinstance(value, Unknown) and not found:
                    complete = False
                elif len(found) < len(items):
                    complete = False
                out.extend((s, path) for s in found if all(s is not o for o, _ in out))
        return out, named, complete

    def public_address(self, res: Resource, spec: dict[str, Any] | None = None) -> Address:
        """Whether ``res`` has a public address, read with ``spec`` (the rule's ``address``
        params by default): asked for by a flag or given by a linked resource (useless in
        subnets that all have no route from the internet), refused by a flag, given by a
        public subnet or by the default network, or by a switch."""
        spec = spec if spec is not None else _params(self.ctx, "address")
        if spec.get("always"):
            return Address(True, (), [Evidence(spec["always"])], "always")
        if spec.get("switch"):
            return self._switched(res, spec)
        for link in spec.get("names", ()):
            for path, _ in setting_values(res, link["via"]):
                for found in self.graph.linked_at(res, path, self.role(link["role"])):
                    if "where" in link and self.condition(link["where"], "params.address.names.where").evaluate(found.attrs)[0] is not True:
                        continue
                    return Address(True, path, [Evidence(f"{res.address} uses public address {found.address} ({shown(res, path)})", found.span)], "named")
        subnets, named, complete = self._subnets(res, spec.get("subnets", ()))
        asks: list[Path] = []
        refused: Truth = False
        for name in spec.get("flags", ()):
            for path, value in setting_values(res, name):
                # a flag in any of the words providers use (ECS `AssignPublicIp: ENABLED`)
                on = (on_off(value) if on_off(value) is not None else truth(value)) if not isinstance(value, (dict, list)) else bool(value)
                if on is True:
                    asks.append(path)
                elif on is None:
                    refused = None if refused is False else refused
                else:
                    refused = True
        givers: list[Resource] = []
        for link in spec.get("linked", ()):
            for via in link["via"]:
                givers.extend(g for g in self.graph.linked_from(res, self.role(link["role"]), via) if g not in givers)
        if asks or givers:
            routed = [self.internet_routes(s)[0] for s, _ in subnets]
            if subnets and complete and all(r is False for r in routed):
                return Address(False, (), [Evidence("its subnets have no route from the internet: a public address there is useless")], "no-route")
            if asks:
                value = value_at(res.attrs, asks[0])
                written = f" = {display(value)}" if not isinstance(value, (dict, list)) else ""
                return Address(True, asks[0], [Evidence(f"{res.address} has a public IP address ({shown(res, asks[0])}{written})", locate(res, asks[0]))], "flag")
            return Address(True, (), [Evidence(f"{g.address} gives it a public address (Elastic IP)", g.span) for g in givers[:2]], "linked")
        if refused is not False:
            return Address(False if refused else None, (), [], "refused")
        states: list[Truth] = []
        for subnet, path in subnets:
            public, evidence = self.public_subnet(subnet)
            if public is True:
                return Address(True, path, evidence, "subnet")
            states.append(public)
        if not named and spec.get("default_network"):
            if self._in_custom_network(res):
                return Address(False, (), [], "custom-network")
            return Address(True, (), [Evidence("no subnet is given, so it is launched in the default VPC, whose subnets give instances public IP addresses and route the internet to them")], "default-network")
        if not named:
            return Address(False, (), [], "no-subnet")
        if complete and all(s is False for s in states):
            listed = ", ".join(s.address for s, _ in subnets)
            return Address(False, (), [Evidence(f"its subnets ({listed}) give no public IPs or have no route from the internet")], "private")
        return Address(None, (), [], "unknown")

    def _switched(self, res: Resource, spec: dict[str, Any]) -> Address:
        switches = [read_switch(res, s) for s in spec["switch"]]
        if any(s.public is None for s in switches):
            return Address(None, (), [], "switch")
        if any(s.public is False for s in switches):
            return Address(False, (), [], "switch")
        shut, _ = closed(self.ctx, res, spec.get("closed_when", []), switches[0] if switches else None)
        if shut is not False:
            return Address(False if shut else None, (), [], "closed")
        main = switches[0]
        return Address(True, main.path if main.explicit else (), [Evidence(s.text) for s in switches], "switch")

    def _in_custom_network(self, res: Resource) -> bool:
        """Whether one of its groups belongs to a network of the scanned code (so it is not in
        the default network)."""
        groups_spec = _params(self.ctx, "groups")
        setting = groups_spec.get("network")
        if not setting:
            return False
        groups, _, _ = self.groups_of(res, groups_spec)
        return any(self.graph.linked(g, setting, self.role("network")) for g in groups)

    def front_of(self, res: Resource, spec: dict[str, Any]) -> tuple[Resource | None, Address]:
        """The front ``res`` belongs to, and whether the front is internet-facing."""
        fronts: list[Resource] = []
        for via in spec["via"]:
            fronts.extend(f for f in self.graph.linked(res, via, self.role(spec["role"])) if f not in fronts)
        if len(fronts) != 1:
            return None, Address(None)
        front = fronts[0]
        if spec.get("only") and self.condition(spec["only"], "params.front.only").evaluate(front.attrs)[0] is not True:
            return front, Address(False)
        switches = [read_switch(front, s) for s in spec["switch"]]
        if any(s.public is not True for s in switches):
            return front, Address(None if any(s.public is None for s in switches) else False)
        evidence = [Evidence(f"{front.address} is internet-facing", front.span)] + [Evidence(f"{front.address}: {s.text}") for s in switches if not s.explicit]
        for named in spec.get("named", ()):
            linked: list[Resource] = []
            for setting in named["link"]:
                linked.extend(r for r in self.graph.linked_from(front, self.role(named["role"]), setting) if r not in linked)
            if linked:
                evidence.append(Evidence(named["present"].replace("{related}", ", ".join(r.address for r in linked)), linked[0].span))
            else:
                evidence.append(Evidence(named["absent"]))
        return front, Address(True, (), evidence, "front")

    # ------------------------------------------------------------------ filters

    def openings_index(self) -> dict[str, list[Opening]]:
        """Group id -> entries of the group that admit the whole internet (inline and rule
        resources), built once from the `groups.entries` specs."""
        if self._openings is None:
            index: dict[str, list[Opening]] = {}
            for spec in _params(self.ctx, "groups").get("entries", ()):
                params = {k: v for k, v in spec.items() if k != "role"}
                for res in self.graph.of_type(*self.role(spec["role"])):
                    for entry in entries_of(self.ctx, res, params):
                        if entry.allow is not False and entry.world is not False and entry.protocols:
                            owner = entry.group or res
                            index.setdefault(owner.id, []).append(Opening("security group", owner, entry, entry.allow is True and entry.world is True))
            self._openings = index
        return self._openings

    def group_openings(self, group: Resource) -> list[Opening]:
        """The entries of ``group`` that admit the whole internet (``certain``), or may
        (an action or sources not known)."""
        return self.openings_index().get(group.id, [])

    def groups_of(self, holder: Resource, spec: dict[str, Any]) -> tuple[list[Resource], bool, bool]:
        """The groups ``holder`` names or that are attached to it (or to what it names, its
        subnet); whether it has any; whether one is not in the code."""
        groups: list[Resource] = []
        named = False
        missing = False
        types = self.role("group")
        for att in spec.get("attachments", ()):
            targets = [holder]
            if "through" in att:
                targets = []
                for path, value in setting_values(holder, att["through"]["setting"]):
                    found = self.graph.linked_at(holder, path, self.role(att["through"]["role"]))
                    missing = missing or (not found and value not in (None, "", []))  # not in the code: its groups are not known
                    targets.extend(t for t in found if t not in targets)
            for target in targets:
                for attacher in self.graph.linked_from(target, self.role(att["role"]), att["via"]):
                    named = True
                    found = self.graph.linked(attacher, att["group"], types)
                    missing = missing or not found
                    groups.extend(g for g in found if g not in groups)
        for name in spec.get("settings", ()):
            for path, value in setting_values(holder, name):
                items = _items(value)
                if not items and not isinstance(value, Unknown):
                    continue
                named = True
                found = self.graph.linked_at(holder, path, types)
                if (isinstance(value, Unknown) and not found) or len(found) < len(items):
                    missing = True
                groups.extend(g for g in found if g not in groups)
        return groups, named, missing

    def default_groups(self, holder: Resource, role: str) -> list[Resource]:
        """The default groups of ``holder``'s configuration."""
        by_root: dict[str, list[Resource]] = self.ctx.memo(("reach-default-groups", role), lambda: _by_root(self.graph.of_type(*self.role(role))))
        return by_root.get(holder.root, [])

    def attached_to(self, group: Resource, types: Iterable[str] | None = None, spec: dict[str, Any] | None = None) -> list[Resource]:
        """The resources of ``types`` (the clause's by default) that use ``group``: they name
        it through ``spec["settings"]`` (the `groups` params by default), or, when it is a
        default group (role of ``spec["unnamed"]["default"]``), they name no group and are in
        its configuration. What a security group open to the world actually exposes."""
        spec = spec if spec is not None else _params(self.ctx, "groups")
        wanted = tuple(types) if types is not None else self.ctx.clause.types
        users: list[Resource] = []
        for name in spec.get("settings", ()):
            users.extend(u for u in self.graph.linked_from(group, wanted, name) if u not in users)
        unnamed = spec.get("unnamed")
        if isinstance(unnamed, dict) and group.type in self.role(unnamed["default"]):

            def build() -> dict[str, list[Resource]]:
                return _by_root(u for u in self.graph.of_type(*wanted) if not self.groups_of(u, spec)[1])

            by_root: dict[str, list[Resource]] = self.ctx.memo(("reach-unnamed-users", wanted, repr(spec)), build)
            users.extend(u for u in by_root.get(group.root, []) if u not in users)
        return users

    # ------------------------------------------------------------------ firewall rules that target a resource

    def _network_keys(self, holder: Resource, value: Any, path: Path) -> set[str]:
        """Ids and names a network value stands for (a reference, a name, a self link)."""
        keys: set[str] = set()
        for net in self.graph.linked_at(holder, path, self.role("network"), by_name=False):
            keys.add(net.id)
            name = net.setting("name")
            if isinstance(name, str) and name:
                keys.add(f"{net.root}::name:{name}")
        if isinstance(value, str) and value and not isinstance(value, JsonString):
            keys.add(f"{holder.root}::name:{value.rstrip('/').rsplit('/', 1)[-1]}")
        return keys

    def interface_networks(self, res: Resource, spec: dict[str, Any]) -> set[str] | None:
        """The networks of ``res``'s interfaces (ids and names); None when one is not known."""
        keys: set[str] = set()
        net_key, sub_key = spec.get("interface_network", "network"), spec.get("interface_subnetwork", "subnetwork")
        for base, interfaces in setting_values(res, spec["interfaces"]):
            if isinstance(interfaces, Unknown):
                return None
            for i, nic in enumerate(interfaces if isinstance(interfaces, list) else []):
                if not isinstance(nic, dict):
                    continue
                net, sub = nic.get(net_key), nic.get(sub_key)
                if net is None and sub is None:
                    keys.add(f"{res.root}::name:{spec.get('default_network', 'default')}")
                    continue
                found = self._network_keys(res, net, base + (i, net_key)) if net is not None else set()
                for subnet in self.graph.linked_at(res, base + (i, sub_key), self.role("subnetwork"), by_name=False) if sub is not None else []:
                    found |= self._network_keys(subnet, subnet.setting("network"), subnet.setting_path("network"))
                if not found and isinstance(net, Unknown):
                    return None
                keys |= found
        return keys

    def firewall_openings(self, spec: dict[str, Any]) -> dict[str, list[Opening]]:
        """Entries of firewall rules that admit the whole internet, by the ids and names of
        the rule's network (built once: a resource looks up its own networks' keys)."""

        def build() -> dict[str, list[Opening]]:
            index: dict[str, list[Opening]] = {}
            params = spec["entries"]
            for rule in self.graph.of_type(*self.role(spec["role"])):
                path = rule.setting_path(spec["network"])
                keys = self._network_keys(rule, value_at(rule.attrs, path), path)
                for entry in entries_of(self.ctx, rule, params):
                    if entry.allow is not False and entry.world is not False and entry.protocols:
                        opening = Opening("firewall rule", rule, entry, entry.allow is True and entry.world is True)
                        for key in keys:
                            index.setdefault(key, []).append(opening)
            return index

        found: dict[str, list[Opening]] = self.ctx.memo(("reach-firewalls",), build)
        return found

    def targets(self, rule: Resource, res: Resource, spec: dict[str, Any]) -> Truth:
        """Whether a firewall rule applies to ``res``: no target at all, or a shared value."""
        targeted = False
        for target in spec.get("targets", ()):
            wanted = rule.setting(target["rule"])
            if isinstance(wanted, Unknown) or (isinstance(wanted, list) and any(isinstance(w, Unknown) for w in wanted)):
                return None
            if not _items(wanted):
                continue
            targeted = True
            have: list[Any] = []
            for _, value in setting_values(res, target["resource"]):
                if isinstance(value, Unknown):
                    return None
                have.extend(_items(value))
            if any(isinstance(h, Unknown) for h in have):
                return None
            if set(map(str, _items(wanted))) & {str(h) for h in have}:
                return True
        return not targeted


def _by_root(resources: Iterable[Resource]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for res in resources:
        out.setdefault(res.root, []).append(res)
    return out


def reach(ctx: Context) -> Reach:
    """The model for the rule clause ``ctx`` judges with (built once per graph)."""
    model: Reach = ctx.memo(("reach", ctx.clause.types), lambda: Reach(ctx))
    return model


def public_address(ctx: Context, res: Resource, spec: dict[str, Any] | None = None) -> Address:
    """Whether ``res`` has a public address, read with ``spec`` (an ``address`` params
    object; the clause's own by default), with the clause's roles."""
    return reach(ctx).public_address(res, spec)


def attached_to(ctx: Context, group: Resource, types: Iterable[str] | None = None, spec: dict[str, Any] | None = None) -> list[Resource]:
    """The resources of ``types`` (the clause's by default) that use ``group``, read with a
    ``groups`` params object (the clause's own by default): see :meth:`Reach.attached_to`.
    With :func:`public_address` of each, a group open to the world that only resources
    without a public address use is not an exposure today."""
    return reach(ctx).attached_to(group, types, spec)


def placement_verdict(ctx: Context, group: Resource | None) -> tuple[str, str, list[Evidence]] | None:
    """The verdict a security group open to the world gets from what uses it, read with the
    internet-ingress check's ``placement`` params: ``conditional`` when its group is not in
    the scanned code or nothing there uses it (it exposes whatever is attached where it is
    deployed); ``posture`` when every resource using it is of a ``users`` role and known to
    have no public address (a private subnet, the flag off, a service that never has one) or
    is a load balancer (``front``: only its listeners answer);
    None otherwise (the engine decides from where the values come)."""
    spec = ctx.params["placement"]
    if group is None:
        return "conditional", "its security group is not defined in the scanned code, so what it is attached to is not known", []
    own = {t for c in ctx.rule.clauses if c.format == ctx.clause.format for t in c.types} | set(ctx.related("group"))
    users = [u for u in ctx.graph.referrers(group) if u.type not in own]
    if not users:
        return "conditional", f"nothing in the scanned code uses {group.address}: it exposes whatever it is attached to where it is deployed", []
    model_ctx = replace(ctx, params={"groups": {"settings": spec.get("groups", []), "network": spec.get("network", "")}})
    evidence: list[Evidence] = []
    fronts = False
    for user in users:
        how = next((u for u in spec["users"] if user.type in ctx.related(u["role"])), None)
        if how is None:
            return None
        if how.get("front"):
            fronts = True
            evidence.append(Evidence(f"{user.address} uses it: a load balancer answers only on its listeners, whatever the group admits", user.span))
            continue
        address = public_address(model_ctx, user, how["address"])
        if address.public is not False:
            return None
        why = f": {address.evidence[0].message}" if address.evidence else ""
        evidence.append(Evidence(f"{user.address} uses it and has no public address{why}", user.span))
    listed = ", ".join(u.address for u in users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
    if fronts:
        return "posture", f"only load balancers and resources with no public address use {group.address} ({listed}): the internet reaches only the load balancers' listeners (their own rules report those), but one resource with a public address would get every port it admits", evidence
    return "posture", f"only resources with no public address use {group.address} ({listed}): nothing reaches it from the internet today, but one public address would", evidence


# --------------------------------------------------------------------------- the checks


class Published(Struct):
    """A port something listens on, where it is written, and ports it forwards to."""

    path: Path
    port: int
    protocol: str | None = None
    backends: list[tuple[int, str, Evidence | None]] = field(default_factory=list)  # (port, in words, evidence)


def _published(model: Reach, res: Resource, specs: list[dict[str, Any]]) -> list[Published]:
    """The ports ``res`` publishes, from the first spec that holds any; a port that is not
    known publishes nothing."""
    for spec in specs:
        blocks: list[tuple[Path, Any]] = []
        if "list" in spec:
            for path, value in setting_values(res, spec["list"]):
                blocks.extend((path + (i,), b) for i, b in enumerate(value if isinstance(value, list) else []) if isinstance(b, dict))
        else:
            base = res.setting_path("")
            blocks = [(base, value_at(res.attrs, base))]
        out: list[Published] = []
        for base, block in blocks:
            if not isinstance(block, dict):
                continue
            path = base + (spec["port"],) if "list" in spec else res.setting_path(spec["port"])
            port = as_port(value_at(res.attrs, path))
            if port is None:
                continue
            protocol = block.get(spec["protocol"]) if "protocol" in spec else None
            item = Published(path, port, protocol if isinstance(protocol, str) else None)
            if "backend" in spec:
                backend = as_port(block.get(spec["backend"]))
                if backend is not None:
                    item.backends.append((backend, f"port {backend}", None))
            for link in spec.get("backends", ()):
                for via in link["via"]:
                    for target in model.graph.linked(res, via, model.role(link["role"])):
                        tport = as_port(target.setting(link["port"]))
                        if tport is not None:
                            ev = Evidence(f"{target.address} port {tport}", locate(target, target.setting_path(link["port"])))
                            item.backends.append((tport, f"{target.address} on port {tport}", ev))
            out.append(item)
        if out:
            return out
    return []


def _severity(g: Grade | None, params: dict[str, Any]) -> Severity | None:
    table = {"critical": "critical", "high": "high", "medium": "medium", "web": "none", **params.get("grades", {})}
    key = "web" if g is None else {Severity.CRITICAL: "critical", Severity.HIGH: "high"}.get(g.severity, "medium")
    word = table[key]
    return None if word == "none" else Severity.parse(word)


class Reached(Struct):
    """Ports the internet reaches, graded, with the openings that let it in; shown at
    ``path`` of ``holder`` (None: where the public address is decided)."""

    ranges: list[PortRange]
    grade: Grade
    severity: Severity
    openings: list[Opening] = field(default_factory=list)
    holder: Resource | None = None
    path: Path | None = None
    value: Any = None
    text: str = ""  # what is reached, in words, for published ports
    evidence: list[Evidence] = field(default_factory=list)


def _graded(ranges: Iterable[PortRange], params: dict[str, Any]) -> tuple[Grade, Severity, list[PortRange]] | None:
    """The worst grade among the ranges the rule reports, and those ranges."""
    best: tuple[Grade, Severity] | None = None
    kept: list[PortRange] = []
    for r in ranges:
        g = grade(r)
        severity = _severity(g, params)
        if severity is None:
            continue
        kept.append(r)
        g = g or Grade(Severity.LOW, f"web {r.describe()}")
        if best is None or severity > best[1]:
            best = (g, severity)
    return (best[0], best[1], kept) if best is not None else None


class Filter(Struct):
    """What filters a resource's traffic: the openings that admit the internet, or nothing
    at all (``everything`` is admitted)."""

    everything: bool = False
    openings: list[Opening] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    doubtful: list[Opening] = field(default_factory=list)  # openings that may apply (not known)
    incomplete: bool = False  # a named group is not in the scanned code


def _split(openings: Iterable[Opening], incomplete: bool = False, evidence: list[Evidence] | None = None) -> Filter:
    """A filter of the certain openings, the doubtful ones kept apart."""
    found = list(dict.fromkeys(openings))
    return Filter(openings=[o for o in found if o.certain], evidence=evidence or [], doubtful=[o for o in found if not o.certain], incomplete=incomplete)


def _unfiltered(holder: Resource, why: str) -> Filter:
    return Filter(True, evidence=[Evidence(f"{holder.address} {why}: nothing filters its traffic")])


def filter_of(model: Reach, res: Resource, holder: Resource) -> Filter | None:
    """The filter of ``res`` (groups read on ``holder``: its front, or itself); None when it
    is not known."""
    params = model.ctx.params
    if "groups" in params:
        spec = params["groups"]
        groups, named, missing = model.groups_of(holder, spec)
        if missing and spec.get("missing") == "admit":
            return _unfiltered(holder, "names a security group that is not defined in the scanned code")
        if named:
            return _split((o for g in groups for o in model.group_openings(g)), missing)
        unnamed = spec.get("unnamed", "admit")
        if unnamed == "admit":
            return _unfiltered(holder, "has no security group")
        if unnamed == "closed":
            return Filter(evidence=[Evidence(f"no security group is attached to {holder.address}: its public address admits no inbound traffic until one allows it")], incomplete=missing)
        when = unnamed.get("when")
        if when is not None and model.condition(when, "params.groups.unnamed.when").evaluate(holder.attrs)[0] is not True:
            return _unfiltered(holder, "has no security group")
        defaults = model.default_groups(holder, unnamed["default"])
        return _split((o for g in defaults for o in model.group_openings(g)), evidence=[Evidence(f"{holder.address} names no security group, so it gets the default group of its network")])
    if "firewalls" in params:
        spec = params["firewalls"]
        networks = model.interface_networks(res, spec)
        if networks is None:
            return None
        index = model.firewall_openings(spec)
        candidates = list(dict.fromkeys(o for key in sorted(networks) for o in index.get(key, ())))
        applies = {o: model.targets(o.owner, res, spec) for o in candidates}
        kept = [o if applies[o] is True else replace(o, certain=False) for o in candidates if applies[o] is not False]
        return _split(kept)
    if "own" in params:
        return Filter(openings=[Opening("rule", res, e) for e in entries_of(model.ctx, res, params["own"]) if e.allow is True and e.world is True and e.protocols])
    if "opens" in params:
        spec = params["opens"]
        path = res.setting_path(spec["at"])
        if value_at(res.attrs, path) is None:
            return Filter()
        ranges: list[tuple[str | None, PortRange]] = [(None, r) for p in spec["ports"] for r in parse_ports(p)]
        entry = Entry(res, (), {}, None, True, None, ranges, True, path, ["0.0.0.0/0"])
        return Filter(openings=[Opening("", res, entry)], evidence=[Evidence(spec["why"])])
    return _unfiltered(holder, "has no firewall of its own")


def reached_by(model: Reach, res: Resource, filt: Filter) -> list[Reached]:
    """What the internet reaches: each published port (when the rule names them), each
    opening of the resource's own (its own rules, a port the service opens), else the
    resource as a whole."""
    params = model.ctx.params
    if "published" in params:
        out: list[Reached] = []
        for item in _published(model, res, params["published"]):
            openings = [o for o in filt.openings if o.covers(item.port) is True]
            if not filt.everything and not openings:
                continue
            own = PortRange(item.port, item.port)
            proto = f"{item.protocol} " if item.protocol else ""
            published = f"{proto}port {item.port}"
            candidates: list[tuple[PortRange, str, list[Evidence]]] = [(own, published, [])]
            for port, label, ev in item.backends:
                if port != item.port:
                    candidates.append((PortRange(port, port), f"{published}, forwarded to {label},", [ev] if ev is not None else []))
            reported: list[tuple[Grade, Severity, str, list[Evidence]]] = []
            for r, text, evidence in candidates:
                g = grade(r)
                severity = _severity(g, params)
                if severity is not None:
                    reported.append((g or Grade(Severity.LOW, f"web {r.describe()}"), severity, text, evidence))
            if not reported:
                continue
            g, severity, text, evidence = max(reported, key=lambda x: x[1])  # the first of the worst
            out.append(Reached([own], g, severity, openings, res, item.path, item.port, text, evidence))
        return out
    if "own" in params or "opens" in params:
        out = []
        for opening in filt.openings:
            graded = _graded(opening.ranges(), params)
            if graded is not None:
                g, severity, kept = graded
                entry = opening.entry
                out.append(Reached(kept, g, severity, [opening], entry.holder, entry.source_path, value_at(entry.holder.attrs, entry.source_path)))
        return out
    ranges = [ALL] if filt.everything else [r for o in filt.openings for r in o.ranges()]
    graded = _graded(ranges, params)
    if graded is None:
        return []
    g, severity, kept = graded
    return [Reached(kept, g, severity, [o for o in filt.openings if any(r in kept for r in o.ranges())])]


_HOW = {
    "flag": "it has a public IP address",
    "linked": "an Elastic IP is attached to it",
    "subnet": "its subnet gives it a public IP address",
    "default-network": "it is launched in the default VPC",
    "switch": "it has a public IP address",
    "named": "it uses a public IP address",
    "always": "it always has a public IP address",
}


def _placement(params: dict[str, Any], state: Truth) -> Any:
    key = {True: "public", None: "unknown", False: "none"}[state]
    return params.get("placement", {}).get(key, "report" if state is True else "none")


@named_check("internet-reach", PARAMS)
def internet_reach(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A resource the internet reaches on a sensitive port: it has a public address (or an
    internet-facing front) and what filters its traffic admits the whole internet there.

    The public address comes from `address` — a flag, a linked Elastic IP, a public subnet
    (one that maps public IPs and routes the internet to an internet gateway, through its
    own or its network's main route table, read as `network` says), the default network
    when no subnet is named, a switch with its default, or always — or from an
    internet-facing `front` (a listener's load balancer). The filter is its security groups
    (`groups`: the ones it names, the default group when it names none, each entry read as
    `internet-ingress` reads it), firewall rules of its network that target it
    (`firewalls`: by network, tags or service accounts), its own rules (`own`), a port the
    service opens itself (`opens`), or nothing. What is reached is graded by port as
    `internet-ingress` grades it (`grades`): each published port (`published`: a listener
    and the port it forwards to, a container port; shown on the port), each opening of the
    resource's own (shown on its sources), or the resource as a whole (shown where its
    address is decided). `placement` says what is reported when the address is public,
    not known, or absent (subnets with no route from the internet). With `unreached` it
    reports the other side: a public address that nothing reaches at `grades` (one finding
    where the address is decided; the posture counterpart of a rule with the same params).
    Messages may use {what}, {reached}, {why}, {address} and {filter}."""
    params = ctx.params
    model = reach(ctx)
    holder = res
    if "front" in params:
        front, address = model.front_of(res, params["front"])
        if front is None or address.public is not True:
            return
        holder = front
        how = f"it is behind internet-facing {front.address}"
    else:
        address = model.public_address(res)
        how = _HOW.get(address.how, "it may have a public IP address" if address.public is None else "it has no public address today")
    action = _placement(params, address.public)
    if action == "none":
        return
    filt = filter_of(model, res, holder)
    if filt is None:
        return
    if "unreached" in params:
        yield from _unreached(ctx, model, res, address, how, filt)
        return
    for reached in reached_by(model, res, filt):
        severity: Severity | None = reached.severity
        facts: dict[str, Any] = {}
        evidence = list(address.evidence) + reached.evidence
        if isinstance(action, dict):
            severity = None if action["severity"] == "none" else Severity.parse(action["severity"])
            if action.get("verdict"):
                facts["verdict"] = action["verdict"]
                facts["verdict_reason"] = action.get("evidence", "nothing reaches it today, but one change makes it so")
            if action.get("evidence"):
                evidence.append(Evidence(action["evidence"]))
        if severity is None:
            continue
        for opening in reached.openings[:3]:
            evidence.extend(opening.evidence())
        evidence.extend(filt.evidence)
        if params.get("note"):
            evidence.append(Evidence(params["note"]))
        ports = ", ".join(dict.fromkeys(r.describe() for r in reached.ranges))
        first = reached.openings[0] if reached.openings else None
        through = f"{first.what} {first.owner.address} admits {', '.join(first.entry.sources)}" if first is not None else "nothing filters its traffic"
        why = reached.grade.why if reached.grade.why != ports else "whatever listens there answers every address"
        if reached.text:
            message = f"{params['what']} {holder.address} publishes {reached.text} to the internet: {why}"
        else:
            message = f"{params['what']} {res.address} is reachable from the whole internet on {ports}: {why}; {how} and {through}"
        if reached.holder is not None and reached.path is not None:
            at, path, value = reached.holder, reached.path, reached.value
        else:
            at, path, value = res, address.path, (first.entry.sources if first is not None else None)
        facts.update(
            what=params["what"],
            reached=reached.text or ports,
            why=why,
            address=how,
            filter=through,
            ports=[(r.lo if r.lo is not None else 0, r.hi if r.hi is not None else 65535) for r in reached.ranges],
            # where each opening that lets the internet in is written (resource id, path):
            # the same place a security group or firewall finding is shown, to merge them
            openings=[(o.entry.holder.id, o.entry.source_path) for o in reached.openings if o.what],
        )
        yield Hit(
            at,
            path,
            subject=res if at is not res else None,
            message=None if ctx.rule.message else message,
            evidence=list(dict.fromkeys(evidence)),
            severity=severity,
            value=value,
            facts=facts,
        )


def _unreached(ctx: Context, model: Reach, res: Resource, address: Address, how: str, filt: Filter) -> Iterator[Hit]:
    """``res`` has a public address and nothing reaches it at the rule's grades: one
    finding where the address is decided (the `unreached` params)."""
    params = ctx.params
    if address.public is not True or filt.incomplete or reached_by(model, res, filt):
        return
    if filt.doubtful and reached_by(model, res, Filter(openings=filt.doubtful)):
        return  # an opening that may apply would be reported: not known
    evidence = list(address.evidence)
    if params["unreached"].get("users"):
        users = [u for u in model.graph.referrers(res) if u.type in model.role(params["unreached"]["users"])]
        evidence.extend(Evidence(f"{u.address} uses it and is reachable at that address", u.span) for u in users[:3])
    for opening in filt.openings[:3]:
        evidence.extend(opening.evidence())
    if not filt.openings:
        evidence.append(Evidence("nothing in the scanned code admits the whole internet to it today"))
    evidence.extend(filt.evidence)
    if params["unreached"].get("evidence"):
        evidence.append(Evidence(params["unreached"]["evidence"]))
    if params.get("note"):
        evidence.append(Evidence(params["note"]))
    ports = ", ".join(dict.fromkeys(r.describe() for o in filt.openings for r in o.ranges()))
    admitted = f"the internet is admitted only on {ports}" if ports else "nothing admits the internet to it"
    yield Hit(
        res,
        address.path,
        message=None if ctx.rule.message else f"{params['what']} {res.address} has a public address, one rule away from the internet: {how}, and {admitted} today",
        evidence=list(dict.fromkeys(evidence)),
        value=value_at(res.attrs, address.path) if address.path else None,
        facts={"what": params["what"], "address": how, "filter": admitted, "reached": ports, "why": admitted},
    )


@named_check("public-subnet", SUBNET_PARAMS)
def public_subnet(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A subnet that gives every instance launched in it a public address and routes the
    internet to it through an internet gateway.

    The subnet maps public IPs on launch (`network.public_ip`), and the route table it uses
    — the one associated with it, else its network's main table, with inline routes and
    route resources — sends a range covering the internet to an internet gateway (a
    resource of role `gateway`, or a literal `igw-` ID). A default route to a NAT gateway,
    a transit gateway or a virtual private gateway leaves it private; a table or target
    not known from the code leaves it unreported. Shown on the public IP setting, with the
    routes as evidence."""
    model = reach(ctx)
    public, evidence = model.public_subnet(res)
    if public is not True:
        return
    yield Hit(
        res,
        res.setting_path(model.net["public_ip"]),
        message=None if ctx.rule.message else f"subnet {res.address} gives every instance launched in it a public IP address and routes the internet to it through an internet gateway",
        evidence=evidence[1:],
        value=True,
    )


__all__ = ["Address", "Filter", "Reach", "Route", "attached_to", "filter_of", "public_address", "reach", "reached_by"]
