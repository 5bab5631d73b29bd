"""Terraform: directories of ``.tf`` files -> resources for the graph.

All ``.tf`` files of a directory form one module. Variables take their values from, in
increasing priority: their defaults, ``terraform.tfvars``, ``*.auto.tfvars`` (in name
order), then ``--var-file`` files, as Terraform does. Each resource and data source is
expanded by ``count``/``for_each`` and evaluated to a positioned value tree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from linter.graph import Resource
from linter.internal import internal_error
from linter.model import Evidence, InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.parsers.hcl.evaluate import EvalError, Evaluator
from linter.parsers.hcl.syntax import Variable
from linter.parsers.terraform.config import literal_string, parse_file
from linter.parsers.terraform.contracts import load_contracts, outside, place
from linter.parsers.terraform.instance import ModuleInstance, Options, VarValue
from linter.parsers.terraform.modules import ModuleLoader, is_local_source
from linter.sources import SourceError, looked_at, overridden_in, override_text, read_source, source_problem
from linter.values import Unknown, display


def load_terraform(
    directories: list[str],
    var_files: list[str],
    max_bytes: int,
    scan_root: str,
    overrides: dict[str, str] | None = None,
    contract_dirs: list[str] | tuple[str, ...] = (),
) -> ParseOutput:
    """Resources of the root modules in ``directories``; module calls nobody downloaded are
    read through the module contracts (built in, and those in ``contract_dirs``)."""
    out = ParseOutput()
    options = Options(max_bytes=max_bytes, scan_root=scan_root)
    contracts = load_contracts(contract_dirs, lazy=True)
    loader = ModuleLoader(options, overrides, contracts)
    directories = [os.path.normpath(d) for d in directories]
    for directory in directories:
        loader.config(directory)
    callers = module_callers(directories, loader)
    # every directory is a root: a module others call is also judged with its own defaults,
    # which are what a caller outside this repository gets (findings reached both ways are
    # merged by the engine)
    for directory in directories:
        config = loader.config(directory)
        if not config.files:
            continue
        inputs: dict[str, Any] = dict(_root_inputs(directory, var_files, max_bytes, out))
        context: tuple[Evidence, ...] = ()
        if directory in callers:
            called_from = ", ".join(callers[directory])
            context = (Evidence(f"{directory} is a module (called from {called_from}) judged on its own: with its variables' defaults, as a caller that does not set them gets it"),)
        try:
            loader.instantiate(config, directory, inputs, context)
        except Exception as exc:
            out.errors.append(internal_error(directory, exc, "instantiating this module"))
    for config in loader.configs.values():
        out.errors.extend(config.errors)
        out.notes.extend(config.notes)
        for f in config.files:
            out.comments[f.path] = f.comments
            out.files.append(f.path)
    for module in loader.instances:
        _collect(module, out)
        if module.budget.exhausted:
            where = module.config.files[0].path if module.config.files else module.config.dir
            out.notes.append(
                Note(where, 1, f"{module.prefix or 'root module'}: evaluation stopped after {module.budget.max_steps:,} steps; the remaining values are unknown")
            )
    out.notes.extend(loader.notes)
    out.notes.extend(options.notes)
    out.errors.extend(contracts.errors)  # after the calls: the built-in ones are read when a call needs them
    out.stats["module_calls"] = loader.calls_instantiated
    out.releases.append(loader.release)
    return out


def module_callers(directories: list[str], loader: ModuleLoader) -> dict[str, list[str]]:
    """Scanned directory -> the scanned directories that call it as a local module."""
    scanned = set(directories)
    callers: dict[str, list[str]] = {}
    for d in directories:
        for block in loader.config(d).module_calls.values():
            attr = block.body.attributes.get("source")
            src = literal_string(attr.expr) if attr is not None else None
            if src is not None and is_local_source(src):
                target = os.path.normpath(os.path.join(d, src))
                if target in scanned and target != d and d not in callers.get(target, []):
                    callers.setdefault(target, []).append(d)
    return callers


def _collect(module: ModuleInstance, out: ParseOutput) -> None:
    try:
        instances = module.all_instances()
    except Exception as exc:
        out.errors.append(internal_error(module.config.dir, exc, "evaluating this module"))
        return
    for inst in instances:
        try:
            attrs = inst.attrs()
            refs = dict(inst.refs)
        except Exception as exc:
            out.errors.append(internal_error(inst.block.span.file, exc, f"evaluating {inst.address}", inst.block.span.line))
            continue
        if isinstance(attrs, Unknown):  # pragma: no cover - a top-level body always evaluates
            continue
        rtype = inst.type if inst.mode == "managed" else "data." + inst.type
        meta: dict[str, Any] = {"mode": inst.mode, "module_dir": module.config.dir}
        if inst.key is not None:
            meta["key"] = inst.key
        if inst.unknown_expansion is not None:
            meta["unknown_expansion"] = inst.unknown_expansion.reason or "not known"
        if inst.possible is not None:
            meta["possible_instance"] = inst.possible.message
        inherited = module.default_tags(inst.provider_ref())
        if inherited is not None:
            meta["default_tags_from"], meta["default_tags"] = inherited
        span, block_span = inst.block.header, inst.block.span
        origins: Callable[[Path], list[Evidence]] = inst.origins_for
        chain: Callable[[Path], set[str]] = inst.chain_files
        if module.contract is not None and module.contract_call is not None:
            # made by a module contract: shown where the call decided it
            span, block_span = module.contract_call.header, module.contract_call.span
            try:
                attrs = place(module, inst, attrs, span, block_span)
            except Exception as exc:
                out.errors.append(internal_error(span.file, exc, f"placing {inst.address} on its module call", span.line))
                continue
            origins, chain = outside(module.config.dir, inst.origins_for), _without(module.config.dir, inst.chain_files)
            meta["contract"] = module.contract.file
        out.resources.append(
            Resource(
                id=inst.id,
                address=inst.address,
                type=rtype,
                format="terraform",
                attrs=attrs,
                span=span,
                block_span=block_span,
                refs=refs,
                call_chain=module.call_chain + ((inst.possible,) if inst.possible is not None else ()),
                origins=origins,
                chain=chain,
                meta=meta,
            )
        )


def _without(path: str, fn: Callable[[Path], set[str]]) -> Callable[[Path], set[str]]:
    """The files on a value's chain, without the contract it was read through."""
    return lambda p: fn(p) - {path}


def _root_inputs(directory: str, var_files: list[str], max_bytes: int, out: ParseOutput) -> dict[str, VarValue]:
    looked_at(directory)
    try:
        names = sorted(set(os.listdir(directory)) | set(overridden_in(directory, (".tfvars", ".tfvars.json"))))
    except OSError:
        names = sorted(overridden_in(directory, (".tfvars", ".tfvars.json")))
    files = []
    for candidate in ("terraform.tfvars", "terraform.tfvars.json"):
        if candidate in names:
            files.append(os.path.join(directory, candidate))
    files.extend(os.path.join(directory, n) for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json")))
    files.extend(var_files)
    values: dict[str, VarValue] = {}
    for path in files:
        values.update(load_tfvars(path, max_bytes, out))
    return values


def load_tfvars(path: str, max_bytes: int, out: ParseOutput) -> dict[str, VarValue]:
    label = os.path.basename(path)
    if path.endswith(".json"):
        try:
            text = override_text(path)
            data = json.loads(text if text is not None else read_source(path, max_bytes))
        except SourceError as exc:
            out.problem(source_problem(path, exc))
            return {}
        except ValueError as exc:
            out.errors.append(InputError(path, getattr(exc, "lineno", 1), getattr(exc, "colno", 1), f"invalid JSON: {exc}"))
            return {}
        if not isinstance(data, dict):
            out.errors.append(InputError(path, 1, 1, "a .tfvars.json file must hold an object"))
            return {}


        return {k: VarValue(v, Evidence(f"var.{k} = {display(v)} (set in {label})", Span(path, 1), "set")) for k, v in data.items()}
    parsed = parse_file(path, max_bytes)
    if isinstance(parsed, (InputError, Note)):
        out.problem(parsed)
        return {}
    out.comments[path] = parsed.comments
    evaluator = Evaluator(_tfvars_root)
    values: dict[str, VarValue] = {}
    for name, attr in parsed.body.attributes.items():
        value = evaluator.eval(attr.expr)
        values[name] = VarValue(value, Evidence(f"var.{name} = {display(value)} (set in {label})", attr.span, "set"))
    for block in parsed.body.blocks:
        out.errors.append(InputError(path, block.span.line, block.span.column, f"a variables file holds only assignments, not a {block.type} block"))
    return values


def _tfvars_root(name: str, node: Variable) -> Any:
    return EvalError(f"variables files cannot refer to {name}")



