"""The run configuration: everything a scan needs, built from flags (and config files)."""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.model import Severity
from linter.sources import DEFAULT_MAX_BYTES


@dataclass
class RunConfig:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: list[str] = field(default_factory=list)  # rule ids; empty means all
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.LOW
    var_files: list[str] = field(default_factory=list)
    rule_dirs: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    # where the Terraform source of plan JSON files is (default: the plan's own directory)
    plan_source: str | None = None
    # CloudFormation parameter values for the templates scanned (--cfn-params)
    cfn_params: str | None = None
    # text given for a path instead of the file on disk (stdin, an editor buffer)
    overrides: dict[str, str] = field(default_factory=dict)
