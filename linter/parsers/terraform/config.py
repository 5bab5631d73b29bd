"""A Terraform module's configuration: every ``.tf`` file of one directory, parsed and indexed."""

from __future__ import annotations

import os
from typing import Any

from msgspec import Struct, field

from linter.cache import current
from linter.internal import internal_error
from linter.model import InputError, Note
from linter.parsers.hcl.syntax import Attribute, Block, HclFile, HclSyntaxError, Template, parse_hcl
from linter.sources import SourceError, looked_at, overridden_in, override_text, read_source, source_problem


class ModuleConfig(Struct):
    """A Terraform module folder's files, sorted by what their blocks declare."""

    dir: str  # as shown to users
    files: list[HclFile] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[str, Block] = field(default_factory=dict)  # "type.name"
    data: dict[str, Block] = field(default_factory=dict)  # "type.name"
    module_calls: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: dict[str, Block] = field(default_factory=dict)  # "aws", or "aws.west" for an alias
    resource_types: set[str] = field(default_factory=set)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def is_terraform_file(name: str) -> bool:
    return name.endswith(".tf")


def parse_file(path: str, max_bytes: int) -> HclFile | InputError | Note:
    text = override_text(path)
    if text is not None:
        return parse_text(text, path)
    try:
        text = read_source(path, max_bytes)
    except SourceError as exc:
        problem = source_problem(path, exc)
        assert isinstance(problem, (InputError, Note))
        return problem
    return parse_text(text, path)


def parse_text(text: str, path: str) -> HclFile | InputError:
    # editor buffers change on every keystroke: keep them in memory, not on disk
    cache = current()
    memory_only = override_text(path) is not None
    cached = cache.get("hcl", path, text, memory_only)
    if cached is not None:
        return cached
    try:
        result: HclFile | InputError = parse_hcl(text, path)
    except HclSyntaxError as exc:
        result = InputError(path, exc.line, exc.column, f"invalid HCL: {exc.message}", "parse")
    except Exception as exc:
        return internal_error(path, exc)
    cache.put("hcl", path, text, result, memory_only)
    return result


def build_config(directory: str, files: list[HclFile | InputError | Note]) -> ModuleConfig:
    config = ModuleConfig(dir=directory)
    for item in files:
        if isinstance(item, InputError):
            config.errors.append(item)
            continue
        if isinstance(item, Note):
            config.notes.append(item)
            continue
        config.files.append(item)
        _index(config, item)
        _report_redefined(config, item.body)
    return config


def _report_redefined(config: ModuleConfig, body: Any, depth: int = 0) -> None:
    """Terraform rejects an attribute written twice in one block; say so (the last one is used)."""
    for attr in body.duplicates:
        config.errors.append(
            InputError(attr.span.file, attr.span.line, attr.span.column, f"attribute {attr.name!r} is defined twice in this block (Terraform rejects this); the last one is used", "parse")
        )
    if depth < 50:
        for block in body.blocks:
            _report_redefined(config, block.body, depth + 1)


def _inside(path: str, root: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def load_module_dir(
    directory: str, max_bytes: int, overrides: dict[str, str] | None = None, scan_root: str | None = None
) -> ModuleConfig:
    """Parse every ``.tf`` file of ``directory``; ``overrides`` maps a path to text to use instead.

    A symbolic link whose target is outside the scanned tree (and outside the module's own
    directory) is not followed, with a note."""
    looked_at(directory)
    try:
        found = {n for n in os.listdir(directory) if is_terraform_file(n)}
    except OSError as exc:
        found = set()
        if not overridden_in(directory, (".tf",)):
            config = ModuleConfig(dir=directory)
            config.errors.append(InputError(directory, 1, 1, f"cannot read directory: {exc.strerror or exc}", "read"))
            return config
    names = sorted(found | set(overridden_in(directory, (".tf",))))  # an unsaved new buffer counts too
    parsed: list[HclFile | InputError | Note] = []
    for name in names:
        path = os.path.normpath(os.path.join(directory, name))
        if os.path.islink(path) and not (_inside(path, directory) or (scan_root is not None and _inside(path, scan_root))):
            parsed.append(Note(path, 1, "symbolic link out of the scanned tree (or broken); not followed"))
            continue
        if not os.path.isfile(path) and override_text(path) is None:
            continue
        text = overrides.get(path) if overrides else None
        if text is None:
            text = override_text(path)
        if text is not None:
            parsed.append(parse_text(text, path))
        else:
            parsed.append(parse_file(path, max_bytes))
    return build_config(directory, parsed)


def _index(config: ModuleConfig, hcl: HclFile) -> None:
    for block in hcl.body.blocks:
        kind, labels = block.type, block.labels
        if kind == "resource" and len(labels) == 2:
            _add(config, config.resources, f"{labels[0]}.{labels[1]}", block)
            config.resource_types.add(labels[0])
        elif kind == "data" and len(labels) == 2:
            _add(config, config.data, f"{labels[0]}.{labels[1]}", block)
        elif kind == "variable" and len(labels) == 1:
            _add(config, config.variables, labels[0], block)
        elif kind == "locals":
            for name, attr in block.body.attributes.items():
                if name in config.locals:
                    _duplicate(config, f"local.{name}", attr.span.file, attr.span.line)
                config.locals[name] = attr
        elif kind == "module" and len(labels) == 1:
            _add(config, config.module_calls, labels[0], block)
        elif kind == "output" and len(labels) == 1:
            _add(config, config.outputs, labels[0], block)
        elif kind == "provider" and len(labels) == 1:
            alias = block.body.attributes.get("alias")
            alias_name = literal_string(alias.expr) if alias is not None else None
            _add(config, config.providers, f"{labels[0]}.{alias_name}" if alias_name else labels[0], block)


def literal_string(expr: Any) -> str | None:
    """The text of a quoted string with no interpolation, else None."""
    if isinstance(expr, Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], str):
        return expr.parts[0]
    return None


def _add(config: ModuleConfig, table: dict[str, Block], key: str, block: Block) -> None:
    existing = table.get(key)
    if existing is not None:
        if _is_override(block.span.file):
            _merge_override(existing, block)
            return
        if _is_override(existing.span.file):
            _merge_override(block, existing)
            table[key] = block
            return
        _duplicate(config, key, block.span.file, block.span.line, existing)
        return
    table[key] = block


def _is_override(path: str) -> bool:
    name = os.path.basename(path)
    return name == "override.tf" or name.endswith("_override.tf")


def _merge_override(base: Block, override: Block) -> None:
    """Terraform override files replace the attributes and nested blocks they name."""
    base.body.attributes.update(override.body.attributes)
    replaced = {b.type for b in override.body.blocks}
    base.body.blocks = [b for b in base.body.blocks if b.type not in replaced] + list(override.body.blocks)


def _duplicate(config: ModuleConfig, key: str, file: str, line: int, first: Block | None = None) -> None:
    where = f" (first defined at {first.span.file}:{first.span.line})" if first is not None else ""
    config.errors.append(InputError(file, line, 1, f"duplicate definition of {key}{where}; the first one is used", "parse"))
