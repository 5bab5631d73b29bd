"""What every parser returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import Struct, field

from linter.graph import Resource
from linter.model import InputError, Note


class ParseOutput(Struct):
    """A parser's resources, errors and notes for one unit, and the files it read."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read
    comments: dict[str, list[Any]] = field(default_factory=dict)  # file -> its comments
    stats: dict[str, int] = field(default_factory=dict)
    # what breaks the reference cycles a parser built (a module's evaluator and its
    # instances), called when the unit is done: the unit's objects are then freed as their
    # last reference goes, not by the cyclic collector (five times the cost)
    releases: list[Callable[[], None]] = field(default_factory=list)

    def extend(self, other: ParseOutput) -> None:
        self.resources.extend(other.resources)
        self.releases.extend(other.releases)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.files.extend(other.files)
        self.comments.update(other.comments)
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value

    def problem(self, item: object) -> None:
        """Record an InputError or a Note."""
        if isinstance(item, Note):
            self.notes.append(item)
        elif isinstance(item, InputError):
            self.errors.append(item)

