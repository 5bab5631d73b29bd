"""Compute Engine image IAM lets anyone use the image (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import iam_check
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from iam_check(
        graph,
        ('google_compute_image', 'google_compute_machine_image'),
        'Compute Engine image',
        'image',
        ('google_compute_image',),
        consequence='anyone can create disks and VMs from it and read everything it contains',
    )
