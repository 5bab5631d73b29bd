"""Module calls: local modules are instantiated with their inputs; remote ones are not fetched.

``module "x" { source = "./storage" ... }`` becomes a child :class:`ModuleInstance` whose
variables are the call's arguments (evaluated lazily in the caller, so an argument may use
another module's output), whose resources join the graph as ``module.x.<address>``, and
whose outputs are what ``module.x.<output>`` evaluates to. ``count``/``for_each`` on the
call expand it like a resource. Calls nest; a module that (directly or not) calls itself
is refused with a note, and depth is bounded.

Remote sources (registry, git, URLs) are never downloaded. If ``terraform init`` left them
in ``.terraform/modules/`` (listed in ``modules.json``), they are used from there; else a
module contract (``contracts.py``) describing the module at the call's version stands in
for its source; otherwise each call is reported once, as a note, as not analysed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from linter.model import Evidence, Note
from linter.parsers.hcl import syntax as s
from linter.parsers.hcl.evaluate import EvalError, Namespace
from linter.parsers.hcl.functions import FunctionError, to_number
from linter.parsers.terraform.config import ModuleConfig, literal_string, load_module_dir
from linter.parsers.terraform.contracts import Contract, ContractSet, contract_evidence, default_origin
from linter.parsers.terraform.instance import MAX_INSTANCES, ModuleInstance, Options, VarValue, _for_each_pairs, provider_reference
from linter.sources import looked_at
from linter.values import Unknown, display

MAX_DEPTH = 16
CALL_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def is_local_source(source: str) -> bool:
    return source.startswith(("./", "../", ".\\", "..\\")) or source in (".", "..")


class ModuleLoader:
    """Parses each module directory once and instantiates module trees from it."""

    def __init__(self, options: Options, overrides: dict[str, str] | None = None, contracts: ContractSet | None = None) -> None:
        self.options = options
        self.overrides = overrides
        self.contracts = contracts or ContractSet()
        self.configs: dict[str, ModuleConfig] = {}
        self.notes: list[Note] = []
        self.instances: list[ModuleInstance] = []
        self.calls_instantiated = 0
        self._manifests: dict[str, dict[str, str]] = {}

    def config(self, directory: str) -> ModuleConfig:
        directory = os.path.normpath(directory)
        cfg = self.configs.get(directory)
        if cfg is None:
            cfg = load_module_dir(directory, self.options.max_bytes, self.overrides, self.options.scan_root)
            self.configs[directory] = cfg
        return cfg

    # -- source resolution
    def _manifest(self, root_dir: str) -> dict[str, str]:
        """``.terraform/modules/modules.json`` of a root module: call key -> directory."""
        if root_dir not in self._manifests:
            table: dict[str, str] = {}
            path = os.path.join(root_dir, ".terraform", "modules", "modules.json")
            looked_at(path)
            try:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
                for entry in data.get("Modules", []):
                    key, d = entry.get("Key"), entry.get("Dir")
                    if isinstance(key, str) and isinstance(d, str) and key:
                        table[key] = os.path.normpath(os.path.join(root_dir, d))
            except (OSError, ValueError, AttributeError):
                pass
            self._manifests[root_dir] = table
        return self._manifests[root_dir]

    def resolve(self, parent: ModuleInstance, name: str, block: s.Block) -> tuple[str | None, str]:
        """(directory of the called module or None, a description of the source)."""
        attr = block.body.attributes.get("source")
        if attr is None:
            return None, "a module call without a source"
        source = parent.evaluator.eval(attr.expr)
        if not isinstance(source, str):
            return None, "a source that is not a literal string"
        if is_local_source(source):
            return os.path.normpath(os.path.join(parent.config.dir, source)), source
        key = ".".join(parent.module_key + (name,))
        found = self._manifest(parent.root_dir).get(key)
        if found:
            looked_at(found)
        if found and os.path.isdir(found):
            return found, source
        return None, source

    # -- instantiation
    def release(self) -> None:
        """Break the cycles of the evaluation (module instances, their evaluators and lazy
        values, resource instances) once the unit's resources are judged: nothing reads
        them after. The parsed files (``configs``) are left as they are."""
        for module in self.instances:
            for expansion in module._expansions.values():
                if isinstance(expansion, list):
                    for inst in expansion:
                        inst.__dict__.clear()
            module.__dict__.clear()
        self.instances = []

    def instantiate(self, config: ModuleConfig, root_dir: str, inputs: dict[str, Any], context: tuple[Evidence, ...] = ()) -> ModuleInstance:
        """A root module; ``context`` starts the call chain of its resources (evidence of how
        it is analysed)."""
        root = ModuleInstance(config, root_dir, "", inputs, context, self.options)
        root.root_dir = root_dir
        root.module_key = ()
        root.dir_chain = (config.dir,)
        self._attach(root)
        return root

    def _attach(self, inst: ModuleInstance) -> None:
        self.instances.append(inst)
        for name, block in inst.config.module_calls.items():
            call = ModuleCall(self, inst, name, block)
            inst.calls[name] = call.value
            call.expand()


class ModuleCall:
    def __init__(self, loader: ModuleLoader, parent: ModuleInstance, name: str, block: s.Block) -> None:
        self.loader = loader
        self.parent = parent
        self.name = name
        self.block = block
        self.children: list[tuple[Any, ModuleInstance]] = []  # (key, instance)
        self.keyed: str = ""  # "", "count" or "for_each"
        self.unknown: Unknown | None = None
        self.possible = ""  # why the instances of a count that is not known are analysed
        self.analysed = False

    def _note(self, message: str) -> None:
        span = self.block.header
        self.loader.notes.append(Note(span.file, span.line, message))

    def _version(self) -> str | None:
        attr = self.block.body.attributes.get("version")
        return literal_string(attr.expr) if attr is not None else None

    def expand(self) -> None:
        parent, block = self.parent, self.block
        directory, source = self.loader.resolve(parent, self.name, block)
        label = f"module.{self.name}"
        contract: tuple[Contract, str] | None = None
        if directory is None:
            if not (is_local_source(source) or source.startswith("a ")):
                contract = self.loader.contracts.find(source, self._version())
            if contract is None:
                if is_local_source(source) or source.startswith("a "):
                    self._note(f"{label}: {source}; not analysed")
                else:
                    which = "no module contract describes it at this version" if self.loader.contracts.describes(source) else "seawall has no module contract for it"
                    self._note(f"{label} (source {source!r}) is a remote module and was not analysed: seawall does not download modules (run `terraform init` to have it read them from .terraform/modules), and {which}")
                return
            config = contract[0].config
            norm = contract[0].file
        else:
            looked_at(directory)
            if not os.path.isdir(directory):
                self._note(f"{label}: source {source!r} is not a directory; not analysed")
                return
            norm = os.path.normpath(directory)
            if norm in parent.dir_chain:
                self._note(f"{label}: the module at {source!r} calls itself (directly or through other modules); the cycle is not followed")
                return
            if parent.depth + 1 > MAX_DEPTH:
                self._note(f"{label}: modules nested more than {MAX_DEPTH} deep; not followed")
                return
            config = self.loader.config(norm)
            if not config.files:
                self._note(f"{label}: no Terraform files in {source!r}; not analysed")
                return
        attrs = block.body.attributes
        keys: list[tuple[Any, dict[str, Any], str]] = []  # (key, env, address suffix)
        if "count" in attrs:
            self.keyed = "count"
            count, _ = parent.record(lambda: parent.evaluator.eval(attrs["count"].expr))
            try:
                n = None if isinstance(count, Unknown) else int(to_number(count))
            except FunctionError:
                n = None
            possible = parent.possible_count(block, count, f"{parent.prefix}module.{self.name}") if isinstance(count, Unknown) else None
            if possible is not None:
                n, self.possible = possible
            if n is None or n > MAX_INSTANCES:
                self.unknown = count if isinstance(count, Unknown) else Unknown("count not usable")
                keys.append((None, {"count": {"index": Unknown("count.index is not known")}}, ""))
            else:
                keys.extend((i, {"count": {"index": i}}, f"[{i}]") for i in range(max(n, 0)))
        elif "for_each" in attrs:
            self.keyed = "for_each"
            coll, _ = parent.record(lambda: parent.evaluator.eval(attrs["for_each"].expr))
            pairs = _for_each_pairs(coll)
            if pairs is None or len(pairs) > MAX_INSTANCES:
                self.unknown = coll if isinstance(coll, Unknown) else Unknown("for_each not usable")
                keys.append((None, {"each": {"key": Unknown("each.key is not known"), "value": Unknown("each.value is not known")}}, ""))
            else:
                keys.extend((k, {"each": {"key": k, "value": v}}, f'["{k}"]') for k, v in pairs)
        else:
            keys.append((None, {}, ""))
        where = f"{block.header.file}:{block.header.line}"
        for key, env, suffix in keys:
            address = f"module.{self.name}{suffix}"
            note = f" (its instances are not known: {self.unknown.reason})" if self.unknown is not None else ""
            if self.possible:
                note = f" (a possible instance: {self.possible})"
            # a call that may not happen (a possible instance, instances not known) makes
            # what it creates hold in some cases only (the `conditional` verdict)
            call_ev = Evidence(f"{parent.prefix}{address} is called at {where}{note}", block.header, origin="possible" if note else "")
            chain = parent.call_chain + (call_ev,)
            inputs: dict[str, VarValue | Callable[[], VarValue]] = {
                arg: self._lazy_input(arg, attr, env)
                for arg, attr in attrs.items()
                if arg not in CALL_META
            }
            if contract is not None:
                found, subdirectory = contract
                chain += (contract_evidence(f"{parent.prefix}{address}", source, found, subdirectory),)
                for name, value in found.defaults_for(subdirectory).items():
                    if name not in inputs:
                        inputs[name] = VarValue(value, default_origin(name, value, found, subdirectory, f"{parent.prefix}{address}", block.header))
            child = ModuleInstance(
                config,
                parent.root_key,
                f"{parent.prefix}{address}.",
                inputs,
                chain,
                parent.options,
                depth=parent.depth + 1,
            )
            if contract is not None:
                child.contract, child.contract_call = contract[0], block
            child.root_dir = parent.root_dir
            child.module_key = parent.module_key + (self.name,)
            child.dir_chain = parent.dir_chain + (norm,)
            child.expansion_exprs = parent.expansion_exprs + tuple((parent, attrs[m].expr) for m in ("count", "for_each") if m in attrs)
            child.parent = parent
            child.provider_map = self._provider_map()
            self.children.append((key, child))
            self.loader.calls_instantiated += 1
            self.loader._attach(child)
        self.analysed = True

    def _provider_map(self) -> dict[str, str]:
        """``providers = { aws = aws.west }``: the child's provider name -> the caller's."""
        attr = self.block.body.attributes.get("providers")
        out: dict[str, str] = {}
        if attr is not None and isinstance(attr.expr, s.ObjectExpr):
            for item in attr.expr.items:
                key = item.literal_key or provider_reference(item.key)
                value = provider_reference(item.value)
                if key and value:
                    out[key] = value
        return out

    def _lazy_input(self, arg: str, attr: s.Attribute, env: dict[str, Any]) -> Callable[[], VarValue]:
        parent = self.parent

        def resolve() -> VarValue:
            value, deps = parent.record(lambda: parent.evaluator.eval(attr.expr, env))
            origin = Evidence(f"var.{arg} = {display(value)} (argument of {parent.prefix}module.{self.name})", attr.span, "set")
            return VarValue(value, origin, deps, caller=parent, expr=attr.expr)

        return resolve

    def value(self) -> Any:
        """What ``module.<name>`` evaluates to in the caller."""
        if not self.analysed:
            return Unknown(f"module.{self.name} is not analysed")
        if self.unknown is not None:
            return Unknown(f"the instances of module.{self.name} are not known")
        outputs = [(key, _Outputs(self.parent, child, f"module.{self.name}")) for key, child in self.children]
        if self.keyed == "count":
            return [o for _, o in outputs]
        if self.keyed == "for_each":
            return {str(k): o for k, o in outputs}
        return outputs[0][1] if outputs else Unknown(f"module.{self.name} has no instance")


class _Outputs(Namespace):
    """A module instance's outputs, each evaluated (once) when first used."""

    def __init__(self, caller: ModuleInstance, child: ModuleInstance, label: str) -> None:
        self.caller = caller
        self.child = child
        self.label = label

    def attr(self, name: str) -> Any:
        cache = self.child.output_cache
        if name not in cache:
            block = self.child.config.outputs.get(name)
            if block is None and self.child.contract is not None:
                return Unknown(f"{self.label}.{name} is not known (the module is read through a contract that does not describe this output)")
            if block is None or "value" not in block.body.attributes:
                return EvalError(f"{self.label} has no output {name!r}")
            key = "output." + name
            if key in self.child._in_progress:
                return Unknown(f"{self.label}.{name} depends on itself")
            self.child._in_progress.add(key)
            try:
                expr = block.body.attributes["value"].expr
                cache[name] = self.child.record(lambda: self.child.evaluator.eval(expr))
            finally:
                self.child._in_progress.discard(key)
        value, deps = cache[name]
        self.caller.touch(deps)
        return value

    def describe(self) -> str:
        return self.label

    def materialize(self) -> Any:
        return {name: self.attr(name) for name in sorted(self.child.config.outputs)}
