"""Cloud Healthcare dataset or store IAM opens health data to everyone (grants to allUsers / allAuthenticatedUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.gcp import iam_check
from linter.graph import ResourceGraph
from linter.ruleset import Rule


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    yield from iam_check(
        graph,
        ('google_healthcare_dataset', 'google_healthcare_fhir_store', 'google_healthcare_dicom_store', 'google_healthcare_hl7_v2_store', 'google_healthcare_consent_store'),
        'Cloud Healthcare resource',
        'dataset_id',
        ('google_healthcare_dataset',),
        consequence='patient data is exposed',
    )
