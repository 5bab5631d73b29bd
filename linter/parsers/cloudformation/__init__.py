"""CloudFormation (and SAM) templates -> resources for the graph.

A template (YAML with the short-form tags ``!Ref``, ``!Sub``, ``!If``…, or JSON, which is
YAML's flow syntax) is composed by PyYAML's C loader, which marks every node with its
position, and converted into positioned values with the tags in their long form
(:class:`linter.positioned.Converter`); then intrinsic functions are resolved
(``intrinsics.py``).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from typing import Any

from linter.graph import Case, Resource
from linter.internal import internal_error
from linter.model import Evidence, InputError, Note, Path, Span
from linter.parsers.base import ParseOutput
from linter.parsers.cloudformation.intrinsics import (
    MAX_UNDECIDED,
    NO_VALUE,
    Param,
    Resolver,
    origins_for,
    parameter_origin,
)
from linter.progress import current as progress
from linter.sources import SourceError, read_source, source_problem
from linter.values import PDict, Unknown

MAX_NODES = 2_000_000
LIST_PARAM_TYPES = ("CommaDelimitedList", "List<")


class TemplateError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def decode_template(text: str, path: str, duplicates: list[Note] | None = None) -> PDict:
    """The template as positioned values (cached by content); a TemplateError when it is not one."""
    from linter.cache import current

    cache = current()
    cached: Any = cache.get("cfn", path, text)  # ("ok", template, notes) or ("error", (message, line, column), [])
    if cached is None:
        notes: list[Note] = []
        try:
            cached = ("ok", _decode(text, path, notes), notes)
        except TemplateError as exc:
            cached = ("error", (exc.message, exc.line, exc.column), [])
        cache.put("cfn", path, text, cached)
    status, value, notes = cached
    if duplicates is not None:
        duplicates.extend(notes)
    if status == "error":
        raise TemplateError(*value)
    return value


def _decode(text: str, path: str, duplicates: list[Note] | None = None) -> PDict:
    import yaml

    from linter.positioned import Converter
    from linter.yamlsafe import SafeLoader, YamlBudgetError, check_node_budget, describe_yaml_error

    if text.lstrip().startswith("{"):
        text = _json_as_yaml(text)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return PDict(span=Span(path, 1))
        check_node_budget(node, text)
        converter = Converter(path, cfn=True)
        doc = converter.convert(node)
    except YamlBudgetError as exc:
        raise TemplateError(f"invalid template: {exc}", exc.line, exc.column) from None
    except yaml.YAMLError as exc:
        line, column, message = describe_yaml_error(exc)
        raise TemplateError(message.replace("invalid YAML:", "invalid template:", 1), line, column) from None
    finally:
        loader.dispose()
    if not isinstance(doc, PDict):
        raise TemplateError("a template must be a mapping")
    for dup in converter.duplicates:
        # CloudFormation accepts a key written twice and uses the last one; so do we, and say so
        if duplicates is not None:
            duplicates.append(Note(path, dup.span.line, f"duplicate key {dup.key!r}; the last one is used, as CloudFormation does"))
    return doc


def _json_as_yaml(text: str) -> str:
    """JSON text that YAML's scanner reads the same: a tab is whitespace to JSON but cannot
    start a token in YAML (in valid JSON a tab only stands between tokens), and ``\\/`` is a
    JSON escape YAML 1.1 lacks (``/``; the columns after it on its line shift by one)."""
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\\/" in text:
        text = _SLASH_ESCAPE.sub(lambda m: "/" if m.group(1) == "/" else m.group(0), text)
    return text


_SLASH_ESCAPE = re.compile(r"\\(.)", re.S)


def load_parameter_values(path: str | None) -> dict[str, Any]:
    """``--cfn-params``: {"Name": "value"}, [{"ParameterKey", "ParameterValue"}] or {"Parameters": {...}}."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        data = data["Parameters"]
    if isinstance(data, list):
        return {str(p["ParameterKey"]): p.get("ParameterValue") for p in data if isinstance(p, dict) and "ParameterKey" in p}
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items()}
    raise ValueError("parameter file must be an object or a list of ParameterKey/ParameterValue")


def _parameters(doc: PDict, path: str, given: dict[str, Any], given_file: str | None) -> dict[str, Param]:
    params: dict[str, Param] = {}
    section = doc.get("Parameters")
    if not isinstance(section, dict):
        return params
    for name, spec in section.items():
        if not isinstance(spec, dict):
            continue
        no_echo = str(spec.get("NoEcho", "")).lower() == "true"
        ptype = str(spec.get("Type", "String"))
        span = section.spans.get(name) if isinstance(section, PDict) else None
        if name in given:
            value = given[name]
            where = f"from {os.path.basename(given_file or 'the parameter file')}"
            origin_span = Span(given_file, 1) if given_file else span
        elif "Default" in spec:
            value = spec["Default"]
            where = "its default"
            origin_span = spec.spans.get("Default", span) if isinstance(spec, PDict) else span
        else:
            params[name] = Param(name, Unknown(f"parameter {name} has no value"), None, no_echo)
            continue
        if isinstance(value, str) and ptype.startswith(LIST_PARAM_TYPES):
            value = [v.strip() for v in value.split(",")]
        params[name] = Param(name, value, parameter_origin(name, value, where, origin_span, no_echo, "default" if where == "its default" else "set"), no_echo)
    return params


def load_cloudformation(paths: list[str], max_bytes: int, param_file: str | None = None, overrides: dict[str, str] | None = None) -> ParseOutput:
    out = ParseOutput()
    try:
        given = load_parameter_values(param_file)
    except (OSError, ValueError, KeyError) as exc:
        out.errors.append(InputError(param_file or "?", 1, 1, f"cannot read parameter values: {exc}", "read"))
        given = {}
    for path in paths:
        progress().advance()
        out.files.append(path)
        try:
            text = overrides[path] if overrides and path in overrides else read_source(path, max_bytes)
            doc = decode_template(text, path, out.notes)
        except SourceError as exc:
            out.problem(source_problem(path, exc))
            continue
        except TemplateError as exc:
            out.errors.append(InputError(path, exc.line, exc.column, exc.message, "parse"))
            continue
        except Exception as exc:
            out.errors.append(internal_error(path, exc))
            continue
        if not isinstance(doc.get("Resources"), PDict):
            key = "Resources" if "Resources" in doc else next((k for k in ("AWSTemplateFormatVersion", "Transform") if k in doc), None)
            if key is None:
                # resource types inside some other JSON (a macro's test event, a tool's
                # state): not a template, but say so rather than pass it over in silence
                out.notes.append(Note(path, 1, "mentions CloudFormation resource types but has no top-level Resources section: not read as a template"))
                continue
            # a template (its format version, transform or Resources say so) without what a
            # template must have: never a clean result for a file nothing checked
            what = "is not a mapping of resources" if key == "Resources" else "is missing"
            out.errors.append(InputError(path, doc.spans[key].line, 1, f"the template's top-level Resources section {what} (CloudFormation requires it), so nothing in this file was checked", "parse"))
            continue
        try:
            out.resources.extend(template_resources(doc, path, given, param_file))
        except Exception as exc:
            out.errors.append(internal_error(path, exc, "evaluating this template"))
    return out


def template_resources(doc: PDict, path: str, given: dict[str, Any], param_file: str | None = None) -> list[Resource]:
    from linter.parsers.cloudformation.sam import expand_sam

    section = doc.get("Resources")
    if not isinstance(section, PDict):  # decode_template makes every mapping a PDict
        return []
    params = _parameters(doc, path, given, param_file)
    mappings = doc.get("Mappings")
    if not isinstance(mappings, dict):
        mappings = {}
    conditions = doc.get("Conditions")
    if not isinstance(conditions, dict):
        conditions = {}
    logical_ids = [k for k, v in section.items() if isinstance(v, dict)]
    # first pass: which comparisons cannot be decided?
    probe = Resolver(path, params, mappings, conditions, {k: f"{path}::{k}" for k in logical_ids}, {})
    for logical in logical_ids:
        spec = section[logical]
        if "Condition" in spec:
            probe.condition(str(spec["Condition"]))
        probe.resolve(spec, ())
    undecided = sorted(probe.undecided)[:MAX_UNDECIDED]
    assignments: list[dict[str, bool]] = [dict(zip(undecided, combo)) for combo in itertools.product((True, False), repeat=len(undecided))] or [{}]
    resources: list[Resource] = []
    for n, assignment in enumerate(assignments):
        suffix = f"#{n}" if len(assignments) > 1 else ""
        ids = {k: f"{path}::{k}{suffix}" for k in logical_ids}
        resolver = Resolver(path, params, mappings, conditions, ids, assignment)
        variant = {probe.undecided[k]: v for k, v in assignment.items()}
        created = [r for r in (_resource(resolver, section, lid, ids, params, variant, len(assignments)) for lid in logical_ids) if r is not None]
        resources.extend(created)
        if _is_sam(doc):
            resources.extend(expand_sam(doc, created, resolver))
    return resources


def _is_sam(doc: PDict) -> bool:
    transform = doc.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in names)


def _resource(
    resolver: Resolver,
    section: PDict,
    logical: str,
    ids: dict[str, str],
    params: dict[str, Param],
    variant: dict[str, bool],
    variants: int,
) -> Resource | None:
    spec = section[logical]
    condition = spec.get("Condition")
    if isinstance(condition, str) and resolver.condition(condition) is False:
        return None  # the resource is not created
    attrs = PDict(span=spec.span)
    uses: dict[Path, list[str]] = {}
    refs: dict[str, set[str]] = {}
    for key, value in spec.items():
        if key == "Properties" and isinstance(value, PDict):
            props = PDict(span=value.span)
            for prop, pvalue in value.items():
                resolver.refs, resolver.params_used = set(), []
                resolved = resolver.resolve(pvalue, ("Properties", prop))
                if resolved is NO_VALUE:
                    continue
                props[prop] = resolved
                if prop in value.spans:
                    props.spans[prop] = value.spans[prop]
                for used_at, name in resolver.params_used:
                    uses.setdefault(used_at, []).append(name)
                if resolver.refs:
                    refs[prop] = set(resolver.refs)
            attrs["Properties"] = props
        elif key == "DependsOn":
            names = value if isinstance(value, list) else [value]
            refs["DependsOn"] = {ids[n] for n in names if isinstance(n, str) and n in ids}
            attrs[key] = value
        else:
            resolver.refs, resolver.params_used = set(), []
            attrs[key] = resolver.resolve(value, (key,))
        if key in spec.spans:
            attrs.spans[key] = spec.spans[key]
    header = section.spans.get(logical, spec.span)
    header = Span(header.file, header.line, header.column, header.line, header.column + len(logical))
    meta: dict[str, Any] = {"logical_id": logical}
    own = ids[logical]
    # created because its condition holds with a parameter's default: the default decides
    # whether anything it opens exists, so it is evidence (and decides the verdict)
    created_by: list[Evidence] = []
    if isinstance(condition, str):
        for name in dict.fromkeys(resolver.condition_params.get(condition, ())):
            param = params.get(name)
            if param is not None and param.origin is not None and param.origin.origin == "default":
                created_by.append(Evidence(f"{logical} exists because condition {condition} holds with {param.origin.message}", param.origin.span, origin="default"))
    chain: tuple[Evidence, ...] = tuple(created_by)
    metadata = spec.get("Metadata")
    cdk_path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    if isinstance(cdk_path, str):
        # a template synthesized by the AWS CDK: the construct to change is in the app's code
        meta["cdk_path"] = cdk_path
        chain += (Evidence(f"{logical} is generated by the AWS CDK from the construct {cdk_path} (change it in the CDK app, then synthesize again)", spec.spans.get("Metadata", header)),)
    return Resource(
        id=own,
        address=logical,
        type=str(spec.get("Type", "")),
        format="cloudformation",
        attrs=attrs,
        span=header,
        block_span=spec.span or header,
        refs={k: frozenset(v - {own}) for k, v in refs.items() if v - {own}},
        origins=origins_for(uses, params),
        call_chain=chain,
        meta=meta,
        case=Case(tuple(sorted(variant.items())), variants) if variant else None,
    )


__all__ = ["load_cloudformation", "decode_template", "TemplateError"]
