"""Ports and port ranges: how every provider writes them, and what listens on them.

One place for the table of sensitive ports and for grading an opening by port, shared by
every check that judges network access (security groups, network ACLs, firewalls,
network security groups, load balancer listeners, Kubernetes services).

Grading says what is known to listen, not what a range happens to overlap:

- all ports (or all protocols): critical;
- remote administration (SSH, RDP, Telnet, VNC, WinRM) inside the range: critical, because
  those services listen by default on the servers they run on;
- a database, cache, broker or admin API port: critical when the range is *about* it (the
  range starts or ends at that port, as ``5432``, ``3306-3307``, ``9200-9300`` do) or
  when something known to listen there sits behind the opening (a database engine's
  port); a range that merely contains one (``8080-8090`` holds InfluxDB's 8086) is graded
  by its width and says which sensitive ports it includes;
- a wide range (1,000 ports or more): high; ports not known: high;
- 80 and 443 alone: not reported (how public web endpoints work); other ports: medium.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from msgspec import Struct

from linter.model import Severity
from linter.values import Unknown

REMOTE_ADMIN_PORTS = {22: "SSH", 23: "Telnet", 3389: "RDP", 5900: "VNC", 5985: "WinRM", 5986: "WinRM"}
DATABASE_PORTS = {
    1433: "SQL Server",
    1521: "Oracle",
    2375: "Docker API",
    2376: "Docker API (TLS)",
    2379: "etcd",
    3306: "MySQL",
    5432: "PostgreSQL",
    5439: "Redshift",
    5601: "Kibana",
    5672: "RabbitMQ",
    5984: "CouchDB",
    6379: "Redis",
    6443: "Kubernetes API",
    7000: "Cassandra",
    8086: "InfluxDB",
    8529: "ArangoDB",
    9042: "Cassandra",
    9092: "Kafka",
    9200: "Elasticsearch",
    9300: "Elasticsearch",
    10250: "kubelet",
    11211: "Memcached",
    15672: "RabbitMQ management",
    27017: "MongoDB",
    50000: "Db2",
}
WEB_PORTS = frozenset({80, 443})
WIDE = 1000  # a range of this many ports or more is "wide"
ENGINE_PORTS = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "aurora-mysql": 3306,
    "aurora": 3306,
    "oracle": 1521,
    "sqlserver": 1433,
    "db2": 50000,
    "redis": 6379,
    "valkey": 6379,
    "memcached": 11211,
}
ALL_WORDS = frozenset({"*", "all", "any", "-1"})


class PortRange(Struct, frozen=True):
    """``lo``-``hi`` inclusive; both None when the ports are not known."""

    lo: int | None
    hi: int | None

    @property
    def known(self) -> bool:
        return self.lo is not None and self.hi is not None

    @property
    def everything(self) -> bool:
        return self.lo is not None and self.hi is not None and self.lo <= 1 and self.hi >= 65535

    def covers(self, port: int) -> bool | None:
        if self.lo is None or self.hi is None:
            return None
        return self.lo <= port <= self.hi

    def describe(self) -> str:
        if self.lo is None or self.hi is None:
            return "ports not known"
        if self.everything:
            return "all ports"
        return f"port {self.lo}" if self.lo == self.hi else f"ports {self.lo}-{self.hi}"


ALL = PortRange(0, 65535)
UNKNOWN = PortRange(None, None)


def as_port(value: Any) -> int | None:
    """A port number as written (``22``, ``"22"``); None when not a number or not known."""
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_ports(value: Any) -> list[PortRange]:
    """Every way a provider writes ports -> ranges. ``22``, ``"22"``, ``"1000-2000"``, ``"*"``,
    ``"22,3389"``, ``"21, 22-23"``, ``"22/22"`` (Alibaba Cloud), and lists of those. What is not known (an Unknown, a
    word that is not a port) becomes :data:`UNKNOWN`; an empty list gives no range."""
    if isinstance(value, list):
        out: list[PortRange] = []
        for item in value:
            out.extend(parse_ports(item))
        return out
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return [UNKNOWN]
    if isinstance(value, int):
        return [PortRange(value, value)]
    text = str(value).strip()
    if "," in text:
        return parse_ports([part for part in (p.strip() for p in text.split(",")) if part])
    if text.lower() in ALL_WORDS or text in ("0-65535", "1-65535"):
        return [ALL]
    if "/" in text:  # Alibaba Cloud writes "22/22", and "-1/-1" for every port
        lo_text, _, hi_text = text.partition("/")
        whole = from_to(lo_text, hi_text)
        if whole == PortRange(1, 65535):
            return [ALL]
        return [whole] if whole.lo is not None else [UNKNOWN]
    lo_text, sep, hi_text = text.partition("-")
    lo, hi = as_port(lo_text), as_port(hi_text) if sep else as_port(lo_text)
    if lo is None or hi is None or hi < lo:
        return [UNKNOWN]
    return [PortRange(lo, hi)]


def from_to(lo: Any, hi: Any) -> PortRange:
    """A ``from_port``/``to_port`` pair; ``-1``/``-1`` and ``0``/``65535`` mean every port."""
    a, b = as_port(lo), as_port(hi)
    if a is None or b is None:
        return UNKNOWN
    if (a == -1 and b == -1) or (a <= 0 and b >= 65535):
        return ALL
    return PortRange(a, b)


def service(port: int) -> tuple[str, str] | None:
    """(what listens, its kind) for a sensitive port."""
    if port in REMOTE_ADMIN_PORTS:
        return REMOTE_ADMIN_PORTS[port], "remote administration"
    if port in DATABASE_PORTS:
        return DATABASE_PORTS[port], "database/admin API"
    return None


def sensitive_in(r: PortRange) -> list[int]:
    """The sensitive ports inside a known range, lowest first."""
    if r.lo is None or r.hi is None:
        return []
    lo, hi = r.lo, r.hi
    return sorted(p for p in (*REMOTE_ADMIN_PORTS, *DATABASE_PORTS) if lo <= p <= hi)


def _named(ports: Iterable[int]) -> str:
    return ", ".join(f"{p} ({service(p)[0]})" for p in ports if service(p) is not None)  # type: ignore[index]


class Grade(Struct, frozen=True):
    """How bad an opening is, with what it reaches in words."""

    severity: Severity
    why: str  # in words: what the opening reaches


def grade(r: PortRange, listening: Iterable[int] = ()) -> Grade | None:
    """How bad it is to open ``r`` to the internet; None for the web ports alone.

    ``listening`` names ports something behind the opening is known to listen on (a
    database engine's port, a container port)."""
    if r.lo is None or r.hi is None:
        return Grade(Severity.HIGH, "ports not known")
    if r.everything:
        return Grade(Severity.CRITICAL, "all ports")
    inside = sensitive_in(r)
    admin = [p for p in inside if p in REMOTE_ADMIN_PORTS]
    if admin:
        return Grade(Severity.CRITICAL, f"remote administration {_named(admin[:3])}")
    known = set(listening)
    deliberate = [p for p in inside if p in (r.lo, r.hi) or p in known]
    if deliberate:
        return Grade(Severity.CRITICAL, f"database/admin API {_named(deliberate[:3])}")
    width = r.hi - r.lo + 1
    includes = f" (includes {_named(inside[:3])}{' and more' if len(inside) > 3 else ''}; nothing known to listen there)" if inside else ""
    if width >= WIDE:
        return Grade(Severity.HIGH, f"{width} ports{includes}")
    if set(range(r.lo, r.hi + 1)) <= WEB_PORTS:
        return None
    return Grade(Severity.MEDIUM, f"{r.describe()}{includes}")


def worst(ranges: Iterable[PortRange], listening: Iterable[int] = ()) -> tuple[Grade, PortRange] | None:
    """The worst grade over several ranges, with the range that earned it."""
    best: tuple[Grade, PortRange] | None = None
    known = tuple(listening)
    for r in ranges:
        g = grade(r, known)
        if g is not None and (best is None or g.severity > best[0].severity):
            best = (g, r)
    return best


def accepted_by(ports: Iterable[tuple[int, int]], allowed: Iterable[tuple[int, int]]) -> bool:
    """Whether every range of ``ports`` lies inside the ``allowed`` ranges."""
    allowed = list(allowed)
    return all(any(a <= lo and hi <= b for a, b in allowed) for lo, hi in ports)


def is_sensitive_range(lo: int, hi: int) -> bool:
    """Whether the range reaches remote administration, or is about a database/admin port."""
    g = grade(PortRange(lo, hi))
    return g is not None and g.severity == Severity.CRITICAL
