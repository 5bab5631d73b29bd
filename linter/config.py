"""The run configuration: everything a scan needs, from a config file and from flags.

Configuration lives in ``pyproject.toml`` under ``[tool.seawall]`` or in ``.seawall.toml``
(top-level keys), found by walking up from the first scanned path; ``--config FILE``
names one explicitly. Flags override the file. Unknown keys and bad values are errors
that name the file and the key. Paths in a config file are relative to its directory.

Keys (all optional)::

    select = ["rule-id", ...]          ignore = ["rule-id", ...]
    fail-on = "low"                    exclude = ["glob", ...]
    var-files = ["prod.tfvars"]        cfn-params = "params.json"
    rule-dirs = ["policy/rules"]       baseline = ".seawall-baseline.json"
    contracts = ["policy/contracts"]   # module contracts for your own modules
    max-file-size = 10485760           require-reason = true
    strict = false                     # posture findings fail the run too
    show-posture = true                # list posture findings (text output, editor)
    allow-unchecked = ["glob", ...]    # files that may go unchecked: a note, not an error
    unsuppressible = ["rule-id", ...]  # rules that may not be suppressed inline
    [severity]                         # per-rule severity overrides
    "rule-id" = "high"
    [sensitivity]                      # tags that mark sensitive data
    keys = [...]   values = [...]
    [[per-path-ignores]]               # rules ignored under some paths, with a reason
    paths = ["legacy/**"]   rules = ["rule-id"]   reason = "..."
"""

from __future__ import annotations

import os
import sys
from typing import Any

from msgspec import Struct, field

from linter.model import Severity
from linter.sources import DEFAULT_MAX_BYTES


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


class PathIgnore(Struct, frozen=True):
    """Rules not reported under some paths, with the reason (``per-path-ignores``)."""

    paths: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str


class RunConfig(Struct):
    """How to scan: the command line and the configuration file merged."""

    paths: list[str] = field(default_factory=lambda: ['.'])
    select: list[str] = field(default_factory=list)  # rule ids; empty means all
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.LOW
    var_files: list[str] = field(default_factory=list)
    rule_dirs: list[str] = field(default_factory=list)
    # folders of module contracts (linter/parsers/terraform/contracts.py) for private modules
    contract_dirs: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    # where the Terraform source of plan JSON files is (default: the plan's own directory)
    plan_source: str | None = None
    # CloudFormation parameter values for the templates scanned (--cfn-params)
    cfn_params: str | None = None
    # values for the Helm charts scanned (--helm-values files, then --helm-set k=v)
    helm_values: list[str] = field(default_factory=list)
    helm_set: list[str] = field(default_factory=list)
    # text given for a path instead of the file on disk (stdin, an editor buffer)
    overrides: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)  # globs of paths not to scan
    # globs of files that may go unchecked (too large, unreadable, not parsable): a note
    # instead of an input error
    allow_unchecked: list[str] = field(default_factory=list)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    sensitivity_keys: tuple[str, ...] | None = None
    sensitivity_values: tuple[str, ...] | None = None
    require_reason: bool = True
    unsuppressible: list[str] = field(default_factory=list)
    per_path_ignores: list[PathIgnore] = field(default_factory=list)
    baseline: str | None = None
    config_file: str | None = None  # the file these settings came from, if any
    cache: bool = True  # the on-disk parse cache (--no-cache turns it off)
    workers: int = 0  # processes for parsing; 0: as many as the machine has cores
    # posture findings (one step away) fail the run too (--strict); and whether the text
    # output and the editor list them (they are always counted)
    strict: bool = False
    show_posture: bool = True


CONFIG_NAMES = (".seawall.toml", "pyproject.toml")


def find_config(start: str) -> str | None:
    """The nearest ``.seawall.toml``, or ``pyproject.toml`` that may hold a ``[tool.seawall]``
    table, in ``start`` or any directory above it.

    A ``pyproject.toml`` that cannot be read or parsed is returned too: nobody can tell
    whether it holds seawall's table, and going on to a parent directory's configuration
    would silently scan with settings that were never meant for this tree. Reading it
    (``read_config_table``) then reports the error with its line."""
    here = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(here, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _may_hold_config(candidate)):
                return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _load_toml(path: str) -> dict[str, Any]:
    # imported here: a run without a configuration file does not pay for the TOML parser
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        hint = ""
        if os.path.basename(path) == "pyproject.toml":
            hint = "; seawall reads its [tool.seawall] table, so it cannot tell how to scan (fix the file, or use --config FILE or --no-config)"
        raise ConfigError(f"{path}: invalid TOML: {exc}{hint}") from None


def _may_hold_config(path: str) -> bool:
    try:
        data = _load_toml(path)
    except ConfigError:
        return True  # reading it again reports why
    return isinstance(data.get("tool"), dict) and "seawall" in data["tool"]


def read_config_table(path: str) -> dict[str, Any]:
    data = _load_toml(path)
    if os.path.basename(path) == "pyproject.toml" or "tool" in data and "seawall" in data.get("tool", {}):
        tool = data.get("tool")
        if not isinstance(tool, dict) or "seawall" not in tool:
            raise ConfigError(f"{path}: no [tool.seawall] table (seawall's settings go there)")
        table = tool["seawall"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.seawall] must be a table")
        return table
    return data


def _where(path: str, key: str) -> str:
    prefix = "tool.seawall." if os.path.basename(path) == "pyproject.toml" else ""
    return f"{path}: {prefix}{key}"


def _strings(path: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{_where(path, key)}: must be a list of strings")
    return list(value)


def _string(path: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{_where(path, key)}: must be a non-empty string")
    return value


def _bool(path: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{_where(path, key)}: must be true or false")
    return value


def _severity(path: str, key: str, value: Any) -> Severity:
    try:
        return Severity.parse(_string(path, key, value))
    except ValueError as exc:
        raise ConfigError(f"{_where(path, key)}: {exc}") from None


def apply_config_file(config: RunConfig, path: str) -> RunConfig:
    """Fill ``config`` from the file at ``path`` (flags set later override it)."""
    table = read_config_table(path)
    base = os.path.dirname(os.path.abspath(path))

    def rel(p: str) -> str:
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))

    known = {
        "select", "ignore", "fail-on", "exclude", "var-files", "cfn-params", "rule-dirs", "baseline",
        "max-file-size", "require-reason", "unsuppressible", "severity", "sensitivity", "per-path-ignores",
        "allow-unchecked", "contracts", "strict", "show-posture",
    }
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{_where(path, key)}: unknown key (known keys: {', '.join(sorted(known))})")
        if key == "select":
            config.select = _strings(path, key, value)
        elif key == "ignore":
            config.ignore = _strings(path, key, value)
        elif key == "fail-on":
            config.fail_on = _severity(path, key, value)
        elif key == "exclude":
            config.exclude = _strings(path, key, value)
        elif key == "allow-unchecked":
            config.allow_unchecked = _strings(path, key, value)
        elif key == "var-files":
            config.var_files = [rel(p) for p in _strings(path, key, value)]
        elif key == "cfn-params":
            config.cfn_params = rel(_string(path, key, value))
        elif key == "rule-dirs":
            config.rule_dirs = [rel(p) for p in _strings(path, key, value)]
        elif key == "contracts":
            config.contract_dirs = [rel(p) for p in _strings(path, key, value)]
        elif key == "baseline":
            config.baseline = rel(_string(path, key, value))
        elif key == "max-file-size":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{_where(path, key)}: must be a positive number of bytes")
            config.max_bytes = value
        elif key == "require-reason":
            config.require_reason = _bool(path, key, value)
        elif key == "strict":
            config.strict = _bool(path, key, value)
        elif key == "show-posture":
            config.show_posture = _bool(path, key, value)
        elif key == "unsuppressible":
            config.unsuppressible = _strings(path, key, value)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{_where(path, key)}: must be a table of rule id = severity")
            config.severity_overrides = {k: _severity(path, f"severity.{k}", v) for k, v in value.items()}
        elif key == "sensitivity":
            if not isinstance(value, dict):
                raise ConfigError(f"{_where(path, key)}: must be a table with keys and values")
            for sub in value:
                if sub not in ("keys", "values"):
                    raise ConfigError(f"{_where(path, f'sensitivity.{sub}')}: unknown key (known keys: keys, values)")
            if "keys" in value:
                config.sensitivity_keys = tuple(_strings(path, "sensitivity.keys", value["keys"]))
            if "values" in value:
                config.sensitivity_values = tuple(_strings(path, "sensitivity.values", value["values"]))
        elif key == "per-path-ignores":
            if not isinstance(value, list):
                raise ConfigError(f"{_where(path, key)}: must be an array of tables ([[per-path-ignores]])")
            entries = []
            for i, entry in enumerate(value):
                where = f"per-path-ignores[{i}]"
                if not isinstance(entry, dict):
                    raise ConfigError(f"{_where(path, where)}: must be a table")
                for sub in entry:
                    if sub not in ("paths", "rules", "reason"):
                        raise ConfigError(f"{_where(path, f'{where}.{sub}')}: unknown key (known keys: paths, reason, rules)")
                for required in ("paths", "rules", "reason"):
                    if required not in entry:
                        raise ConfigError(f"{_where(path, f'{where}.{required}')}: required")
                entries.append(
                    PathIgnore(
                        tuple(_strings(path, f"{where}.paths", entry["paths"])),
                        tuple(_strings(path, f"{where}.rules", entry["rules"])),
                        _string(path, f"{where}.reason", entry["reason"]),
                    )
                )
            config.per_path_ignores = entries
    config.config_file = path
    return config


def check_rule_ids(config: RunConfig, known: set[str]) -> None:
    """Every rule id the configuration names must exist."""
    where = config.config_file or "configuration"
    named = [("select", config.select), ("ignore", config.ignore), ("unsuppressible", config.unsuppressible),
             ("severity", list(config.severity_overrides))]
    named += [(f"per-path-ignores[{i}].rules", list(p.rules)) for i, p in enumerate(config.per_path_ignores)]
    for key, ids in named:
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ConfigError(f"{_where(where, key) if config.config_file else '--' + key}: unknown rule id: {', '.join(unknown)}")
