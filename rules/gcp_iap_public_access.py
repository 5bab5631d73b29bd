"""Identity-Aware Proxy access granted to allUsers or allAuthenticatedUsers (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import iam_check
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from iam_check(
        graph,
        ('google_iap_web', 'google_iap_web_type_compute', 'google_iap_web_type_app_engine', 'google_iap_web_backend_service', 'google_iap_web_region_backend_service', 'google_iap_app_engine_service', 'google_iap_app_engine_version', 'google_iap_tunnel', 'google_iap_tunnel_instance'),
        'IAP-protected resource',
        'web_backend_service',
        ('google_compute_backend_service',),
        consequence='the proxy lets everyone through',
    )
