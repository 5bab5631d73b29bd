"""Data sensitivity raises severity: a finding about a resource tagged as holding personal or
confidential data is reported one level higher, and says why.

The tag keys and the values that mean "sensitive" are configurable; the defaults cover the
common conventions (``data_classification = confidential``, ``pii = true``…).
"""

from __future__ import annotations

from msgspec import Struct
from msgspec.structs import force_setattr

from linter.graph import Resource
from linter.model import Evidence
from linter.tags import default_tags, resource_tags

DEFAULT_KEYS = (
    "data_classification",
    "data-classification",
    "dataclassification",
    "classification",
    "confidentiality",
    "sensitivity",
    "data_sensitivity",
    "data-sensitivity",
    "pii",
    "contains_pii",
    "contains-pii",
    "personal_data",
    "personal-data",
    "phi",
    "pci",
)
DEFAULT_VALUES = (
    "confidential",
    "restricted",
    "secret",
    "top-secret",
    "sensitive",
    "highly-confidential",
    "pii",
    "personal",
    "phi",
    "pci",
    "high",
    "critical",
    "true",
    "yes",
)


class SensitivityPolicy(Struct, frozen=True):
    """The names and values that mark data as sensitive (a finding on it is raised a step)."""

    keys: tuple[str, ...] = DEFAULT_KEYS
    values: tuple[str, ...] = DEFAULT_VALUES
    # the same, lower case: set from the two above (derived, so equal policies stay equal)
    _keys: frozenset[str] = frozenset()
    _values: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        force_setattr(self, "_keys", frozenset(k.lower() for k in self.keys))
        force_setattr(self, "_values", frozenset(v.lower() for v in self.values))

    def sensitive(self, res: Resource) -> Evidence | None:
        """Evidence that ``res`` holds sensitive data, or None. Its own tags and the default
        tags of its provider both count (the latter apply to every resource of the provider)."""
        own = resource_tags(res)
        source, inherited = default_tags(res)
        for key, (value, span) in sorted({**inherited, **own}.items()):
            if key.lower() in self._keys and str(value).strip().lower() in self._values:
                how = "" if key in own else f" (a default tag of {source})"
                return Evidence(
                    f"severity raised one level: {res.address} is tagged {key} = {value}{how}, so it holds sensitive data", span
                )
        return None
