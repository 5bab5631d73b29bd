"""Where each format writes a setting, so checks never branch on the input format.

A check asks ``resource.setting("security_group_ids")`` and gets the value whatever the
format. Setting names are Terraform's (the most common spelling, snake_case); a name may be
a path (``ip_configuration.ipv4_enabled``, ``spec.type``).

- Terraform and plans: the name is the path.
- CloudFormation: the property under ``Properties``, by default the name in PascalCase
  (``publicly_accessible`` -> ``PubliclyAccessible``); where a resource type spells it
  otherwise, ``linter/aliases.yaml`` says how (``AWS::RDS::DBInstance``:
  ``vpc_security_group_ids: VPCSecurityGroups``).
- Kubernetes: the name is the path in the manifest.

The alias table is data: one line per resource type and setting, loaded once.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from linter.model import Path

if TYPE_CHECKING:
    from linter.graph import Resource


@functools.lru_cache(maxsize=1)
def aliases() -> dict[str, dict[str, str]]:
    """resource type -> setting name -> that format's spelling (a path)."""
    from linter.yamlsafe import load_yaml_bounded

    with open(os.path.join(os.path.dirname(__file__), "aliases.yaml"), encoding="utf-8") as fh:
        data = load_yaml_bounded(fh.read()) or {}
    return {str(t): {str(k): str(v) for k, v in (names or {}).items()} for t, names in data.items()}


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@functools.lru_cache(maxsize=4096)
def _path(fmt: str, rtype: str, name: str) -> Path:
    from linter.conditions import WILDCARD

    parts = _parts(fmt, rtype, name)
    if any(p is WILDCARD for p in parts):
        raise ValueError(f"a setting name cannot hold a wildcard: {name!r}")
    return parts


@functools.lru_cache(maxsize=4096)
def _parts(fmt: str, rtype: str, name: str) -> tuple[Any, ...]:
    from linter.conditions import parse_path

    if fmt == "cloudformation":
        spelled = aliases().get(rtype, {}).get(name)
        if spelled is None:
            parts: tuple[Any, ...] = tuple(pascal(p) if isinstance(p, str) else p for p in parse_path(name))
        else:
            parts = parse_path(spelled)
        parts = ("Properties",) + parts
    else:
        parts = parse_path(name)
    return tuple(parts)


def setting_path(res: Resource, name: str) -> Path:
    return _path(res.format, res.type, name)


def setting_values(res: Resource, name: str) -> list[tuple[Path, Any]]:
    """Every (path, value) the setting ``name`` holds in ``res``, whatever the format; ``[*]``
    in the name stands for every element of a list (``network_interfaces[*].subnet_id``).
    A list or block that is not known gives its own path with the Unknown value."""
    from linter.conditions import resolve

    if "[*]" not in name:
        from linter.locate import value_at

        path = setting_path(res, name)
        value = value_at(res.attrs, path)
        return [] if value is None else [(path, value)]
    found, _ = resolve(res.attrs, _parts(res.format, res.type, name))
    return [(path, value) for path, value in found if value is not None]
