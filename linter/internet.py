"""Internet ranges: does a list of addresses, ranges or words let the whole internet in?

One place for every way providers write "anyone": CIDR lists (``0.0.0.0/0``, ``::/0``, any
zero-length prefix, several ranges whose union is everything such as ``0.0.0.0/1`` with
``128.0.0.0/1``), words (``*``, ``Internet``, ``Any``), comma-separated strings
(``"10.0.0.0/8, 0.0.0.0/0"``), and start-end IPv4 ranges written by database firewalls
(``0.0.0.0``-``255.255.255.255``, or ``1.1.1.1``-``255.255.255.255``, which still holds
practically every public address).

A bare ``0.0.0.0`` is a single host, not the internet: Azure uses it (and the range
``0.0.0.0``-``0.0.0.0``) to mean "every Azure-hosted address", which checks treat on its own.
Unknown entries never make a True: the answers are three-valued.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from linter.values import Unknown

Truth = bool | None

# words that mean "any source"
WORLD_WORDS = frozenset({"*", "internet", "any"})
_V4_ALL = ipaddress.ip_network("0.0.0.0/0")
_V6_ALL = ipaddress.ip_network("::/0")


def world_networks(values: list[Any]) -> tuple[Truth, list[int]]:
    """Whether the address ranges in ``values`` together cover the whole internet.

    Returns the truth and the indexes of the entries that take part. A single range with a
    zero-length prefix (``0.0.0.0/0``, ``::/0``, ``1.2.3.4/0``) covers everything, as do the
    words Azure and others use (``*``, ``Internet``, ``Any``); so do several ranges whose
    union is the whole space (``0.0.0.0/1`` and ``128.0.0.0/1``).
    """
    v4: list[tuple[int, Any]] = []
    v6: list[tuple[int, Any]] = []
    unknown = False
    for i, v in enumerate(values):
        if isinstance(v, Unknown):
            unknown = True
            continue
        if not isinstance(v, str):
            continue
        text = v.strip()
        if text.lower() in WORLD_WORDS:
            return True, [i]
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if net.prefixlen == 0:
            return True, [i]
        (v4 if net.version == 4 else v6).append((i, net))
    for nets, whole in ((v4, _V4_ALL), (v6, _V6_ALL)):
        if len(nets) > 1:
            collapsed = list(ipaddress.collapse_addresses(n for _, n in nets))
            if collapsed == [whole]:
                return True, [i for i, _ in nets]
    return (None if unknown else False), []


def entries(values: Any) -> list[Any] | None:
    """The entries of an address setting: a list, one value, or a comma-separated string;
    None when the whole setting is not known."""
    if isinstance(values, Unknown):
        return None
    if values is None:
        return []
    if isinstance(values, str):
        return [v.strip() for v in values.split(",")] if "," in values else [values]
    if isinstance(values, list):
        return list(values)
    return [values]


def covers_world(values: Any, azure_zero: bool = False) -> tuple[Truth, list[int]]:
    """Whether an address setting (list, one value or comma-separated string) admits the
    internet, and the indexes of the entries that do. With ``azure_zero``, a bare
    ``0.0.0.0`` ("Azure services") is left out."""
    items = entries(values)
    if items is None:
        return None, []
    keep = [i for i, v in enumerate(items) if not (azure_zero and isinstance(v, str) and v.strip() == "0.0.0.0")]
    truth, idx = world_networks([items[i] for i in keep])
    return truth, [keep[i] for i in idx]


# --------------------------------------------------------------------------- start-end IPv4 ranges

# address blocks that are never a client on the internet
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/3",
    )
]
_NOT_PUBLIC_RANGES = [(int(n.network_address), int(n.broadcast_address)) for n in _NOT_PUBLIC]
WIDE_RANGE = 2**24  # as many public addresses as a /8
INTERNET_SHARE = 0.99


def ipv4(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        return None


def ipv4_text(n: int) -> str:
    return str(ipaddress.IPv4Address(n))


def merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or adjacent integer ranges joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def public_addresses(start: int, end: int) -> int:
    """How many addresses of ``start``-``end`` can be internet clients."""
    total = end - start + 1
    for lo, hi in _NOT_PUBLIC_RANGES:
        a, b = max(lo, start), min(hi, end)
        if a <= b:
            total -= b - a + 1
    return total


ALL_PUBLIC = public_addresses(0, 2**32 - 1)


def covers_internet(ranges: Iterable[tuple[int, int]]) -> bool:
    """Whether start-end IPv4 ranges together hold (practically) every public address.

    "Practically": at least 99% of them, so that ``1.1.1.1``-``255.255.255.255`` counts
    like ``0.0.0.0``-``255.255.255.255``.
    """
    admitted = sum(public_addresses(lo, hi) for lo, hi in merge(ranges))
    return admitted >= INTERNET_SHARE * ALL_PUBLIC


def admits_public(value: Any) -> bool | None:
    """Whether one address entry (``203.0.113.7``, ``198.51.100.0/24``, ``*``) holds at least
    one address an internet client can have; None when it is not known or not an address."""
    if isinstance(value, Unknown) or not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in WORLD_WORDS:
        return True
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if net.version == 6:
        return bool(net.is_global)
    return public_addresses(int(net.network_address), int(net.broadcast_address)) > 0
